package scaletest

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"

	"github.com/stationd/stationd/protocol/units"
)

// Vector is one case of a protocol vector file (shared/vectors, copied byte for byte into
// devices/scale/testdata/vectors): what the host sends, what the scale answers, what it means.
type Vector struct {
	Name       string         `json:"name"`
	Protocol   string         `json:"protocol"` // toledo: 8213 or 8217
	Mode       string         `json:"mode"`     // toledo: kg or lb
	Format     string         `json:"format"`   // cas: A, B or C
	Host       string         `json:"host"`
	Input      string         `json:"input"`
	InputHex   string         `json:"input_hex"`
	Chunks     []string       `json:"chunks"`
	Steps      []Step         `json:"steps"`
	Expect     map[string]any `json:"expect"`
	Confidence string         `json:"confidence"`
}

// Step is one host/device exchange of a multi-step case (CAS PD-II).
type Step struct {
	HostHex  string `json:"host_hex"`
	InputHex string `json:"input_hex"`
}

// LoadVectors reads a vector file's cases.
func LoadVectors(t testing.TB, path string) []Vector {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Cases []Vector `json:"cases"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(f.Cases) == 0 {
		t.Fatalf("%s: no cases", path)
	}
	return f.Cases
}

// Bytes returns the device's bytes: Input, or InputHex decoded.
func (v Vector) Bytes() []byte {
	if v.InputHex != "" {
		return MustHex(v.InputHex)
	}
	return []byte(v.Input)
}

// ChunkBytes returns Chunks as byte slices, or Bytes cut into pieces of n bytes when the case
// gives no chunks.
func (v Vector) ChunkBytes(n int) [][]byte {
	if len(v.Chunks) > 0 {
		out := make([][]byte, len(v.Chunks))
		for i, c := range v.Chunks {
			out[i] = []byte(c)
		}
		return out
	}
	var out [][]byte
	b := v.Bytes()
	for len(b) > n {
		out = append(out, b[:n])
		b = b[n:]
	}
	return append(out, b)
}

// Str returns expect[key] as a string.
func (v Vector) Str(key string) string {
	s, _ := v.Expect[key].(string)
	return s
}

// Int returns expect[key] as an integer, and whether it is one.
func (v Vector) Int(key string) (int64, bool) {
	f, ok := v.Expect[key].(float64)
	return int64(f), ok
}

// Bool returns expect[key] as a bool, and whether it is one.
func (v Vector) Bool(key string) (bool, bool) {
	b, ok := v.Expect[key].(bool)
	return b, ok
}

// Readings returns the expected readings of a "stream" case, each as a Vector whose Expect is
// the reading.
func (v Vector) Readings() []Vector {
	list, _ := v.Expect["readings"].([]any)
	out := make([]Vector, 0, len(list))
	for _, r := range list {
		m, _ := r.(map[string]any)
		out = append(out, Vector{Name: v.Name, Expect: m})
	}
	return out
}

// CheckMass compares m with the case's "grams" and "mg" fields, when present.
func (v Vector) CheckMass(t testing.TB, m units.Mass) {
	t.Helper()
	if mg, ok := v.Int("mg"); ok && int64(m) != mg {
		t.Errorf("mass %d mg, want %d mg", int64(m), mg)
	}
	if g, ok := v.Int("grams"); ok && m.Grams() != g {
		t.Errorf("grams %d, want %d", m.Grams(), g)
	}
}

// MustHex decodes a hex string or panics: for literals in tests.
func MustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// CheckStream reads a stream case: every reading read must be the next expected one or a later
// one (a streaming driver returns the newest frame and may skip some), and the last expected
// reading must come.
func CheckStream(t testing.TB, read func() (units.Mass, bool, error), want []Vector) {
	t.Helper()
	next := 0
	for next < len(want) {
		m, stable, err := read()
		if err != nil {
			t.Fatalf("after %d of %d readings: %v", next, len(want), err)
		}
		found := false
		for next < len(want) && !found {
			w := want[next]
			next++
			mg, _ := w.Int("mg")
			st, _ := w.Bool("stable")
			found = int64(m) == mg && stable == st
		}
		if !found {
			t.Fatalf("reading %v (stable %v) is not among the expected ones", m, stable)
		}
	}
}
