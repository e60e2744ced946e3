package aim

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/stationd/stationd/devices/scanner/scanerr"
)

func TestVectors(t *testing.T) {
	b, err := os.ReadFile("../testdata/vectors/aim.json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Cases []struct {
			Name, Input, Terminator string
			Expect                  struct {
				Kind          string
				Error         string
				AIM           *string
				CodeCharacter string `json:"code_character"`
				Modifier      string
				Symbology     string
				GS1Symbology  *string `json:"gs1_symbology"`
				ElementString bool    `json:"gs1_element_string"`
				Data          string
			}
		}
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	for _, c := range v.Cases {
		t.Run(c.Name, func(t *testing.T) {
			in, ok := strings.CutSuffix(c.Input, c.Terminator)
			if !ok {
				t.Fatalf("input %q does not end with its terminator", c.Input)
			}
			id, data, err := Split(in)
			if c.Expect.Kind == "error" {
				if string(scanerr.KindOf(err)) != c.Expect.Error {
					t.Fatalf("error %v, want %s", err, c.Expect.Error)
				}
				if c.Expect.AIM != nil && id.String() != *c.Expect.AIM {
					t.Errorf("identifier %q, want %q", id, *c.Expect.AIM)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := ""
			if c.Expect.AIM != nil {
				want = *c.Expect.AIM
			}
			if id.String() != want || data != c.Expect.Data {
				t.Errorf("Split = %q, %q; want %q, %q", id, data, want, c.Expect.Data)
			}
			if id.Code == 0 {
				return
			}
			if string(id.Code) != c.Expect.CodeCharacter || id.Modifier != c.Expect.Modifier {
				t.Errorf("code %c modifier %q", id.Code, id.Modifier)
			}
			if id.Symbology() != c.Expect.Symbology {
				t.Errorf("symbology %q, want %q", id.Symbology(), c.Expect.Symbology)
			}
			gs1 := ""
			if c.Expect.GS1Symbology != nil {
				gs1 = *c.Expect.GS1Symbology
			}
			if id.GS1() != gs1 {
				t.Errorf("GS1 symbology %q, want %q", id.GS1(), gs1)
			}
			if id.ElementString() != c.Expect.ElementString {
				t.Errorf("element string %v", id.ElementString())
			}
		})
	}
}

func TestSplitMore(t *testing.T) {
	for _, c := range []struct {
		in, id, rest string
		err          error
	}{
		{"]Y1ab", "]Y1a", "b", nil},
		{"]Y9ab", "", "]Y9ab", scanerr.BadSymbologyIdentifier},
		{"]", "", "]", scanerr.BadSymbologyIdentifier},
		{"", "", "", nil},
		{"]z0", "]z0", "", nil},
	} {
		id, rest, err := Split(c.in)
		if id.String() != c.id || rest != c.rest || !errors.Is(err, c.err) && err != c.err {
			t.Errorf("Split(%q) = %q, %q, %v; want %q, %q, %v", c.in, id, rest, err, c.id, c.rest, c.err)
		}
	}
}

func FuzzSplit(f *testing.F) {
	f.Add("]E05901234123457")
	f.Add("]Y3abcd")
	f.Fuzz(func(t *testing.T, s string) {
		id, rest, err := Split(s)
		if err != nil {
			if scanerr.KindOf(err) == "" {
				t.Fatalf("untyped %v", err)
			}
			return
		}
		if id.String()+rest != s {
			t.Fatalf("Split(%q) = %q + %q", s, id, rest)
		}
	})
}
