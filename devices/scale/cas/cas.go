// Package cas drives CAS weighing indicators and bench scales (and CAS-compatible ones such as
// EXCELL) and registers the scale driver "cas".
//
// Two modes:
//
//   - stream: the indicator sends its weight continuously, one line per reading, in the 18-byte
//     layout "ST,GS,+  1.234kg" CR LF ("AND" format; 17 bytes with "g") or the 22-byte CAS
//     layout with device id and lamp byte "ST,GS,1<lamp>,00013.5 kg" CR LF. Sources: CAS CI-400
//     owner's manual, appendix 1 "Data format"; CAS CI-150A, CI-600D, PDI and NT-200 manuals for
//     the lamp byte (bit 5 differs between models and is ignored); EXCELL AM4 manual "RS232 data
//     format". Both layouts are recognised line by line. Read returns the newest line received;
//     a partial line when the station joins mid-stream is dropped.
//   - pd-ii: the PD-II / SW-II command protocol. The host sends ENQ, the scale answers ACK; the
//     host sends DC1, the scale answers SOH STX STA SIGN W5..W0 UN1 UN2 BCC ETX EOT with BCC the
//     exclusive or of STA through UN2. Source: CAS SW-II manual, "RS-232C Protocol -
//     Transmission Data description"; BCC coverage and the 'F' status from an open-source POS
//     implementation (PS1X), whose example frame's BCC recomputes.
//
// Neither mode has zero or tare commands: Zero and Tare return ErrNotSupported (the CI-400's
// separate "command mode" is not supported).
//
// Scale side: stream mode: set the serial output to continuous ("stream") with the 18- or
// 22-byte format; pd-ii: the scale's default RS-232 protocol. Baud rate and parity as in the
// entry (CAS indicators default to 9600 8N1 for the 22-byte format; the 18-byte "AND" format is
// documented as 7 data bits with parity on CI and PDI indicators).
package cas

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/stationd/stationd/devices"
	"github.com/stationd/stationd/devices/scale"
	"github.com/stationd/stationd/devices/scale/internal/link"
	"github.com/stationd/stationd/protocol/units"
)

// Formats.
const (
	FormatStream = "stream"
	FormatPD2    = "pd-ii"
)

// DefaultTimeout is the wait for a line (stream) or an answer (pd-ii).
const DefaultTimeout = time.Second

// Options configure a Scale.
type Options struct {
	Name    string        // names the scale in errors: "scale1 (/dev/ttyUSB0)"
	Format  string        // FormatStream (default) or FormatPD2
	Timeout time.Duration // default 1 s
}

// Scale is a CAS indicator. It is safe for concurrent use.
type Scale struct {
	o Options
	l *link.Link
	// Guarded by the link's exchange lock:
	synced bool // a valid line has been seen since the stream (re)started
	junk   int  // bytes dropped while not synced
}

// New returns a Scale reading a CAS indicator on rw. Its reading goroutine ends when rw's Read
// fails: the owner of rw closes it. Close does not close rw.
func New(rw io.ReadWriter, o Options) *Scale { return newScale(rw, nil, o) }

func newScale(rw io.ReadWriter, closer io.Closer, o Options) *Scale {
	if o.Format == "" {
		o.Format = FormatStream
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Name == "" {
		o.Name = "cas"
	}
	return &Scale{o: o, l: link.New(rw, closer)}
}

func (s *Scale) String() string { return s.o.Name }

// Read returns the newest line of the stream (waiting for one if none came since the last
// Read), or asks for a weight with ENQ and DC1 in pd-ii mode.
func (s *Scale) Read(ctx context.Context) (scale.Reading, error) {
	if err := s.l.Lock(ctx); err != nil {
		return scale.Reading{}, fmt.Errorf("%s: %w", s.o.Name, err)
	}
	defer s.l.Unlock()
	var (
		f   Frame
		err error
	)
	if s.o.Format == FormatPD2 {
		f, err = s.readPD2(ctx)
	} else {
		f, err = s.readStream(ctx)
	}
	if err != nil {
		return scale.Reading{}, scale.WithDevice(err, s.o.Name)
	}
	return scale.Reading{Mass: f.Mass, Stable: f.Stable}, nil
}

func (s *Scale) readStream(ctx context.Context) (Frame, error) {
	line, err := s.l.Latest(ctx, s.o.Timeout, s.splitLine)
	if err != nil {
		pending := s.l.Buffered() + s.junk
		s.synced, s.junk = false, 0
		return Frame{}, link.ScaleError(err, s.o.Name, "the continuous output", s.o.Timeout, pending)
	}
	s.junk = 0
	return ParseLine(line)
}

// maxLine bounds a line of the stream (22 bytes); a longer run without LF is garbage.
const maxLine = 64

// splitLine frames lines ending in LF. Until the first line with a valid header, lines are
// dropped: the station may join the stream in the middle of a line.
func (s *Scale) splitLine(data []byte) (int, []byte) {
	i := bytes.IndexByte(data, '\n')
	if i < 0 {
		if len(data) <= maxLine {
			return 0, nil
		}
		i = len(data) - 1
	}
	line := data[:i+1]
	if !s.synced {
		if !validHeader(line) {
			s.junk += len(line)
			return i + 1, nil
		}
		s.synced = true
	}
	return i + 1, line
}

func validHeader(line []byte) bool {
	if len(line) < 8 || line[2] != ',' || line[5] != ',' {
		return false
	}
	h, g := string(line[:2]), string(line[3:5])
	return (h == "ST" || h == "US" || h == "OL") && (g == "GS" || g == "NT")
}

func (s *Scale) readPD2(ctx context.Context) (Frame, error) {
	s.l.Discard()
	if err := s.l.Write([]byte{ENQ}); err != nil {
		return Frame{}, link.ScaleError(err, s.o.Name, "ENQ", s.o.Timeout, 0)
	}
	ack, err := s.l.Next(ctx, s.o.Timeout, func(b []byte) (int, []byte) { return 1, b[:1] })
	if err != nil {
		return Frame{}, link.ScaleError(err, s.o.Name, "ENQ", s.o.Timeout, s.l.Buffered())
	}
	if ack[0] != ACK {
		return Frame{}, scale.NewError(s.o.Name, scale.CodeParse, fmt.Sprintf("scale answered ENQ with 0x%02x, not ACK", ack[0]))
	}
	if err := s.l.Write([]byte{DC1}); err != nil {
		return Frame{}, link.ScaleError(err, s.o.Name, "DC1", s.o.Timeout, 0)
	}
	s.junk = 0
	frame, err := s.l.Next(ctx, s.o.Timeout, s.splitPD2)
	if err != nil {
		return Frame{}, link.ScaleError(err, s.o.Name, "DC1", s.o.Timeout, s.l.Buffered()+s.junk)
	}
	return ParsePD2(frame)
}

// splitPD2 frames FrameLen bytes from SOH STX; bytes before are dropped and counted as junk.
func (s *Scale) splitPD2(data []byte) (int, []byte) {
	i := bytes.IndexByte(data, SOH)
	drop := 0
	switch {
	case i < 0:
		drop = len(data)
	case i > 0:
		drop = i
	case len(data) >= 2 && data[1] != STX:
		drop = 1
	case len(data) < FrameLen:
		return 0, nil
	default:
		return FrameLen, data[:FrameLen]
	}
	s.junk += drop
	return drop, nil
}

// Zero returns ErrNotSupported: neither mode has a zero command.
func (s *Scale) Zero(context.Context) error {
	return scale.NewError(s.o.Name, scale.CodeNotSupported, "the CAS "+s.o.Format+" protocol has no zero command: press ZERO on the scale")
}

// Tare returns ErrNotSupported: neither mode has a tare command.
func (s *Scale) Tare(context.Context) error {
	return scale.NewError(s.o.Name, scale.CodeNotSupported, "the CAS "+s.o.Format+" protocol has no tare command: press TARE on the scale")
}

// Halt does nothing: the stream is the scale's own setting.
func (s *Scale) Halt() error { return nil }

// Close releases the port if the Scale opened it and unblocks a pending Read with ErrClosed.
func (s *Scale) Close() error { return s.l.Close() }

// Registration.

var serialLine = link.Line{DataBits: 8, Parity: "none", StopBits: "1"}

// OptFormat selects the mode.
const OptFormat = "format"

func init() {
	opts := append(serialLine.Options(),
		devices.Option{Key: OptFormat, Type: "string", Default: FormatStream,
			Doc: "stream (continuous output, 18- or 22-byte lines) or pd-ii (ENQ/DC1 command protocol of PD-II and SW-II scales)"},
		link.TimeoutOption(DefaultTimeout, "a line (stream) or an answer (pd-ii)"),
	)
	scale.Register("cas", scale.Driver{
		Doc:      "CAS indicators and bench scales: continuous ST,GS output (18/22 bytes) or the PD-II/SW-II ENQ/DC1 protocol",
		Port:     true,
		Options:  opts,
		Validate: validate,
		Open:     open,
		Defaults: scale.Defaults{
			Poll:       100 * time.Millisecond,
			Stability:  scale.Stability{Count: 4, Delta: 5 * units.Gram, Window: 400 * time.Millisecond},
			FaultAfter: 2,
		},
	})
}

func validate(s devices.Spec) []devices.FieldError {
	errs := serialLine.Validate(s)
	errs = append(errs, link.OneOf(s, OptFormat, FormatStream, FormatPD2)...)
	return append(errs, link.IntRange(s, link.TimeoutKey, 10, 60000)...)
}

func open(_ context.Context, s devices.Spec, env devices.Env) (scale.Scale, error) {
	p, err := serialLine.Open(s)
	if err != nil {
		return nil, err
	}
	o := Options{Name: s.Where(), Format: s.StringOpt(OptFormat, FormatStream), Timeout: link.Timeout(s, DefaultTimeout)}
	env.Logger().Debug("scale opened", "device", o.Name, "protocol", "cas "+o.Format)
	return newScale(p, p, o), nil
}
