// Package core holds what every lights driver shares, so that each driver is only the bytes of
// its chip: the wanted state of each output and software blinking (Outputs), button debouncing
// and long-press detection (Debouncer), the Run loop that polls inputs and blinks (Runner), and a
// Device that assembles them into a lights.Lights.
package core

import (
	"fmt"
	"sync"

	"github.com/stationd/stationd/devices/lights"
)

// Flush writes what the outputs show now: colors[i] is output i's colour at this blink phase
// (Off for an output that is off or in the dark half of a blink). A driver keeps a shadow of what
// it last wrote and writes only what changed; it updates the shadow only when the write
// succeeded, so that a failed write is retried by the next flush.
type Flush func(colors []lights.Color) error

// Outputs keeps the wanted state of a device's outputs and writes them through a Flush, under
// one lock that also serialises the driver's other writes (displays) through Update.
type Outputs struct {
	mu      sync.Mutex
	name    string
	want    []lights.State
	visible []lights.Color
	dark    bool // blink phase: blinking outputs are off
	flush   Flush
	resync  chan struct{}
}

// NewOutputs returns n outputs, all off, written through flush. It writes nothing: call Refresh
// to write the initial all-off state.
func NewOutputs(name string, n int, flush Flush) *Outputs {
	return &Outputs{
		name:    name,
		want:    make([]lights.State, n),
		visible: make([]lights.Color, n),
		flush:   flush,
		resync:  make(chan struct{}, 1),
	}
}

// Len returns the number of outputs.
func (o *Outputs) Len() int { return len(o.want) }

// Set makes every output of t show s and writes the result.
func (o *Outputs) Set(t lights.Target, s lights.State) error {
	if t.First < 0 || t.Last < t.First || t.Last >= len(o.want) {
		return fmt.Errorf("%s: outputs %d..%d: %w target: %s", o.name, t.First, t.Last, lights.ErrInvalid, o.rangeText())
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := t.First; i <= t.Last; i++ {
		o.want[i] = s
	}
	if s.Blink && s.On() {
		// A new blinking output starts lit, so that it shows at once; the others re-sync
		// with it and the Runner restarts its blink period.
		o.dark = false
		select {
		case o.resync <- struct{}{}:
		default:
		}
	}
	return o.write()
}

func (o *Outputs) rangeText() string {
	if len(o.want) == 0 {
		return "the device has no outputs"
	}
	return fmt.Sprintf("the device has outputs 0..%d", len(o.want)-1)
}

// State returns the wanted state of output i (the zero State when out of range).
func (o *Outputs) State(i int) lights.State {
	o.mu.Lock()
	defer o.mu.Unlock()
	if i < 0 || i >= len(o.want) {
		return lights.State{}
	}
	return o.want[i]
}

// Toggle flips the blink phase and writes the outputs when any of them blinks.
func (o *Outputs) Toggle() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.dark = !o.dark
	for _, s := range o.want {
		if s.Blink && s.On() {
			return o.write()
		}
	}
	return nil
}

// Clear switches every output off without writing; use it inside Update.
func (o *Outputs) Clear() {
	clear(o.want)
}

// Halt switches every output off and writes.
func (o *Outputs) Halt() error {
	return o.Update(o.Clear)
}

// Refresh writes the current state.
func (o *Outputs) Refresh() error {
	return o.Update(func() {})
}

// Update runs fn and then writes, both under the outputs' lock: drivers change their display
// state in fn so that their Flush sees it.
func (o *Outputs) Update(fn func()) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	fn()
	return o.write()
}

// Resync delivers a value when a blinking output was just set: the Runner restarts its blink
// period so that the first lit half is whole.
func (o *Outputs) Resync() <-chan struct{} { return o.resync }

// write renders the visible colours and flushes them; o.mu is held.
func (o *Outputs) write() error {
	for i, s := range o.want {
		c := s.Color
		if s.Blink && o.dark {
			c = lights.Off
		}
		o.visible[i] = c
	}
	return o.flush(o.visible)
}
