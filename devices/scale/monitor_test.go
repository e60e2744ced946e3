package scale_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stationd/stationd/devices"
	"github.com/stationd/stationd/devices/scale"
	"github.com/stationd/stationd/devices/scale/scaletest"
	"github.com/stationd/stationd/protocol/units"
)

const g = units.Gram

// recorder collects what a Monitor reports.
type recorder struct {
	mu       sync.Mutex
	statuses []scale.Status
	samples  []scale.Sample
}

func (r *recorder) config(c scale.MonitorConfig) scale.MonitorConfig {
	c.OnStatus = func(s scale.Status) { r.mu.Lock(); r.statuses = append(r.statuses, s); r.mu.Unlock() }
	c.OnSample = func(s scale.Sample) { r.mu.Lock(); r.samples = append(r.samples, s); r.mu.Unlock() }
	return c
}

func (r *recorder) last() scale.Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.statuses) == 0 {
		return scale.Status{}
	}
	return r.statuses[len(r.statuses)-1]
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.statuses)
}

var testCfg = scale.MonitorConfig{
	Poll:       100 * time.Millisecond,
	Stability:  scale.Stability{Count: 3, Delta: 2 * g, Window: 200 * time.Millisecond},
	FaultAfter: 2,
}

// run starts m.Run in the bubble and returns a function that stops it and returns its error.
func run(t *testing.T, m *scale.Monitor) (stop func() error, done <-chan error) {
	ctx, cancel := context.WithCancel(t.Context())
	ch := make(chan error, 1)
	go func() { ch <- m.Run(ctx) }()
	return func() error { cancel(); return <-ch }, ch
}

func TestMonitorStatus(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := scaletest.NewFake("scale1 (/dev/ttyUSB0)")
		var rec recorder
		m := scale.NewMonitor(f, rec.config(testCfg))
		f.Set(1000*g, true)
		_, done := run(t, m)
		step := func() { time.Sleep(testCfg.Poll); synctest.Wait() }
		synctest.Wait()
		if st := rec.last(); st.State != devices.StateOK {
			t.Fatalf("after the first reading: %+v, want ok", st)
		}

		// A scale-reported state is a fault at once, with the detail.
		f.Fail(scale.NewError("scale1 (/dev/ttyUSB0)", scale.CodeOverload, `balance answered "S +"`))
		step()
		if st := rec.last(); st.State != devices.StateFault || !strings.HasPrefix(st.Detail, "overload: ") ||
			!strings.Contains(st.Detail, "take weight off") || strings.Contains(st.Detail, "scale1") {
			t.Fatalf("overload: %+v", st)
		}
		if _, ok := m.Last(); ok {
			t.Error("an overload left a current weight")
		}
		f.Set(1000*g, true)
		step()
		if st := rec.last(); st.State != devices.StateOK || st.Detail != "" {
			t.Fatalf("recovery: %+v", st)
		}

		// Communication errors need FaultAfter in a row.
		n := rec.count()
		f.Fail(scale.NewError("scale1", scale.CodeTimeout, "no answer to SI within 1s"))
		step()
		if rec.count() != n {
			t.Fatalf("one timeout changed the state: %+v", rec.last())
		}
		step()
		if st := rec.last(); st.State != devices.StateFault || !strings.HasPrefix(st.Detail, "timeout: ") {
			t.Fatalf("two timeouts: %+v", st)
		}
		f.Set(5*g, true)
		step()

		// Motion and busy are not faults.
		n = rec.count()
		f.Fail(scale.NewError("scale1", scale.CodeUnstable, "in motion"))
		step()
		step()
		f.Fail(scale.NewError("scale1", scale.CodeBusy, "S I"))
		step()
		step()
		if rec.count() != n {
			t.Fatalf("motion or busy changed the state: %+v", rec.last())
		}

		// A lost port: disconnected, and Run returns.
		f.Fail(scale.NewError("scale1", scale.CodeDisconnected, "port gone"))
		step()
		if st := rec.last(); st.State != devices.StateDisconnected {
			t.Fatalf("unplugged: %+v", st)
		}
		if err := <-done; !errors.Is(err, scale.ErrDisconnected) {
			t.Fatalf("Run = %v, want ErrDisconnected", err)
		}
	})
}

// TestWaitStableHandover: the settled weight is handed over on the reading that settles it, not
// one moment later (the performance target: at most one reading interval).
func TestWaitStableHandover(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := scaletest.NewFake("scale1")
		var rec recorder
		m := scale.NewMonitor(f, rec.config(testCfg))
		f.Set(1234*g, true)
		start := time.Now()
		stop, _ := run(t, m)
		r, err := m.WaitStable(t.Context(), 5*time.Second)
		if err != nil || r.Mass != 1234*g || !r.Stable {
			t.Fatalf("WaitStable = %+v, %v", r, err)
		}
		// Readings at 0, 100 and 200 ms: the third completes count and window.
		if got := time.Since(start); got != 200*time.Millisecond {
			t.Errorf("handed over after %v, want 200 ms", got)
		}
		rec.mu.Lock()
		last := rec.samples[len(rec.samples)-1]
		rec.mu.Unlock()
		if !last.Stable || !last.Time.Equal(time.Now()) {
			t.Errorf("settling sample %+v at %v", last, time.Now())
		}
		// Already settled: at once.
		before := time.Now()
		if _, err := m.WaitStable(t.Context(), time.Second); err != nil || time.Since(before) != 0 {
			t.Errorf("second WaitStable: %v after %v", err, time.Since(before))
		}
		if err := stop(); !errors.Is(err, context.Canceled) {
			t.Fatalf("Run = %v", err)
		}
	})
}

// TestWaitStableDetectorBeatsEarlyFlag: the scale says stable while the weight still moves.
func TestWaitStableDetectorBeatsEarlyFlag(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := scaletest.NewFake("scale1")
		m := scale.NewMonitor(f, testCfg)
		f.Set(400*g, true) // the flag is on all along
		start := time.Now()
		stop, _ := run(t, m)
		defer stop()
		got := make(chan time.Duration, 1)
		go func() {
			if _, err := m.WaitStable(t.Context(), 0); err == nil {
				got <- time.Since(start)
			}
		}()
		// Change the weight half-way between readings (taken at 0, 100, 200, ... ms).
		time.Sleep(50 * time.Millisecond)
		for _, w := range []units.Mass{800, 950, 990, 1000} {
			f.Set(w*g, true)
			time.Sleep(100 * time.Millisecond)
		}
		synctest.Wait()
		select {
		case d := <-got:
			t.Fatalf("settled after %v while still moving", d)
		default:
		}
		// 1000 g first read at 400 ms; stable at 600 ms.
		if d := <-got; d != 600*time.Millisecond {
			t.Errorf("settled after %v, want 600 ms", d)
		}
	})
}

func TestWaitStableTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := scaletest.NewFake("scale1 (/dev/ttyUSB0)")
		m := scale.NewMonitor(f, testCfg)
		stop, _ := run(t, m)
		defer stop()
		f.Set(700*g, false)
		start := time.Now()
		_, err := m.WaitStable(t.Context(), 2*time.Second)
		if !errors.Is(err, scale.ErrSettleTimeout) || scale.Code(err) != "scale_unstable" || time.Since(start) != 2*time.Second {
			t.Fatalf("WaitStable = %v after %v", err, time.Since(start))
		}
		if !strings.Contains(err.Error(), "scale1 (/dev/ttyUSB0)") || !strings.Contains(err.Error(), "700 g") {
			t.Errorf("message %q should name the device and the last weight", err)
		}
		f.Fail(scale.NewError("scale1", scale.CodeOverload, "S +"))
		_, err = m.WaitStable(t.Context(), time.Second)
		if !errors.Is(err, scale.ErrSettleTimeout) || !errors.Is(err, scale.ErrOverload) {
			t.Fatalf("in overload: %v", err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := m.WaitStable(ctx, time.Second); !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled: %v", err)
		}
	})
}

// TestWaitReweigh: out of tolerance, the packer lifts the parcel and puts it back.
func TestWaitReweigh(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := scaletest.NewFake("scale1")
		m := scale.NewMonitor(f, testCfg)
		stop, _ := run(t, m)
		defer stop()
		f.Set(1000*g, true)
		if _, err := m.WaitStable(t.Context(), time.Second); err != nil {
			t.Fatal(err)
		}
		type result struct {
			r   scale.Reading
			err error
			at  time.Time
		}
		res := make(chan result, 1)
		go func() {
			r, err := m.WaitReweigh(t.Context(), 20*g)
			res <- result{r, err, time.Now()}
		}()
		pending := func(what string) {
			t.Helper()
			synctest.Wait()
			select {
			case r := <-res:
				t.Fatalf("%s: returned %+v", what, r)
			default:
			}
		}
		time.Sleep(time.Second)
		pending("parcel still on the scale")
		f.Set(500*g, false) // lifting
		time.Sleep(200 * time.Millisecond)
		pending("lifting")
		f.Set(3*g, true) // off the scale, settled near zero
		time.Sleep(time.Second)
		pending("empty scale")
		f.Set(1080*g, false) // put back, moving
		time.Sleep(300 * time.Millisecond)
		pending("moving")
		f.Set(1080*g, true)
		back := time.Now()
		r := <-res
		if r.err != nil || r.r.Mass != 1080*g || !r.r.Stable {
			t.Fatalf("WaitReweigh = %+v", r)
		}
		if d := r.at.Sub(back); d > 300*time.Millisecond {
			t.Errorf("reweighed %v after the parcel settled, want at most the window plus one reading", d)
		}
	})
}

func TestMonitorZeroTareAndClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := scaletest.NewFake("scale1")
		m := scale.NewMonitor(f, testCfg)
		_, done := run(t, m)
		f.Set(100*g, true)
		if _, err := m.WaitStable(t.Context(), time.Second); err != nil {
			t.Fatal(err)
		}
		if err := m.Tare(t.Context()); err != nil || f.Tares() != 1 {
			t.Fatalf("Tare: %v, %d", err, f.Tares())
		}
		if _, ok := m.Last(); ok {
			t.Error("a weight from before the tare is still current")
		}
		f.ZeroErr = scale.ErrBusy
		if err := m.Zero(t.Context()); !errors.Is(err, scale.ErrBusy) {
			t.Fatalf("Zero: %v", err)
		}
		if err := m.Run(t.Context()); err == nil || !strings.Contains(err.Error(), "already running") {
			t.Fatalf("second Run: %v", err)
		}
		f.Close()
		if err := <-done; !errors.Is(err, scale.ErrClosed) {
			t.Fatalf("Run after Close = %v", err)
		}
	})
}

func TestMonitorPollCadence(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := scaletest.NewFake("scale1")
		var rec recorder
		m := scale.NewMonitor(f, rec.config(scale.MonitorConfig{Poll: 250 * time.Millisecond, Stability: scale.Stability{Count: 1}}))
		stop, _ := run(t, m)
		time.Sleep(time.Second)
		synctest.Wait()
		stop()
		rec.mu.Lock()
		defer rec.mu.Unlock()
		if len(rec.samples) != 5 { // 0, 250, 500, 750, 1000 ms
			t.Fatalf("%d readings in 1 s at 250 ms", len(rec.samples))
		}
		for i := 1; i < len(rec.samples); i++ {
			if d := rec.samples[i].Time.Sub(rec.samples[i-1].Time); d != 250*time.Millisecond {
				t.Errorf("reading %d after %v", i, d)
			}
		}
	})
}

// Registry.

func init() {
	scale.Register("test-fake", scale.Driver{
		Doc: "fake for the registry tests",
		Options: []devices.Option{
			{Key: "colour", Type: "string", Doc: "test"},
		},
		Validate: func(s devices.Spec) []devices.FieldError {
			if s.StringOpt("colour", "red") != "red" {
				return []devices.FieldError{{Key: "colour", Msg: "must be red"}}
			}
			return nil
		},
		Open: func(_ context.Context, s devices.Spec, env devices.Env) (scale.Scale, error) {
			f := scaletest.NewFake(s.Where())
			env.Attach(s.Name, f)
			return f, nil
		},
		Defaults: scale.Defaults{Poll: 150 * time.Millisecond, Stability: scale.Stability{Count: 4, Delta: 3 * g, Window: 500 * time.Millisecond}, FaultAfter: 3},
	})
}

func TestRegistry(t *testing.T) {
	d, ok := devices.Lookup(devices.KindScale, "test-fake")
	if !ok {
		t.Fatal("not in the devices registry")
	}
	defaults := map[string]string{}
	for _, o := range d.Options {
		defaults[o.Key] = o.Default
	}
	for k, v := range map[string]string{"poll_ms": "150", "stable_count": "4", "stable_delta_g": "3", "stable_ms": "500", "fault_after": "3", "colour": ""} {
		if got, ok := defaults[k]; !ok || got != v {
			t.Errorf("option %s default %q (%v), want %q", k, got, ok, v)
		}
	}
	spec := devices.Spec{Name: "scale9", Kind: "scale", Driver: "test-fake", Options: map[string]any{"colour": "blue", "poll_ms": 5, "stable_count": 0}}
	var keys []string
	for _, e := range scale.Validate(spec) {
		keys = append(keys, e.Key)
	}
	if strings.Join(keys, ",") != "colour,poll_ms,stable_count" {
		t.Errorf("validation errors on %v", keys)
	}
	if _, err := scale.Open(context.Background(), spec, devices.Env{}); err == nil || !strings.Contains(err.Error(), "colour: must be red") {
		t.Errorf("Open of an invalid entry: %v", err)
	}
	spec.Options = map[string]any{"poll_ms": 300, "stable_delta_g": 10}
	var attached any
	sc, err := scale.Open(context.Background(), spec, devices.Env{Attach: func(_ string, s any) { attached = s }})
	if err != nil || attached != sc {
		t.Fatalf("Open: %v (attached %v)", err, attached)
	}
	cfg, err := scale.MonitorConfigFor(spec)
	if err != nil || cfg.Poll != 300*time.Millisecond || cfg.Stability.Delta != 10*g || cfg.Stability.Count != 4 ||
		cfg.Stability.Window != 500*time.Millisecond || cfg.FaultAfter != 3 {
		t.Errorf("MonitorConfigFor = %+v, %v", cfg, err)
	}
	if _, err := scale.Open(context.Background(), devices.Spec{Name: "s", Driver: "nope"}, devices.Env{}); err == nil || !strings.Contains(err.Error(), "test-fake") {
		t.Errorf("unknown driver: %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Error("duplicate Register did not panic")
		}
	}()
	scale.Register("test-fake", scale.Driver{Open: d2open, Defaults: scale.Defaults{Stability: scale.Stability{Count: 1}, FaultAfter: 1}})
}

func d2open(context.Context, devices.Spec, devices.Env) (scale.Scale, error) { return nil, nil }

// TestReconnect: after a lost port the owner opens the device again and hands the new Scale to
// the same Monitor; a WaitStable pending across the reconnection gets its weight.
func TestReconnect(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		old := scaletest.NewFake("scale1")
		var rec recorder
		m := scale.NewMonitor(old, rec.config(testCfg))
		old.Set(50*g, false)
		_, done := run(t, m)
		got := make(chan scale.Reading, 1)
		go func() {
			r, _ := m.WaitStable(t.Context(), 10*time.Second)
			got <- r
		}()
		time.Sleep(time.Second)
		old.Fail(scale.NewError("scale1", scale.CodeDisconnected, "port gone"))
		if err := <-done; !errors.Is(err, scale.ErrDisconnected) {
			t.Fatalf("Run = %v", err)
		}
		if err := m.SetScale(scaletest.NewFake("x")); err != nil {
			t.Fatal(err)
		}
		fresh := scaletest.NewFake("scale1")
		fresh.Set(900*g, true)
		time.Sleep(2 * time.Second) // backoff
		if err := m.SetScale(fresh); err != nil {
			t.Fatal(err)
		}
		stop, _ := run(t, m)
		defer stop()
		synctest.Wait()
		if err := m.SetScale(old); err == nil {
			t.Error("SetScale while running")
		}
		if r := <-got; r.Mass != 900*g {
			t.Fatalf("WaitStable across the reconnection = %+v", r)
		}
		if st := rec.last(); st.State != devices.StateOK {
			t.Errorf("after reconnection: %+v", st)
		}
	})
}
