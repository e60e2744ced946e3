package picking

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/stationd/stationd/agent/outbox"
	"github.com/stationd/stationd/devices/scanner/gtin"
	"github.com/stationd/stationd/protocol"
)

// Buckets of the store this package owns. Values are JSON.
var (
	bucketBatches = []byte("picking.batches") // batch_id → batch
	bucketWalls   = []byte("picking.walls")   // wall_id → wall
	bucketLights  = []byte("picking.lights")  // location → direct (light.set)
	bucketDone    = []byte("picking.done")    // doneKey → done: finished batches and wall orders
)

// batch is an open pick batch.
type batch struct {
	Seq   uint64             `json:"seq"`   // arrival order: the older batch shows first
	Cmd   protocol.PickTasks `json:"cmd"`   // as received
	Color string             `json:"color"` // colour of the tasks without one
	Done  []bool             `json:"done"`  // per task: confirmed or short
}

func (b *batch) clone() *batch {
	c := *b
	c.Done = slices.Clone(b.Done)
	return &c
}

// taskColor returns the colour task i shows.
func (b *batch) taskColor(i int) string {
	if c := b.Cmd.Tasks[i].Color; c != "" {
		return c
	}
	return b.Color
}

func (b *batch) finished() bool { return !slices.Contains(b.Done, false) }

// wall is an open put wall.
type wall struct {
	Seq    uint64   `json:"seq"`
	ID     string   `json:"wall_id"`
	Orders []*order `json:"orders"`
}

// order is one order of a wall and its progress.
type order struct {
	Cmd      protocol.PutOrder `json:"cmd"`
	Put      []int             `json:"put"`     // units confirmed, per line
	Pending  []int             `json:"pending"` // units scanned and lit, not yet confirmed, per line
	Complete bool              `json:"complete,omitempty"`

	gtins []string // GTIN-14 per line, "" without one
}

func newOrder(o protocol.PutOrder) *order {
	n := &order{Cmd: o, Put: make([]int, len(o.Lines)), Pending: make([]int, len(o.Lines))}
	n.index()
	return n
}

// index fills the derived fields.
func (o *order) index() {
	o.gtins = make([]string, len(o.Cmd.Lines))
	for i, l := range o.Cmd.Lines {
		if l.GTIN != "" {
			o.gtins[i], _ = gtin.Normalize(l.GTIN) // checked when the order was received
		}
	}
}

func (o *order) clone() *order {
	c := *o
	c.Put = slices.Clone(o.Put)
	c.Pending = slices.Clone(o.Pending)
	return &c
}

// pending returns the units lit on the slot.
func (o *order) pending() int {
	n := 0
	for _, p := range o.Pending {
		n += p
	}
	return n
}

func (w *wall) clone() *wall {
	c := *w
	c.Orders = make([]*order, len(w.Orders))
	for i, o := range w.Orders {
		c.Orders[i] = o.clone()
	}
	return &c
}

func (w *wall) order(id string) (int, *order) {
	for i, o := range w.Orders {
		if o.Cmd.OrderID == id {
			return i, o
		}
	}
	return -1, nil
}

// direct is a location set by light.set.
type direct struct {
	Color string `json:"color"`
	Blink bool   `json:"blink,omitempty"`
	Text  string `json:"display,omitempty"`
}

// done remembers a finished batch or wall order for storage.command_ttl, so that the same
// command sent again does not open it again.
type done struct {
	Kind string `json:"kind"` // doneCompleted or doneCancelled
	At   int64  `json:"at"`   // unix seconds
	Sum  string `json:"sum"`  // digest of the content
}

const (
	doneCompleted = "completed"
	doneCancelled = "cancelled"
)

func batchKey(id string) []byte { return []byte("batch\x00" + id) }

func orderKey(wallID, orderID string) []byte { return []byte("order\x00" + wallID + "\x00" + orderID) }

// digest identifies a command's content.
func digest(v any) string {
	b, err := json.Marshal(v)
	if err != nil { // protocol types always marshal
		return ""
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:16])
}

func sameTasks(a, b protocol.PickTasks) bool {
	return a.BatchID == b.BatchID && slices.Equal(a.Tasks, b.Tasks)
}

func sameOrder(a, b protocol.PutOrder) bool {
	return a.OrderID == b.OrderID && a.Slot == b.Slot && slices.Equal(a.Lines, b.Lines)
}

// state is what the workflow holds; the store has the same.
type state struct {
	batches []*batch // by Seq
	walls   []*wall  // by Seq
	direct  map[string]direct
	seq     uint64 // last Seq given
}

func (s *state) batch(id string) (int, *batch) {
	for i, b := range s.batches {
		if b.Cmd.BatchID == id {
			return i, b
		}
	}
	return -1, nil
}

func (s *state) wall(id string) (int, *wall) {
	for i, w := range s.walls {
		if w.ID == id {
			return i, w
		}
	}
	return -1, nil
}

// slotHolder returns the wall and order holding slot, if any.
func (s *state) slotHolder(slot string) (*wall, *order) {
	for _, w := range s.walls {
		for _, o := range w.Orders {
			if o.Cmd.Slot == slot {
				return w, o
			}
		}
	}
	return nil, nil
}

// shownTask returns the batch and task that location shows: the oldest batch's first open task
// there.
func (s *state) shownTask(location string) (*batch, int) {
	for _, b := range s.batches {
		for i, t := range b.Cmd.Tasks {
			if !b.Done[i] && t.Location == location {
				return b, i
			}
		}
	}
	return nil, -1
}

// load reads the state from the store. A record that does not decode is reported in bad and
// skipped.
func load(tx *outbox.Tx) (st state, bad []string, err error) {
	st.direct = map[string]direct{}
	err = tx.ForEach(bucketBatches, func(k, v []byte) error {
		var b batch
		if e := json.Unmarshal(v, &b); e != nil || len(b.Done) != len(b.Cmd.Tasks) || len(b.Cmd.Tasks) == 0 {
			bad = append(bad, fmt.Sprintf("batch %q: %v", k, e))
			return nil
		}
		st.batches = append(st.batches, &b)
		st.seq = max(st.seq, b.Seq)
		return nil
	})
	if err != nil {
		return st, bad, err
	}
	err = tx.ForEach(bucketWalls, func(k, v []byte) error {
		var w wall
		if e := json.Unmarshal(v, &w); e != nil {
			bad = append(bad, fmt.Sprintf("wall %q: %v", k, e))
			return nil
		}
		orders := w.Orders[:0]
		for _, o := range w.Orders {
			if o == nil || len(o.Put) != len(o.Cmd.Lines) || len(o.Pending) != len(o.Cmd.Lines) {
				bad = append(bad, fmt.Sprintf("wall %q: an order with lines out of step", k))
				continue
			}
			o.index()
			orders = append(orders, o)
		}
		w.Orders = orders
		st.walls = append(st.walls, &w)
		st.seq = max(st.seq, w.Seq)
		return nil
	})
	if err != nil {
		return st, bad, err
	}
	err = tx.ForEach(bucketLights, func(k, v []byte) error {
		var d direct
		if e := json.Unmarshal(v, &d); e != nil {
			bad = append(bad, fmt.Sprintf("light %q: %v", k, e))
			return nil
		}
		st.direct[string(k)] = d
		return nil
	})
	slices.SortFunc(st.batches, func(a, b *batch) int { return cmp.Compare(a.Seq, b.Seq) })
	slices.SortFunc(st.walls, func(a, b *wall) int { return cmp.Compare(a.Seq, b.Seq) })
	return st, bad, err
}
