package barcode

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stationd/stationd/devices/scanner/gtin"
	"github.com/stationd/stationd/devices/scanner/scanerr"
)

func load(t testing.TB, name string, v any) {
	t.Helper()
	b, err := os.ReadFile("../testdata/vectors/" + name)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

// TestAIMVectors runs aim.json through Decode: code, aim, GTIN-14 and add-on.
func TestAIMVectors(t *testing.T) {
	var v struct {
		Cases []struct {
			Name, Input, Terminator string
			Expect                  struct {
				Kind          string
				AIM           *string
				Data          string
				ElementString bool   `json:"gs1_element_string"`
				GTIN14        string `json:"gtin14"`
				AddOn         string `json:"add_on"`
			}
		}
	}
	load(t, "aim.json", &v)
	for _, c := range v.Cases {
		t.Run(c.Name, func(t *testing.T) {
			in := strings.TrimSuffix(c.Input, c.Terminator)
			r := Decode(in)
			if c.Expect.Kind == "error" {
				// A broken identifier is not a scan error: the line is passed on as plain data.
				if r.Code != in || r.AIM != "" || r.Symbology != Unknown || r.Error != "" {
					t.Errorf("Decode(%q) = %+v", in, r)
				}
				return
			}
			want := ""
			if c.Expect.AIM != nil {
				want = *c.Expect.AIM
			}
			if r.AIM != want || r.Code != c.Expect.Data {
				t.Errorf("aim %q code %q; want %q %q", r.AIM, r.Code, want, c.Expect.Data)
			}
			if r.Error != "" {
				t.Errorf("error %v", r.Err)
			}
			if c.Expect.GTIN14 != "" && r.GTIN != c.Expect.GTIN14 {
				t.Errorf("GTIN %q, want %q", r.GTIN, c.Expect.GTIN14)
			}
			if c.Expect.AIM != nil && c.Expect.GTIN14 == "" && !c.Expect.ElementString && r.GTIN != "" {
				t.Errorf("GTIN %q for a symbology that carries none", r.GTIN)
			}
			if r.AddOn != c.Expect.AddOn {
				t.Errorf("add-on %q, want %q", r.AddOn, c.Expect.AddOn)
			}
			if (r.GS1 != nil) != c.Expect.ElementString {
				t.Errorf("GS1 %v, want element string %v", r.GS1, c.Expect.ElementString)
			}
		})
	}
}

// TestGS1Vectors runs gs1.json through Decode: the scan event's gs1 map, gtin and error.
func TestGS1Vectors(t *testing.T) {
	var v struct {
		Cases []struct {
			Name, Form, Input string
			Expect            struct {
				AIs   map[string]string `json:"ais"`
				Error string
			}
		}
	}
	load(t, "gs1.json", &v)
	for _, c := range v.Cases {
		t.Run(c.Name, func(t *testing.T) {
			r := Decode(c.Input)
			switch c.Expect.Error {
			case "not_gs1": // a non-GS1 identifier: no claim, so no error either
				if r.GS1 != nil || r.Error != "" {
					t.Errorf("Decode = %+v", r)
				}
				return
			case "":
			default:
				if string(r.Error) != c.Expect.Error || r.GS1 != nil || r.GTIN != "" {
					t.Fatalf("error %q (%v) GS1 %v GTIN %q, want error %s", r.Error, r.Err, r.GS1, r.GTIN, c.Expect.Error)
				}
				return
			}
			if r.Error != "" {
				t.Fatal(r.Err)
			}
			m := r.GS1.Map()
			if len(m) != len(c.Expect.AIs) {
				t.Errorf("gs1 %v, want %v", m, c.Expect.AIs)
			}
			for k, want := range c.Expect.AIs {
				if m[k] != want {
					t.Errorf("gs1[%s] = %q, want %q", k, m[k], want)
				}
			}
			if want := c.Expect.AIs["01"]; r.GTIN != want {
				t.Errorf("GTIN %q, want %q", r.GTIN, want)
			}
		})
	}
}

// TestGTINVectors runs gtin.json through Decode: without an identifier a valid GTIN is found and
// a broken one is no claim; behind ]E0/]E4 a broken one is an error.
func TestGTINVectors(t *testing.T) {
	var v struct {
		Cases []struct {
			Name, Kind, Input string
			Expect            struct {
				Valid  bool
				GTIN14 string `json:"gtin14"`
				Error  string
			}
		}
	}
	load(t, "gtin.json", &v)
	for _, c := range v.Cases {
		t.Run(c.Name, func(t *testing.T) {
			if c.Kind == "upce" {
				r := Decode("]E0" + c.Input)
				if c.Expect.Valid && (r.GTIN != c.Expect.GTIN14 || r.Symbology != "upce") {
					t.Errorf("]E0 UPC-E: %+v, want GTIN %s", r, c.Expect.GTIN14)
				}
				if !c.Expect.Valid && string(r.Error) != c.Expect.Error {
					t.Errorf("]E0 UPC-E: error %q, want %s", r.Error, c.Expect.Error)
				}
				return
			}
			r := Decode(c.Input)
			if c.Expect.Valid && r.GTIN != c.Expect.GTIN14 || !c.Expect.Valid && r.GTIN != "" || r.Error != "" {
				t.Errorf("no identifier: %+v, want GTIN %q and no error", r, c.Expect.GTIN14)
			}
			prefix := "]E0"
			switch len(c.Input) {
			case 8:
				prefix = "]E4"
			case 14:
				prefix = "]I1"
			}
			r = Decode(prefix + c.Input)
			if c.Expect.Valid && r.GTIN != c.Expect.GTIN14 {
				t.Errorf("%s: GTIN %q, want %s", prefix, r.GTIN, c.Expect.GTIN14)
			}
			if !c.Expect.Valid && prefix != "]I1" && (r.Error == "" || r.GTIN != "") {
				t.Errorf("%s: %+v, want an error", prefix, r)
			}
			if !c.Expect.Valid && c.Expect.Error == "bad_check_digit" && r.Error != scanerr.BadCheckDigit {
				t.Errorf("%s: error %q, want bad_check_digit", prefix, r.Error)
			}
		})
	}
}

func TestDecode(t *testing.T) {
	for _, c := range []struct {
		name, in                      string
		code, sym, aim, gtin, err, gs string
	}{
		{"EAN-13", "]E05901234123457", "5901234123457", "ean13", "]E0", "05901234123457", "", ""},
		{"UPC-A as 13", "]E00036000291452", "0036000291452", "upca", "]E0", "00036000291452", "", ""},
		{"UPC-A as 12", "]E0036000291452", "036000291452", "upca", "]E0", "00036000291452", "", ""},
		{"UPC-E unexpanded", "]E004252614", "04252614", "upce", "]E0", "00042100005264", "", ""},
		{"EAN-8", "]E496385074", "96385074", "ean8", "]E4", "00000096385074", "", ""},
		{"UPC-A with 5-digit add-on", "]E303600029145212345", "03600029145212345", "upca", "]E3", "00036000291452", "", ""},
		{"EAN-13 bad check digit", "]E05901234123458", "5901234123458", "ean13", "]E0", "", "bad_check_digit", ""},
		{"EAN-13 too short", "]E0590123412345", "590123412345", "upca", "]E0", "", "bad_check_digit", ""},
		{"EAN-8 wrong length", "]E4123", "123", "ean8", "]E4", "", "bad_length", ""},
		{"add-on alone", "]E112", "12", "ean13", "]E1", "", "", ""},
		{"ITF-14", "]I115012345678907", "15012345678907", "itf", "]I1", "15012345678907", "", ""},
		{"ITF-14 bad", "]I115012345678908", "15012345678908", "itf", "]I1", "", "bad_check_digit", ""},
		{"ITF other length", "]I11234567890", "1234567890", "itf", "]I1", "", "", ""},
		{"GS1-128", "]C1010590123412345710ABC\x1d17271231", "010590123412345710ABC\x1d17271231", "gs1-128", "]C1", "05901234123457", "", "(01)05901234123457(10)ABC(17)271231"},
		{"GS1 DataMatrix bad date", "]d20105901234123457172713", "0105901234123457172713", "gs1-datamatrix", "]d2", "", "bad_length", ""},
		{"GS1 QR unknown AI", "]Q30105901234123457891", "0105901234123457891", "gs1-qr", "]Q3", "", "unknown_ai", ""},
		{"GS1 DataBar", "]e00105901234123457", "0105901234123457", "gs1-databar", "]e0", "05901234123457", "", "(01)05901234123457"},
		{"GS1 DotCode", "]J10105901234123457", "0105901234123457", "gs1-dotcode", "]J1", "05901234123457", "", "(01)05901234123457"},
		{"Code 128 of a GTIN", "]C005901234123457", "05901234123457", "code128", "]C0", "05901234123457", "", ""},
		{"Code 128 order number", "]C0ORD-2026-0042", "ORD-2026-0042", "code128", "]C0", "", "", ""},
		{"Code 128 with HRI text", "]C0(01)05901234123457", "(01)05901234123457", "code128", "]C0", "05901234123457", "", "(01)05901234123457"},
		{"bracketed, bad check digit", "(01)05901234123458", "(01)05901234123458", "unknown", "", "", "bad_check_digit", ""},
		{"parenthesised text is no claim", "(BOX-S)", "(BOX-S)", "unknown", "", "", "", ""},
		{"wedge raw element string", "0105901234123457172706001\x1d", "0105901234123457172706001\x1d", "unknown", "", "", "unknown_ai", ""},
		{"wedge raw with GS", "0105901234123457\x1d10LOT", "0105901234123457\x1d10LOT", "unknown", "", "05901234123457", "", "(01)05901234123457(10)LOT"},
		{"wedge 01 run-on that does not parse", "0105901234123458", "0105901234123458", "unknown", "", "", "", ""},
		{"no identifier, GTIN-13", "5901234123457", "5901234123457", "unknown", "", "05901234123457", "", ""},
		{"no identifier, not a GTIN", "5901234123458", "5901234123458", "unknown", "", "", "", ""},
		{"unknown identifier", "]W0abc", "]W0abc", "unknown", "", "", "", ""},
		{"Aztec", "]z0AZTEC", "AZTEC", "aztec", "]z0", "", "", ""},
		{"MSI extension", "]M0123", "123", "msi", "]M0", "", "", ""},
		{"empty", "", "", "unknown", "", "", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := Decode(c.in)
			if r.Code != c.code || r.Symbology != c.sym || r.AIM != c.aim || r.GTIN != c.gtin || string(r.Error) != c.err || r.GS1.String() != c.gs {
				t.Errorf("Decode(%q) =\n code %q sym %q aim %q gtin %q err %q (%v) gs1 %s\nwant\n code %q sym %q aim %q gtin %q err %q gs1 %s",
					c.in, r.Code, r.Symbology, r.AIM, r.GTIN, r.Error, r.Err, r.GS1, c.code, c.sym, c.aim, c.gtin, c.err, c.gs)
			}
			if r.Error != "" && scanerr.KindOf(r.Err) != r.Error {
				t.Errorf("Err %v does not carry kind %s", r.Err, r.Error)
			}
		})
	}
}

func TestLotSerial(t *testing.T) {
	r := Decode("]d2010590123412345710L1\x1d21S1")
	if _, ok := r.Expiry(time.Now()); ok {
		t.Error("expiry without (17)")
	}
	if d, ok := Decode("]C1010590123412345717270600").Expiry(time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)); !ok || d.String() != "2027-06-30" {
		t.Errorf("expiry %v %v", d, ok)
	}
	if r.Lot() != "L1" || r.Serial() != "S1" {
		t.Errorf("lot %q serial %q", r.Lot(), r.Serial())
	}
	if r := Decode("]E05901234123457"); r.Lot() != "" || r.Serial() != "" {
		t.Errorf("EAN lot %q serial %q", r.Lot(), r.Serial())
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{"]E05901234123457", "]C1010590123412345710ABC\x1d17271231", "(01)05901234123457", "]E303600029145212", "]Y3abcd", "0105901234123457\x1d10X"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := Decode(s)
		if r.AIM+r.Code != s {
			t.Fatalf("aim %q + code %q != %q", r.AIM, r.Code, s)
		}
		if r.Error != "" {
			if r.GS1 != nil || r.GTIN != "" || scanerr.KindOf(r.Err) != r.Error {
				t.Fatalf("%q: error %q with gs1 %v gtin %q err %v", s, r.Error, r.GS1, r.GTIN, r.Err)
			}
		}
		if r.GTIN != "" && (len(r.GTIN) != 14 || gtin.Verify(r.GTIN) != nil) {
			t.Fatalf("%q: GTIN %q", s, r.GTIN)
		}
		if r.Symbology == "" {
			t.Fatalf("%q: no symbology", s)
		}
	})
}

// BenchmarkDecode40 decodes a 40-character GS1 scan (issue #4: under 5 µs, at most 2
// allocations).
func BenchmarkDecode40(b *testing.B) {
	s := "]C1010590123412345710ABC123\x1d1727123121SN"
	b.ReportAllocs()
	for b.Loop() {
		if r := Decode(s); r.Error != "" || r.GTIN == "" {
			b.Fatal(r.Err)
		}
	}
}
