package scale

import (
	"context"
	"testing"
	"time"

	"github.com/stationd/stationd/protocol/units"
)

// chanScale hands out the readings sent on in and records when Read returned the last one.
type chanScale struct {
	in       chan Reading
	returned chan time.Time
}

func (c *chanScale) Read(ctx context.Context) (Reading, error) {
	select {
	case r := <-c.in:
		if r.Stable {
			c.returned <- time.Now()
		}
		return r, nil
	case <-ctx.Done():
		return Reading{}, ctx.Err()
	}
}
func (c *chanScale) Zero(context.Context) error { return nil }
func (c *chanScale) Tare(context.Context) error { return nil }
func (c *chanScale) String() string             { return "chan" }
func (c *chanScale) Halt() error                { return nil }
func (c *chanScale) Close() error               { return nil }

// BenchmarkSettleHandover measures the time from the return of the Read that settles the
// weight to the return of WaitStable in the workflow's goroutine (target: at most one reading
// interval; the Monitor adds no delay of its own).
func BenchmarkSettleHandover(b *testing.B) {
	sc := &chanScale{in: make(chan Reading), returned: make(chan time.Time, 1)}
	m := NewMonitor(sc, MonitorConfig{Poll: minPoll, Stability: Stability{Count: 1}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- m.Run(ctx) }()
	var total time.Duration
	for b.Loop() {
		sc.in <- Reading{Mass: units.Gram, Stable: false} // not settled: WaitStable must wait
		got := make(chan time.Time)
		go func() {
			m.WaitStable(ctx, 0)
			got <- time.Now()
		}()
		for { // until the waiter is registered
			m.mu.Lock()
			n := len(m.waiters)
			m.mu.Unlock()
			if n == 1 {
				break
			}
		}
		sc.in <- Reading{Mass: units.Gram, Stable: true}
		read := <-sc.returned
		total += (<-got).Sub(read)
	}
	b.ReportMetric(float64(total.Nanoseconds())/float64(b.N), "ns/handover")
	cancel()
	<-done
}
