package picking

import (
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stationd/stationd/devices/lights"
	"github.com/stationd/stationd/protocol"
)

// EAN-13 codes with right check digits.
const (
	eanA     = "4006381333931"
	eanOther = "5901234123457"
)

func wallW1() protocol.PutWall {
	return protocol.PutWall{WallID: "W1", Orders: []protocol.PutOrder{
		{OrderID: "O1", Slot: "S-1", Lines: []protocol.PutLine{{SKU: "SKU-A", GTIN: eanA, Qty: 2}, {SKU: "SKU-B", Qty: 1}}},
		{OrderID: "O2", Slot: "S-2", Lines: []protocol.PutLine{{SKU: "SKU-A", GTIN: "0" + eanA, Qty: 1}}},
		{OrderID: "O3", Slot: "S-3", Lines: []protocol.PutLine{{SKU: "SKU-C", Qty: 1}}},
	}}
}

func TestPutWall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		h.ok(wallW1())
		h.wantDark()

		h.scan("]E0" + eanA) // EAN-13 with its AIM identifier
		h.wantLight("S-1", lights.Green, false, "1")
		h.scan("0" + eanA) // the same item as a GTIN-14, without identifier
		h.wantLight("S-1", lights.Green, false, "2")
		h.scan(eanA) // O1 has all its SKU-A lit: the next order that needs it
		h.wantLight("S-2", lights.Green, false, "1")
		h.wantEvents()

		at := h.press("S-1", false)
		evs := h.wantEvents(`put.confirmed {"wall_id":"W1","order_id":"O1","slot":"S-1","sku":"SKU-A","qty":2}`)
		if len(evs) == 1 && !evs[0].Time.Equal(at.Truncate(time.Millisecond)) {
			t.Errorf("event time %v, want the press's %v", evs[0].Time, at)
		}
		h.wantLight("S-1", lights.Off, false, "")

		h.scan("SKU-B") // matched by SKU
		h.wantLight("S-1", lights.Green, false, "1")
		h.press("S-1", true) // a long press confirms too
		h.wantEvents(
			`put.confirmed {"wall_id":"W1","order_id":"O1","slot":"S-1","sku":"SKU-B","qty":1}`,
			`put.order_complete {"wall_id":"W1","order_id":"O1","slot":"S-1"}`,
		)
		h.wantLight("S-1", lights.Green, true, "")

		h.press("S-2", false)
		h.wantEvents(
			`put.confirmed {"wall_id":"W1","order_id":"O2","slot":"S-2","sku":"SKU-A","qty":1}`,
			`put.order_complete {"wall_id":"W1","order_id":"O2","slot":"S-2"}`,
		)
		h.wantLight("S-2", lights.Green, true, "")

		h.press("S-1", false) // emptied
		h.wantLight("S-1", lights.Off, false, "")
		h.wantEvents()
		h.press("S-1", false) // nothing there any more
		h.wantEvents()

		h.scan("SKU-C")
		h.wantLight("S-3", lights.Green, false, "")
		h.press("S-3", false)
		h.wantEvents(
			`put.confirmed {"wall_id":"W1","order_id":"O3","slot":"S-3","sku":"SKU-C","qty":1}`,
			`put.order_complete {"wall_id":"W1","order_id":"O3","slot":"S-3"}`,
		)
		h.wantLight("S-3", lights.Green, true, "")
		h.press("S-2", false)
		h.press("S-3", false)
		h.wantDark()
		if k := h.keys(bucketWalls); len(k) != 0 {
			t.Errorf("walls left: %v", k)
		}
		if k, want := h.keys(bucketDone), []string{"order/W1/O1", "order/W1/O2", "order/W1/O3"}; !slices.Equal(k, want) {
			t.Errorf("done %v, want %v", k, want)
		}

		// The same wall again: every order is done, nothing lights.
		h.ok(wallW1())
		h.scan(eanA)
		h.wantEvents()
		h.wantDark()
	})
}

func TestPutUnexpected(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		h.scan(eanOther) // no wall open: not the put wall's business
		h.wantEvents()

		h.ok(protocol.PutWall{WallID: "W1", Orders: []protocol.PutOrder{
			{OrderID: "O1", Slot: "S-1", Lines: []protocol.PutLine{{SKU: "SKU-A", GTIN: eanA, Qty: 1}}},
		}})
		h.scan("]E0" + eanOther)
		h.wantEvents(`put.unexpected {"device":"scanner1","code":"5901234123457","gtin":"05901234123457","reason":"not_on_wall"}`)
		h.wantLight("ALERT", lights.Red, true, "")
		time.Sleep(alertFor - time.Millisecond)
		waitIdle()
		h.wantLight("ALERT", lights.Red, true, "")
		time.Sleep(time.Millisecond)
		waitIdle()
		h.wantLight("ALERT", lights.Off, false, "")

		h.scan("SKU-A")
		h.wantLight("S-1", lights.Green, false, "1")
		h.scan("SKU-A")
		h.wantEvents(`put.unexpected {"device":"scanner1","code":"SKU-A","reason":"over_quantity"}`)
		h.wantLight("S-1", lights.Green, false, "1")

		h.scan("]E04006381333932")
		h.wantEvents(`put.unexpected {"device":"scanner1","code":"4006381333932","reason":"bad_check_digit"}`)
		h.wantLight("ALERT", lights.Red, true, "")
		h.press("S-1", false)
		h.wantEvents(
			`put.confirmed {"wall_id":"W1","order_id":"O1","slot":"S-1","sku":"SKU-A","qty":1}`,
			`put.order_complete {"wall_id":"W1","order_id":"O1","slot":"S-1"}`,
		)
	})
}

func TestPutWallCommands(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		o1 := protocol.PutOrder{OrderID: "O1", Slot: "S-1", Lines: []protocol.PutLine{{SKU: "SKU-A", Qty: 1}}}
		o2 := protocol.PutOrder{OrderID: "O2", Slot: "S-2", Lines: []protocol.PutLine{{SKU: "SKU-B", Qty: 3}}}
		wall := func(id string, orders ...protocol.PutOrder) protocol.PutWall {
			return protocol.PutWall{WallID: id, Orders: orders}
		}
		h.fails(wall("W1", o1, protocol.PutOrder{OrderID: "O2", Slot: "Z-1", Lines: o2.Lines}),
			protocol.CodeInvalid, `data.orders[1].slot: "Z-1" is not a location of this station`)
		h.fails(wall("W1", protocol.PutOrder{OrderID: "O2", Slot: "NOBTN", Lines: o2.Lines}),
			protocol.CodeInvalid, `data.orders[0].slot: location "NOBTN" has no button`)
		h.fails(wall("W1", protocol.PutOrder{OrderID: "O2", Slot: "S-2", Lines: []protocol.PutLine{{SKU: "X", GTIN: "4006381333932", Qty: 1}}}),
			protocol.CodeInvalid, `data.orders[0].lines[0].gtin:`)
		if k := h.keys(bucketWalls); len(k) != 0 {
			t.Fatalf("walls after refusals: %v", k)
		}

		h.ok(wall("W1", o1))
		h.ok(wall("W1", o1))     // the same: ok
		h.ok(wall("W1", o1, o2)) // refilled with a new order
		changed := o1
		changed.Lines = []protocol.PutLine{{SKU: "SKU-A", Qty: 2}}
		h.fails(wall("W1", changed), protocol.CodeConflict, `order "O1" is on put wall "W1"`)
		h.fails(wall("W2", protocol.PutOrder{OrderID: "O9", Slot: "S-1", Lines: o1.Lines}),
			protocol.CodeBusy, `"S-1" holds order "O1" of put wall "W1"`)
		h.fails(protocol.PickTasks{BatchID: "B1", Tasks: []protocol.PickTask{task("T1", "S-2", 1)}},
			protocol.CodeBusy, `"S-2" is the slot of order "O2" of put wall "W1"`)
		h.ok(protocol.PickTasks{BatchID: "B1", Tasks: []protocol.PickTask{task("T1", "S-3", 1)}})
		h.fails(wall("W2", protocol.PutOrder{OrderID: "O9", Slot: "S-3", Lines: o1.Lines}),
			protocol.CodeBusy, `"S-3" is lit for pick batch "B1"`)

		// Units lit but not confirmed survive a restart.
		h.scan("SKU-B")
		h.scan("SKU-B")
		h.restart()
		h.wantLight("S-2", lights.Green, false, "2")
		h.wantLight("S-3", lights.Green, false, "")
		h.press("S-2", false)
		h.wantEvents(`put.confirmed {"wall_id":"W1","order_id":"O2","slot":"S-2","sku":"SKU-B","qty":2}`)
	})
}
