package returns

import (
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/stationd/stationd/agent/config"
	fwreturns "github.com/stationd/stationd/firmware-config/returns"
	"github.com/stationd/stationd/protocol"
)

var rma55120 = protocol.ReturnExpect{RMAID: "RMA-55120", OrderID: "SO-2026-110077", Lines: []protocol.ReturnExpectLine{
	{SKU: "TSHIRT-BLU-M", GTIN: "5901234123457", Qty: 2},
	{SKU: "MUG-01", Qty: 1},
}}

// TestAnnouncedEndToEnd follows an announced return from return.expect to return.received:
// opened by its order id, items matched in several GTIN forms and by SKU, one unexpected item,
// reasons per group with derived and scanned conditions.
func TestAnnouncedEndToEnd(t *testing.T) {
	h := newHarness(t)
	if res := h.command(rma55120); !res.OK {
		t.Fatalf("return.expect: %+v", res.Error)
	}
	h.want("]C0SO-2026-110077", SignalOK, "Return RMA-55120 open: 3 items expected")
	h.want("]E05901234123457", SignalOK, "TSHIRT-BLU-M: 1 of 2 expected")
	h.want("5901234123457", SignalOK, "TSHIRT-BLU-M: 2 of 2 expected") // no AIM identifier: still a GTIN
	h.want("]C0RSN-WRONG-SIZE", SignalOK, "Wrong size, New, sealed: Restock (2 items)")
	h.want("]C10105901234123457", SignalOK, "TSHIRT-BLU-M: more than expected (3 of 2)") // GS1-128 (01)
	h.want("RSN-CHANGED-MIND", SignalOK, "Changed mind, New, sealed: Restock (1 items)")
	h.want("CND-OPENED", SignalOK, "Changed mind, Opened, as new: Refurbish (1 items)") // correction
	h.want("MUG-01", SignalOK, "MUG-01: 1 of 1 expected")
	h.want("cnd-damaged", SignalOK, "Condition Damaged or incomplete (1 items)") // case does not matter
	h.want("RET-DONE", SignalRefused, "Scan the reason of the last 1 items first")
	h.want("RSN-DAMAGED", SignalOK, "Damaged in transit, Damaged or incomplete: Scrap (1 items)")
	h.want("]E04006381333931", SignalOK, "04006381333931: not in this return, recorded")
	h.want("RSN-OTHER", SignalOK, "Other reason, Opened, as new: Refurbish (1 items)")
	h.want("BOX-S", SignalRefused, "Box barcode BOX-S")
	h.want("RMA-55120", SignalRefused, "Return RMA-55120 is already open")
	h.want("SO-2026-110077", SignalRefused, "Return RMA-55120 is already open")
	h.want("RET-DONE", SignalDone, "Return RMA-55120 received: 2 × Refurbish, 2 × Restock, 1 × Scrap")

	ev := h.lastReceived(0)
	want := `{"rma_id":"RMA-55120","lines":[` +
		`{"sku":"TSHIRT-BLU-M","code":"5901234123457","qty":2,"reason":"wrong_size","condition":"new","disposition":"restock"},` +
		`{"sku":"TSHIRT-BLU-M","code":"0105901234123457","qty":1,"reason":"changed_mind","condition":"opened","disposition":"refurbish"},` +
		`{"sku":"MUG-01","code":"MUG-01","qty":1,"reason":"damaged","condition":"damaged","disposition":"scrap"},` +
		`{"sku":"04006381333931","code":"4006381333931","qty":1,"reason":"other","condition":"opened","disposition":"refurbish"}],` +
		`"announced":true}`
	if got := mustJSON(t, ev); got != want {
		t.Errorf("return.received:\n got %s\nwant %s", got, want)
	}
	if got, want := h.w.KPI(), map[string]int{"wrong_size": 1, "changed_mind": 1, "damaged": 1, "other": 1}; !maps.Equal(got, want) {
		t.Errorf("KPI = %v, want %v", got, want)
	}
	if got := h.w.KPI(); len(got) != 0 {
		t.Errorf("KPI after a call = %v, want empty (reset)", got)
	}

	// Received: the same parcel cannot be received twice; the same announcement is ok, another
	// one with the same rma_id is a conflict.
	h.want("RMA-55120", SignalRefused, "Return RMA-55120 was already received on 2026-11-22T15:00:")
	if res := h.command(rma55120); !res.OK {
		t.Errorf("return.expect again after receipt: %+v", res.Error)
	}
	other := rma55120
	other.Lines = other.Lines[:1]
	if res := h.command(other); res.OK || res.Error.Code != protocol.CodeConflict {
		t.Errorf("return.expect with other lines after receipt: %+v, want conflict", res)
	}
	h.want("RMA-55120", SignalRefused, "already received")
	if n := len(h.received()); n != 1 {
		t.Errorf("%d return.received events, want 1", n)
	}
}

// TestUnannounced: a return nobody announced is recorded, flagged announced false, its units
// keyed by GTIN-14 or by the code as scanned.
func TestUnannounced(t *testing.T) {
	h := newHarness(t, func(h *harness) { h.cfg = testConfig("fr") })
	h.want("]E05901234123457", SignalRefused, "scannez d'abord le numéro de retour")              // an item first
	h.want("RSN-DAMAGED", SignalRefused, "Aucun retour ouvert")                                   // a reason first
	h.want("RET-DONE", SignalRefused, "Aucun retour ouvert")                                      // a control first
	h.want("BOX-M", SignalRefused, "Code carton BOX-M")                                           // a box id
	h.want("]E05901234123458", SignalRefused, "Code-barres erroné (bad_check_digit)")             // a bad EAN
	h.want("RMA-\x7f9", SignalRefused, "ne peut pas être un numéro de retour")                    // a control character
	h.want("]C0WEB-RMA-7781", SignalOK, "Retour WEB-RMA-7781 NON ANNONCÉ, enregistré quand même") // opens
	h.want("RET-DONE", SignalRefused, "Rien n'est scanné")
	h.want("RSN-OTHER", SignalRefused, "Scannez un article avant son motif")
	h.want("]E05901234123457", SignalOK, "05901234123457 : article 1")
	h.want("SKU-LOCAL-42", SignalOK, "SKU-LOCAL-42 : article 2")
	h.want("]E05901234123458", SignalRefused, "Code-barres erroné")
	h.want("RSN-NON-CONFORMING", SignalOK, "Non conforme / défectueux, Ouvert, comme neuf : Retour fournisseur (2 articles)")
	h.want("RET-DONE", SignalDone, "Retour WEB-RMA-7781 reçu : 2 × Retour fournisseur")

	ev := h.lastReceived(0)
	want := `{"rma_id":"WEB-RMA-7781","lines":[` +
		`{"sku":"05901234123457","code":"5901234123457","qty":1,"reason":"non_conforming","condition":"opened","disposition":"return_to_vendor"},` +
		`{"sku":"SKU-LOCAL-42","code":"SKU-LOCAL-42","qty":1,"reason":"non_conforming","condition":"opened","disposition":"return_to_vendor"}],` +
		`"announced":false}`
	if got := mustJSON(t, ev); got != want {
		t.Errorf("return.received:\n got %s\nwant %s", got, want)
	}

	// An announcement for it after the fact stores nothing: the parcel is in.
	if res := h.command(protocol.ReturnExpect{RMAID: "WEB-RMA-7781", Lines: []protocol.ReturnExpectLine{{SKU: "A", Qty: 1}}}); !res.OK {
		t.Errorf("return.expect after unannounced receipt: %+v", res.Error)
	}
	h.want("WEB-RMA-7781", SignalRefused, "a déjà été reçu")
}

// TestNumericIDs: digits that form a valid GTIN are an item without an AIM identifier, and an
// id in a Code 128 read with one.
func TestNumericIDs(t *testing.T) {
	h := newHarness(t)
	h.want("5901234123457", SignalRefused, "Item barcode 5901234123457: scan the RMA or order id first")
	h.want("]C05901234123457", SignalOK, "Return 5901234123457 NOT ANNOUNCED")
	h.want("]C05901234123457", SignalRefused, "Return 5901234123457 is already open")
	h.want("]E05901234123457", SignalOK, "05901234123457: item 1")
}

// TestAnnouncedWhileOpen: a return.expect that arrives while its parcel is being received
// unannounced makes it announced, and its units are matched against it at completion.
func TestAnnouncedWhileOpen(t *testing.T) {
	h := newHarness(t)
	h.want("RMA-LATE", SignalOK, "NOT ANNOUNCED")
	h.want("]E05901234123457", SignalOK, "05901234123457: item 1")
	if res := h.command(protocol.ReturnExpect{RMAID: "RMA-LATE", Lines: []protocol.ReturnExpectLine{{SKU: "TSHIRT-BLU-M", GTIN: "05901234123457", Qty: 2}}}); !res.OK {
		t.Fatalf("return.expect: %+v", res.Error)
	}
	h.want("]E05901234123457", SignalOK, "TSHIRT-BLU-M: 2 of 2 expected")
	h.want("RSN-WRONG-SIZE", SignalOK, "Restock (2 items)")
	h.want("RET-DONE", SignalDone, "received")
	ev := h.lastReceived(0)
	if !ev.Announced || len(ev.Lines) != 1 || ev.Lines[0].SKU != "TSHIRT-BLU-M" || ev.Lines[0].Qty != 2 {
		t.Errorf("return.received = %s, want announced with 2 × TSHIRT-BLU-M", mustJSON(t, ev))
	}
}

// TestControls covers RET-UNDO, RET-CANCEL and another return's id while one is open.
func TestControls(t *testing.T) {
	h := newHarness(t)
	h.command(rma55120)
	h.command(protocol.ReturnExpect{RMAID: "RMA-2", OrderID: "SO-2", Lines: []protocol.ReturnExpectLine{{SKU: "X", Qty: 1}}})
	h.want("RET-UNDO", SignalRefused, "No return open")
	h.want("RMA-55120", SignalOK, "open")
	h.want("RET-UNDO", SignalRefused, "Nothing to undo")
	h.want("MUG-01", SignalOK, "1 of 1")
	h.want("RSN-DAMAGED", SignalOK, "Scrap (1 items)")
	h.want("MUG-01", SignalOK, "more than expected (2 of 1)")
	h.want("RET-UNDO", SignalOK, "Removed MUG-01 (1 items left)")
	h.want("RET-UNDO", SignalOK, "Removed MUG-01 (0 items left)")
	h.want("CND-NEW", SignalRefused, "Scan an item before")
	h.want("MUG-01", SignalOK, "1 of 1") // the undone units no longer count
	h.want("RMA-2", SignalRefused, "Return RMA-55120 is open: complete it (RET-DONE) or abandon it (RET-CANCEL) first")
	h.want("SO-2", SignalRefused, "Return RMA-55120 is open")
	h.want("RET-WEIGH", SignalRefused, "No scale at this station")
	h.want("RET-CANCEL", SignalDone, "Return RMA-55120 abandoned: nothing recorded")
	h.want("RSN-DAMAGED", SignalRefused, "No return open")
	// The announcement waits again: the parcel can be opened anew, from scratch.
	h.want("SO-2026-110077", SignalOK, "Return RMA-55120 open: 3 items expected")
	h.want("RET-DONE", SignalRefused, "Nothing scanned")
	if n := len(h.received()); n != 0 {
		t.Errorf("%d return.received events, want 0", n)
	}
}

// TestRestartKeepsReturn: a restart in the middle of a return keeps its units, groups, reasons,
// conditions and open group.
func TestRestartKeepsReturn(t *testing.T) {
	h := newHarness(t)
	h.command(rma55120)
	h.want("RMA-55120", SignalOK, "open")
	h.want("]E05901234123457", SignalOK, "1 of 2")
	h.want("CND-USED", SignalOK, "Condition Used, working (1 items)")
	h.want("RSN-WRONG-SIZE", SignalOK, "Wrong size, Used, working: Refurbish (1 items)")
	h.want("MUG-01", SignalOK, "1 of 1")

	h.restart()
	if s := h.told(); s.kind != SignalOK || s.text != "Return RMA-55120 resumed: 2 items scanned" {
		t.Errorf("after restart told %+v", s)
	}
	h.want("]E05901234123457", SignalOK, "2 of 2") // the matcher counts the units from before
	h.want("RSN-CHANGED-MIND", SignalOK, "Restock (2 items)")
	h.restart()
	h.told()
	h.want("CND-DAMAGED", SignalOK, "Changed mind, Damaged or incomplete: Scrap (2 items)") // corrects the last group
	h.want("RET-DONE", SignalDone, "received")
	ev := h.lastReceived(0)
	want := `{"rma_id":"RMA-55120","lines":[` +
		`{"sku":"TSHIRT-BLU-M","code":"5901234123457","qty":1,"reason":"wrong_size","condition":"used","disposition":"refurbish"},` +
		`{"sku":"MUG-01","code":"MUG-01","qty":1,"reason":"changed_mind","condition":"damaged","disposition":"scrap"},` +
		`{"sku":"TSHIRT-BLU-M","code":"5901234123457","qty":1,"reason":"changed_mind","condition":"damaged","disposition":"scrap"}],` +
		`"announced":true}`
	if got := mustJSON(t, ev); got != want {
		t.Errorf("return.received:\n got %s\nwant %s", got, want)
	}
	// Nothing open any more after a restart.
	h.restart()
	h.want("RSN-OTHER", SignalRefused, "No return open")
}

// policy is the disposition matrix the shipped rules must implement, written out again here so
// that a change to rules.yaml is a visible decision in review.
var policy = map[string]map[string]string{
	"non_conforming": {"new": "return_to_vendor", "opened": "return_to_vendor", "used": "return_to_vendor", "damaged": "return_to_vendor"},
	"damaged":        {"new": "restock", "opened": "refurbish", "used": "refurbish", "damaged": "scrap"},
	"wrong_size":     {"new": "restock", "opened": "restock", "used": "refurbish", "damaged": "scrap"},
	"changed_mind":   {"new": "restock", "opened": "refurbish", "used": "refurbish", "damaged": "scrap"},
	"other":          {"new": "restock", "opened": "refurbish", "used": "refurbish", "damaged": "scrap"},
}

var defaultCondition = map[string]string{
	"non_conforming": "opened", "damaged": "damaged", "wrong_size": "new", "changed_mind": "new", "other": "opened",
}

// TestEveryRule runs every reason × condition of the rules file through the workflow, scanned
// by their barcodes, and checks the disposition recorded against the policy above; and every
// reason without a condition scan, against its default condition.
func TestEveryRule(t *testing.T) {
	rules, err := fwreturns.Default()
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t)
	n := 0
	for _, r := range rules.Reasons {
		for _, c := range rules.Conditions {
			t.Run(r.Code+"/"+c.Code, func(t *testing.T) {
				want := policy[r.Code][c.Code]
				if want == "" {
					t.Fatalf("the test's policy has no %s × %s: add it", r.Code, c.Code)
				}
				h.t = t
				h.want(fmt.Sprintf("RMA-%d", n), SignalOK, "NOT ANNOUNCED")
				h.want("SKU-1", SignalOK, "item 1")
				h.want(c.Barcode, SignalOK, "Condition")
				h.want(r.Barcode, SignalOK, "(1 items)")
				h.want(CodeDone, SignalDone, "received")
				ev := h.lastReceived(n)
				n++
				if l := ev.Lines[0]; l.Reason != r.Code || l.Condition != c.Code || l.Disposition != want {
					t.Errorf("line %+v: want %s × %s → %s", l, r.Code, c.Code, want)
				}
				if rule, _ := rules.Decide(r.Code, c.Code); rule.Disposition != want {
					t.Errorf("Decide = %s, want %s", rule.Disposition, want)
				}
			})
		}
		t.Run(r.Code+"/default", func(t *testing.T) {
			h.t = t
			h.want(fmt.Sprintf("RMA-%d", n), SignalOK, "NOT ANNOUNCED")
			h.want("SKU-1", SignalOK, "item 1")
			h.want(r.Barcode, SignalOK, "(1 items)")
			h.want(CodeDone, SignalDone, "received")
			ev := h.lastReceived(n)
			n++
			wantC := defaultCondition[r.Code]
			if l := ev.Lines[0]; l.Condition != wantC || l.Disposition != policy[r.Code][wantC] {
				t.Errorf("line %+v: want condition %s (default) → %s", l, wantC, policy[r.Code][wantC])
			}
		})
	}
	if len(policy) != len(rules.Reasons) {
		t.Errorf("the test's policy has %d reasons, the rules %d", len(policy), len(rules.Reasons))
	}
}

// TestExpectValidation covers return.expect's checks and idempotency, through the intake as the
// OMS sees them.
func TestExpectValidation(t *testing.T) {
	h := newHarness(t)
	good := protocol.ReturnExpect{RMAID: "RMA-1", OrderID: "SO-1", Lines: []protocol.ReturnExpectLine{{SKU: "A", GTIN: "05901234123457", Qty: 1}}}
	with := func(f func(*protocol.ReturnExpect)) protocol.ReturnExpect {
		e := good
		e.Lines = append([]protocol.ReturnExpectLine(nil), good.Lines...)
		f(&e)
		return e
	}
	cases := []struct {
		name string
		data protocol.ReturnExpect
		code string // "" for ok
		msg  string
	}{
		{"new", good, "", ""},
		{"same again", good, "", ""},
		{"other content", with(func(e *protocol.ReturnExpect) { e.Lines[0].Qty = 2 }), protocol.CodeConflict, "rma_id RMA-1 is already announced with other content"},
		{"other order", with(func(e *protocol.ReturnExpect) { e.OrderID = "SO-9" }), protocol.CodeConflict, "already announced"},
		{"bad check digit", with(func(e *protocol.ReturnExpect) { e.RMAID = "RMA-2"; e.Lines[0].GTIN = "05901234123458" }), protocol.CodeInvalid, "data.lines[0].gtin: "},
		{"reason barcode", with(func(e *protocol.ReturnExpect) { e.RMAID = "RSN-DAMAGED" }), protocol.CodeInvalid, `data.rma_id: "RSN-DAMAGED" is one of the returns station's own barcodes`},
		{"control barcode any case", with(func(e *protocol.ReturnExpect) { e.RMAID = "ret-done" }), protocol.CodeInvalid, "data.rma_id: "},
		{"box order id", with(func(e *protocol.ReturnExpect) { e.RMAID = "RMA-3"; e.OrderID = "BOX-S" }), protocol.CodeInvalid, `data.order_id: "BOX-S"`},
		{"several lines", with(func(e *protocol.ReturnExpect) {
			e.RMAID = "RMA-4"
			e.Lines = append(e.Lines, protocol.ReturnExpectLine{SKU: "B", GTIN: "4006381333931", Qty: 3})
		}), "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h.t = t
			res := h.command(c.data)
			switch {
			case c.code == "" && !res.OK:
				t.Errorf("result %+v, want ok", res.Error)
			case c.code != "" && (res.OK || res.Error.Code != c.code || !strings.Contains(res.Error.Message, c.msg)):
				t.Errorf("result %+v, want %s containing %q", res, c.code, c.msg)
			}
		})
	}
	h.t = t
	// Protocol-level checks come from the intake.
	cmd, _ := protocol.NewCommand("raw-1", t0, good)
	cmd.Data = []byte(`{"rma_id":"RMA-5","lines":[]}`)
	if res := h.commandRaw(cmd); res.OK || res.Error.Code != protocol.CodeInvalid {
		t.Errorf("no lines: %+v, want invalid", res)
	}
	// A station without the returns role does not take it.
	h2 := newHarness(t, func(h *harness) { h.cfg.Roles = []string{config.RolePack} })
	if res := h2.command(good); res.OK || res.Error.Code != protocol.CodeRoleDisabled {
		t.Errorf("pack station: %+v, want role_disabled", res)
	}
}

// TestNewChecks covers New's refusals.
func TestNewChecks(t *testing.T) {
	store := openStore(t, t.TempDir()+"/db")
	defer store.Close()
	cfg := func() *config.Config { return testConfig("en") }
	if _, err := New(Deps{Config: cfg}); err == nil {
		t.Error("New without a store succeeded")
	}
	if _, err := New(Deps{Store: store}); err == nil {
		t.Error("New without a config succeeded")
	}
	bad, err := fwreturns.Parse("bad.yaml", []byte(badRules))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(Deps{Store: store, Config: cfg, Rules: bad}); err == nil || !strings.Contains(err.Error(), "bad.yaml:4: reason other: barcode RET-DONE is a control barcode") {
		t.Errorf("New with a control barcode in the rules: %v", err)
	}
	w, err := New(Deps{Store: store, Config: cfg})
	if err != nil || w.Name() != "returns" || w.Rules() == nil {
		t.Fatalf("New = %v, %v", w, err)
	}
}

const badRules = `version: 1
sources: [{id: p, ref: "Policy"}]
reasons:
  - {code: other, barcode: RET-DONE, en: Other, fr: Autre, default_condition: new}
conditions:
  - {code: new, barcode: CND-NEW, en: New, fr: Neuf}
dispositions:
  - {code: restock, en: Restock, fr: Remise en stock}
rules:
  - {reason: other, condition: new, disposition: restock, why: "Yes.", sources: [p]}
`

// TestPurge: announcements never received are forgotten after ExpectTTL, received returns after
// storage.command_ttl; the purge runs when Run starts and every hour.
func TestPurge(t *testing.T) {
	h := newHarness(t)
	h.command(rma55120)
	h.want("RMA-OLD", SignalOK, "NOT ANNOUNCED")
	h.want("SKU-1", SignalOK, "item 1")
	h.want("RSN-OTHER", SignalOK, "(1 items)")
	h.want("RET-DONE", SignalDone, "received")

	h.clock.advance(DefaultExpectTTL - time.Hour)
	h.restart()
	h.want("RMA-OLD", SignalOK, "NOT ANNOUNCED") // received more than 7 days ago: forgotten
	h.want("RET-CANCEL", SignalDone, "abandoned")
	h.want("RMA-55120", SignalOK, "3 items expected") // still announced
	h.want("RET-CANCEL", SignalDone, "abandoned")

	h.clock.advance(2 * time.Hour)
	h.restart()
	h.want("RMA-55120", SignalOK, "NOT ANNOUNCED")
}

// TestStoreFull: when return.received cannot be stored (the outbox is full), the operator is
// told, and the return stays open as it was.
func TestStoreFull(t *testing.T) {
	h := newHarness(t, func(h *harness) { h.max = 300 })
	h.want("RMA-FULL", SignalOK, "NOT ANNOUNCED")
	h.want("SKU-1", SignalOK, "item 1")
	h.want("RSN-OTHER", SignalOK, "(1 items)")
	h.want("RET-DONE", SignalRefused, "Station storage error: call a technician (storage_full)")
	h.want("SKU-2", SignalOK, "item 2") // still open, nothing lost
	h.restart()
	if s := h.told(); s.text != "Return RMA-FULL resumed: 2 items scanned" {
		t.Errorf("after restart told %+v", s)
	}
	if n := len(h.received()); n != 0 {
		t.Errorf("%d return.received events, want 0", n)
	}
}
