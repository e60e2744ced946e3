package outbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stationd/stationd/agent/ulid"
)

func testOptions() Options {
	return Options{Site: "PAR1", Station: "pack-07"}
}

func tempPath(t testing.TB) string { return filepath.Join(t.TempDir(), "outbox.db") }

// openStore opens the store at path and, when the test ends, checks its invariants the way
// bbolt's btesting does: it closes the store, reopens the file, runs Check (totals, envelopes,
// LastSeq = stored + acked + dropped) and compares the persistent counters with those seen before
// closing (unless the test closed the store itself: the file may have moved on since).
func openStore(t testing.TB, path string, o Options) *Store {
	t.Helper()
	s, err := Open(path, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { checkStore(t, s, o) })
	return s
}

func checkStore(t testing.TB, s *Store, o Options) {
	t.Helper()
	s.mu.Lock()
	closedByTest := s.closed
	s.mu.Unlock()
	before := s.Stats()
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	o.OnAlarm = nil
	r, err := Open(s.Path(), o)
	if err != nil {
		t.Errorf("reopen for the invariant check: %v", err)
		return
	}
	defer r.Close()
	if err := r.Check(); err != nil {
		t.Errorf("invariants after the test: %v", err)
	}
	after := r.Stats()
	if !closedByTest && persistent(before) != persistent(after) {
		t.Errorf("stats changed across reopen:\nbefore %+v\nafter  %+v", persistent(before), persistent(after))
	}
}

// persistent keeps the Stats fields that live in the file.
func persistent(st Stats) Stats {
	return Stats{
		Events: st.Events, TelemetryEvents: st.TelemetryEvents, Bytes: st.Bytes,
		CriticalBytes: st.CriticalBytes, OldestSeq: st.OldestSeq, NewestSeq: st.NewestSeq,
		LastSeq: st.LastSeq, Acked: st.Acked, TelemetryDropped: st.TelemetryDropped,
	}
}

// hold blocks the committer inside an Update until the returned function is called (or the test
// ends), so that the requests made meanwhile queue up.
func hold(t testing.TB, s *Store) (release func()) {
	t.Helper()
	entered, rel := make(chan struct{}, 1), make(chan struct{}) // buffered: fn may run before hold waits
	errc := make(chan error, 1)
	go func() {
		errc <- s.Update(context.Background(), func(tx *Tx) error {
			select {
			case entered <- struct{}{}:
			default:
			}
			<-rel
			return nil
		})
	}()
	<-entered
	var once sync.Once
	release = func() {
		once.Do(func() {
			close(rel)
			if err := <-errc; err != nil {
				t.Errorf("hold: %v", err)
			}
		})
	}
	t.Cleanup(release) // runs before openStore's cleanup closes the store
	return release
}

// waitQueued waits until n requests wait for the committer (no deadline: the test's own
// timeout catches a hang).
func waitQueued(s *Store, n int) {
	for s.Stats().Queued < n {
		runtime.Gosched()
		time.Sleep(100 * time.Microsecond)
	}
}

func mustAppend(t testing.TB, s *Store, ev Event) Record {
	t.Helper()
	rec, err := s.Append(context.Background(), ev)
	if err != nil {
		t.Fatalf("Append(%s): %v", ev.Type, err)
	}
	return rec
}

func pendingAll(t testing.TB, s *Store) []Record {
	t.Helper()
	recs, err := s.Pending(0, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func seqsOf(recs []Record) []uint64 {
	var seqs []uint64
	for _, r := range recs {
		seqs = append(seqs, r.Seq)
	}
	return seqs
}

func TestEnvelope(t *testing.T) {
	now := time.Date(2026, 11, 22, 15, 37, 19, 123_999_999, time.UTC)
	o := testOptions()
	o.Now = func() time.Time { return now }
	s := openStore(t, tempPath(t), o)
	paris := time.FixedZone("CET", 3600)

	for _, tc := range []struct {
		name string
		ev   Event
		want string // with ID for the id
	}{
		{
			name: "struct",
			ev: Event{Type: "pack.completed", Data: struct {
				OrderID string `json:"order_id"`
			}{"A<1>&B"}},
			want: `{"v":1,"id":"ID","seq":1,"type":"pack.completed","site":"PAR1","station":"pack-07","time":"2026-11-22T15:37:19.123Z","data":{"order_id":"A<1>&B"}}`,
		},
		{
			name: "raw message compacted, local time in UTC, truncated to ms",
			ev: Event{Type: "pack.started", Time: time.Date(2026, 1, 2, 3, 4, 5, 6_999_000, paris),
				Data: json.RawMessage("{ \"order_id\" :\n \"X\" }")},
			want: `{"v":1,"id":"ID","seq":2,"type":"pack.started","site":"PAR1","station":"pack-07","time":"2026-01-02T02:04:05.006Z","data":{"order_id":"X"}}`,
		},
		{
			name: "nil data",
			ev:   Event{Type: "station.kpi", Telemetry: true, Time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
			want: `{"v":1,"id":"ID","seq":3,"type":"station.kpi","site":"PAR1","station":"pack-07","time":"2026-01-01T00:00:00.000Z","data":{}}`,
		},
		{
			name: "map",
			ev:   Event{Type: "scan", Telemetry: true, Data: map[string]any{"code": "\x1d01", "device": "scanner1"}},
			want: `{"v":1,"id":"ID","seq":4,"type":"scan","site":"PAR1","station":"pack-07","time":"2026-11-22T15:37:19.123Z","data":{"code":"\u001d01","device":"scanner1"}}`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := mustAppend(t, s, tc.ev)
			id, err := ulid.Parse(rec.ID)
			if err != nil {
				t.Fatal(err)
			}
			if id.Time() != uint64(now.UnixMilli()) {
				t.Errorf("id time %d, want the append time %d", id.Time(), now.UnixMilli())
			}
			want := strings.Replace(tc.want, "ID", rec.ID, 1)
			if string(rec.Payload) != want {
				t.Errorf("payload\n got %s\nwant %s", rec.Payload, want)
			}
			if rec.Type != tc.ev.Type || rec.Telemetry != tc.ev.Telemetry {
				t.Errorf("record %+v", rec)
			}
			stored, err := s.Pending(rec.Seq-1, 1)
			if err != nil || len(stored) != 1 || !slices.Equal(stored[0].Payload, rec.Payload) || stored[0].ID != rec.ID {
				t.Errorf("Pending gives %+v, %v; want %+v", stored, err, rec)
			}
		})
	}
}

func TestAppendRejects(t *testing.T) {
	s := openStore(t, tempPath(t), testOptions())
	for _, tc := range []struct {
		name string
		ev   Event
		want string
	}{
		{"empty type", Event{}, "event type"},
		{"slash in type", Event{Type: "pack/completed"}, "event type"},
		{"wildcard in type", Event{Type: "pack.#"}, "event type"},
		{"long type", Event{Type: strings.Repeat("a", 65)}, "event type"},
		{"reserved type", Event{Type: TypeDropped}, "Store's own"},
		{"array data", Event{Type: "x", Data: []int{1}}, "JSON object"},
		{"string data", Event{Type: "x", Data: "s"}, "JSON object"},
		{"bad raw", Event{Type: "x", Data: json.RawMessage(`{"a":`)}, "data"},
		{"raw not UTF-8", Event{Type: "x", Data: json.RawMessage("{\"a\":\"\xff\"}")}, "UTF-8"},
		{"unencodable", Event{Type: "x", Data: map[string]any{"c": make(chan int)}}, "data"},
		{"year 10000", Event{Type: "x", Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}, "years"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Append(context.Background(), tc.ev)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Append = %v, want an error with %q", err, tc.want)
			}
		})
	}
	if st := s.Stats(); st.LastSeq != 0 || st.Commits != 0 {
		t.Errorf("rejected events reached the store: %+v", st)
	}
}

func TestOpenRejects(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		path string
		o    Options
		want string
	}{
		{"no site", filepath.Join(dir, "a.db"), Options{Station: "s"}, "site"},
		{"bad station", filepath.Join(dir, "a.db"), Options{Site: "S", Station: "a b"}, "station"},
		{"negative max", filepath.Join(dir, "a.db"), Options{Site: "S", Station: "s", MaxBytes: -1}, "negative"},
		{"missing dir", filepath.Join(dir, "nope", "a.db"), testOptions(), "storage.dir"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open(tc.path, tc.o)
			if err == nil {
				s.Close()
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Open = %v, want an error with %q", err, tc.want)
			}
		})
	}
}

func TestRestartKeepsSeq(t *testing.T) {
	path := tempPath(t)
	s := openStore(t, path, testOptions())
	for i := range 5 {
		if rec := mustAppend(t, s, Event{Type: "pack.item", Data: map[string]int{"i": i}}); rec.Seq != uint64(i+1) {
			t.Fatalf("seq %d, want %d", rec.Seq, i+1)
		}
	}
	if err := s.Ack(1, 2, 3, 4, 5); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openStore(t, path, testOptions())
	st := s.Stats()
	if st.LastSeq != 5 || st.Events != 0 || st.Acked != 5 {
		t.Errorf("after reopen: %+v", st)
	}
	if rec := mustAppend(t, s, Event{Type: "pack.item"}); rec.Seq != 6 {
		t.Errorf("first seq after restart = %d, want 6", rec.Seq)
	}
}

func TestSecondOpenFails(t *testing.T) {
	path := tempPath(t)
	s := openStore(t, path, testOptions())
	mustAppend(t, s, Event{Type: "pack.started"})

	for _, timeout := range []time.Duration{0, 50 * time.Millisecond} {
		o := testOptions()
		o.LockTimeout = timeout
		s2, err := Open(path, o)
		if err == nil {
			s2.Close()
			t.Fatal("second Open of the same file succeeded")
		}
		want := "another stationd holds " + path + ": stop it first"
		if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), want) {
			t.Errorf("second Open: %v; want ErrLocked and %q", err, want)
		}
	}
	// The first store is unharmed.
	if rec := mustAppend(t, s, Event{Type: "pack.item"}); rec.Seq != 2 {
		t.Errorf("seq %d", rec.Seq)
	}
}

func TestConcurrentAppenders(t *testing.T) {
	const workers, each = 8, 150
	s := openStore(t, tempPath(t), testOptions())

	// Hold the committer until all eight have queued their first append, so that at least one
	// transaction carries eight; later ones batch as the scheduler allows.
	release := hold(t, s)
	var wg sync.WaitGroup
	recs := make([][]Record, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				rec, err := s.Append(context.Background(), Event{Type: "pack.item", Data: map[string]int{"w": w, "i": i}})
				if err != nil {
					t.Error(err)
					return
				}
				recs[w] = append(recs[w], rec)
			}
		})
	}
	waitQueued(s, workers)
	release()
	wg.Wait()

	var seqs []uint64
	ids := map[string]bool{}
	for w := range workers {
		if !slices.IsSortedFunc(recs[w], func(a, b Record) int { return int(a.Seq) - int(b.Seq) }) {
			t.Errorf("worker %d: seqs not increasing", w)
		}
		for _, r := range recs[w] {
			seqs = append(seqs, r.Seq)
			ids[r.ID] = true
		}
	}
	slices.Sort(seqs)
	for i, seq := range seqs {
		if seq != uint64(i+1) {
			t.Fatalf("seqs are not 1..%d exactly once: position %d holds %d", workers*each, i, seq)
		}
	}
	if len(ids) != workers*each {
		t.Errorf("%d distinct ids for %d events", len(ids), workers*each)
	}
	// Ids sort like seqs.
	stored := pendingAll(t, s)
	if !slices.IsSortedFunc(stored, func(a, b Record) int { return strings.Compare(a.ID, b.ID) }) {
		t.Error("ids do not sort in seq order")
	}
	st := s.Stats()
	if st.Commits >= workers*each {
		t.Errorf("%d commits for %d appends: no group commit", st.Commits, workers*each)
	}
	t.Logf("%d appends by %d goroutines in %d commits", workers*each, workers, st.Commits)
}

func TestPendingPaging(t *testing.T) {
	const n = 10_000
	s := openStore(t, tempPath(t), testOptions())
	for b := 0; b < n; b += 1000 {
		err := s.Update(context.Background(), func(tx *Tx) error {
			for i := b; i < b+1000; i++ {
				if _, err := tx.Append(Event{Type: "scan", Telemetry: i%3 == 0, Data: map[string]int{"i": i}}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// The uplink's loop: page through, acking every other page's events as it goes.
	var after uint64
	seen, page := 0, 0
	for {
		recs, err := s.Pending(after, 333)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 {
			break
		}
		if len(recs) > 333 {
			t.Fatalf("page of %d", len(recs))
		}
		for _, r := range recs {
			seen++
			if r.Seq != uint64(seen) {
				t.Fatalf("record %d has seq %d", seen, r.Seq)
			}
			var e struct {
				Seq  uint64
				Data struct{ I int }
			}
			if err := json.Unmarshal(r.Payload, &e); err != nil || e.Seq != r.Seq || e.Data.I != seen-1 {
				t.Fatalf("record %d: %s (%v)", seen, r.Payload, err)
			}
			if r.Telemetry != ((seen-1)%3 == 0) {
				t.Fatalf("record %d: telemetry %v", seen, r.Telemetry)
			}
		}
		if page%2 == 0 {
			if err := s.Ack(seqsOf(recs)...); err != nil {
				t.Fatal(err)
			}
		}
		after = recs[len(recs)-1].Seq
		page++
	}
	if seen != n {
		t.Errorf("paged through %d events, want %d", seen, n)
	}
	if recs, _ := s.Pending(n, 10); len(recs) != 0 {
		t.Errorf("Pending past the end: %d", len(recs))
	}
	if recs, _ := s.Pending(0, 0); len(recs) != 0 {
		t.Errorf("Pending(0, 0): %d", len(recs))
	}
	// From the start again: only the unacknowledged pages remain.
	rest := pendingAll(t, s)
	if st := s.Stats(); uint64(len(rest)) != st.Events || st.Events+st.Acked != n {
		t.Errorf("%d left, stats %+v", len(rest), st)
	}
}

func TestUpdateAtomic(t *testing.T) {
	s := openStore(t, tempPath(t), testOptions())
	ctx := context.Background()
	bucket := []byte("packs")
	boom := errors.New("boom")

	err := s.Update(ctx, func(tx *Tx) error {
		if err := tx.Put(bucket, []byte("A1"), []byte("open")); err != nil {
			return err
		}
		if _, err := tx.Append(Event{Type: "pack.started", Data: map[string]string{"order_id": "A1"}}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v, want boom", err)
	}
	err = s.View(func(tx *Tx) error {
		if v := tx.Get(bucket, []byte("A1")); v != nil {
			t.Errorf("failed Update left %q in the bucket", v)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.LastSeq != 0 || st.Events != 0 {
		t.Errorf("failed Update left an event: %+v", st)
	}

	var rec Record
	err = s.Update(ctx, func(tx *Tx) error {
		if err := tx.Put(bucket, []byte("A1"), []byte("open")); err != nil {
			return err
		}
		var err error
		rec, err = tx.Append(Event{Type: "pack.started", Data: map[string]string{"order_id": "A1"}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Seq != 1 {
		t.Errorf("seq %d: the failed Update consumed a seq", rec.Seq)
	}
	err = s.View(func(tx *Tx) error {
		if v := tx.Get(bucket, []byte("A1")); string(v) != "open" {
			t.Errorf("bucket holds %q", v)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestBatchIsolatesFailures(t *testing.T) {
	s := openStore(t, tempPath(t), testOptions())
	ctx := context.Background()
	bucket := []byte("b")
	const n = 12
	release := hold(t, s)

	var wg sync.WaitGroup
	errs := make([]error, n)
	recs := make([]Record, n)
	runs := make([]int, n)
	for i := range n {
		wg.Go(func() {
			errs[i] = s.Update(ctx, func(tx *Tx) error {
				runs[i]++ // the committer runs fns one at a time
				if err := tx.Put(bucket, fmt.Appendf(nil, "k%02d", i), []byte("v")); err != nil {
					return err
				}
				var err error
				if recs[i], err = tx.Append(Event{Type: "t", Data: map[string]int{"i": i}}); err != nil {
					return err
				}
				switch i % 4 {
				case 1:
					return fmt.Errorf("request %d fails", i)
				case 3:
					panic(fmt.Sprintf("request %d panics", i))
				}
				return nil
			})
		})
	}
	waitQueued(s, n)
	release()
	wg.Wait()

	var want []uint64
	for i := range n {
		switch i % 4 {
		case 1:
			if errs[i] == nil || !strings.Contains(errs[i].Error(), "fails") {
				t.Errorf("request %d: %v", i, errs[i])
			}
		case 3:
			if errs[i] == nil || !strings.Contains(errs[i].Error(), "panicked") {
				t.Errorf("request %d: %v", i, errs[i])
			}
		default:
			if errs[i] != nil {
				t.Errorf("request %d: %v", i, errs[i])
			}
			want = append(want, recs[i].Seq)
		}
	}
	slices.Sort(want)
	if got := seqsOf(pendingAll(t, s)); !slices.Equal(got, want) || len(got) != n/2 || got[0] != 1 || got[len(got)-1] != n/2 {
		t.Errorf("stored seqs %v, want the successful requests' %v = 1..%d", got, want, n/2)
	}
	err := s.View(func(tx *Tx) error {
		return tx.ForEach(bucket, func(k, v []byte) error {
			var i int
			fmt.Sscanf(string(k), "k%02d", &i)
			if i%2 == 1 {
				t.Errorf("failed request %d left its key", i)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	reran := 0
	for _, r := range runs {
		if r > 1 {
			reran++
		}
	}
	if reran == 0 {
		t.Error("no function ran twice: the failures were not isolated by a rerun")
	}
	if st := s.Stats(); st.Commits != 2 { // hold's, and the twelve's
		t.Errorf("%d commits, want 2", st.Commits)
	}
}

func TestCancelWhileQueued(t *testing.T) {
	s := openStore(t, tempPath(t), testOptions())
	release := hold(t, s)

	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := s.Append(ctx, Event{Type: "pack.started"})
		errc <- err
	}()
	waitQueued(s, 1)
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("Append with cancelled ctx = %v", err)
	}
	if st := s.Stats(); st.Queued != 0 {
		t.Errorf("%d still queued", st.Queued)
	}
	release()

	if rec := mustAppend(t, s, Event{Type: "pack.item"}); rec.Seq != 1 {
		t.Errorf("seq %d: the cancelled append consumed a seq", rec.Seq)
	}
	if _, err := s.Append(ctx, Event{Type: "x"}); !errors.Is(err, context.Canceled) {
		t.Errorf("Append with a ctx cancelled before the call = %v", err)
	}
	if st := s.Stats(); st.LastSeq != 1 || st.Events != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestKV(t *testing.T) {
	s := openStore(t, tempPath(t), testOptions())
	ctx := context.Background()
	// A user bucket named like an internal one is a different bucket.
	for _, name := range []string{"events", "meta", "telemetry", "orders"} {
		err := s.Update(ctx, func(tx *Tx) error {
			for i := range 3 {
				if err := tx.Put([]byte(name), fmt.Appendf(nil, "k%d", i), fmt.Appendf(nil, "%s-%d", name, i)); err != nil {
					return err
				}
			}
			return tx.Delete([]byte(name), []byte("k1"))
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	val := []byte("mutable")
	err := s.Update(ctx, func(tx *Tx) error {
		if err := tx.Put([]byte("orders"), []byte("copy"), val); err != nil {
			return err
		}
		val[0] = 'X' // Put copied it
		if err := tx.Put([]byte("orders"), []byte("empty"), nil); err != nil {
			return err
		}
		if err := tx.Put(nil, []byte("k"), val); !errors.Is(err, ErrBucketName) {
			t.Errorf("Put with no bucket = %v", err)
		}
		if err := tx.Delete([]byte("missing"), []byte("k")); err != nil {
			t.Errorf("Delete in a missing bucket = %v", err)
		}
		if err := tx.DeleteBucket([]byte("missing")); err != nil {
			t.Errorf("DeleteBucket(missing) = %v", err)
		}
		return tx.DeleteBucket([]byte("meta"))
	})
	if err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.LastSeq != 0 || st.Events != 0 {
		t.Errorf("key-value writes touched the outbox: %+v", st)
	}
	if rec := mustAppend(t, s, Event{Type: "x"}); rec.Seq != 1 {
		t.Errorf("seq %d", rec.Seq)
	}

	err = s.View(func(tx *Tx) error {
		var got []string
		for _, name := range []string{"events", "meta", "telemetry", "orders", "missing"} {
			tx.ForEach([]byte(name), func(k, v []byte) error {
				got = append(got, name+":"+string(k)+"="+string(v))
				return nil
			})
		}
		want := []string{"events:k0=events-0", "events:k2=events-2",
			"telemetry:k0=telemetry-0", "telemetry:k2=telemetry-2",
			"orders:copy=mutable", "orders:empty=", "orders:k0=orders-0", "orders:k2=orders-2"}
		if !slices.Equal(got, want) {
			t.Errorf("buckets:\n got %q\nwant %q", got, want)
		}
		v := tx.Get([]byte("orders"), []byte("k0"))
		v[0] = 'X' // a copy: harmless
		if tx.Get([]byte("orders"), []byte("nope")) != nil || tx.Get([]byte("nope"), []byte("k0")) != nil || tx.Get(nil, nil) != nil {
			t.Error("Get of a missing key or bucket is not nil")
		}
		if _, err := tx.Append(Event{Type: "x"}); !errors.Is(err, ErrReadOnly) {
			t.Errorf("Append in View = %v", err)
		}
		for _, err := range []error{tx.Put([]byte("b"), []byte("k"), nil), tx.Delete([]byte("b"), []byte("k")), tx.DeleteBucket([]byte("b"))} {
			if !errors.Is(err, ErrReadOnly) {
				t.Errorf("write in View = %v", err)
			}
		}
		stop := errors.New("stop")
		if err := tx.ForEach([]byte("orders"), func(k, v []byte) error { return stop }); err != stop {
			t.Errorf("ForEach did not return fn's error: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestNotify(t *testing.T) {
	s := openStore(t, tempPath(t), testOptions())
	select {
	case <-s.Notify():
		t.Fatal("notified before any event")
	default:
	}
	rec := mustAppend(t, s, Event{Type: "x"})
	mustAppend(t, s, Event{Type: "x"})
	<-s.Notify() // one value for two commits
	select {
	case <-s.Notify():
		t.Fatal("second value buffered")
	default:
	}
	if err := s.Ack(rec.Seq); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(context.Background(), func(tx *Tx) error { return tx.Put([]byte("b"), []byte("k"), nil) }); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.Notify():
		t.Fatal("notified by a commit that added no event")
	default:
	}
}

func TestClose(t *testing.T) {
	s := openStore(t, tempPath(t), testOptions())
	release := hold(t, s)
	errc := make(chan error, 1)
	go func() {
		_, err := s.Append(context.Background(), Event{Type: "pack.completed"})
		errc <- err
	}()
	waitQueued(s, 1)
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	// Close waits for the committer, which finishes the held Update and the queued append.
	release()
	if err := <-errc; err != nil {
		t.Errorf("append queued before Close: %v", err)
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if _, err := s.Append(context.Background(), Event{Type: "x"}); !errors.Is(err, ErrClosed) {
		t.Errorf("Append after Close = %v", err)
	}
	if err := s.Ack(1); !errors.Is(err, ErrClosed) {
		t.Errorf("Ack after Close = %v", err)
	}
	if _, err := s.Pending(0, 1); !errors.Is(err, ErrClosed) {
		t.Errorf("Pending after Close = %v", err)
	}
	if st := s.Stats(); st.LastSeq != 1 {
		t.Errorf("stats after Close: %+v", st)
	}
}

func TestNoGoroutineLeft(t *testing.T) {
	before := runtime.NumGoroutine()
	o := testOptions()
	o.OnAlarm = func(bool) {}
	s, err := Open(tempPath(t), o)
	if err != nil {
		t.Fatal(err)
	}
	mustAppend(t, s, Event{Type: "x"})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Close has waited for the committer and the alarm goroutine; give them the moment between
	// their last deferred call and their end.
	for i := 0; runtime.NumGoroutine() > before; i++ {
		if i == 1000 {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines after Close, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		runtime.Gosched()
		time.Sleep(time.Millisecond)
	}
}

func TestDamagedFile(t *testing.T) {
	path := tempPath(t)
	if err := os.WriteFile(path, bytes.Repeat([]byte("not a bbolt file "), 1000), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Open(path, testOptions())
	if err == nil {
		s.Close()
		t.Fatal("opened a file that is not bbolt")
	}
	if !strings.Contains(err.Error(), "damaged or not a stationd outbox") {
		t.Errorf("Open = %v", err)
	}
}

func TestAckUnknown(t *testing.T) {
	s := openStore(t, tempPath(t), testOptions())
	a := mustAppend(t, s, Event{Type: "x"})
	b := mustAppend(t, s, Event{Type: "scan", Telemetry: true})
	if err := s.Ack(); err != nil {
		t.Fatal(err)
	}
	if err := s.Ack(a.Seq, a.Seq, 99, 0, ^uint64(0)); err != nil {
		t.Fatalf("Ack with unknown seqs = %v", err)
	}
	if err := s.Ack(a.Seq); err != nil {
		t.Fatalf("second Ack = %v", err)
	}
	st := s.Stats()
	if st.Acked != 1 || st.Events != 1 || st.OldestSeq != b.Seq || st.NewestSeq != b.Seq || st.TelemetryEvents != 1 || st.Bytes != int64(len(b.Payload)) || st.CriticalBytes != 0 {
		t.Errorf("stats %+v", st)
	}
}
