// Package fakepin is a fake periph gpio.PinIO for the lights drivers' tests, in the manner of
// periph.io/x/conn/v3/gpio/gpiotest (which this module cannot build: it needs
// github.com/jonboulle/clockwork). Edges travel through a channel and WaitForEdge waits with the
// time package, so that a goroutine waiting for an edge is durably blocked inside a
// testing/synctest bubble.
package fakepin

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/pin"
)

// Pin implements gpio.PinIO. Create it with New.
type Pin struct {
	name  string
	num   int
	edges chan struct{}

	mu     sync.Mutex
	level  gpio.Level
	pull   gpio.Pull
	edge   gpio.Edge
	output bool
	// Fail, when set, makes In and Out return it.
	fail error
}

// New returns an input pin at level Low. Create it inside the synctest bubble that uses it.
func New(name string, num int) *Pin {
	return &Pin{name: name, num: num, edges: make(chan struct{}, 1)}
}

// Drive sets the level seen by Read, as the outside world would. It signals an edge to
// WaitForEdge when the change matches the edge set by In.
func (p *Pin) Drive(l gpio.Level) {
	p.mu.Lock()
	changed := p.level != l
	p.level = l
	e := p.edge
	p.mu.Unlock()
	if !changed {
		return
	}
	if e == gpio.BothEdges || (e == gpio.RisingEdge && l == gpio.High) || (e == gpio.FallingEdge && l == gpio.Low) {
		select {
		case p.edges <- struct{}{}:
		default:
		}
	}
}

// Level returns the pin's level (what the driver wrote with Out, or what Drive set).
func (p *Pin) Level() gpio.Level {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.level
}

// IsOutput says whether the driver made the pin an output.
func (p *Pin) IsOutput() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.output
}

// PullSet returns the pull the driver asked for with In.
func (p *Pin) PullSet() gpio.Pull {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pull
}

// SetFail makes In and Out fail with err (nil: succeed again).
func (p *Pin) SetFail(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fail = err
}

// String implements conn.Resource.
func (p *Pin) String() string { return fmt.Sprintf("%s(%d)", p.name, p.num) }

// Halt implements conn.Resource.
func (p *Pin) Halt() error { return nil }

// Name implements pin.Pin.
func (p *Pin) Name() string { return p.name }

// Number implements pin.Pin.
func (p *Pin) Number() int { return p.num }

// Function implements pin.Pin.
func (p *Pin) Function() string { return string(p.Func()) }

// Func implements pin.PinFunc.
func (p *Pin) Func() pin.Func {
	if p.IsOutput() {
		return gpio.OUT
	}
	return gpio.IN
}

// SupportedFuncs implements pin.PinFunc.
func (p *Pin) SupportedFuncs() []pin.Func { return []pin.Func{gpio.IN, gpio.OUT} }

// SetFunc implements pin.PinFunc.
func (p *Pin) SetFunc(f pin.Func) error { return errors.New("fakepin: SetFunc not supported") }

// In implements gpio.PinIn: the pull sets the idle level (up: High, down: Low).
func (p *Pin) In(pull gpio.Pull, edge gpio.Edge) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail != nil {
		return p.fail
	}
	p.output, p.pull, p.edge = false, pull, edge
	switch pull {
	case gpio.PullUp:
		p.level = gpio.High
	case gpio.PullDown:
		p.level = gpio.Low
	}
	select {
	case <-p.edges:
	default:
	}
	return nil
}

// Read implements gpio.PinIn.
func (p *Pin) Read() gpio.Level { return p.Level() }

// WaitForEdge implements gpio.PinIn; a negative timeout waits for ever.
func (p *Pin) WaitForEdge(timeout time.Duration) bool {
	if timeout < 0 {
		<-p.edges
		return true
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-p.edges:
		return true
	case <-t.C:
		return false
	}
}

// Pull implements gpio.PinIn.
func (p *Pin) Pull() gpio.Pull { return p.PullSet() }

// DefaultPull implements gpio.PinIn.
func (p *Pin) DefaultPull() gpio.Pull { return gpio.PullNoChange }

// Out implements gpio.PinOut.
func (p *Pin) Out(l gpio.Level) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail != nil {
		return p.fail
	}
	p.output, p.level = true, l
	return nil
}

// PWM implements gpio.PinOut.
func (p *Pin) PWM(gpio.Duty, physic.Frequency) error { return errors.New("fakepin: PWM not supported") }

var _ gpio.PinIO = (*Pin)(nil)
