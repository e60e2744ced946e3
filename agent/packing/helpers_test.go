package packing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stationd/stationd/agent"
	"github.com/stationd/stationd/agent/config"
	"github.com/stationd/stationd/agent/intake"
	"github.com/stationd/stationd/agent/outbox"
	"github.com/stationd/stationd/devices/scale"
	"github.com/stationd/stationd/devices/scanner/barcode"
	"github.com/stationd/stationd/protocol"
	"github.com/stationd/stationd/protocol/units"
)

// ref is "today" in the tests: the reference date of the GS1 vectors.
var ref = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func testConfig() *config.Config {
	return &config.Config{
		Site: "PAR1", Station: "pack-07", Roles: []string{"pack"},
		Pack: config.Pack{
			Scanner: "scanner1", Scale: "scale1", Printer: "printer1",
			Tolerance: config.Tolerance{Mass: 50 * units.Gram, Percent: 5},
			Boxes: []config.Box{
				{ID: "BOX-S", Inner: [3]units.Length{250, 200, 100}, Outer: [3]units.Length{260, 210, 110}, Tare: 120 * units.Gram},
				{ID: "BOX-M", Inner: [3]units.Length{350, 250, 150}, Outer: [3]units.Length{360, 260, 160}, Tare: 210 * units.Gram},
			},
			OrderTTL: 72 * time.Hour, BoxFillFactor: 0.9, Language: "en",
		},
	}
}

// fakeScale behaves like scale.Monitor: put is a new reading, and waiters are fed each reading
// as the monitor feeds them.
type fakeScale struct {
	mu      sync.Mutex
	last    scale.Reading
	have    bool
	waiters map[*scaleWaiter]struct{}
	stable  int // WaitStable calls
	reweigh int // WaitReweigh calls
}

type scaleWaiter struct {
	reweigh  bool
	near     units.Mass
	seenNear bool
	ch       chan scale.Reading
}

func newFakeScale() *fakeScale { return &fakeScale{waiters: map[*scaleWaiter]struct{}{}} }

func (f *fakeScale) put(g int64, stable bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.last, f.have = scale.Reading{Mass: units.Mass(g) * units.Gram, Stable: stable}, true
	for w := range f.waiters {
		if w.reweigh {
			if abs(f.last.Mass) <= w.near {
				w.seenNear = true
				continue
			}
			if !w.seenNear {
				continue
			}
		}
		if f.last.Stable {
			w.ch <- f.last
			delete(f.waiters, w)
		}
	}
}

func (f *fakeScale) wait(ctx context.Context, w *scaleWaiter, timeout <-chan time.Time, settle time.Duration) (scale.Reading, error) {
	defer func() {
		f.mu.Lock()
		delete(f.waiters, w)
		f.mu.Unlock()
	}()
	select {
	case r := <-w.ch:
		return r, nil
	case <-timeout:
		return scale.Reading{}, scale.NewError("scale1 (fake)", scale.CodeSettleTimeout, fmt.Sprintf("no settled weight within %v", settle))
	case <-ctx.Done():
		return scale.Reading{}, ctx.Err()
	}
}

func (f *fakeScale) WaitStable(ctx context.Context, settle time.Duration) (scale.Reading, error) {
	f.mu.Lock()
	f.stable++
	if f.have && f.last.Stable {
		r := f.last
		f.mu.Unlock()
		return r, nil
	}
	w := &scaleWaiter{ch: make(chan scale.Reading, 1)}
	f.waiters[w] = struct{}{}
	f.mu.Unlock()
	return f.wait(ctx, w, time.After(settle), settle)
}

func (f *fakeScale) WaitReweigh(ctx context.Context, near units.Mass) (scale.Reading, error) {
	f.mu.Lock()
	f.reweigh++
	w := &scaleWaiter{reweigh: true, near: near, seenNear: f.have && abs(f.last.Mass) <= near, ch: make(chan scale.Reading, 1)}
	f.waiters[w] = struct{}{}
	f.mu.Unlock()
	return f.wait(ctx, w, nil, 0)
}

// fakeLabels is the print queue: it stores jobs in the caller's transaction (bucket "fakeq"),
// counts kicks, and the test sends the outcomes.
type fakeLabels struct {
	kicks       atomic.Int64
	out         chan LabelOutcome
	failEnqueue atomic.Bool
}

var bucketFakeQ = []byte("fakeq")

func newFakeLabels() *fakeLabels { return &fakeLabels{out: make(chan LabelOutcome)} }

func (f *fakeLabels) Enqueue(tx *outbox.Tx, job LabelJob) error {
	if f.failEnqueue.Load() {
		return errors.New("fake queue: refused")
	}
	b, err := json.Marshal(job)
	if err != nil {
		return err
	}
	return tx.Put(bucketFakeQ, []byte(job.ID), b)
}
func (f *fakeLabels) Kick()                         { f.kicks.Add(1) }
func (f *fakeLabels) Outcomes() <-chan LabelOutcome { return f.out }

// jobs returns the jobs committed to the fake queue.
func jobs(t testing.TB, s *outbox.Store) []LabelJob {
	t.Helper()
	var out []LabelJob
	if err := s.View(func(tx *outbox.Tx) error {
		return tx.ForEach(bucketFakeQ, func(_, v []byte) error {
			var j LabelJob
			if err := json.Unmarshal(v, &j); err != nil {
				return err
			}
			out = append(out, j)
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

type signal struct{ kind, text string }

type fakeFeedback struct {
	mu  sync.Mutex
	all []signal
	ch  chan signal // when not nil, every signal is also sent here
}

func (f *fakeFeedback) Signal(kind, text string) {
	f.mu.Lock()
	f.all = append(f.all, signal{kind, text})
	ch := f.ch
	f.mu.Unlock()
	if ch != nil {
		ch <- signal{kind, text}
	}
}

func (f *fakeFeedback) last() signal {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.all) == 0 {
		return signal{}
	}
	return f.all[len(f.all)-1]
}

type handlers map[string]intake.Handler

func (h handlers) Handle(t string, fn intake.Handler) { h[t] = fn }

// station is a workflow on a real store with fake devices, run inside a synctest bubble (or
// not, for benchmarks).
type station struct {
	t      testing.TB
	path   string
	store  *outbox.Store
	cfg    atomic.Pointer[config.Config]
	scale  *fakeScale
	noScl  atomic.Bool // Deps.Scale returns nil
	labels *fakeLabels
	fb     *fakeFeedback
	scans  chan agent.Scan
	w      *Workflow
	h      handlers
	cancel context.CancelFunc
	runErr chan error
	seen   uint64 // last seq returned by events
	offset time.Duration
	bubble bool
}

// newStation opens the store at path (a new one in a temporary directory when "") and starts
// the workflow.
func newStation(t testing.TB, path string, cfg *config.Config) *station {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "stationd.db")
	}
	st := &station{t: t, path: path, scale: newFakeScale(), labels: newFakeLabels(), fb: &fakeFeedback{},
		scans: make(chan agent.Scan), h: handlers{}, offset: ref.Sub(time.Now())}
	st.bubble = isBubble(t)
	st.cfg.Store(cfg)
	st.start()
	return st
}

// isBubble: tests run the station inside a synctest bubble, benchmarks outside.
func isBubble(t testing.TB) bool {
	_, ok := t.(*testing.T)
	return ok
}

func (st *station) now() time.Time { return time.Now().Add(st.offset) }

func (st *station) start() {
	t := st.t
	t.Helper()
	store, err := outbox.Open(st.path, outbox.Options{Site: "PAR1", Station: "pack-07", Now: st.now})
	if err != nil {
		t.Fatal(err)
	}
	st.store = store
	st.h = handlers{}
	w, err := New(Deps{
		Store: store, Scans: st.scans, Labels: st.labels, Feedback: st.fb,
		Scale: func() ScaleSource {
			if st.noScl.Load() {
				return nil
			}
			return st.scale
		},
		Config: st.cfg.Load, Now: st.now,
	})
	if err != nil {
		t.Fatal(err)
	}
	st.w = w
	w.Register(st.h)
	ctx, cancel := context.WithCancel(context.Background())
	st.cancel = cancel
	st.runErr = make(chan error, 1)
	go func() { st.runErr <- w.Run(ctx) }()
	st.settle()
}

// stop stops the workflow and closes the store.
func (st *station) stop() {
	st.t.Helper()
	st.cancel()
	if err := <-st.runErr; err != nil {
		st.t.Errorf("Run: %v", err)
	}
	if err := st.store.Close(); err != nil {
		st.t.Error(err)
	}
}

// restart stops the station and starts it again on the same file.
func (st *station) restart() {
	st.stop()
	st.start()
}

// settle waits until the workflow has handled everything it was given.
func (st *station) settle() {
	if st.bubble {
		synctest.Wait()
	}
}

func (st *station) scan(data string) {
	st.t.Helper()
	st.scans <- agent.Scan{Device: "scanner1", Data: data, At: st.now(), Decoded: barcode.Decode(data)}
	st.settle()
}

func scanFrom(device, data string) agent.Scan {
	return agent.Scan{Device: device, Data: data, Decoded: barcode.Decode(data)}
}

func (st *station) weigh(g int64) {
	st.scale.put(g, true)
	st.settle()
}

func (st *station) outcome(o LabelOutcome) {
	st.labels.out <- o
	st.settle()
}

func (st *station) command(data protocol.CommandData) *protocol.Error {
	st.t.Helper()
	cmd, err := protocol.NewCommand("c-"+fmt.Sprint(time.Now().UnixNano()), st.now(), data)
	if err != nil {
		st.t.Fatal(err)
	}
	// As the intake does: decode the data from the wire form.
	_, d, perr := protocol.DecodeCommand(cmd.Type, mustJSON(st.t, cmd))
	if perr != nil {
		st.t.Fatalf("command refused by the protocol: %v", perr)
	}
	res := st.h[cmd.Type](context.Background(), cmd, d)
	st.settle()
	return res
}

func (st *station) mustCommand(data protocol.CommandData) {
	st.t.Helper()
	if err := st.command(data); err != nil {
		st.t.Fatalf("%s: %v", data.CommandType(), err)
	}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// events returns the events appended since the previous call, each checked against the
// protocol's schema by decoding it as an OMS does.
func (st *station) events() []protocol.EventData {
	st.t.Helper()
	recs, err := st.store.Pending(st.seen, 10000)
	if err != nil {
		st.t.Fatal(err)
	}
	var out []protocol.EventData
	for _, r := range recs {
		_, d, err := protocol.DecodeEvent(r.Payload)
		if err != nil {
			st.t.Fatalf("event %d is not valid: %v\n%s", r.Seq, err, r.Payload)
		}
		if r.Seq != st.seen+1 {
			st.t.Fatalf("seq %d after %d", r.Seq, st.seen)
		}
		st.seen = r.Seq
		out = append(out, d)
	}
	return out
}

// expect checks that exactly want were appended since the previous call.
func (st *station) expect(want ...protocol.EventData) []protocol.EventData {
	st.t.Helper()
	got := st.events()
	if !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
		st.t.Fatalf("events:\n%s\nwant:\n%s", dump(got), dump(want))
	}
	return got
}

func dump(evs []protocol.EventData) string {
	s := ""
	for _, e := range evs {
		b, _ := json.Marshal(e)
		s += fmt.Sprintf("  %s %s\n", e.EventType(), b)
	}
	return s
}

func i64(v int64) *int64 { return &v }

// testOrder is a two-line order: line 1 (number) two units of a GTIN-13 item with dimensions,
// line "B" one unit known by SKU and alias.
func testOrder(id string) protocol.PackOrder {
	return protocol.PackOrder{
		OrderID: id, Carrier: "colissimo", Service: "expert", TrackingNumber: "6A12345678901",
		ShipTo: protocol.ShipTo{Name: "Hélène Dupré", Street: "12 rue de la République", Postcode: "42000", City: "Saint-Étienne", Country: "FR"},
		Lines: []protocol.OrderLine{
			{Line: protocol.LineNumber(1), SKU: "SKU-TEE", GTIN: "5901234123457", Qty: 2, UnitWeightG: 250, DimsMM: [3]units.Length{200, 150, 30}},
			{Line: protocol.LineString("B"), SKU: "SKU-MUG", Barcodes: []string{"MUG-ALIAS"}, Qty: 1, UnitWeightG: 400},
		},
	}
}
