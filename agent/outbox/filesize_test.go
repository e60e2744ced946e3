package outbox

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// appendN appends n events of about size payload bytes, batch per Update.
func appendN(t testing.TB, s *Store, n, batch, size int) {
	t.Helper()
	pad := strings.Repeat("w", max(0, size-170))
	for done := 0; done < n; done += batch {
		err := s.Update(context.Background(), func(tx *Tx) error {
			for i := range min(batch, n-done) {
				ev := Event{Type: "pack.item", Telemetry: i%4 == 0, Data: map[string]any{"i": done + i, "pad": pad}}
				if _, err := tx.Append(ev); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// ackAll acks every stored event the way the uplink does, page by page.
func ackAll(t testing.TB, s *Store, page int) {
	t.Helper()
	for {
		recs, err := s.Pending(0, page)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 {
			return
		}
		if err := s.Ack(seqsOf(recs)...); err != nil {
			t.Fatal(err)
		}
	}
}

// TestFileSizeBounded shows that the file stops growing: bbolt reuses the pages that acks free.
// Steady state: 50 rounds of 1000 appends then their acks. Backlog: three times, 20 000 events
// stored (an outage) and then all acked; the file reaches its high-water mark in the first and
// stays there.
func TestFileSizeBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("appends 110 000 events")
	}
	s := openStore(t, tempPath(t), testOptions())

	const rounds = 50
	var sizes []int64
	for range rounds {
		appendN(t, s, 1000, 100, 300)
		ackAll(t, s, 100)
		sizes = append(sizes, s.Stats().FileSize)
	}
	t.Logf("steady state, file size after each round of 1000 appends + acks: %v", sizes)
	if sizes[rounds-1] != sizes[9] {
		t.Errorf("file grew from %d after round 10 to %d after round %d", sizes[9], sizes[rounds-1], rounds)
	}

	var backlog []int64
	for range 3 {
		appendN(t, s, 20_000, 500, 300)
		st := s.Stats()
		backlog = append(backlog, st.FileSize)
		t.Logf("backlog of %d events, %d payload bytes: file %d bytes (%.2f x payload); %s", st.Events, st.Bytes, st.FileSize, float64(st.FileSize)/float64(st.Bytes), pageUse(s))
		ackAll(t, s, 500)
		backlog = append(backlog, s.Stats().FileSize)
	}
	t.Logf("backlog rounds, file size when full and when drained: %v", backlog)
	if backlog[5] != backlog[1] {
		t.Errorf("file grew from %d after the first backlog to %d after the third", backlog[1], backlog[5])
	}
}

// pageUse describes how full the events bucket's pages are.
func pageUse(s *Store) string {
	var out string
	s.db.View(func(tx *bolt.Tx) error {
		st := tx.Bucket(bucketEvents).Stats()
		out = fmt.Sprintf("data %d bytes, %d leaf pages %.0f %% used", tx.Size(), st.LeafPageN, 100*float64(st.LeafInuse)/float64(max(1, st.LeafAlloc)))
		return nil
	})
	return out
}

// TestFileSizeFullOutbox keeps a small outbox full while telemetry and critical events flow in
// small transactions (as group commits of ten events) and acks take the oldest: telemetry is
// dropped in chunks, and the file stays put once the outbox has been full once.
func TestFileSizeFullOutbox(t *testing.T) {
	if testing.Short() {
		t.Skip("appends 14 000 events")
	}
	const max = MiB
	o := testOptions()
	o.MaxBytes = max
	s := openStore(t, tempPath(t), o)
	pad := strings.Repeat("f", 150)
	var sizes []int64
	const rounds = 7
	full, firstFull := 0, -1
	for round := range rounds {
		for i := 0; i < 2000; i += 10 {
			err := s.Update(context.Background(), func(tx *Tx) error {
				for j := range 10 {
					ev := Event{Type: "weight", Telemetry: j < 6, Data: map[string]any{"i": i + j, "pad": pad}}
					if _, err := tx.Append(ev); err != nil {
						return err
					}
				}
				return nil
			})
			if errors.Is(err, ErrFull) || s.Stats().Alarm {
				full++
				ackAll(t, s, 1000) // the broker is back
			} else if err != nil {
				t.Fatal(err)
			}
			if i%100 == 0 { // the uplink gets a PUBACK now and then: ack the oldest few
				recs, err := s.Pending(0, 8)
				if err != nil {
					t.Fatal(err)
				}
				if err := s.Ack(seqsOf(recs)...); err != nil {
					t.Fatal(err)
				}
			}
		}
		st := s.Stats()
		sizes = append(sizes, st.FileSize)
		if firstFull < 0 && st.TelemetryDropped > 0 {
			firstFull = round
		}
		if round == rounds-1 {
			t.Logf("after %d events: %d stored, %d bytes of %d, %d dropped, full %d times; file %d bytes (%.2f x max_outbox); %s",
				st.LastSeq, st.Events, st.Bytes, max, st.TelemetryDropped, full, st.FileSize, float64(st.FileSize)/max, pageUse(s))
		}
	}
	t.Logf("file size after each 2000 events: %v; first full in round %d", sizes, firstFull)
	if firstFull < 0 || firstFull+1 >= rounds-1 {
		t.Fatalf("the outbox was full first in round %d of %d", firstFull, rounds)
	}
	if sizes[rounds-1] != sizes[firstFull+1] {
		t.Errorf("file grew from %d to %d after the outbox had been full", sizes[firstFull+1], sizes[rounds-1])
	}
}
