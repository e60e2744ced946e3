package returns

import (
	"time"

	"github.com/stationd/stationd/agent"
	"github.com/stationd/stationd/agent/outbox"
	"github.com/stationd/stationd/devices/scanner/barcode"
	fwreturns "github.com/stationd/stationd/firmware-config/returns"
	"github.com/stationd/stationd/protocol"
)

// itemSymbologies are the symbologies that only ever carry items: such a scan never opens a
// return, whatever its digits.
var itemSymbologies = map[string]bool{
	protocol.SymbologyEAN13: true, protocol.SymbologyEAN8: true, protocol.SymbologyUPCA: true,
	protocol.SymbologyUPCE: true, protocol.SymbologyITF: true, protocol.SymbologyGS1128: true,
	protocol.SymbologyGS1DataMatrix: true, protocol.SymbologyGS1QR: true, protocol.SymbologyGS1DataBar: true,
}

// isItem reports whether a scan is an item barcode rather than an id: a GS1 element string, a
// GTIN symbology, or, without an AIM identifier, data that is a valid GTIN. A numeric id in a
// Code 128 read with its AIM identifier (]C0) is an id, whatever its last digit.
func isItem(d *barcode.Result) bool {
	return itemSymbologies[d.Symbology] || len(d.GS1) > 0 || (d.GTIN != "" && d.AIM == "")
}

// scan handles one scan in Run's goroutine.
func (m *machine) scan(s agent.Scan) {
	d := s.Decoded
	if d.Code == "" && d.Symbology == "" {
		d = barcode.Decode(s.Data) // a scan handed over undecoded
	}
	if d.Code == "" {
		return
	}
	at := s.At
	if at.IsZero() {
		at = m.d.Now()
	}
	c := classify(m.rules, boxIDs(m.d.Config()), d.Code)
	if m.open == nil {
		m.idle(&d, c, at)
		return
	}
	switch c.kind {
	case kindControl:
		switch c.control.Code {
		case CodeDone:
			m.complete(at)
		case CodeUndo:
			m.undo()
		case CodeCancel:
			m.cancel()
		case CodeWeigh:
			m.weigh()
		}
	case kindReason:
		m.setReason(c.reason)
	case kindCondition:
		m.setCondition(c.condition)
	case kindBox:
		m.tell(SignalRefused, msgBox, d.Code)
	default:
		m.item(&d)
	}
}

// idle handles a scan while no return is open: an id opens one.
func (m *machine) idle(d *barcode.Result, c classified, at time.Time) {
	code := d.Code
	switch {
	case c.kind == kindBox:
		m.tell(SignalRefused, msgBox, code)
		return
	case c.kind != kindOther:
		m.tell(SignalRefused, msgNoReturn)
		return
	}
	var exp *expectRecord
	var done doneRecord
	var received bool
	err := m.d.Store.View(func(tx *outbox.Tx) error {
		exp, received = nil, false
		var e expectRecord
		ok, err := getJSON(tx, bucketExpected, []byte(code), &e)
		if err != nil {
			return err
		}
		if ok {
			exp = &e
			return nil
		}
		if exp, err = findByOrder(tx, code); err != nil || exp != nil {
			return err
		}
		received, err = getJSON(tx, bucketDone, []byte(code), &done)
		return err
	})
	if err != nil {
		m.storageError("read the announced returns", err)
		return
	}
	switch {
	case exp != nil:
		m.openReturn(exp.Expect.RMAID, code, at, &exp.Expect)
	case received:
		m.tell(SignalRefused, msgAlreadyReceived, code, protocol.NewTime(done.ReceivedAt))
	case d.Error != "":
		m.tell(SignalRefused, msgBadBarcode, d.Error)
	case isItem(d):
		m.tell(SignalRefused, msgItemFirst, code)
	case !validID(code):
		m.tell(SignalRefused, msgBadID, code)
	default:
		m.openReturn(code, code, at, nil)
	}
}

// openReturn opens the return rma, announced by exp (nil: unannounced), and starts weighing.
func (m *machine) openReturn(rma, by string, at time.Time, exp *protocol.ReturnExpect) {
	rec := &openRecord{RMAID: rma, OpenedBy: by, OpenedAt: at, Units: []unitRecord{}}
	if err := m.update(func(tx *outbox.Tx) error { return putJSON(tx, bucketState, keyOpen, rec) }); err != nil {
		m.storageError("open return "+rma, err)
		return
	}
	m.open = rec
	if exp != nil {
		m.log.Info("return opened", "rma_id", rma, "opened_by", by, "announced", true)
		m.tell(SignalOK, msgOpenAnnounced, rma, expected(exp))
	} else {
		m.log.Warn("unannounced return opened: it is recorded with announced false", "rma_id", rma)
		m.tell(SignalOK, msgOpenUnannounced, rma)
	}
	m.startWeigh()
}

// announcement returns the open return's announcement, read from the store: a return.expect
// may arrive while an unannounced return with its rma_id is being received.
func (m *machine) announcement(tx *outbox.Tx) (*protocol.ReturnExpect, error) {
	var e expectRecord
	ok, err := getJSON(tx, bucketExpected, []byte(m.open.RMAID), &e)
	if !ok || err != nil {
		return nil, err
	}
	return &e.Expect, nil
}

// item counts one unit into the open return.
func (m *machine) item(d *barcode.Result) {
	code := d.Code
	if !isItem(d) && (code == m.open.RMAID || code == m.open.OpenedBy) {
		m.tell(SignalRefused, msgAlreadyOpen, m.open.RMAID)
		return
	}
	if d.Error != "" {
		m.tell(SignalRefused, msgBadBarcode, d.Error)
		return
	}
	u := unitRecord{Code: code, GTIN: d.GTIN}
	if u.GTIN == "" && !validID(code) {
		m.tell(SignalRefused, msgUnreadable, code) // it could not be a SKU either
		return
	}
	if len(code) > 4096 {
		m.tell(SignalRefused, msgUnreadable, code[:64]+"…")
		return
	}
	if len(m.open.Units) >= MaxUnits {
		m.tell(SignalRefused, msgTooMany, MaxUnits)
		return
	}
	rec := m.open.clone()
	rec.Units = append(rec.Units, u)
	var exp *protocol.ReturnExpect
	var idOf string // the rma_id of the announced return code is an id of, if any
	err := m.update(func(tx *outbox.Tx) error {
		var err error
		idOf = ""
		if !isItem(d) {
			if tx.Get(bucketExpected, []byte(code)) != nil {
				idOf = code
				return nil
			}
			byOrder, err := findByOrder(tx, code)
			if err != nil {
				return err
			}
			if byOrder != nil {
				idOf = byOrder.Expect.RMAID
				return nil
			}
		}
		if exp, err = m.announcement(tx); err != nil {
			return err
		}
		return putJSON(tx, bucketState, keyOpen, rec)
	})
	switch {
	case err != nil:
		m.storageError("record an item", err)
		return
	case idOf == m.open.RMAID:
		m.tell(SignalRefused, msgAlreadyOpen, m.open.RMAID)
		return
	case idOf != "":
		// Another announced return's id: the operator moved on to the next parcel too early.
		m.tell(SignalRefused, msgOtherOpen, m.open.RMAID)
		return
	}
	m.open = rec
	mt := newMatcher(exp)
	var last match
	for _, x := range rec.Units {
		last = mt.add(x)
	}
	switch {
	case exp == nil:
		m.tell(SignalOK, msgItem, last.sku, len(rec.Units))
	case last.line < 0:
		m.tell(SignalOK, msgItemUnexpected, last.sku)
	case last.over:
		m.tell(SignalOK, msgItemOver, last.sku, last.n, exp.Lines[last.line].Qty)
	default:
		m.tell(SignalOK, msgItemExpected, last.sku, last.n, exp.Lines[last.line].Qty)
	}
}

// target returns the units a reason or condition scan applies to: the open group, or, when no
// unit was scanned since the last reason scan, the last group (a correction).
func (m *machine) target() (idx []int, closing bool) {
	if g := m.open.openGroup(); len(g) > 0 {
		return g, true
	}
	return m.open.lastGroup(), false
}

// setReason gives the target units a reason, their condition when none was scanned, and their
// disposition.
func (m *machine) setReason(r fwreturns.Reason) {
	idx, closing := m.target()
	if len(idx) == 0 {
		m.tell(SignalRefused, msgItemBeforeCode)
		return
	}
	rec := m.open.clone()
	if closing {
		rec.Groups++
	}
	for _, i := range idx {
		u := &rec.Units[i]
		u.Group = rec.Groups
		u.Reason = r.Code
		if !u.CondScanned {
			u.Condition = r.DefaultCondition
		}
		u.Disposition = m.decide(u.Reason, u.Condition)
	}
	if err := m.update(func(tx *outbox.Tx) error { return putJSON(tx, bucketState, keyOpen, rec) }); err != nil {
		m.storageError("record a reason", err)
		return
	}
	m.open = rec
	u := rec.Units[idx[len(idx)-1]]
	m.tell(SignalOK, msgReason, r.In(m.lang()), m.conditionName(u.Condition), m.dispositionName(u.Disposition), len(idx))
}

// setCondition gives the target units a condition, and a new disposition to those with a reason.
func (m *machine) setCondition(c fwreturns.Condition) {
	idx, closing := m.target()
	if len(idx) == 0 {
		m.tell(SignalRefused, msgItemBeforeCode)
		return
	}
	rec := m.open.clone()
	for _, i := range idx {
		u := &rec.Units[i]
		u.Condition, u.CondScanned = c.Code, true
		if u.Reason != "" {
			u.Disposition = m.decide(u.Reason, u.Condition)
		}
	}
	if err := m.update(func(tx *outbox.Tx) error { return putJSON(tx, bucketState, keyOpen, rec) }); err != nil {
		m.storageError("record a condition", err)
		return
	}
	m.open = rec
	if closing {
		m.tell(SignalOK, msgCondition, c.In(m.lang()), len(idx))
		return
	}
	u := rec.Units[idx[len(idx)-1]]
	reason, _ := m.rules.Reason(u.Reason)
	m.tell(SignalOK, msgReason, reason.In(m.lang()), c.In(m.lang()), m.dispositionName(u.Disposition), len(idx))
}

// decide returns the disposition of a pair; the rules are complete (Parse checks it), so the
// fallback, the most conservative disposition, only guards against a bug.
func (m *machine) decide(reason, condition string) string {
	if r, ok := m.rules.Decide(reason, condition); ok {
		return r.Disposition
	}
	m.log.Error("no rule for a reason and condition: this is a bug, please report it", "reason", reason, "condition", condition)
	return m.rules.Dispositions[len(m.rules.Dispositions)-1].Code
}

func (m *machine) conditionName(code string) string {
	if c, ok := m.rules.Condition(code); ok {
		return c.In(m.lang())
	}
	return code
}

func (m *machine) dispositionName(code string) string {
	if d, ok := m.rules.Disposition(code); ok {
		return d.In(m.lang())
	}
	return code
}

// undo removes the last unit scanned.
func (m *machine) undo() {
	if len(m.open.Units) == 0 {
		m.tell(SignalRefused, msgNothingToUndo)
		return
	}
	rec := m.open.clone()
	last := rec.Units[len(rec.Units)-1]
	rec.Units = rec.Units[:len(rec.Units)-1]
	if last.Group != 0 && len(rec.lastGroup()) == 0 {
		rec.Groups-- // corrections go to the group before
	}
	if err := m.update(func(tx *outbox.Tx) error { return putJSON(tx, bucketState, keyOpen, rec) }); err != nil {
		m.storageError("undo an item", err)
		return
	}
	m.open = rec
	m.tell(SignalOK, msgUndo, last.Code, len(rec.Units))
}

// cancel abandons the open return: nothing is recorded, an announcement waits again.
func (m *machine) cancel() {
	rma := m.open.RMAID
	if err := m.update(func(tx *outbox.Tx) error { return tx.Delete(bucketState, keyOpen) }); err != nil {
		m.storageError("abandon return "+rma, err)
		return
	}
	m.stopWeigh()
	m.tell(SignalDone, msgCancelled, rma)
	m.log.Info("return abandoned by the operator", "rma_id", rma, "units", len(m.open.Units))
	m.open = nil
}

// receivedEvent is return.received with the station's one extension: announced is false when
// no return.expect announced the return (contract section 6 has no such flag; an OMS that does
// not know the field ignores it).
type receivedEvent struct {
	protocol.ReturnReceived
	Announced bool `json:"announced"`
}

// complete records return.received and closes the return.
func (m *machine) complete(at time.Time) {
	switch g := m.open.openGroup(); {
	case len(m.open.Units) == 0:
		m.tell(SignalRefused, msgNothing)
		return
	case len(g) > 0:
		m.tell(SignalRefused, msgNeedReason, len(g))
		return
	}
	rma := m.open.RMAID
	var ev receivedEvent
	err := m.update(func(tx *outbox.Tx) error {
		exp, err := m.announcement(tx)
		if err != nil {
			return err
		}
		ev = receivedEvent{
			ReturnReceived: protocol.ReturnReceived{RMAID: rma, Lines: lines(m.open.Units, exp), WeightG: m.open.Weight.Grams()},
			Announced:      exp != nil,
		}
		if ev.WeightG < 1 {
			ev.WeightG = 0 // under half a gram is no weight (the contract's weight_g is at least 1)
		}
		if _, err := tx.Append(outbox.Event{Type: protocol.EventReturnReceived, Time: at, Data: ev}); err != nil {
			return err
		}
		if err := tx.Delete(bucketState, keyOpen); err != nil {
			return err
		}
		if err := tx.Delete(bucketExpected, []byte(rma)); err != nil {
			return err
		}
		return putJSON(tx, bucketDone, []byte(rma), doneRecord{Expect: exp, ReceivedAt: at})
	})
	if err != nil {
		m.storageError("record return "+rma, err)
		return
	}
	m.stopWeigh()
	m.countLines(ev.Lines)
	m.open = nil
	m.log.Info("return received", "rma_id", rma, "announced", ev.Announced, "lines", len(ev.Lines), "weight_g", ev.WeightG)
	m.tell(SignalDone, msgDone, rma, m.describe(ev.Lines))
}
