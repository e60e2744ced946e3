package zpl

import "unicode/utf8"

// EscapeChar is the hexadecimal indicator every field of a Label declares with ^FH_.
const EscapeChar = '_'

const hexDigits = "0123456789ABCDEF"

// AppendEscaped appends s to dst as the data of a field opened with ^FH_ (ZPL guide, ^FH: "the
// hex indicator must precede each hexadecimal value"). The command prefixes ^ and ~, the
// indicator _, control characters (below 0x20, and 0x7F) and bytes that are not part of a valid
// UTF-8 sequence are written as _XX; everything else, UTF-8 text included, is copied. The result
// contains no ^ or ~ byte, so it cannot end the field or start a command, and the printer decodes
// it back to s.
func AppendEscaped(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if needsEscape(c) {
				dst = append(dst, EscapeChar, hexDigits[c>>4], hexDigits[c&0xF])
			} else {
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			dst = append(dst, EscapeChar, hexDigits[c>>4], hexDigits[c&0xF])
			i++
			continue
		}
		dst = append(dst, s[i:i+n]...)
		i += n
	}
	return dst
}

// Escape returns s escaped as by AppendEscaped.
func Escape(s string) string { return string(AppendEscaped(nil, s)) }

func needsEscape(c byte) bool {
	return c < 0x20 || c == 0x7F || c == '^' || c == '~' || c == EscapeChar
}

// Unescape decodes field data written with ^FH_, as the printer does: each _XX becomes the byte
// 0xXX. A _ not followed by two hexadecimal digits is kept as it is. It is the inverse of
// AppendEscaped and is used by tests and the fake printer.
func Unescape(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == EscapeChar && i+2 < len(s) {
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if ok1 && ok2 {
				b = append(b, hi<<4|lo)
				i += 2
				continue
			}
		}
		b = append(b, s[i])
	}
	return string(b)
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}
