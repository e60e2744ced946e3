package gpiolights

import (
	"context"
	"errors"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/stationd/stationd/devices"
	"github.com/stationd/stationd/devices/lights"
	"github.com/stationd/stationd/devices/lights/internal/fakepin"
	"github.com/stationd/stationd/devices/lights/lightstest"
)

func pins(names ...string) ([]gpio.PinIO, []*fakepin.Pin) {
	io := make([]gpio.PinIO, len(names))
	fp := make([]*fakepin.Pin, len(names))
	for i, n := range names {
		fp[i] = fakepin.New(n, i)
		io[i] = fp[i]
	}
	return io, fp
}

func levels(ps []*fakepin.Pin) []gpio.Level {
	l := make([]gpio.Level, len(ps))
	for i, p := range ps {
		l[i] = p.Level()
	}
	return l
}

func TestOutputs(t *testing.T) {
	for _, activeLow := range []bool{false, true} {
		t.Run(map[bool]string{false: "active high", true: "active low"}[activeLow], func(t *testing.T) {
			outs, op := pins("GPIO17", "GPIO27", "GPIO22")
			d, err := New(outs, nil, Opts{Name: "shelf1", ActiveLow: activeLow}, lights.Env{})
			if err != nil {
				t.Fatal(err)
			}
			off, on := gpio.Low, gpio.High
			if activeLow {
				off, on = on, off
			}
			for _, p := range op {
				if !p.IsOutput() {
					t.Fatalf("%s not an output", p)
				}
			}
			if got := levels(op); !slices.Equal(got, []gpio.Level{off, off, off}) {
				t.Fatalf("after New: %v", got)
			}
			// Any colour but Off lights a mono LED.
			if err := d.Set(lights.Target{First: 1, Last: 2}, lights.State{Color: lights.Color{R: 1}}); err != nil {
				t.Fatal(err)
			}
			if got := levels(op); !slices.Equal(got, []gpio.Level{off, on, on}) {
				t.Errorf("after Set: %v", got)
			}
			if err := d.Halt(); err != nil {
				t.Fatal(err)
			}
			if got := levels(op); !slices.Equal(got, []gpio.Level{off, off, off}) {
				t.Errorf("after Halt: %v", got)
			}
		})
	}
}

func TestButtons(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		ins, ip := pins("GPIO5", "GPIO6", "GPIO13")
		d, err := New(nil, ins, Opts{Name: "shelf1"}, lights.Env{Buttons: lights.Buttons{LongPress: 500 * time.Millisecond}})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ip {
			if p.PullSet() != gpio.PullUp || p.IsOutput() {
				t.Fatalf("%s: pull %v output %v; want an input with pull-up", p, p.PullSet(), p.IsOutput())
			}
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- d.Run(ctx) }()

		// A bouncing press of GPIO6 (input 1), held 200 ms.
		time.Sleep(101 * time.Millisecond)
		for _, l := range []gpio.Level{gpio.Low, gpio.High, gpio.Low, gpio.High, gpio.Low} {
			ip[1].Drive(l)
			time.Sleep(2 * time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond)
		ip[1].Drive(gpio.High)
		b := <-d.Events()
		// The last bounce at 109 ms; released at 311 ms, seen at 315 ms.
		if want := (lights.Button{Input: 1, At: t0.Add(315 * time.Millisecond)}); b != want {
			t.Errorf("got %+v, want %+v", b, want)
		}
		// A long press of GPIO13 with the 500 ms threshold.
		ip[2].Drive(gpio.Low)
		b = <-d.Events()
		if !b.Long || b.Input != 2 {
			t.Errorf("got %+v, want a long press of input 2", b)
		}
		ip[2].Drive(gpio.High)
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}

func TestButtonsActiveHigh(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ins, ip := pins("GPIO5")
		d, err := New(nil, ins, Opts{Name: "s", ButtonsActiveHigh: true}, lights.Env{})
		if err != nil {
			t.Fatal(err)
		}
		if ip[0].PullSet() != gpio.PullDown {
			t.Fatalf("pull %v, want PullDown", ip[0].PullSet())
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- d.Run(ctx) }()
		time.Sleep(time.Millisecond)
		ip[0].Drive(gpio.High)
		time.Sleep(100 * time.Millisecond)
		ip[0].Drive(gpio.Low)
		if b := <-d.Events(); b.Input != 0 || b.Long {
			t.Errorf("got %+v", b)
		}
		cancel()
		<-done
	})
}

func TestPinErrors(t *testing.T) {
	outs, op := pins("GPIO17")
	op[0].SetFail(errors.New("device or resource busy"))
	if _, err := New(outs, nil, Opts{Name: "s"}, lights.Env{}); err == nil {
		t.Error("busy pin accepted")
	}
	op[0].SetFail(nil)
	d, err := New(outs, nil, Opts{Name: "s"}, lights.Env{})
	if err != nil {
		t.Fatal(err)
	}
	op[0].SetFail(errors.New("bad file descriptor"))
	if err := d.Set(lights.Channel(0), lights.State{Color: lights.Red}); !errors.Is(err, lights.ErrDisconnected) {
		t.Errorf("Set on a failing pin: %v", err)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		opts    map[string]any
		errKeys []string
		capa    devices.Capacity
	}{
		{"issue example", map[string]any{"outputs": []any{17, 27, 22}, "inputs": []any{5, 6, 13}, "active_low": true},
			nil, devices.Capacity{Outputs: 3, Inputs: 3}},
		{"line names", map[string]any{"outputs": []any{"GPIO17", "PA7"}}, nil, devices.Capacity{Outputs: 2}},
		{"number as string", map[string]any{"inputs": []any{"5"}}, nil, devices.Capacity{Inputs: 1}},
		{"same pin twice", map[string]any{"outputs": []any{17}, "inputs": []any{"GPIO17"}}, []string{"inputs[0]"}, devices.Capacity{Outputs: 1}},
		{"bad pin", map[string]any{"outputs": []any{-1, ""}}, []string{"outputs[0]", "outputs[1]"}, devices.Capacity{}},
		{"no pins", nil, []string{"outputs"}, devices.Capacity{}},
		{"poll", map[string]any{"outputs": []any{17}, "poll_ms": 1000}, []string{"poll_ms"}, devices.Capacity{Outputs: 1}},
		{"active_low type", map[string]any{"outputs": []any{17}, "active_low": "yes"}, []string{"active_low"}, devices.Capacity{Outputs: 1}},
	}
	d, ok := lights.Lookup(Name)
	if !ok {
		t.Fatal("not registered")
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := devices.Spec{Name: "shelf1", Kind: devices.KindLights, Driver: Name, Options: tt.opts}
			var keys []string
			for _, e := range d.Validate(s) {
				keys = append(keys, e.Key)
			}
			if !slices.Equal(keys, tt.errKeys) {
				t.Errorf("errors on %v, want %v (%v)", keys, tt.errKeys, d.Validate(s))
			}
			if got := d.Capacity(s); got != tt.capa {
				t.Errorf("Capacity = %+v, want %+v", got, tt.capa)
			}
		})
	}
}

func TestConformance(t *testing.T) {
	lightstest.Run(t, func(t *testing.T) (lights.Lights, devices.Capacity) {
		outs, _ := pins("GPIO17", "GPIO27", "GPIO22")
		ins, _ := pins("GPIO5", "GPIO6")
		d, err := New(outs, ins, Opts{Name: "shelf1"}, lights.Env{})
		if err != nil {
			t.Fatal(err)
		}
		return d, devices.Capacity{Outputs: 3, Inputs: 2}
	})
}
