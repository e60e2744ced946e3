package packing

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stationd/stationd/agent/config"
	"github.com/stationd/stationd/protocol"
	"github.com/stationd/stationd/protocol/units"
)

// The test order O-1: line 1 two T-shirts (GTIN 5901234123457, 200 × 150 × 30 mm, 250 g), line
// "B" one mug (alias MUG-ALIAS, 400 g). They fit BOX-S (tare 120 g): expected 1020 g, allowed
// max(50 g, 5 % = 51 g) = 51 g. Colissimo: no divisor.

func scanAll(st *station) {
	st.scan("O-1")
	st.scan("]E05901234123457")
	st.scan("(01)05901234123457(10)LOT7")
	st.scan("MUG-ALIAS")
}

func itemsOfO1() []protocol.EventData {
	return []protocol.EventData{
		protocol.PackStarted{OrderID: "O-1"},
		protocol.PackItem{OrderID: "O-1", Line: protocol.LineNumber(1), SKU: "SKU-TEE", Code: "5901234123457", QtyScanned: 1, QtyExpected: 2},
		protocol.PackItem{OrderID: "O-1", Line: protocol.LineNumber(1), SKU: "SKU-TEE", Code: "(01)05901234123457(10)LOT7", QtyScanned: 2, QtyExpected: 2, Lot: "LOT7"},
		protocol.PackItem{OrderID: "O-1", Line: protocol.LineString("B"), SKU: "SKU-MUG", Code: "MUG-ALIAS", QtyScanned: 1, QtyExpected: 1},
	}
}

func completedO1(measured int64, dur time.Duration) protocol.PackCompleted {
	return protocol.PackCompleted{
		OrderID: "O-1",
		Lines: []protocol.PackedLine{
			{Line: protocol.LineNumber(1), SKU: "SKU-TEE", Qty: 2, Lots: []string{"LOT7"}},
			{Line: protocol.LineString("B"), SKU: "SKU-MUG", Qty: 1},
		},
		Box:       protocol.PackedBox{ID: "BOX-S", OuterMM: [3]units.Length{260, 210, 110}},
		MeasuredG: measured, ExpectedG: 1020, BillableG: measured,
		Carrier: "colissimo", TrackingNumber: "6A12345678901",
		Label:      protocol.PackedLabel{Printer: "printer1", OK: true},
		DurationMS: dur.Milliseconds(),
	}
}

// printed sends the OK outcome of the only queued job.
func printed(t *testing.T, st *station, order string) LabelJob {
	t.Helper()
	js := jobs(t, st.store)
	if len(js) != 1 {
		t.Fatalf("%d jobs queued, want 1: %+v", len(js), js)
	}
	j := js[0]
	if j.Origin != "pack:"+order || j.Printer != "printer1" || j.Copies != 1 || len(j.ZPL) == 0 || len(j.ID) != 26 {
		t.Fatalf("job %+v", j)
	}
	st.outcome(LabelOutcome{JobID: j.ID, Printer: j.Printer, Origin: j.Origin, OK: true})
	return j
}

func TestFlow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newStation(t, "", testConfig())
		defer st.stop()
		st.mustCommand(testOrder("O-1"))
		st.expect() // the order is stored, nothing happens
		scanAll(st)
		st.expect(itemsOfO1()...)
		if s := st.fb.last(); s.kind != SignalWaitingWeight || !strings.Contains(s.text, "use box BOX-S") {
			t.Errorf("feedback %+v", s)
		}
		st.weigh(0)                  // an empty scale is not a parcel
		time.Sleep(90 * time.Second) // the packer packs
		st.settle()
		st.expect()
		st.weigh(1030)
		st.expect(protocol.PackWeighed{OrderID: "O-1", MeasuredG: 1030, ExpectedG: 1020, ToleranceG: 51, OK: true})
		if st.labels.kicks.Load() == 0 {
			t.Error("queue not kicked")
		}
		j := printed(t, st, "O-1")
		// The shipping template: ship-to, weight, tracking number as Code 128 (with ZPL's subset
		// switches), every field opened with ^FH.
		for _, want := range []string{"^FH_^FDHélène Dupré^FS", "42000 SAINT-ÉTIENNE", "^FD1.030 kg^FS", "^BCN", "2345678901^FS", "^FDO-1^FS"} {
			if !bytes.Contains(j.ZPL, []byte(want)) {
				t.Errorf("label lacks %q:\n%s", want, j.ZPL)
			}
		}
		st.expect(completedO1(1030, 90*time.Second))
		if s := st.fb.last(); s.kind != SignalDone {
			t.Errorf("feedback %+v", s)
		}
		// The order left the cache: its id is now unknown.
		st.scan("O-1")
		if s := st.fb.last(); s.kind != SignalIdle {
			t.Errorf("feedback %+v", s)
		}
		if err := st.command(protocol.PackCancel{OrderID: "O-1"}); err == nil || err.Code != protocol.CodeNotFound {
			t.Errorf("cancel after completion: %v", err)
		}
		k := st.w.TakeKPI()
		if k.OrdersPacked != 1 || k.ItemsPacked != 3 || k.PackMSP50 != 90000 || k.PackMSP95 != 90000 || len(k.Mismatches) != 0 || k.PeriodS != 90 {
			t.Errorf("kpi %+v", k)
		}
	})
}

func TestFlowWeightOutOfTolerance(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newStation(t, "", testConfig())
		defer st.stop()
		st.mustCommand(testOrder("O-1"))
		scanAll(st)
		st.events()
		st.weigh(1200)
		st.expect(
			protocol.PackWeighed{OrderID: "O-1", MeasuredG: 1200, ExpectedG: 1020, ToleranceG: 51, OK: false},
			protocol.PackException{OrderID: "O-1", Reason: protocol.ExceptionWeightOutOfTolerance, Detail: "measured 1200 g, expected 1020 g ± 51 g (box BOX-S): +180 g"},
		)
		if s := st.fb.last(); s.kind != SignalException {
			t.Errorf("feedback %+v", s)
		}
		// Still 1200 g, and moving: nothing until the parcel is lifted.
		st.scale.put(1180, false)
		st.settle()
		st.weigh(1200)
		st.expect()
		st.scale.put(0, false) // lifted
		st.settle()
		st.weigh(1050) // put back, fixed
		st.expect(protocol.PackWeighed{OrderID: "O-1", MeasuredG: 1050, ExpectedG: 1020, ToleranceG: 51, OK: true})
		printed(t, st, "O-1")
		st.expect(completedO1(1050, 0))
		if k := st.w.KPI(); k.WeightExceptions != 1 {
			t.Errorf("kpi %+v", k)
		}
	})
}

func TestFlowReweighByBoxScan(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newStation(t, "", testConfig())
		defer st.stop()
		st.mustCommand(testOrder("O-1"))
		scanAll(st)
		st.events()
		st.weigh(1500)
		st.events()
		st.weigh(1030) // the packer took the extra item out without lifting the parcel
		st.expect()
		st.scan("BOX-S") // and asks for a new weight
		st.expect(protocol.PackWeighed{OrderID: "O-1", MeasuredG: 1030, ExpectedG: 1020, ToleranceG: 51, OK: true})
	})
}

func supervisorConfig(t *testing.T) *config.Config {
	cfg := testConfig()
	cfg.Pack.SupervisorCodeFile = filepath.Join(t.TempDir(), "supervisor")
	if err := os.WriteFile(cfg.Pack.SupervisorCodeFile, []byte("SUP-4242\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestFlowSupervisorOverride(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newStation(t, "", supervisorConfig(t))
		defer st.stop()
		st.scan("SUP-4242") // nothing to override
		if s := st.fb.last(); s.kind != SignalIdle || !strings.Contains(s.text, "nothing to override") {
			t.Errorf("feedback %+v", s)
		}
		st.mustCommand(testOrder("O-1"))
		scanAll(st)
		st.scan("SUP-4242") // nothing to override while scanning: no event, nothing counted
		st.events()
		st.weigh(1200)
		st.events()
		st.scan("SUP-424")    // not the code: an unknown barcode
		st.scan("SUP-4242\n") // not the code either (the file's newline is not part of it)
		st.expect(
			protocol.PackMismatch{OrderID: "O-1", Code: "SUP-424", Reason: protocol.MismatchUnknownBarcode},
			protocol.PackMismatch{OrderID: "O-1", Code: "SUP-4242\n", Reason: protocol.MismatchUnknownBarcode},
		)
		st.scan("SUP-4242")
		st.expect()
		want := completedO1(1200, 0)
		want.Overrides = []protocol.Override{{Reason: protocol.ExceptionWeightOutOfTolerance, Detail: "measured 1200 g, expected 1020 g ± 51 g"}}
		printed(t, st, "O-1")
		st.expect(want)
		// The re-weigh wait was cancelled: the scale has no waiter left.
		st.scale.mu.Lock()
		n := len(st.scale.waiters)
		st.scale.mu.Unlock()
		if n != 0 {
			t.Errorf("%d scale waiters left", n)
		}
	})
}

func TestFlowBoxScanned(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newStation(t, "", testConfig())
		defer st.stop()
		st.mustCommand(testOrder("O-1"))
		st.scan("O-1")
		st.scan("BOX-M") // picked before the items: no event
		if s := st.fb.last(); s.kind != SignalOK || s.text != "Box BOX-M" {
			t.Errorf("feedback %+v", s)
		}
		st.scan("5901234123457")
		st.scan("5901234123457")
		st.scan("SKU-MUG")
		if s := st.fb.last(); s.kind != SignalWaitingWeight || !strings.Contains(s.text, "box BOX-M") {
			t.Errorf("feedback %+v", s)
		}
		st.events()
		st.weigh(1100) // 900 g + tare 210 g = 1110 g ± 55.5 g
		st.expect(protocol.PackWeighed{OrderID: "O-1", MeasuredG: 1100, ExpectedG: 1110, ToleranceG: 55, OK: true})
		printed(t, st, "O-1")
		evs := st.events()
		c := evs[0].(protocol.PackCompleted)
		if c.Box.ID != "BOX-M" || c.Box.OuterMM != [3]units.Length{360, 260, 160} || c.ExpectedG != 1110 {
			t.Errorf("%+v", c)
		}
	})
}

func TestFlowBoxChangedWhileWeighing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newStation(t, "", testConfig())
		defer st.stop()
		st.mustCommand(testOrder("O-1"))
		scanAll(st) // BOX-S proposed; the packer takes BOX-M instead
		st.scan("BOX-M")
		st.events()
		st.weigh(1110)
		st.expect(protocol.PackWeighed{OrderID: "O-1", MeasuredG: 1110, ExpectedG: 1110, ToleranceG: 55, OK: true})
		st.scan("BOX-S") // too late: the label is queued
		st.expect()
		if s := st.fb.last(); s.kind != SignalMismatch {
			t.Errorf("feedback %+v", s)
		}
	})
}

func TestFlowNoBoxFits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newStation(t, "", testConfig())
		defer st.stop()
		o := testOrder("O-2")
		o.Lines = o.Lines[:1]
		o.Lines[0].Qty = 1
		o.Lines[0].DimsMM = [3]units.Length{400, 300, 100} // longer than BOX-M's 350
		st.mustCommand(o)
		st.scan("O-2")
		st.scan("5901234123457")
		st.expect(
			protocol.PackStarted{OrderID: "O-2"},
			protocol.PackItem{OrderID: "O-2", Line: protocol.LineNumber(1), SKU: "SKU-TEE", Code: "5901234123457", QtyScanned: 1, QtyExpected: 1},
			protocol.PackException{OrderID: "O-2", Reason: protocol.ExceptionNoBoxFits,
				Detail: "no box of pack.boxes (BOX-S, BOX-M) holds the items (largest unit sides 400 × 300 × 100 mm, box_fill_factor 0.90): the packer is asked to scan the box used"},
		)
		if s := st.fb.last(); s.kind != SignalException {
			t.Errorf("feedback %+v", s)
		}
		st.weigh(500) // no weighing without a box
		st.expect()
		st.scan("BOX-M")
		st.expect(protocol.PackWeighed{OrderID: "O-2", MeasuredG: 500, ExpectedG: 460, ToleranceG: 50, OK: true})
	})
}

func TestFlowCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newStation(t, "", testConfig())
		defer st.stop()
		st.mustCommand(testOrder("O-1"))
		st.mustCommand(testOrder("O-2"))
		// A waiting order: forgotten, no event.
		st.mustCommand(protocol.PackCancel{OrderID: "O-2"})
		st.scan("O-2")
		if s := st.fb.last(); s.kind != SignalIdle {
			t.Errorf("feedback %+v", s)
		}
		// The open pack: pack.exception order_cancelled.
		st.scan("O-1")
		st.scan("5901234123457")
		st.events()
		st.mustCommand(protocol.PackCancel{OrderID: "O-1"})
		st.expect(protocol.PackException{OrderID: "O-1", Reason: protocol.ExceptionOrderCancelled, Detail: "cancelled by the OMS (pack.cancel) in phase scanning"})
		if s := st.fb.last(); s.kind != SignalException || !strings.Contains(s.text, "cancelled") {
			t.Errorf("feedback %+v", s)
		}
		for _, id := range []string{"O-1", "O-2", "NEVER"} {
			if err := st.command(protocol.PackCancel{OrderID: id}); err == nil || err.Code != protocol.CodeNotFound {
				t.Errorf("cancel %s: %v", id, err)
			}
		}
		st.scan("5901234123457") // no pack open
		st.expect()
	})
}

func TestFlowCancelWhileWeighing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newStation(t, "", testConfig())
		defer st.stop()
		st.mustCommand(testOrder("O-1"))
		scanAll(st)
		st.events()
		st.mustCommand(protocol.PackCancel{OrderID: "O-1"})
		st.expect(protocol.PackException{OrderID: "O-1", Reason: protocol.ExceptionOrderCancelled, Detail: "cancelled by the OMS (pack.cancel) in phase weighing"})
		st.weigh(1030) // the wait was cancelled: nothing
		st.expect()
	})
}

func TestFlowAutoStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := testConfig()
		cfg.Pack.AutoStart = true
		st := newStation(t, "", cfg)
		defer st.stop()
		st.mustCommand(testOrder("O-1"))
		st.mustCommand(testOrder("O-2"))
		st.mustCommand(testOrder("O-3"))
		st.expect(protocol.PackStarted{OrderID: "O-1"}) // the oldest, at once; the others wait
		st.scan("O-2")                                  // another order while one is open: refused
		if s := st.fb.last(); s.kind != SignalMismatch || !strings.Contains(s.text, "O-1 is open") {
			t.Errorf("feedback %+v", s)
		}
		st.scan("5901234123457")
		st.scan("5901234123457")
		st.scan("SKU-MUG")
		st.weigh(1020)
		st.events()
		printed(t, st, "O-1")
		evs := st.events()
		if len(evs) != 2 || evs[0].EventType() != protocol.EventPackCompleted || evs[1] != (protocol.PackStarted{OrderID: "O-2"}) {
			t.Fatalf("after completion:\n%s", dump(evs))
		}
		// At start-up: the open pack resumes; with none open, the oldest order opens.
		st.mustCommand(protocol.PackCancel{OrderID: "O-2"})
		st.expect(protocol.PackException{OrderID: "O-2", Reason: protocol.ExceptionOrderCancelled, Detail: "cancelled by the OMS (pack.cancel) in phase scanning"},
			protocol.PackStarted{OrderID: "O-3"})
		cfg2 := *cfg
		cfg2.Pack.AutoStart = false
		st.cfg.Store(&cfg2)
		st.mustCommand(protocol.PackCancel{OrderID: "O-3"})
		st.mustCommand(testOrder("O-4"))
		st.events()
		st.cfg.Store(cfg)
		st.restart()
		st.expect(protocol.PackStarted{OrderID: "O-4"})
	})
}

// TestFlowAutoStartSwitchedOn: a reload turning auto_start on opens the oldest order within a
// minute.
func TestFlowAutoStartSwitchedOn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newStation(t, "", testConfig())
		defer st.stop()
		st.mustCommand(testOrder("O-1"))
		cfg := testConfig()
		cfg.Pack.AutoStart = true
		st.cfg.Store(cfg)
		st.expect()
		time.Sleep(time.Minute)
		st.settle()
		st.expect(protocol.PackStarted{OrderID: "O-1"})
	})
}

func TestFlowRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "stationd.db")
		st := newStation(t, path, testConfig())
		defer st.stop()
		st.mustCommand(testOrder("O-1"))
		st.mustCommand(testOrder("O-2"))
		st.scan("O-1")
		st.scan("(01)05901234123457(10)LOT7")
		st.events()

		st.restart() // power cut while scanning: the scanned item is kept
		if s := st.fb.all[len(st.fb.all)-1]; !strings.Contains(s.text, "O-1 resumed") {
			t.Errorf("feedback %+v", s)
		}
		st.scan("(01)05901234123457(10)LOT8")
		st.scan("(01)05901234123457(10)LOT9") // over quantity: the count survived
		st.expect(
			protocol.PackItem{OrderID: "O-1", Line: protocol.LineNumber(1), SKU: "SKU-TEE", Code: "(01)05901234123457(10)LOT8", QtyScanned: 2, QtyExpected: 2, Lot: "LOT8"},
			protocol.PackMismatch{OrderID: "O-1", Code: "(01)05901234123457(10)LOT9", Reason: protocol.MismatchOverQuantity},
		)
		st.scan("SKU-MUG")
		st.events()

		st.restart() // while weighing: waits for the weight again
		st.weigh(1030)
		st.expect(protocol.PackWeighed{OrderID: "O-1", MeasuredG: 1030, ExpectedG: 1020, ToleranceG: 51, OK: true})

		st.restart() // while labelling: the outcome after the restart completes the pack
		want := completedO1(1030, 0)
		want.Lines[0].Lots = []string{"LOT7", "LOT8"}
		printed(t, st, "O-1")
		st.expect(want)

		st.restart() // the other order is still held
		st.scan("O-2")
		st.expect(protocol.PackStarted{OrderID: "O-2"})
	})
}

// TestFlowRestartAfterWeightFailed: the re-weigh resumes.
func TestFlowRestartAfterWeightFailed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newStation(t, "", testConfig())
		defer st.stop()
		st.mustCommand(testOrder("O-1"))
		scanAll(st)
		st.weigh(1200)
		st.events()
		st.restart()
		st.weigh(1200) // still on the scale: nothing
		st.expect()
		st.scale.put(0, true)
		st.settle()
		st.weigh(1030)
		st.expect(protocol.PackWeighed{OrderID: "O-1", MeasuredG: 1030, ExpectedG: 1020, ToleranceG: 51, OK: true})
	})
}

func TestFlowLabelFailed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newStation(t, "", supervisorConfig(t))
		defer st.stop()
		st.mustCommand(testOrder("O-1"))
		scanAll(st)
		st.weigh(1030)
		st.events()
		j := jobs(t, st.store)[0]
		st.outcome(LabelOutcome{JobID: "other", Printer: "printer1", Origin: "pack:O-9", OK: true}) // not ours
		st.outcome(LabelOutcome{JobID: "x", Printer: "printer1", Origin: "label.print", OK: true})  // not a pack's
		st.outcome(LabelOutcome{JobID: j.ID, Printer: "printer1", Origin: j.Origin, Reason: "paper_out"})
		st.expect() // label.failed is the queue's event
		if s := st.fb.last(); s.kind != SignalException || !strings.Contains(s.text, "paper_out") {
			t.Errorf("feedback %+v", s)
		}
		st.restart() // still failed after a restart
		st.outcome(LabelOutcome{JobID: j.ID, Printer: "printer1", Origin: j.Origin, OK: true})
		st.expect(completedO1(1030, 0))
		// A duplicate outcome after completion changes nothing.
		st.outcome(LabelOutcome{JobID: j.ID, Printer: "printer1", Origin: j.Origin, OK: true})
		st.expect()
	})
}

func TestFlowLabelSkippedBySupervisor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newStation(t, "", supervisorConfig(t))
		defer st.stop()
		st.mustCommand(testOrder("O-1"))
		scanAll(st)
		st.weigh(1030)
		st.events()
		j := jobs(t, st.store)[0]
		st.scan("SUP-4242") // labelling: nothing to override yet
		st.expect()
		st.outcome(LabelOutcome{JobID: j.ID, Printer: "printer1", Origin: j.Origin, Reason: "offline: printer1 does not answer"})
		st.scan("SUP-4242")
		want := completedO1(1030, 0)
		want.Label.OK = false
		want.Overrides = []protocol.Override{{Reason: OverrideLabel,
			Detail: "completed without a printed label: offline: printer1 does not answer (job " + j.ID + " stays queued and may print later)"}}
		st.expect(want)
	})
}

func TestFlowLabelZPL(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newStation(t, "", testConfig())
		defer st.stop()
		o := testOrder("O-Z")
		o.LabelZPL = "^XA^FO50,50^A0N,40,40^FDCarrier label Ä^FS^XZ\r\n"
		st.mustCommand(o)
		st.scan("O-Z")
		st.scan("5901234123457")
		st.scan("5901234123457")
		st.scan("SKU-MUG")
		st.weigh(1020)
		if js := jobs(t, st.store); len(js) != 1 || string(js[0].ZPL) != o.LabelZPL {
			t.Fatalf("jobs %+v", js)
		}
	})
}

func TestPackOrderCommand(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newStation(t, "", testConfig())
		defer st.stop()
		st.mustCommand(testOrder("O-1"))
		st.mustCommand(testOrder("O-1")) // same content: fine
		changed := testOrder("O-1")
		changed.Lines[0].Qty = 3
		for _, c := range []struct {
			name string
			o    protocol.PackOrder
			code string
		}{
			{"different content", changed, protocol.CodeConflict},
			{"line identifier type matters", func() protocol.PackOrder {
				o := testOrder("O-1")
				o.Lines[0].Line = protocol.LineString("1")
				return o
			}(), protocol.CodeConflict},
			{"bad GTIN check digit", func() protocol.PackOrder {
				o := testOrder("O-G")
				o.Lines[0].GTIN = "5901234123458"
				return o
			}(), protocol.CodeInvalid},
			{"label_zpl saving to flash", func() protocol.PackOrder {
				o := testOrder("O-Z")
				o.LabelZPL = "^XA^FDx^FS^JUS^XZ"
				return o
			}(), protocol.CodeInvalid},
			{"tracking number the template cannot print", func() protocol.PackOrder {
				o := testOrder("O-T")
				o.TrackingNumber = "6A123€"
				return o
			}(), protocol.CodeInvalid},
		} {
			// (t.Run is not allowed in a synctest bubble)
			if err := st.command(c.o); err == nil || err.Code != c.code {
				t.Errorf("%s: %v, want %s", c.name, err, c.code)
			}
		}
		// An open order sent again: same rules.
		st.scan("O-1")
		st.mustCommand(testOrder("O-1"))
		if err := st.command(changed); err == nil || err.Code != protocol.CodeConflict {
			t.Errorf("%v", err)
		}
		// An unknown carrier is accepted (warned in the log): no divisor, no limits.
		o := testOrder("O-U")
		o.Carrier = "acme"
		st.mustCommand(o)
		st.expect(protocol.PackStarted{OrderID: "O-1"})
	})
}

func TestFlowCarrierLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := supervisorConfig(t)
		cfg.Pack.Boxes = append(cfg.Pack.Boxes, config.Box{ID: "TUBE", Inner: [3]units.Length{1590, 90, 90}, Outer: [3]units.Length{1600, 100, 100}, Tare: 300 * units.Gram})
		st := newStation(t, "", cfg)
		defer st.stop()
		o := testOrder("O-C")
		o.Carrier = "chronopost"
		o.Lines = []protocol.OrderLine{{Line: protocol.LineNumber(1), SKU: "ROD", Qty: 1, UnitWeightG: 2700, DimsMM: [3]units.Length{1500, 20, 20}}}
		st.mustCommand(o)
		st.scan("O-C")
		st.scan("ROD")
		st.events()
		st.weigh(3000)
		st.expect(
			protocol.PackWeighed{OrderID: "O-C", MeasuredG: 3000, ExpectedG: 3000, ToleranceG: 150, OK: true},
			protocol.PackException{OrderID: "O-C", Reason: protocol.ExceptionCarrierLimit,
				Detail: "chronopost: max_length 1600 mm > 1500 mm (box TUBE 1600 × 100 × 100 mm, 3000 g)"},
		)
		if len(jobs(t, st.store)) != 0 {
			t.Error("label queued beyond the carrier's limits")
		}
		st.scan("SUP-4242")
		printed(t, st, "O-C")
		st.expect(protocol.PackCompleted{
			OrderID: "O-C", Lines: []protocol.PackedLine{{Line: protocol.LineNumber(1), SKU: "ROD", Qty: 1}},
			Box:       protocol.PackedBox{ID: "TUBE", OuterMM: [3]units.Length{1600, 100, 100}},
			MeasuredG: 3000, ExpectedG: 3000, VolumetricG: i64(3200), BillableG: 3200, Divisor: i64(5000),
			Carrier: "chronopost", TrackingNumber: "6A12345678901", Label: protocol.PackedLabel{Printer: "printer1", OK: true},
			Overrides: []protocol.Override{{Reason: protocol.ExceptionCarrierLimit, Detail: "chronopost: max_length 1600 mm > 1500 mm"}},
		})
	})
}

func TestFlowBillingStep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newStation(t, "", testConfig())
		defer st.stop()
		o := testOrder("O-D")
		o.Carrier = "dhl_express"
		st.mustCommand(o)
		st.scan("O-D")
		st.scan("5901234123457")
		st.scan("5901234123457")
		st.scan("SKU-MUG")
		st.weigh(1000)
		st.events()
		printed(t, st, "O-D")
		c := st.events()[0].(protocol.PackCompleted)
		// BOX-S outer 260 × 210 × 110 mm = 6006000 mm³ / 5000 = 1201.2 → 1202 g; billed 1500 g.
		if *c.VolumetricG != 1202 || *c.Divisor != 5000 || c.BillableG != 1202 || c.BillableRoundedG != 1500 {
			t.Errorf("%+v", c)
		}
	})
}

func TestFlowScaleUnstable(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newStation(t, "", testConfig())
		defer st.stop()
		st.mustCommand(testOrder("O-1"))
		scanAll(st)
		st.events()
		st.scale.put(1000, false)
		time.Sleep(DefaultSettle + time.Second)
		st.settle()
		st.expect(protocol.PackException{OrderID: "O-1", Reason: ExceptionScaleUnstable, Detail: "scale1 (fake): scale_unstable: no settled weight within 10s: the weight did not settle: keep the parcel still, away from drafts and vibration"})
		time.Sleep(3 * DefaultSettle) // still moving: said once
		st.settle()
		st.expect()
		st.weigh(1030)
		st.expect(protocol.PackWeighed{OrderID: "O-1", MeasuredG: 1030, ExpectedG: 1020, ToleranceG: 51, OK: true})
	})
}

func TestFlowScaleNotOpen(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newStation(t, "", testConfig())
		defer st.stop()
		st.noScl.Store(true)
		st.mustCommand(testOrder("O-1"))
		scanAll(st)
		if s := st.fb.last(); s.kind != SignalException || !strings.Contains(s.text, "Scale not available") {
			t.Errorf("feedback %+v", s)
		}
		st.scale.put(1030, true)
		time.Sleep(10 * time.Second)
		st.settle()
		st.expect(itemsOfO1()...)
		st.noScl.Store(false) // the supervisor opened it
		time.Sleep(time.Second)
		st.settle()
		st.expect(protocol.PackWeighed{OrderID: "O-1", MeasuredG: 1030, ExpectedG: 1020, ToleranceG: 51, OK: true})
	})
}

func TestFlowMismatchAndIdle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := testConfig()
		cfg.Pack.Language = "fr"
		st := newStation(t, "", cfg)
		defer st.stop()
		st.scan("5901234123457") // no pack open: ignored, told
		if s := st.fb.last(); s.kind != SignalIdle || !strings.Contains(s.text, "Aucune commande ouverte") {
			t.Errorf("feedback %+v", s)
		}
		other := testOrder("O-2")
		other.Lines[1].SKU = "SKU-LAMP"
		st.mustCommand(testOrder("O-1"))
		st.mustCommand(other)
		st.scan("O-1")
		st.scan("SKU-LAMP")         // SKU of the other held order
		st.scan("]E05901234123458") // bad check digit
		st.scan("NOPE")
		st.scans <- scanFrom("scanner2", "5901234123457") // another station's scanner: ignored
		st.settle()
		st.scan("O-1") // the open order: said, nothing else
		st.expect(
			protocol.PackStarted{OrderID: "O-1"},
			protocol.PackMismatch{OrderID: "O-1", Code: "SKU-LAMP", Reason: protocol.MismatchNotInOrder},
			protocol.PackMismatch{OrderID: "O-1", Code: "5901234123458", Reason: protocol.MismatchBadCheckDigit},
			protocol.PackMismatch{OrderID: "O-1", Code: "NOPE", Reason: protocol.MismatchUnknownBarcode},
		)
		if s := st.fb.last(); s.kind != SignalOK || !strings.Contains(s.text, "déjà ouverte") {
			t.Errorf("feedback %+v", s)
		}
		k := st.w.KPI()
		if k.Mismatches[protocol.MismatchNotInOrder] != 1 || k.Mismatches[protocol.MismatchBadCheckDigit] != 1 || k.ItemsPacked != 0 {
			t.Errorf("kpi %+v", k)
		}
	})
}

func TestFlowOrderTTL(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newStation(t, "", testConfig())
		defer st.stop()
		st.mustCommand(testOrder("O-1"))
		time.Sleep(71 * time.Hour)
		st.mustCommand(testOrder("O-2"))
		time.Sleep(2 * time.Hour)
		st.settle()
		st.scan("O-1") // expired
		if s := st.fb.last(); s.kind != SignalIdle {
			t.Errorf("feedback %+v", s)
		}
		st.scan("O-2")
		st.expect(protocol.PackStarted{OrderID: "O-2"})
		// The open order does not expire.
		time.Sleep(100 * time.Hour)
		st.settle()
		st.scan("5901234123457")
		evs := st.expect(protocol.PackItem{OrderID: "O-2", Line: protocol.LineNumber(1), SKU: "SKU-TEE", Code: "5901234123457", QtyScanned: 1, QtyExpected: 2})
		_ = evs
	})
}

// TestAtomicity: the label job and the pack state commit together or not at all; a failed store
// changes nothing.
func TestAtomicity(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newStation(t, "", testConfig())
		defer st.stop()
		st.mustCommand(testOrder("O-1"))
		scanAll(st)
		st.events()
		st.labels.failEnqueue.Store(true)
		st.weigh(1030)
		st.expect() // the transaction with pack.weighed and the job rolled back
		if len(jobs(t, st.store)) != 0 {
			t.Fatal("job stored without its pack state")
		}
		if s := st.fb.last(); s.kind != SignalException {
			t.Errorf("feedback %+v", s)
		}
		st.labels.failEnqueue.Store(false)
		st.scan("BOX-S") // weigh again
		st.expect(protocol.PackWeighed{OrderID: "O-1", MeasuredG: 1030, ExpectedG: 1020, ToleranceG: 51, OK: true})
		if len(jobs(t, st.store)) != 1 {
			t.Fatal("no job")
		}
	})
}
