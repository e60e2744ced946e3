package returns

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stationd/stationd/agent"
	"github.com/stationd/stationd/agent/config"
	"github.com/stationd/stationd/agent/outbox"
	"github.com/stationd/stationd/devices/scanner/barcode"
	"github.com/stationd/stationd/protocol"
)

// fuzzInputs are what an operator (or the OMS) can do; FuzzScans plays them in any order.
var fuzzInputs = []string{
	CodeDone, CodeUndo, CodeCancel, CodeWeigh, "ret-done",
	"RSN-NON-CONFORMING", "RSN-DAMAGED", "RSN-WRONG-SIZE", "RSN-CHANGED-MIND", "RSN-OTHER",
	"CND-NEW", "CND-OPENED", "CND-USED", "cnd-damaged",
	"BOX-S", "RMA-55120", "SO-2026-110077", "RMA-NEW", "]C0RMA-X",
	"]E05901234123457", "5901234123457", "]C10105901234123457\x1d10LOT", "]E05901234123458",
	"MUG-01", "TSHIRT-BLU-M", "RMA-\x7f", "]C1(01)", "",
	"!expect", // a return.expect for RMA-55120
}

var (
	fuzzOnce  sync.Once
	fuzzStore *outbox.Store
	fuzzErr   error
)

// sharedStore is one store for all the fuzz iterations of a process: opening a bbolt file per
// iteration would make fuzzing too slow to find anything. Each iteration empties the buckets.
func sharedStore() (*outbox.Store, error) {
	fuzzOnce.Do(func() {
		dir, err := os.MkdirTemp("", "returns-fuzz")
		if err != nil {
			fuzzErr = err
			return
		}
		fuzzStore, fuzzErr = outbox.Open(filepath.Join(dir, "db"), outbox.Options{Site: "PAR1", Station: "ret-01"})
	})
	return fuzzStore, fuzzErr
}

type countFeedback struct{ n int }

func (c *countFeedback) Signal(string, string) { c.n++ }

// FuzzScans plays random sequences of scans and announcements on the state machine and checks
// its invariants after each: exactly one message per scan, the stored open return equals the
// one in memory, units are consistent with the rules, and every return.received is valid for an
// OMS.
func FuzzScans(f *testing.F) {
	f.Add([]byte{28, 16, 19, 10, 5, 23, 6, 0})
	f.Add([]byte{17, 21, 24, 13, 9, 1, 2, 0, 3})
	f.Add([]byte{15, 19, 19, 19, 8, 11, 7, 1, 1, 0, 27, 26, 25})
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) > 64 {
			ops = ops[:64]
		}
		store, err := sharedStore()
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		if err := store.Update(ctx, func(tx *outbox.Tx) error {
			for _, b := range [][]byte{bucketExpected, bucketDone, bucketState} {
				if err := tx.DeleteBucket(b); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		before := store.Stats().LastSeq
		cfg := testConfig("en")
		fb := &countFeedback{}
		w, err := New(Deps{Store: store, Config: func() *config.Config { return cfg }, Feedback: fb})
		if err != nil {
			t.Fatal(err)
		}
		m := &machine{Workflow: w, ctx: ctx, runCtx: ctx, weighC: make(chan weighResult)}
		for _, op := range ops {
			in := fuzzInputs[int(op)%len(fuzzInputs)]
			if in == "!expect" {
				m.command(protocol.Command{ID: "c", Type: protocol.CommandReturnExpect}, rma55120)
				continue
			}
			n := fb.n
			m.scan(agent.Scan{Device: "s", Data: in, At: t0, Decoded: barcode.Decode(in)})
			if want := n + 1; in != "" && fb.n != want {
				t.Fatalf("scan %q: %d messages, want 1", in, fb.n-n)
			}
			checkMachine(t, m, store)
		}
		recs, err := store.Pending(before, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if _, _, err := protocol.DecodeEvent(r.Payload); err != nil {
				t.Fatalf("event %s is invalid: %v\n%s", r.Type, err, r.Payload)
			}
		}
		if err := store.Ack(seqs(recs)...); err != nil {
			t.Fatal(err)
		}
	})
}

func seqs(recs []outbox.Record) []uint64 {
	out := make([]uint64, len(recs))
	for i, r := range recs {
		out[i] = r.Seq
	}
	return out
}

func checkMachine(t *testing.T, m *machine, store *outbox.Store) {
	t.Helper()
	var stored []byte
	store.View(func(tx *outbox.Tx) error {
		stored = tx.Get(bucketState, keyOpen)
		return nil
	})
	if m.open == nil {
		if stored != nil {
			t.Fatalf("no return open but one stored: %s", stored)
		}
		return
	}
	mem, _ := json.Marshal(m.open)
	if string(mem) != string(stored) {
		t.Fatalf("open return in memory %s, stored %s", mem, stored)
	}
	if len(m.open.Units) > MaxUnits {
		t.Fatalf("%d units", len(m.open.Units))
	}
	for i, u := range m.open.Units {
		switch {
		case u.Group < 0 || u.Group > m.open.Groups:
			t.Fatalf("unit %d group %d of %d", i, u.Group, m.open.Groups)
		case u.Group == 0 && (u.Reason != "" || u.Disposition != ""):
			t.Fatalf("unit %d in the open group has a reason: %+v", i, u)
		case u.Group > 0:
			r, ok := m.rules.Decide(u.Reason, u.Condition)
			if !ok || r.Disposition != u.Disposition {
				t.Fatalf("unit %d: %+v, rules say %q", i, u, r.Disposition)
			}
		}
	}
}

// TestMain removes the fuzz store, when one was opened.
func TestMain(m *testing.M) {
	code := m.Run()
	if fuzzStore != nil {
		fuzzStore.Close()
		os.RemoveAll(filepath.Dir(fuzzStore.Path()))
	}
	os.Exit(code)
}
