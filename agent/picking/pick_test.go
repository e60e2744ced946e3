package picking

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/stationd/stationd/devices/lights"
	"github.com/stationd/stationd/protocol"
)

func task(id, loc string, qty int) protocol.PickTask {
	return protocol.PickTask{TaskID: id, Location: loc, SKU: "SKU-" + id, Qty: qty}
}

func TestPickBatch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		h.ok(protocol.PickTasks{BatchID: "B1", Tasks: []protocol.PickTask{
			task("T1", "A-01", 3), task("T2", "A-02", 2), task("T3", "A-03", 1), task("T4", "A-04", 5),
		}})
		h.wantLight("A-01", lights.Green, false, "3")
		h.wantLight("A-02", lights.Green, false, "2")
		h.wantLight("A-03", lights.Green, false, "")
		h.wantLight("A-04", lights.Green, false, "5") // pixels 3..5 agree (h.light checks)
		h.wantEvents()

		// Short press: the full quantity.
		at := h.press("A-01", false)
		evs := h.wantEvents(`pick.confirmed {"batch_id":"B1","task_id":"T1","location":"A-01","qty":3,"qty_picked":3}`)
		if len(evs) == 1 && !evs[0].Time.Equal(at.Truncate(time.Millisecond)) {
			t.Errorf("event time %v, want the press's %v", evs[0].Time, at)
		}
		h.wantLight("A-01", lights.Off, false, "")

		// Long press without a display: nothing picked.
		h.press("A-03", true)
		h.wantEvents(`pick.short {"batch_id":"B1","task_id":"T3","location":"A-03","qty":1,"qty_picked":0}`)
		h.wantLight("A-03", lights.Off, false, "")

		// Long press with a display: count down, wrap to the full quantity, confirm the count.
		h.press("A-02", true)
		h.wantLight("A-02", lights.Green, true, "1")
		h.press("A-02", false)
		h.wantLight("A-02", lights.Green, true, "0")
		h.press("A-02", false)
		h.wantLight("A-02", lights.Green, true, "2")
		h.press("A-02", false)
		h.wantLight("A-02", lights.Green, true, "1")
		h.wantEvents()
		h.press("A-02", true)
		h.wantEvents(`pick.short {"batch_id":"B1","task_id":"T2","location":"A-02","qty":2,"qty_picked":1}`)
		h.wantLight("A-02", lights.Off, false, "")

		// The last task completes the batch in the same transaction.
		h.press("A-04", true)
		h.wantLight("A-04", lights.Green, true, "4")
		h.press("A-04", true)
		evs = h.wantEvents(
			`pick.short {"batch_id":"B1","task_id":"T4","location":"A-04","qty":5,"qty_picked":4}`,
			`pick.completed {"batch_id":"B1"}`,
		)
		if len(evs) == 2 && evs[1].Seq != evs[0].Seq+1 {
			t.Errorf("seqs %d, %d: want consecutive", evs[0].Seq, evs[1].Seq)
		}
		h.wantDark()
		if k := h.keys(bucketBatches); len(k) != 0 {
			t.Errorf("batches left: %v", k)
		}
		if k := h.keys(bucketDone); len(k) != 1 || k[0] != "batch/B1" {
			t.Errorf("done: %v", k)
		}

		// Presses with nothing lit do nothing.
		h.press("A-01", false)
		h.wantEvents()
	})
}

// A count back at the full quantity confirms the task.
func TestPickCountBackToFull(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		h.ok(protocol.PickTasks{BatchID: "B1", Tasks: []protocol.PickTask{task("T1", "A-01", 1), task("T2", "A-01", 2)}})
		h.wantLight("A-01", lights.Green, false, "1") // two tasks on one location: one after the other
		h.press("A-01", true)
		h.wantLight("A-01", lights.Green, true, "0")
		h.press("A-01", false)
		h.wantLight("A-01", lights.Green, true, "1")
		h.press("A-01", true)
		h.wantEvents(`pick.confirmed {"batch_id":"B1","task_id":"T1","location":"A-01","qty":1,"qty_picked":1}`)
		h.wantLight("A-01", lights.Green, false, "2")
		h.press("A-01", false)
		h.wantEvents(
			`pick.confirmed {"batch_id":"B1","task_id":"T2","location":"A-01","qty":2,"qty_picked":2}`,
			`pick.completed {"batch_id":"B1"}`,
		)
		h.wantDark()
	})
}

func TestPickTwoPickers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		h.ok(protocol.PickTasks{BatchID: "B1", Tasks: []protocol.PickTask{task("T1", "A-01", 1), task("T2", "A-02", 2)}})
		h.ok(protocol.PickTasks{BatchID: "B2", Tasks: []protocol.PickTask{task("U1", "A-03", 4), task("U2", "A-01", 7)}})
		// B2 gets the palette's next colour; A-01 shows the older batch first.
		h.wantLight("A-01", lights.Green, false, "1")
		h.wantLight("A-02", lights.Green, false, "2")
		h.wantLight("A-03", lights.Blue, false, "")

		// A third picker with a colour of their own.
		h.ok(protocol.PickTasks{BatchID: "B3", Tasks: []protocol.PickTask{
			{TaskID: "V1", Location: "A-04", SKU: "X", Qty: 1, Color: protocol.ColorMagenta},
		}})
		h.wantLight("A-04", lights.Magenta, false, "1")

		// The same colour on a location lit for another batch is refused.
		h.fails(protocol.PickTasks{BatchID: "B4", Tasks: []protocol.PickTask{
			task("W1", "A-04", 1),
			{TaskID: "W2", Location: "A-02", SKU: "X", Qty: 1, Color: protocol.ColorGreen},
		}}, protocol.CodeBusy, `data.tasks[1].location: "A-02" is lit in green for batch "B1"`)

		h.press("A-01", false)
		h.wantEvents(`pick.confirmed {"batch_id":"B1","task_id":"T1","location":"A-01","qty":1,"qty_picked":1}`)
		h.wantLight("A-01", lights.Blue, false, "7") // B2's turn
		h.press("A-01", false)
		h.wantEvents(`pick.confirmed {"batch_id":"B2","task_id":"U2","location":"A-01","qty":7,"qty_picked":7}`)
		h.wantLight("A-01", lights.Off, false, "")
		h.press("A-03", false)
		h.wantEvents(
			`pick.confirmed {"batch_id":"B2","task_id":"U1","location":"A-03","qty":4,"qty_picked":4}`,
			`pick.completed {"batch_id":"B2"}`,
		)
		h.wantLight("A-02", lights.Green, false, "2")
	})
}

func TestPickIdempotency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		b1 := protocol.PickTasks{BatchID: "B1", Tasks: []protocol.PickTask{task("T1", "A-01", 1)}}
		h.ok(b1)
		h.ok(b1) // the same content: nothing changes
		h.wantLight("A-01", lights.Green, false, "1")
		other := protocol.PickTasks{BatchID: "B1", Tasks: []protocol.PickTask{task("T1", "A-01", 2)}}
		h.fails(other, protocol.CodeConflict, `batch "B1" is open with other tasks`)

		h.press("A-01", false)
		h.wantEvents(
			`pick.confirmed {"batch_id":"B1","task_id":"T1","location":"A-01","qty":1,"qty_picked":1}`,
			`pick.completed {"batch_id":"B1"}`,
		)
		// Completed: the same content again is ok and lights nothing; other content conflicts.
		h.ok(b1)
		h.wantDark()
		h.fails(other, protocol.CodeConflict, `batch "B1" was completed with other tasks`)
		h.fails(protocol.PickCancel{BatchID: "B1"}, protocol.CodeNotFound, "completed already")
		h.wantEvents()
	})
}

func TestPickCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		b1 := protocol.PickTasks{BatchID: "B1", Tasks: []protocol.PickTask{task("T1", "A-01", 2), task("T2", "A-02", 1)}}
		h.ok(b1)
		h.press("A-02", true) // a short pick being counted is dropped with the batch
		h.ok(protocol.PickCancel{BatchID: "B1"})
		h.wantDark()
		h.wantEvents()
		h.press("A-01", false)
		h.wantEvents()

		h.ok(protocol.PickCancel{BatchID: "B1"}) // again: ok
		h.fails(protocol.PickCancel{BatchID: "B9"}, protocol.CodeNotFound, `no open batch "B9"`)

		// A cancelled batch sent again opens anew.
		h.ok(b1)
		h.wantLight("A-01", lights.Green, false, "2")
		h.wantLight("A-02", lights.Green, false, "1")
		if k := h.keys(bucketDone); len(k) != 0 {
			t.Errorf("done: %v", k)
		}
	})
}

func TestPickInvalid(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		tests := []struct {
			name string
			cmd  protocol.PickTasks
			code string
			msg  string
		}{
			{"unknown location", protocol.PickTasks{BatchID: "B1", Tasks: []protocol.PickTask{task("T1", "A-01", 1), task("T2", "Z-99", 1)}},
				protocol.CodeInvalid, `data.tasks[1].location: "Z-99" is not a location of this station`},
			{"no button", protocol.PickTasks{BatchID: "B1", Tasks: []protocol.PickTask{task("T1", "NOBTN", 1)}},
				protocol.CodeInvalid, `data.tasks[0].location: location "NOBTN" has no button`},
		}
		for _, tt := range tests {
			h.fails(tt.cmd, tt.code, tt.msg)
		}
		h.wantDark()
		if k := h.keys(bucketBatches); len(k) != 0 {
			t.Errorf("batches: %v", k)
		}

		// The handler itself refuses what the schema would let through.
		res := h.handlers[protocol.CommandPickTasks](t.Context(), protocol.Command{ID: "x", Type: protocol.CommandPickTasks},
			protocol.PickTasks{BatchID: "B1", Tasks: []protocol.PickTask{{TaskID: "T1", Location: "A-01", SKU: "X", Qty: 1, Color: "off"}}})
		if res == nil || res.Code != protocol.CodeInvalid {
			t.Errorf("colour off: %v", res)
		}
	})
}

// A restart mid-batch relights what is left, in the same colours, and the batch goes on.
func TestPickRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		h.ok(protocol.PickTasks{BatchID: "B1", Tasks: []protocol.PickTask{task("T1", "A-01", 1), task("T2", "A-02", 2), task("T3", "A-04", 3)}})
		h.ok(protocol.PickTasks{BatchID: "B2", Tasks: []protocol.PickTask{task("U1", "A-03", 1)}})
		h.ok(protocol.LightSet{Location: "S-3", Color: protocol.ColorYellow, Blink: true})
		h.press("A-01", false)
		h.wantEvents(`pick.confirmed {"batch_id":"B1","task_id":"T1","location":"A-01","qty":1,"qty_picked":1}`)

		h.restart()
		h.wantLight("A-01", lights.Off, false, "")
		h.wantLight("A-02", lights.Green, false, "2")
		h.wantLight("A-04", lights.Green, false, "3")
		h.wantLight("A-03", lights.Blue, false, "")
		h.wantLight("S-3", lights.Yellow, true, "")

		h.press("A-02", false)
		h.press("A-04", false)
		h.wantEvents(
			`pick.confirmed {"batch_id":"B1","task_id":"T2","location":"A-02","qty":2,"qty_picked":2}`,
			`pick.confirmed {"batch_id":"B1","task_id":"T3","location":"A-04","qty":3,"qty_picked":3}`,
			`pick.completed {"batch_id":"B1"}`,
		)
		h.wantLight("A-03", lights.Blue, false, "")
	})
}

// A lights device that closes keeps its locations' state; opened again, it is relit.
func TestRelightAfterReconnect(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		h.ok(protocol.PickTasks{BatchID: "B1", Tasks: []protocol.PickTask{task("T1", "A-01", 1), task("T2", "A-02", 2)}})
		h.src.set("shelf1", nil) // unplugged: the supervisor closed it
		time.Sleep(relightEvery)
		waitIdle()

		// A press that reached the workflow just before the device went.
		h.press("A-01", false)
		h.wantEvents(`pick.confirmed {"batch_id":"B1","task_id":"T1","location":"A-01","qty":1,"qty_picked":1}`)

		back := newSim("shelf1")
		h.sims["shelf1"] = back
		h.src.set("shelf1", back)
		time.Sleep(relightEvery)
		waitIdle()
		h.wantLight("A-01", lights.Off, false, "")
		h.wantLight("A-02", lights.Green, false, "2")
	})
}
