// Package gs1 parses GS1 element strings: the Application Identifier (AI) data that GS1-128, GS1
// DataMatrix, GS1 QR Code, GS1 DataBar and GS1 DotCode carry, such as GTIN (01), lot (10),
// expiry date (17) and serial number (21). The packing workflow matches items by these.
//
// Three input forms are accepted: the scanner's transmission with its AIM symbology identifier
// (]C1, ]e0, ]e1, ]e2, ]d2, ]Q3, ]J1) and FNC1 separators sent as GS (0x1D) (ParseScan); the same
// element string without identifier, as a keyboard wedge types it (Parse); and the bracketed
// human-readable form "(01)05901234123457(17)271231" (ParseBracketed).
//
// The AI table is the GS1 Barcode Syntax Dictionary, embedded as published (table.go): fixed
// and variable lengths, which AIs need no FNC1 (GS1 General Specifications figure 7.8.5-2),
// character sets, check digits (section 7.9), dates with day 00 meaning the last day of the month
// (section 7.12), decimal AIs 310n-369n and 390n-395n. Content rules checked: csum, csumalpha,
// dates and times, zero, nonzero, nozeroprefix, yesno, hyphen, pieceoftotal, winding, iso5218,
// hasnondigit, pcenc. Not checked (need registries this package does not carry): GS1 Company
// Prefix positions (gcppos1/2), ISO 3166 and ISO 4217 code lists, IBAN, media and package types,
// coupon formats, importer index, latitude and longitude, and the req=/ex= associations between AIs.
//
// Errors are *scanerr.Error with the kinds bad_check_digit, unknown_ai, bad_length, bad_date,
// bad_character, bad_format, not_gs1 and empty, the failing AI and its position. The package
// does no I/O and reads no clock (dates take the reference time as an argument); a successful
// parse allocates only the returned element slice (and, in the bracketed form, a value that
// contained "\(").
package gs1

import (
	"strings"
	"time"

	"github.com/stationd/stationd/devices/scanner/aim"
	"github.com/stationd/stationd/devices/scanner/scanerr"
)

// GS is the ASCII group separator, which scanners transmit for FNC1 (GS1 General Specifications
// 7.8.5: FNC1 used as a separator character is transmitted as GS).
const GS = 0x1D

// Element is one AI and its data field, exactly as encoded.
type Element struct {
	AI    string
	Value string
}

// Message is a parsed element string: its elements in the order of the data.
type Message []Element

// Get returns the value of the first element with AI ai.
func (m Message) Get(ai string) (string, bool) {
	for _, e := range m {
		if e.AI == ai {
			return e.Value, true
		}
	}
	return "", false
}

// Map returns the elements as a map from AI to value, the form of the scan event's gs1 field.
// An AI repeated in the data keeps its first value.
func (m Message) Map() map[string]string {
	if m == nil {
		return nil
	}
	mm := make(map[string]string, len(m))
	for i := len(m) - 1; i >= 0; i-- {
		mm[m[i].AI] = m[i].Value
	}
	return mm
}

// GTIN returns the GTIN-14 of AI (01), check digit verified, or "".
func (m Message) GTIN() string { v, _ := m.Get("01"); return v }

// Lot returns the batch or lot number, AI (10), or "".
func (m Message) Lot() string { v, _ := m.Get("10"); return v }

// Serial returns the serial number, AI (21), or "".
func (m Message) Serial() string { v, _ := m.Get("21"); return v }

// Expiry returns the expiration date, AI (17), with day 00 resolved to the last day of the month
// and the century chosen relative to now (GS1 General Specifications 7.12). ok is false when the
// message has no (17).
func (m Message) Expiry(now time.Time) (d Date, ok bool) {
	v, ok := m.Get("17")
	if !ok {
		return Date{}, false
	}
	d, err := DateOf("17", v, now)
	return d, err == nil
}

// String returns the bracketed human-readable form, "(01)05901234123457(10)ABC", with a "(" inside
// a value written "\(".
func (m Message) String() string {
	var b strings.Builder
	for _, e := range m {
		b.WriteString("(" + e.AI + ")")
		b.WriteString(strings.ReplaceAll(e.Value, "(", `\(`))
	}
	return b.String()
}

// ParseScan parses scanner output without its line terminator: an AIM identifier marking GS1 data
// followed by the element string, the bracketed form, or an element string without identifier.
// Any other AIM identifier gives scanerr.NotGS1: a "]C0" Code 128 is not an element string even
// when its digits would parse as one.
func ParseScan(data string) (Message, error) {
	id, rest, err := aim.Split(data)
	if err != nil {
		return nil, err
	}
	switch {
	case id.Code != 0 && !id.ElementString():
		return nil, &scanerr.Error{Kind: scanerr.NotGS1, Detail: "symbology identifier " + id.String() + " does not mark GS1 data"}
	case id.Code == 0 && strings.HasPrefix(rest, "("):
		return ParseBracketed(rest)
	}
	m, err := Parse(rest)
	if err != nil {
		shift(err, len(data)-len(rest))
	}
	return m, err
}

// Parse parses an element string: AIs and their fields, FNC1 separators as GS. An AI of
// predefined length takes exactly its length; any other runs to the next GS or the end. A GS at
// the start, right after a predefined-length field, or at the very end is tolerated (GS1 General
// Specifications 7.8.5; gs1-syntax-engine does the same).
func Parse(s string) (Message, error) {
	if len(s) == 0 {
		return nil, &scanerr.Error{Kind: scanerr.Empty, Detail: "no element string"}
	}
	t := table()
	m := make(Message, 0, len(s)/6+1)
	pos := 0
	gsOK := true // a GS here is superfluous but harmless
	for pos < len(s) {
		if s[pos] == GS {
			if !gsOK && pos != len(s)-1 {
				return nil, &scanerr.Error{Kind: scanerr.BadFormat, Pos: pos, Detail: "empty element between two GS"}
			}
			pos++
			continue
		}
		start := pos
		n := 0
		if pos+2 <= len(s) && isDigit(s[pos]) && isDigit(s[pos+1]) {
			n = int(t.prefixLen[int(s[pos]-'0')*10+int(s[pos+1]-'0')])
		}
		if n == 0 || pos+n > len(s) {
			return nil, &scanerr.Error{Kind: scanerr.UnknownAI, AI: digits(s[pos:], 2), Pos: pos, Detail: "no Application Identifier starts with " + quote(prefix(s[pos:], 4))}
		}
		ai := s[pos : pos+n]
		def := t.byAI[ai]
		if def == nil {
			return nil, &scanerr.Error{Kind: scanerr.UnknownAI, AI: ai, Pos: pos, Detail: "not an Application Identifier"}
		}
		pos += n
		var v string
		if def.Predefined {
			end := pos + def.MaxLen
			if end > len(s) {
				return nil, &scanerr.Error{Kind: scanerr.BadLength, AI: ai, Pos: start,
					Detail: itoa(def.MaxLen) + " characters needed, " + itoa(len(s)-pos) + " found"}
			}
			v = s[pos:end]
			if i := strings.IndexByte(v, GS); i >= 0 {
				return nil, &scanerr.Error{Kind: scanerr.BadLength, AI: ai, Pos: start,
					Detail: itoa(def.MaxLen) + " characters needed, " + itoa(i) + " found before GS"}
			}
			pos = end
			gsOK = true
		} else {
			end := strings.IndexByte(s[pos:], GS)
			if end < 0 {
				v, pos = s[pos:], len(s)
			} else {
				v, pos = s[pos:pos+end], pos+end+1
			}
			gsOK = false
		}
		if err := def.Check(v); err != nil {
			shift(err, start+n)
			return nil, err
		}
		m = append(m, Element{AI: ai, Value: v})
	}
	if len(m) == 0 {
		return nil, &scanerr.Error{Kind: scanerr.Empty, Detail: "only separators"}
	}
	return m, nil
}

// ParseBracketed parses the human-readable form "(01)05901234123457(10)ABC". A "(" inside a
// value is written "\(" (the convention of the GS1 Barcode Syntax Engine).
func ParseBracketed(s string) (Message, error) {
	if len(s) == 0 {
		return nil, &scanerr.Error{Kind: scanerr.Empty, Detail: "no element string"}
	}
	t := table()
	m := make(Message, 0, strings.Count(s, "("))
	pos := 0
	for pos < len(s) {
		if s[pos] != '(' {
			return nil, &scanerr.Error{Kind: scanerr.BadFormat, Pos: pos, Detail: "expected \"(\" and an AI"}
		}
		end := strings.IndexByte(s[pos:], ')')
		if end < 0 {
			return nil, &scanerr.Error{Kind: scanerr.BadFormat, Pos: pos, Detail: "no \")\" after the AI"}
		}
		ai := s[pos+1 : pos+end]
		def := t.byAI[ai]
		if def == nil {
			return nil, &scanerr.Error{Kind: scanerr.UnknownAI, AI: ai, Pos: pos, Detail: "not an Application Identifier"}
		}
		vstart := pos + end + 1
		vend, escaped := vstart, false
		for vend < len(s) && s[vend] != '(' {
			if s[vend] == '\\' && vend+1 < len(s) && s[vend+1] == '(' {
				escaped = true
				vend++
			}
			vend++
		}
		v := s[vstart:vend]
		if escaped {
			v = strings.ReplaceAll(v, `\(`, "(")
		}
		if err := def.Check(v); err != nil {
			shift(err, vstart)
			return nil, err
		}
		m = append(m, Element{AI: ai, Value: v})
		pos = vend
	}
	return m, nil
}

// Check validates a data field for the AI: its length, character set and content rules. Errors
// are *scanerr.Error with AI set and Pos relative to v.
func (a *AI) Check(v string) error {
	if len(v) < a.MinLen || len(v) > a.MaxLen {
		return &scanerr.Error{Kind: scanerr.BadLength, AI: a.AI, Detail: lengthWant(a) + ", " + itoa(len(v)) + " found"}
	}
	// Split the field into its components (GS1 Barcode Syntax Dictionary: each component
	// consumes a prefix of its length; optional ones may be absent once the data is exhausted).
	var pieces [8]string
	rest := v
	np := 0
	for _, c := range a.parts {
		if rest == "" && c.optional {
			break
		}
		n := c.max
		if c.min != c.max { // variable: the last component takes the rest
			n = min(len(rest), c.max)
		}
		if len(rest) < n || len(rest) < c.min || np == len(pieces) {
			return &scanerr.Error{Kind: scanerr.BadLength, AI: a.AI, Detail: lengthWant(a) + ", " + itoa(len(v)) + " found"}
		}
		pieces[np], rest = rest[:n], rest[n:]
		np++
	}
	if rest != "" {
		return &scanerr.Error{Kind: scanerr.BadLength, AI: a.AI, Detail: lengthWant(a) + ", " + itoa(len(v)) + " found"}
	}
	off := 0
	for i := range np {
		c, p := &a.parts[i], pieces[i]
		if j := badChar(c.cset, p); j >= 0 {
			return &scanerr.Error{Kind: scanerr.BadCharacter, AI: a.AI, Pos: off + j,
				Detail: quote(p[j:j+1]) + " is not allowed in " + csetName(c.cset)}
		}
		for _, l := range c.lint {
			if err := lint(l, p); err != nil {
				err.AI = a.AI
				err.Pos += off
				return err
			}
		}
		off += len(p)
	}
	return nil
}

func lengthWant(a *AI) string {
	if a.MinLen == a.MaxLen {
		return itoa(a.MaxLen) + " characters needed"
	}
	return itoa(a.MinLen) + " to " + itoa(a.MaxLen) + " characters allowed"
}

// shift moves the position of a *scanerr.Error by off.
func shift(err error, off int) {
	if e, ok := err.(*scanerr.Error); ok {
		e.Pos += off
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func prefix(s string, n int) string { return s[:min(n, len(s))] }

// digits returns the digits at the start of s, at most n.
func digits(s string, n int) string {
	i := 0
	for i < len(s) && i < n && isDigit(s[i]) {
		i++
	}
	return s[:i]
}
