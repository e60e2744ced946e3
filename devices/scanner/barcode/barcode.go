// Package barcode turns one scan, as a scanner driver delivers it (scanner.Scan.Data: the bytes
// between terminators, AIM identifier still in front, GS kept as 0x1D), into what the station
// knows about it: the fields of the contract's scan event (code, symbology, aim, gtin, gs1,
// error) and what the pack workflow matches order lines by (GTIN-14, lot, expiry, serial).
//
// Decode follows the contract (section 6, event scan):
//
//   - Code is the data without the AIM identifier; a GS separator stays as the character 0x1D.
//   - Symbology comes from the AIM identifier, "unknown" without one. The contract's names are
//     code128, gs1-128, ean13, ean8, upca, upce, itf, code39, code93, codabar, qr, gs1-qr,
//     datamatrix, gs1-datamatrix, pdf417, aztec, gs1-databar. Extensions, for identifiers the
//     contract does not name: dotcode, gs1-dotcode, telepen, code-one, code11, code16k, msi,
//     anker, codablock, plessey, 2of5, code49, maxicode, channel-code, ocr, posicode, supercode,
//     other, non-barcode. EAN/UPC under ]E0 or ]E3 is upca when the 13 digits start with 0 (or
//     12 are sent), upce when 6 to 8 digits are sent unexpanded, else ean13; the add-on alone
//     (]E1, ]E2) is reported as ean13.
//   - GS1 is set for ]C1, ]e0, ]e1, ]e2, ]d2, ]Q3 and ]J1 and for the bracketed form
//     "(01)...". As an extension, for keyboard wedges that do not send AIM identifiers, data
//     without an identifier is also read as an element string when it contains GS (then it
//     claims to be GS1) or when it starts with AI 01 and parses completely.
//   - GTIN is the GTIN-14 for ]E0/]E3 (EAN-13, UPC-A, UPC-E expanded), ]E4 (EAN-8), ]I1 with 14
//     digits (ITF-14) and AI (01); and, for other identifiers or none, for data of 8, 12, 13 or
//     14 digits whose check digit is right (a wrong one there is not an error: the code did not
//     claim to be a GTIN and may be an order number).
//   - Error is the scanerr kind when the code claims to be GS1 or a GTIN and is not valid
//     (bad_check_digit, unknown_ai, bad_length, bad_date; bad_character and bad_format are
//     extensions); GS1 and GTIN are then empty.
//
// The package does no I/O and reads no clock. Decoding a GS1 scan allocates once (the element
// slice).
package barcode

import (
	"strconv"
	"strings"
	"time"

	"github.com/stationd/stationd/devices/scanner/aim"
	"github.com/stationd/stationd/devices/scanner/gs1"
	"github.com/stationd/stationd/devices/scanner/gtin"
	"github.com/stationd/stationd/devices/scanner/scanerr"
)

// Unknown is the symbology of data without an AIM identifier.
const Unknown = "unknown"

// Result is a decoded scan.
type Result struct {
	Code      string      // data without AIM identifier (the scan event's code)
	Symbology string      // the scan event's symbology
	AIM       string      // "]C1", or "" when the scanner sent none
	GTIN      string      // GTIN-14, check digit verified, or ""
	GS1       gs1.Message // the element string, or nil
	AddOn     string      // the 2- or 5-digit EAN/UPC add-on of ]E3, or ""
	Error     scanerr.Kind
	// Err is the decoding error in full (AI, position, expected check digit), for logs; its
	// kind is Error.
	Err error
}

// Lot returns the batch or lot, AI (10), or "".
func (r Result) Lot() string { return r.GS1.Lot() }

// Serial returns the serial number, AI (21), or "".
func (r Result) Serial() string { return r.GS1.Serial() }

// Expiry returns the expiration date, AI (17), day 00 resolved, century chosen relative to now;
// its String is the pack.item event's expiry (YYYY-MM-DD). ok is false without (17).
func (r Result) Expiry(now time.Time) (gs1.Date, bool) { return r.GS1.Expiry(now) }

// Decode decodes data as a scanner driver delivers it. It never fails: a bad code comes back
// with Error set.
func Decode(data string) Result {
	id, code, err := aim.Split(data)
	if err != nil { // "]" without a known identifier: take the line as plain data
		id, code = aim.ID{}, data
	}
	r := Result{Code: code, AIM: data[:len(data)-len(code)], Symbology: Symbology(id, code)}
	switch {
	case id.ElementString():
		r.setGS1(gs1.Parse(code))
	case id.Code == 'E':
		r.decodeEANUPC(id, code)
	case id.Is("]I1") && len(code) == 14:
		r.setGTIN(gtin.Normalize(code))
	case claimsBracketed(code):
		r.setGS1(gs1.ParseBracketed(code))
	case id.Code == 0 && strings.IndexByte(code, gs1.GS) >= 0:
		r.setGS1(gs1.Parse(code))
	case id.Code == 0 && len(code) >= 16 && strings.HasPrefix(code, "01"):
		if m, err := gs1.Parse(code); err == nil {
			r.setGS1(m, nil)
		}
	default:
		if g, err := gtin.Normalize(code); err == nil {
			r.GTIN = g
		}
	}
	return r
}

func (r *Result) setGS1(m gs1.Message, err error) {
	if err != nil {
		r.fail(err)
		return
	}
	r.GS1, r.GTIN = m, m.GTIN()
}

func (r *Result) setGTIN(g string, err error) {
	if err != nil {
		r.fail(err)
		return
	}
	r.GTIN = g
}

func (r *Result) fail(err error) {
	r.Error, r.Err, r.GS1, r.GTIN = scanerr.KindOf(err), err, nil, ""
}

// decodeEANUPC handles the EAN/UPC family. GS1 General Specifications 5.1.2 (figure 5.1.2-2):
// EAN-13, UPC-A and UPC-E are transmitted as 13 digits under ]E0, with the add-on appended
// under ]E3; EAN-8 under ]E4.
func (r *Result) decodeEANUPC(id aim.ID, code string) {
	switch id.Modifier {
	case "0":
		r.setGTIN(eanUPC(code))
	case "3":
		main, addOn := code, ""
		switch len(code) {
		case 14, 15, 17, 18: // 12 or 13 digits, then 2 or 5
			n := 13
			if len(code) == 14 || len(code) == 17 {
				n = 12
			}
			main, addOn = code[:n], code[n:]
		default:
			r.fail(&scanerr.Error{Kind: scanerr.BadLength, Detail: "EAN/UPC with add-on: 14, 15, 17 or 18 digits expected"})
			return
		}
		r.AddOn = addOn
		r.setGTIN(eanUPC(main))
	case "4":
		if len(code) != 8 {
			r.fail(&scanerr.Error{Kind: scanerr.BadLength, Detail: "EAN-8: 8 digits expected"})
			return
		}
		r.setGTIN(gtin.Normalize(code))
	}
}

// eanUPC validates the main part of an EAN-13 / UPC-A / UPC-E transmission.
func eanUPC(code string) (string, error) {
	switch len(code) {
	case 12, 13:
		return gtin.Normalize(code)
	case 6, 7, 8:
		a, err := gtin.ExpandUPCE(code)
		if err != nil {
			return "", err
		}
		return gtin.Normalize(a)
	}
	return "", &scanerr.Error{Kind: scanerr.BadLength, Detail: "EAN-13 / UPC: 13 digits expected, " + strconv.Itoa(len(code)) + " found"}
}

// claimsBracketed reports whether code starts like a bracketed element string: "(" 2 to 4
// digits ")".
func claimsBracketed(code string) bool {
	if len(code) < 4 || code[0] != '(' {
		return false
	}
	for i := 1; i < len(code) && i <= 5; i++ {
		switch c := code[i]; {
		case c == ')':
			return i >= 3
		case c < '0' || c > '9':
			return false
		}
	}
	return false
}

// Symbology returns the scan event's symbology name for the identifier id and the data after it.
func Symbology(id aim.ID, code string) string {
	m := byte(0)
	if len(id.Modifier) > 0 {
		m = id.Modifier[0]
	}
	switch id.Code {
	case 0:
		return Unknown
	case 'E':
		switch m {
		case '4':
			return "ean8"
		case '3':
			switch len(code) {
			case 14, 17:
				return "upca"
			case 15, 18:
				code = code[:13]
			}
		}
		switch {
		case len(code) == 12 || len(code) == 13 && code[0] == '0':
			return "upca"
		case len(code) >= 6 && len(code) <= 8 && m == '0':
			return "upce"
		}
		return "ean13"
	case 'C':
		if m == '1' {
			return "gs1-128"
		}
		return "code128"
	case 'Q':
		if m == '3' {
			return "gs1-qr"
		}
		return "qr"
	case 'd':
		if m == '2' {
			return "gs1-datamatrix"
		}
		return "datamatrix"
	case 'J':
		if m == '1' {
			return "gs1-dotcode"
		}
		return "dotcode"
	}
	if s := names[id.Code]; s != "" {
		return s
	}
	return "other"
}

var names = [256]string{
	'A': "code39", 'B': "telepen", 'D': "code-one", 'F': "codabar", 'G': "code93", 'H': "code11",
	'I': "itf", 'K': "code16k", 'L': "pdf417", 'M': "msi", 'N': "anker", 'O': "codablock",
	'P': "plessey", 'R': "2of5", 'S': "2of5", 'T': "code49", 'U': "maxicode", 'X': "other",
	'Y': "other", 'Z': "non-barcode", 'c': "channel-code", 'e': "gs1-databar", 'o': "ocr",
	'p': "posicode", 's': "supercode", 'z': "aztec",
}
