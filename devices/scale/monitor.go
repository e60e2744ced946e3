package scale

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/stationd/stationd/devices"
	"github.com/stationd/stationd/protocol/units"
)

// Sample is one reading as the Monitor saw it.
type Sample struct {
	Mass        units.Mass
	Stable      bool      // settled: the Detector's verdict, which includes the scale's flag
	ScaleStable bool      // the scale's own flag
	Time        time.Time // when Read returned it
}

// Reading returns s as a Reading whose Stable is the settled verdict.
func (s Sample) Reading() Reading { return Reading{Mass: s.Mass, Stable: s.Stable} }

// Status is a device state for device.status: devices.StateOK, StateFault or StateDisconnected,
// with a detail a technician understands (empty when ok) and the error behind it.
type Status struct {
	State  string
	Detail string
	Err    error
	Time   time.Time
}

// MonitorConfig tunes a Monitor. MonitorConfigFor fills the first four from a device entry.
type MonitorConfig struct {
	Poll       time.Duration // between the starts of two readings; below 10 ms counts as 10 ms
	Stability  Stability
	FaultAfter int // consecutive communication errors before a fault; below 1 counts as 1
	Log        *slog.Logger

	// OnSample receives every reading (for the weight telemetry, throttled by the caller).
	// OnStatus receives every change of state or detail: the first good reading gives ok; an
	// overload, underload or fault reply gives fault at once; timeouts, garbage and bad
	// checksums give fault after FaultAfter in a row; a lost port gives disconnected. Both are
	// called from Run's goroutine, in order, and must not block.
	OnSample func(Sample)
	OnStatus func(Status)
}

// minPoll keeps a scale that answers at once from being polled in a tight loop.
const minPoll = 10 * time.Millisecond

// Monitor owns the polling loop of one Scale: Run reads it every Poll, runs each reading through
// a Detector, reports readings and state changes, and wakes the workflow's WaitStable and
// WaitReweigh calls on the reading that settles the weight, without further delay.
type Monitor struct {
	sc  Scale
	cfg MonitorConfig
	log *slog.Logger

	mu      sync.Mutex
	det     *Detector
	last    Sample
	have    bool // last is current: no error, zero or tare since
	status  Status
	errs    int // consecutive communication errors
	running bool
	waiters map[*waiter]struct{}
}

// NewMonitor returns a Monitor of sc. It does not own sc: whoever opened sc closes it after Run
// has returned.
func NewMonitor(sc Scale, cfg MonitorConfig) *Monitor {
	if cfg.Poll < minPoll {
		cfg.Poll = minPoll
	}
	if cfg.FaultAfter < 1 {
		cfg.FaultAfter = 1
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Monitor{sc: sc, cfg: cfg, log: log, det: NewDetector(cfg.Stability), waiters: map[*waiter]struct{}{}}
}

// Scale returns the monitored scale.
func (m *Monitor) Scale() Scale {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sc
}

// SetScale replaces the monitored scale: after Run returned ErrDisconnected, the owner closes the
// old Scale, opens the device again (with backoff) and hands the new one over before the next
// Run, so that the workflow keeps its Monitor, and its WaitStable calls keep waiting, across a
// reconnection. It fails while Run is running.
func (m *Monitor) SetScale(sc Scale) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.running {
		return fmt.Errorf("%s: cannot change the scale of a running monitor", m.sc)
	}
	m.sc = sc
	return nil
}

// Config returns the monitor's settings.
func (m *Monitor) Config() MonitorConfig { return m.cfg }

// Run polls the scale until ctx ends (it returns ctx.Err()), the port is gone (an error matching
// ErrDisconnected, after OnStatus has reported disconnected: close the Scale, open it again with
// backoff, SetScale and Run again) or the Scale is closed (ErrClosed). It starts no goroutine;
// only one Run may be active at a time.
func (m *Monitor) Run(ctx context.Context) error {
	m.mu.Lock()
	if m.running {
		m.mu.Unlock()
		return fmt.Errorf("%s: scale monitor already running", m.sc)
	}
	m.running = true
	sc := m.sc
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		m.running, m.have = false, false
		m.det.Reset()
		m.mu.Unlock()
	}()

	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		start := time.Now()
		r, err := sc.Read(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			if stop := m.fail(err, time.Now()); stop != nil {
				return stop
			}
		} else {
			m.reading(r, time.Now())
		}
		if wait := m.cfg.Poll - time.Since(start); wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-timer.C:
			}
		}
	}
}

func (m *Monitor) reading(r Reading, now time.Time) {
	m.mu.Lock()
	m.errs = 0
	s := Sample{Mass: r.Mass, ScaleStable: r.Stable, Time: now}
	s.Stable = m.det.Add(r, now)
	m.last, m.have = s, true
	st, changed := m.setStatus(devices.StateOK, "", nil, now)
	for w := range m.waiters {
		if w.feed(s) {
			delete(m.waiters, w)
		}
	}
	name := m.sc.String()
	m.mu.Unlock()
	if changed {
		m.report(name, st)
	}
	if m.cfg.OnSample != nil {
		m.cfg.OnSample(s)
	}
}

// fail handles a Read error; it returns non-nil when Run must stop.
func (m *Monitor) fail(err error, now time.Time) error {
	m.mu.Lock()
	m.det.Reset()
	m.have = false
	name := m.sc.String()
	var (
		st      Status
		changed bool
		stop    error
	)
	switch code := Code(err); {
	case errors.Is(err, ErrDisconnected):
		st, changed = m.setStatus(devices.StateDisconnected, detail(err), err, now)
		stop = err
	case errors.Is(err, ErrClosed):
		stop = err
	case code == CodeUnstable || code == CodeBusy:
		// In motion or busy: the scale answers, it just has no weight now.
		m.errs = 0
	case code == CodeOverload || code == CodeUnderload || code == CodeFault ||
		code == CodeCalibration || code == CodeRezero || code == CodeZeroRange:
		// The scale reports a state of its own: a fault at once.
		m.errs = 0
		st, changed = m.setStatus(devices.StateFault, detail(err), err, now)
	default:
		m.errs++
		if m.errs >= m.cfg.FaultAfter {
			st, changed = m.setStatus(devices.StateFault, detail(err), err, now)
		}
	}
	m.mu.Unlock()
	if changed {
		m.report(name, st)
	}
	if stop != nil && Code(stop) == "" {
		stop = fmt.Errorf("%s: %w", name, stop)
	}
	return stop
}

// setStatus records a state; it reports whether state or detail changed. m.mu is held.
func (m *Monitor) setStatus(state, det string, err error, now time.Time) (Status, bool) {
	if m.status.State == state && m.status.Detail == det {
		return m.status, false
	}
	m.status = Status{State: state, Detail: det, Err: err, Time: now}
	return m.status, true
}

func (m *Monitor) report(name string, st Status) {
	if st.State == devices.StateOK {
		m.log.Info("scale ok", "device", name)
	} else {
		m.log.Warn("scale "+st.State, "device", name, "detail", st.Detail)
	}
	if m.cfg.OnStatus != nil {
		m.cfg.OnStatus(st)
	}
}

// detail is err as a technician reads it in device.status: code and detail, without the device
// name (the event names the device).
func detail(err error) string {
	var e *Error
	if errors.As(err, &e) {
		s := e.Code
		if e.Detail != "" {
			s += ": " + e.Detail
		}
		if e.Err != nil {
			s += ": " + e.Err.Error()
		}
		return s
	}
	return err.Error()
}

// Status returns the current state; State is "" until the first reading or failure.
func (m *Monitor) Status() Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.status
}

// Last returns the newest sample, and false when there is none or an error, zero or tare came
// after it.
func (m *Monitor) Last() (Sample, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.last, m.have
}

// WaitStable returns a settled weight: the newest reading if it is settled, else the first
// reading that settles, handed over by Run as soon as it is read. After settle (0: no limit) it
// returns an error matching ErrSettleTimeout (code scale_unstable), which also matches the fault
// the scale is in, if any. It needs Run to be running.
func (m *Monitor) WaitStable(ctx context.Context, settle time.Duration) (Reading, error) {
	m.mu.Lock()
	if m.have && m.last.Stable {
		r := m.last.Reading()
		m.mu.Unlock()
		return r, nil
	}
	w := m.addWaiter(&waiter{})
	m.mu.Unlock()
	return m.wait(ctx, w, settle)
}

// WaitReweigh waits for the parcel to be lifted and put back (contract §7 step 5): first a
// reading within ±near of zero (moving or not; the current one counts), then a settled weight
// farther than near from zero, which it returns. It waits until ctx ends.
func (m *Monitor) WaitReweigh(ctx context.Context, near units.Mass) (Reading, error) {
	if near < 0 {
		near = -near
	}
	m.mu.Lock()
	w := &waiter{reweigh: true, near: near}
	w.seenNear = m.have && abs(m.last.Mass) <= near
	m.addWaiter(w)
	m.mu.Unlock()
	return m.wait(ctx, w, 0)
}

func (m *Monitor) addWaiter(w *waiter) *waiter {
	w.ch = make(chan Reading, 1)
	m.waiters[w] = struct{}{}
	return w
}

func (m *Monitor) wait(ctx context.Context, w *waiter, settle time.Duration) (Reading, error) {
	defer func() {
		m.mu.Lock()
		delete(m.waiters, w)
		m.mu.Unlock()
	}()
	var timeout <-chan time.Time
	if settle > 0 {
		t := time.NewTimer(settle)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case r := <-w.ch:
		return r, nil
	case <-timeout:
		select {
		case r := <-w.ch:
			return r, nil
		default:
		}
		return Reading{}, m.settleError(settle)
	case <-ctx.Done():
		return Reading{}, ctx.Err()
	}
}

func (m *Monitor) settleError(settle time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	fact := fmt.Sprintf("no settled weight within %v", settle)
	var cause error
	switch {
	case m.status.State == devices.StateFault || m.status.State == devices.StateDisconnected:
		fact += " (scale " + m.status.State + ": " + m.status.Detail + ")"
		cause = m.status.Err
	case m.have:
		if lo, hi, ok := m.det.Spread(); ok && lo != hi {
			fact += fmt.Sprintf(" (last %v, moving between %v and %v)", m.last.Mass, lo, hi)
		} else {
			fact += fmt.Sprintf(" (last %v, not yet stable)", m.last.Mass)
		}
	default:
		fact += " (no weight from the scale)"
	}
	e := NewError(m.sc.String(), CodeSettleTimeout, fact)
	e.Err = cause
	return e
}

// Zero zeroes the scale and restarts stability detection.
func (m *Monitor) Zero(ctx context.Context) error {
	err := m.Scale().Zero(ctx)
	m.forget()
	return err
}

// Tare tares the scale and restarts stability detection.
func (m *Monitor) Tare(ctx context.Context) error {
	err := m.Scale().Tare(ctx)
	m.forget()
	return err
}

func (m *Monitor) forget() {
	m.mu.Lock()
	m.det.Reset()
	m.have = false
	m.mu.Unlock()
}

type waiter struct {
	reweigh  bool
	near     units.Mass
	seenNear bool
	ch       chan Reading
}

// feed offers a sample; it reports whether the waiter is satisfied (and has its reading).
func (w *waiter) feed(s Sample) bool {
	if w.reweigh {
		if abs(s.Mass) <= w.near {
			w.seenNear = true
			return false
		}
		if !w.seenNear {
			return false
		}
	}
	if !s.Stable {
		return false
	}
	w.ch <- s.Reading()
	return true
}

func abs(m units.Mass) units.Mass {
	if m < 0 {
		return -m
	}
	return m
}
