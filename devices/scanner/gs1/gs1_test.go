package gs1

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stationd/stationd/devices/scanner/scanerr"
)

// ref is the reference date of the vectors (gs1.json conventions: "reference year 2026").
var ref = time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)

type vectorFile struct {
	AITable []struct {
		AI             string `json:"ai"`
		Title          string `json:"title"`
		Format         string `json:"format"`
		Predefined     bool   `json:"predefined_length"`
		FNC1           bool   `json:"fnc1_required"`
		MinLen, MaxLen int
		CheckDigit     bool `json:"check_digit"`
		Date           bool `json:"date"`
	} `json:"ai_table"`
	Cases []struct {
		Name   string `json:"name"`
		Form   string `json:"form"`
		Input  string `json:"input"`
		Expect struct {
			AIs      map[string]string         `json:"ais"`
			Elements [][2]string               `json:"elements"`
			Derived  map[string]map[string]any `json:"derived"`
			Error    string                    `json:"error"`
			AI       string                    `json:"ai"`
			AIPrefix string                    `json:"ai_prefix"`
		} `json:"expect"`
	} `json:"cases"`
}

func loadVectors(t testing.TB) vectorFile {
	t.Helper()
	b, err := os.ReadFile("../testdata/vectors/gs1.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vectorFile
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	// The JSON keys min_length and max_length.
	var raw struct {
		AITable []struct {
			Min int `json:"min_length"`
			Max int `json:"max_length"`
		} `json:"ai_table"`
	}
	json.Unmarshal(b, &raw)
	for i := range v.AITable {
		v.AITable[i].MinLen, v.AITable[i].MaxLen = raw.AITable[i].Min, raw.AITable[i].Max
	}
	return v
}

func TestVectors(t *testing.T) {
	v := loadVectors(t)
	for _, c := range v.Cases {
		t.Run(c.Name, func(t *testing.T) {
			var m Message
			var err error
			switch c.Form {
			case "bracketed":
				m, err = ParseBracketed(c.Input)
				if m2, err2 := ParseScan(c.Input); scanerr.KindOf(err2) != scanerr.KindOf(err) || len(m2) != len(m) {
					t.Errorf("ParseScan disagrees with ParseBracketed: %v, %v", m2, err2)
				}
			case "raw":
				m, err = Parse(c.Input)
			default:
				m, err = ParseScan(c.Input)
			}
			if c.Expect.Error != "" {
				if k := scanerr.KindOf(err); string(k) != c.Expect.Error {
					t.Fatalf("error %v (kind %q), want %s", err, k, c.Expect.Error)
				}
				var e *scanerr.Error
				errors.As(err, &e)
				if c.Expect.AI != "" && e.AI != c.Expect.AI {
					t.Errorf("error AI %q, want %q", e.AI, c.Expect.AI)
				}
				if c.Expect.AIPrefix != "" && !strings.HasPrefix(e.AI, c.Expect.AIPrefix) {
					t.Errorf("error AI %q, want it to start with %q", e.AI, c.Expect.AIPrefix)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(m) != len(c.Expect.Elements) {
				t.Fatalf("elements %v, want %v", m, c.Expect.Elements)
			}
			for i, e := range c.Expect.Elements {
				if m[i].AI != e[0] || m[i].Value != e[1] {
					t.Errorf("element %d: %s=%q, want %s=%q", i, m[i].AI, m[i].Value, e[0], e[1])
				}
			}
			mm := m.Map()
			if len(mm) != len(c.Expect.AIs) {
				t.Errorf("map %v, want %v", mm, c.Expect.AIs)
			}
			for k, want := range c.Expect.AIs {
				if mm[k] != want {
					t.Errorf("map[%s] = %q, want %q", k, mm[k], want)
				}
			}
			for ai, d := range c.Expect.Derived {
				val := mm[ai]
				if want, ok := d["date"]; ok {
					got, err := DateOf(ai, val, ref)
					if err != nil {
						t.Fatalf("DateOf(%s): %v", ai, err)
					}
					if got.String() != want {
						t.Errorf("date of (%s) = %s, want %s", ai, got, want)
					}
					if day00, _ := d["day_00"].(bool); got.Day00 != day00 {
						t.Errorf("(%s) Day00 = %v, want %v", ai, got.Day00, day00)
					}
					if want, ok := d["time"]; ok {
						if s := twoDigits(got.Hour) + ":" + twoDigits(got.Minute); !got.HasTime || s != want {
							t.Errorf("time of (%s) = %s (has %v), want %s", ai, s, got.HasTime, want)
						}
					}
				}
				if want, ok := d["decimal"]; ok {
					dec, unit, err := DecimalOf(ai, val)
					if err != nil {
						t.Fatalf("DecimalOf(%s): %v", ai, err)
					}
					if dec.String() != want {
						t.Errorf("decimal of (%s) = %s, want %s", ai, dec, want)
					}
					if want, ok := d["unit"]; ok && unit != want {
						t.Errorf("unit of (%s) = %q, want %q", ai, unit, want)
					}
				}
				if want, ok := d["grams"]; ok {
					mass, err := Mass(ai, val)
					if err != nil {
						t.Fatalf("Mass(%s): %v", ai, err)
					}
					if g := mass.Grams(); float64(g) != want.(float64) {
						t.Errorf("mass of (%s) = %d g, want %v g", ai, g, want)
					}
				}
			}
		})
	}
}

func twoDigits(n int) string { return string([]byte{byte('0' + n/10), byte('0' + n%10)}) }

// TestTable checks the embedded syntax dictionary against the AI table of the vectors.
func TestTable(t *testing.T) {
	v := loadVectors(t)
	for _, row := range v.AITable {
		t.Run(row.AI, func(t *testing.T) {
			lo, hi, _ := strings.Cut(row.AI, "-")
			if hi == "" {
				hi = lo
			}
			for _, ai := range []string{lo, hi} {
				a, ok := Lookup(ai)
				if !ok {
					t.Fatalf("AI %s missing", ai)
				}
				if a.Title != row.Title || a.Format != row.Format || a.Predefined != row.Predefined ||
					a.FNC1Required() != row.FNC1 || a.MinLen != row.MinLen || a.MaxLen != row.MaxLen ||
					a.CheckDigit() != row.CheckDigit || a.IsDate() != row.Date {
					t.Errorf("AI %s = %+v (fnc1 %v, check %v, date %v), want %+v", ai, *a, a.FNC1Required(), a.CheckDigit(), a.IsDate(), row)
				}
			}
		})
	}
	if n := len(Table()); n < 400 {
		t.Errorf("only %d AIs in the table", n)
	}
}

// TestOwnCases adds cases from the GS1 General Specifications and the syntax dictionary's rules.
func TestOwnCases(t *testing.T) {
	for _, c := range []struct {
		name, in string
		want     string // bracketed form of the result, or the error kind
	}{
		// GS1 General Specifications 7.9.5 example of a GMN (8013) with its check character pair.
		{"GMN check character pair", "(01)09521234543213(8013)1987654Ad4X4bL5ttr2310c2K", "(01)09521234543213(8013)1987654Ad4X4bL5ttr2310c2K"},
		{"GMN bad check pair", "(8013)1987654Ad4X4bL5ttr2310c2L", "bad_check_digit"},
		// General Specifications 3.2 example element strings.
		{"SSCC + count", "]C1003123456789012345612012", "(00)312345678901234561(20)12"},
		{"predefined 11 and 15", "]C1112601011526120017201200\x1d3012", "(11)260101(15)261200(17)201200(30)12"},
		{"day 00 only where allowed (7006 yymmdd)", "(01)09521234543213(7006)260100", "bad_date"},
		{"8008 with hour only", "(01)09521234543213(8008)26113014", "(01)09521234543213(8008)26113014"},
		{"8008 bad hour", "(01)09521234543213(8008)26113024", "bad_date"},
		{"8003 first digit must be zero", "(8003)15901234000147", "bad_format"},
		{"8006 piece over total", "(8006)095212345432130302", "bad_format"},
		{"8006 piece of total", "(8006)095212345432130203", "(8006)095212345432130203"},
		{"402 GSIN check digit", "(402)95212345678901238", "bad_check_digit"},
		{"402 GSIN ok", "(402)95212345678901235", "(402)95212345678901235"},
		{"escaped parenthesis in bracketed value", `(01)09521234543213(10)A\(1`, `(01)09521234543213(10)A\(1`},
		{"leading GS tolerated", "\x1d0109521234543213", "(01)09521234543213"},
		{"double GS", "]C11012\x1d\x1d21X", "bad_format"},
		{"empty variable field", "]C110\x1d21X", "bad_length"},
		{"AI cut short at the end", "]C1010952123454321331", "unknown_ai"},
		{"lone digit at the end", "]C101095212345432133", "unknown_ai"},
		{"non-GS1 identifier", "]d1010952123454321", "not_gs1"},
		{"empty", "]C1", "empty"},
		{"only separators", "\x1d\x1d", "empty"},
		{"CSET 39 field (8010)", "(8010)95212345AB#-/(8011)12", "(8010)95212345AB#-/(8011)12"},
		{"CSET 39 field with lower case", "(8010)95212345ab", "bad_character"},
		{"8011 no zero prefix", "(8010)95212345AB(8011)012", "bad_format"},
		{"4321 yes/no", "(00)095212345678901235(4321)2", "bad_format"},
		{"4330 temperature with minus", "(00)095212345678901235(4330)001234-", "(00)095212345678901235(4330)001234-"},
		{"4330 temperature bad sign", "(00)095212345678901235(4330)001234+", "bad_format"},
		{"7003 bad minute", "(01)09521234543213(7003)2712311460", "bad_date"},
		{"bracketed without AI", "(01", "bad_format"},
		{"bracketed junk before", "x(01)09521234543213", "unknown_ai"},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := ParseScan(c.in)
			if err != nil {
				if k := scanerr.KindOf(err); string(k) != c.want {
					t.Fatalf("%q: error %v, want %s", c.in, err, c.want)
				}
				return
			}
			if got := m.String(); got != c.want {
				t.Errorf("%q: %s, want %s", c.in, got, c.want)
			}
		})
	}
}

func TestDates(t *testing.T) {
	for _, c := range []struct {
		ai, v string
		now   time.Time
		want  string
	}{
		// jodal/biip tests: '15200200' -> 2020-02-29, '15210200' -> 2021-02-28, '17211200' -> 2021-12-31.
		{"15", "200200", ref, "2020-02-29"},
		{"15", "210200", ref, "2021-02-28"},
		{"17", "211200", ref, "2021-12-31"},
		// Century window, GS1 General Specifications 7.12: from 2026, 77 is 1977 and 76 is 2076.
		{"17", "770101", ref, "1977-01-01"},
		{"17", "760101", ref, "2076-01-01"},
		// From 2080, 29 is 2129 (50 or more behind: next century), 31 is 2031.
		{"17", "290101", time.Date(2080, 1, 1, 0, 0, 0, 0, time.UTC), "2129-01-01"},
		{"17", "310101", time.Date(2080, 1, 1, 0, 0, 0, 0, time.UTC), "2031-01-01"},
		{"7250", "19991231", ref, "1999-12-31"},
	} {
		d, err := DateOf(c.ai, c.v, c.now)
		if err != nil || d.String() != c.want {
			t.Errorf("DateOf(%s, %s, %d) = %v, %v; want %s", c.ai, c.v, c.now.Year(), d, err, c.want)
		}
	}
	if s, err := ExpiryDate("270600", ref); s != "2027-06-30" || err != nil {
		t.Errorf("ExpiryDate(270600) = %q, %v", s, err)
	}
	if _, err := ExpiryDate("270631", ref); !errors.Is(err, scanerr.BadDate) {
		t.Errorf("ExpiryDate(270631): %v, want bad_date", err)
	}
	if _, err := DateOf("10", "ABC", ref); !errors.Is(err, scanerr.BadFormat) {
		t.Errorf("DateOf(10): %v, want bad_format", err)
	}
	m, _ := Parse("010952123454321317270600")
	if d, ok := m.Expiry(ref); !ok || d.String() != "2027-06-30" || !d.Day00 {
		t.Errorf("Expiry = %v, %v", d, ok)
	}
}

func TestDecimals(t *testing.T) {
	for _, c := range []struct {
		ai, v, dec, unit string
		mg               int64 // -1: not a mass
	}{
		{"3100", "000012", "12", "kg", 12_000_000},
		{"3105", "000012", "0.00012", "kg", 120},
		{"3560", "000001", "1", "tr oz", 31_103}, // 31.1034768 g
		{"3401", "000010", "1.0", "lb", 453_592}, // 453.59237 g
		{"3125", "123456", "1.23456", "m", -1},
		{"3370", "000123", "123", "kg/m²", -1},
		{"3932", "97812345", "123.45", "978", -1},
		{"3632", "000250", "2.50", "gal (US)", -1},
	} {
		d, unit, err := DecimalOf(c.ai, c.v)
		if err != nil || d.String() != c.dec || unit != c.unit {
			t.Errorf("DecimalOf(%s, %s) = %s %q, %v; want %s %q", c.ai, c.v, d, unit, err, c.dec, c.unit)
		}
		m, err := Mass(c.ai, c.v)
		switch {
		case c.mg < 0 && err == nil:
			t.Errorf("Mass(%s) = %v, want an error", c.ai, m)
		case c.mg >= 0 && (err != nil || int64(m) != c.mg):
			t.Errorf("Mass(%s, %s) = %d mg, %v; want %d mg", c.ai, c.v, m, err, c.mg)
		}
	}
	if _, _, err := DecimalOf("01", "09521234543213"); !errors.Is(err, scanerr.BadFormat) {
		t.Errorf("DecimalOf(01): %v", err)
	}
}

func TestMessageHelpers(t *testing.T) {
	m, err := ParseScan("]d20109521234543213172712001021ABC\x1d21SN-9")
	if err != nil {
		t.Fatal(err)
	}
	if m.GTIN() != "09521234543213" || m.Lot() != "21ABC" || m.Serial() != "SN-9" {
		t.Errorf("GTIN %q lot %q serial %q", m.GTIN(), m.Lot(), m.Serial())
	}
	if _, ok := m.Get("400"); ok {
		t.Error("Get(400) found")
	}
	if Message(nil).Map() != nil {
		t.Error("nil Map")
	}
}

func TestErrorPositions(t *testing.T) {
	_, err := ParseScan("]C10109521234543213" + "10ABC\x1d17271332")
	var e *scanerr.Error
	if !errors.As(err, &e) || e.Kind != scanerr.BadDate || e.AI != "17" || e.Pos != len("]C1010952123454321310ABC\x1d17")+2 {
		t.Errorf("error %#v", err)
	}
	if !strings.Contains(err.Error(), "(17)") {
		t.Errorf("message %q does not name the AI", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"]C1010590123412345710ABC123\x1d17271231",
		"(01)05901234123457(17)280229(10)A1",
		"]d201059012341234571727123110LOT42\x1d21SN7",
		"(8013)1987654Ad4X4bL5ttr2310c2K",
		"]e0010590123412345731030007503922399",
		"(8006)095212345432130203(7003)2712311430",
		"\x1d\x1d", "(", "]", "]Y9", "(01\\(",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, parse := range []func(string) (Message, error){ParseScan, Parse, ParseBracketed} {
			m, err := parse(s)
			if err != nil {
				if scanerr.KindOf(err) == "" {
					t.Fatalf("%q: untyped error %v", s, err)
				}
				continue
			}
			// Whatever parses must survive a round trip through the bracketed form.
			m2, err := ParseBracketed(m.String())
			if err != nil || len(m2) != len(m) {
				t.Fatalf("%q: round trip of %s: %v, %v", s, m, m2, err)
			}
			for i := range m {
				if m[i] != m2[i] {
					t.Fatalf("%q: round trip changed %v to %v", s, m[i], m2[i])
				}
				if a, _ := Lookup(m[i].AI); a.IsDate() {
					if _, err := DateOf(m[i].AI, m[i].Value, ref); err != nil && scanerr.KindOf(err) == "" {
						t.Fatalf("DateOf: untyped %v", err)
					}
				}
			}
		}
	})
}

// BenchmarkParse40 decodes a 40-character element string (issue #4: under 5 µs, at most 2
// allocations).
func BenchmarkParse40(b *testing.B) {
	s := "]C1010590123412345710ABC123\x1d1727123121SN"
	if len(s) != 40 {
		b.Fatalf("input is %d characters", len(s))
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseScan(s); err != nil {
			b.Fatal(err)
		}
	}
}
