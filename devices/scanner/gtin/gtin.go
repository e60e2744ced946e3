// Package gtin validates Global Trade Item Numbers and brings them to one form, GTIN-14, so that
// an item is recognised whatever barcode carried it: an EAN-13 on the unit, a UPC-A on an import,
// an ITF-14 on the case, AI (01) in a GS1 DataMatrix.
//
// GS1 General Specifications section 7.9 (check digit calculation: mod 10, weights 3 and 1
// alternating from the right) and section 7.10 (GTIN-8, -12, -13 and -14 right-justified in a
// 14-digit field with leading zeros). UPC-E expansion follows the zero-suppression rules of the
// UPC-E symbol (GS1 General Specifications section 5.2.2.4.2). The package does no I/O.
package gtin

import (
	"strconv"

	"github.com/stationd/stationd/devices/scanner/scanerr"
)

// CheckDigit returns the GS1 mod-10 check digit ('0'..'9') for body, the digits before it.
func CheckDigit(body string) (byte, error) {
	if len(body) == 0 {
		return 0, &scanerr.Error{Kind: scanerr.BadLength, Detail: "no digits"}
	}
	sum := 0
	for i := len(body) - 1; i >= 0; i-- {
		c := body[i]
		if c < '0' || c > '9' {
			return 0, &scanerr.Error{Kind: scanerr.BadCharacter, Pos: i, Detail: "not a digit: " + quote(c)}
		}
		d := int(c - '0')
		if (len(body)-1-i)%2 == 0 { // rightmost digit of the body weighs 3
			d *= 3
		}
		sum += d
	}
	return byte('0' + (10-sum%10)%10), nil
}

// Verify checks that s is all digits and ends with the right GS1 check digit. It serves GTINs and
// every other GS1 key with a mod-10 check digit (SSCC, GLN, GSIN, GSRN).
func Verify(s string) error {
	if len(s) < 2 {
		return &scanerr.Error{Kind: scanerr.BadLength, Detail: "too short for a check digit"}
	}
	want, err := CheckDigit(s[:len(s)-1])
	if err != nil {
		return err
	}
	if c := s[len(s)-1]; c != want {
		if c < '0' || c > '9' {
			return &scanerr.Error{Kind: scanerr.BadCharacter, Pos: len(s) - 1, Detail: "not a digit: " + quote(c)}
		}
		return &scanerr.Error{Kind: scanerr.BadCheckDigit, Pos: len(s) - 1, Want: string(want),
			Detail: "check digit " + string(c) + ", expected " + string(want)}
	}
	return nil
}

const zeros = "000000"

// Normalize validates a GTIN-8, -12, -13 or -14 and returns it as a GTIN-14 (left-padded with
// zeros). Errors are *scanerr.Error: BadLength for any other length, BadCharacter for a
// non-digit, BadCheckDigit (with Want) for a wrong check digit.
func Normalize(s string) (string, error) {
	switch len(s) {
	case 8, 12, 13, 14:
	default:
		return "", &scanerr.Error{Kind: scanerr.BadLength, Detail: "a GTIN has 8, 12, 13 or 14 digits, not " + strconv.Itoa(len(s))}
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", &scanerr.Error{Kind: scanerr.BadCharacter, Pos: i, Detail: "not a digit: " + quote(s[i])}
		}
	}
	if err := Verify(s); err != nil {
		return "", err
	}
	if len(s) == 14 {
		return s, nil
	}
	return zeros[:14-len(s)] + s, nil
}

// Type names the GTIN form of s by its length: "GTIN-8", "GTIN-12", "GTIN-13", "GTIN-14", or "".
func Type(s string) string {
	switch len(s) {
	case 8:
		return "GTIN-8"
	case 12:
		return "GTIN-12"
	case 13:
		return "GTIN-13"
	case 14:
		return "GTIN-14"
	}
	return ""
}

// Equal reports whether a and b are the same valid GTIN in any of its 8/12/13/14-digit forms.
func Equal(a, b string) bool {
	x, err := Normalize(a)
	if err != nil {
		return false
	}
	y, err := Normalize(b)
	return err == nil && x == y
}

// ExpandUPCE expands a UPC-E to the UPC-A (GTIN-12) it stands for. s is 8 digits (number system,
// six data digits, check digit), 7 (no check digit) or 6 (number system 0 implied, no check
// digit). The number system must be 0 or 1 (BadNumberSystem); an 8-digit s must carry the check
// digit of the expanded UPC-A (BadCheckDigit).
//
// By the sixth data digit d6 (GS1 General Specifications 5.2.2.4.2, figure "UPC-E zero
// suppression"): 0-2: NS d1 d2 d6 0000 d3 d4 d5; 3: NS d1 d2 d3 00000 d4 d5; 4: NS d1 d2 d3 d4
// 00000 d5; 5-9: NS d1 d2 d3 d4 d5 0000 d6; then the check digit.
func ExpandUPCE(s string) (string, error) {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", &scanerr.Error{Kind: scanerr.BadCharacter, Pos: i, Detail: "not a digit: " + quote(s[i])}
		}
	}
	var ns byte
	var d string
	check := byte(0)
	switch len(s) {
	case 6:
		ns, d = '0', s
	case 7:
		ns, d = s[0], s[1:]
	case 8:
		ns, d, check = s[0], s[1:7], s[7]
	default:
		return "", &scanerr.Error{Kind: scanerr.BadLength, Detail: "a UPC-E has 6, 7 or 8 digits, not " + strconv.Itoa(len(s))}
	}
	if ns != '0' && ns != '1' {
		return "", &scanerr.Error{Kind: scanerr.BadNumberSystem, Pos: 0, Detail: "number system " + string(ns) + ": UPC-E allows 0 or 1"}
	}
	var b [12]byte
	b[0] = ns
	switch d[5] {
	case '0', '1', '2':
		copy(b[1:], d[0:2])
		b[3] = d[5]
		copy(b[4:], "0000")
		copy(b[8:], d[2:5])
	case '3':
		copy(b[1:], d[0:3])
		copy(b[4:], "00000")
		copy(b[9:], d[3:5])
	case '4':
		copy(b[1:], d[0:4])
		copy(b[5:], "00000")
		b[10] = d[4]
	default:
		copy(b[1:], d[0:5])
		copy(b[6:], "0000")
		b[10] = d[5]
	}
	want, _ := CheckDigit(string(b[:11]))
	if check != 0 && check != want {
		return "", &scanerr.Error{Kind: scanerr.BadCheckDigit, Pos: 7, Want: string(want),
			Detail: "check digit " + string(check) + ", expected " + string(want)}
	}
	b[11] = want
	return string(b[:]), nil
}

func quote(c byte) string {
	const hex = "0123456789abcdef"
	if c >= 0x20 && c < 0x7f {
		return "'" + string(c) + "'"
	}
	return "0x" + string(hex[c>>4]) + string(hex[c&15])
}
