// Package scanner defines what the station takes from a barcode scanner, whatever its interface:
// a Scanner that delivers one Scan per barcode read, and the registry of scanner drivers.
//
// Drivers live in subpackages and register themselves from init(): serialscan ("serial": USB
// CDC-ACM or RS-232 scanners through devices/serialport), evdev ("evdev": USB HID keyboard-wedge
// scanners through the Linux input layer) and scannersim ("sim": scripted scans for the demo and
// tests). A Scan carries the bytes between terminators as the scanner sent them, AIM symbology
// identifier included; package barcode decodes them (symbology, GTIN, GS1 element strings), and
// packages aim, gs1 and gtin hold the pure decoders it uses.
//
// Hot-plug: when the device goes away (USB cable pulled), Read returns an error wrapping
// ErrDisconnected. The owner then Closes the Scanner, reports the device disconnected and calls
// Open again with backoff until it succeeds; nothing else needs restarting.
package scanner

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/stationd/stationd/devices"
)

// Scan is one barcode read.
type Scan struct {
	// Data is the bytes between terminators with the configured prefix and suffix stripped:
	// the AIM identifier is still at the front when the scanner sent one, and GS (FNC1) is kept
	// as the character 0x1D. From the serial and evdev drivers it is valid UTF-8 without control
	// characters other than GS, RS (0x1E), EOT (0x04) and TAB; the simulator passes on what it
	// is fed.
	Data string
	// At is when the terminator was read.
	At time.Time
}

// Scanner is an open barcode scanner. Read is called from one goroutine at a time; Close may
// be called from any goroutine, also while Read waits.
type Scanner interface {
	// Read returns the next complete scan. It returns ctx.Err() when ctx ends first, and an
	// error wrapping ErrDisconnected when the device went away: the caller then Closes the
	// Scanner and opens it again (with backoff) until Open succeeds.
	Read(ctx context.Context) (Scan, error)
	// String names the device for logs: "scanner1 (/dev/ttyACM0)".
	String() string
	// Halt discards what the device sent but Read has not returned yet (a partial line, scans
	// not read): the scanner goes back to an idle state. A scanner has no output to switch off.
	Halt() error
	// Close releases what Open acquired (port, device node, goroutines) and makes a pending
	// Read return. Read after Close returns an error wrapping ErrClosed.
	Close() error
}

var (
	// ErrDisconnected is wrapped by Read's error when the device went away (unplugged, powered
	// off): reopen it.
	ErrDisconnected = errors.New("scanner disconnected")
	// ErrClosed is wrapped by Read's error after Close.
	ErrClosed = errors.New("scanner closed")
)

// Driver is a scanner driver as it registers itself.
type Driver struct {
	Doc string // one line for the README's driver list
	// Port says whether a device entry needs a port (serial port or device node).
	Port bool
	// Options lists the driver's keys beyond name, kind, driver, port and baud, with defaults.
	Options []devices.Option
	// Validate checks an entry quickly without touching hardware (nil: no extra checks).
	Validate func(devices.Spec) []devices.FieldError
	// Open opens the device of s. env.Log is the device's logger; a simulator passes itself to
	// env.Attach.
	Open func(ctx context.Context, s devices.Spec, env devices.Env) (Scanner, error)
}

var (
	mu      sync.Mutex
	drivers = map[string]Driver{}
)

// Register makes a driver known by name, to Open and to configuration checking (through
// devices.Register). It is called from the driver package's init(); a duplicate name panics.
func Register(name string, d Driver) {
	if d.Open == nil {
		panic(fmt.Sprintf("scanner: driver %q registered without Open", name))
	}
	devices.Register(devices.Driver{Kind: devices.KindScanner, Name: name, Doc: d.Doc, Port: d.Port,
		Options: d.Options, Validate: d.Validate})
	mu.Lock()
	defer mu.Unlock()
	drivers[name] = d
}

// Lookup returns the driver registered as name.
func Lookup(name string) (Driver, bool) {
	mu.Lock()
	defer mu.Unlock()
	d, ok := drivers[name]
	return d, ok
}

// Open opens the scanner of a device entry with the driver it names.
func Open(ctx context.Context, s devices.Spec, env devices.Env) (Scanner, error) {
	d, ok := Lookup(s.Driver)
	if !ok {
		return nil, fmt.Errorf("%s: unknown scanner driver %q: use one of %s (and check that the binary includes it)",
			s.Where(), s.Driver, strings.Join(devices.Names(devices.KindScanner), ", "))
	}
	return d.Open(ctx, s, env)
}
