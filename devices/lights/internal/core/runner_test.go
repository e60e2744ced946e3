package core

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/stationd/stationd/devices/lights"
	"github.com/stationd/stationd/devices/lights/internal/fakepin"
)

// inputs are raw button levels that a test sets and a Runner samples.
type inputs struct {
	mu      sync.Mutex
	levels  []bool
	samples int
	err     error
}

func (in *inputs) set(i int, p bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.levels[i] = p
}

func (in *inputs) sample(pressed []bool) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.samples++
	copy(pressed, in.levels)
	return in.err
}

func (in *inputs) count() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.samples
}

// run starts r.Run in the bubble and returns a func that cancels it and returns its error.
func run(t *testing.T, r *Runner) (stop func() error, done <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	ch := make(chan error, 1)
	go func() { ch <- r.Run(ctx) }()
	return func() error {
		cancel()
		return <-ch
	}, ch
}

func TestRunnerPressTiming(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		in := &inputs{levels: make([]bool, 2)}
		r := NewRunner(RunnerConfig{Name: "t", Inputs: 2, Sample: in.sample, Poll: 5 * time.Millisecond})
		stop, _ := run(t, r)

		// Short press of input 1 from 102 ms to 302 ms. Samples fall on multiples of 5 ms, so
		// the release is first seen at 305 ms and confirmed 20 ms later.
		time.Sleep(102 * time.Millisecond)
		in.set(1, true)
		time.Sleep(200 * time.Millisecond)
		in.set(1, false)
		b := <-r.Events()
		if want := (lights.Button{Input: 1, At: t0.Add(305 * time.Millisecond)}); b != want {
			t.Errorf("got %+v, want %+v", b, want)
		}
		if got := time.Since(t0); got != 325*time.Millisecond {
			t.Errorf("delivered at %v, want 325ms (release seen at 305ms + 20ms debounce)", got)
		}

		// Long press of input 0 from 402 ms: seen at 405 ms, long at 405 + 800 ms.
		time.Sleep(77 * time.Millisecond)
		in.set(0, true)
		b = <-r.Events()
		if want := (lights.Button{Input: 0, Long: true, At: t0.Add(1205 * time.Millisecond)}); b != want {
			t.Errorf("got %+v, want %+v", b, want)
		}
		if got := time.Since(t0); got != 1205*time.Millisecond {
			t.Errorf("long press delivered at %v, want 1.205s", got)
		}
		in.set(0, false)
		time.Sleep(time.Second)
		select {
		case b := <-r.Events():
			t.Errorf("release of a long press reported: %+v", b)
		default:
		}
		if err := stop(); err != nil {
			t.Errorf("Run = %v, want nil after cancel", err)
		}
		if _, ok := <-r.Events(); ok {
			t.Error("Events not closed after Run returned")
		}
	})
}

func TestRunnerCustomTiming(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		in := &inputs{levels: make([]bool, 1)}
		r := NewRunner(RunnerConfig{Name: "t", Inputs: 1, Sample: in.sample, Poll: 10 * time.Millisecond,
			Buttons: lights.Buttons{Debounce: 50 * time.Millisecond, LongPress: 2 * time.Second}})
		stop, _ := run(t, r)
		time.Sleep(1 * time.Millisecond)
		in.set(0, true)
		b := <-r.Events()
		// Seen at 10 ms, long at 10 ms + 2 s.
		if want := (lights.Button{Input: 0, Long: true, At: t0.Add(2010 * time.Millisecond)}); b != want {
			t.Errorf("got %+v, want %+v", b, want)
		}
		in.set(0, false)
		if err := stop(); err != nil {
			t.Error(err)
		}
	})
}

func TestRunnerStuck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		in := &inputs{levels: make([]bool, 3)}
		r := NewRunner(RunnerConfig{Name: "shelf1", Inputs: 3, Sample: in.sample, Poll: 5 * time.Millisecond})
		_, done := run(t, r)
		time.Sleep(time.Millisecond)
		in.set(2, true)
		if b := <-r.Events(); !b.Long || b.Input != 2 {
			t.Fatalf("want the long press first, got %+v", b)
		}
		err := <-done
		if !errors.Is(err, lights.ErrStuck) {
			t.Fatalf("Run = %v, want ErrStuck", err)
		}
		if got := lights.StatusOf(err); got != "fault" {
			t.Errorf("status %q, want fault", got)
		}
		if got := time.Since(t0); got != 30005*time.Millisecond {
			t.Errorf("stuck after %v, want 30.005s", got)
		}
		if _, ok := <-r.Events(); ok {
			t.Error("Events not closed")
		}
	})
}

func TestRunnerSampleError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		in := &inputs{levels: make([]bool, 1), err: errors.New("i2c: remote I/O error")}
		r := NewRunner(RunnerConfig{Name: "shelf1", Inputs: 1, Sample: in.sample, Poll: 5 * time.Millisecond})
		_, done := run(t, r)
		err := <-done
		if !errors.Is(err, lights.ErrDisconnected) || lights.StatusOf(err) != "disconnected" {
			t.Fatalf("Run = %v, want ErrDisconnected", err)
		}
	})
}

func TestRunnerFault(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fault := make(chan error, 1)
		r := NewRunner(RunnerConfig{Name: "sim", Fault: fault})
		if r.Events() != nil {
			t.Error("Events not nil without inputs")
		}
		_, done := run(t, r)
		time.Sleep(time.Second)
		fault <- lights.ErrDisconnected
		if err := <-done; !errors.Is(err, lights.ErrDisconnected) {
			t.Fatalf("Run = %v", err)
		}
	})
}

func TestRunnerTwice(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := NewRunner(RunnerConfig{Name: "t"})
		stop, _ := run(t, r)
		time.Sleep(time.Millisecond)
		if err := r.Run(t.Context()); err == nil {
			t.Error("second Run succeeded")
		}
		if err := stop(); err != nil {
			t.Error(err)
		}
	})
}

func TestRunnerCloseWithoutRun(t *testing.T) {
	r := NewRunner(RunnerConfig{Name: "t", Inputs: 1, Sample: func([]bool) error { return nil }})
	r.Close()
	if _, ok := <-r.Events(); ok {
		t.Fatal("Events open after Close")
	}
	if err := r.Run(context.Background()); err == nil {
		t.Fatal("Run after Close succeeded")
	}
	if err := r.Inject(lights.Button{}); err == nil {
		t.Fatal("Inject after Close succeeded")
	}
}

func TestRunnerInject(t *testing.T) {
	r := NewRunner(RunnerConfig{Name: "t", Inputs: 2, Sample: func([]bool) error { return nil }})
	if err := r.Inject(lights.Button{Input: 2}); !errors.Is(err, lights.ErrInvalid) {
		t.Errorf("out of range: %v", err)
	}
	for i := range eventBuffer {
		if err := r.Inject(lights.Button{Input: i % 2}); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Inject(lights.Button{}); err == nil {
		t.Error("full buffer accepted a press")
	}
	if err := NewRunner(RunnerConfig{Name: "t"}).Inject(lights.Button{}); !errors.Is(err, lights.ErrNotSupported) {
		t.Errorf("no inputs: %v", err)
	}
}

// frames records what a Flush was asked to show, and when.
type frames struct {
	mu  sync.Mutex
	t0  time.Time
	log []frame
	err error
}

type frame struct {
	at     time.Duration
	colors []lights.Color
}

func (f *frames) flush(c []lights.Color) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.log = append(f.log, frame{time.Since(f.t0), slices.Clone(c)})
	return nil
}

func (f *frames) take() []frame {
	f.mu.Lock()
	defer f.mu.Unlock()
	l := f.log
	f.log = nil
	return l
}

func TestRunnerBlink(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &frames{t0: time.Now()}
		out := NewOutputs("t", 3, f.flush)
		r := NewRunner(RunnerConfig{Name: "t", Outputs: out})
		stop, _ := run(t, r)
		ms := time.Millisecond
		red, green := lights.Red, lights.Green
		off := lights.Off

		time.Sleep(100 * ms)
		if err := out.Set(lights.Channel(1), lights.State{Color: green}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * ms)
		if err := out.Set(lights.Target{First: 0, Last: 0}, lights.State{Color: red, Blink: true}); err != nil {
			t.Fatal(err)
		}
		// The blinking output shows at once, then alternates every 250 ms from the Set.
		time.Sleep(900 * ms) // to 1010 ms
		want := []frame{
			{100 * ms, []lights.Color{off, green, off}},
			{110 * ms, []lights.Color{red, green, off}},
			{360 * ms, []lights.Color{off, green, off}},
			{610 * ms, []lights.Color{red, green, off}},
			{860 * ms, []lights.Color{off, green, off}},
		}
		if got := f.take(); !equalFrames(got, want) {
			t.Errorf("frames\n got %v\nwant %v", got, want)
		}
		// Nothing blinks: no writes.
		if err := out.Set(lights.Channel(0), lights.State{Color: red}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		if got := f.take(); len(got) != 1 {
			t.Errorf("steady outputs rewritten: %v", got)
		}
		// A failed blink write ends Run with ErrDisconnected.
		if err := out.Set(lights.Channel(2), lights.State{Color: red, Blink: true}); err != nil {
			t.Fatal(err)
		}
		f.mu.Lock()
		f.err = errors.New("spi: broken pipe")
		f.mu.Unlock()
		time.Sleep(time.Second)
		if err := stop(); !errors.Is(err, lights.ErrDisconnected) {
			t.Errorf("Run = %v, want ErrDisconnected", err)
		}
	})
}

func equalFrames(a, b []frame) bool {
	return slices.EqualFunc(a, b, func(x, y frame) bool { return x.at == y.at && slices.Equal(x.colors, y.colors) })
}

func TestOutputsSetRange(t *testing.T) {
	f := &frames{t0: time.Now()}
	out := NewOutputs("shelf1", 4, f.flush)
	for _, tg := range []lights.Target{{First: -1, Last: 0}, {First: 0, Last: 4}, {First: 3, Last: 2}, {First: 4, Last: 4}} {
		if err := out.Set(tg, lights.State{Color: lights.Red}); !errors.Is(err, lights.ErrInvalid) {
			t.Errorf("Set(%v) = %v, want ErrInvalid", tg, err)
		}
	}
	if len(f.take()) != 0 {
		t.Error("invalid Set wrote")
	}
	if err := out.Set(lights.Target{First: 1, Last: 3}, lights.State{Color: lights.Blue}); err != nil {
		t.Fatal(err)
	}
	if got := out.State(3); got.Color != lights.Blue {
		t.Errorf("State(3) = %v", got)
	}
	if err := out.Halt(); err != nil {
		t.Fatal(err)
	}
	if got := out.State(2); got.On() {
		t.Errorf("on after Halt: %v", got)
	}
}

// TestRunnerInterrupt: with an interrupt line the Runner samples on each edge and, while no
// button is pressed, only every IdlePoll otherwise.
func TestRunnerInterrupt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		irq := fakepin.New("GPIO4", 4)
		if err := irq.In(gpio.PullUp, gpio.FallingEdge); err != nil {
			t.Fatal(err)
		}
		in := &inputs{levels: make([]bool, 1)}
		r := NewRunner(RunnerConfig{Name: "t", Inputs: 1, Sample: in.sample, Poll: 5 * time.Millisecond, Edge: irq.WaitForEdge})
		stop, _ := run(t, r)
		time.Sleep(990 * time.Millisecond)
		// Samples at 0, 250, 500, 750 ms.
		if n := in.count(); n != 4 {
			t.Errorf("%d samples while idle for 990ms, want 4", n)
		}
		// A press pulls INT low: sampled at once, then polled every 5 ms until released.
		in.set(0, true)
		irq.Drive(gpio.Low)
		time.Sleep(time.Millisecond)
		if n := in.count(); n != 5 {
			t.Errorf("%d samples after the edge, want 5", n)
		}
		time.Sleep(99 * time.Millisecond) // to 1090 ms
		in.set(0, false)
		irq.Drive(gpio.High) // reading GPIO clears INT
		irq.Drive(gpio.Low)  // the release is a change too
		b := <-r.Events()
		// Pressed from the edge at 990 ms; the release is seen at once at 1090 ms.
		if want := (lights.Button{Input: 0, At: t0.Add(1090 * time.Millisecond)}); b != want {
			t.Errorf("got %+v, want %+v", b, want)
		}
		if err := stop(); err != nil {
			t.Error(err)
		}
	})
}

// BenchmarkEdgeToEvent measures, in real time, from a button release (the level a sampler
// returns) to the press on Events: the part of the latency that does not depend on the
// agent. With the default 20 ms debounce and a 5 ms poll it is 20 to 25 ms by design; without
// debouncing and a 1 ms poll it shows the overhead of the loop itself.
func BenchmarkEdgeToEvent(b *testing.B) {
	cases := []struct {
		name    string
		poll    time.Duration
		buttons lights.Buttons
	}{
		{"debounce20ms-poll5ms", 5 * time.Millisecond, lights.Buttons{}},
		{"debounce0-poll1ms", time.Millisecond, lights.Buttons{Debounce: -1}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var level atomic.Bool
			var samples atomic.Int64
			r := NewRunner(RunnerConfig{Name: "bench", Inputs: 1, Poll: c.poll, Buttons: c.buttons,
				Sample: func(p []bool) error { p[0] = level.Load(); samples.Add(1); return nil }})
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- r.Run(ctx) }()
			// Let Run take its first sample: a button pressed before it is ignored.
			for samples.Load() == 0 {
				time.Sleep(c.poll)
			}
			var total time.Duration
			n := 0
			for b.Loop() {
				level.Store(true)
				// Hold long enough for the press to be confirmed whatever the sampling phase.
				time.Sleep(2*(c.poll+c.buttons.Resolved().Debounce) + 5*time.Millisecond)
				start := time.Now()
				level.Store(false)
				select {
				case <-r.Events():
				case <-time.After(time.Second):
					b.Fatal("no press delivered within 1s")
				}
				total += time.Since(start)
				n++
			}
			cancel()
			<-done
			b.ReportMetric(float64(total.Microseconds())/float64(n)/1000, "release-to-event-ms")
		})
	}
}
