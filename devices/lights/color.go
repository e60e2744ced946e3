package lights

import (
	"fmt"
	"strings"
)

// Color is an 8-bit-per-channel RGB colour. Drivers reorder it for the wire (GRB for WS2812B)
// and scale it by their brightness.
type Color struct{ R, G, B uint8 }

// Named colours, as light.set and pick.tasks name them.
var (
	Off     = Color{}
	Red     = Color{255, 0, 0}
	Green   = Color{0, 255, 0}
	Blue    = Color{0, 0, 255}
	Yellow  = Color{255, 255, 0}
	White   = Color{255, 255, 255}
	Cyan    = Color{0, 255, 255}
	Magenta = Color{255, 0, 255}
	Orange  = Color{255, 165, 0}
)

// names lists the named colours in the order ColorNames gives them.
var names = []struct {
	name string
	c    Color
}{
	{"off", Off}, {"red", Red}, {"green", Green}, {"blue", Blue}, {"yellow", Yellow},
	{"white", White}, {"cyan", Cyan}, {"magenta", Magenta}, {"orange", Orange},
}

// ColorNames returns the names ParseColor accepts besides "#rrggbb".
func ColorNames() []string {
	s := make([]string, len(names))
	for i, n := range names {
		s[i] = n.name
	}
	return s
}

// ParseColor reads a colour name (off, red, green, blue, yellow, white, cyan, magenta, orange;
// any case, surrounding spaces ignored) or a hex triplet "#rrggbb" or "#rgb". Anything else
// gives an error wrapping ErrInvalid.
func ParseColor(s string) (Color, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	for _, n := range names {
		if t == n.name {
			return n.c, nil
		}
	}
	if h, ok := strings.CutPrefix(t, "#"); ok {
		switch len(h) {
		case 6:
			var v [3]uint8
			for i := range v {
				hi, ok1 := hexDigit(h[2*i])
				lo, ok2 := hexDigit(h[2*i+1])
				if !ok1 || !ok2 {
					return Off, badColor(s)
				}
				v[i] = hi<<4 | lo
			}
			return Color{v[0], v[1], v[2]}, nil
		case 3:
			var v [3]uint8
			for i := range v {
				d, ok := hexDigit(h[i])
				if !ok {
					return Off, badColor(s)
				}
				v[i] = d<<4 | d
			}
			return Color{v[0], v[1], v[2]}, nil
		}
	}
	return Off, badColor(s)
}

func badColor(s string) error {
	return fmt.Errorf("colour %q: %w: use one of %s or #rrggbb", s, ErrInvalid, strings.Join(ColorNames(), ", "))
}

func hexDigit(c byte) (uint8, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// String returns the colour's name when it has one, else "#rrggbb"; ParseColor reads both.
func (c Color) String() string {
	for _, n := range names {
		if c == n.c {
			return n.name
		}
	}
	return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B)
}
