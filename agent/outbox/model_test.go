package outbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

var modelSeed = flag.Uint64("model.seed", 0, "seed for TestModel (0: from the clock)")

// TestModel runs random appends, updates, acks, pages and reopens against an in-memory model of
// the store (bbolt's simulation_test.go), with a bound large enough never to drop ("roomy") and
// with one so small that drops, refusals and the alarm happen all the time ("tight").
func TestModel(t *testing.T) {
	seed := *modelSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	ops := 1500
	if testing.Short() {
		ops = 300
	}
	for _, tc := range []struct {
		name string
		max  int64
		acks int // percentage of ops that ack
	}{
		{"roomy", DefaultMaxBytes, 20},
		{"tight", 12 << 10, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Logf("seed %d (rerun with -model.seed=%d)", seed, seed)
			m := newModel(t, seed, tc.max)
			m.acks = tc.acks
			for i := range ops {
				m.step(i)
				if t.Failed() {
					t.Fatalf("failed at op %d (seed %d)", i, seed)
				}
			}
			m.compare("end")
			t.Logf("%+v", m.s.Stats())
		})
	}
}

type model struct {
	t    *testing.T
	rng  *rand.Rand
	path string
	o    Options
	s    *Store

	events  map[uint64]Record // stored
	kv      map[string]map[string]string
	lastSeq uint64
	acked   uint64
	dropped uint64
	refused uint64
	alarm   bool
	n       int // data counter
	acks    int // percentage of ops that ack
}

func newModel(t *testing.T, seed uint64, max int64) *model {
	o := testOptions()
	o.MaxBytes = max
	path := tempPath(t)
	m := &model{
		t: t, rng: rand.New(rand.NewPCG(seed, uint64(max))), path: path, o: o,
		events: map[uint64]Record{}, kv: map[string]map[string]string{},
	}
	m.s = openStore(t, path, o)
	return m
}

var modelTypes = []struct {
	typ  string
	tele bool
}{
	{"scan", true}, {"weight", true}, {"station.kpi", true},
	{"pack.item", false}, {"pack.completed", false}, {"command.result", false},
}

func (m *model) event() Event {
	tp := modelTypes[m.rng.IntN(len(modelTypes))]
	m.n++
	return Event{Type: tp.typ, Telemetry: tp.tele, Data: map[string]any{"n": m.n, "pad": strings.Repeat("p", m.rng.IntN(300))}}
}

func (m *model) step(i int) {
	t := m.t
	switch r := m.rng.IntN(100); {
	case r < m.acks:
		m.ack()
	case r < 60:
		ev := m.event()
		rec, err := m.s.Append(context.Background(), ev)
		m.applied(err, ev, []Record{rec})
	case r < 80:
		m.update()
	case r < 90:
		m.pending()
	case r < 97:
		m.view()
	default:
		if err := m.s.Close(); err != nil {
			t.Fatal(err)
		}
		m.refused = 0 // since Open
		m.s = openStore(t, m.path, m.o)
	}
	m.compare(fmt.Sprintf("op %d", i))
}

// applied folds the outcome of appends into the model: on success each record is the next seq,
// or follows a notice of a drop of the oldest telemetry.
func (m *model) applied(err error, ev Event, recs []Record) {
	t := m.t
	if err != nil {
		if !errors.Is(err, ErrFull) {
			t.Fatalf("append: %v", err)
		}
		// Refused: the critical events alone, and the event, must leave too little room.
		if crit := m.criticalBytes(); crit+int64(len(ev.Data.(map[string]any)["pad"].(string)))+100 <= m.o.MaxBytes-m.o.MaxBytes/dropChunk && !ev.Telemetry {
			t.Fatalf("ErrFull with %d critical bytes of %d", crit, m.o.MaxBytes)
		}
		if ev.Telemetry {
			m.refused++
		}
		return
	}
	for _, rec := range recs {
		m.record(rec)
	}
	m.settle()
}

func (m *model) record(rec Record) {
	t := m.t
	switch rec.Seq {
	case m.lastSeq + 1:
	case m.lastSeq + 2:
		recs, err := m.s.Pending(m.lastSeq, 1)
		if err != nil || len(recs) != 1 || recs[0].Type != TypeDropped {
			t.Fatalf("no notice before seq %d: %v %v", rec.Seq, recs, err)
		}
		notice := recs[0]
		var env struct{ Data Dropped }
		if err := json.Unmarshal(notice.Payload, &env); err != nil {
			t.Fatal(err)
		}
		var tele []uint64
		for seq, r := range m.events {
			if r.Telemetry {
				tele = append(tele, seq)
			}
		}
		slices.Sort(tele)
		d := env.Data
		if d.Count < 1 || d.Count > len(tele) || d.FromSeq != tele[0] || d.ToSeq != tele[d.Count-1] {
			t.Fatalf("notice %s; stored telemetry %v", notice.Payload, tele)
		}
		for _, seq := range tele[:d.Count] {
			delete(m.events, seq)
		}
		m.dropped += uint64(d.Count)
		m.events[notice.Seq] = notice
	default:
		t.Fatalf("seq %d after %d", rec.Seq, m.lastSeq)
	}
	m.events[rec.Seq] = rec
	m.lastSeq = rec.Seq
}

// settle applies the alarm's hysteresis after a commit.
func (m *model) settle() {
	crit, max := m.criticalBytes(), m.o.MaxBytes
	switch {
	case !m.alarm && crit*10 > max*9:
		m.alarm = true
	case m.alarm && crit*10 < max*8:
		m.alarm = false
	}
}

func (m *model) criticalBytes() int64 {
	var n int64
	for _, r := range m.events {
		if !r.Telemetry {
			n += int64(len(r.Payload))
		}
	}
	return n
}

func (m *model) update() {
	t := m.t
	// Everything random is decided before Update: fn must be idempotent.
	type kvOp struct {
		bucket, key, val string
		del              bool
	}
	var kvOps []kvOp
	for range m.rng.IntN(4) {
		op := kvOp{bucket: fmt.Sprintf("b%d", m.rng.IntN(3)), key: fmt.Sprintf("k%d", m.rng.IntN(8)), val: fmt.Sprint(m.rng.Int())}
		op.del = m.rng.IntN(4) == 0
		kvOps = append(kvOps, op)
	}
	var evs []Event
	for range m.rng.IntN(3) {
		evs = append(evs, m.event())
	}
	fail := m.rng.IntN(4) == 0
	boom := errors.New("boom")

	var recs []Record
	err := m.s.Update(context.Background(), func(tx *Tx) error {
		recs = recs[:0]
		for _, op := range kvOps {
			var err error
			if op.del {
				err = tx.Delete([]byte(op.bucket), []byte(op.key))
			} else {
				err = tx.Put([]byte(op.bucket), []byte(op.key), []byte(op.val))
			}
			if err != nil {
				return err
			}
		}
		for _, ev := range evs {
			rec, err := tx.Append(ev)
			if err != nil {
				return err
			}
			recs = append(recs, rec)
		}
		if fail {
			return boom
		}
		return nil
	})
	switch {
	case fail && errors.Is(err, boom), errors.Is(err, ErrFull):
		// Nothing applied. A refused telemetry event still counts.
		if errors.Is(err, ErrFull) && evs[len(recs)].Telemetry {
			m.refused++
		}
		return
	case err != nil:
		t.Fatalf("Update: %v", err)
	}
	for _, op := range kvOps {
		if op.del {
			delete(m.kv[op.bucket], op.key)
			continue
		}
		if m.kv[op.bucket] == nil {
			m.kv[op.bucket] = map[string]string{}
		}
		m.kv[op.bucket][op.key] = op.val
	}
	for _, rec := range recs {
		m.record(rec)
	}
	m.settle()
}

func (m *model) ack() {
	seqs := slices.Sorted(maps.Keys(m.events))
	var ack []uint64
	switch m.rng.IntN(3) {
	case 0: // the uplink: a prefix in order
		ack = seqs[:m.rng.IntN(len(seqs)+1)]
	case 1: // PUBACKs of a random subset
		for _, seq := range seqs {
			if m.rng.IntN(3) == 0 {
				ack = append(ack, seq)
			}
		}
	default: // unknown and duplicate seqs mixed in
		ack = append(ack, m.lastSeq+1, 0)
		if len(seqs) > 0 {
			s := seqs[m.rng.IntN(len(seqs))]
			ack = append(ack, s, s)
		}
	}
	if err := m.s.Ack(ack...); err != nil {
		m.t.Fatalf("Ack: %v", err)
	}
	for _, seq := range ack {
		if _, ok := m.events[seq]; ok {
			delete(m.events, seq)
			m.acked++
		}
	}
	if len(ack) > 0 {
		m.settle()
	}
}

func (m *model) pending() {
	t := m.t
	after := uint64(m.rng.IntN(int(m.lastSeq) + 2))
	max := 1 + m.rng.IntN(50)
	recs, err := m.s.Pending(after, max)
	if err != nil {
		t.Fatal(err)
	}
	var want []uint64
	for _, seq := range slices.Sorted(maps.Keys(m.events)) {
		if seq > after && len(want) < max {
			want = append(want, seq)
		}
	}
	if got := seqsOf(recs); !slices.Equal(got, want) {
		t.Fatalf("Pending(%d, %d) = %v, want %v", after, max, got, want)
	}
	for _, r := range recs {
		w := m.events[r.Seq]
		if r.ID != w.ID || r.Type != w.Type || r.Telemetry != w.Telemetry || !bytes.Equal(r.Payload, w.Payload) {
			t.Fatalf("seq %d: stored %+v, appended %+v", r.Seq, r, w)
		}
	}
}

func (m *model) view() {
	t := m.t
	got := map[string]map[string]string{}
	err := m.s.View(func(tx *Tx) error {
		for b := range 3 {
			name := fmt.Sprintf("b%d", b)
			tx.ForEach([]byte(name), func(k, v []byte) error {
				if got[name] == nil {
					got[name] = map[string]string{}
				}
				got[name][string(k)] = string(v)
				if g := tx.Get([]byte(name), k); !bytes.Equal(g, v) {
					t.Errorf("Get(%s, %s) = %q, ForEach gives %q", name, k, g, v)
				}
				return nil
			})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]string{}
	for b, kv := range m.kv {
		if len(kv) > 0 {
			want[b] = kv
		}
	}
	if !maps.EqualFunc(got, want, maps.Equal) {
		t.Fatalf("buckets %v, want %v", got, want)
	}
}

func (m *model) compare(when string) {
	t := m.t
	st := m.s.Stats()
	var bytes, teleBytes int64
	var tele uint64
	for _, r := range m.events {
		bytes += int64(len(r.Payload))
		if r.Telemetry {
			tele++
			teleBytes += int64(len(r.Payload))
		}
	}
	want := Stats{
		Events: uint64(len(m.events)), TelemetryEvents: tele, Bytes: bytes, CriticalBytes: bytes - teleBytes,
		LastSeq: m.lastSeq, Acked: m.acked, TelemetryDropped: m.dropped,
	}
	if len(m.events) > 0 {
		want.OldestSeq = slices.Min(slices.Collect(maps.Keys(m.events)))
		want.NewestSeq = slices.Max(slices.Collect(maps.Keys(m.events)))
	}
	if persistent(st) != want || st.Alarm != m.alarm || st.TelemetryRefused != m.refused {
		t.Fatalf("%s: stats\n got %+v\nwant %+v alarm %v refused %d", when, persistent(st), want, m.alarm, m.refused)
	}
	if st.Bytes > m.o.MaxBytes {
		t.Fatalf("%s: %d bytes stored, bound %d", when, st.Bytes, m.o.MaxBytes)
	}
}
