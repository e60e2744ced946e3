package lightsim

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stationd/stationd/devices"
	"github.com/stationd/stationd/devices/lights"
	"github.com/stationd/stationd/devices/lights/lightstest"
)

func openSim(t *testing.T, opts map[string]any) *Sim {
	t.Helper()
	var attached *Sim
	env := lights.Env{Env: devices.Env{Attach: func(name string, sim any) {
		if name != "wall1" {
			t.Errorf("attached as %q", name)
		}
		attached = sim.(*Sim)
	}}}
	l, err := lights.Open(context.Background(), devices.Spec{Name: "wall1", Kind: devices.KindLights, Driver: Name, Options: opts}, env)
	if err != nil {
		t.Fatal(err)
	}
	if attached == nil || lights.Lights(attached) != l {
		t.Fatal("Open did not attach the sim it returned")
	}
	return attached
}

func TestRecordsWhatIsLit(t *testing.T) {
	s := openSim(t, map[string]any{"outputs": 8, "inputs": 2, "displays": 2})
	var mu sync.Mutex
	var changes []Change
	s.Observe(func(c Change) {
		mu.Lock()
		defer mu.Unlock()
		changes = append(changes, c)
	})
	if err := s.Set(lights.Target{First: 2, Last: 3}, lights.State{Color: lights.Green, Blink: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(lights.Channel(7), lights.State{Color: lights.Red}); err != nil {
		t.Fatal(err)
	}
	if err := s.Show(1, "12"); err != nil {
		t.Fatal(err)
	}
	lit := s.Lit()
	if len(lit) != 3 || lit[2] != (lights.State{Color: lights.Green, Blink: true}) || lit[7].Color != lights.Red {
		t.Errorf("Lit = %v", lit)
	}
	if s.Visible(3) != lights.Green || s.Display(1) != "12" || s.Display(0) != "" {
		t.Errorf("Visible(3) %v Display(1) %q", s.Visible(3), s.Display(1))
	}
	if err := s.Show(0, "12345"); !errors.Is(err, lights.ErrInvalid) {
		t.Errorf("too long: %v", err)
	}
	if err := s.Halt(); err != nil {
		t.Fatal(err)
	}
	if len(s.Lit()) != 0 || s.Display(1) != "" {
		t.Errorf("after Halt: %v %q", s.Lit(), s.Display(1))
	}
	mu.Lock()
	defer mu.Unlock()
	want := []Change{
		{Target: lights.Target{First: 2, Last: 3}, State: lights.State{Color: lights.Green, Blink: true}, Display: -1},
		{Target: lights.Channel(7), State: lights.State{Color: lights.Red}, Display: -1},
		{Display: 1, Text: "12"},
		{Target: lights.Target{First: 0, Last: 7}, Display: -1},
		{Display: 0},
		{Display: 1},
	}
	if len(changes) != len(want) {
		t.Fatalf("changes %+v\nwant %+v", changes, want)
	}
	for i := range want {
		if changes[i] != want[i] {
			t.Errorf("change %d: %+v, want %+v", i, changes[i], want[i])
		}
	}
}

func TestPress(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := openSim(t, nil)
		if c := s.Capacity(); c != (devices.Capacity{Outputs: 16, Inputs: 16, RGB: true}) {
			t.Errorf("Capacity %+v", c)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- s.Run(ctx) }()
		if err := s.Press(3); err != nil {
			t.Fatal(err)
		}
		if err := s.LongPress(4); err != nil {
			t.Fatal(err)
		}
		if b := <-s.Events(); b.Input != 3 || b.Long {
			t.Errorf("got %+v", b)
		}
		if b := <-s.Events(); b.Input != 4 || !b.Long {
			t.Errorf("got %+v", b)
		}
		if err := s.Press(16); !errors.Is(err, lights.ErrInvalid) {
			t.Errorf("Press(16) = %v", err)
		}
		// A raw level goes through the debouncer. Let Run take its first sample: a button
		// already down then is ignored until released.
		time.Sleep(time.Millisecond)
		t0 := time.Now()
		if err := s.SetLevel(5, true); err != nil {
			t.Fatal(err)
		}
		time.Sleep(52 * time.Millisecond)
		if err := s.SetLevel(5, false); err != nil {
			t.Fatal(err)
		}
		b := <-s.Events()
		if b.Input != 5 || b.Long || time.Since(t0) > 80*time.Millisecond {
			t.Errorf("got %+v after %v", b, time.Since(t0))
		}
		if err := s.SetLevel(16, true); !errors.Is(err, lights.ErrInvalid) {
			t.Errorf("SetLevel(16) = %v", err)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}

func TestBlinkVisible(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := openSim(t, map[string]any{"inputs": 0, "blink_ms": 100})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- s.Run(ctx) }()
		if err := s.Set(lights.Channel(0), lights.State{Color: lights.Blue, Blink: true}); err != nil {
			t.Fatal(err)
		}
		var seen []lights.Color
		for range 4 {
			time.Sleep(50 * time.Millisecond)
			seen = append(seen, s.Visible(0))
			time.Sleep(50 * time.Millisecond)
		}
		want := []lights.Color{lights.Blue, lights.Off, lights.Blue, lights.Off}
		for i := range want {
			if seen[i] != want[i] {
				t.Errorf("at %d00+50 ms: %v, want %v", i, seen[i], want[i])
			}
		}
		if s.Output(0).Color != lights.Blue {
			t.Error("Output lost the wanted colour while dark")
		}
		cancel()
		<-done
	})
}

func TestFail(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := openSim(t, nil)
		done := make(chan error, 1)
		go func() { done <- s.Run(t.Context()) }()
		time.Sleep(time.Second)
		s.Fail(errors.New("unplugged"))
		err := <-done
		if !errors.Is(err, lights.ErrDisconnected) || lights.StatusOf(err) != devices.StateDisconnected {
			t.Fatalf("Run = %v", err)
		}
		if err := s.Press(0); err == nil {
			t.Error("Press after Run ended succeeded")
		}
	})
}

func TestValidate(t *testing.T) {
	d, _ := lights.Lookup(Name)
	if errs := d.Validate(devices.Spec{Options: map[string]any{"outputs": -1, "displays": 1000}}); len(errs) != 2 {
		t.Errorf("errors %v", errs)
	}
	c := d.Capacity(devices.Spec{Options: map[string]any{"outputs": 300, "inputs": 0, "displays": 4, "rgb": false}})
	if c != (devices.Capacity{Outputs: 300, Displays: 4}) {
		t.Errorf("Capacity %+v", c)
	}
}

func TestConformance(t *testing.T) {
	lightstest.Run(t, func(t *testing.T) (lights.Lights, devices.Capacity) {
		s := New(Config{Name: "sim1", Outputs: 6, Inputs: 3, Displays: 2}, lights.Env{})
		return s, s.Capacity()
	})
	lightstest.Run(t, func(t *testing.T) (lights.Lights, devices.Capacity) {
		s := New(Config{Name: "sim2", Outputs: 300, RGB: true}, lights.Env{})
		return s, s.Capacity()
	})
}
