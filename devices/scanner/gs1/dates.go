package gs1

import (
	"fmt"
	"time"

	"github.com/stationd/stationd/devices/scanner/scanerr"
)

// Date is a date from a GS1 field, with the time of day when the field has one (7003, 8008).
type Date struct {
	Year  int
	Month time.Month
	Day   int
	// Day00 is true when the field gave day 00, which GS1 defines as the last day of the month
	// (General Specifications 3.4.2 to 3.4.7, AIs 11-17): Day then holds that last day.
	Day00 bool
	// HasTime says whether Hour and Minute (and Second, for 8008) come from the field.
	HasTime              bool
	Hour, Minute, Second int
}

// String returns the date as YYYY-MM-DD, the form of the pack.item event's expiry.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

// Time returns the date (and time of day, when present) in loc.
func (d Date) Time(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, d.Hour, d.Minute, d.Second, 0, loc)
}

// time0 marks validation without a reference time: the century is unknown, so a leap year is
// taken as YY divisible by 4, which is exact for every year from 2000 to 2099.
var time0 time.Time

// DateOf reads the date at the start of the field v of AI ai (11-17, 7003, 7006, 7007, 7011,
// 8008, 4324-4326, 7250, ...). For six-digit dates the century is chosen relative to now as the
// GS1 General Specifications section 7.12 prescribes: a year more than 50 years ahead of now's is
// in the previous century, one 50 or more years behind is in the next. Day 00, where the AI allows
// it, becomes the last day of the month (Date.Day00 says it happened).
func DateOf(ai, v string, now time.Time) (Date, error) {
	a, ok := Lookup(ai)
	if !ok {
		return Date{}, &scanerr.Error{Kind: scanerr.UnknownAI, AI: ai, Detail: "not an Application Identifier"}
	}
	kind := a.dateKind()
	if kind == "" {
		return Date{}, &scanerr.Error{Kind: scanerr.BadFormat, AI: ai, Detail: "(" + ai + ") " + a.Title + " holds no date"}
	}
	if err := a.Check(v); err != nil {
		return Date{}, err
	}
	n := a.parts[0].max
	d, err := parseDate(kind, v[:n], now)
	if err != nil {
		err.AI = ai
		return Date{}, err
	}
	// The time components that follow the date (7003 "N4,hhmi", 8008 "N2,hh [N2],mi [N2],ss").
	rest := v[n:]
	for _, c := range a.parts[1:] {
		if len(rest) < c.max {
			break
		}
		p := rest[:c.max]
		rest = rest[c.max:]
		for _, l := range c.lint {
			switch l {
			case "hhmi", "hhmm":
				d.Hour, d.Minute, d.HasTime = num(p[:2]), num(p[2:]), true
			case "hh":
				d.Hour, d.HasTime = num(p), true
			case "mi":
				d.Minute = num(p)
			case "ss":
				d.Second = num(p)
			}
		}
	}
	return d, nil
}

// ExpiryDate returns the date of an AI (17) value as YYYY-MM-DD, day 00 resolved, the form the
// pack.item event's expiry takes.
func ExpiryDate(v string, now time.Time) (string, error) {
	d, err := DateOf("17", v, now)
	if err != nil {
		return "", err
	}
	return d.String(), nil
}

// Century returns the full year of the two-digit year yy relative to now (GS1 General
// Specifications 7.12, "Determination of century in dates").
func Century(yy int, now time.Time) int {
	cur := now.Year()
	base := cur - cur%100
	switch diff := yy - cur%100; {
	case diff >= 51:
		return base - 100 + yy
	case diff <= -50:
		return base + 100 + yy
	}
	return base + yy
}

// parseDate reads a date of the given dictionary kind from p (all digits, length already checked).
func parseDate(kind, p string, now time.Time) (Date, *scanerr.Error) {
	var d Date
	var yy int
	switch kind {
	case "yyyymmd0", "yyyymmdd":
		d.Year = num(p[:4])
		p = p[2:]
	default:
		yy = num(p[:2])
		if now.IsZero() {
			d.Year = 2000 + yy // century unknown: only the leap rule depends on it (see time0)
		} else {
			d.Year = Century(yy, now)
		}
	}
	d.Month = time.Month(num(p[2:4]))
	d.Day = num(p[4:6])
	if d.Month < 1 || d.Month > 12 {
		return Date{}, &scanerr.Error{Kind: scanerr.BadDate, Pos: 2, Detail: "month " + p[2:4] + " out of range"}
	}
	last := daysIn(d.Year, d.Month)
	switch {
	case d.Day == 0 && (kind == "yymmd0" || kind == "yyyymmd0"):
		d.Day, d.Day00 = last, true
	case d.Day < 1 || d.Day > last:
		return Date{}, &scanerr.Error{Kind: scanerr.BadDate, Pos: 4, Detail: "day " + p[4:6] + " not in " + d.Month.String() + " " + itoa(d.Year)}
	}
	if kind == "yymmddhh" {
		if h := num(p[6:8]); h > 23 {
			return Date{}, &scanerr.Error{Kind: scanerr.BadDate, Pos: 6, Detail: "hour " + p[6:8] + " out of range"}
		} else {
			d.Hour, d.HasTime = h, true
		}
	}
	return d, nil
}

func daysIn(year int, m time.Month) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// num reads a short run of digits already checked to be digits.
func num(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}
