package supervisor

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stationd/stationd/devices"
	"github.com/stationd/stationd/protocol"
)

type recorder struct {
	mu sync.Mutex
	ch []protocol.DeviceStatus
}

func (r *recorder) add(s protocol.DeviceStatus) {
	r.mu.Lock()
	r.ch = append(r.ch, s)
	r.mu.Unlock()
}

func (r *recorder) states() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, s := range r.ch {
		out = append(out, s.Device+":"+s.State)
	}
	return out
}

func TestReopenWithBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		opens := 0
		var opened []time.Time
		dev := Device{
			Spec: devices.Spec{Name: "scale1", Kind: "scale", Driver: "sim"},
			Run: func(ctx context.Context, r Reporter) error {
				opens++
				opened = append(opened, time.Now())
				if opens <= 3 {
					return Disconnected(errors.New("port not found"))
				}
				r.OK()
				if opens == 4 {
					r.Fault("overload")
					r.Fault("overload") // same state and detail: no new event
					r.OK()
					return errors.New("garbage")
				}
				<-ctx.Done()
				return nil
			},
		}
		s := New([]Device{dev}, Options{OnChange: rec.add, BackoffMin: 100 * time.Millisecond, BackoffMax: time.Second})
		if got := s.States()[0].State; got != devices.StateDisconnected {
			t.Fatalf("initial state %q", got)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { s.Run(ctx); close(done) }()
		time.Sleep(10 * time.Second)
		synctest.Wait()
		want := []string{"scale1:disconnected", "scale1:ok", "scale1:fault", "scale1:ok", "scale1:fault", "scale1:ok"}
		got := rec.states()
		if len(got) != len(want) {
			t.Fatalf("states %v, want %v", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("states %v, want %v", got, want)
			}
		}
		// Backoff grows: each wait at least half of the doubled previous one.
		for i := 2; i < 4; i++ {
			if d := opened[i].Sub(opened[i-1]); d < 100*time.Millisecond {
				t.Errorf("reopen %d after %v: no backoff", i, d)
			}
		}
		if s.State("scale1") != devices.StateOK {
			t.Errorf("final state %q", s.State("scale1"))
		}
		cancel()
		<-done
	})
}

func TestPanicIsFault(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		n := 0
		s := New([]Device{{
			Spec: devices.Spec{Name: "p", Kind: "printer"},
			Run: func(ctx context.Context, r Reporter) error {
				n++
				if n == 1 {
					panic("driver bug")
				}
				r.OK()
				<-ctx.Done()
				return nil
			},
		}}, Options{OnChange: rec.add})
		ctx, cancel := context.WithCancel(context.Background())
		go s.Run(ctx)
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if got := rec.states(); len(got) != 2 || got[0] != "p:fault" || got[1] != "p:ok" {
			t.Errorf("states %v", got)
		}
		cancel()
	})
}
