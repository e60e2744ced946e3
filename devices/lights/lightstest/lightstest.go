// Package lightstest is the conformance suite of lights drivers: what every lights.Lights does
// the same way (output ranges, ErrInvalid and ErrNotSupported, Events nil without inputs and
// closed when Run returns, Run returning nil on cancel, Halt and Close). Each driver's tests run
// it against the driver on a fake bus.
package lightstest

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stationd/stationd/devices"
	"github.com/stationd/stationd/devices/lights"
)

// Open returns a fresh device and what it provides. It is called inside a testing/synctest
// bubble, once per subtest; the device's fake bus must not block on real I/O.
type Open func(t *testing.T) (lights.Lights, devices.Capacity)

// Run runs the suite against the devices open returns.
func Run(t *testing.T, open Open) {
	sub := func(name string, f func(t *testing.T, l lights.Lights, c devices.Capacity)) {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				l, c := open(t)
				f(t, l, c)
			})
		})
	}

	sub("String", func(t *testing.T, l lights.Lights, c devices.Capacity) {
		if l.String() == "" {
			t.Error("String() is empty")
		}
		closeOK(t, l)
	})

	sub("Set", func(t *testing.T, l lights.Lights, c devices.Capacity) {
		for i := range c.Outputs {
			if err := l.Set(lights.Channel(i), lights.State{Color: lights.Green}); err != nil {
				t.Fatalf("Set(%d): %v", i, err)
			}
		}
		if c.Outputs > 0 {
			if err := l.Set(lights.Target{First: 0, Last: c.Outputs - 1}, lights.State{Color: lights.Red, Blink: true}); err != nil {
				t.Fatalf("Set(all, blink): %v", err)
			}
		}
		for _, tg := range []lights.Target{{First: -1, Last: 0}, {First: 0, Last: c.Outputs}, {First: 1, Last: 0}} {
			if err := l.Set(tg, lights.State{Color: lights.Red}); !errors.Is(err, lights.ErrInvalid) {
				t.Errorf("Set(%+v) = %v, want ErrInvalid", tg, err)
			}
		}
		closeOK(t, l)
	})

	sub("Show", func(t *testing.T, l lights.Lights, c devices.Capacity) {
		if c.Displays == 0 {
			if err := l.Show(0, "1"); !errors.Is(err, lights.ErrNotSupported) {
				t.Errorf("Show without displays = %v, want ErrNotSupported", err)
			}
			closeOK(t, l)
			return
		}
		for i := range c.Displays {
			if err := l.Show(i, "12"); err != nil {
				t.Errorf("Show(%d, 12): %v", i, err)
			}
			if err := l.Show(i, ""); err != nil {
				t.Errorf("Show(%d, \"\"): %v", i, err)
			}
		}
		for _, d := range []int{-1, c.Displays} {
			if err := l.Show(d, "1"); !errors.Is(err, lights.ErrInvalid) {
				t.Errorf("Show(%d) = %v, want ErrInvalid", d, err)
			}
		}
		if err := l.Show(0, "123456789012345678"); !errors.Is(err, lights.ErrInvalid) {
			t.Errorf("Show(too long) = %v, want ErrInvalid", err)
		}
		closeOK(t, l)
	})

	sub("Run", func(t *testing.T, l lights.Lights, c devices.Capacity) {
		ev := l.Events()
		if (ev == nil) != (c.Inputs == 0) {
			t.Errorf("Events() nil = %v with %d inputs", ev == nil, c.Inputs)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- l.Run(ctx) }()
		if c.Outputs > 0 {
			if err := l.Set(lights.Channel(0), lights.State{Color: lights.Blue, Blink: true}); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(2 * time.Second)
		select {
		case err := <-done:
			t.Fatalf("Run returned early: %v", err)
		default:
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run after cancel = %v, want nil", err)
		}
		if ev != nil {
			for range ev { // drain: the channel must be closed
			}
		}
		if err := l.Run(context.Background()); err == nil {
			t.Error("a second Run succeeded")
		}
		closeOK(t, l)
	})

	sub("CloseWithoutRun", func(t *testing.T, l lights.Lights, c devices.Capacity) {
		ev := l.Events()
		closeOK(t, l)
		if ev != nil {
			if _, ok := <-ev; ok {
				t.Error("Events open after Close")
			}
		}
	})

	sub("Halt", func(t *testing.T, l lights.Lights, c devices.Capacity) {
		if c.Outputs > 0 {
			if err := l.Set(lights.Channel(c.Outputs-1), lights.State{Color: lights.White}); err != nil {
				t.Fatal(err)
			}
		}
		if c.Displays > 0 {
			if err := l.Show(0, "7"); err != nil {
				t.Fatal(err)
			}
		}
		if err := l.Halt(); err != nil {
			t.Errorf("Halt: %v", err)
		}
		if err := l.Halt(); err != nil {
			t.Errorf("second Halt: %v", err)
		}
		closeOK(t, l)
	})
}

func closeOK(t *testing.T, l lights.Lights) {
	t.Helper()
	if err := l.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
