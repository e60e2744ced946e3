package scale

import (
	"errors"
	"math/big"
	"testing"

	"github.com/stationd/stationd/protocol/units"
)

func TestParseMass(t *testing.T) {
	for _, c := range []struct {
		in   string
		u    Unit
		want units.Mass // milligrams
		err  string
	}{
		{"100.00", Gram, 100000, ""},
		{"-0.0082", Gram, -8, ""},
		{"1.2345", Kilogram, 1234500, ""},
		{"-2.0005", Kilogram, -2000500, ""},
		{"2.2046", Pound, 999990, ""},       // 999 989.7 mg
		{"12.50", Ounce, 354369, ""},        // 354 369.0390625 mg
		{"1500.0", Milligram, 1500, ""},     //
		{"0.00004", Gram, 0, ""},            // 0.04 mg
		{"0.0005", Gram, 1, ""},             // 0.5 mg: half away from zero
		{"-0.0005", Gram, -1, ""},           //
		{"-0.0004", Gram, 0, ""},            // never -0
		{"+  1.234", Kilogram, 1234000, ""}, // CAS
		{"  012.345 ", Kilogram, 12345000, ""},
		{"5", Carat, 1000, ""},
		{"1", Grain, 65, ""},           // 64.79891 mg
		{"1", Pennyweight, 1555, ""},   // 1 555.17384 mg
		{"1", TroyOunce, 31103, ""},    // 31 103.4768 mg
		{"1", ShortTon, 907184740, ""}, //
		{"1500", Microgram, 2, ""},     // 1.5 mg
		{".5", Gram, 500, ""},
		{"5.", Gram, 5000, ""},
		{"", Gram, 0, CodeParse},
		{"-", Gram, 0, CodeParse},
		{".", Gram, 0, CodeParse},
		{"4x.1", Gram, 0, CodeParse},
		{"1.2.3", Gram, 0, CodeParse},
		{"1 2", Gram, 0, CodeParse},
		{"--1", Gram, 0, CodeParse},
		{"12345678901234567890", Gram, 0, CodeParse},
		{"9999999999999999", Kilogram, 0, CodeParse}, // overflows int64 mg
		{"1", UnitNone, 0, CodeUnknownUnit},
	} {
		got, err := ParseMass([]byte(c.in), c.u)
		if Code(err) != c.err || (c.err == "" && got != c.want) {
			t.Errorf("ParseMass(%q, %v) = %d mg, %v; want %d mg, %q", c.in, c.u, int64(got), err, int64(c.want), c.err)
		}
	}
}

// TestMassOfExact compares MassOf with big.Rat arithmetic over many values and every unit.
func TestMassOfExact(t *testing.T) {
	for u := Microgram; u <= ShortTon; u++ {
		factor := new(big.Rat).SetFrac(new(big.Int).SetUint64(unitTable[u].num), new(big.Int).SetUint64(unitTable[u].den))
		for _, mant := range []uint64{0, 1, 5, 49, 50, 51, 999, 12345, 65535, 1e6 + 3, 987654321} {
			for exp := -6; exp <= 3; exp++ {
				for _, neg := range []bool{false, true} {
					got, err := MassOf(neg, mant, exp, u)
					exact := new(big.Rat).SetInt(new(big.Int).SetUint64(mant))
					p := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs64(exp))), nil))
					if exp < 0 {
						exact.Quo(exact, p)
					} else {
						exact.Mul(exact, p)
					}
					exact.Mul(exact, factor)
					want := roundHalfAway(exact)
					if neg {
						want.Neg(want)
					}
					if !want.IsInt64() {
						if err == nil {
							t.Errorf("MassOf(%v, %d, %d, %v) = %d, want an overflow", neg, mant, exp, u, got)
						}
						continue
					}
					if err != nil || int64(got) != want.Int64() {
						t.Errorf("MassOf(%v, %d, %d, %v) = %d, %v; want %d", neg, mant, exp, u, got, err, want.Int64())
					}
				}
			}
		}
	}
}

func abs64(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func roundHalfAway(r *big.Rat) *big.Int {
	num, den := new(big.Int).Set(r.Num()), r.Denom()
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	if new(big.Int).Mul(m, big.NewInt(2)).CmpAbs(den) >= 0 {
		q.Add(q, big.NewInt(int64(num.Sign())))
	}
	return q
}

func TestParseUnit(t *testing.T) {
	for s, want := range map[string]Unit{"g": Gram, "G": Gram, "kg": Kilogram, "KG": Kilogram, "lb": Pound, "LB": Pound,
		"lbs": Pound, "oz": Ounce, "ozt": TroyOunce, "ct": Carat, "GN": Grain, "dwt": Pennyweight, "mg": Milligram, "t": MetricTon} {
		if got, ok := ParseUnit(s); !ok || got != want {
			t.Errorf("ParseUnit(%q) = %v, %v; want %v", s, got, ok, want)
		}
	}
	for _, s := range []string{"", "%", "PCS", "tl", "kgs "} {
		if _, ok := ParseUnit(s); ok {
			t.Errorf("ParseUnit(%q) accepted", s)
		}
	}
}

func TestErrors(t *testing.T) {
	err := NewError("scale1 (/dev/ttyUSB0)", CodeOverload, `balance answered "S +"`)
	if !errors.Is(err, ErrOverload) || errors.Is(err, ErrUnderload) || Code(err) != CodeOverload {
		t.Fatalf("Is/Code: %v", err)
	}
	want := `scale1 (/dev/ttyUSB0): overload: balance answered "S +": the load is above the scale's capacity: take weight off the platter`
	if err.Error() != want {
		t.Errorf("Error() = %q\nwant      %q", err, want)
	}
	wrapped := errors.Join(errors.New("x"), WithDevice(&Error{Code: CodeTimeout}, "scale2"))
	if !errors.Is(wrapped, ErrTimeout) || Code(wrapped) != CodeTimeout {
		t.Errorf("wrapped: %v", wrapped)
	}
	if e := WithDevice(ErrParse, "scale3").(*Error); e.Device != "scale3" || ErrParse.Device != "" {
		t.Error("WithDevice must copy, not change the sentinel")
	}
	if Code(errors.New("plain")) != "" {
		t.Error("plain error has a code")
	}
}

func FuzzParseMass(f *testing.F) {
	for _, s := range []string{"100.00", "-0.0082", "+  1.234", "012.345", "4x.1", "99999999999999999999"} {
		f.Add([]byte(s), uint8(Gram))
	}
	f.Fuzz(func(t *testing.T, b []byte, u uint8) {
		unit := Unit(u % uint8(len(unitTable)))
		m, err := ParseMass(b, unit)
		if err != nil {
			if Code(err) == "" {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if unit == Gram {
			// Cross-check with big.Rat on the accepted text.
			r, ok := new(big.Rat).SetString(normalise(b))
			if !ok {
				t.Fatalf("accepted %q, which big.Rat refuses", b)
			}
			want := roundHalfAway(r.Mul(r, big.NewRat(1000, 1)))
			if want.Int64() != int64(m) {
				t.Fatalf("ParseMass(%q) = %d mg, want %v", b, m, want)
			}
		}
	})
}

// normalise removes the blanks ParseMass tolerates.
func normalise(b []byte) string {
	var out []byte
	for _, c := range b {
		if c != ' ' {
			out = append(out, c)
		}
	}
	if len(out) > 0 && out[len(out)-1] == '.' {
		out = append(out, '0')
	}
	if len(out) > 0 && out[0] == '.' || len(out) > 1 && (out[0] == '-' || out[0] == '+') && out[1] == '.' {
		i := 0
		if out[0] != '.' {
			i = 1
		}
		out = append(out[:i], append([]byte{'0'}, out[i:]...)...)
	}
	return string(out)
}

func BenchmarkParseMassLb(b *testing.B) {
	v := []byte("   2.2046")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseMass(v, Pound); err != nil {
			b.Fatal(err)
		}
	}
}
