package outbox_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/stationd/stationd/agent/outbox"
)

// The agent stores a workflow's state and the event it causes in one transaction; the uplink
// pages through what is pending, publishes in seq order and acks on PUBACK.
func Example() {
	dir, err := os.MkdirTemp("", "outbox")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	s, err := outbox.Open(filepath.Join(dir, "outbox.db"), outbox.Options{Site: "PAR1", Station: "pack-07", MaxBytes: 256 * outbox.MiB})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()

	// A workflow: the open pack and pack.started commit together.
	err = s.Update(ctx, func(tx *outbox.Tx) error {
		if err := tx.Put([]byte("packs"), []byte("open"), []byte("ORD-1")); err != nil {
			return err
		}
		_, err := tx.Append(outbox.Event{Type: "pack.started", Data: map[string]string{"order_id": "ORD-1"}})
		return err
	})
	if err != nil {
		log.Fatal(err)
	}
	// Telemetry: may be dropped when the outbox is full.
	if _, err := s.Append(ctx, outbox.Event{Type: "weight", Telemetry: true, Data: map[string]any{"device": "scale1", "grams": 1250, "stable": true}}); err != nil {
		log.Fatal(err)
	}

	// The uplink: after a (re)connect, start from 0; publish in seq order; ack on PUBACK; wait on
	// Notify when nothing is left.
	var after uint64
	for {
		recs, err := s.Pending(after, 100)
		if err != nil {
			log.Fatal(err)
		}
		if len(recs) == 0 {
			break // the real uplink waits on <-s.Notify() here
		}
		for _, r := range recs {
			fmt.Printf("publish wh/v1/PAR1/pack-07/evt/%s seq %d\n", r.Type, r.Seq)
			if err := s.Ack(r.Seq); err != nil { // on its PUBACK
				log.Fatal(err)
			}
			after = r.Seq
		}
	}
	st := s.Stats()
	fmt.Println("stored:", st.Events, "last seq:", st.LastSeq)
	// Output:
	// publish wh/v1/PAR1/pack-07/evt/pack.started seq 1
	// publish wh/v1/PAR1/pack-07/evt/weight seq 2
	// stored: 0 last seq: 2
}
