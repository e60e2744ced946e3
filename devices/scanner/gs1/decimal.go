package gs1

import (
	"strconv"
	"strings"

	"github.com/stationd/stationd/devices/scanner/scanerr"
	"github.com/stationd/stationd/protocol/units"
)

// Decimal is a number from a GS1 field with an implied decimal point: Value × 10^-Places.
type Decimal struct {
	Value  int64
	Places int
}

// String writes the number with its decimals: "1.250", "3.99", "12".
func (d Decimal) String() string {
	s := strconv.FormatInt(d.Value, 10)
	if d.Places == 0 {
		return s
	}
	if len(s) <= d.Places {
		s = strings.Repeat("0", d.Places-len(s)+1) + s
	}
	return s[:len(s)-d.Places] + "." + s[len(s)-d.Places:]
}

// DecimalOf reads the value of a decimal AI: the measures 310n-369n (GS1 General
// Specifications 3.6, n = decimals) and the amounts 390n-395n. unit is the measure's unit as the
// General Specifications write it ("kg", "lb", "m", "m²", "l", "tr oz", "kg/m²"), or for 391n and
// 393n the ISO 4217 numeric currency code that precedes the amount ("978"), else "".
func DecimalOf(ai, v string) (d Decimal, unit string, err error) {
	a, ok := Lookup(ai)
	if !ok {
		return Decimal{}, "", &scanerr.Error{Kind: scanerr.UnknownAI, AI: ai, Detail: "not an Application Identifier"}
	}
	if !isDecimalAI(ai) {
		return Decimal{}, "", &scanerr.Error{Kind: scanerr.BadFormat, AI: ai, Detail: "(" + ai + ") " + a.Title + " is not a decimal AI"}
	}
	if err := a.Check(v); err != nil {
		return Decimal{}, "", err
	}
	switch ai[:3] {
	case "391", "393":
		unit, v = v[:3], v[3:]
	case "337":
		unit = "kg/m²"
	case "390", "392", "394", "395":
	default:
		unit = titleUnit(a.Title)
	}
	var n int64
	for i := 0; i < len(v); i++ {
		n = n*10 + int64(v[i]-'0')
	}
	return Decimal{Value: n, Places: int(ai[3] - '0')}, unit, nil
}

// Mass returns the mass of a weight AI: net 310n (kg), 320n (lb), 356n (troy ounces), gross 330n
// (kg), 340n (lb). Pounds and troy ounces are converted with the exact factors (1 lb =
// 453.59237 g, 1 oz t = 31.1034768 g) and rounded half away from zero to the milligram.
func Mass(ai, v string) (units.Mass, error) {
	d, unit, err := DecimalOf(ai, v)
	if err != nil {
		return 0, err
	}
	// mg = Value × num / den, with num/den the unit in milligrams per 10^Places.
	var num, den int64
	switch unit {
	case "kg":
		num, den = 1_000_000, 1
	case "lb":
		num, den = 45_359_237, 100 // 453.59237 g
	case "tr oz":
		num, den = 311_034_768, 10_000 // 31.1034768 g
	default:
		return 0, &scanerr.Error{Kind: scanerr.BadFormat, AI: ai, Detail: "(" + ai + ") is not a weight"}
	}
	for range d.Places {
		den *= 10
	}
	mg := d.Value * num // at most 999999 × 311034768 < 2^63
	q, r := mg/den, mg%den
	if 2*r >= den {
		q++
	}
	return units.Mass(q) * units.Milligram, nil
}

func isDecimalAI(ai string) bool {
	return len(ai) == 4 && (ai[:2] >= "31" && ai[:2] <= "36" || ai[:3] >= "390" && ai[:3] <= "395")
}

// titleUnit takes the unit from a title such as "NET WEIGHT (kg)" or "VOLUME (qt (US)), log".
func titleUnit(title string) string {
	i := strings.IndexByte(title, '(')
	if i < 0 {
		return ""
	}
	depth := 0
	for j := i; j < len(title); j++ {
		switch title[j] {
		case '(':
			depth++
		case ')':
			if depth--; depth == 0 {
				return title[i+1 : j]
			}
		}
	}
	return ""
}
