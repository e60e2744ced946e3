// Package printersim is the "sim" printer driver: a printer in memory that keeps every job it
// is given, for stationd demo and for tests. It checks jobs as the zpl driver does and can be
// told to run out of paper, open its head, pause, run out of ribbon or go offline, so that the
// print queue's retries can be shown without hardware.
//
// Open hands the *Sim to env.Attach under the device's name; the demo and tests drive it from
// there.
package printersim

import (
	"context"
	"fmt"
	"sync"

	"github.com/stationd/stationd/devices"
	"github.com/stationd/stationd/devices/printer"
	"github.com/stationd/stationd/devices/printer/zpl"
)

// Options are the sim driver's device entry keys.
var Options = []devices.Option{
	{Key: "dpi", Type: "int", Default: "203", Doc: "resolution templates are rendered for: 203, 300 or 600"},
	{Key: "paper_out_after", Type: "int", Default: "0", Doc: "run out of paper after this many jobs (0: never), to show the retry path"},
}

func init() {
	printer.Register("sim", printer.Driver{
		Doc:      "simulated label printer: keeps every job in memory (demo, tests)",
		Options:  Options,
		Validate: Validate,
		Open: func(_ context.Context, s devices.Spec, env devices.Env) (printer.Printer, error) {
			if errs := Validate(s); len(errs) > 0 {
				return nil, fmt.Errorf("%s: %v", s.Name, errs[0])
			}
			sim := New(s.Name, s.IntOpt("dpi", 203))
			if n := s.IntOpt("paper_out_after", 0); n > 0 {
				sim.PaperOutAfter(n)
			}
			if env.Attach != nil {
				env.Attach(s.Name, sim)
			}
			return sim, nil
		},
	})
}

// Validate checks a sim device entry.
func Validate(s devices.Spec) []devices.FieldError {
	var errs []devices.FieldError
	if _, ok := s.Options["dpi"]; ok && zpl.DotsPerMM(s.IntOpt("dpi", 0)) == 0 {
		errs = append(errs, devices.FieldError{Key: "dpi", Msg: fmt.Sprintf("%v: must be 203, 300 or 600", s.Options["dpi"])})
	}
	if _, ok := s.Options["paper_out_after"]; ok && s.IntOpt("paper_out_after", -1) < 0 {
		errs = append(errs, devices.FieldError{Key: "paper_out_after", Msg: fmt.Sprintf("%v: must be a whole number, 0 or more", s.Options["paper_out_after"])})
	}
	return errs
}

// Sim is a simulated printer. Its methods are safe for concurrent use.
type Sim struct {
	name string
	dpi  int

	mu        sync.Mutex
	state     printer.Status
	offline   bool
	closed    bool
	paperLeft int // jobs before paper out; -1: unlimited
	jobs      [][]byte
	changed   chan struct{}
}

// New returns a ready simulated printer.
func New(name string, dpi int) *Sim {
	return &Sim{name: name, dpi: dpi, paperLeft: -1, changed: make(chan struct{})}
}

func (s *Sim) String() string { return s.name + " (sim)" }

// DPI returns the resolution the sim was opened with.
func (s *Sim) DPI() int { return s.dpi }

// Halt does nothing: a sim job never blocks.
func (s *Sim) Halt() error { return nil }

// Close makes later calls fail as offline.
func (s *Sim) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

func (s *Sim) set(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f()
	close(s.changed)
	s.changed = make(chan struct{})
}

// SetPaperOut runs out of paper (true) or loads labels (false: unlimited again).
func (s *Sim) SetPaperOut(on bool) {
	s.set(func() {
		s.state.PaperOut = on
		if !on {
			s.paperLeft = -1
		}
	})
}

// SetHeadOpen opens or closes the print head.
func (s *Sim) SetHeadOpen(on bool) { s.set(func() { s.state.HeadOpen = on }) }

// SetPaused pauses or resumes the printer.
func (s *Sim) SetPaused(on bool) { s.set(func() { s.state.Paused = on }) }

// SetRibbonOut runs out of ribbon or loads one.
func (s *Sim) SetRibbonOut(on bool) { s.set(func() { s.state.RibbonOut = on }) }

// SetOffline makes the printer unreachable, or reachable again.
func (s *Sim) SetOffline(on bool) { s.set(func() { s.offline = on }) }

// PaperOutAfter lets n more jobs print; the paper runs out with the last one.
func (s *Sim) PaperOutAfter(n int) {
	s.set(func() {
		s.paperLeft = n
		s.state.PaperOut = n == 0
	})
}

// Jobs returns a copy of every job printed, in order.
func (s *Sim) Jobs() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([][]byte, len(s.jobs))
	for i, j := range s.jobs {
		out[i] = append([]byte(nil), j...)
	}
	return out
}

// WaitJobs waits until at least n jobs have been printed and returns them.
func (s *Sim) WaitJobs(ctx context.Context, n int) ([][]byte, error) {
	for {
		s.mu.Lock()
		got, ch := len(s.jobs), s.changed
		s.mu.Unlock()
		if got >= n {
			return s.Jobs(), nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return s.Jobs(), fmt.Errorf("%s: %d jobs printed, waiting for %d: %w", s, got, n, ctx.Err())
		}
	}
}

func (s *Sim) err(reason, detail string) *printer.Error {
	return &printer.Error{Device: s.String(), Reason: reason, Detail: detail}
}

// Status returns the simulated state.
func (s *Sim) Status(ctx context.Context) (printer.Status, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.offline {
		return printer.Status{}, s.err(printer.ReasonOffline, "simulated printer offline")
	}
	return s.state, nil
}

// Print keeps job as the zpl driver would send it: checked first, refused when the printer is
// not ready, and reported with Sent when the paper runs out with it.
func (s *Sim) Print(ctx context.Context, job []byte) error {
	if err := zpl.Check("", job); err != nil {
		return &printer.Error{Device: s.String(), Reason: printer.ReasonInvalid, Detail: err.Error(), Err: err}
	}
	if err := ctx.Err(); err != nil {
		return &printer.Error{Device: s.String(), Reason: printer.ReasonOffline, Detail: "interrupted", Err: err}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.offline {
		return s.err(printer.ReasonOffline, "simulated printer offline")
	}
	if err := s.state.Err(); err != nil {
		e := err.(*printer.Error)
		e.Device = s.String()
		return e
	}
	s.jobs = append(s.jobs, append([]byte(nil), job...))
	if s.paperLeft > 0 {
		s.paperLeft--
		s.state.PaperOut = s.paperLeft == 0
	}
	close(s.changed)
	s.changed = make(chan struct{})
	if err := s.state.Err(); err != nil {
		e := err.(*printer.Error)
		e.Device, e.Sent = s.String(), true
		return e
	}
	return nil
}
