package ht16k33

import (
	"fmt"

	"github.com/stationd/stationd/devices/lights"
)

// Segment bits of a 7-segment digit, wired ROW0..ROW7 = a..g, dp as on Adafruit's 7-segment
// backpacks (the layout the vectors use).
const (
	segA  = 1 << iota // top
	segB              // top right
	segC              // bottom right
	segD              // bottom
	segE              // bottom left
	segF              // top left
	segG              // middle
	segDP             // decimal point
)

// font maps the characters a 7-segment digit can show. Letters that have only one shape accept
// both cases.
var font = map[rune]byte{
	'0': 0x3F, '1': 0x06, '2': 0x5B, '3': 0x4F, '4': 0x66,
	'5': 0x6D, '6': 0x7D, '7': 0x07, '8': 0x7F, '9': 0x6F,
	' ': 0, '-': segG, '_': segD,
	'A': 0x77, 'a': 0x77, 'B': 0x7C, 'b': 0x7C, 'C': 0x39, 'c': 0x58, 'D': 0x5E, 'd': 0x5E,
	'E': 0x79, 'e': 0x79, 'F': 0x71, 'f': 0x71, 'G': 0x3D, 'g': 0x3D, 'H': 0x76, 'h': 0x74,
	'I': 0x06, 'i': 0x04, 'J': 0x1E, 'j': 0x1E, 'L': 0x38, 'l': 0x38, 'N': 0x54, 'n': 0x54,
	'O': 0x3F, 'o': 0x5C, 'P': 0x73, 'p': 0x73, 'Q': 0x67, 'q': 0x67, 'R': 0x50, 'r': 0x50,
	'S': 0x6D, 's': 0x6D, 'T': 0x78, 't': 0x78, 'U': 0x3E, 'u': 0x1C, 'Y': 0x6E, 'y': 0x6E,
}

// Render lays text out on a display of n digits, right-aligned: the segment byte of each
// digit, left to right. A '.' lights the decimal point of the digit before it (or of a blank
// digit when it comes first). Text that does not fit, or a character outside the font, gives
// an error wrapping lights.ErrInvalid: a quantity is never shown truncated.
func Render(text string, n int) ([]byte, error) {
	var segs []byte
	for _, r := range text {
		if r == '.' {
			if len(segs) == 0 || segs[len(segs)-1]&segDP != 0 {
				segs = append(segs, 0)
			}
			segs[len(segs)-1] |= segDP
			continue
		}
		b, ok := font[r]
		if !ok {
			return nil, fmt.Errorf("text %q: %w: a 7-segment digit cannot show %q (digits, - _ and some letters)", text, lights.ErrInvalid, r)
		}
		segs = append(segs, b)
	}
	if len(segs) > n {
		return nil, fmt.Errorf("text %q: %w: it needs %d digits and the display has %d", text, lights.ErrInvalid, len(segs), n)
	}
	out := make([]byte, n)
	copy(out[n-len(segs):], segs)
	return out, nil
}
