package picking

import (
	"slices"
	"time"

	"github.com/stationd/stationd/agent"
	"github.com/stationd/stationd/agent/config"
	"github.com/stationd/stationd/devices/scanner/barcode"
	"github.com/stationd/stationd/devices/scanner/gtin"
	"github.com/stationd/stationd/protocol"
)

// EventPutUnexpected is the extension event telling the OMS that an item scanned at the put wall
// is needed by no slot. It is critical (never dropped), like put.confirmed.
const EventPutUnexpected = protocol.EventPutUnexpected

// Reasons of put.unexpected besides the scan's decoding error kinds (bad_check_digit, ...).
const (
	ReasonNotOnWall    = protocol.PutNotOnWall
	ReasonOverQuantity = protocol.PutOverQuantity
)

// PutUnexpected is the data of put.unexpected.
type PutUnexpected = protocol.PutUnexpected

// putWall loads orders into the slots of a wall (put.wall).
func (m *machine) putWall(cmd protocol.PutWall) *protocol.Error {
	cfg := m.cfg()
	if len(cmd.Orders) == 0 {
		return protocol.Errorf(protocol.CodeInvalid, "data.orders: a wall needs at least one order")
	}
	_, w := m.st.wall(cmd.WallID)
	slots := map[string]int{}
	ids := map[string]int{}
	var add []*order
	for i, o := range cmd.Orders {
		loc, ok := cfg.Location(o.Slot)
		switch {
		case !ok:
			return protocol.Errorf(protocol.CodeInvalid, "data.orders[%d].slot: %q is not a location of this station: fix the order, or add the location to the station's config (locations)", i, o.Slot)
		case loc.Button < 0:
			return protocol.Errorf(protocol.CodeInvalid, "data.orders[%d].slot: location %q has no button to confirm a put: give it one in the station's config (locations[].button)", i, o.Slot)
		case len(o.Lines) == 0:
			return protocol.Errorf(protocol.CodeInvalid, "data.orders[%d].lines: an order needs at least one line", i)
		}
		if j, dup := slots[o.Slot]; dup {
			return protocol.Errorf(protocol.CodeInvalid, "data.orders[%d].slot: %q is the slot of data.orders[%d] too: one order per slot", i, o.Slot, j)
		}
		if j, dup := ids[o.OrderID]; dup {
			return protocol.Errorf(protocol.CodeInvalid, "data.orders[%d].order_id: %q is data.orders[%d] too", i, o.OrderID, j)
		}
		slots[o.Slot], ids[o.OrderID] = i, i
		for j, l := range o.Lines {
			if l.Qty < 1 {
				return protocol.Errorf(protocol.CodeInvalid, "data.orders[%d].lines[%d].qty: must be at least 1", i, j)
			}
			if l.GTIN != "" {
				if _, err := gtin.Normalize(l.GTIN); err != nil {
					return protocol.Errorf(protocol.CodeInvalid, "data.orders[%d].lines[%d].gtin: %v", i, j, err)
				}
			}
		}
		if w != nil {
			if _, held := w.order(o.OrderID); held != nil {
				if sameOrder(held.Cmd, o) {
					continue
				}
				return protocol.Errorf(protocol.CodeConflict, "data.orders[%d]: order %q is on put wall %q with another slot or other lines", i, o.OrderID, cmd.WallID)
			}
		}
		if d, ok := m.getDone(orderKey(cmd.WallID, o.OrderID)); ok {
			if d.Sum == digest(o) {
				continue
			}
			return protocol.Errorf(protocol.CodeConflict, "data.orders[%d]: order %q of put wall %q was completed with another slot or other lines", i, o.OrderID, cmd.WallID)
		}
		if hw, ho := m.st.slotHolder(o.Slot); ho != nil {
			return protocol.Errorf(protocol.CodeBusy, "data.orders[%d].slot: %q holds order %q of put wall %q: send the order again once that slot is emptied", i, o.Slot, ho.Cmd.OrderID, hw.ID)
		}
		if b, _ := m.st.shownTask(o.Slot); b != nil {
			return protocol.Errorf(protocol.CodeBusy, "data.orders[%d].slot: %q is lit for pick batch %q: send the order again once that batch is done", i, o.Slot, b.Cmd.BatchID)
		}
		add = append(add, newOrder(o))
	}
	if len(add) == 0 {
		return nil
	}

	var nw *wall
	if w == nil {
		nw = &wall{Seq: m.st.seq + 1, ID: cmd.WallID}
	} else {
		nw = w.clone()
	}
	nw.Orders = append(nw.Orders, add...)
	c := &change{}
	c.put(bucketWalls, []byte(cmd.WallID), nw)
	var cleared []string
	for _, o := range add {
		if _, ok := m.st.direct[o.Cmd.Slot]; ok {
			cleared = append(cleared, o.Cmd.Slot)
			c.del(bucketLights, []byte(o.Cmd.Slot))
		}
	}
	c.apply = func() {
		for _, l := range cleared {
			delete(m.st.direct, l)
		}
		if i, _ := m.st.wall(nw.ID); i >= 0 {
			m.st.walls[i] = nw
			return
		}
		m.st.seq = nw.Seq
		m.st.walls = append(m.st.walls, nw)
	}
	if err := m.commit(c); err != nil {
		return storeError(err)
	}
	m.log.Info("put wall loaded", "wall_id", cmd.WallID, "new_orders", len(add), "orders", len(nw.Orders))
	return nil
}

// matches says whether the scan is the item of line j of o: the same GTIN-14, or the SKU as
// scanned.
func matches(o *order, j int, d barcode.Result) bool {
	if d.GTIN != "" && o.gtins[j] == d.GTIN {
		return true
	}
	return d.Code != "" && o.Cmd.Lines[j].SKU == d.Code
}

// scan lights the slot of the first order that still needs the scanned item.
func (m *machine) scan(s agent.Scan) {
	if len(m.st.walls) == 0 {
		m.log.Debug("scan ignored: no put wall open", "device", s.Device)
		return
	}
	if s.At.IsZero() {
		s.At = m.d.Now()
	}
	d := s.Decoded
	if d.Error != "" {
		m.unexpected(s, string(d.Error))
		return
	}
	known := false
	for _, w := range m.st.walls {
		for oi, o := range w.Orders {
			if o.Complete {
				continue
			}
			for j, l := range o.Cmd.Lines {
				if !matches(o, j, d) {
					continue
				}
				known = true
				if o.Put[j]+o.Pending[j] >= l.Qty {
					continue
				}
				nw := w.clone()
				nw.Orders[oi].Pending[j]++
				m.saveWall(nw, nil)
				m.log.Info("put: slot lit", "wall_id", w.ID, "order_id", o.Cmd.OrderID, "slot", o.Cmd.Slot, "sku", l.SKU, "units", nw.Orders[oi].pending())
				return
			}
		}
	}
	reason := ReasonNotOnWall
	if known {
		reason = ReasonOverQuantity
	}
	m.unexpected(s, reason)
}

// saveWall writes nw, with events, and replaces the wall in memory; a wall without orders is
// deleted. It reports whether that is durable.
func (m *machine) saveWall(nw *wall, c *change) bool {
	if c == nil {
		c = &change{}
	}
	if len(nw.Orders) == 0 {
		c.del(bucketWalls, []byte(nw.ID))
	} else {
		c.put(bucketWalls, []byte(nw.ID), nw)
	}
	c.apply = func() {
		i, _ := m.st.wall(nw.ID)
		switch {
		case i < 0:
		case len(nw.Orders) == 0:
			m.st.walls = slices.Delete(m.st.walls, i, i+1)
		default:
			m.st.walls[i] = nw
		}
	}
	if err := m.commit(c); err != nil {
		m.log.Error("put wall change not recorded: "+err.Error()+": scan or press again", "wall_id", nw.ID)
		return false
	}
	return true
}

// unexpected reports an item that no slot needs.
func (m *machine) unexpected(s agent.Scan, reason string) {
	d := s.Decoded
	c := &change{}
	c.event(EventPutUnexpected, s.At, PutUnexpected{Device: s.Device, Code: d.Code, GTIN: d.GTIN, Reason: reason})
	if err := m.commit(c); err != nil {
		m.log.Error(EventPutUnexpected+" not recorded: "+err.Error(), "code", d.Code)
	}
	m.log.Warn("put: no slot needs this item: put it aside and tell the supervisor", "device", s.Device, "code", d.Code, "reason", reason)
	m.raiseAlert()
}

// raiseAlert blinks pack.station_light red for alertFor, when it is configured.
func (m *machine) raiseAlert() {
	cfg := m.cfg()
	loc := cfg.Pack.StationLight
	if _, ok := cfg.Location(loc); !ok {
		return
	}
	m.alert = loc
	if m.alertTimer == nil {
		m.alertTimer = time.NewTimer(alertFor)
	} else {
		m.alertTimer.Reset(alertFor)
	}
}

// putPress handles a press on a slot that holds an order; it reports whether it did.
func (m *machine) putPress(loc config.Location, p agent.Press) bool {
	w, o := m.st.slotHolder(loc.ID)
	if o == nil {
		return false
	}
	oi, _ := w.order(o.Cmd.OrderID)
	log := m.log.With("wall_id", w.ID, "order_id", o.Cmd.OrderID, "slot", loc.ID)
	nw := w.clone()
	c := &change{}
	if o.Complete {
		nw.Orders = slices.Delete(nw.Orders, oi, oi+1)
		c.put(bucketDone, orderKey(w.ID, o.Cmd.OrderID), done{Kind: doneCompleted, At: m.d.Now().Unix(), Sum: digest(o.Cmd)})
		if m.saveWall(nw, c) {
			log.Info("put: slot emptied")
		}
		return true
	}
	if o.pending() == 0 {
		log.Debug("put: press on a slot with nothing to put")
		return true
	}
	no := nw.Orders[oi]
	complete := true
	for j, n := range no.Pending {
		l := no.Cmd.Lines[j]
		if n > 0 {
			c.event(protocol.EventPutConfirmed, p.At, protocol.PutConfirmed{WallID: w.ID, OrderID: no.Cmd.OrderID, Slot: no.Cmd.Slot, SKU: l.SKU, Qty: n})
			no.Put[j] += n
			no.Pending[j] = 0
		}
		complete = complete && no.Put[j] >= l.Qty
	}
	if complete {
		no.Complete = true
		c.event(protocol.EventPutOrderComplete, p.At, protocol.PutOrderComplete{WallID: w.ID, OrderID: no.Cmd.OrderID, Slot: no.Cmd.Slot})
	}
	if m.saveWall(nw, c) {
		log.Info(protocol.EventPutConfirmed, "units", o.pending(), "order_complete", complete)
	}
	return true
}
