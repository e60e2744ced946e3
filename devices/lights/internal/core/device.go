package core

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/stationd/stationd/devices/lights"
)

// Device assembles Outputs and a Runner into a lights.Lights. Drivers embed it and fill the
// hooks they need.
type Device struct {
	Desc string // String(): "shelf1 (mcp23017 I2C1 0x20,0x21)"
	Out  *Outputs
	Loop *Runner
	// ShowText, when not nil, implements Show; it runs its writes through Out.Update.
	ShowText func(display int, text string) error
	// ClearDisplays, when not nil, blanks the displays' state; Halt calls it under the
	// outputs' lock before writing.
	ClearDisplays func()
	// Release, when not nil, is called by Close after Halt: it puts the chip to sleep and
	// closes what Open acquired.
	Release func() error

	closed atomic.Bool
}

var _ lights.Lights = (*Device)(nil)

// Set implements lights.Lights.
func (d *Device) Set(t lights.Target, s lights.State) error {
	if err := d.Out.Set(t, s); err != nil {
		return d.ioErr(err)
	}
	return nil
}

// Show implements lights.Lights.
func (d *Device) Show(display int, text string) error {
	if d.ShowText == nil {
		return fmt.Errorf("%s: show %q: %w: the device has no display", d.Desc, text, lights.ErrNotSupported)
	}
	if err := d.ShowText(display, text); err != nil {
		return d.ioErr(err)
	}
	return nil
}

// Events implements lights.Lights.
func (d *Device) Events() <-chan lights.Button { return d.Loop.Events() }

// Run implements lights.Lights.
func (d *Device) Run(ctx context.Context) error { return d.Loop.Run(ctx) }

// String implements lights.Lights.
func (d *Device) String() string { return d.Desc }

// Halt implements lights.Lights.
func (d *Device) Halt() error {
	err := d.Out.Update(func() {
		d.Out.Clear()
		if d.ClearDisplays != nil {
			d.ClearDisplays()
		}
	})
	if err != nil {
		return d.ioErr(fmt.Errorf("halt: %w", err))
	}
	return nil
}

// Close implements lights.Lights.
func (d *Device) Close() error {
	if !d.closed.CompareAndSwap(false, true) {
		return nil
	}
	d.Loop.Close()
	err := d.Halt()
	if d.Release != nil {
		if rerr := d.Release(); rerr != nil {
			err = errors.Join(err, fmt.Errorf("%s: close: %w", d.Desc, rerr))
		}
	}
	return err
}

// ioErr names the device in err, and marks errors that are neither the caller's
// (ErrInvalid, ErrNotSupported) nor already classified as a disconnection.
func (d *Device) ioErr(err error) error {
	if errors.Is(err, lights.ErrInvalid) || errors.Is(err, lights.ErrNotSupported) {
		return err // already names the device
	}
	return fmt.Errorf("%s: %w", d.Desc, asDisconnected(err))
}
