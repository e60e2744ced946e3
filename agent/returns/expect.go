package returns

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/stationd/stationd/agent/config"
	"github.com/stationd/stationd/agent/outbox"
	"github.com/stationd/stationd/devices/scanner/gtin"
	"github.com/stationd/stationd/protocol"
)

// command executes one command in Run's goroutine.
func (m *machine) command(cmd protocol.Command, data protocol.CommandData) *protocol.Error {
	switch v := data.(type) {
	case protocol.ReturnExpect:
		return m.expect(cmd, &v)
	case *protocol.ReturnExpect:
		if v != nil {
			return m.expect(cmd, v)
		}
	}
	return protocol.Errorf(protocol.CodeInternal, "the returns workflow got %s with data %T: this is a bug, please report it", cmd.Type, data)
}

// outcome of a return.expect, for the log.
type expectOutcome int

const (
	expectStored expectOutcome = iota
	expectSame
	expectReceivedUnannounced
)

// expect stores an announced return (contract section 5, return.expect). It is idempotent by
// rma_id: the same content again is ok and changes nothing, other content is a conflict, while
// the return waits, while it is being received and for storage.command_ttl after it was received.
func (m *machine) expect(cmd protocol.Command, e *protocol.ReturnExpect) *protocol.Error {
	if perr := m.checkExpect(e); perr != nil {
		return perr
	}
	log := m.log.With("command_id", cmd.ID, "rma_id", e.RMAID)
	now := m.d.Now()
	var outcome expectOutcome
	var conflict *protocol.Error
	err := m.update(func(tx *outbox.Tx) error {
		outcome, conflict = expectStored, nil
		var done doneRecord
		if ok, err := getJSON(tx, bucketDone, []byte(e.RMAID), &done); err != nil {
			return err
		} else if ok {
			switch {
			case done.Expect == nil:
				outcome = expectReceivedUnannounced
			case sameExpect(done.Expect, e):
				outcome = expectSame
			default:
				conflict = protocol.Errorf(protocol.CodeConflict, "rma_id %s was received on %s with other lines: send a new rma_id for another return", e.RMAID, protocol.NewTime(done.ReceivedAt))
			}
			return nil
		}
		var prev expectRecord
		if ok, err := getJSON(tx, bucketExpected, []byte(e.RMAID), &prev); err != nil {
			return err
		} else if ok {
			if sameExpect(&prev.Expect, e) {
				outcome = expectSame
			} else {
				conflict = protocol.Errorf(protocol.CodeConflict, "rma_id %s is already announced with other content", e.RMAID)
			}
			return nil
		}
		n, err := nextArrival(tx)
		if err != nil {
			return err
		}
		return putJSON(tx, bucketExpected, []byte(e.RMAID), expectRecord{Expect: *e, ReceivedAt: now, Arrival: n})
	})
	switch {
	case errors.Is(err, outbox.ErrFull):
		return protocol.Errorf(protocol.CodeStorageFull, "the station's store is full (broker unreachable for long): the return was not stored; send it again once the station has caught up")
	case err != nil:
		log.Error("return.expect: store: " + err.Error())
		return protocol.Errorf(protocol.CodeInternal, "the return could not be stored: %v", err)
	case conflict != nil:
		return conflict
	}
	switch outcome {
	case expectSame:
		log.Info("return.expect again with the same content: nothing changes")
	case expectReceivedUnannounced:
		log.Warn("return.expect for a return already received unannounced: its return.received (announced false) stands; nothing stored")
	default:
		log.Info("return announced", "order_id", e.OrderID, "lines", len(e.Lines))
	}
	return nil
}

// checkExpect adds the station's rules to the protocol's: every GTIN's check digit is right, and
// neither the rma_id nor the order_id is one of the station's barcodes or a box id, which the
// operator could not scan to open the return.
func (m *machine) checkExpect(e *protocol.ReturnExpect) *protocol.Error {
	boxes := boxIDs(m.d.Config())
	for _, f := range []struct{ path, v string }{{"data.rma_id", e.RMAID}, {"data.order_id", e.OrderID}} {
		if f.v == "" {
			continue
		}
		if c := classify(m.rules, boxes, f.v); c.kind != kindOther {
			return protocol.Errorf(protocol.CodeInvalid, "%s: %q is one of the returns station's own barcodes (a reason, condition, control or box): the operator could not open the return with it", f.path, f.v)
		}
	}
	for i, l := range e.Lines {
		if l.GTIN == "" {
			continue
		}
		if _, err := gtin.Normalize(l.GTIN); err != nil {
			return protocol.Errorf(protocol.CodeInvalid, "data.lines[%d].gtin: %v", i, err)
		}
	}
	return nil
}

// boxIDs returns pack.boxes' ids.
func boxIDs(cfg *config.Config) []string {
	ids := make([]string, len(cfg.Pack.Boxes))
	for i, b := range cfg.Pack.Boxes {
		ids[i] = b.ID
	}
	return ids
}

// validID reports whether code can be an rma_id (the protocol's identifier rule: 1 to 128
// characters, none a control character).
func validID(code string) bool {
	if code == "" || len([]rune(code)) > 128 {
		return false
	}
	return !strings.ContainsFunc(code, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

// describe renders the dispositions of lines for the operator: "2 × Restock, 1 × Scrap".
func (m *machine) describe(ls []protocol.ReturnedLine) string {
	count := map[string]int{}
	var order []string
	for _, l := range ls {
		if count[l.Disposition] == 0 {
			order = append(order, l.Disposition)
		}
		count[l.Disposition] += l.Qty
	}
	slices.Sort(order)
	parts := make([]string, len(order))
	for i, d := range order {
		name := d
		if x, ok := m.rules.Disposition(d); ok {
			name = x.In(m.lang())
		}
		parts[i] = fmt.Sprintf("%d × %s", count[d], name)
	}
	return strings.Join(parts, ", ")
}
