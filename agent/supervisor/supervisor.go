// Package supervisor keeps the station's devices running: one goroutine per device opens it, runs
// it, and when it fails reopens it with jittered exponential backoff, forever, until the station
// stops. Every change of a device's state (ok, disconnected, fault) becomes a device.status event
// and a new retained status, so the OMS and the technician see a pulled cable at once and see it
// come back without anybody restarting the agent.
//
// The supervisor knows nothing of scanners or scales: each device comes with a Run function (the
// station wires one per kind) that opens the device, serves it until ctx is done or the device
// fails, and reports its state through the given Reporter.
package supervisor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sort"
	"sync"
	"time"

	"github.com/stationd/stationd/devices"
	"github.com/stationd/stationd/protocol"
)

// Reporter is how a device's Run tells its state.
type Reporter interface {
	// OK says the device is open and working (again).
	OK()
	// Fault says the device answers but cannot work (overload, paper out, error reply); Run keeps
	// going and calls OK when it recovers.
	Fault(detail string)
	// Gone says the device cannot be reached for now while Run keeps trying by itself (a network
	// printer that reconnects per job); it reports disconnected.
	Gone(detail string)
}

// Device is one supervised device.
type Device struct {
	Spec devices.Spec
	// Run opens the device and serves it until ctx is done (then it returns nil) or the device
	// fails. An error wrapped with Disconnected reports the device disconnected; any other, fault.
	Run func(ctx context.Context, r Reporter) error
}

// Disconnected marks err as "the device is gone" (unplugged, unreachable, port missing).
func Disconnected(err error) error { return &disconnected{err} }

type disconnected struct{ err error }

func (d *disconnected) Error() string { return d.err.Error() }
func (d *disconnected) Unwrap() error { return d.err }

// IsDisconnected reports whether err was marked with Disconnected.
func IsDisconnected(err error) bool {
	var d *disconnected
	return errors.As(err, &d)
}

// Options configures a Supervisor.
type Options struct {
	// OnChange is called after every state change with the new device.status data; it appends the
	// event and refreshes the retained status. It must not block for long.
	OnChange   func(protocol.DeviceStatus)
	Logger     *slog.Logger
	BackoffMin time.Duration // default 500 ms
	BackoffMax time.Duration // default 30 s
}

// Supervisor runs devices.
type Supervisor struct {
	opts    Options
	devices []Device

	mu     sync.Mutex
	states map[string]protocol.DeviceState
	detail map[string]string
}

// New returns a Supervisor for ds; nothing is opened before Run.
func New(ds []Device, o Options) *Supervisor {
	if o.BackoffMin <= 0 {
		o.BackoffMin = 500 * time.Millisecond
	}
	if o.BackoffMax < o.BackoffMin {
		o.BackoffMax = 30 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.OnChange == nil {
		o.OnChange = func(protocol.DeviceStatus) {}
	}
	s := &Supervisor{opts: o, devices: ds, states: map[string]protocol.DeviceState{}, detail: map[string]string{}}
	for _, d := range ds {
		// Not opened yet: reported as disconnected (the contract's states are ok, disconnected
		// and fault); the first open turns it ok or says why not.
		s.states[d.Spec.Name] = protocol.DeviceState{Name: d.Spec.Name, Kind: d.Spec.Kind, Driver: d.Spec.Driver, State: devices.StateDisconnected}
	}
	return s
}

// States returns every device's state, sorted by name, for the birth message.
func (s *Supervisor) States() []protocol.DeviceState {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]protocol.DeviceState, 0, len(s.states))
	for _, st := range s.states {
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// State returns one device's state ("" when unknown).
func (s *Supervisor) State(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.states[name].State
}

// Run runs every device until ctx is done and returns when all their goroutines have ended.
func (s *Supervisor) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, d := range s.devices {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.keep(ctx, d)
		}()
	}
	wg.Wait()
	return nil
}

type reporter struct {
	s    *Supervisor
	spec devices.Spec
}

func (r reporter) OK()                 { r.s.set(r.spec, devices.StateOK, "") }
func (r reporter) Fault(detail string) { r.s.set(r.spec, devices.StateFault, detail) }
func (r reporter) Gone(detail string)  { r.s.set(r.spec, devices.StateDisconnected, detail) }

// keep runs one device and reopens it after each failure.
func (s *Supervisor) keep(ctx context.Context, d Device) {
	log := s.opts.Logger.With("device", d.Spec.Name)
	backoff := s.opts.BackoffMin
	for {
		start := time.Now()
		err := s.run(ctx, d)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			err = errors.New("stopped without an error")
		}
		state := devices.StateFault
		if IsDisconnected(err) {
			state = devices.StateDisconnected
		}
		s.set(d.Spec, state, err.Error())
		if time.Since(start) > 2*s.opts.BackoffMax {
			backoff = s.opts.BackoffMin // it ran for a while: a new failure, start over
		}
		wait := backoff/2 + rand.N(backoff/2+1)
		log.Debug("reopening device", "in", wait.Round(time.Millisecond))
		backoff = min(2*backoff, s.opts.BackoffMax)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// run calls d.Run, turning a panic in a driver into a fault: one bad driver must not take the
// station down.
func (s *Supervisor) run(ctx context.Context, d Device) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("driver %s panicked: %v (a bug: please report it)", d.Spec.Driver, r)
		}
	}()
	return d.Run(ctx, reporter{s, d.Spec})
}

func (s *Supervisor) set(spec devices.Spec, state, detail string) {
	s.mu.Lock()
	cur := s.states[spec.Name]
	if cur.State == state && s.detail[spec.Name] == detail {
		s.mu.Unlock()
		return
	}
	cur.State = state
	s.states[spec.Name] = cur
	s.detail[spec.Name] = detail
	s.mu.Unlock()

	log := s.opts.Logger.With("device", spec.Name, "kind", spec.Kind, "state", state)
	switch state {
	case devices.StateOK:
		log.Info("device ok")
	default:
		log.Warn(spec.Where() + ": " + detail)
	}
	s.opts.OnChange(protocol.DeviceStatus{Device: spec.Name, Kind: spec.Kind, State: state, Detail: detail})
}
