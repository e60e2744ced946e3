package packing

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stationd/stationd/devices/scanner/barcode"
	"github.com/stationd/stationd/protocol"
)

// The vectors are byte-identical copies of shared/vectors/gtin.json and gs1.json.

func readVectors(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile("testdata/vectors/" + name)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

func oneLine(gtin string) *pack {
	o := &protocol.PackOrder{OrderID: "V", Carrier: "ups", Lines: []protocol.OrderLine{
		{Line: protocol.LineNumber(1), SKU: "SKU-V", GTIN: gtin, Qty: 1, UnitWeightG: 1},
	}}
	return newPack(o, &packRecord{Lines: make([]lineRecord, 1)})
}

// TestMatchGTINVectors: an order line with any valid GTIN of gtin.json is matched by the GTIN in
// each of its forms (as sent, as GTIN-14, under its AIM identifier, in AI 01), and a wrong check
// digit under an AIM identifier that claims a GTIN is bad_check_digit.
func TestMatchGTINVectors(t *testing.T) {
	var v struct {
		Cases []struct {
			Name, Kind, Input string
			Expect            struct {
				Valid  bool   `json:"valid"`
				Type   string `json:"type"`
				GTIN14 string `json:"gtin14"`
				UPCA   string `json:"upc_a"`
				Error  string `json:"error"`
			}
		}
	}
	readVectors(t, "gtin.json", &v)
	never := func(string) bool { return false }
	for _, c := range v.Cases {
		t.Run(c.Name, func(t *testing.T) {
			e := c.Expect
			var lineGTIN string
			var scans []string
			switch {
			case c.Kind == "upce" && e.Valid:
				lineGTIN = e.UPCA
				scans = []string{"]E0" + c.Input, e.GTIN14, "(01)" + e.GTIN14}
			case c.Kind == "gtin" && e.Valid:
				lineGTIN = c.Input
				scans = []string{c.Input, e.GTIN14, "(01)" + e.GTIN14, "]C101" + e.GTIN14}
				switch e.Type {
				case "GTIN-13", "GTIN-12":
					scans = append(scans, "]E0"+e.GTIN14[1:])
				case "GTIN-8":
					scans = append(scans, "]E4"+c.Input)
				case "GTIN-14":
					scans = append(scans, "]I1"+c.Input)
				}
			case c.Kind == "gtin" && e.Error == "bad_check_digit":
				p := oneLine("5901234123457")
				for _, s := range []string{"]E0" + pad13(c.Input), "(01)" + pad14(c.Input)} {
					d := barcode.Decode(s)
					if m := p.matchItem(d.Code, &d, ref, never); m.reason != protocol.MismatchBadCheckDigit {
						t.Errorf("%q: %q, want bad_check_digit", s, m.reason)
					}
				}
				return
			case c.Input == "":
				t.Skip("an empty scan is dropped before matching")
			default: // not a GTIN: as data, matched by nothing
				p := oneLine("5901234123457")
				s, want := c.Input, protocol.MismatchUnknownBarcode
				if c.Kind == "upce" {
					s = "]E0" + c.Input
					if e.Error == "bad_check_digit" {
						want = protocol.MismatchBadCheckDigit
					}
				}
				d := barcode.Decode(s)
				if m := p.matchItem(d.Code, &d, ref, never); m.reason != want {
					t.Errorf("%q: %q, want %s", s, m.reason, want)
				}
				return
			}
			p := oneLine(lineGTIN)
			for _, s := range scans {
				p.rec.Lines[0].Qty = 0
				d := barcode.Decode(s)
				if m := p.matchItem(d.Code, &d, ref, never); m.line != 0 {
					t.Errorf("line gtin %s, scan %q: %+v", lineGTIN, s, m)
				}
			}
		})
	}
}

func pad13(s string) string { return ("0000000000000" + s)[len(s):] }
func pad14(s string) string { return ("00000000000000" + s)[len(s):] }

// TestMatchGS1Vectors: every valid element string of gs1.json with AI 01 counts for the line of
// that GTIN with its lot, serial and expiry; valid strings without AI 01 are not_in_order; bad
// check digits are bad_check_digit and other broken strings unknown_barcode.
func TestMatchGS1Vectors(t *testing.T) {
	var v struct {
		Cases []struct {
			Name, Form, Input string
			Expect            struct {
				AIs     map[string]string `json:"ais"`
				Derived map[string]struct {
					Date string `json:"date"`
				} `json:"derived"`
				Error string `json:"error"`
			}
		}
	}
	readVectors(t, "gs1.json", &v)
	never := func(string) bool { return false }
	for _, c := range v.Cases {
		t.Run(c.Name, func(t *testing.T) {
			e := c.Expect
			gtin := e.AIs["01"]
			p := oneLine("5901234123457")
			if gtin != "" {
				p = oneLine(gtin)
			}
			d := barcode.Decode(c.Input)
			m := p.matchItem(d.Code, &d, ref, never)
			switch {
			case e.Error == "bad_check_digit":
				if m.reason != protocol.MismatchBadCheckDigit {
					t.Errorf("%q, want bad_check_digit", m.reason)
				}
			case e.Error != "":
				if m.reason != protocol.MismatchUnknownBarcode {
					t.Errorf("%q, want unknown_barcode (error %s)", m.reason, e.Error)
				}
			case gtin == "":
				if m.reason != protocol.MismatchNotInOrder {
					t.Errorf("%q, want not_in_order", m.reason)
				}
			default:
				if m.line != 0 || m.lot != e.AIs["10"] || m.serial != e.AIs["21"] || m.expiry != e.Derived["17"].Date {
					t.Errorf("%+v, want lot %q serial %q expiry %q", m, e.AIs["10"], e.AIs["21"], e.Derived["17"].Date)
				}
			}
		})
	}
}
