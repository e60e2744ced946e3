package scaletest

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stationd/stationd/devices/scale"
	"github.com/stationd/stationd/protocol/units"
)

// Device is the simulated scale behind a driver under test.
type Device interface {
	// Set puts m on the platter; stable says whether the scale reports it settled.
	Set(m units.Mass, stable bool)
	// Fault makes the scale report code from now on: scale.CodeOverload, CodeUnderload,
	// CodeTimeout (silence), CodeParse (garbage), or any other code listed in Caps.Faults; ""
	// returns to weighing.
	Fault(code string)
	// Unplug pulls the cable.
	Unplug()
}

// Caps says what a protocol can do, so that the suite knows what to expect.
type Caps struct {
	Zero, Tare bool // the protocol has the command (else ErrNotSupported is expected)
	Motion     bool // a moving weight is a Reading with Stable false (else Read gives ErrUnstable)
	Negative   bool // negative weights are Readings
	// Faults lists the codes Device.Fault can inject. The error Read returns must carry that
	// code, except CodeParse, which must carry GarbageCode (parse_error when empty).
	Faults      []string
	GarbageCode string
}

// Harness opens the driver under test against a fresh simulated device.
type Harness struct {
	// Open returns the driver connected to a new simulated device; the harness closes both
	// at the end of the test. Timeouts should be short (100-300 ms): the suite waits for them.
	Open func(t *testing.T) (scale.Scale, Device)
	Caps Caps
}

// maxTries bounds the reads the suite makes while waiting for a change to show: streaming
// drivers may first return frames sent before it.
const maxTries = 100

// maxWait bounds the time the suite waits for a change to show.
const maxWait = 5 * time.Second

// Run runs the conformance suite: weights, motion, every fault and recovery from it, zero and
// tare, cancellation, Close unblocking Read, unplugging, and concurrent use.
func Run(t *testing.T, h Harness) {
	t.Run("Weight", func(t *testing.T) {
		sc, dev := h.Open(t)
		for _, m := range []units.Mass{0, 1234 * units.Gram, 12500 * units.Gram, 850 * units.Gram} {
			dev.Set(m, true)
			readUntil(t, sc, fmt.Sprintf("stable %v", m), func(r scale.Reading, err error) bool {
				return err == nil && r.Mass == m && r.Stable
			})
		}
	})
	if h.Caps.Negative {
		t.Run("Negative", func(t *testing.T) {
			sc, dev := h.Open(t)
			dev.Set(-12*units.Gram, true)
			readUntil(t, sc, "stable -12 g", func(r scale.Reading, err error) bool {
				return err == nil && r.Mass == -12*units.Gram && r.Stable
			})
		})
	}
	t.Run("Motion", func(t *testing.T) {
		sc, dev := h.Open(t)
		dev.Set(500*units.Gram, false)
		if h.Caps.Motion {
			readUntil(t, sc, "moving 500 g", func(r scale.Reading, err error) bool {
				return err == nil && r.Mass == 500*units.Gram && !r.Stable
			})
		} else {
			readUntil(t, sc, "ErrUnstable", func(r scale.Reading, err error) bool {
				return errors.Is(err, scale.ErrUnstable)
			})
		}
		dev.Set(500*units.Gram, true)
		readUntil(t, sc, "settled 500 g", func(r scale.Reading, err error) bool {
			return err == nil && r.Mass == 500*units.Gram && r.Stable
		})
	})
	for _, code := range h.Caps.Faults {
		want := code
		if code == scale.CodeParse && h.Caps.GarbageCode != "" {
			want = h.Caps.GarbageCode
		}
		t.Run("Fault/"+code, func(t *testing.T) {
			sc, dev := h.Open(t)
			dev.Set(100*units.Gram, true)
			readUntil(t, sc, "100 g", func(r scale.Reading, err error) bool { return err == nil && r.Mass == 100*units.Gram })
			dev.Fault(code)
			readUntil(t, sc, want, func(r scale.Reading, err error) bool {
				if err != nil && r != (scale.Reading{}) {
					t.Errorf("Read returned %+v with error %v: an error is never a weight", r, err)
				}
				if err != nil && scale.Code(err) == want {
					var e *scale.Error
					if errors.As(err, &e) && (e.Device == "" || e.Detail == "") {
						t.Errorf("error %q should name the device and say what to do", err)
					}
					return true
				}
				return false
			})
			dev.Fault("")
			dev.Set(777*units.Gram, true)
			readUntil(t, sc, "recovery to 777 g", func(r scale.Reading, err error) bool {
				return err == nil && r.Mass == 777*units.Gram && r.Stable
			})
		})
	}
	t.Run("ZeroTare", func(t *testing.T) {
		sc, dev := h.Open(t)
		dev.Set(0, true)
		ctx := testContext(t)
		check := func(what string, err error, has bool) {
			switch {
			case has && err != nil:
				t.Errorf("%s: %v", what, err)
			case !has && !errors.Is(err, scale.ErrNotSupported):
				t.Errorf("%s: %v, want ErrNotSupported", what, err)
			}
		}
		check("Zero", sc.Zero(ctx), h.Caps.Zero)
		dev.Set(250*units.Gram, true)
		check("Tare", sc.Tare(ctx), h.Caps.Tare)
	})
	t.Run("Cancelled", func(t *testing.T) {
		sc, dev := h.Open(t)
		dev.Set(100*units.Gram, true)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := sc.Read(ctx); !errors.Is(err, context.Canceled) {
			t.Errorf("Read with a cancelled context: %v, want context.Canceled", err)
		}
		if hasFault(h.Caps, scale.CodeTimeout) {
			dev.Fault(scale.CodeTimeout)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				_, err := sc.Read(ctx)
				done <- err
			}()
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Errorf("Read cancelled while waiting: %v, want context.Canceled", err)
			}
		}
	})
	t.Run("Close", func(t *testing.T) {
		sc, dev := h.Open(t)
		if hasFault(h.Caps, scale.CodeTimeout) {
			dev.Fault(scale.CodeTimeout)
		}
		done := make(chan error, 1)
		go func() {
			for {
				if _, err := sc.Read(context.Background()); errors.Is(err, scale.ErrClosed) {
					done <- nil
					return
				} else if err != nil && !errors.Is(err, scale.ErrTimeout) {
					done <- err
					return
				}
			}
		}()
		if err := sc.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("Read pending at Close: %v, want ErrClosed", err)
		}
		if _, err := sc.Read(context.Background()); !errors.Is(err, scale.ErrClosed) {
			t.Errorf("Read after Close: %v, want ErrClosed", err)
		}
		if err := sc.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
	})
	t.Run("Unplug", func(t *testing.T) {
		sc, dev := h.Open(t)
		dev.Set(100*units.Gram, true)
		readUntil(t, sc, "100 g", func(r scale.Reading, err error) bool { return err == nil })
		dev.Unplug()
		readUntil(t, sc, "ErrDisconnected", func(r scale.Reading, err error) bool {
			if err != nil && !errors.Is(err, scale.ErrDisconnected) && !errors.Is(err, scale.ErrTimeout) {
				t.Errorf("after unplug: %v", err)
			}
			return errors.Is(err, scale.ErrDisconnected)
		})
		if _, err := sc.Read(testContext(t)); !errors.Is(err, scale.ErrDisconnected) {
			t.Errorf("second Read after unplug: %v, want ErrDisconnected", err)
		}
	})
	t.Run("String", func(t *testing.T) {
		sc, _ := h.Open(t)
		if sc.String() == "" {
			t.Error("String is empty")
		}
		if err := sc.Halt(); err != nil {
			t.Errorf("Halt: %v", err)
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		sc, dev := h.Open(t)
		dev.Set(300*units.Gram, true)
		ctx := testContext(t)
		var wg sync.WaitGroup
		for range 3 {
			wg.Go(func() {
				for range 5 {
					if _, err := sc.Read(ctx); err != nil {
						t.Errorf("concurrent Read: %v", err)
					}
				}
			})
		}
		wg.Go(func() {
			if err := sc.Zero(ctx); err != nil && !errors.Is(err, scale.ErrNotSupported) {
				t.Errorf("concurrent Zero: %v", err)
			}
		})
		wg.Wait()
	})
}

func hasFault(c Caps, code string) bool {
	for _, f := range c.Faults {
		if f == code {
			return true
		}
	}
	return false
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// readUntil reads until ok accepts a result, failing the test after maxTries reads that block
// (streaming and demand drivers) or after maxWait of reads that return at once (a driver that
// holds the last report).
func readUntil(t *testing.T, sc scale.Scale, what string, ok func(scale.Reading, error) bool) {
	t.Helper()
	ctx := testContext(t)
	var (
		r   scale.Reading
		err error
	)
	deadline := time.Now().Add(maxWait)
	for tries := 0; tries < maxTries || time.Now().Before(deadline); tries++ {
		r, err = sc.Read(ctx)
		if ok(r, err) {
			return
		}
		if ctx.Err() != nil {
			break
		}
		runtime.Gosched()
	}
	t.Fatalf("waiting for %s: last Read gave %+v, %v", what, r, err)
}
