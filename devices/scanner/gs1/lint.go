package gs1

import (
	"strconv"

	"github.com/stationd/stationd/devices/scanner/gtin"
	"github.com/stationd/stationd/devices/scanner/scanerr"
)

// Character sets of the GS1 General Specifications figure 7.11-1 (CSET 82), 7.11-2 (CSET 39) and
// 7.11-3 (CSET 64, the base64url alphabet, with "=" padding at the end).
const (
	cset82 = `!"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz`
	cset39 = `#-/0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ`
	cset64 = `-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz`
	// cset32 orders the characters of a check character pair (GS1 General Specifications 7.9.5).
	cset32 = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
)

const (
	inN = 1 << iota
	inX
	inY
	inZ
)

// charClass[c] has a bit for each set c belongs to; x82[c] is c's value in CSET 82 plus one.
var charClass, x82 = func() (cls [256]uint8, val [256]uint8) {
	for c := '0'; c <= '9'; c++ {
		cls[c] |= inN
	}
	for i := 0; i < len(cset82); i++ {
		cls[cset82[i]] |= inX
		val[cset82[i]] = uint8(i + 1)
	}
	for i := 0; i < len(cset39); i++ {
		cls[cset39[i]] |= inY
	}
	for i := 0; i < len(cset64); i++ {
		cls[cset64[i]] |= inZ
	}
	return cls, val
}()

// badChar returns the index of the first character of p outside the component's set, or -1.
func badChar(cset byte, p string) int {
	var bit uint8
	switch cset {
	case 'N':
		bit = inN
	case 'X':
		bit = inX
	case 'Y':
		bit = inY
	case 'Z':
		bit = inZ
		for len(p) > 0 && p[len(p)-1] == '=' { // base64url padding
			p = p[:len(p)-1]
		}
	}
	for i := 0; i < len(p); i++ {
		if charClass[p[i]]&bit == 0 {
			return i
		}
	}
	return -1
}

func csetName(cset byte) string {
	switch cset {
	case 'N':
		return "a numeric field"
	case 'X':
		return "GS1 CSET 82"
	case 'Y':
		return "GS1 CSET 39"
	}
	return "GS1 CSET 64"
}

// lint applies one content rule of the syntax dictionary to a component. Rules that need an
// external registry (see the package comment) pass.
func lint(name, p string) *scanerr.Error {
	switch name {
	case "csum":
		if err := gtin.Verify(p); err != nil {
			e := err.(*scanerr.Error)
			return &scanerr.Error{Kind: e.Kind, Pos: e.Pos, Want: e.Want, Detail: e.Detail}
		}
	case "csumalpha":
		return checkPair(p)
	case "yymmd0", "yymmdd", "yyyymmd0", "yyyymmdd", "yymmddhh":
		if _, err := parseDate(name, p, time0); err != nil {
			return err
		}
	case "hh":
		return timeField(p, 0, 23, "hour")
	case "mi":
		return timeField(p, 0, 59, "minute")
	case "ss":
		return timeField(p, 0, 59, "second")
	case "hhmi", "hhmm":
		if err := timeField(p[:2], 0, 23, "hour"); err != nil {
			return err
		}
		if err := timeField(p[2:], 0, 59, "minute"); err != nil {
			err.Pos += 2
			return err
		}
	case "zero":
		if p != "0" {
			return format(0, "must be 0")
		}
	case "nonzero":
		for i := 0; i < len(p); i++ {
			if p[i] != '0' {
				return nil
			}
		}
		return format(0, "must not be zero")
	case "nozeroprefix":
		if p[0] == '0' {
			return format(0, "must not start with 0")
		}
	case "yesno":
		if p != "0" && p != "1" {
			return format(0, "must be 0 (no) or 1 (yes)")
		}
	case "hyphen":
		if p != "-" {
			return format(0, "must be \"-\"")
		}
	case "winding":
		if p != "0" && p != "1" && p != "9" {
			return format(0, "winding direction must be 0, 1 or 9")
		}
	case "iso5218":
		if p != "0" && p != "1" && p != "2" && p != "9" {
			return format(0, "sex code (ISO/IEC 5218) must be 0, 1, 2 or 9")
		}
	case "pieceoftotal":
		h := len(p) / 2
		piece, total := p[:h], p[h:]
		switch {
		case allZero(piece):
			return format(0, "piece number 0")
		case allZero(total):
			return format(h, "total of pieces 0")
		case piece > total: // same length, all digits: string order is numeric order
			return format(0, "piece number over the total")
		}
	case "hasnondigit":
		for i := 0; i < len(p); i++ {
			if !isDigit(p[i]) {
				return nil
			}
		}
		return format(0, "must contain a non-digit")
	case "pcenc":
		for i := 0; i < len(p); i++ {
			if p[i] == '%' && (i+2 >= len(p) || !isHex(p[i+1]) || !isHex(p[i+2])) {
				return format(i, "\"%\" must start a percent-encoded byte (%XX)")
			}
		}
	}
	return nil
}

// checkPair verifies a GS1 check character pair (GS1 General Specifications 7.9.5): the CSET 82
// values of the characters before the pair, weighted from the right by the primes 2, 3, 5, 7,
// ..., summed modulo 1021; the pair is that sum's two 5-bit halves in CSET 32.
func checkPair(p string) *scanerr.Error {
	if len(p) < 2 {
		return &scanerr.Error{Kind: scanerr.BadLength, Detail: "too short for a check character pair"}
	}
	body := p[:len(p)-2]
	sum, prime := 0, 1
	for i := len(body) - 1; i >= 0; i-- {
		prime = nextPrime(prime)
		sum += int(x82[body[i]]-1) * prime
	}
	sum %= 1021
	want := string(cset32[sum>>5]) + string(cset32[sum&31])
	if p[len(p)-2:] != want {
		return &scanerr.Error{Kind: scanerr.BadCheckDigit, Pos: len(p) - 2, Want: want,
			Detail: "check characters " + p[len(p)-2:] + ", expected " + want}
	}
	return nil
}

func nextPrime(n int) int {
	for n++; ; n++ {
		prime := true
		for d := 2; d*d <= n; d++ {
			if n%d == 0 {
				prime = false
				break
			}
		}
		if prime {
			return n
		}
	}
}

func timeField(p string, lo, hi int, what string) *scanerr.Error {
	v, err := strconv.Atoi(p)
	if err != nil || v < lo || v > hi {
		return &scanerr.Error{Kind: scanerr.BadDate, Detail: what + " " + p + " out of range"}
	}
	return nil
}

func format(pos int, detail string) *scanerr.Error {
	return &scanerr.Error{Kind: scanerr.BadFormat, Pos: pos, Detail: detail}
}

func allZero(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '0' {
			return false
		}
	}
	return true
}

func isHex(c byte) bool { return isDigit(c) || c >= 'A' && c <= 'F' || c >= 'a' && c <= 'f' }

func itoa(n int) string { return strconv.Itoa(n) }

func quote(s string) string { return strconv.Quote(s) }
