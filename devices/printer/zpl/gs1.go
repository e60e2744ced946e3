package zpl

import (
	"fmt"
	"strings"
)

// GS1Element is one element string of a GS1-128 or GS1 DataMatrix symbol: an application
// identifier and its data, for example {"00", "003123456000000016"} (an SSCC).
type GS1Element struct {
	AI    string
	Value string
}

// predefinedLength gives, by the first two digits of an application identifier, the length of
// the whole element string (AI included) for the AIs whose length is fixed: no FNC1 separator
// follows them (GS1 General Specifications, figure 5.10.1-2).
var predefinedLength = map[string]int{
	"00": 20, "01": 16, "02": 16, "03": 16, "04": 18,
	"11": 8, "12": 8, "13": 8, "14": 8, "15": 8, "16": 8, "17": 8, "18": 8, "19": 8,
	"20": 4,
	"31": 10, "32": 10, "33": 10, "34": 10, "35": 10, "36": 10,
	"41": 16,
}

// checkDigitAIs are the AIs whose data ends with a GS1 mod-10 check digit (SSCC, GTIN, content
// GTIN, GLN), with the length of their data.
var checkDigitAIs = map[string]int{"00": 18, "01": 14, "02": 14, "410": 13, "411": 13, "412": 13, "413": 13, "414": 13, "415": 13}

// CheckDigit returns the GS1 mod-10 check digit of digits (GS1 General Specifications 7.9.1):
// from the right, digits are weighted 3, 1, 3, ... and the check digit brings the sum to a
// multiple of ten. It returns an error if digits holds anything but 0-9.
func CheckDigit(digits string) (byte, error) {
	sum := 0
	for i := len(digits) - 1; i >= 0; i-- {
		c := digits[i]
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%q: not all digits", digits)
		}
		w := 1
		if (len(digits)-1-i)%2 == 0 {
			w = 3
		}
		sum += int(c-'0') * w
	}
	return byte('0' + (10-sum%10)%10), nil
}

// SSCC returns the 18-digit Serial Shipping Container Code of s: 17 digits get their check
// digit appended, 18 digits have theirs verified.
func SSCC(s string) (string, error) {
	switch len(s) {
	case 17:
		c, err := CheckDigit(s)
		if err != nil {
			return "", fmt.Errorf("sscc %w", err)
		}
		return s + string(c), nil
	case 18:
		c, err := CheckDigit(s[:17])
		if err != nil {
			return "", fmt.Errorf("sscc %w", err)
		}
		if s[17] != c {
			return "", fmt.Errorf("sscc %s: check digit %c is wrong, expected %c", s, s[17], c)
		}
		return s, nil
	}
	return "", fmt.Errorf("sscc %q: must be 17 digits (check digit computed) or 18 (check digit verified)", s)
}

// Validate checks e: the AI is 2 to 4 digits, the data uses the GS1 character set 82 (GS1
// General Specifications 7.11, figure 7.11-1), has the length of a predefined-length AI, and
// carries a correct check digit for the AIs that have one.
func (e GS1Element) Validate() error {
	if len(e.AI) < 2 || len(e.AI) > 4 || !allDigits(e.AI) {
		return fmt.Errorf("gs1: application identifier %q: must be 2 to 4 digits", e.AI)
	}
	if e.Value == "" {
		return fmt.Errorf("gs1 (%s): no data", e.AI)
	}
	for i := 0; i < len(e.Value); i++ {
		if !cset82(e.Value[i]) {
			return fmt.Errorf("gs1 (%s) %q: character %q is not allowed in GS1 data", e.AI, e.Value, e.Value[i])
		}
	}
	if n, ok := predefinedLength[e.AI[:2]]; ok && len(e.AI)+len(e.Value) != n {
		return fmt.Errorf("gs1 (%s) %q: must be %d characters", e.AI, e.Value, n-len(e.AI))
	}
	if n, ok := checkDigitAIs[e.AI]; ok {
		if len(e.Value) != n || !allDigits(e.Value) {
			return fmt.Errorf("gs1 (%s) %q: must be %d digits", e.AI, e.Value, n)
		}
		c, _ := CheckDigit(e.Value[:n-1])
		if e.Value[n-1] != c {
			return fmt.Errorf("gs1 (%s) %s: check digit %c is wrong, expected %c", e.AI, e.Value, e.Value[n-1], c)
		}
	}
	return nil
}

// fixedLength reports whether e's element string has a predefined length (no separator needed
// after it).
func (e GS1Element) fixedLength() bool {
	_, ok := predefinedLength[e.AI[:2]]
	return ok
}

// HRI returns the human readable interpretation of elements: "(00) 003123456000000016 (37) 12".
func HRI(elements []GS1Element) string {
	var b strings.Builder
	for i, e := range elements {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteByte('(')
		b.WriteString(e.AI)
		b.WriteString(") ")
		b.WriteString(e.Value)
	}
	return b.String()
}

// gs1Tokens returns the Code 128 tokens of a GS1-128 symbol: FNC1 in first position, then each
// element string, with FNC1 as separator after every variable-length element but the last (GS1
// General Specifications 5.4, GS1-128, and 7.8, concatenation of element strings).
func gs1Tokens(elements []GS1Element) ([]int, error) {
	if len(elements) == 0 {
		return nil, fmt.Errorf("gs1: no element strings")
	}
	toks := []int{fnc1}
	for i, e := range elements {
		if err := e.Validate(); err != nil {
			return nil, err
		}
		for j := 0; j < len(e.AI); j++ {
			toks = append(toks, int(e.AI[j]))
		}
		for j := 0; j < len(e.Value); j++ {
			toks = append(toks, int(e.Value[j]))
		}
		if i < len(elements)-1 && !e.fixedLength() {
			toks = append(toks, fnc1)
		}
	}
	return toks, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// cset82 reports whether c is in GS1 AI encodable character set 82.
func cset82(c byte) bool {
	switch {
	case '0' <= c && c <= '9', 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z':
		return true
	}
	return strings.IndexByte(`!"%&'()*+,-./:;<=>?_`, c) >= 0
}
