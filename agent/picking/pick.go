package picking

import (
	"slices"
	"strings"
	"time"

	"github.com/stationd/stationd/agent"
	"github.com/stationd/stationd/agent/config"
	"github.com/stationd/stationd/devices/lights"
	"github.com/stationd/stationd/protocol"
)

// palette gives each batch without task colours its own colour; red is kept for alerts.
var palette = []lights.Color{lights.Green, lights.Blue, lights.Yellow, lights.Cyan, lights.Magenta, lights.White}

// colorOf parses a colour the workflow stored or checked; anything else is Off.
func colorOf(s string) lights.Color {
	c, err := lights.ParseColor(s)
	if err != nil {
		return lights.Off
	}
	return c
}

func colorNames() string {
	n := make([]string, len(palette)+1)
	for i, c := range palette {
		n[i] = c.String()
	}
	n[len(palette)] = lights.Red.String()
	return strings.Join(n, ", ")
}

// pickTasks opens a batch (pick.tasks).
func (m *machine) pickTasks(cmd protocol.PickTasks) *protocol.Error {
	cfg := m.cfg()
	if len(cmd.Tasks) == 0 {
		return protocol.Errorf(protocol.CodeInvalid, "data.tasks: a batch needs at least one task")
	}
	ids := make(map[string]int, len(cmd.Tasks))
	for i, t := range cmd.Tasks {
		if j, dup := ids[t.TaskID]; dup {
			return protocol.Errorf(protocol.CodeInvalid, "data.tasks[%d].task_id: %q is data.tasks[%d] too: task ids are unique in a batch", i, t.TaskID, j)
		}
		ids[t.TaskID] = i
		loc, ok := cfg.Location(t.Location)
		switch {
		case !ok:
			return protocol.Errorf(protocol.CodeInvalid, "data.tasks[%d].location: %q is not a location of this station: fix the task, or add the location to the station's config (locations)", i, t.Location)
		case loc.Button < 0:
			return protocol.Errorf(protocol.CodeInvalid, "data.tasks[%d].location: location %q has no button to confirm a pick: give it one in the station's config (locations[].button)", i, t.Location)
		case t.Qty < 1:
			return protocol.Errorf(protocol.CodeInvalid, "data.tasks[%d].qty: must be at least 1", i)
		}
		if t.Color != "" && colorOf(t.Color) == lights.Off {
			return protocol.Errorf(protocol.CodeInvalid, "data.tasks[%d].color: %q cannot light a task: use one of %s", i, t.Color, colorNames())
		}
	}

	if _, b := m.st.batch(cmd.BatchID); b != nil {
		if sameTasks(b.Cmd, cmd) {
			return nil
		}
		return protocol.Errorf(protocol.CodeConflict, "batch %q is open with other tasks: cancel it (pick.cancel) first, or send these tasks under a new batch_id", cmd.BatchID)
	}
	sum := digest(cmd)
	prev, hadPrev := m.getDone(batchKey(cmd.BatchID))
	if hadPrev && prev.Kind == doneCompleted {
		if prev.Sum == sum {
			m.log.Info("batch already completed: nothing to do", "batch_id", cmd.BatchID)
			return nil
		}
		return protocol.Errorf(protocol.CodeConflict, "batch %q was completed with other tasks: send these under a new batch_id", cmd.BatchID)
	}

	b := &batch{Seq: m.st.seq + 1, Cmd: cmd, Done: make([]bool, len(cmd.Tasks))}
	b.Color = m.batchColor(cmd).String()
	for i, t := range cmd.Tasks {
		if w, o := m.st.slotHolder(t.Location); o != nil {
			return protocol.Errorf(protocol.CodeBusy, "data.tasks[%d].location: %q is the slot of order %q of put wall %q: send the batch again once the slot is emptied", i, t.Location, o.Cmd.OrderID, w.ID)
		}
		c := colorOf(b.taskColor(i))
		for _, o := range m.st.batches {
			for j, ot := range o.Cmd.Tasks {
				if !o.Done[j] && ot.Location == t.Location && colorOf(o.taskColor(j)) == c {
					return protocol.Errorf(protocol.CodeBusy, "data.tasks[%d].location: %q is lit in %s for batch %q: give this batch another color, or send it when that task is done", i, t.Location, c, o.Cmd.BatchID)
				}
			}
		}
	}

	c := &change{}
	c.put(bucketBatches, []byte(cmd.BatchID), b)
	if hadPrev {
		c.del(bucketDone, batchKey(cmd.BatchID)) // a cancelled batch, opened anew
	}
	var cleared []string
	for _, t := range cmd.Tasks {
		if _, ok := m.st.direct[t.Location]; ok && !slices.Contains(cleared, t.Location) {
			cleared = append(cleared, t.Location)
			c.del(bucketLights, []byte(t.Location))
		}
	}
	c.apply = func() {
		m.st.seq = b.Seq
		m.st.batches = append(m.st.batches, b)
		for _, l := range cleared {
			delete(m.st.direct, l)
		}
	}
	if err := m.commit(c); err != nil {
		return storeError(err)
	}
	m.log.Info("pick batch opened", "batch_id", cmd.BatchID, "tasks", len(cmd.Tasks), "color", b.Color)
	return nil
}

// batchColor chooses the colour of a new batch's tasks that have none: the first palette colour
// no other open batch shows and that collides with none of their open tasks on the batch's
// locations; failing that, the first that collides with nothing.
func (m *machine) batchColor(cmd protocol.PickTasks) lights.Color {
	used := map[lights.Color]bool{}
	for _, b := range m.st.batches {
		for j := range b.Cmd.Tasks {
			if !b.Done[j] {
				used[colorOf(b.taskColor(j))] = true
			}
		}
	}
	clashes := func(c lights.Color) bool {
		for _, t := range cmd.Tasks {
			if t.Color != "" {
				continue
			}
			for _, b := range m.st.batches {
				for j, bt := range b.Cmd.Tasks {
					if !b.Done[j] && bt.Location == t.Location && colorOf(b.taskColor(j)) == c {
						return true
					}
				}
			}
		}
		return false
	}
	for _, fresh := range []bool{true, false} {
		for _, c := range palette {
			if (!fresh || !used[c]) && !clashes(c) {
				return c
			}
		}
	}
	return palette[0] // every colour collides: the busy check refuses the batch
}

// pickCancel withdraws a batch (pick.cancel).
func (m *machine) pickCancel(cmd protocol.PickCancel) *protocol.Error {
	_, b := m.st.batch(cmd.BatchID)
	if b == nil {
		if d, ok := m.getDone(batchKey(cmd.BatchID)); ok {
			if d.Kind == doneCancelled {
				return nil
			}
			return protocol.Errorf(protocol.CodeNotFound, "batch %q is completed already: there is nothing to cancel", cmd.BatchID)
		}
		return protocol.Errorf(protocol.CodeNotFound, "no open batch %q at this station", cmd.BatchID)
	}
	c := &change{}
	c.del(bucketBatches, []byte(cmd.BatchID))
	c.put(bucketDone, batchKey(cmd.BatchID), done{Kind: doneCancelled, At: m.d.Now().Unix(), Sum: digest(b.Cmd)})
	c.apply = func() { m.removeBatch(cmd.BatchID) }
	if err := m.commit(c); err != nil {
		return storeError(err)
	}
	m.log.Info("pick batch cancelled", "batch_id", cmd.BatchID)
	return nil
}

func (m *machine) removeBatch(id string) {
	if i, _ := m.st.batch(id); i >= 0 {
		m.st.batches = slices.Delete(m.st.batches, i, i+1)
	}
	for l, a := range m.adjust {
		if a.batch == id {
			delete(m.adjust, l)
		}
	}
}

// pickPress handles a press on a location that shows a pick task; it reports whether it did.
func (m *machine) pickPress(loc config.Location, p agent.Press) bool {
	b, i := m.st.shownTask(loc.ID)
	if b == nil {
		return false
	}
	qty := b.Cmd.Tasks[i].Qty
	a, adjusting := m.adjust[loc.ID]
	if adjusting && (a.batch != b.Cmd.BatchID || a.task != i) {
		delete(m.adjust, loc.ID)
		adjusting = false
	}
	switch {
	case !adjusting && !p.Long:
		m.finishTask(b, i, qty, p.At)
	case !adjusting && loc.Display < 0:
		m.finishTask(b, i, 0, p.At)
	case !adjusting:
		m.adjust[loc.ID] = adjust{batch: b.Cmd.BatchID, task: i, count: qty - 1}
		m.log.Debug("short pick: counting down", "batch_id", b.Cmd.BatchID, "task_id", b.Cmd.Tasks[i].TaskID, "location", loc.ID)
	case !p.Long:
		if a.count--; a.count < 0 {
			a.count = qty
		}
		m.adjust[loc.ID] = a
	default:
		if m.finishTask(b, i, a.count, p.At) {
			delete(m.adjust, loc.ID)
		}
	}
	return true
}

// finishTask records task i of b as picked: pick.confirmed when picked is its qty, else
// pick.short; pick.completed after the batch's last task. It reports whether that is durable.
func (m *machine) finishTask(b *batch, i, picked int, at time.Time) bool {
	t := b.Cmd.Tasks[i]
	id := b.Cmd.BatchID
	nb := b.clone()
	nb.Done[i] = true
	res := protocol.PickResult{BatchID: id, TaskID: t.TaskID, Location: t.Location, Qty: t.Qty, QtyPicked: picked}
	c := &change{}
	typ := protocol.EventPickConfirmed
	if picked < t.Qty {
		typ = protocol.EventPickShort
		c.event(typ, at, protocol.PickShort(res))
	} else {
		c.event(typ, at, protocol.PickConfirmed(res))
	}
	finished := nb.finished()
	if finished {
		c.event(protocol.EventPickCompleted, at, protocol.PickCompleted{BatchID: id})
		c.del(bucketBatches, []byte(id))
		c.put(bucketDone, batchKey(id), done{Kind: doneCompleted, At: m.d.Now().Unix(), Sum: digest(b.Cmd)})
		c.apply = func() { m.removeBatch(id) }
	} else {
		c.put(bucketBatches, []byte(id), nb)
		c.apply = func() {
			if j, _ := m.st.batch(id); j >= 0 {
				m.st.batches[j] = nb
			}
		}
	}
	log := m.log.With("batch_id", id, "task_id", t.TaskID, "location", t.Location)
	if err := m.commit(c); err != nil {
		log.Error("pick not recorded: "+err.Error()+": the location stays lit, press again", "qty_picked", picked)
		return false
	}
	log.Info(typ, "qty", t.Qty, "qty_picked", picked)
	if finished {
		log.Info("pick batch completed")
	}
	return true
}
