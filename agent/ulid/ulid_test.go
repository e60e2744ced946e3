package ulid

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

// specTime is the time of the example in the spec's README: 01ARYZ6S41TSV4RRFFQ69G5FAV.
const specTime = 1469918176385

func TestSpecExample(t *testing.T) {
	u, err := Parse("01ARYZ6S41TSV4RRFFQ69G5FAV")
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Time(); got != specTime {
		t.Errorf("Time() = %d, want %d", got, specTime)
	}
	if got := u.String(); got != "01ARYZ6S41TSV4RRFFQ69G5FAV" {
		t.Errorf("String() = %s", got)
	}
	// The same time with any randomness encodes to the spec's 10-character time prefix.
	v, err := New(time.UnixMilli(specTime), bytes.NewReader(u[6:]))
	if err != nil {
		t.Fatal(err)
	}
	if v != u {
		t.Errorf("New(spec time, spec randomness) = %s, want %s", v, u)
	}
	w, err := New(time.UnixMilli(specTime), zeroReader{})
	if err != nil {
		t.Fatal(err)
	}
	if got := w.String(); got != "01ARYZ6S410000000000000000" {
		t.Errorf("zero randomness: %s", got)
	}
}

func TestEncoding(t *testing.T) {
	var maxU ULID
	for i := range maxU {
		maxU[i] = 0xFF
	}
	for _, tc := range []struct {
		name string
		u    ULID
		text string
	}{
		{"zero", ULID{}, "00000000000000000000000000"},
		{"max", maxU, "7ZZZZZZZZZZZZZZZZZZZZZZZZZ"},
		{"one", ULID{15: 1}, "00000000000000000000000001"},
		{"32", ULID{15: 32}, "00000000000000000000000010"},
		{"top bit", ULID{0: 0x80}, "40000000000000000000000000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.u.String(); got != tc.text {
				t.Errorf("String() = %s, want %s", got, tc.text)
			}
			got, err := Parse(tc.text)
			if err != nil || got != tc.u {
				t.Errorf("Parse(%s) = %x, %v", tc.text, got, err)
			}
			got, err = Parse(strings.ToLower(tc.text))
			if err != nil || got != tc.u {
				t.Errorf("Parse(lower %s) = %x, %v", tc.text, got, err)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		text string
		want error
	}{
		{"", ErrLength},
		{"01ARYZ6S41TSV4RRFFQ69G5FA", ErrLength},
		{"01ARYZ6S41TSV4RRFFQ69G5FAVV", ErrLength},
		{"80000000000000000000000000", ErrOverflow},
		{"ZZZZZZZZZZZZZZZZZZZZZZZZZZ", ErrOverflow},
		{"01ARYZ6S41TSV4RRFFQ69G5FAU", ErrCharacter},
		{"01ARYZ6S41TSV4RRFFQ69G5FAI", ErrCharacter},
		{"01ARYZ6S41TSV4RRFFQ69G5FAL", ErrCharacter},
		{"01ARYZ6S41TSV4RRFFQ69G5FAO", ErrCharacter},
		{"01ARYZ6S41TSV4RRFFQ69G5FA-", ErrCharacter},
		{"01ARYZ6S41TSV4RRFFQ69G5FA\xff", ErrCharacter},
	} {
		t.Run(tc.text, func(t *testing.T) {
			_, err := Parse(tc.text)
			if !errors.Is(err, tc.want) {
				t.Errorf("Parse(%q) = %v, want %v", tc.text, err, tc.want)
			}
		})
	}
}

func TestTimeRange(t *testing.T) {
	if _, err := New(time.UnixMilli(-1), nil); !errors.Is(err, ErrTime) {
		t.Errorf("before epoch: %v", err)
	}
	if _, err := New(time.UnixMilli(MaxTime+1), nil); !errors.Is(err, ErrTime) {
		t.Errorf("after MaxTime: %v", err)
	}
	u, err := New(time.UnixMilli(MaxTime), nil)
	if err != nil || u.Time() != MaxTime || u.String()[:10] != "7ZZZZZZZZZ" {
		t.Errorf("MaxTime: %s %v", u, err)
	}
	if got := u.Timestamp(); got.UnixMilli() != MaxTime {
		t.Errorf("Timestamp() = %v", got)
	}
}

func TestGeneratorMonotonic(t *testing.T) {
	g := NewGenerator(zeroReader{})
	at := time.UnixMilli(specTime)
	var ids []string
	for range 1000 {
		u, err := g.New(at)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.String())
	}
	if !slices.IsSorted(ids) {
		t.Error("ids within one millisecond are not sorted")
	}
	if ids[0] != "01ARYZ6S410000000000000000" || ids[1] != "01ARYZ6S410000000000000001" || ids[32] != "01ARYZ6S410000000000000010" {
		t.Errorf("increments: %s %s %s", ids[0], ids[1], ids[32])
	}
	if len(slices.Compact(slices.Clone(ids))) != len(ids) {
		t.Error("duplicate ids")
	}

	// The clock stepping back keeps the previous time and still increases.
	back, err := g.New(at.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if back.String() <= ids[len(ids)-1] || back.Time() != specTime {
		t.Errorf("after clock step back: %s (previous %s)", back, ids[len(ids)-1])
	}

	// A later millisecond takes fresh randomness and sorts after.
	later, err := g.New(at.Add(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if later.Time() != specTime+1 || later.Compare(back) != 1 {
		t.Errorf("next millisecond: %s", later)
	}
}

func TestGeneratorOverflow(t *testing.T) {
	g := NewGenerator(ffReader{})
	at := time.UnixMilli(specTime)
	if _, err := g.New(at); err != nil {
		t.Fatal(err)
	}
	if _, err := g.New(at); !errors.Is(err, ErrMonotonicOverflow) {
		t.Errorf("second id after all-ones randomness: %v", err)
	}
}

func TestRandomnessError(t *testing.T) {
	if _, err := New(time.UnixMilli(1), io.LimitReader(zeroReader{}, 3)); err == nil {
		t.Error("short randomness accepted")
	}
}

func TestSortable(t *testing.T) {
	g := NewGenerator(nil)
	var ids []string
	var us []ULID
	for i := range 200 {
		u, err := g.New(time.UnixMilli(specTime + int64(i/7)))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.String())
		us = append(us, u)
	}
	if !slices.IsSorted(ids) || !slices.IsSortedFunc(us, ULID.Compare) {
		t.Error("generator output does not sort in generation order")
	}
}

func TestTextMarshaling(t *testing.T) {
	u, _ := New(time.UnixMilli(specTime), nil)
	b, err := u.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	var v ULID
	if err := v.UnmarshalText(b); err != nil || v != u {
		t.Errorf("round trip: %s -> %s, %v", u, v, err)
	}
	if err := v.UnmarshalText([]byte("x")); !errors.Is(err, ErrLength) {
		t.Errorf("UnmarshalText(x) = %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add("01ARYZ6S41TSV4RRFFQ69G5FAV")
	f.Add("7ZZZZZZZZZZZZZZZZZZZZZZZZZ")
	f.Add("01aryz6s41tsv4rrffq69g5fav")
	f.Add("80000000000000000000000000")
	f.Fuzz(func(t *testing.T, s string) {
		u, err := Parse(s)
		if err != nil {
			return
		}
		if got := u.String(); got != strings.ToUpper(s) {
			t.Errorf("Parse(%q).String() = %q", s, got)
		}
		v, err := Parse(u.String())
		if err != nil || v != u {
			t.Errorf("round trip of %q: %x %v", s, v, err)
		}
	})
}

func BenchmarkGenerator(b *testing.B) {
	g := NewGenerator(nil)
	now := time.Now()
	for b.Loop() {
		if _, err := g.New(now); err != nil {
			b.Fatal(err)
		}
	}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

type ffReader struct{}

func (ffReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 0xFF
	}
	return len(p), nil
}
