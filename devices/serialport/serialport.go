// Package serialport opens the serial ports that scanners, scales and printers hang on, with the
// line settings of a device entry, and turns the operating system's refusals into one line a
// technician can act on ("add the stationd user to the dialout group").
//
// It is the only package that imports go.bug.st/serial. Drivers get the returned Port as an
// io.ReadWriter and never close it: the agent owns ports. Closing a Port unblocks a pending Read
// with an error, which is how a device runner is stopped.
package serialport

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"syscall"
	"time"

	"go.bug.st/serial"

	"github.com/stationd/stationd/devices"
)

// Port is an open serial port.
type Port interface {
	io.ReadWriteCloser
	// SetReadTimeout makes Read return (0, nil) after d without data; 0 or less waits forever.
	SetReadTimeout(d time.Duration) error
	// ResetInput discards bytes received but not read.
	ResetInput() error
}

// Config holds the line settings. The zero value of each field means its default.
type Config struct {
	Baud     int    // default 9600
	DataBits int    // 5..8, default 8
	Parity   string // none (default), even, odd, mark, space
	StopBits string // "1" (default), "1.5", "2"
}

// Rates are the baud rates a device entry may name.
var Rates = []int{1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200}

// Options are the keys every serial driver accepts beyond port and baud.
var Options = []devices.Option{
	{Key: "data_bits", Type: "int", Default: "8", Doc: "data bits per character: 7 or 8 (5 and 6 for old devices)"},
	{Key: "parity", Type: "string", Default: "none", Doc: "parity: none, even, odd, mark or space"},
	{Key: "stop_bits", Type: "string", Default: "1", Doc: "stop bits: 1, 1.5 or 2"},
}

// FromSpec reads the line settings of a device entry, with its defaults.
func FromSpec(s devices.Spec) Config {
	c := Config{
		Baud:     s.Baud,
		DataBits: s.IntOpt("data_bits", 8),
		Parity:   s.StringOpt("parity", "none"),
		StopBits: s.StringOpt("stop_bits", "1"),
	}
	if v, ok := s.Options["stop_bits"]; ok {
		switch v := v.(type) {
		case int:
			c.StopBits = fmt.Sprint(v)
		case float64:
			c.StopBits = fmt.Sprint(v)
		}
	}
	if c.Baud == 0 {
		c.Baud = 9600
	}
	return c
}

// Validate checks a device entry's line settings without opening anything.
func Validate(s devices.Spec) []devices.FieldError {
	var errs []devices.FieldError
	c := FromSpec(s)
	if s.Baud != 0 && !validRate(s.Baud) {
		errs = append(errs, devices.FieldError{Key: "baud", Msg: "must be one of " + joinInts(Rates)})
	}
	if c.DataBits < 5 || c.DataBits > 8 {
		errs = append(errs, devices.FieldError{Key: "data_bits", Msg: "must be 5, 6, 7 or 8"})
	}
	if _, err := parity(c.Parity); err != nil {
		errs = append(errs, devices.FieldError{Key: "parity", Msg: err.Error()})
	}
	if _, err := stopBits(c.StopBits); err != nil {
		errs = append(errs, devices.FieldError{Key: "stop_bits", Msg: err.Error()})
	}
	return errs
}

// Open opens the serial port at path with c. Errors name the port and say what to do.
func Open(path string, c Config) (Port, error) {
	if c.Baud == 0 {
		c.Baud = 9600
	}
	if c.DataBits == 0 {
		c.DataBits = 8
	}
	p, err := parity(c.Parity)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	sb, err := stopBits(c.StopBits)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	sp, err := serial.Open(path, &serial.Mode{BaudRate: c.Baud, DataBits: c.DataBits, Parity: p, StopBits: sb})
	if err != nil {
		return nil, Explain(path, err)
	}
	return port{sp}, nil
}

type port struct{ serial.Port }

func (p port) ResetInput() error { return p.Port.ResetInputBuffer() }

// SetReadTimeout maps d <= 0 to go.bug.st/serial's NoTimeout (wait forever); its own 0 would
// make Read return at once.
func (p port) SetReadTimeout(d time.Duration) error {
	if d <= 0 {
		d = serial.NoTimeout
	}
	return p.Port.SetReadTimeout(d)
}

// ErrNotFound, ErrPermission and ErrBusy classify Open failures (errors.Is).
var (
	ErrNotFound   = errors.New("port not found")
	ErrPermission = errors.New("permission denied")
	ErrBusy       = errors.New("port busy")
	ErrClosed     = errors.New("port closed")
)

// Explain wraps an error from opening or using the serial port at path with a hint a technician
// can act on. It is the one place where operating-system and go.bug.st/serial errors become advice.
func Explain(path string, err error) error {
	var pe *serial.PortError
	if errors.As(err, &pe) {
		switch pe.Code() {
		case serial.PermissionDenied:
			return fmt.Errorf("%s: open: %w: add the stationd user to the dialout group (or install the udev rule from scripts/)", path, ErrPermission)
		case serial.PortBusy:
			return fmt.Errorf("%s: open: %w: another program holds it (stop ModemManager or the other stationd)", path, ErrBusy)
		case serial.PortNotFound:
			return fmt.Errorf("%s: open: %w: check the cable and the path (ls /dev/serial/by-id/)", path, ErrNotFound)
		case serial.InvalidSpeed:
			return fmt.Errorf("%s: baud rate not supported by this adapter: use one of %s: %w", path, joinInts(Rates), err)
		case serial.InvalidSerialPort:
			return fmt.Errorf("%s: not a serial port: check the device path: %w", path, err)
		case serial.PortClosed:
			return fmt.Errorf("%s: %w (device unplugged or stopped)", path, ErrClosed)
		}
	}
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOENT), errors.Is(err, syscall.ENODEV), errors.Is(err, syscall.ENXIO):
		return fmt.Errorf("%s: open: %w: check the cable and the path (ls /dev/serial/by-id/)", path, ErrNotFound)
	case errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EACCES):
		return fmt.Errorf("%s: open: %w: add the stationd user to the dialout group (or install the udev rule from scripts/)", path, ErrPermission)
	case errors.Is(err, syscall.EIO):
		return fmt.Errorf("%s: %w (input/output error: device unplugged)", path, ErrClosed)
	}
	return fmt.Errorf("%s: %w", path, err)
}

// IsClosed reports whether err from Read or Write means the port is gone or was closed: the
// device was unplugged, or the agent closed it to stop a runner.
func IsClosed(err error) bool {
	var pe *serial.PortError
	if errors.As(err, &pe) && pe.Code() == serial.PortClosed {
		return true
	}
	return errors.Is(err, ErrClosed) || errors.Is(err, syscall.EIO) || errors.Is(err, syscall.EBADF) ||
		errors.Is(err, syscall.ENXIO) || errors.Is(err, syscall.ENODEV) || errors.Is(err, fs.ErrClosed)
}

func parity(s string) (serial.Parity, error) {
	switch strings.ToLower(s) {
	case "", "none", "n":
		return serial.NoParity, nil
	case "even", "e":
		return serial.EvenParity, nil
	case "odd", "o":
		return serial.OddParity, nil
	case "mark", "m":
		return serial.MarkParity, nil
	case "space", "s":
		return serial.SpaceParity, nil
	}
	return 0, fmt.Errorf("parity %q: must be one of none, even, odd, mark, space", s)
}

func stopBits(s string) (serial.StopBits, error) {
	switch s {
	case "", "1":
		return serial.OneStopBit, nil
	case "1.5":
		return serial.OnePointFiveStopBits, nil
	case "2":
		return serial.TwoStopBits, nil
	}
	return 0, fmt.Errorf("stop bits %q: must be one of 1, 1.5, 2", s)
}

func validRate(b int) bool {
	for _, r := range Rates {
		if r == b {
			return true
		}
	}
	return false
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ", ")
}
