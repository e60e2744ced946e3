// Package scanerr holds the typed errors of the scan decoders (aim, gtin, gs1, barcode): one Kind
// per failure, spelled as on the wire, so that a workflow can put the kind of a bad scan into
// pack.mismatch or the scan event without string matching.
//
// The kinds follow the error vocabulary of the test vectors (/work/shared/vectors/README.md) and
// of the contract's scan event: bad_check_digit, unknown_ai, bad_length and bad_date are the
// contract's; the others are extensions that say more precisely what is wrong.
package scanerr

import "errors"

// Kind names one kind of decoding failure. A Kind is an error itself, so that
// errors.Is(err, scanerr.BadCheckDigit) works on any *Error.
type Kind string

// The kinds of decoding failure.
const (
	// BadCheckDigit: a mod-10 check digit (GTIN, SSCC, GLN, ...) or GS1 check character pair is wrong.
	BadCheckDigit Kind = "bad_check_digit"
	// UnknownAI: no GS1 Application Identifier of the table starts at this position.
	UnknownAI Kind = "unknown_ai"
	// BadLength: a fixed field too short or too long, a variable field over its maximum, a
	// FNC1-required AI not followed by GS, or a GTIN that is not 8, 12, 13 or 14 digits.
	BadLength Kind = "bad_length"
	// BadDate: a month not 01-12, a day not in the month (00 allowed only where GS1 allows it),
	// or an hour, minute or second out of range.
	BadDate Kind = "bad_date"
	// BadCharacter: a non-digit in a numeric field, or a character outside the field's GS1
	// character set (CSET 82, 39 or 64).
	BadCharacter Kind = "bad_character"
	// BadFormat: any other rule of a GS1 field failed (a digit that must be zero, a piece
	// number over its total, an empty element between two GS, ...).
	BadFormat Kind = "bad_format"
	// NotGS1: an AIM symbology identifier is present but does not mark GS1 data.
	NotGS1 Kind = "not_gs1"
	// Empty: there is no data at all.
	Empty Kind = "empty"
	// BadNumberSystem: a UPC-E whose number system digit is not 0 or 1.
	BadNumberSystem Kind = "bad_number_system"
	// UnknownSymbologyIdentifier: "]" followed by a code character ISO/IEC 15424 does not define.
	UnknownSymbologyIdentifier Kind = "unknown_symbology_identifier"
	// BadSymbologyIdentifier: "]" without a complete identifier after it.
	BadSymbologyIdentifier Kind = "bad_symbology_identifier"
)

func (k Kind) Error() string { return string(k) }

// Error is a decoding failure: its Kind, where it happened and what was expected.
type Error struct {
	Kind Kind
	// AI is the GS1 Application Identifier whose field failed, or the digits that matched no
	// AI ("89"); "" when the failure is not inside a GS1 element.
	AI string
	// Pos is the byte offset in the decoder's input where the failing field or identifier starts.
	Pos int
	// Want is the expected check digit or check character pair for BadCheckDigit, else "".
	Want string
	// Detail says what is wrong in words ("14 digits needed, 13 found").
	Detail string
}

func (e *Error) Error() string {
	s := string(e.Kind)
	if e.AI != "" {
		s += " in (" + e.AI + ")"
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Is reports whether target is e's Kind, so that errors.Is(err, scanerr.BadDate) works.
func (e *Error) Is(target error) bool {
	k, ok := target.(Kind)
	return ok && k == e.Kind
}

// KindOf returns the Kind of err (an *Error or a Kind anywhere in its chain), or "" when err is
// nil or carries none.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	var k Kind
	if errors.As(err, &k) {
		return k
	}
	return ""
}
