package packing

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"testing/synctest"

	"github.com/stationd/stationd/agent"
	"github.com/stationd/stationd/agent/config"
	"github.com/stationd/stationd/agent/outbox"
	"github.com/stationd/stationd/protocol"
)

func TestNewChecksDeps(t *testing.T) {
	store, err := outbox.Open(filepath.Join(t.TempDir(), "s.db"), outbox.Options{Site: "A", Station: "B"})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	full := Deps{Store: store, Scans: make(chan agent.Scan), Labels: newFakeLabels(), Config: testConfig}
	for _, c := range []struct {
		name string
		edit func(*Deps)
	}{
		{"store", func(d *Deps) { d.Store = nil }},
		{"scans", func(d *Deps) { d.Scans = nil }},
		{"labels", func(d *Deps) { d.Labels = nil }},
		{"config", func(d *Deps) { d.Config = nil }},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := full
			c.edit(&d)
			if _, err := New(d); err == nil {
				t.Error("accepted")
			}
		})
	}
	w, err := New(full)
	if err != nil {
		t.Fatal(err)
	}
	if w.Name() != "packing" {
		t.Error(w.Name())
	}
	if k := w.KPI(); k.Mismatches == nil || k.Returns == nil {
		t.Errorf("%+v", k)
	}
}

func TestStopped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newStation(t, "", testConfig())
		st.stop()
		// A command after Run returned is answered busy (the intake does not remember it).
		if err := st.h[protocol.CommandPackOrder](context.Background(), protocol.Command{Type: protocol.CommandPackOrder}, testOrder("O-1")); err == nil || err.Code != protocol.CodeBusy {
			t.Errorf("%v", err)
		}
		if err := st.w.Run(context.Background()); err == nil {
			t.Error("second Run accepted")
		}
		// A command whose context ends before Run takes it.
		w, err := New(Deps{Store: st.store, Scans: make(chan agent.Scan), Labels: newFakeLabels(), Config: testConfig})
		if err != nil {
			t.Fatal(err)
		}
		h := handlers{}
		w.Register(h)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := h[protocol.CommandPackCancel](ctx, protocol.Command{Type: protocol.CommandPackCancel}, protocol.PackCancel{OrderID: "x"}); err == nil || err.Code != protocol.CodeBusy {
			t.Errorf("%v", err)
		}
	})
}

func TestLoadDropsBadRecords(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "stationd.db")
		store, err := outbox.Open(path, outbox.Options{Site: "PAR1", Station: "pack-07"})
		if err != nil {
			t.Fatal(err)
		}
		good := orderRecord{Order: testOrder("O-1"), ReceivedAt: ref, Arrival: 7}
		err = store.Update(context.Background(), func(tx *outbox.Tx) error {
			if err := putJSON(tx, bucketOrders, []byte("O-1"), good); err != nil {
				return err
			}
			if err := tx.Put(bucketOrders, []byte("BROKEN"), []byte("{")); err != nil {
				return err
			}
			if err := putJSON(tx, bucketOrders, []byte("WRONG-KEY"), good); err != nil {
				return err
			}
			// An open pack of an order that is not held.
			return putJSON(tx, bucketPack, keyOpen, packRecord{OrderID: "GONE", Phase: phaseScanning})
		})
		store.Close()
		if err != nil {
			t.Fatal(err)
		}
		st := newStation(t, path, testConfig())
		defer st.stop()
		var keys []string
		var open []byte
		st.store.View(func(tx *outbox.Tx) error {
			open = tx.Get(bucketPack, keyOpen)
			return tx.ForEach(bucketOrders, func(k, _ []byte) error { keys = append(keys, string(k)); return nil })
		})
		if fmt.Sprint(keys) != "[O-1]" || open != nil {
			t.Errorf("orders %v, open %s", keys, open)
		}
		if st.w.arrival != 7 {
			t.Errorf("arrival %d", st.w.arrival)
		}
		st.scan("O-1")
		st.expect(protocol.PackStarted{OrderID: "O-1"})
		// A pack record that does not fit its order is dropped too.
		st.stop()
		store, err = outbox.Open(path, outbox.Options{Site: "PAR1", Station: "pack-07"})
		if err != nil {
			t.Fatal(err)
		}
		store.Update(context.Background(), func(tx *outbox.Tx) error {
			return putJSON(tx, bucketPack, keyOpen, packRecord{OrderID: "O-1", Phase: phaseScanning, Lines: make([]lineRecord, 1)})
		})
		store.Close()
		st.start()
		if st.w.open != nil {
			t.Error("mismatched pack record resumed")
		}
		st.scan("O-1")
		if evs := st.events(); len(evs) != 1 || evs[0] != (protocol.PackStarted{OrderID: "O-1"}) {
			t.Errorf("%s", dump(evs))
		}
		// A labelling pack without its weight and quote (not written by this version): dropped.
		st.stop()
		store, err = outbox.Open(path, outbox.Options{Site: "PAR1", Station: "pack-07"})
		if err != nil {
			t.Fatal(err)
		}
		store.Update(context.Background(), func(tx *outbox.Tx) error {
			return putJSON(tx, bucketPack, keyOpen, packRecord{OrderID: "O-1", Phase: phaseLabelling, Lines: make([]lineRecord, 2)})
		})
		store.Close()
		st.start()
		if st.w.open != nil {
			t.Error("inconsistent pack record resumed")
		}
	})
}

func TestConsistent(t *testing.T) {
	b, w, q := &boxRecord{}, &weightRecord{}, &quoteRecord{}
	for _, c := range []struct {
		r    packRecord
		want bool
	}{
		{packRecord{Phase: phaseScanning}, true},
		{packRecord{Phase: phaseNeedBox}, true},
		{packRecord{Phase: phaseWeighing}, false},
		{packRecord{Phase: phaseWeighing, Box: b}, true},
		{packRecord{Phase: phaseWeightFailed, Box: b}, false},
		{packRecord{Phase: phaseWeightFailed, Box: b, Weight: w}, true},
		{packRecord{Phase: phaseLabelFailed, Box: b, Weight: w}, false},
		{packRecord{Phase: phaseLabelFailed, Box: b, Weight: w, Quote: q}, true},
		{packRecord{Phase: "dancing"}, false},
	} {
		if got := c.r.consistent(); got != c.want {
			t.Errorf("%s box %v weight %v quote %v: %v", c.r.Phase, c.r.Box != nil, c.r.Weight != nil, c.r.Quote != nil, got)
		}
	}
}

func TestStoreError(t *testing.T) {
	if e := storeError("store", fmt.Errorf("x: %w", outbox.ErrFull)); e.Code != protocol.CodeStorageFull {
		t.Error(e)
	}
	if e := storeError("store", errors.New("disk on fire")); e.Code != protocol.CodeInternal {
		t.Error(e)
	}
}

// TestDPI: the template is rendered for the printer's resolution.
func TestDPI(t *testing.T) {
	var asked string
	w := &Workflow{d: Deps{DPI: func(p string) int { asked = p; return 300 }, Config: func() *config.Config { return testConfig() }}}
	o := testOrder("O-1")
	z300, err := w.labelFor(&o, 1000, "printer9")
	if err != nil || asked != "printer9" {
		t.Fatal(err, asked)
	}
	z203, _ := renderShipping(&o, 1000, 203)
	if string(z300) == string(z203) {
		t.Error("same label at 300 and 203 dpi")
	}
}
