// Package scaletest helps test code that uses scales and the scale drivers themselves: Fake is a
// Scale whose readings a test sets (for the Monitor and the pack workflow, inside a
// testing/synctest bubble), PTY and Serve put a simulated serial scale on a real
// pseudo-terminal, and Run is the conformance suite every driver runs against its simulator.
package scaletest

import (
	"context"
	"sync"

	"github.com/stationd/stationd/devices/scale"
	"github.com/stationd/stationd/protocol/units"
)

// Fake is a scale.Scale whose Read returns what the test set last: a reading, an error, or
// nothing (Hang: Read blocks until ctx ends, Close, or the next Set or Fail). It never touches
// a port or a timer, so it is durably blocking inside a synctest bubble. Fake is safe for
// concurrent use.
type Fake struct {
	// ZeroErr and TareErr are what Zero and Tare return; set them before use.
	ZeroErr, TareErr error

	name   string
	mu     sync.Mutex
	r      scale.Reading
	err    error
	hang   bool
	closed bool
	change chan struct{} // closed and replaced on every change
	reads  int
	zeros  int
	tares  int
}

// NewFake returns a Fake named name reading 0 g, stable.
func NewFake(name string) *Fake {
	return &Fake{name: name, r: scale.Reading{Stable: true}, change: make(chan struct{})}
}

func (f *Fake) changed() {
	close(f.change)
	f.change = make(chan struct{})
}

// Set makes Read return m with the scale's stable flag.
func (f *Fake) Set(m units.Mass, stable bool) { f.SetReading(scale.Reading{Mass: m, Stable: stable}) }

// SetReading makes Read return r.
func (f *Fake) SetReading(r scale.Reading) {
	f.mu.Lock()
	f.r, f.err, f.hang = r, nil, false
	f.changed()
	f.mu.Unlock()
}

// Fail makes Read return err.
func (f *Fake) Fail(err error) {
	f.mu.Lock()
	f.err, f.hang = err, false
	f.changed()
	f.mu.Unlock()
}

// Hang makes Read block: a scale that does not answer.
func (f *Fake) Hang() {
	f.mu.Lock()
	f.hang = true
	f.changed()
	f.mu.Unlock()
}

// Reads, Zeros and Tares count the calls.
func (f *Fake) Reads() int { f.mu.Lock(); defer f.mu.Unlock(); return f.reads }

// Zeros counts Zero calls.
func (f *Fake) Zeros() int { f.mu.Lock(); defer f.mu.Unlock(); return f.zeros }

// Tares counts Tare calls.
func (f *Fake) Tares() int { f.mu.Lock(); defer f.mu.Unlock(); return f.tares }

// Read implements scale.Scale.
func (f *Fake) Read(ctx context.Context) (scale.Reading, error) {
	f.mu.Lock()
	f.reads++
	for {
		if f.closed {
			f.mu.Unlock()
			return scale.Reading{}, &scale.Error{Code: scale.CodeClosed, Device: f.name}
		}
		if err := ctx.Err(); err != nil {
			f.mu.Unlock()
			return scale.Reading{}, err
		}
		if !f.hang {
			break
		}
		ch := f.change
		f.mu.Unlock()
		select {
		case <-ctx.Done():
		case <-ch:
		}
		f.mu.Lock()
	}
	r, err := f.r, f.err
	f.mu.Unlock()
	if err != nil {
		return scale.Reading{}, err
	}
	return r, nil
}

// Zero implements scale.Scale.
func (f *Fake) Zero(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.zeros++
	return f.ZeroErr
}

// Tare implements scale.Scale.
func (f *Fake) Tare(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tares++
	return f.TareErr
}

func (f *Fake) String() string { return f.name }

// Halt implements scale.Scale.
func (f *Fake) Halt() error { return nil }

// Close makes pending and later Reads return ErrClosed.
func (f *Fake) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.closed {
		f.closed = true
		f.changed()
	}
	return nil
}
