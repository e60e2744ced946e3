package returns

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/stationd/stationd/agent/outbox"
	"github.com/stationd/stationd/devices/scanner/gtin"
	"github.com/stationd/stationd/protocol"
	"github.com/stationd/stationd/protocol/units"
)

// Buckets of the store this package owns (outbox user buckets). Values are JSON.
var (
	bucketExpected = []byte("returns.expected") // rma_id → expectRecord: announced, not yet received
	bucketDone     = []byte("returns.done")     // rma_id → doneRecord: received, kept storage.command_ttl
	bucketState    = []byte("returns.state")    // keyOpen → openRecord; keyArrival → last arrival number
	keyOpen        = []byte("open")
	keyArrival     = []byte("arrival")
)

// expectRecord is a return.expect as stored.
type expectRecord struct {
	Expect     protocol.ReturnExpect `json:"expect"`
	ReceivedAt time.Time             `json:"received_at"`
	Arrival    uint64                `json:"arrival"` // the oldest announcement has the smallest
}

// doneRecord remembers a received return, for return.expect's idempotency and to refuse
// receiving the same parcel twice.
type doneRecord struct {
	Expect     *protocol.ReturnExpect `json:"expect,omitempty"` // nil: received unannounced
	ReceivedAt time.Time              `json:"received_at"`
}

// openRecord is the return being received: enough to resume it after a restart exactly where
// it was.
type openRecord struct {
	RMAID    string       `json:"rma_id"`
	OpenedBy string       `json:"opened_by"` // the code scanned to open it: the rma_id or an order_id
	OpenedAt time.Time    `json:"opened_at"`
	Units    []unitRecord `json:"units"`  // in scan order
	Groups   int          `json:"groups"` // reason scans that closed a group so far
	Weight   units.Mass   `json:"weight_mg,omitempty"`
}

// unitRecord is one unit scanned. Units scanned since the last reason scan form the open group
// (Group 0); a reason scan gives them the next group number.
type unitRecord struct {
	Code        string `json:"code"`           // the scan's code (without AIM identifier)
	GTIN        string `json:"gtin,omitempty"` // GTIN-14, when the code carries one
	Group       int    `json:"group"`
	Reason      string `json:"reason,omitempty"`
	Condition   string `json:"condition,omitempty"`
	CondScanned bool   `json:"cond_scanned,omitempty"` // the condition was scanned, not derived
	Disposition string `json:"disposition,omitempty"`
}

func (r *openRecord) clone() *openRecord {
	c := *r
	c.Units = slices.Clone(r.Units)
	return &c
}

// openGroup returns the indexes of the units of the open group (no reason yet).
func (r *openRecord) openGroup() []int {
	var out []int
	for i, u := range r.Units {
		if u.Group == 0 {
			out = append(out, i)
		}
	}
	return out
}

// lastGroup returns the indexes of the units of the last closed group.
func (r *openRecord) lastGroup() []int {
	var out []int
	for i, u := range r.Units {
		if u.Group != 0 && u.Group == r.Groups {
			out = append(out, i)
		}
	}
	return out
}

func getJSON(tx *outbox.Tx, bucket, key []byte, v any) (bool, error) {
	b := tx.Get(bucket, key)
	if b == nil {
		return false, nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("returns: stored %s/%s is unreadable: %w", bucket, key, err)
	}
	return true, nil
}

func putJSON(tx *outbox.Tx, bucket, key []byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("returns: encode %s/%s: %w", bucket, key, err)
	}
	return tx.Put(bucket, key, b)
}

// nextArrival returns the next arrival number and stores it.
func nextArrival(tx *outbox.Tx) (uint64, error) {
	var n uint64
	if b := tx.Get(bucketState, keyArrival); len(b) == 8 {
		n = binary.BigEndian.Uint64(b)
	}
	n++
	return n, tx.Put(bucketState, keyArrival, binary.BigEndian.AppendUint64(nil, n))
}

// findByOrder returns the oldest announced return whose order_id is id.
func findByOrder(tx *outbox.Tx, id string) (*expectRecord, error) {
	var best *expectRecord
	var bad error
	err := tx.ForEach(bucketExpected, func(k, v []byte) error {
		var e expectRecord
		if err := json.Unmarshal(v, &e); err != nil {
			bad = fmt.Errorf("returns: stored %s/%s is unreadable: %w", bucketExpected, k, err)
			return nil // one bad record must not hide the others
		}
		if e.Expect.OrderID == id && (best == nil || e.Arrival < best.Arrival) {
			best = &e
		}
		return nil
	})
	if err == nil && best == nil {
		err = bad
	}
	return best, err
}

// sameExpect reports whether two return.expect commands say the same.
func sameExpect(a, b *protocol.ReturnExpect) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(ja, jb)
}

// matcher matches scanned units against the lines of an announced return, in scan order.
type matcher struct {
	exp    *protocol.ReturnExpect // nil: unannounced
	gtins  []string               // GTIN-14 of each line, "" without one
	counts []int                  // units matched so far, per line
}

func newMatcher(exp *protocol.ReturnExpect) *matcher {
	m := &matcher{exp: exp}
	if exp != nil {
		m.gtins = make([]string, len(exp.Lines))
		m.counts = make([]int, len(exp.Lines))
		for i, l := range exp.Lines {
			m.gtins[i], _ = gtin.Normalize(l.GTIN) // checked when the command was taken
		}
	}
	return m
}

// match is the outcome of matching one unit.
type match struct {
	sku  string
	line int // the expected line, -1 when none matches (or unannounced)
	n    int // units of the line so far, this one included
	over bool
}

// add matches one unit: the lines whose SKU is the code exactly, else the lines whose GTIN is the
// unit's GTIN-14 (any GTIN form or GS1 AI 01 scanned); the first candidate with units still
// expected takes it, else the first candidate (over). A unit that matches no line keeps its
// GTIN-14 as SKU, or the code as scanned when it carries no GTIN.
func (m *matcher) add(u unitRecord) match {
	cands := m.candidates(u)
	if len(cands) == 0 {
		sku := u.GTIN
		if sku == "" {
			sku = u.Code
		}
		return match{sku: sku, line: -1}
	}
	i, over := cands[0], true
	for _, c := range cands {
		if m.counts[c] < m.exp.Lines[c].Qty {
			i, over = c, false
			break
		}
	}
	m.counts[i]++
	return match{sku: m.exp.Lines[i].SKU, line: i, n: m.counts[i], over: over}
}

func (m *matcher) candidates(u unitRecord) []int {
	if m.exp == nil {
		return nil
	}
	var out []int
	for i, l := range m.exp.Lines {
		if l.SKU == u.Code {
			out = append(out, i)
		}
	}
	if len(out) > 0 || u.GTIN == "" {
		return out
	}
	for i, g := range m.gtins {
		if g == u.GTIN {
			out = append(out, i)
		}
	}
	return out
}

// expected returns the units the announcement expects in all.
func expected(exp *protocol.ReturnExpect) int {
	n := 0
	for _, l := range exp.Lines {
		n += l.Qty
	}
	return n
}

// lines aggregates the units into return.received lines: one per SKU, code, reason and condition
// (the disposition follows from the last two), in the order of their first unit.
func lines(units []unitRecord, exp *protocol.ReturnExpect) []protocol.ReturnedLine {
	type key struct{ sku, code, reason, condition string }
	m := newMatcher(exp)
	idx := map[key]int{}
	var out []protocol.ReturnedLine
	for _, u := range units {
		sku := m.add(u).sku
		k := key{sku, u.Code, u.Reason, u.Condition}
		if i, ok := idx[k]; ok {
			out[i].Qty++
			continue
		}
		idx[k] = len(out)
		out = append(out, protocol.ReturnedLine{SKU: sku, Code: u.Code, Qty: 1, Reason: u.Reason, Condition: u.Condition, Disposition: u.Disposition})
	}
	return out
}

// jsonInvalid reports whether b does not decode into v.
func jsonInvalid(b []byte, v any) bool { return json.Unmarshal(b, v) != nil }
