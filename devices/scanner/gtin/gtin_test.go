package gtin

import (
	"encoding/json"
	"errors"
	"os"
	"testing"

	"github.com/stationd/stationd/devices/scanner/scanerr"
)

func TestVectors(t *testing.T) {
	b, err := os.ReadFile("../testdata/vectors/gtin.json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Cases []struct {
			Name, Kind, Input string
			Expect            struct {
				Valid    bool
				Type     string
				GTIN14   string `json:"gtin14"`
				UPCA     string `json:"upc_a"`
				Error    string
				Expected string `json:"expected_check_digit"`
			}
		}
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	for _, c := range v.Cases {
		t.Run(c.Name, func(t *testing.T) {
			var got string
			var err error
			if c.Kind == "upce" {
				got, err = ExpandUPCE(c.Input)
			} else {
				got, err = Normalize(c.Input)
			}
			if !c.Expect.Valid {
				var e *scanerr.Error
				if !errors.As(err, &e) || string(e.Kind) != c.Expect.Error {
					t.Fatalf("%q: %q, %v; want error %s", c.Input, got, err, c.Expect.Error)
				}
				if e.Want != c.Expect.Expected {
					t.Errorf("expected check digit %q, want %q", e.Want, c.Expect.Expected)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Kind == "upce" {
				if got != c.Expect.UPCA {
					t.Errorf("UPC-A %s, want %s", got, c.Expect.UPCA)
				}
				if got, err = Normalize(got); err != nil {
					t.Fatal(err)
				}
			} else if Type(c.Input) != c.Expect.Type {
				t.Errorf("type %s, want %s", Type(c.Input), c.Expect.Type)
			}
			if got != c.Expect.GTIN14 {
				t.Errorf("GTIN-14 %s, want %s", got, c.Expect.GTIN14)
			}
		})
	}
}

func TestEqual(t *testing.T) {
	for _, c := range []struct {
		a, b string
		eq   bool
	}{
		{"5901234123457", "05901234123457", true},
		{"036000291452", "0036000291452", true},
		{"96385074", "00000096385074", true},
		{"5901234123457", "5901234123458", false},
		{"5901234123457", "", false},
	} {
		if Equal(c.a, c.b) != c.eq {
			t.Errorf("Equal(%q, %q) = %v", c.a, c.b, !c.eq)
		}
	}
}

func TestCheckDigitErrors(t *testing.T) {
	if _, err := CheckDigit(""); !errors.Is(err, scanerr.BadLength) {
		t.Errorf("empty: %v", err)
	}
	if _, err := CheckDigit("12a"); !errors.Is(err, scanerr.BadCharacter) {
		t.Errorf("letter: %v", err)
	}
	if err := Verify("1234567x"); !errors.Is(err, scanerr.BadCharacter) {
		t.Errorf("letter as check digit: %v", err)
	}
	if _, err := ExpandUPCE("0123456789"); !errors.Is(err, scanerr.BadLength) {
		t.Errorf("UPC-E length: %v", err)
	}
	if _, err := ExpandUPCE("01x345"); !errors.Is(err, scanerr.BadCharacter) {
		t.Errorf("UPC-E letter: %v", err)
	}
}

func FuzzNormalize(f *testing.F) {
	f.Add("5901234123457")
	f.Add("04252614")
	f.Fuzz(func(t *testing.T, s string) {
		if g, err := Normalize(s); err == nil {
			if len(g) != 14 || Verify(g) != nil {
				t.Fatalf("Normalize(%q) = %q", s, g)
			}
		} else if scanerr.KindOf(err) == "" {
			t.Fatalf("untyped %v", err)
		}
		if a, err := ExpandUPCE(s); err == nil {
			if len(a) != 12 || Verify(a) != nil {
				t.Fatalf("ExpandUPCE(%q) = %q", s, a)
			}
		} else if scanerr.KindOf(err) == "" {
			t.Fatalf("untyped %v", err)
		}
	})
}
