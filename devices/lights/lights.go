// Package lights defines what the pick-to-light and put-wall workflows drive: a Lights device with
// numbered outputs (LED channels or strip pixels), button inputs and quantity displays, the
// colours and states an output shows, the button presses it reports, and the registry of lights
// drivers by name.
//
// Drivers live in packages below this one (gpiolights, mcp23017, ht16k33, ws2812, and the
// simulator lightsim) and register themselves from init() with Register, which also records
// them in package devices so that configuration checking knows their options and their Capacity
// without touching hardware. The agent opens a device with Open, runs it with Run, and reads
// presses from Events.
//
// Outputs, inputs and displays are numbered from 0 on each device, as devices.Capacity counts
// them; the config's locations map a location id onto them. Mono devices light a channel for
// any colour but Off. Blinking is done by the driver's Run loop, so an output keeps blinking
// without the caller doing anything.
//
// Buttons are debounced in software (Buttons.Debounce, 20 ms by default). A press shorter than
// Buttons.LongPress (800 ms by default) is reported when the button is released; a longer one is
// reported as Long as soon as the threshold passes, and nothing more is reported for it. A button
// held for Buttons.Stuck (30 s) makes Run fail with ErrStuck, so that the agent reports a fault.
package lights

import (
	"context"
	"errors"
	"time"

	"github.com/stationd/stationd/devices"
)

// Errors that drivers return, wrapped with the device name and what to do. Test them with
// errors.Is.
var (
	// ErrInvalid: a target, display number, text or option the device cannot take. Nothing was
	// changed on the device.
	ErrInvalid = errors.New("invalid")
	// ErrNotSupported: the device has no such feature (Show on a device without displays).
	ErrNotSupported = errors.New("not supported by this device")
	// ErrDisconnected: the bus or the chip did not answer (I²C NACK, SPI or GPIO error). The
	// device should be closed and opened again.
	ErrDisconnected = errors.New("disconnected")
	// ErrStuck: a button has been held longer than Buttons.Stuck. Run returns it; the device is
	// otherwise fine, so the agent reports a fault rather than a disconnection.
	ErrStuck = errors.New("button stuck")
)

// StatusOf maps an error returned by Run or Open to the device.status state the agent reports:
// devices.StateDisconnected for ErrDisconnected, devices.StateOK for nil, devices.StateFault for
// anything else (a stuck button, a chip that answers nonsense).
func StatusOf(err error) string {
	switch {
	case err == nil:
		return devices.StateOK
	case errors.Is(err, ErrDisconnected):
		return devices.StateDisconnected
	}
	return devices.StateFault
}

// State is what one output shows.
type State struct {
	Color Color
	// Blink makes the output alternate between Color and off; all blinking outputs of a device
	// blink in phase, at the driver's blink_ms.
	Blink bool
}

// On says whether the state lights anything.
func (s State) On() bool { return s.Color != Off }

// Target is an inclusive range of outputs: one LED channel (First == Last) or the pixels of a
// strip that show one location.
type Target struct {
	First, Last int
}

// Channel returns the target of the single output n.
func Channel(n int) Target { return Target{n, n} }

// Len returns how many outputs the target covers (0 when Last < First).
func (t Target) Len() int {
	if t.Last < t.First {
		return 0
	}
	return t.Last - t.First + 1
}

// Button is one debounced press.
type Button struct {
	Input int  // the input, from 0
	Long  bool // held for at least Buttons.LongPress
	// At is when the press was decided: the release of a short press, the moment the threshold
	// passed for a long one.
	At time.Time
}

// Lights is an open lights device.
//
// Set, Show and Halt may be called from any goroutine, before, during and after Run. Run may be
// called once per opened device.
type Lights interface {
	// Set makes every output of t show s. It fails with ErrInvalid when t is outside the
	// device's outputs, and with ErrDisconnected when the device did not take the change.
	Set(t Target, s State) error
	// Show puts text (a quantity or a few characters) on a display, right-aligned; "" blanks it.
	// It fails with ErrNotSupported on devices without displays, and with ErrInvalid for a
	// display that does not exist or text the display cannot show (too long, unknown character).
	Show(display int, text string) error
	// Events delivers debounced presses. It is nil for a device without inputs, and closed when
	// Run returns (or by Close when Run never ran).
	Events() <-chan Button
	// Run polls inputs and blinks outputs until ctx is done (it then returns nil) or the device
	// fails (an error wrapping ErrDisconnected, ErrStuck or another fault). It returns only after
	// every goroutine it started has ended. It does not switch outputs off: Close does.
	Run(ctx context.Context) error
	// String names the device for logs: "shelf1 (mcp23017 I2C1 0x20,0x21)".
	String() string
	// Halt switches every output off and blanks every display; the device stays usable.
	Halt() error
	// Close halts the device and releases what Open acquired (bus, pins). Call it after Run has
	// returned. Further calls return nil.
	Close() error
}

// Buttons configures button handling for every driver: the config's pick.debounce and
// pick.long_press. The zero value of each field means its default.
type Buttons struct {
	// Debounce: a change of an input counts once the input has kept the new level this long.
	// Default 20ms; negative: no debouncing (for chips that debounce themselves).
	Debounce time.Duration
	// LongPress: a press held this long is a long press (a short pick). Default 800ms;
	// negative: every press is short.
	LongPress time.Duration
	// Stuck: a button held this long makes Run fail with ErrStuck. Default 30s; negative: never.
	Stuck time.Duration
}

// Defaults for Buttons.
const (
	DefaultDebounce  = 20 * time.Millisecond
	DefaultLongPress = 800 * time.Millisecond
	DefaultStuck     = 30 * time.Second
)

// Resolved returns b with zero fields set to their defaults and negative ones to 0 (off).
func (b Buttons) Resolved() Buttons {
	res := func(d, def time.Duration) time.Duration {
		switch {
		case d == 0:
			return def
		case d < 0:
			return 0
		}
		return d
	}
	return Buttons{
		Debounce:  res(b.Debounce, DefaultDebounce),
		LongPress: res(b.LongPress, DefaultLongPress),
		Stuck:     res(b.Stuck, DefaultStuck),
	}
}

// Env is what the agent hands a lights driver when it opens a device: the common devices.Env
// (logger, simulator hook) and the button timing from the config's pick section.
type Env struct {
	devices.Env
	Buttons Buttons
}
