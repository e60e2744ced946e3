package outbox

import (
	"context"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// benchEvent is a typical pack.item event (about 300 payload bytes).
func benchEvent() Event {
	return Event{Type: "pack.item", Data: map[string]any{
		"order_id": "ORD-2026-000123", "line": "3", "sku": "SKU-12345", "code": "]C101095012345678903",
		"qty_scanned": 2, "qty_expected": 3, "lot": "L2026-11", "pad": strings.Repeat("x", 60),
	}}
}

func benchStore(b *testing.B) *Store {
	s, err := Open(filepath.Join(b.TempDir(), "outbox.db"), testOptions())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkRawBoltPut is the baseline: one bbolt transaction, so one fsync, per op, with the
// Store's bbolt options and a value of an event's size.
func BenchmarkRawBoltPut(b *testing.B) {
	db, err := bolt.Open(filepath.Join(b.TempDir(), "raw.db"), 0o600, &bolt.Options{FreelistType: bolt.FreelistMapType})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	val := []byte(strings.Repeat("v", 330))
	var seq uint64
	for b.Loop() {
		seq++
		err := db.Update(func(tx *bolt.Tx) error {
			bk, err := tx.CreateBucketIfNotExists(bucketEvents)
			if err != nil {
				return err
			}
			return bk.Put(seqKey(seq), val)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppend is one producer: each Append waits for its own commit.
func BenchmarkAppend(b *testing.B) {
	s := benchStore(b)
	ev := benchEvent()
	ctx := context.Background()
	for b.Loop() {
		if _, err := s.Append(ctx, ev); err != nil {
			b.Fatal(err)
		}
	}
	reportCommits(b, s)
}

// BenchmarkAppendParallel8 is eight goroutines appending at once: group commit shares each
// fsync among them. Each goroutine waits for its append's commit before the next, so a commit
// carries at most eight appends: the ceiling is eight times BenchmarkRawBoltPut's rate.
func BenchmarkAppendParallel8(b *testing.B) { benchAppendParallel(b, 8) }

// BenchmarkAppendParallel32 is the same with 32 writers.
func BenchmarkAppendParallel32(b *testing.B) { benchAppendParallel(b, 32) }

func benchAppendParallel(b *testing.B, writers int) {
	s := benchStore(b)
	ev := benchEvent()
	ctx := context.Background()
	procs := runtime.GOMAXPROCS(0)
	if writers%procs != 0 {
		b.Skipf("%d writers do not divide among GOMAXPROCS=%d", writers, procs)
	}
	b.SetParallelism(writers / procs)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Append(ctx, ev); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportCommits(b, s)
}

// BenchmarkAck is the uplink acking one event per PUBACK, oldest first.
func BenchmarkAck(b *testing.B) {
	s := benchStore(b)
	appendN(b, s, b.N, 1000, 300)
	b.ResetTimer()
	for i := range b.N {
		if err := s.Ack(uint64(i + 1)); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if st := s.Stats(); st.Events != 0 {
		b.Fatalf("%d events left", st.Events)
	}
}

// BenchmarkPending is the uplink reading a page of 100 from a backlog of 10 000.
func BenchmarkPending(b *testing.B) {
	s := benchStore(b)
	appendN(b, s, 10_000, 1000, 300)
	var after uint64
	for b.Loop() {
		recs, err := s.Pending(after, 100)
		if err != nil {
			b.Fatal(err)
		}
		if len(recs) < 100 {
			after = 0
			continue
		}
		after = recs[len(recs)-1].Seq
	}
}

func reportCommits(b *testing.B, s *Store) {
	if st := s.Stats(); st.Commits > 0 {
		b.ReportMetric(float64(st.Requests)/float64(st.Commits), "appends/commit")
	}
}
