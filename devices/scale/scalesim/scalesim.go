// Package scalesim is a simulated scale, registered as the scale driver "sim": what stationd demo
// weighs on, and what tests drive when they need a scale with a will of its own. The demo and
// tests get hold of it through devices.Env.Attach (sim.Set, sim.Unstable, sim.Fault).
//
// The simulated load is shown after a settling time of motion; readings carry optional noise and
// drift and are rounded to the display division; above capacity the scale is in overload; a
// fault can be injected (overload, underload, fault, busy, timeout: no answer, parse_error:
// garbage, ...) and the cable pulled (Disconnect). It reads the clock with time.Now, so inside a
// testing/synctest bubble it runs on the bubble's fake time.
package scalesim

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/stationd/stationd/devices"
	"github.com/stationd/stationd/devices/scale"
	"github.com/stationd/stationd/protocol/units"
)

// Config sets up a Sim. The zero value of a field means its default.
type Config struct {
	Name       string        // for String and errors; default "sim"
	Weight     units.Mass    // initial load
	Noise      units.Mass    // each reading is off by up to ±Noise (uniform)
	Drift      units.Mass    // per second, from the last Set, Zero or Tare
	Capacity   units.Mass    // overload above; default 30 kg
	Resolution units.Mass    // display division; default 1 g
	Settle     time.Duration // motion after a change of load; default 300 ms, negative: none
	Timeout    time.Duration // a Read under Fault(timeout) gives up after this; default 1 s
	Seed       uint64        // noise and motion are pseudo-random from this seed
}

// Defaults of Config.
const (
	DefaultCapacity   = 30 * units.Kilogram
	DefaultResolution = units.Gram
	DefaultSettle     = 300 * time.Millisecond
	DefaultTimeout    = time.Second
)

// Sim is a simulated scale. It implements scale.Scale and is safe for concurrent use.
type Sim struct {
	name string
	cfg  Config

	mu           sync.Mutex
	load         units.Mass // on the platter
	zero, tare   units.Mass
	noise, drift units.Mass
	wobble       units.Mass // amplitude of the motion; -1: the default
	since        time.Time  // drift origin
	movingUntil  time.Time
	fault        string
	gone, closed bool
	change       chan struct{} // closed and replaced on every change, for a hanging Read
	rnd          *rand.Rand
	reads        int
}

// New returns a Sim with c, the initial load settled.
func New(c Config) *Sim {
	if c.Name == "" {
		c.Name = "sim"
	}
	if c.Capacity <= 0 {
		c.Capacity = DefaultCapacity
	}
	if c.Resolution <= 0 {
		c.Resolution = DefaultResolution
	}
	if c.Settle == 0 {
		c.Settle = DefaultSettle
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	return &Sim{
		name: c.Name, cfg: c,
		load: c.Weight, noise: c.Noise, drift: c.Drift, wobble: -1,
		since:  time.Now(),
		change: make(chan struct{}),
		rnd:    rand.New(rand.NewPCG(c.Seed, c.Seed^0x9e3779b97f4a7c15)),
	}
}

func (s *Sim) changed() {
	close(s.change)
	s.change = make(chan struct{})
}

// Set puts m on the platter (the load, before zero and tare); the scale shows motion for the
// settling time, then m.
func (s *Sim) Set(m units.Mass) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.load = m
	s.since = time.Now()
	if s.cfg.Settle > 0 {
		s.movingUntil = s.since.Add(s.cfg.Settle)
	}
	s.changed()
}

// Load returns what is on the platter.
func (s *Sim) Load() units.Mass {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.load
}

// Noise sets the noise amplitude.
func (s *Sim) Noise(m units.Mass) { s.mu.Lock(); s.noise = m; s.mu.Unlock() }

// Drift sets the drift per second, counted from now.
func (s *Sim) Drift(perSecond units.Mass) {
	s.mu.Lock()
	s.drift, s.since = perSecond, time.Now()
	s.mu.Unlock()
}

// Wobble sets the amplitude of the weight while in motion (default: 20 divisions or 5 × the
// noise, whichever is larger); 0 shows the load unchanged with the stable flag off.
func (s *Sim) Wobble(m units.Mass) { s.mu.Lock(); s.wobble = m; s.mu.Unlock() }

// Unstable puts the scale in motion for d from now (0: stable at once).
func (s *Sim) Unstable(d time.Duration) {
	s.mu.Lock()
	s.movingUntil = time.Now().Add(d)
	s.changed()
	s.mu.Unlock()
}

// Fault makes every Read fail with code (scale.CodeOverload, CodeUnderload, CodeFault, CodeBusy,
// CodeTimeout: no answer until the timeout, CodeParse: garbage, ...); "" returns to weighing.
func (s *Sim) Fault(code string) {
	s.mu.Lock()
	s.fault = code
	s.changed()
	s.mu.Unlock()
}

// Disconnect pulls the cable: every Read fails with ErrDisconnected until Reconnect. The agent
// closes and reopens a disconnected scale, which attaches a new Sim.
func (s *Sim) Disconnect() {
	s.mu.Lock()
	s.gone = true
	s.changed()
	s.mu.Unlock()
}

// Reconnect plugs the cable back in.
func (s *Sim) Reconnect() {
	s.mu.Lock()
	s.gone = false
	s.changed()
	s.mu.Unlock()
}

// Reads counts the Read calls.
func (s *Sim) Reads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads
}

func (s *Sim) String() string { return s.name }

// Read returns the current weight.
func (s *Sim) Read(ctx context.Context) (scale.Reading, error) {
	s.mu.Lock()
	s.reads++
	var timer *time.Timer
	for s.fault == scale.CodeTimeout && !s.closed && !s.gone {
		if timer == nil {
			timer = time.NewTimer(s.cfg.Timeout)
			defer timer.Stop()
		}
		ch := s.change
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			return scale.Reading{}, fmt.Errorf("%s: %w", s.name, ctx.Err())
		case <-timer.C:
			return scale.Reading{}, scale.NewError(s.name, scale.CodeTimeout, fmt.Sprintf("no answer within %v (simulated)", s.cfg.Timeout))
		case <-ch:
		}
		s.mu.Lock()
	}
	defer s.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return scale.Reading{}, fmt.Errorf("%s: %w", s.name, err)
	}
	switch {
	case s.closed:
		return scale.Reading{}, &scale.Error{Code: scale.CodeClosed, Device: s.name, Detail: "the scale was closed"}
	case s.gone:
		return scale.Reading{}, scale.NewError(s.name, scale.CodeDisconnected, "simulated cable pulled")
	case s.fault != "":
		return scale.Reading{}, scale.NewError(s.name, s.fault, "simulated")
	}
	now := time.Now()
	gross := s.load + units.Mass(int64(s.drift)*int64(now.Sub(s.since))/int64(time.Second))
	if gross > s.cfg.Capacity {
		return scale.Reading{}, scale.NewError(s.name, scale.CodeOverload, fmt.Sprintf("load %v above capacity %v (simulated)", gross, s.cfg.Capacity))
	}
	if gross-s.zero < -20*s.cfg.Resolution {
		return scale.Reading{}, scale.NewError(s.name, scale.CodeUnderload, fmt.Sprintf("load %v below zero (simulated)", gross-s.zero))
	}
	shown := gross - s.zero - s.tare + s.jitter(s.noise)
	moving := now.Before(s.movingUntil)
	if moving {
		w := s.wobble
		if w < 0 {
			w = max(20*s.cfg.Resolution, 5*s.noise)
		}
		shown += s.jitter(w)
	}
	return scale.Reading{Mass: round(shown, s.cfg.Resolution), Stable: !moving}, nil
}

// jitter returns a uniform value in [-a, a].
func (s *Sim) jitter(a units.Mass) units.Mass {
	if a <= 0 {
		return 0
	}
	return units.Mass(s.rnd.Int64N(2*int64(a)+1)) - a
}

// round rounds m to a multiple of d, half away from zero.
func round(m, d units.Mass) units.Mass {
	q, r := m/d, m%d
	switch {
	case 2*r >= d:
		q++
	case 2*r <= -d:
		q--
	}
	return q * d
}

// Zero sets zero to the load on the platter; refused (busy) in motion.
func (s *Sim) Zero(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.commandErr(); err != nil {
		return err
	}
	s.zero, s.tare, s.since = s.load, 0, time.Now()
	return nil
}

// Tare tares the weight shown; refused (busy) in motion.
func (s *Sim) Tare(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.commandErr(); err != nil {
		return err
	}
	s.tare, s.since = s.load-s.zero, time.Now()
	return nil
}

func (s *Sim) commandErr() error {
	switch {
	case s.closed:
		return &scale.Error{Code: scale.CodeClosed, Device: s.name, Detail: "the scale was closed"}
	case s.gone:
		return scale.NewError(s.name, scale.CodeDisconnected, "simulated cable pulled")
	case s.fault != "":
		return scale.NewError(s.name, s.fault, "simulated")
	case time.Now().Before(s.movingUntil):
		return scale.NewError(s.name, scale.CodeBusy, "in motion (simulated)")
	}
	return nil
}

// Halt does nothing.
func (s *Sim) Halt() error { return nil }

// Close makes pending and later Reads fail with ErrClosed.
func (s *Sim) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		s.changed()
	}
	return nil
}

// Option keys of the sim driver.
const (
	OptWeight   = "weight_g"
	OptNoise    = "noise_g"
	OptDrift    = "drift_g_per_s"
	OptCapacity = "capacity_g"
	OptSettle   = "settle_ms"
	OptSeed     = "seed"
)

func init() {
	scale.Register("sim", scale.Driver{
		Doc: "simulated scale (stationd demo, tests): settable weight, noise, drift, motion, faults",
		Options: []devices.Option{
			{Key: OptWeight, Type: "int", Default: "0", Doc: "initial load in grams"},
			{Key: OptNoise, Type: "int", Default: "0", Doc: "noise in grams (±), 0 to 1000"},
			{Key: OptDrift, Type: "int", Default: "0", Doc: "drift in grams per second, -1000 to 1000"},
			{Key: OptCapacity, Type: "int", Default: strconv.FormatInt(int64(DefaultCapacity/units.Gram), 10), Doc: "capacity in grams (overload above), 1 to 10000000"},
			{Key: OptSettle, Type: "int", Default: strconv.FormatInt(DefaultSettle.Milliseconds(), 10), Doc: "milliseconds of motion after a change of load, 0 to 60000"},
			{Key: OptSeed, Type: "int", Default: "1", Doc: "seed of the noise and motion"},
		},
		Validate: validate,
		Open:     open,
		Defaults: scale.Defaults{
			Poll:       50 * time.Millisecond,
			Stability:  scale.Stability{Count: 3, Delta: 2 * units.Gram, Window: 150 * time.Millisecond},
			FaultAfter: 2,
		},
	})
}

func validate(s devices.Spec) []devices.FieldError {
	var errs []devices.FieldError
	check := func(key string, lo, hi int) {
		if _, ok := s.Options[key]; !ok {
			return
		}
		if v := s.IntOpt(key, lo-1); v < lo || v > hi {
			errs = append(errs, devices.FieldError{Key: key, Msg: fmt.Sprintf("must be a whole number from %d to %d", lo, hi)})
		}
	}
	check(OptWeight, -10000000, 10000000)
	check(OptNoise, 0, 1000)
	check(OptDrift, -1000, 1000)
	check(OptCapacity, 1, 10000000)
	check(OptSettle, 0, 60000)
	check(OptSeed, 0, 1<<31-1)
	return errs
}

// ConfigFor returns the Config of a sim device entry.
func ConfigFor(s devices.Spec) Config {
	c := Config{
		Name:     s.Name + " (sim)",
		Weight:   units.Mass(s.IntOpt(OptWeight, 0)) * units.Gram,
		Noise:    units.Mass(s.IntOpt(OptNoise, 0)) * units.Gram,
		Drift:    units.Mass(s.IntOpt(OptDrift, 0)) * units.Gram,
		Capacity: units.Mass(s.IntOpt(OptCapacity, int(DefaultCapacity/units.Gram))) * units.Gram,
		Settle:   time.Duration(s.IntOpt(OptSettle, int(DefaultSettle/time.Millisecond))) * time.Millisecond,
		Seed:     uint64(s.IntOpt(OptSeed, 1)),
	}
	if c.Settle == 0 {
		c.Settle = -1
	}
	return c
}

func open(_ context.Context, s devices.Spec, env devices.Env) (scale.Scale, error) {
	sim := New(ConfigFor(s))
	if env.Attach != nil {
		env.Attach(s.Name, sim)
	}
	return sim, nil
}
