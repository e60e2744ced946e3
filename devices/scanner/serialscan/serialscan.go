// Package serialscan is the "serial" scanner driver: barcode scanners on a serial line, either a
// USB scanner in USB CDC-ACM ("USB serial", "USB COM port emulation") mode, which appears as
// /dev/ttyACM0, or an RS-232 scanner behind an adapter (/dev/ttyUSB0). Name the port by its stable
// path, /dev/serial/by-id/usb-<vendor>_<model>_<serial>-if00, so that it survives re-plugging
// into another USB socket.
//
// Each scan is the bytes up to the configured terminator. Lines over 4 KiB, lines that are not
// text and partial lines left without a terminator for the timeout are dropped with one log line
// each and never passed on. CR and LF that are not part of the terminator are never data: they are
// dropped, so that a scanner sending CRLF works with "cr" or "lf" as well.
//
// Scanner-side settings (firmware-config/scanners/ has them per model): USB CDC-ACM or RS-232
// interface, AIM symbology identifier transmission on, a CR suffix (or the terminator chosen
// here), FNC1 transmitted as GS (0x1D).
//
// Device entry keys beyond port and baud:
//
//	terminator  cr | lf | crlf | tab | any (CR, LF or CRLF)   default any
//	            or the literal terminator, 1 to 4 bytes ("\x03")
//	prefix      stripped from the start of a scan that has it  default ""
//	suffix      stripped from the end of a scan that has it    default ""
//	timeout     partial-scan timeout, 10ms to 10s              default 500ms
//	data_bits, parity, stop_bits                               see devices/serialport
package serialscan

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/stationd/stationd/devices"
	"github.com/stationd/stationd/devices/scanner"
	"github.com/stationd/stationd/devices/scanner/internal/line"
	"github.com/stationd/stationd/devices/scanner/internal/pump"
	"github.com/stationd/stationd/devices/serialport"
)

// Defaults of the device entry keys.
const (
	DefaultTerminator = "any"
	DefaultTimeout    = 500 * time.Millisecond
)

// Options are the keys of a serial scanner entry beyond port and baud.
var Options = append(slices.Clone(serialport.Options),
	devices.Option{Key: "terminator", Type: "string", Default: DefaultTerminator,
		Doc: "what ends a scan: cr, lf, crlf, tab, any (CR, LF or CRLF) or the literal byte(s), 1 to 4"},
	devices.Option{Key: "prefix", Type: "string", Default: "",
		Doc: "characters the scanner sends before each scan, stripped when present"},
	devices.Option{Key: "suffix", Type: "string", Default: "",
		Doc: "characters the scanner sends after each scan (before the terminator), stripped when present"},
	devices.Option{Key: "timeout", Type: "duration", Default: "500ms",
		Doc: "a partial scan without terminator is dropped after this long without a byte (10ms to 10s)"},
)

func init() {
	scanner.Register("serial", scanner.Driver{
		Doc:      "scanner on a serial line: USB CDC-ACM (/dev/ttyACM0) or RS-232; port: /dev/serial/by-id/... recommended",
		Port:     true,
		Options:  Options,
		Validate: Validate,
		Open:     Open,
	})
}

// Config is the framing of a serial scanner entry.
type Config struct {
	Terminator string // the terminator bytes; "" means any of CR, LF and CRLF
	Prefix     string
	Suffix     string
	Timeout    time.Duration
}

var terminators = map[string]string{"cr": "\r", "lf": "\n", "crlf": "\r\n", "tab": "\t", "any": ""}

// ConfigFromSpec reads the framing keys of s, with their defaults.
func ConfigFromSpec(s devices.Spec) (Config, []devices.FieldError) {
	var errs []devices.FieldError
	c := Config{Prefix: s.StringOpt("prefix", ""), Suffix: s.StringOpt("suffix", ""), Timeout: DefaultTimeout}
	t := s.StringOpt("terminator", DefaultTerminator)
	if v, ok := terminators[strings.ToLower(t)]; ok {
		c.Terminator = v
	} else if len(t) >= 1 && len(t) <= 4 {
		c.Terminator = t
	} else {
		errs = append(errs, devices.FieldError{Key: "terminator", Msg: "must be cr, lf, crlf, tab, any or the terminator itself (1 to 4 bytes)"})
	}
	if len(c.Prefix) > 32 {
		errs = append(errs, devices.FieldError{Key: "prefix", Msg: "at most 32 bytes"})
	}
	if len(c.Suffix) > 32 {
		errs = append(errs, devices.FieldError{Key: "suffix", Msg: "at most 32 bytes"})
	}
	if v, ok := s.Options["timeout"]; ok {
		d, err := duration(v)
		if err != nil || d < 10*time.Millisecond || d > 10*time.Second {
			errs = append(errs, devices.FieldError{Key: "timeout", Msg: "must be a duration from 10ms to 10s, such as 500ms"})
		} else {
			c.Timeout = d
		}
	}
	return c, errs
}

func duration(v any) (time.Duration, error) {
	s, ok := v.(string)
	if !ok {
		return 0, fmt.Errorf("not a string")
	}
	return time.ParseDuration(s)
}

// Validate checks a serial scanner entry without opening anything.
func Validate(s devices.Spec) []devices.FieldError {
	_, errs := ConfigFromSpec(s)
	return append(serialport.Validate(s), errs...)
}

// Open opens the serial port of s and starts reading scans from it.
func Open(ctx context.Context, s devices.Spec, env devices.Env) (scanner.Scanner, error) {
	cfg, errs := ConfigFromSpec(s)
	if errs = append(serialport.Validate(s), errs...); len(errs) > 0 {
		return nil, fmt.Errorf("%s: %v", s.Where(), errs[0])
	}
	if s.Port == "" {
		return nil, fmt.Errorf("%s: no port: set port to the scanner's /dev/serial/by-id/... path", s.Name)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p, err := serialport.Open(s.Port, serialport.FromSpec(s))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.Name, err)
	}
	p.ResetInput() // bytes from before we opened belong to nobody
	return start(p, s.Where(), cfg, env.Logger()), nil
}

// forever is the read timeout that waits for data without limit (go.bug.st/serial NoTimeout).
const forever = -1

// Scanner is an open serial scanner.
type Scanner struct {
	*pump.Pump
	log  *slog.Logger
	port serialport.Port
	cfg  Config
}

func start(p serialport.Port, where string, cfg Config, log *slog.Logger) *Scanner {
	s := &Scanner{Pump: pump.New(where), log: log, port: p, cfg: cfg}
	go s.reader()
	return s
}

// Halt discards a partial line, bytes not read yet and scans not returned yet.
func (s *Scanner) Halt() error {
	s.Pump.Halt()
	return s.port.ResetInput()
}

// Close closes the port and waits for the reader to end; a pending Read returns ErrClosed.
func (s *Scanner) Close() error { return s.Pump.Close(s.port.Close) }

// reader owns the port's read side and the framer. It ends when the port fails or is closed.
func (s *Scanner) reader() {
	f := framer{term: s.cfg.Terminator}
	f.asm.Prefix, f.asm.Suffix = s.cfg.Prefix, s.cfg.Suffix
	buf := make([]byte, 512)
	armed := false // a read timeout is set because a line is pending
	for {
		n, err := s.port.Read(buf)
		at := time.Now()
		if s.Halted() {
			f.reset()
		}
		if err != nil {
			s.Finish(err)
			return
		}
		if n == 0 && f.pending() { // read timeout: the pending line stayed without terminator
			s.log.Warn("partial scan dropped: no terminator", "device", s.String(), "timeout", s.cfg.Timeout,
				"data", line.Quote(f.asm.Peek()), "hint", "check the scanner's suffix and the terminator setting")
			f.reset()
		}
		for _, c := range buf[:n] {
			if !f.push(c) {
				continue
			}
			data, ok, err := f.asm.End()
			if err != nil {
				s.log.Warn("scan dropped", "device", s.String(), "reason", err)
				continue
			}
			if ok && !s.Deliver(scanner.Scan{Data: data, At: at}) {
				s.Finish(nil)
				return
			}
		}
		if want := f.pending(); want != armed {
			t := time.Duration(forever)
			if want {
				t = s.cfg.Timeout
			}
			if s.port.SetReadTimeout(t) == nil {
				armed = want
			}
		}
	}
}

// framer finds the terminators in the byte stream and feeds the rest to a line assembler.
type framer struct {
	term  string // "" means any of CR, LF, CRLF
	match int    // bytes of term matched so far
	asm   line.Assembler
}

// push takes one byte and reports whether it completed a line (the caller then ends asm).
func (f *framer) push(c byte) bool {
	if f.term == "" {
		if c == '\r' || c == '\n' {
			return true // an empty line (the LF of CRLF) ends nothing and is ignored by End
		}
		f.asm.Add(c)
		return false
	}
	if c == f.term[f.match] {
		if f.match++; f.match == len(f.term) {
			f.match = 0
			return true
		}
		return false
	}
	if f.match > 0 { // the bytes taken for a terminator were data after all
		for i := 0; i < f.match; i++ {
			f.data(f.term[i])
		}
		f.match = 0
		if c == f.term[0] {
			f.match = 1
			return len(f.term) == 1
		}
	}
	f.data(c)
	return false
}

func (f *framer) data(c byte) {
	if c != '\r' && c != '\n' {
		f.asm.Add(c)
	}
}

func (f *framer) pending() bool { return f.asm.Pending() || f.match > 0 }

func (f *framer) reset() { f.asm.Reset(); f.match = 0 }
