package scale

import (
	"math"
	"math/bits"
	"strings"

	"github.com/stationd/stationd/protocol/units"
)

// Unit is a unit of mass a scale reports in.
type Unit uint8

// Units a scale may report in. Each converts to milligrams with an exact factor.
const (
	UnitNone    Unit = iota
	Microgram        // µg
	Milligram        // mg
	Gram             // g
	Kilogram         // kg
	MetricTon        // t = 1000 kg
	Pound            // lb = 453.59237 g (international yard and pound agreement, 1959)
	Ounce            // oz = 1/16 lb = 28.349523125 g
	TroyOunce        // ozt = 31.1034768 g
	Carat            // ct = 0.2 g
	Grain            // gr = 1/7000 lb = 64.79891 mg
	Pennyweight      // dwt = 24 gr = 1.55517384 g
	ShortTon         // avoirdupois ton = 2000 lb
)

// unitTable gives each unit's name and its size in milligrams as the exact fraction num/den.
var unitTable = [...]struct {
	name     string
	num, den uint64
}{
	UnitNone:    {"", 0, 1},
	Microgram:   {"ug", 1, 1000},
	Milligram:   {"mg", 1, 1},
	Gram:        {"g", 1000, 1},
	Kilogram:    {"kg", 1000000, 1},
	MetricTon:   {"t", 1000000000, 1},
	Pound:       {"lb", 45359237, 100},      // 453 592.37 mg
	Ounce:       {"oz", 45359237, 1600},     // 28 349.523125 mg
	TroyOunce:   {"ozt", 311034768, 10000},  // 31 103.4768 mg
	Carat:       {"ct", 200, 1},             // 200 mg
	Grain:       {"gr", 6479891, 100000},    // 64.79891 mg
	Pennyweight: {"dwt", 155517384, 100000}, // 1 555.17384 mg
	ShortTon:    {"ton", 90718474000, 100},  // 907 184 740 mg
}

func (u Unit) String() string {
	if int(u) < len(unitTable) {
		return unitTable[u].name
	}
	return "unit(?)"
}

// ParseUnit reads a unit as scales write it: g, kg, mg, lb, oz, ozt, ct, dwt, t, and the
// variants G, KG, LB, OZ (CAS PD-II), lbs, GN (MT-SICS grain), gr, µg/ug. Taels are not accepted:
// they have several national definitions.
func ParseUnit(s string) (Unit, bool) {
	switch s {
	case "GN":
		return Grain, true
	case "µg", "ug":
		return Microgram, true
	}
	switch strings.ToLower(s) {
	case "mg":
		return Milligram, true
	case "g":
		return Gram, true
	case "kg":
		return Kilogram, true
	case "t":
		return MetricTon, true
	case "lb", "lbs":
		return Pound, true
	case "oz":
		return Ounce, true
	case "ozt":
		return TroyOunce, true
	case "ct":
		return Carat, true
	case "gr":
		return Grain, true
	case "dwt":
		return Pennyweight, true
	}
	return UnitNone, false
}

var pow10 = [...]uint64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13,
	1e14, 1e15, 1e16, 1e17, 1e18, 1e19}

// MassOf returns the mass mantissa × 10^exp in unit u, negated when neg, as whole milligrams
// rounded half away from zero. The arithmetic is exact (128-bit intermediate), so 2.2046 lb is
// 999 989.7 mg before rounding and 999 990 mg after.
//
// Rounding: once, to the milligram, half away from zero. The wire's whole grams are a second
// rounding of that (units.Mass.Grams, also half away from zero); the two differ from a single
// rounding of the exact value only when it lies within 0.5 mg of a half gram, which no scale
// resolution coarser than 1 mg can produce in g or kg.
func MassOf(neg bool, mantissa uint64, exp int, u Unit) (units.Mass, error) {
	if u == UnitNone || int(u) >= len(unitTable) {
		return 0, &Error{Code: CodeUnknownUnit, Detail: "no unit"}
	}
	num, den := unitTable[u].num, unitTable[u].den
	switch {
	case exp > 0:
		if exp >= len(pow10) {
			return 0, errRange
		}
		hi, lo := bits.Mul64(num, pow10[exp])
		if hi != 0 {
			return 0, errRange
		}
		num = lo
	case exp < 0:
		if -exp >= len(pow10) {
			return 0, errRange
		}
		hi, lo := bits.Mul64(den, pow10[-exp])
		if hi != 0 {
			return 0, errRange
		}
		den = lo
	}
	hi, lo := bits.Mul64(mantissa, num)
	if hi >= den {
		return 0, errRange
	}
	q, r := bits.Div64(hi, lo, den)
	if r >= den-r { // r/den >= 1/2: round half away from zero
		q++
	}
	if q > math.MaxInt64 {
		return 0, errRange
	}
	if neg {
		return units.Mass(-int64(q)), nil
	}
	return units.Mass(q), nil
}

var errRange = &Error{Code: CodeParse, Detail: "value out of range"}

// ParseMass reads a decimal weight as scales print it and converts it exactly to milligrams
// (see MassOf for the rounding). Accepted: leading spaces, an optional sign, spaces between the
// sign and the digits ("+  1.234", CAS), leading zeros, at most one decimal point, at least one
// digit, at most 19 significant digits, and trailing spaces. Anything else is a parse_error:
// a malformed value is never a weight.
func ParseMass(b []byte, u Unit) (units.Mass, error) {
	i := 0
	for i < len(b) && b[i] == ' ' {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
		for i < len(b) && b[i] == ' ' {
			i++
		}
	}
	var mant uint64
	digits, sig, frac := 0, 0, -1
	for ; i < len(b); i++ {
		c := b[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
			if frac >= 0 {
				frac++
			}
			if mant == 0 && c == '0' {
				continue
			}
			sig++
			if sig > 19 {
				return 0, errTooLong
			}
			mant = mant*10 + uint64(c-'0')
		case c == '.' && frac < 0:
			frac = 0
		default:
			goto tail
		}
	}
tail:
	for ; i < len(b); i++ {
		if b[i] != ' ' {
			return 0, errBadNumber
		}
	}
	if digits == 0 {
		return 0, errBadNumber
	}
	if frac < 0 {
		frac = 0
	}
	if mant == 0 {
		neg = false
	}
	return MassOf(neg, mant, -frac, u)
}

var (
	errBadNumber = &Error{Code: CodeParse, Detail: "malformed number"}
	errTooLong   = &Error{Code: CodeParse, Detail: "number too long"}
)
