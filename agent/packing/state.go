package packing

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/stationd/stationd/agent/config"
	"github.com/stationd/stationd/agent/outbox"
	"github.com/stationd/stationd/protocol"
	"github.com/stationd/stationd/protocol/units"
)

// Buckets of the store the workflow owns (outbox user buckets).
var (
	bucketOrders = []byte("orders") // order_id → orderRecord: orders received and not yet packed or cancelled
	bucketPack   = []byte("pack")   // keyOpen → packRecord; keyArrival → last arrival number
	keyOpen      = []byte("open")
	keyArrival   = []byte("arrival")
)

// Phases of the open pack, the states of the workflow's state machine (see the package
// documentation for the transitions).
const (
	phaseScanning      = "scanning"       // lines are being scanned
	phaseNeedBox       = "need_box"       // every line complete, no box fits: waiting for a box scan
	phaseWeighing      = "weighing"       // waiting for a stable weight
	phaseWeightFailed  = "weight_failed"  // out of tolerance: waiting for a re-weigh, a box scan or the supervisor
	phaseCarrierFailed = "carrier_failed" // beyond the carrier's limits: waiting for a box scan or the supervisor
	phaseLabelling     = "labelling"      // label queued: waiting for its outcome
	phaseLabelFailed   = "label_failed"   // label failed (the queue retries): waiting for it or the supervisor
)

// orderRecord is an order in the local cache.
type orderRecord struct {
	Order      protocol.PackOrder `json:"order"`
	ReceivedAt time.Time          `json:"received_at"`
	Arrival    uint64             `json:"arrival"` // arrival number: the oldest order has the smallest
}

// packRecord is the open pack: enough to resume it after a restart exactly where it was.
type packRecord struct {
	OrderID   string              `json:"order_id"`
	Phase     string              `json:"phase"`
	StartedAt time.Time           `json:"started_at"`
	Lines     []lineRecord        `json:"lines"` // one per order line, in order
	Box       *boxRecord          `json:"box,omitempty"`
	Weight    *weightRecord       `json:"weight,omitempty"` // the last weight taken
	Quote     *quoteRecord        `json:"quote,omitempty"`  // the carrier figures of the weight the label was made for
	Overrides []protocol.Override `json:"overrides,omitempty"`
	Label     labelRecord         `json:"label"`
}

type lineRecord struct {
	Qty     int      `json:"qty"`
	Lots    []string `json:"lots,omitempty"`    // distinct, in scan order
	Serials []string `json:"serials,omitempty"` // in scan order
}

// boxRecord is the box as configured when it was picked (the config may change under a pack).
type boxRecord struct {
	ID      string          `json:"id"`
	Inner   [3]units.Length `json:"inner_mm"`
	Outer   [3]units.Length `json:"outer_mm"`
	Tare    units.Mass      `json:"tare_mg"`
	Scanned bool            `json:"scanned"` // false: proposed by the station
}

type weightRecord struct {
	Measured  units.Mass `json:"measured_mg"`
	Expected  units.Mass `json:"expected_mg"`
	Tolerance units.Mass `json:"tolerance_mg"`
	OK        bool       `json:"ok"`
}

type quoteRecord struct {
	Carrier          string   `json:"carrier"`
	Divisor          *int64   `json:"divisor"`
	VolumetricG      *int64   `json:"volumetric_g"`
	BillableG        int64    `json:"billable_g"`
	BillableRoundedG int64    `json:"billable_rounded_g,omitempty"`
	Surcharges       []string `json:"surcharges,omitempty"`
	Broken           string   `json:"broken,omitempty"` // the limits broken, for the override
}

type labelRecord struct {
	JobID   string `json:"job_id,omitempty"`
	Printer string `json:"printer,omitempty"`
	Error   string `json:"error,omitempty"` // why the last attempt failed
}

// consistent reports whether r has what its phase needs (a record written by this version
// always has).
func (r *packRecord) consistent() bool {
	switch r.Phase {
	case phaseScanning, phaseNeedBox:
		return true
	case phaseWeighing:
		return r.Box != nil
	case phaseWeightFailed:
		return r.Box != nil && r.Weight != nil
	case phaseCarrierFailed, phaseLabelling, phaseLabelFailed:
		return r.Box != nil && r.Weight != nil && r.Quote != nil
	}
	return false
}

func newBoxRecord(b config.Box, scanned bool) *boxRecord {
	return &boxRecord{ID: b.ID, Inner: b.Inner, Outer: b.Outer, Tare: b.Tare, Scanned: scanned}
}

// clone returns a copy of r that can be changed without touching r: the open pack's record
// changes only once the transaction recording the change has committed.
func (r *packRecord) clone() *packRecord {
	c := *r
	c.Lines = slices.Clone(r.Lines)
	c.Overrides = slices.Clone(r.Overrides)
	if r.Box != nil {
		b := *r.Box
		c.Box = &b
	}
	if r.Weight != nil {
		w := *r.Weight
		c.Weight = &w
	}
	if r.Quote != nil {
		q := *r.Quote
		c.Quote = &q
	}
	return &c
}

func putJSON(tx *outbox.Tx, bucket, key []byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("packing: encode %s/%s: %w", bucket, key, err)
	}
	return tx.Put(bucket, key, b)
}

// appendEvent appends one critical event at at.
func appendEvent(tx *outbox.Tx, at time.Time, data protocol.EventData) error {
	_, err := tx.Append(outbox.Event{Type: data.EventType(), Time: at, Data: clip(data)})
	return err
}

// Lengths the protocol's schema allows, in characters.
const (
	maxDetail    = 1024 // pack.exception detail, overrides detail
	maxCode      = 4096 // scanned code in pack.item and pack.mismatch
	maxOverrides = 100
)

// clip shortens the free texts of data to what the schema allows (a very long scan, a detail
// naming many boxes), so that an event is never refused by the OMS for its length.
func clip(data protocol.EventData) protocol.EventData {
	switch d := data.(type) {
	case protocol.PackException:
		d.Detail = clipText(d.Detail, maxDetail)
		return d
	case protocol.PackMismatch:
		d.Code = clipText(d.Code, maxCode)
		return d
	case protocol.PackItem:
		d.Code = clipText(d.Code, maxCode)
		return d
	case protocol.PackCompleted:
		if len(d.Overrides) > maxOverrides {
			d.Overrides = d.Overrides[len(d.Overrides)-maxOverrides:]
		}
		for i, o := range d.Overrides {
			if c := clipText(o.Detail, maxDetail); c != o.Detail {
				d.Overrides = slices.Clone(d.Overrides)
				d.Overrides[i].Detail = c
			}
		}
		return d
	}
	return data
}

func clipText(s string, n int) string {
	if len(s) <= n || utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
