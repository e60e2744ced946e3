// Package hidpos reads USB HID point-of-sale scales (usage page 0x8D: Dymo M10/M25, Stamps.com
// and similar postal scales) from the Linux hidraw device node, by hand (no HID library), and
// registers the scale driver "hid-pos".
//
// Each read(2) on /dev/hidrawN returns one input report, its report ID first. The scale data
// report is 6 bytes: ID 3, status, unit, signed base-10 exponent, weight LSB, weight MSB
// (HID POS usage tables 1.02, "Usage Page Scale (0x8D)": Weight Unit usages 0x51-0x5C and Scale
// Status usages 0x71-0x78; byte layout from usbscale and the Dymo M10/M25 notes). Reports with
// another ID are ignored.
//
// Many of these scales send a report only when something changes, so Read returns the newest
// report received, waiting (up to timeout_ms) only for the first one after opening: an unchanged
// weight is read again from the last report. The driver sends nothing, so Zero and Tare return
// ErrNotSupported (use the scale's own buttons). Unplugging the scale removes the device node
// and ends reads with an error: ErrDisconnected.
//
// Host side: the stationd user needs read access to the node, e.g. a udev rule
// SUBSYSTEM=="hidraw", ATTRS{idVendor}=="0922", MODE="0660", GROUP="stationd", SYMLINK+="scale"
// (0922 is Dymo's vendor id), and the entry's port should be the stable symlink (/dev/scale):
// the N of /dev/hidrawN changes when devices are plugged in another order. Scale side: nothing;
// switch off auto power-off if the scale has it.
package hidpos

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/stationd/stationd/devices"
	"github.com/stationd/stationd/devices/scale"
	"github.com/stationd/stationd/devices/scale/internal/link"
	"github.com/stationd/stationd/protocol/units"
)

// DefaultTimeout is the wait for the first report after opening.
const DefaultTimeout = time.Second

// Options configure a Scale.
type Options struct {
	Name    string        // names the scale in errors: "scale1 (/dev/hidraw0)"
	Timeout time.Duration // wait for the first report; default 1 s
}

// Scale is a HID POS scale. It is safe for concurrent use.
type Scale struct {
	o      Options
	r      io.Reader
	closer io.Closer

	mu     sync.Mutex
	last   []byte // newest scale data report
	rerr   error
	closed bool
	wake   chan struct{} // closed and replaced when a report or an error arrives
	done   chan struct{}
}

// New returns a Scale reading reports from r, one report per Read of r (hidraw semantics). It
// starts a goroutine reading r, which ends when r's Read fails: the owner of r closes it. Close
// does not close r.
func New(r io.Reader, o Options) *Scale { return newScale(r, nil, o) }

func newScale(r io.Reader, closer io.Closer, o Options) *Scale {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Name == "" {
		o.Name = "hid-pos"
	}
	s := &Scale{o: o, r: r, closer: closer, wake: make(chan struct{}), done: make(chan struct{})}
	go s.read()
	return s
}

func (s *Scale) read() {
	defer close(s.done)
	buf := make([]byte, 64) // larger than any scale report; hidraw truncates longer ones
	for {
		n, err := s.r.Read(buf)
		s.mu.Lock()
		if n > 0 && buf[0] == ReportID {
			s.last = append(s.last[:0], buf[:n]...)
			s.signal()
		}
		if err == nil && n == 0 {
			err = io.ErrUnexpectedEOF // a hidraw read never returns nothing: treat as gone
		}
		if err != nil {
			s.rerr = err
			s.signal()
		}
		s.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// signal wakes waiting Reads; s.mu is held.
func (s *Scale) signal() {
	close(s.wake)
	s.wake = make(chan struct{})
}

func (s *Scale) String() string { return s.o.Name }

// Read returns the weight of the newest report.
func (s *Scale) Read(ctx context.Context) (scale.Reading, error) {
	if err := ctx.Err(); err != nil {
		return scale.Reading{}, fmt.Errorf("%s: %w", s.o.Name, err)
	}
	timer := time.NewTimer(s.o.Timeout)
	defer timer.Stop()
	s.mu.Lock()
	for {
		switch {
		case s.closed:
			s.mu.Unlock()
			return scale.Reading{}, &scale.Error{Code: scale.CodeClosed, Device: s.o.Name, Detail: "the scale was closed"}
		case s.rerr != nil:
			err := s.rerr
			s.mu.Unlock()
			return scale.Reading{}, link.ScaleError(&link.GoneError{Err: err}, s.o.Name, "", 0, 0)
		case s.last != nil:
			rep, err := ParseReport(s.last)
			s.mu.Unlock()
			if err != nil {
				return scale.Reading{}, scale.WithDevice(err, s.o.Name)
			}
			return scale.Reading{Mass: rep.Mass, Stable: rep.Stable}, nil
		}
		wake := s.wake
		s.mu.Unlock()
		select {
		case <-wake:
		case <-timer.C:
			return scale.Reading{}, scale.NewError(s.o.Name, scale.CodeTimeout, fmt.Sprintf("no report within %v of opening", s.o.Timeout))
		case <-ctx.Done():
			return scale.Reading{}, fmt.Errorf("%s: %w", s.o.Name, ctx.Err())
		}
		s.mu.Lock()
	}
}

// Zero returns ErrNotSupported: the driver only reads.
func (s *Scale) Zero(context.Context) error {
	return scale.NewError(s.o.Name, scale.CodeNotSupported, "HID POS scales are zeroed with their own button")
}

// Tare returns ErrNotSupported: the driver only reads.
func (s *Scale) Tare(context.Context) error {
	return scale.NewError(s.o.Name, scale.CodeNotSupported, "HID POS scales are tared with their own button")
}

// Halt does nothing: the driver sends nothing.
func (s *Scale) Halt() error { return nil }

// Close releases the device node if the Scale opened it, unblocks a pending Read with ErrClosed
// and waits for the reading goroutine.
func (s *Scale) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.signal()
	s.mu.Unlock()
	if s.closer == nil {
		return nil
	}
	err := s.closer.Close()
	<-s.done
	return err
}

// Open opens the hidraw node at path for reading.
func Open(path string, o Options) (*Scale, error) {
	f, err := os.OpenFile(path, os.O_RDONLY, 0)
	if err != nil {
		return nil, explain(path, err)
	}
	return newScale(f, f, o), nil
}

func explain(path string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENODEV), errors.Is(err, syscall.ENXIO):
		return fmt.Errorf("%s: open: not found: check the USB cable and that the scale is on (ls -l /dev/hidraw* /dev/scale): %w", path, err)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%s: open: permission denied: install a udev rule giving the stationd user read access to the scale's hidraw node: %w", path, err)
	}
	return fmt.Errorf("%s: open: %w", path, err)
}

// Registration.

func init() {
	scale.Register("hid-pos", scale.Driver{
		Doc:     "USB HID point-of-sale scales (usage page 0x8D: Dymo M10/M25, Stamps.com) read from /dev/hidrawN",
		Port:    true,
		Options: []devices.Option{link.TimeoutOption(DefaultTimeout, "the first report after opening")},
		Validate: func(s devices.Spec) []devices.FieldError {
			return link.IntRange(s, link.TimeoutKey, 10, 60000)
		},
		Open: func(_ context.Context, s devices.Spec, env devices.Env) (scale.Scale, error) {
			sc, err := Open(s.Port, Options{Name: s.Where(), Timeout: link.Timeout(s, DefaultTimeout)})
			if err != nil {
				return nil, fmt.Errorf("%s: %w", s.Name, err)
			}
			env.Logger().Debug("scale opened", "device", s.Where(), "protocol", "hid-pos")
			return sc, nil
		},
		Defaults: scale.Defaults{
			Poll:       100 * time.Millisecond,
			Stability:  scale.Stability{Count: 3, Delta: 2 * units.Gram, Window: 300 * time.Millisecond},
			FaultAfter: 2,
		},
	})
}
