package packing

import (
	"slices"
	"time"

	"github.com/stationd/stationd/devices/scanner/barcode"
	"github.com/stationd/stationd/devices/scanner/gtin"
	"github.com/stationd/stationd/devices/scanner/scanerr"
	"github.com/stationd/stationd/protocol"
)

// index finds the lines of one order an item scan may count for. It is built once when the pack
// opens, so that matching a scan is a few map lookups whatever the order's size.
type index struct {
	code map[string][]int // SKU and barcodes aliases, exactly as written → line indexes
	gtin map[string][]int // GTIN-14 of gtin and of aliases that are valid GTINs → line indexes
}

func newIndex(o *protocol.PackOrder) *index {
	ix := &index{code: make(map[string][]int, 2*len(o.Lines)), gtin: make(map[string][]int, len(o.Lines))}
	add := func(m map[string][]int, k string, i int) {
		if l := m[k]; len(l) == 0 || l[len(l)-1] != i {
			m[k] = append(l, i)
		}
	}
	for i := range o.Lines {
		l := &o.Lines[i]
		add(ix.code, l.SKU, i)
		if g, err := gtin.Normalize(l.GTIN); err == nil {
			add(ix.gtin, g, i)
		}
		for _, a := range l.Barcodes {
			add(ix.code, a, i)
			if g, err := gtin.Normalize(a); err == nil {
				add(ix.gtin, g, i)
			}
		}
	}
	return ix
}

// codes lists the strings by which an order's lines are recognised, for the not_in_order test
// of scans in other orders: SKUs and aliases as written, GTIN-14s.
func orderCodes(o *protocol.PackOrder) []string {
	var out []string
	for i := range o.Lines {
		l := &o.Lines[i]
		out = append(out, l.SKU)
		if g, err := gtin.Normalize(l.GTIN); err == nil {
			out = append(out, g)
		}
		out = append(out, l.Barcodes...)
	}
	return out
}

// match is the outcome of matching one item scan.
type match struct {
	line     int    // the order line counted, when reason is ""
	reason   string // a pack.mismatch reason, or "" when the item counts
	lot      string
	serial   string
	expiry   string // YYYY-MM-DD, or ""
	lineSeen int    // the candidate line the reason is about, for the operator's message; -1 if none

	expiryDays int // days from today to expiry, when expiry is set
}

// matchItem matches a decoded scan against the open pack (contract section 7 step 3). known
// reports whether a code is a SKU, alias or GTIN of another order the station holds (for
// not_in_order). now gives today's date for the expiry check, in now's location.
//
// Candidates are the lines whose SKU or alias is the scanned code exactly, then the lines whose
// GTIN (or alias GTIN) is the scan's GTIN-14 (from a GTIN-8/12/13/14 or AI 01). The first
// candidate line that is not complete and whose lot, serial and expiry rules the scan satisfies
// counts; if none does, the reason is the first failed rule, or over_quantity when every
// candidate is complete.
func (p *pack) matchItem(code string, d *barcode.Result, now time.Time, known func(string) bool) match {
	m := match{line: -1, lineSeen: -1}
	cands := p.ix.code[code]
	if d.GTIN != "" {
		if byGTIN := p.ix.gtin[d.GTIN]; len(cands) == 0 {
			cands = byGTIN
		} else if len(byGTIN) > 0 {
			cands = slices.Clip(cands)
			for _, i := range byGTIN {
				if !slices.Contains(cands, i) {
					cands = append(cands, i)
				}
			}
		}
	}
	if len(cands) == 0 {
		switch {
		case d.Error == scanerr.BadCheckDigit:
			m.reason = protocol.MismatchBadCheckDigit
		case d.GTIN != "" || len(d.GS1) > 0 || known(code):
			m.reason = protocol.MismatchNotInOrder
		default:
			m.reason = protocol.MismatchUnknownBarcode
		}
		return m
	}
	m.lineSeen = cands[0]
	if len(d.GS1) > 0 {
		m.lot, m.serial = d.Lot(), d.Serial()
		if exp, ok := d.GS1.Expiry(now); ok {
			m.expiry = exp.String()
			// Days from today to the expiry date, on the calendar (GS1 dates have no zone).
			y, mo, dd := now.Date()
			today := time.Date(y, mo, dd, 0, 0, 0, 0, time.UTC)
			m.expiryDays = int(exp.Time(time.UTC).Sub(today).Hours() / 24)
		}
	}
	first := ""
	for _, i := range cands {
		l := &p.order.Lines[i]
		if p.rec.Lines[i].Qty >= l.Qty {
			continue
		}
		reason := ""
		switch {
		case l.LotRequired && m.lot == "":
			reason = protocol.MismatchLotMissing
		case l.SerialRequired && m.serial == "":
			reason = protocol.MismatchSerialMissing
		case m.serial != "" && p.serials[serialKey{l.SKU, m.serial}]:
			reason = protocol.MismatchDuplicateSerial
		case l.MinExpiryDays > 0 && m.expiry != "" && m.expiryDays < l.MinExpiryDays:
			reason = protocol.MismatchExpiryTooShort
		}
		if reason == "" {
			m.line = i
			return m
		}
		if first == "" {
			first, m.lineSeen = reason, i
		}
	}
	if first == "" {
		first = protocol.MismatchOverQuantity
	}
	m.reason = first
	return m
}

// serialKey identifies a serial number: GS1 serials are unique per item, not across items.
type serialKey struct{ sku, serial string }
