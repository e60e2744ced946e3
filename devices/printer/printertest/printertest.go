// Package printertest provides a fake ZPL label printer for tests: it reads the byte stream as
// a Zebra printer does (one input stream shared by every connection), keeps each complete
// ^XA...^XZ format it receives with the time its last byte arrived, answers ~HS and ~HQES from
// its state, and can run out of paper after a number of labels, open its head, pause, or stop
// answering. Serve it on 127.0.0.1 with ListenTCP, or on any io.ReadWriter (a pty) with Serve.
//
// It models what the drivers depend on, not a whole printer: ~JX cancels a partial format,
// ~JA cancels everything held, and a format that is not printed because of a fault is held and
// printed when the fault is cleared (^JZ Y, reprint after error).
package printertest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// State is what the fake printer reports and how it behaves.
type State struct {
	PaperOut, HeadOpen, Paused, RibbonOut, BufferFull bool
	// QuietWhenFaulted makes ~HS unanswered while out of paper or ribbon, or with the head
	// open, as recent Zebra firmware does; ~HQES is still answered.
	QuietWhenFaulted bool
	// Silent makes the printer answer nothing at all.
	Silent bool
}

func (s State) faulted() bool { return s.PaperOut || s.HeadOpen || s.RibbonOut }

// Format is one complete ^XA...^XZ format received.
type Format struct {
	Data []byte
	At   time.Time // when its last byte was read
	// Corrupt is set when a ^XA arrived inside an unfinished format: the two were merged, as a
	// printer does with a partial format left by a dropped connection.
	Corrupt bool
	Printed bool // printed at once (false: held because of a fault, or a settings-only format)
}

func (f Format) String() string { return string(f.Data) }

// IsLabel reports whether f prints something (has a field), as opposed to a settings-only format.
func (f Format) IsLabel() bool {
	u := bytes.ToUpper(f.Data)
	return bytes.Contains(u, []byte("^FD")) || bytes.Contains(u, []byte("^FO")) || bytes.Contains(u, []byte("^FT"))
}

// Printer is the fake printer. The zero value is not usable: call New.
type Printer struct {
	mu         sync.Mutex
	state      State
	paperLeft  int // labels left before paper runs out; -1 is unlimited
	formats    []Format
	labels     []Format // the formats that print something
	commands   []string // control commands received, in order ("~HS", "~HQES", "~JX", ...)
	held       int      // labels received and not printed
	printed    int
	cur        []byte // the format being received, nil outside one
	curCorrupt bool
	pend       []byte // bytes of an unfinished command at the end of the last read
	changed    chan struct{}

	lmu   sync.Mutex
	ln    net.Listener
	conns map[net.Conn]bool
	wg    sync.WaitGroup
}

// New returns a ready fake printer with unlimited paper.
func New() *Printer {
	return &Printer{paperLeft: -1, changed: make(chan struct{}), conns: map[net.Conn]bool{}}
}

// SetState changes the printer's state. Clearing every fault prints the held labels.
func (p *Printer) SetState(f func(*State)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f(&p.state)
	p.printHeldLocked()
	p.notifyLocked()
}

// State returns the printer's state.
func (p *Printer) State() State {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state
}

// PaperOutAfter lets n more labels print; the paper runs out as the last one comes out.
func (p *Printer) PaperOutAfter(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.paperLeft = n
	if n == 0 {
		p.state.PaperOut = true
	}
}

// Reload loads paper (unlimited) and clears paper out; held labels print.
func (p *Printer) Reload() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.paperLeft = -1
	p.state.PaperOut = false
	p.printHeldLocked()
	p.notifyLocked()
}

// Formats returns every complete format received, settings-only ones included.
func (p *Printer) Formats() []Format {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Format(nil), p.formats...)
}

// Labels returns the formats received that print something.
func (p *Printer) Labels() []Format {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Format(nil), p.labels...)
}

// Printed returns how many labels have been printed, and how many are held.
func (p *Printer) Printed() (printed, held int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.printed, p.held
}

// Commands returns the control commands received, in order.
func (p *Printer) Commands() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.commands...)
}

// WaitLabels waits until at least n labels have been received and returns them.
func (p *Printer) WaitLabels(ctx context.Context, n int) ([]Format, error) {
	if _, err := p.WaitLabel(ctx, n-1); err != nil {
		return p.Labels(), err
	}
	return p.Labels(), nil
}

// WaitLabel waits for the label of index i (from 0) and returns it.
func (p *Printer) WaitLabel(ctx context.Context, i int) (Format, error) {
	for {
		p.mu.Lock()
		n, ch := len(p.labels), p.changed
		var f Format
		if i < n {
			f = p.labels[i]
		}
		p.mu.Unlock()
		if i < n {
			return f, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return f, fmt.Errorf("printertest: %d labels received, waiting for label %d: %w", n, i+1, ctx.Err())
		}
	}
}

func (p *Printer) notifyLocked() {
	close(p.changed)
	p.changed = make(chan struct{})
}

func (p *Printer) printHeldLocked() {
	for p.held > 0 && p.canPrintLocked() {
		p.held--
		p.printOneLocked()
	}
}

func (p *Printer) canPrintLocked() bool {
	return !p.state.faulted() && !p.state.Paused && p.paperLeft != 0
}

func (p *Printer) printOneLocked() {
	p.printed++
	if p.paperLeft > 0 {
		p.paperLeft--
		if p.paperLeft == 0 {
			p.state.PaperOut = true
		}
	}
}

// Serve reads the printer's input from rw and writes its answers there until a read fails; it
// returns that error (io.EOF when the other end closed).
func (p *Printer) Serve(rw io.ReadWriter) error {
	buf := make([]byte, 64<<10)
	for {
		n, err := rw.Read(buf)
		if n > 0 {
			if answer := p.feed(buf[:n], time.Now()); len(answer) > 0 {
				if _, werr := rw.Write(answer); werr != nil {
					return werr
				}
			}
		}
		if err != nil {
			return err
		}
	}
}

// feed parses b as the continuation of the input stream and returns the answers to send.
func (p *Printer) feed(b []byte, now time.Time) []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.pend) > 0 {
		b = append(p.pend, b...)
		p.pend = nil
	}
	var out []byte
	changed := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c != '^' && c != '~' {
			if p.cur != nil {
				p.cur = append(p.cur, c)
			}
			continue
		}
		if i+2 >= len(b) { // the command name has not fully arrived
			p.pend = append(p.pend, b[i:]...)
			break
		}
		name := string(bytes.ToUpper(b[i+1 : i+3]))
		switch {
		case c == '~' && name == "HS":
			p.commands = append(p.commands, "~HS")
			out = append(out, p.hostStatusLocked()...)
			i += 2
		case c == '~' && name == "HQ":
			if i+4 >= len(b) {
				p.pend = append(p.pend, b[i:]...)
				i = len(b)
				continue
			}
			p.commands = append(p.commands, "~HQ"+string(b[i+3:i+5]))
			if string(b[i+3:i+5]) == "ES" {
				out = append(out, p.errorStatusLocked()...)
			}
			i += 4
		case c == '~' && name == "JX":
			p.commands = append(p.commands, "~JX")
			p.cur = nil
			i += 2
		case c == '~' && name == "JA":
			p.commands = append(p.commands, "~JA")
			p.cur, p.held = nil, 0
			i += 2
		case c == '~':
			p.commands = append(p.commands, "~"+name)
			i += 2
		case name == "XA":
			if p.cur != nil {
				p.cur = append(p.cur, b[i:i+3]...)
				p.corrupt()
			} else {
				p.cur = append([]byte(nil), b[i:i+3]...)
			}
			i += 2
		case name == "XZ" && p.cur != nil:
			p.cur = append(p.cur, b[i:i+3]...)
			f := Format{Data: p.cur, At: now, Corrupt: p.curCorrupt}
			p.cur, p.curCorrupt = nil, false
			if f.IsLabel() {
				if p.held == 0 && p.canPrintLocked() {
					p.printOneLocked()
					f.Printed = true
				} else {
					p.held++
				}
			}
			p.formats = append(p.formats, f)
			if f.IsLabel() {
				p.labels = append(p.labels, f)
			}
			changed = true
			i += 2
		default:
			if p.cur != nil {
				p.cur = append(p.cur, c)
			}
		}
	}
	if changed {
		p.notifyLocked()
	}
	if p.state.Silent {
		return nil
	}
	return out
}

func (p *Printer) corrupt() { p.curCorrupt = true }

func flag(b bool) byte {
	if b {
		return '1'
	}
	return '0'
}

// hostStatusLocked formats the answer to ~HS (ZPL guide, ~HS), or nothing when the printer
// keeps quiet.
func (p *Printer) hostStatusLocked() []byte {
	s := p.state
	if s.QuietWhenFaulted && s.faulted() {
		return nil
	}
	partial := p.cur != nil
	return fmt.Appendf(nil, "\x02030,%c,%c,1218,%03d,%c,0,%c,000,0,0,0\x03\r\n\x02000,0,%c,%c,1,2,6,0,%08d,1,000\x03\r\n\x021234,0\x03\r\n",
		flag(s.PaperOut), flag(s.Paused), min(p.held, 999), flag(s.BufferFull), flag(partial),
		flag(s.HeadOpen), flag(s.RibbonOut), 0)
}

// errorStatusLocked formats the answer to ~HQES.
func (p *Printer) errorStatusLocked() []byte {
	s := p.state
	var bits uint32
	if s.PaperOut {
		bits |= 0x1
	}
	if s.RibbonOut {
		bits |= 0x2
	}
	if s.HeadOpen {
		bits |= 0x4
	}
	if s.Paused {
		bits |= 0x10000
	}
	f := 0
	if bits != 0 {
		f = 1
	}
	return fmt.Appendf(nil, "\x02\r\n  PRINTER STATUS\r\n    ERRORS:         %d 00000000 %08X\r\n    WARNINGS:       0 00000000 00000000\r\n\x03", f, bits)
}

// ListenTCP serves p on a new 127.0.0.1 port until the test ends and returns the printer's
// address ("tcp://127.0.0.1:port").
func ListenTCP(t testing.TB, p *Printer) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.lmu.Lock()
	p.ln = ln
	p.lmu.Unlock()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.lmu.Lock()
			p.conns[c] = true
			p.lmu.Unlock()
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				_ = p.Serve(c)
				c.Close()
				p.lmu.Lock()
				delete(p.conns, c)
				p.lmu.Unlock()
			}()
		}
	}()
	t.Cleanup(p.Close)
	return "tcp://" + ln.Addr().String()
}

// DropConnections closes every open connection, as a printer switched off and on does; the
// listener keeps accepting.
func (p *Printer) DropConnections() {
	p.lmu.Lock()
	defer p.lmu.Unlock()
	for c := range p.conns {
		c.Close()
	}
}

// Connections returns how many connections are open.
func (p *Printer) Connections() int {
	p.lmu.Lock()
	defer p.lmu.Unlock()
	return len(p.conns)
}

// Close stops listening, closes every connection and waits for the goroutines to end.
func (p *Printer) Close() {
	p.lmu.Lock()
	if p.ln != nil {
		p.ln.Close()
	}
	for c := range p.conns {
		c.Close()
	}
	p.lmu.Unlock()
	p.wg.Wait()
}
