// Package scannersim is the "sim" scanner driver: a scanner that scans what it is told to, for
// the demo and for tests of the workflows. Open attaches a *Sim to the device name through
// devices.Env.Attach; the demo or a test then calls Feed("]E05901234123457") and the next Read
// returns it, exactly as a real scanner's line would arrive (AIM identifier included, terminator
// stripped). Unplug makes Read fail with ErrDisconnected, to exercise the agent's reopening;
// each Open attaches a new Sim under the same name.
//
// Standalone (no one feeding it), the entry's script option makes it scan a list of codes by
// itself, one every interval.
//
// Device entry keys:
//
//	script    list of codes scanned one per interval    default [] (none)
//	interval  time between scripted scans, 10ms to 1h   default 1s
//	repeat    start the script again after the last     default false
package scannersim

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/stationd/stationd/devices"
	"github.com/stationd/stationd/devices/scanner"
)

// DefaultInterval is the time between scripted scans.
const DefaultInterval = time.Second

// Options are the keys of a sim scanner entry.
var Options = []devices.Option{
	{Key: "script", Type: "list", Default: "[]", Doc: "codes scanned by themselves, one per interval (AIM identifier included, e.g. \"]E05901234123457\")"},
	{Key: "interval", Type: "duration", Default: "1s", Doc: "time between scripted scans (10ms to 1h); the first comes one interval after opening"},
	{Key: "repeat", Type: "bool", Default: "false", Doc: "start the script again after its last code"},
}

func init() {
	scanner.Register("sim", scanner.Driver{
		Doc:      "simulated scanner: scans what the demo or a test feeds it, or a script",
		Options:  Options,
		Validate: Validate,
		Open: func(ctx context.Context, s devices.Spec, env devices.Env) (scanner.Scanner, error) {
			cfg, errs := ConfigFromSpec(s)
			if len(errs) > 0 {
				return nil, fmt.Errorf("%s: %v", s.Where(), errs[0])
			}
			sim := New(s.Where(), cfg)
			if env.Attach != nil {
				env.Attach(s.Name, sim)
			}
			return sim, nil
		},
	})
}

// Config is a sim scanner entry.
type Config struct {
	Script   []string
	Interval time.Duration
	Repeat   bool
}

// ConfigFromSpec reads the keys of s, with their defaults.
func ConfigFromSpec(s devices.Spec) (Config, []devices.FieldError) {
	var errs []devices.FieldError
	c := Config{Interval: DefaultInterval, Repeat: s.BoolOpt("repeat", false)}
	switch v := s.Options["script"].(type) {
	case nil:
	case []any:
		for i, x := range v {
			str, ok := x.(string)
			if !ok || str == "" {
				errs = append(errs, devices.FieldError{Key: fmt.Sprintf("script[%d]", i), Msg: "must be a non-empty string: quote codes, \"05901234123457\""})
				continue
			}
			c.Script = append(c.Script, str)
		}
	case []string:
		c.Script = v
	default:
		errs = append(errs, devices.FieldError{Key: "script", Msg: "must be a list of codes"})
	}
	if v, ok := s.Options["interval"]; ok {
		str, _ := v.(string)
		d, err := time.ParseDuration(str)
		if err != nil || d < 10*time.Millisecond || d > time.Hour {
			errs = append(errs, devices.FieldError{Key: "interval", Msg: "must be a duration from 10ms to 1h, such as 2s"})
		} else {
			c.Interval = d
		}
	}
	return c, errs
}

// Validate checks a sim scanner entry.
func Validate(s devices.Spec) []devices.FieldError {
	_, errs := ConfigFromSpec(s)
	return errs
}

// Sim is a simulated scanner. Its methods are safe for concurrent use.
type Sim struct {
	where string
	cfg   Config

	mu        sync.Mutex
	queue     []scanner.Scan
	next      int       // next script entry
	nextAt    time.Time // when it is due
	wake      chan struct{}
	closed    bool
	unplugged bool
}

// New returns a Sim named where ("scanner1" or "scanner1 (sim)") running cfg's script.
func New(where string, cfg Config) *Sim {
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	return &Sim{where: where, cfg: cfg, nextAt: time.Now().Add(cfg.Interval), wake: make(chan struct{}, 1)}
}

// Feed makes the scanner read data, as the scanner sends it (AIM identifier included, terminator
// excluded). It is ignored once the Sim is closed or unplugged.
func (s *Sim) Feed(data string) {
	s.mu.Lock()
	if !s.closed && !s.unplugged {
		s.queue = append(s.queue, scanner.Scan{Data: data, At: time.Now()})
	}
	s.mu.Unlock()
	s.signal()
}

// Unplug makes the scanner go away: Read returns ErrDisconnected from now on.
func (s *Sim) Unplug() {
	s.mu.Lock()
	s.unplugged = true
	s.mu.Unlock()
	s.signal()
}

func (s *Sim) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *Sim) String() string { return s.where }

// Read returns the next fed or scripted scan.
func (s *Sim) Read(ctx context.Context) (scanner.Scan, error) {
	for {
		s.mu.Lock()
		switch {
		case s.closed:
			s.mu.Unlock()
			return scanner.Scan{}, fmt.Errorf("%s: %w", s.where, scanner.ErrClosed)
		case s.unplugged:
			s.mu.Unlock()
			return scanner.Scan{}, fmt.Errorf("%s: %w (simulated unplug)", s.where, scanner.ErrDisconnected)
		case len(s.queue) > 0:
			sc := s.queue[0]
			s.queue = s.queue[1:]
			s.mu.Unlock()
			return sc, nil
		}
		var timer *time.Timer
		var due <-chan time.Time
		if s.next < len(s.cfg.Script) {
			now := time.Now()
			if !now.Before(s.nextAt) {
				sc := scanner.Scan{Data: s.cfg.Script[s.next], At: now}
				s.nextAt = s.nextAt.Add(s.cfg.Interval)
				if s.next++; s.next == len(s.cfg.Script) && s.cfg.Repeat {
					s.next = 0
				}
				s.mu.Unlock()
				return sc, nil
			}
			timer = time.NewTimer(s.nextAt.Sub(now))
			due = timer.C
		}
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			stop(timer)
			return scanner.Scan{}, ctx.Err()
		case <-s.wake:
		case <-due:
		}
		stop(timer)
	}
}

// Halt drops the scans fed but not read.
func (s *Sim) Halt() error {
	s.mu.Lock()
	s.queue = nil
	s.mu.Unlock()
	return nil
}

// Close makes Read return ErrClosed.
func (s *Sim) Close() error {
	s.mu.Lock()
	s.closed = true
	s.queue = nil
	s.mu.Unlock()
	s.signal()
	return nil
}

func stop(t *time.Timer) {
	if t != nil {
		t.Stop()
	}
}
