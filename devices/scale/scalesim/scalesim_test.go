package scalesim

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stationd/stationd/devices"
	"github.com/stationd/stationd/devices/scale"
	"github.com/stationd/stationd/devices/scale/scaletest"
	"github.com/stationd/stationd/protocol/units"
)

// suiteDevice drives a Sim through the conformance suite's Device.
type suiteDevice struct{ s *Sim }

func (d suiteDevice) Set(m units.Mass, stable bool) {
	d.s.Fault("")
	d.s.Wobble(0)
	d.s.Set(m)
	if stable {
		d.s.Unstable(0)
	} else {
		d.s.Unstable(time.Hour)
	}
}
func (d suiteDevice) Fault(code string) { d.s.Fault(code) }
func (d suiteDevice) Unplug()           { d.s.Disconnect() }

func TestConformance(t *testing.T) {
	scaletest.Run(t, scaletest.Harness{
		Caps: scaletest.Caps{
			Zero: true, Tare: true, Motion: true, Negative: true,
			Faults: []string{scale.CodeOverload, scale.CodeUnderload, scale.CodeFault, scale.CodeBusy,
				scale.CodeTimeout, scale.CodeParse},
		},
		Open: func(t *testing.T) (scale.Scale, scaletest.Device) {
			var sim *Sim
			sc, err := scale.Open(t.Context(), devices.Spec{Name: "scale1", Kind: devices.KindScale, Driver: "sim"},
				devices.Env{Attach: func(name string, s any) {
					if name != "scale1" {
						t.Errorf("attached as %q", name)
					}
					sim = s.(*Sim)
				}})
			if err != nil {
				t.Fatal(err)
			}
			sim.cfg.Timeout = 100 * time.Millisecond
			t.Cleanup(func() { sc.Close() })
			return sc, suiteDevice{sim}
		},
	})
}

func TestSettleNoiseDriftCapacity(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := New(Config{Name: "scale1 (sim)", Weight: 1 * units.Kilogram, Settle: 300 * time.Millisecond, Capacity: 2 * units.Kilogram})
		ctx := t.Context()
		read := func() scale.Reading {
			t.Helper()
			r, err := s.Read(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		if r := read(); r.Mass != units.Kilogram || !r.Stable {
			t.Fatalf("initial %+v", r)
		}
		s.Set(1500 * units.Gram)
		if r := read(); r.Stable {
			t.Fatalf("just after Set: %+v, want motion", r)
		}
		time.Sleep(300 * time.Millisecond)
		if r := read(); r.Mass != 1500*units.Gram || !r.Stable {
			t.Fatalf("settled %+v", r)
		}
		s.Noise(3 * units.Gram)
		for range 50 {
			if r := read(); r.Mass < 1497*units.Gram || r.Mass > 1503*units.Gram {
				t.Fatalf("noise out of ±3 g: %v", r.Mass)
			}
		}
		s.Noise(0)
		s.Drift(10 * units.Gram)
		time.Sleep(2 * time.Second)
		if r := read(); r.Mass != 1520*units.Gram {
			t.Fatalf("after 2 s of 10 g/s drift: %v", r.Mass)
		}
		s.Drift(0)
		s.Set(2500 * units.Gram)
		if _, err := s.Read(ctx); !errors.Is(err, scale.ErrOverload) {
			t.Fatalf("above capacity: %v", err)
		}
	})
}

func TestZeroTareAndMotion(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := New(Config{Weight: 200 * units.Gram})
		ctx := t.Context()
		if err := s.Zero(ctx); err != nil {
			t.Fatal(err)
		}
		s.Set(700 * units.Gram)
		if err := s.Tare(ctx); !errors.Is(err, scale.ErrBusy) {
			t.Fatalf("tare in motion: %v", err)
		}
		time.Sleep(DefaultSettle)
		if err := s.Tare(ctx); err != nil {
			t.Fatal(err)
		}
		s.Set(1200 * units.Gram)
		s.Unstable(0)
		if r, _ := s.Read(ctx); r.Mass != 500*units.Gram {
			t.Fatalf("net after zero 200 g and tare 500 g: %v", r.Mass)
		}
		s.Set(0)
		s.Unstable(0)
		if _, err := s.Read(ctx); !errors.Is(err, scale.ErrUnderload) {
			t.Fatalf("platter emptied below the zero point: %v", err)
		}
	})
}

func TestTimeoutFault(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := New(Config{})
		s.Fault(scale.CodeTimeout)
		start := time.Now()
		_, err := s.Read(t.Context())
		if !errors.Is(err, scale.ErrTimeout) || time.Since(start) != DefaultTimeout {
			t.Fatalf("Read = %v after %v", err, time.Since(start))
		}
		ctx, cancel := context.WithCancel(t.Context())
		go func() {
			time.Sleep(10 * time.Millisecond)
			cancel()
		}()
		if _, err := s.Read(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled Read = %v", err)
		}
	})
}

// TestMonitorOnSim runs the Monitor on the simulator in fake time: the stable weight is handed
// over on the reading that settles it.
func TestMonitorOnSim(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		spec := devices.Spec{Name: "scale1", Kind: devices.KindScale, Driver: "sim"}
		var sim *Sim
		sc, err := scale.Open(t.Context(), spec, devices.Env{Attach: func(_ string, s any) { sim = s.(*Sim) }})
		if err != nil {
			t.Fatal(err)
		}
		defer sc.Close()
		cfg, err := scale.MonitorConfigFor(spec)
		if err != nil {
			t.Fatal(err)
		}
		m := scale.NewMonitor(sc, cfg)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- m.Run(ctx) }()
		synctest.Wait()
		sim.Set(2345 * units.Gram)
		start := time.Now()
		r, err := m.WaitStable(ctx, 5*time.Second)
		if err != nil || r.Mass != 2345*units.Gram {
			t.Fatalf("WaitStable = %+v, %v", r, err)
		}
		// Settling 300 ms, then 3 readings spanning 150 ms at a 50 ms poll: the first stable
		// reading at or after 300 ms, plus the window.
		if got := time.Since(start); got < 450*time.Millisecond || got > 500*time.Millisecond {
			t.Errorf("settled after %v, want 450-500 ms", got)
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("Run = %v", err)
		}
	})
}
