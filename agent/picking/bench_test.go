package picking

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stationd/stationd/agent"
	"github.com/stationd/stationd/agent/config"
	"github.com/stationd/stationd/agent/intake"
	"github.com/stationd/stationd/agent/outbox"
	"github.com/stationd/stationd/devices/lights"
	"github.com/stationd/stationd/protocol"
)

// timedStore notes when the workflow calls Update and when the transaction is durable.
type timedStore struct {
	agent.Store
	armed atomic.Bool
	times chan [2]time.Time // call, durable
}

func (s *timedStore) Update(ctx context.Context, fn func(*outbox.Tx) error) error {
	call := time.Now()
	err := s.Store.Update(ctx, fn)
	if s.armed.Load() {
		s.times <- [2]time.Time{call, time.Now()}
	}
	return err
}

type handlerMap map[string]intake.Handler

func (m handlerMap) Handle(typ string, h intake.Handler) { m[typ] = h }

// BenchmarkPressToConfirmed measures, on a real store (bbolt with fdatasync in a temporary
// directory), the time from a press arriving on Presses to its pick.confirmed being durable
// (durable-p50/p99), and the workflow's own part: from the press to its Update call
// (agent-p50/p99). Each press confirms a one-task batch, so that its transaction also holds
// pick.completed and the finished-batch record: the largest a press writes.
func BenchmarkPressToConfirmed(b *testing.B) {
	cfg := testConfig()
	st, err := outbox.Open(filepath.Join(b.TempDir(), "stationd.db"), outbox.Options{Site: cfg.Site, Station: cfg.Station})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ts := &timedStore{Store: st, times: make(chan [2]time.Time, 1)}
	presses := make(chan agent.Press, 1)
	src := &source{m: map[string]lights.Lights{"shelf1": newSim("shelf1")}}
	w, err := New(Deps{Store: ts, Presses: presses, Lights: src, Config: func() *config.Config { return cfg }})
	if err != nil {
		b.Fatal(err)
	}
	hs := handlerMap{}
	w.Register(hs)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- w.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-errc; err != nil {
			b.Error(err)
		}
	}()

	durable := make([]time.Duration, 0, b.N)
	own := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		id := fmt.Sprintf("B%d", i)
		if e := hs[protocol.CommandPickTasks](ctx, protocol.Command{ID: id, Type: protocol.CommandPickTasks},
			protocol.PickTasks{BatchID: id, Tasks: []protocol.PickTask{task("T1", "A-01", 1)}}); e != nil {
			b.Fatal(e)
		}
		ts.armed.Store(true)
		b.StartTimer()
		t0 := time.Now()
		presses <- agent.Press{Device: "shelf1", Input: 0, At: t0}
		tt := <-ts.times
		b.StopTimer()
		ts.armed.Store(false)
		own = append(own, tt[0].Sub(t0))
		durable = append(durable, tt[1].Sub(t0))
		b.StartTimer()
	}
	b.StopTimer()
	pct := func(d []time.Duration, p int) float64 {
		slices.Sort(d)
		return float64(d[(len(d)-1)*p/100].Nanoseconds()) / 1e3
	}
	b.ReportMetric(pct(durable, 50), "durable-p50-µs")
	b.ReportMetric(pct(durable, 99), "durable-p99-µs")
	b.ReportMetric(pct(own, 50), "agent-p50-µs")
	b.ReportMetric(pct(own, 99), "agent-p99-µs")
}
