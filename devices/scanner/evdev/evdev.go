// Package evdev is the "evdev" scanner driver: USB HID scanners in keyboard-wedge mode, read
// through the Linux input layer (/dev/input/eventN) without any library. The device is grabbed
// (EVIOCGRAB) so that scans do not also reach the console or a login prompt, and its key events
// are turned back into characters with the keyboard layout the scanner was set up for.
//
// Name the device by its stable path, /dev/input/by-id/usb-<vendor>_<model>-event-kbd, so that it
// survives re-plugging; the stationd user needs read access (the input group, or the udev rule
// in scripts/).
//
// Decoding (linux/input.h, Documentation/input/input.rst): struct input_event records of 24
// bytes where a C long is 64 bits and 16 bytes where it is 32 bits (armv6/armv7, including 32-bit
// programs on a 64-bit kernel), chosen from GOARCH or the record_size option. EV_KEY events drive
// a keyboard state: Shift, Caps Lock, AltGr, the French dead keys ^ and ¨, Ctrl + key for control
// characters (Ctrl+] is GS), and Alt + keypad digits for a character by its decimal code (Alt 029
// is GS). Enter or keypad Enter ends a scan (or Tab, by option). Keyboard wedges cannot send
// FNC1 as such: program the scanner to send GS as Ctrl+] or Alt+029, which are always understood,
// or as a stand-in string named by the gs option. Autorepeat events are ignored. Keypad digits
// are read as digits whatever the Num Lock state.
//
// A scan typed with a key that has no character in the layout, a scan over 4 KiB, one that is not
// text, or a partial scan left without Enter for the timeout is dropped with one log line. When
// the scanner is unplugged, read(2) fails with ENODEV and Read returns ErrDisconnected.
//
// Device entry keys beyond port:
//
//	layout       us | fr (French AZERTY)                        default us
//	gs           characters the scanner sends for GS (FNC1),    default "" (none)
//	             replaced by 0x1D, e.g. "^]" or "{GS}"
//	terminator   enter | tab | any (Enter or Tab)               default enter
//	timeout      partial-scan timeout, 10ms to 10s              default 500ms
//	record_size  auto | 16 | 24 (bytes per input_event)         default auto
//	grab         take the device for stationd alone             default true
package evdev

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/stationd/stationd/devices"
	"github.com/stationd/stationd/devices/scanner"
	"github.com/stationd/stationd/devices/scanner/internal/line"
	"github.com/stationd/stationd/devices/scanner/internal/pump"
)

// Defaults of the device entry keys.
const (
	DefaultLayout  = "us"
	DefaultTimeout = 500 * time.Millisecond
)

// Options are the keys of an evdev scanner entry beyond port.
var Options = []devices.Option{
	{Key: "layout", Type: "string", Default: DefaultLayout, Doc: "keyboard layout the scanner types in: us or fr (French AZERTY)"},
	{Key: "gs", Type: "string", Default: "", Doc: "characters the scanner sends in place of GS (FNC1), turned back into GS; Ctrl+] and Alt+029 always are"},
	{Key: "terminator", Type: "string", Default: "enter", Doc: "key that ends a scan: enter, tab or any (Enter or Tab)"},
	{Key: "timeout", Type: "duration", Default: "500ms", Doc: "a partial scan without terminator is dropped after this long without a key (10ms to 10s)"},
	{Key: "record_size", Type: "string", Default: "auto", Doc: "bytes per input event: auto (from the architecture), 16 (32-bit ARM) or 24 (64-bit)"},
	{Key: "grab", Type: "bool", Default: "true", Doc: "grab the device (EVIOCGRAB) so that scans do not reach the console"},
}

func init() {
	scanner.Register("evdev", scanner.Driver{
		Doc:      "USB HID keyboard-wedge scanner through the Linux input layer; port: /dev/input/by-id/...-event-kbd",
		Port:     true,
		Options:  Options,
		Validate: Validate,
		Open:     Open,
	})
}

// Config is the decoding of an evdev scanner entry.
type Config struct {
	Layout     *Layout
	GS         string
	Enter, Tab bool // which keys end a scan
	Timeout    time.Duration
	RecordSize int
	Grab       bool
}

// ConfigFromSpec reads the keys of s, with their defaults.
func ConfigFromSpec(s devices.Spec) (Config, []devices.FieldError) {
	var errs []devices.FieldError
	c := Config{Layout: US, GS: s.StringOpt("gs", ""), Enter: true, Timeout: DefaultTimeout, RecordSize: NativeSize, Grab: s.BoolOpt("grab", true)}
	if l, ok := Layouts[strings.ToLower(s.StringOpt("layout", DefaultLayout))]; ok {
		c.Layout = l
	} else {
		errs = append(errs, devices.FieldError{Key: "layout", Msg: "must be us or fr"})
	}
	switch strings.ToLower(s.StringOpt("terminator", "enter")) {
	case "enter":
	case "tab":
		c.Enter, c.Tab = false, true
	case "any":
		c.Tab = true
	default:
		errs = append(errs, devices.FieldError{Key: "terminator", Msg: "must be enter, tab or any"})
	}
	if len(c.GS) > 8 || strings.ContainsAny(c.GS, "\r\n") {
		errs = append(errs, devices.FieldError{Key: "gs", Msg: "at most 8 characters, no CR or LF"})
	}
	if v, ok := s.Options["timeout"]; ok {
		str, _ := v.(string)
		d, err := time.ParseDuration(str)
		if err != nil || d < 10*time.Millisecond || d > 10*time.Second {
			errs = append(errs, devices.FieldError{Key: "timeout", Msg: "must be a duration from 10ms to 10s, such as 500ms"})
		} else {
			c.Timeout = d
		}
	}
	switch v := s.Options["record_size"].(type) {
	case nil:
	case string:
		switch v {
		case "auto":
		case "16":
			c.RecordSize = Size32
		case "24":
			c.RecordSize = Size64
		default:
			errs = append(errs, devices.FieldError{Key: "record_size", Msg: "must be auto, 16 or 24"})
		}
	case int:
		if v != Size32 && v != Size64 {
			errs = append(errs, devices.FieldError{Key: "record_size", Msg: "must be auto, 16 or 24"})
		}
		c.RecordSize = v
	default:
		errs = append(errs, devices.FieldError{Key: "record_size", Msg: "must be auto, 16 or 24"})
	}
	return c, errs
}

// Validate checks an evdev scanner entry without opening anything.
func Validate(s devices.Spec) []devices.FieldError {
	_, errs := ConfigFromSpec(s)
	return errs
}

// Open opens and grabs the input device of s and starts reading scans from it.
func Open(ctx context.Context, s devices.Spec, env devices.Env) (scanner.Scanner, error) {
	cfg, errs := ConfigFromSpec(s)
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s: %v", s.Where(), errs[0])
	}
	if s.Port == "" {
		return nil, fmt.Errorf("%s: no port: set port to the scanner's /dev/input/by-id/...-event-kbd path", s.Name)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, name, err := openDevice(s.Port, cfg.Grab)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.Where(), explain(err))
	}
	log := env.Logger()
	log.Info("scanner input device opened", "device", s.Where(), "name", name, "layout", cfg.Layout.Name, "record_size", cfg.RecordSize)
	return newScanner(f, s.Where(), cfg, log), nil
}

// explain adds what to do to an error from opening a device node.
func explain(err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENODEV), errors.Is(err, syscall.ENXIO):
		return fmt.Errorf("%w: check the cable and the path (ls -l /dev/input/by-id/, use the ...-event-kbd link)", err)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%w: add the stationd user to the input group (or install the udev rule from scripts/)", err)
	case errors.Is(err, syscall.EBUSY):
		return fmt.Errorf("%w: another program has grabbed the device (another stationd?)", err)
	}
	return err
}

// Scanner is an open evdev scanner.
type Scanner struct {
	*pump.Pump
	log *slog.Logger
	f   *os.File
	cfg Config
}

// newScanner starts reading events from f, which it owns from now on.
func newScanner(f *os.File, where string, cfg Config, log *slog.Logger) *Scanner {
	s := &Scanner{Pump: pump.New(where), log: log, f: f, cfg: cfg}
	go s.reader()
	return s
}

// Halt discards a partial scan and the scans not returned yet.
func (s *Scanner) Halt() error {
	s.Pump.Halt()
	return nil
}

// Close closes the device, which also ends the grab, and waits for the reader to end.
func (s *Scanner) Close() error { return s.Pump.Close(s.f.Close) }

func (s *Scanner) reader() {
	dec := Decoder{Size: s.cfg.RecordSize}
	f := framer{kb: keyboard{layout: s.cfg.Layout}, enter: s.cfg.Enter, tab: s.cfg.Tab, gs: s.cfg.GS}
	buf := make([]byte, 64*s.cfg.RecordSize)
	var evs []Event
	armed := false
	for {
		if want := f.pending(); want != armed || want {
			var dl time.Time
			if want {
				dl = time.Now().Add(s.cfg.Timeout)
			}
			if s.f.SetReadDeadline(dl) == nil {
				armed = want
			}
		}
		n, err := s.f.Read(buf)
		at := time.Now()
		if s.Halted() {
			f.reset()
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			if f.pending() {
				s.log.Warn("partial scan dropped: no Enter", "device", s.String(), "timeout", s.cfg.Timeout,
					"data", line.Quote(f.asm.Peek()), "hint", "check the scanner's suffix (Enter) and the terminator setting")
				f.reset()
			}
			continue
		}
		if err != nil { // ENODEV: unplugged; os.ErrClosed: Close
			s.Finish(err)
			return
		}
		evs = dec.Decode(evs[:0], buf[:n])
		for _, ev := range evs {
			data, done, err := f.event(ev)
			switch {
			case !done:
			case err != nil:
				s.log.Warn("scan dropped", "device", s.String(), "reason", err)
			case data != "":
				if !s.Deliver(scanner.Scan{Data: data, At: at}) {
					s.Finish(nil)
					return
				}
			}
		}
	}
}
