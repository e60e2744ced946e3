package packing

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stationd/stationd/devices/scanner/barcode"
	"github.com/stationd/stationd/protocol"
	"github.com/stationd/stationd/protocol/units"
)

// matchOrder has one line per kind of identification the matching must handle.
func matchOrder() *protocol.PackOrder {
	return &protocol.PackOrder{
		OrderID: "M-1", Carrier: "colissimo",
		Lines: []protocol.OrderLine{
			{Line: protocol.LineNumber(1), SKU: "SKU-13", GTIN: "5901234123457", Qty: 5, UnitWeightG: 10},    // GTIN-13
			{Line: protocol.LineNumber(2), SKU: "SKU-12", GTIN: "036000291452", Qty: 5, UnitWeightG: 10},     // GTIN-12 (UPC-A)
			{Line: protocol.LineNumber(3), SKU: "SKU-8", GTIN: "00000096385074", Qty: 5, UnitWeightG: 10},    // GTIN-8 written as GTIN-14
			{Line: protocol.LineString("4"), SKU: "SKU-14", GTIN: "24012345678905", Qty: 5, UnitWeightG: 10}, // GTIN-14
			{Line: protocol.LineString("upce"), SKU: "SKU-UPCE", GTIN: "001234000057", Qty: 1, UnitWeightG: 10},
			{Line: protocol.LineString("alias"), SKU: "SKU-AL", Barcodes: []string{"SUPPLIER-77", "04012345678901"}, Qty: 5, UnitWeightG: 10},
			{Line: protocol.LineString("lot"), SKU: "SKU-LOT", GTIN: "04012345678901", LotRequired: true, Qty: 1, UnitWeightG: 10},
			{Line: protocol.LineString("serial"), SKU: "SKU-SER", GTIN: "02112233789657", SerialRequired: true, Qty: 3, UnitWeightG: 10},
			{Line: protocol.LineString("fresh"), SKU: "SKU-FRESH", GTIN: "00416000336108", MinExpiryDays: 30, Qty: 5, UnitWeightG: 10},
			{Line: protocol.LineString("done"), SKU: "SKU-DONE", GTIN: "00012340000053", Qty: 1, UnitWeightG: 10},
		},
	}
}

func matchPack(o *protocol.PackOrder) *pack {
	rec := &packRecord{OrderID: o.OrderID, Phase: phaseScanning, Lines: make([]lineRecord, len(o.Lines))}
	rec.Lines[7].Serials = []string{"SN-OLD"} // serial line: one unit scanned already
	rec.Lines[7].Qty = 1
	rec.Lines[9].Qty = 1 // "done" is complete
	return newPack(o, rec)
}

func TestMatchItem(t *testing.T) {
	const gs = "\x1d"
	o := matchOrder()
	p := matchPack(o)
	known := func(c string) bool { return c == "SKU-OTHER-ORDER" || c == "OTHER-ALIAS" }
	now := ref // 2026-11-23
	for _, c := range []struct {
		name, data string
		line       string // the line identifier counted, "" on a mismatch
		reason     string
		lot        string
		serial     string
		expiry     string
	}{
		// GTIN in every form, both ways.
		{"GTIN-13 as EAN-13 without AIM", "5901234123457", "1", "", "", "", ""},
		{"GTIN-13 as EAN-13 with AIM ]E0", "]E05901234123457", "1", "", "", "", ""},
		{"GTIN-13 as GTIN-14", "05901234123457", "1", "", "", "", ""},
		{"GTIN-13 as ITF-14", "]I105901234123457", "1", "", "", "", ""},
		{"GTIN-13 in AI 01 (GS1-128)", "]C10105901234123457", "1", "", "", "", ""},
		{"GTIN-12 as UPC-A", "036000291452", "2", "", "", "", ""},
		{"GTIN-12 as UPC-A under ]E0 (13 digits)", "]E00036000291452", "2", "", "", "", ""},
		{"GTIN-12 as GTIN-14", "00036000291452", "2", "", "", "", ""},
		{"GTIN-8 as EAN-8 ]E4, line written as GTIN-14", "]E496385074", "3", "", "", "", ""},
		{"GTIN-8 without AIM", "96385074", "3", "", "", "", ""},
		{"GTIN-8 in bracketed AI 01", "(01)00000096385074", "3", "", "", "", ""},
		{"GTIN-14", "24012345678905", "4", "", "", "", ""},
		{"UPC-E expanded to the line's UPC-A", "]E000123457", "upce", "", "", "", ""},
		// GS1 element strings.
		{"GS1 DataMatrix 01+10+17+21", "]d20104012345678901" + "10LOT7" + gs + "17271231" + "21SN1", "alias", "", "LOT7", "SN1", "2027-12-31"},
		{"GS1 bracketed, day 00", "(01)04012345678901(17)280200(10)A1", "alias", "", "A1", "", "2028-02-29"},
		{"GS1 raw from a wedge", "0104012345678901" + "10B-12", "alias", "", "B-12", "", ""},
		// Aliases and SKU, exactly as written.
		{"alias", "SUPPLIER-77", "alias", "", "", "", ""},
		{"SKU", "SKU-14", "4", "", "", "", ""},
		{"alias that is a GTIN, other form", "4012345678901", "alias", "", "", "", ""},
		// Lot required: the alias line takes the GTIN first; with the alias line complete the
		// lot line would be next (see below).
		{"lot present", "(01)02112233789657(21)SN-NEW", "serial", "", "", "SN-NEW", ""},
		// Expiry.
		{"expiry far enough", "(01)00416000336108(17)270101", "fresh", "", "", "", "2027-01-01"},
		{"expiry exactly min_expiry_days away", "(01)00416000336108(17)261223", "fresh", "", "", "", "2026-12-23"},
		{"expiry_too_short", "(01)00416000336108(17)261222", "", protocol.MismatchExpiryTooShort, "", "", "2026-12-22"},
		{"no expiry on a min_expiry_days line is accepted", "416000336108", "fresh", "", "", "", ""},
		// Mismatches.
		{"serial_missing", "(01)02112233789657", "", protocol.MismatchSerialMissing, "", "", ""},
		{"serial_missing on plain EAN", "2112233789657", "", protocol.MismatchSerialMissing, "", "", ""},
		{"duplicate_serial", "(01)02112233789657(21)SN-OLD", "", protocol.MismatchDuplicateSerial, "", "SN-OLD", ""},
		{"over_quantity", "]E00012340000053", "", protocol.MismatchOverQuantity, "", "", ""},
		{"not_in_order: valid GTIN of no line", "4006381333931", "", protocol.MismatchNotInOrder, "", "", ""},
		{"not_in_order: valid GS1 of no line", "]C10104006381333931", "", protocol.MismatchNotInOrder, "", "", ""},
		{"not_in_order: SSCC", "]C100359012341234567896", "", protocol.MismatchNotInOrder, "", "", ""},
		{"not_in_order: SKU of another held order", "SKU-OTHER-ORDER", "", protocol.MismatchNotInOrder, "", "", ""},
		{"not_in_order: alias of another held order", "OTHER-ALIAS", "", protocol.MismatchNotInOrder, "", "", ""},
		{"unknown_barcode", "HELLO-WORLD", "", protocol.MismatchUnknownBarcode, "", "", ""},
		{"unknown_barcode: digits with a wrong check digit and no AIM (may be anything)", "5901234123458", "", protocol.MismatchUnknownBarcode, "", "", ""},
		{"unknown_barcode: GS1 with an unknown AI", "]C1891234", "", protocol.MismatchUnknownBarcode, "", "", ""},
		{"unknown_barcode: GS1 with a bad date", "(01)05901234123457(17)270229", "", protocol.MismatchUnknownBarcode, "", "", ""},
		{"bad_check_digit: EAN-13 under ]E0", "]E05901234123458", "", protocol.MismatchBadCheckDigit, "", "", ""},
		{"bad_check_digit: AI 01", "]C1010590123412345810A", "", protocol.MismatchBadCheckDigit, "", "", ""},
		{"bad_check_digit: bracketed", "(01)05901234123458", "", protocol.MismatchBadCheckDigit, "", "", ""},
		{"bad_check_digit: ITF-14", "]I105901234123458", "", protocol.MismatchBadCheckDigit, "", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := barcode.Decode(c.data)
			m := p.matchItem(d.Code, &d, now, known)
			line := ""
			if m.line >= 0 {
				line = o.Lines[m.line].Line.String()
			}
			if line != c.line || m.reason != c.reason {
				t.Errorf("line %q reason %q, want line %q reason %q (decoded %+v)", line, m.reason, c.line, c.reason, d)
			}
			if m.reason == "" && (m.lot != c.lot || m.serial != c.serial || m.expiry != c.expiry) {
				t.Errorf("lot %q serial %q expiry %q, want %q %q %q", m.lot, m.serial, m.expiry, c.lot, c.serial, c.expiry)
			}
			if c.reason == protocol.MismatchExpiryTooShort && m.expiry != c.expiry {
				t.Errorf("expiry %q, want %q", m.expiry, c.expiry)
			}
		})
	}
}

// TestMatchLotRequired: lot_missing, and the second line sharing a GTIN taking over when the
// first is complete.
func TestMatchLotRequired(t *testing.T) {
	o := matchOrder()
	p := matchPack(o)
	p.rec.Lines[5].Qty = 5 // the alias line, which shares 04012345678901 with the lot line, is complete
	for _, c := range []struct{ name, data, line, reason string }{
		{"lot_missing", "04012345678901", "", protocol.MismatchLotMissing},
		{"lot_missing in GS1 without AI 10", "(01)04012345678901(21)X", "", protocol.MismatchLotMissing},
		{"lot given", "(01)04012345678901(10)L1", "lot", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := barcode.Decode(c.data)
			m := p.matchItem(d.Code, &d, ref, func(string) bool { return false })
			line := ""
			if m.line >= 0 {
				line = o.Lines[m.line].Line.String()
			}
			if line != c.line || m.reason != c.reason {
				t.Errorf("line %q reason %q, want %q %q", line, m.reason, c.line, c.reason)
			}
		})
	}
}

// TestMatchExpiryTimeZone: "today" is the station's local date.
func TestMatchExpiryTimeZone(t *testing.T) {
	o := matchOrder()
	p := matchPack(o)
	d := barcode.Decode("(01)00416000336108(17)261223") // 2026-12-23
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no time zone database")
	}
	// 23:30 UTC on 22 November is already 23 November in Paris: 30 days left, accepted.
	now := time.Date(2026, 11, 22, 23, 30, 0, 0, time.UTC).In(paris)
	if m := p.matchItem(d.Code, &d, now, func(string) bool { return false }); m.reason != "" {
		t.Errorf("Paris: %q", m.reason)
	}
	// On 24 November 29 days are left: refused.
	now = time.Date(2026, 11, 24, 0, 30, 0, 0, time.UTC)
	if m := p.matchItem(d.Code, &d, now, func(string) bool { return false }); m.reason != protocol.MismatchExpiryTooShort {
		t.Errorf("24 November: %q", m.reason)
	}
}

// bigOrder returns an order of n lines, each with a GTIN-13, an alias and lot/serial rules on
// some.
func bigOrder(n int) *protocol.PackOrder {
	o := &protocol.PackOrder{OrderID: "BIG", Carrier: "ups",
		ShipTo: protocol.ShipTo{Name: "N", Street: "S", Postcode: "75001", City: "Paris", Country: "FR"}}
	for i := range n {
		body := fmt.Sprintf("400%09d", i)
		cd, _ := checkDigit(body)
		o.Lines = append(o.Lines, protocol.OrderLine{
			Line: protocol.LineNumber(int64(i + 1)), SKU: fmt.Sprintf("SKU-%04d", i), GTIN: body + string(cd),
			Barcodes: []string{fmt.Sprintf("ALIAS-%04d", i)}, Qty: 1_000_000, UnitWeightG: 100,
			DimsMM: [3]units.Length{100, 50, 20}, LotRequired: i%3 == 0, MinExpiryDays: i % 2 * 10,
		})
	}
	return o
}

func checkDigit(body string) (byte, error) {
	sum := 0
	for i := len(body) - 1; i >= 0; i-- {
		d := int(body[i] - '0')
		if (len(body)-1-i)%2 == 0 {
			d *= 3
		}
		sum += d
	}
	return byte('0' + (10-sum%10)%10), nil
}

// BenchmarkMatch200: matching one scan, already decoded, against an order of 200 lines (the
// target is under 20 µs). The decoding itself is done once per scan by the station for every
// workflow; BenchmarkDecodeMatch200 includes it.
func BenchmarkMatch200(b *testing.B) {
	o := bigOrder(200)
	p := newPack(o, &packRecord{Lines: make([]lineRecord, len(o.Lines))})
	for _, c := range []struct{ name, data string }{
		{"ean13", "]E0" + o.Lines[199].GTIN},
		{"gs1", "]d201" + "0" + o.Lines[198].GTIN + "10LOT-1\x1d17301231"},
		{"alias", "ALIAS-0150"},
		{"mismatch", "NOT-A-CODE"},
	} {
		d := barcode.Decode(c.data)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p.matchItem(d.Code, &d, ref, func(string) bool { return false })
			}
		})
	}
}

func BenchmarkDecodeMatch200(b *testing.B) {
	o := bigOrder(200)
	p := newPack(o, &packRecord{Lines: make([]lineRecord, len(o.Lines))})
	data := "]d201" + "0" + o.Lines[198].GTIN + "10LOT-1\x1d17301231"
	b.ReportAllocs()
	for b.Loop() {
		d := barcode.Decode(data)
		p.matchItem(d.Code, &d, ref, func(string) bool { return false })
	}
}

func TestClip(t *testing.T) {
	long := strings.Repeat("é", 5000)
	if c := clip(protocol.PackMismatch{Code: long}).(protocol.PackMismatch).Code; utf8.RuneCountInString(c) != maxCode || !strings.HasSuffix(c, "…") {
		t.Errorf("code of %d characters", utf8.RuneCountInString(c))
	}
	if c := clip(protocol.PackException{Detail: long}).(protocol.PackException).Detail; utf8.RuneCountInString(c) != maxDetail {
		t.Errorf("detail of %d characters", utf8.RuneCountInString(c))
	}
	ovs := make([]protocol.Override, 120)
	ovs[119].Detail = long
	got := clip(protocol.PackCompleted{Overrides: ovs}).(protocol.PackCompleted).Overrides
	if len(got) != maxOverrides || utf8.RuneCountInString(got[99].Detail) != maxDetail || ovs[119].Detail != long {
		t.Errorf("overrides: %d, last detail %d characters", len(got), utf8.RuneCountInString(got[99].Detail))
	}
	if s := "short"; clip(protocol.PackItem{Code: s}).(protocol.PackItem).Code != s {
		t.Error("short code changed")
	}
}

// FuzzMatch: any scan, through the station's decoder, matches or gets a contract reason.
func FuzzMatch(f *testing.F) {
	for _, s := range []string{"5901234123457", "]E05901234123458", "(01)04012345678901(17)280200(10)A1",
		"]d20104012345678901" + "10LOT7\x1d17271231" + "21SN1", "SUPPLIER-77", "]C1891234", "", "]", "(01)"} {
		f.Add(s)
	}
	o := matchOrder()
	reasons := map[string]bool{"": true, protocol.MismatchUnknownBarcode: true, protocol.MismatchNotInOrder: true,
		protocol.MismatchOverQuantity: true, protocol.MismatchLotMissing: true, protocol.MismatchSerialMissing: true,
		protocol.MismatchDuplicateSerial: true, protocol.MismatchExpiryTooShort: true, protocol.MismatchBadCheckDigit: true}
	f.Fuzz(func(t *testing.T, data string) {
		p := matchPack(o)
		d := barcode.Decode(data)
		m := p.matchItem(d.Code, &d, ref, func(string) bool { return false })
		if !reasons[m.reason] || (m.reason == "") != (m.line >= 0) {
			t.Fatalf("%q: %+v", data, m)
		}
		if m.expiry != "" && len(m.expiry) != 10 {
			t.Fatalf("expiry %q", m.expiry)
		}
	})
}
