// Package aim reads the symbology identifier a scanner puts in front of the data when it is
// programmed to ("AIM ID"): "]" + code character + modifier (ISO/IEC 15424:2008, table 1). The
// identifier says which barcode was read (EAN-13, GS1-128, GS1 DataMatrix, ...) and whether the
// data is a GS1 element string, which a bare line of digits cannot say.
//
// Sources: ISO/IEC 15424:2008 table 1 as transcribed in jodal/biip src/biip/symbology.py; the GS1
// symbology identifiers of the GS1 General Specifications figure 5.1.2-2 (]E0 ]E1 ]E2 ]E3 ]E4 ]I1
// ]C1 ]e0 ]e1 ]e2 ]d2 ]Q3 ]J1). The package does no I/O.
package aim

import "github.com/stationd/stationd/devices/scanner/scanerr"

// ID is a symbology identifier. The zero ID means none was sent.
type ID struct {
	Code     byte   // code character: 'E', 'C', 'd', ...
	Modifier string // one character, or 2 to 10 for the system expansion code 'Y'
}

// String returns the identifier as sent, "]E0", or "" for the zero ID.
func (id ID) String() string {
	if id.Code == 0 {
		return ""
	}
	return "]" + string(id.Code) + id.Modifier
}

// Is reports whether id is the identifier written s ("]C1").
func (id ID) Is(s string) bool {
	return len(s) >= 3 && s[0] == ']' && s[1] == id.Code && s[2:] == id.Modifier
}

// Split separates a leading symbology identifier from the data. Data that does not start with
// "]" has none: Split returns the zero ID and data unchanged. Data that starts with "]" must
// carry a complete identifier (scanerr.BadSymbologyIdentifier) with a code character of ISO/IEC
// 15424 (scanerr.UnknownSymbologyIdentifier; the ID is still returned, for the log).
//
// Split does not allocate: the modifier and the rest are substrings of data.
func Split(data string) (ID, string, error) {
	if len(data) == 0 || data[0] != ']' {
		return ID{}, data, nil
	}
	if len(data) < 3 {
		return ID{}, data, &scanerr.Error{Kind: scanerr.BadSymbologyIdentifier, Detail: "identifier cut short: " + data}
	}
	id := ID{Code: data[1], Modifier: data[2:3]}
	if id.Code == 'Y' {
		// ISO/IEC 15424 system expansion: the first modifier digit n is followed by n more.
		n := int(data[2] - '0')
		if n < 0 || n > 9 || len(data) < 3+1+n {
			return ID{}, data, &scanerr.Error{Kind: scanerr.BadSymbologyIdentifier, Detail: "bad system expansion identifier"}
		}
		id.Modifier = data[2 : 3+n]
	}
	if symbologies[id.Code] == "" {
		return id, data, &scanerr.Error{Kind: scanerr.UnknownSymbologyIdentifier, Detail: "unknown code character '" + string(id.Code) + "'"}
	}
	return id, data[2+len(id.Modifier):], nil
}

// symbologies maps the ISO/IEC 15424 code characters to symbology names.
var symbologies = [256]string{
	'A': "Code 39",
	'B': "Telepen",
	'C': "Code 128",
	'D': "Code One",
	'E': "EAN/UPC",
	'F': "Codabar",
	'G': "Code 93",
	'H': "Code 11",
	'I': "ITF (Interleaved 2 of 5)",
	'J': "DotCode", // assigned after ISO/IEC 15424:2008; GS1 General Specifications 5.1.2, gs1-syntax-engine scandata.c
	'K': "Code 16K",
	'L': "PDF417 / MicroPDF417",
	'M': "MSI",
	'N': "Anker",
	'O': "Codablock",
	'P': "Plessey Code",
	'Q': "QR Code",
	'R': "Straight 2 of 5 (two-bar start/stop)",
	'S': "Straight 2 of 5 (three-bar start/stop)",
	'T': "Code 49",
	'U': "MaxiCode",
	'X': "Other barcode",
	'Y': "System expansion",
	'Z': "Non-barcode",
	'c': "Channel Code",
	'd': "Data Matrix",
	'e': "GS1 DataBar / GS1 Composite",
	'o': "OCR",
	'p': "PosiCode",
	's': "SuperCode",
	'z': "Aztec Code",
}

// Symbology returns the ISO/IEC 15424 name of the identifier's symbology ("EAN/UPC", "Code 128",
// "Data Matrix"), or "" for the zero ID or an unknown code character.
func (id ID) Symbology() string { return symbologies[id.Code] }

// gs1 lists the GS1 symbology identifiers, GS1 General Specifications figure 5.1.2-2.
var gs1 = []struct {
	id      string
	name    string
	element bool // the data is GS1 element strings (AIs, FNC1 as GS)
}{
	{"]E0", "EAN-13, UPC-A or UPC-E", false},
	{"]E1", "two-digit add-on", false},
	{"]E2", "five-digit add-on", false},
	{"]E3", "EAN-13, UPC-A or UPC-E with add-on", false},
	{"]E4", "EAN-8", false},
	{"]I1", "ITF-14", false},
	{"]C1", "GS1-128", true},
	{"]e0", "GS1 DataBar", true},
	{"]e1", "GS1 Composite", true},
	{"]e2", "GS1 Composite", true},
	{"]d2", "GS1 DataMatrix", true},
	{"]Q3", "GS1 QR Code", true},
	{"]J1", "GS1 DotCode", true},
}

// GS1 returns the GS1 name of the identifier ("GS1-128", "EAN-8", "ITF-14") when it is one of the
// GS1 symbology identifiers, else "".
func (id ID) GS1() string {
	for _, g := range gs1 {
		if id.Is(g.id) {
			return g.name
		}
	}
	return ""
}

// ElementString reports whether the data after id is a GS1 element string (Application
// Identifiers with FNC1 transmitted as GS, 0x1D): ]C1, ]e0, ]e1, ]e2, ]d2, ]Q3 and ]J1.
func (id ID) ElementString() bool {
	for _, g := range gs1 {
		if g.element && id.Is(g.id) {
			return true
		}
	}
	return false
}
