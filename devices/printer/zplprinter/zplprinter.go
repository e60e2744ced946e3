// Package zplprinter is the "zpl" printer driver: Zebra and ZPL-compatible label printers
// reached through a devices/printer/transport address (tcp://host:9100, file:/dev/usb/lp0,
// serial:/dev/ttyUSB1?baud=9600).
//
// For each job it (1) connects if needed, reconnecting when the printer dropped the connection,
// (2) asks for the printer's status with ~HS, falling back to ~HQES when ~HS is not answered
// (recent firmware keeps quiet while out of paper or with the head open; ZPL guide, ~HS), and
// refuses the job with a typed error when the printer is not ready, (3) on a new connection
// sends the settings of the device entry (darkness ^MD, speed ^PR, width ^PW, length ^LL, media
// ^MN and ^MT) as one format, never followed by ^JU, so nothing is saved to the printer's flash,
// (4) sends the job unchanged and (5) asks for the status again. A job cut off by a dropped
// connection leaves a partial format in the printer; the next connection cancels it with ~JX
// before anything else.
//
// Transports that cannot carry answers (file: by default: a USB printer under usblp may not
// send them back) skip steps 2 and 5: set status_check: true for a printer that does answer
// through /dev/usb/lp0, false for a network print server that does not.
//
// Printer side: the raw TCP port (9100) enabled; for serial, the printer's baud rate, parity and
// stop bits matching the address (Zebra's default 9600 8N1), and hardware handshake for long
// jobs: go.bug.st/serial does not do XON/XOFF. "Reprint after error" (^JZ Y, the factory
// default) makes the printer print a job held by a fault once the fault is cleared.
package zplprinter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/stationd/stationd/devices"
	"github.com/stationd/stationd/devices/printer"
	"github.com/stationd/stationd/devices/printer/transport"
	"github.com/stationd/stationd/devices/printer/zpl"
)

func init() {
	printer.Register("zpl", printer.Driver{
		Doc:      "Zebra / ZPL label printer on tcp://host:9100, file:/dev/usb/lp0 or serial:/dev/ttyUSB1?baud=9600",
		Address:  true,
		Options:  Options,
		Validate: Validate,
		Open:     Open,
	})
}

// Open returns the printer of device entry s. It does not connect: the first Print or Status
// does.
func Open(_ context.Context, s devices.Spec, env devices.Env) (printer.Printer, error) {
	c, errs := parse(s)
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s: %v", s.Where(), errs[0])
	}
	return &zprinter{cfg: c, name: s.Where(), log: env.Logger()}, nil
}

type zprinter struct {
	cfg  config
	name string
	log  *slog.Logger

	mu      sync.Mutex // one job or query at a time
	partial bool       // a job was cut off: cancel its partial format on the next connection

	cmu    sync.Mutex // guards conn and closed, so that Halt can interrupt a job
	conn   transport.Conn
	closed bool
}

func (p *zprinter) String() string { return p.name }
func (p *zprinter) DPI() int       { return p.cfg.dpi }

func (p *zprinter) errf(reason string, err error, format string, a ...any) *printer.Error {
	return &printer.Error{Device: p.name, Reason: reason, Detail: fmt.Sprintf(format, a...), Err: err}
}

var errClosed = errors.New("printer closed")

// Close closes the connection. Later calls fail with an offline error.
func (p *zprinter) Close() error {
	p.cmu.Lock()
	defer p.cmu.Unlock()
	p.closed = true
	if p.conn != nil {
		err := p.conn.Close()
		p.conn = nil
		return err
	}
	return nil
}

// Halt interrupts a Print or Status in progress by closing the connection; the next call
// connects again.
func (p *zprinter) Halt() error {
	p.cmu.Lock()
	defer p.cmu.Unlock()
	if p.conn != nil {
		err := p.conn.Close()
		p.conn = nil
		return err
	}
	return nil
}

// drop closes conn, and forgets it if it is still the current connection.
func (p *zprinter) drop(conn transport.Conn) {
	p.cmu.Lock()
	defer p.cmu.Unlock()
	if p.conn == conn {
		p.conn = nil
	}
	conn.Close()
}

// connect returns the open connection, or a new one. fresh is true for a new connection (its
// settings not sent yet).
func (p *zprinter) connect(ctx context.Context) (conn transport.Conn, fresh bool, err error) {
	p.cmu.Lock()
	if p.closed {
		p.cmu.Unlock()
		return nil, false, p.errf(printer.ReasonOffline, errClosed, "the printer was closed")
	}
	conn = p.conn
	p.cmu.Unlock()
	if conn != nil {
		closed, err := conn.Drain()
		if err == nil && !closed {
			return conn, false, nil
		}
		p.log.Info("printer connection dropped, reconnecting", "err", err)
		p.drop(conn)
	}
	dctx, cancel := context.WithTimeout(ctx, p.cfg.connectTimeout)
	defer cancel()
	conn, err = p.cfg.transport.Dial(dctx, p.cfg.rest)
	if err != nil {
		return nil, false, p.errf(printer.ReasonOffline, err, "cannot connect: check that the printer is on and its cable or address")
	}
	p.cmu.Lock()
	defer p.cmu.Unlock()
	if p.closed {
		conn.Close()
		return nil, false, p.errf(printer.ReasonOffline, errClosed, "the printer was closed")
	}
	p.conn = conn
	return conn, true, nil
}

// session is one connection in use by a Print or Status: it closes the connection when ctx is
// cancelled, which unblocks any read or write.
type session struct {
	p    *zprinter
	conn transport.Conn
	ctx  context.Context
	stop func() bool
}

func (p *zprinter) session(ctx context.Context, conn transport.Conn) *session {
	s := &session{p: p, conn: conn, ctx: ctx}
	s.stop = context.AfterFunc(ctx, func() { p.drop(conn) })
	return s
}

// ioErr turns a read or write failure into an offline error, dropping the connection.
func (s *session) ioErr(err error, what string) *printer.Error {
	s.p.drop(s.conn)
	if ctxErr := s.ctx.Err(); ctxErr != nil {
		return s.p.errf(printer.ReasonOffline, ctxErr, "%s: interrupted", what)
	}
	if transport.IsTimeout(err) {
		return s.p.errf(printer.ReasonOffline, err, "%s: the printer did not take the data in time: check that it is on and not jammed", what)
	}
	return s.p.errf(printer.ReasonOffline, err, "%s: connection lost: check that the printer is on", what)
}

func (s *session) write(b []byte, timeout time.Duration) error {
	if err := s.conn.SetDeadline(time.Now().Add(timeout)); err != nil {
		return err
	}
	_, err := s.conn.Write(b)
	return err
}

// readUntil reads into buf until parse stops returning zpl.ErrIncomplete or the timeout passes.
// It returns the bytes read and whether parse completed.
func (s *session) readUntil(timeout time.Duration, parse func([]byte) error) ([]byte, bool, error) {
	if err := s.conn.SetDeadline(time.Now().Add(timeout)); err != nil {
		return nil, false, err
	}
	var buf []byte
	tmp := make([]byte, 512)
	for {
		n, err := s.conn.Read(tmp)
		buf = append(buf, tmp[:n]...)
		if n > 0 {
			if perr := parse(buf); !errors.Is(perr, zpl.ErrIncomplete) {
				return buf, true, nil
			}
		}
		if err != nil {
			if transport.IsTimeout(err) && s.ctx.Err() == nil {
				return buf, false, nil
			}
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return buf, false, err
		}
		if len(buf) > 4096 {
			return buf, false, nil // not a status answer
		}
	}
}

// status asks ~HS, then ~HQES if ~HS is not answered in time.
func (s *session) status() (printer.Status, *zpl.HostStatus, *printer.Error) {
	p := s.p
	if _, err := s.conn.Drain(); err != nil {
		return printer.Status{}, nil, s.ioErr(err, "status")
	}
	if err := s.write([]byte(zpl.QueryHostStatus), p.cfg.statusTimeout); err != nil {
		return printer.Status{}, nil, s.ioErr(err, "status query")
	}
	var hs zpl.HostStatus
	var perr error
	buf, ok, err := s.readUntil(p.cfg.statusTimeout, func(b []byte) error {
		hs, perr = zpl.ParseHostStatus(b)
		return perr
	})
	if err != nil {
		return printer.Status{}, nil, s.ioErr(err, "status")
	}
	if ok {
		if perr != nil {
			return printer.Status{}, nil, p.errf(printer.ReasonNotReady, perr, "unreadable answer to ~HS %q: check the address is a ZPL printer", excerpt(buf))
		}
		return fromHostStatus(hs), &hs, nil
	}
	// ~HS unanswered: recent firmware keeps quiet while out of paper or ribbon, with the head
	// open or too hot (ZPL guide, ~HS); ~HQES still answers.
	if _, err := s.conn.Drain(); err != nil {
		return printer.Status{}, nil, s.ioErr(err, "status")
	}
	if err := s.write([]byte(zpl.QueryErrorStatus), p.cfg.statusTimeout); err != nil {
		return printer.Status{}, nil, s.ioErr(err, "status query")
	}
	var es zpl.ErrorStatus
	buf, ok, err = s.readUntil(p.cfg.statusTimeout, func(b []byte) error {
		es, perr = zpl.ParseErrorStatus(b)
		return perr
	})
	if err != nil {
		return printer.Status{}, nil, s.ioErr(err, "status")
	}
	if !ok {
		s.p.drop(s.conn)
		return printer.Status{}, nil, p.errf(printer.ReasonOffline, nil,
			"no answer to ~HS or ~HQES within %v: check that the printer is on (set status_check: false if it cannot answer)", p.cfg.statusTimeout)
	}
	if perr != nil {
		return printer.Status{}, nil, p.errf(printer.ReasonNotReady, perr, "unreadable answer to ~HQES %q", excerpt(buf))
	}
	st := fromErrorStatus(es)
	if st.Err() == nil {
		return st, nil, p.errf(printer.ReasonNotReady, nil, "the printer answers ~HQES with no error but not ~HS: see its display")
	}
	return st, nil, nil
}

func excerpt(b []byte) []byte {
	if len(b) > 64 {
		return b[:64]
	}
	return b
}

func fromHostStatus(h zpl.HostStatus) printer.Status {
	return printer.Status{
		PaperOut: h.PaperOut, HeadOpen: h.HeadUp, Paused: h.Paused, RibbonOut: h.RibbonOut,
		BufferFull: h.BufferFull, HeadTooHot: h.OverTemperature, HeadTooCold: h.UnderTemperature,
		CorruptRAM: h.CorruptRAM, FormatsInBuffer: h.FormatsInBuffer, LabelsRemaining: h.LabelsRemaining,
	}
}

func fromErrorStatus(e zpl.ErrorStatus) printer.Status {
	var s printer.Status
	for _, n := range e.ErrorNames {
		switch n {
		case "media_out":
			s.PaperOut = true
		case "ribbon_out":
			s.RibbonOut = true
		case "head_open":
			s.HeadOpen = true
		case "printhead_over_temperature":
			s.HeadTooHot = true
		case "paused":
			s.Paused = true
		default:
			s.Faults = append(s.Faults, n)
		}
	}
	if e.ErrorFlag && len(e.ErrorNames) == 0 {
		s.Faults = append(s.Faults, "unknown_error")
	}
	return s
}

// Status asks the printer for its state. Without status checks it only connects: an
// unreachable printer (unplugged, switched off) is still reported offline.
func (p *zprinter) Status(ctx context.Context) (printer.Status, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.cfg.statusCheck {
		if _, _, err := p.connect(ctx); err != nil {
			return printer.Status{}, err
		}
		return printer.Status{Unknown: true}, nil
	}
	for attempt := 0; ; attempt++ {
		conn, fresh, err := p.connect(ctx)
		if err != nil {
			return printer.Status{}, err
		}
		s := p.session(ctx, conn)
		st, _, perr := s.status()
		s.stop()
		if perr != nil {
			// A reused connection may have been dropped by the printer without our
			// noticing: try once on a new one.
			if !fresh && attempt == 0 && ctx.Err() == nil && perr.Reason == printer.ReasonOffline {
				continue
			}
			return st, perr
		}
		return st, nil
	}
}

// Print sends job (one or more complete ZPL formats, checked with zpl.Check) to the printer.
func (p *zprinter) Print(ctx context.Context, job []byte) error {
	if err := zpl.Check("", job); err != nil {
		return &printer.Error{Device: p.name, Reason: printer.ReasonInvalid, Detail: err.Error(), Err: err}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for attempt := 0; ; attempt++ {
		retry, err := p.attempt(ctx, job, attempt == 0)
		if !retry {
			return err
		}
		p.log.Debug("printer connection was stale, retrying on a new one", "err", err)
	}
}

// attempt makes one attempt at printing job. retry is true when it failed on a reused
// connection before anything of the job was sent, and may be made again on a new one.
func (p *zprinter) attempt(ctx context.Context, job []byte, first bool) (retry bool, err error) {
	conn, fresh, err := p.connect(ctx)
	if err != nil {
		return false, err
	}
	s := p.session(ctx, conn)
	defer s.stop()
	if p.cfg.statusCheck {
		st, hs, perr := s.status()
		if perr != nil {
			return first && !fresh && ctx.Err() == nil && perr.Reason == printer.ReasonOffline, perr
		}
		if err := st.Err(); err != nil {
			e := err.(*printer.Error)
			e.Device = p.name
			return false, e
		}
		if hs != nil && hs.PartialFormat {
			p.partial = true
		}
	}
	var pre []byte
	if p.partial {
		pre = append(pre, "~JX"...) // ZPL guide, ~JX: cancel the partially received format
	}
	if fresh {
		pre = append(pre, p.cfg.settings...)
	}
	if len(pre) > 0 {
		if err := s.write(pre, p.cfg.writeTimeout); err != nil {
			return false, s.ioErr(err, "send settings")
		}
		p.partial = false
	}
	if err := s.write(job, p.cfg.writeTimeout); err != nil {
		p.partial = true
		return false, s.ioErr(err, "send job")
	}
	if !p.cfg.statusCheck {
		return false, nil
	}
	st, _, perr := s.status()
	if perr != nil {
		return false, perr
	}
	st.BufferFull = false // a full buffer right after a job drains by itself
	if err := st.Err(); err != nil {
		e := err.(*printer.Error)
		e.Device, e.Sent = p.name, true
		return false, e
	}
	return false, nil
}
