package hidpos

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/stationd/stationd/devices/scale"
	"github.com/stationd/stationd/protocol/units"
)

// ReportID is the report ID of the scale data report of common HID POS scales (Dymo,
// Stamps.com; usbscale).
const ReportID = 3

// ReportLen is the length of the scale data report: report ID, status, unit, exponent, weight
// LSB, weight MSB.
const ReportLen = 6

// Scale status codes: the Scale Status usages 0x71-0x78 of the HID POS usage tables (usage page
// 0x8D) minus 0x70.
const (
	StatusFault            = 1
	StatusStableAtZero     = 2
	StatusInMotion         = 3
	StatusStable           = 4
	StatusUnderZero        = 5
	StatusOverWeight       = 6
	StatusNeedsCalibration = 7
	StatusNeedsRezero      = 8
)

// Unit codes: the Weight Unit usages 0x51-0x5C minus 0x50. Taels (5) are refused: they have
// several national definitions.
var units8D = [...]scale.Unit{
	1:  scale.Milligram,
	2:  scale.Gram,
	3:  scale.Kilogram,
	4:  scale.Carat,
	6:  scale.Grain,
	7:  scale.Pennyweight,
	8:  scale.MetricTon,
	9:  scale.ShortTon,
	10: scale.TroyOunce,
	11: scale.Ounce,
	12: scale.Pound,
}

// ErrNotData is returned for a report whose ID is not ReportID: not a weight, to be ignored.
var ErrNotData = errors.New("hidpos: not a scale data report (report ID 3)")

// Report is a scale data report.
type Report struct {
	Status   byte
	UnitCode byte
	Exponent int8   // signed base-10 exponent (two's complement)
	Raw      uint16 // weight, little-endian in the report
	Unit     scale.Unit
	Mass     units.Mass // Raw × 10^Exponent in Unit, exactly
	Stable   bool       // status 2 (stable at zero) or 4 (stable)
}

// ParseReport reads an input report as read from /dev/hidrawN: byte 0 report ID (3), byte 1
// status, byte 2 unit, byte 3 exponent, bytes 4-5 weight, little-endian (HID POS usage tables
// 1.02, usage page 0x8D; byte layout from usbscale and Dymo's M10/M25). Another report ID gives
// ErrNotData; fewer than 6 bytes short_report; status fault, under zero, over weight, needs
// calibration or re-zeroing give fault, underload, overload, calibration_required and
// rezero_required, never a weight; an unknown unit gives unknown_unit.
func ParseReport(b []byte) (Report, error) {
	if len(b) == 0 {
		return Report{}, scale.NewError("", scale.CodeShortReport, "empty report")
	}
	if b[0] != ReportID {
		return Report{}, ErrNotData
	}
	if len(b) < ReportLen {
		return Report{}, scale.NewError("", scale.CodeShortReport, fmt.Sprintf("report of %d bytes, want %d", len(b), ReportLen))
	}
	r := Report{Status: b[1], UnitCode: b[2], Exponent: int8(b[3]), Raw: uint16(b[4]) | uint16(b[5])<<8}
	fact := func(what string) string { return fmt.Sprintf("scale reports status %d (%s)", r.Status, what) }
	switch r.Status {
	case StatusStableAtZero, StatusStable:
		r.Stable = true
	case StatusInMotion:
	case StatusFault:
		return Report{}, scale.NewError("", scale.CodeFault, fact("fault"))
	case StatusUnderZero:
		return Report{}, scale.NewError("", scale.CodeUnderload, fact("under zero"))
	case StatusOverWeight:
		return Report{}, scale.NewError("", scale.CodeOverload, fact("over weight limit"))
	case StatusNeedsCalibration:
		return Report{}, scale.NewError("", scale.CodeCalibration, fact("requires calibration"))
	case StatusNeedsRezero:
		return Report{}, scale.NewError("", scale.CodeRezero, fact("requires re-zeroing"))
	default:
		return Report{}, scale.NewError("", scale.CodeParse, fact("unknown"))
	}
	if int(r.UnitCode) >= len(units8D) || units8D[r.UnitCode] == scale.UnitNone {
		return Report{}, scale.NewError("", scale.CodeUnknownUnit, fmt.Sprintf("scale reports unit code %d", r.UnitCode))
	}
	r.Unit = units8D[r.UnitCode]
	m, err := scale.MassOf(false, uint64(r.Raw), int(r.Exponent), r.Unit)
	if err != nil {
		return Report{}, scale.NewError("", scale.CodeParse, fmt.Sprintf("weight %d × 10^%d %v out of range", r.Raw, r.Exponent, r.Unit))
	}
	r.Mass = m
	return r, nil
}

// Value writes the reading in the report's own unit: Raw × 10^Exponent ("645.2").
func (r Report) Value() string {
	s := strconv.FormatUint(uint64(r.Raw), 10)
	switch e := int(r.Exponent); {
	case e > 0:
		return s + strings.Repeat("0", e)
	case e < 0:
		if len(s) <= -e {
			s = strings.Repeat("0", -e-len(s)+1) + s
		}
		return s[:len(s)+e] + "." + s[len(s)+e:]
	}
	return s
}
