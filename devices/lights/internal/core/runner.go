package core

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stationd/stationd/devices/lights"
)

// Defaults of the Runner's periods.
const (
	DefaultBlink    = 250 * time.Millisecond // half period: 2 Hz blinking
	DefaultIdlePoll = 250 * time.Millisecond // with an interrupt line, the safety poll while idle
	edgeWait        = 100 * time.Millisecond // longest WaitForEdge call, bounds Run's exit
	eventBuffer     = 64
)

// RunnerConfig describes what a Runner drives.
type RunnerConfig struct {
	Name string
	Log  *slog.Logger

	// Outputs, when not nil, are blinked every Blink (half period; 0: DefaultBlink).
	Outputs *Outputs
	Blink   time.Duration

	// Inputs is the number of button inputs; Sample fills pressed[0:Inputs] with their levels
	// (true: pressed). An error from Sample ends Run with lights.ErrDisconnected.
	Inputs int
	Sample func(pressed []bool) error
	// Poll is the sampling period while any input is pressed or changing, and always when there
	// is no Edge.
	Poll time.Duration
	// Edge, when not nil, waits up to timeout for the device's interrupt line (periph's
	// gpio.PinIn.WaitForEdge). While no input is pressed the Runner then samples on each edge,
	// and every IdlePoll (0: DefaultIdlePoll) in case an edge was missed.
	Edge     func(timeout time.Duration) bool
	IdlePoll time.Duration

	Buttons lights.Buttons

	// Fault, when not nil, ends Run with the error received (simulators).
	Fault <-chan error
}

// Runner is a device's Run loop: it samples and debounces inputs, delivers presses on Events,
// and blinks outputs.
type Runner struct {
	cfg     RunnerConfig
	events  chan lights.Button
	started atomic.Bool

	mu     sync.Mutex // orders Inject against the closing of events
	closed bool
}

// NewRunner returns a Runner of cfg; Buttons are resolved here.
func NewRunner(cfg RunnerConfig) *Runner {
	cfg.Buttons = cfg.Buttons.Resolved()
	if cfg.Blink <= 0 {
		cfg.Blink = DefaultBlink
	}
	if cfg.IdlePoll <= 0 {
		cfg.IdlePoll = DefaultIdlePoll
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	r := &Runner{cfg: cfg}
	if cfg.Inputs > 0 {
		r.events = make(chan lights.Button, eventBuffer)
	}
	return r
}

// Events returns the press channel: nil without inputs.
func (r *Runner) Events() <-chan lights.Button {
	if r.events == nil {
		return nil
	}
	return r.events
}

// Inject delivers b as if it had been pressed (simulators). It fails when the buffer is full or
// the Runner has ended.
func (r *Runner) Inject(b lights.Button) error {
	if r.events == nil {
		return fmt.Errorf("%s: %w: the device has no inputs", r.cfg.Name, lights.ErrNotSupported)
	}
	if b.Input < 0 || b.Input >= r.cfg.Inputs {
		return fmt.Errorf("%s: input %d: %w: the device has inputs 0..%d", r.cfg.Name, b.Input, lights.ErrInvalid, r.cfg.Inputs-1)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return fmt.Errorf("%s: the device has stopped: open it again", r.cfg.Name)
	}
	select {
	case r.events <- b:
		return nil
	default:
		return fmt.Errorf("%s: %d presses waiting: nobody reads Events", r.cfg.Name, len(r.events))
	}
}

// Close closes Events when Run never ran, so that a reader does not wait for ever.
func (r *Runner) Close() {
	if r.started.CompareAndSwap(false, true) {
		r.closeEvents()
	}
}

func (r *Runner) closeEvents() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.closed && r.events != nil {
		close(r.events)
	}
	r.closed = true
}

// Run samples, debounces and blinks until ctx is done (nil) or the device fails. It closes
// Events when it returns, after its goroutines have ended.
func (r *Runner) Run(ctx context.Context) error {
	if !r.started.CompareAndSwap(false, true) {
		return fmt.Errorf("%s: Run called twice, or after Close: open the device again", r.cfg.Name)
	}
	defer r.closeEvents()
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	c := r.cfg

	// The interrupt line: one goroutine waits for edges and wakes the loop.
	wake := make(chan struct{}, 1)
	if c.Edge != nil && c.Inputs > 0 {
		wg.Go(func() {
			for ctx.Err() == nil {
				if c.Edge(edgeWait) {
					select {
					case wake <- struct{}{}:
					default:
					}
				}
			}
		})
	}

	var blink <-chan time.Time
	var resync <-chan struct{}
	var blinkTicker *time.Ticker
	if c.Outputs != nil && c.Outputs.Len() > 0 {
		blinkTicker = time.NewTicker(c.Blink)
		defer blinkTicker.Stop()
		blink, resync = blinkTicker.C, c.Outputs.Resync()
	}

	var poll <-chan time.Time
	var pollTimer *time.Timer
	var deb *Debouncer
	pressed := make([]bool, c.Inputs)
	var out []lights.Button
	if c.Inputs > 0 {
		deb = NewDebouncer(c.Inputs, c.Buttons)
		pollTimer = time.NewTimer(0) // first sample at once
		defer pollTimer.Stop()
		poll = pollTimer.C
	}
	sample := func() error {
		if err := c.Sample(pressed); err != nil {
			return fmt.Errorf("%s: read buttons: %w", c.Name, asDisconnected(err))
		}
		var err error
		out, err = deb.Update(time.Now(), pressed, out[:0])
		for _, b := range out {
			c.Log.Debug("button", "input", b.Input, "long", b.Long)
			select {
			case r.events <- b:
			case <-ctx.Done():
				return nil
			}
		}
		if err != nil {
			return fmt.Errorf("%s: %w", c.Name, err)
		}
		next := c.Poll
		if c.Edge != nil && deb.Idle() {
			next = c.IdlePoll
		}
		pollTimer.Reset(next) // Go 1.23+: Reset drops a value not yet received
		return nil
	}

	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-c.Fault:
			return fmt.Errorf("%s: %w", c.Name, err)
		case <-blink:
			if err := c.Outputs.Toggle(); err != nil {
				return fmt.Errorf("%s: blink: %w", c.Name, asDisconnected(err))
			}
		case <-resync:
			blinkTicker.Reset(c.Blink)
		case <-wake:
			if err := sample(); err != nil {
				return err
			}
		case <-poll:
			if err := sample(); err != nil {
				return err
			}
		}
	}
}

// asDisconnected wraps an I/O error with lights.ErrDisconnected and what to check, unless it
// already says what it is.
func asDisconnected(err error) error {
	if errors.Is(err, lights.ErrDisconnected) || errors.Is(err, lights.ErrInvalid) {
		return err
	}
	return fmt.Errorf("%w: %w: check the device's cable, bus wiring and power", lights.ErrDisconnected, err)
}
