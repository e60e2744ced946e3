// Package units gives the station's physical quantities as typed integers (contract section 8):
// Mass in milligrams, so that a scale's 0.1 g resolution survives inside the agent, and Length in
// millimetres. Whole grams appear only on the wire, rounded half away from zero.
package units

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
)

// Mass is a mass in milligrams.
type Mass int64

// Mass units.
const (
	Milligram Mass = 1
	Gram           = 1000 * Milligram
	Kilogram       = 1000 * Gram
)

// Grams returns m in whole grams, rounded half away from zero (12.5 g -> 13 g, -12.5 g -> -13 g).
func (m Mass) Grams() int64 {
	q, r := int64(m)/1000, int64(m)%1000
	switch {
	case r >= 500:
		q++
	case r <= -500:
		q--
	}
	return q
}

// String formats m in grams with the milligrams kept when there are any: "1234 g", "12.5 g".
func (m Mass) String() string {
	v := int64(m)
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	if v%1000 == 0 {
		return fmt.Sprintf("%s%d g", sign, v/1000)
	}
	s := fmt.Sprintf("%s%d.%03d", sign, v/1000, v%1000)
	for s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	return s + " g"
}

// Length is a length in millimetres.
type Length int64

// Length units.
const (
	Millimetre Length = 1
	Centimetre        = 10 * Millimetre
	Metre             = 1000 * Millimetre
)

func (l Length) String() string { return fmt.Sprintf("%d mm", int64(l)) }

// ErrOverflow is returned when a product of lengths does not fit in 64 bits.
var ErrOverflow = errors.New("units: arithmetic overflow")

// VolumetricGrams returns ceil(l × w × h / divisor) in grams, the volumetric weight of a box of
// outer dimensions l × w × h mm for a carrier whose divisor is in cm³ per kg (contract section 8:
// 5000 means 5000 cm³ per kg; mm³/divisor is then grams exactly). Lengths must be positive and the
// divisor greater than zero.
func VolumetricGrams(l, w, h Length, divisor int64) (int64, error) {
	if l <= 0 || w <= 0 || h <= 0 {
		return 0, fmt.Errorf("units: volumetric weight of %v × %v × %v: lengths must be positive", l, w, h)
	}
	if divisor <= 0 {
		return 0, fmt.Errorf("units: volumetric divisor %d: must be greater than zero", divisor)
	}
	hi, lw := bits.Mul64(uint64(l), uint64(w))
	if hi != 0 {
		return 0, ErrOverflow
	}
	hi, v := bits.Mul64(lw, uint64(h))
	if hi != 0 || v > math.MaxInt64 {
		return 0, ErrOverflow
	}
	q := v / uint64(divisor)
	if v%uint64(divisor) != 0 {
		q++
	}
	return int64(q), nil
}
