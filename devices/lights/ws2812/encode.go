package ws2812

import (
	"fmt"
	"strings"

	"github.com/stationd/stationd/devices/lights"
)

// A WS2812B data bit is a high pulse then a low one within 1.25 µs ± 600 ns: T0H 0.4 µs, T0L
// 0.85 µs, T1H 0.8 µs, T1L 0.45 µs, each ± 150 ns (Worldsemi WS2812B data sheet, "Data transfer
// time"). Sent from SPI MOSI, each data bit becomes a few SPI bits at a clock chosen so that they
// fall inside those windows:
//
//	3 SPI bits at 2.4 MHz (416.7 ns each) or 2.5 MHz (400 ns): 0 -> 100, 1 -> 110
//	4 SPI bits at 3.2 MHz (312.5 ns each):                     0 -> 1000, 1 -> 1110
//
// ("1100" at 3.2 MHz gives T1H = 625 ns, below 650 ns: not used.)
var (
	nrz3 = makeTable(3) // data byte -> 3 SPI bytes, most significant first
	nrz4 = makeTable(4) // data byte -> 4 SPI bytes
)

func makeTable(bits int) [256]uint32 {
	one, zero := uint32(0b110), uint32(0b100)
	if bits == 4 {
		one, zero = 0b1110, 0b1000
	}
	var t [256]uint32
	for b := range 256 {
		var v uint32
		for i := 7; i >= 0; i-- { // most significant data bit first
			v <<= bits
			if b&(1<<i) != 0 {
				v |= one
			} else {
				v |= zero
			}
		}
		t[b] = v
	}
	return t
}

// Encoder turns pixel colours into the SPI bytes of a WS2812 chain.
type Encoder struct {
	bits  int    // SPI bits per data bit: 3 or 4
	order [3]int // for each wire position, the index into (R, G, B)
	scale uint32 // brightness + 1, in 256ths
}

// NewEncoder returns an encoder with bits SPI bits per data bit (3 or 4), the chain's colour
// order on the wire ("grb" for the WS2812B: G7..G0 R7..R0 B7..B0, data sheet "Composition of
// 24bit data"), and a brightness 0..255 that scales every channel (255: unchanged).
func NewEncoder(bits int, order string, brightness uint8) (*Encoder, error) {
	if bits != 3 && bits != 4 {
		return nil, fmt.Errorf("ws2812: %d SPI bits per data bit: %w: use 3 (2.4 or 2.5 MHz) or 4 (3.2 MHz)", bits, lights.ErrInvalid)
	}
	o, err := parseOrder(order)
	if err != nil {
		return nil, err
	}
	return &Encoder{bits: bits, order: o, scale: uint32(brightness) + 1}, nil
}

func parseOrder(order string) ([3]int, error) {
	var o [3]int
	s := strings.ToLower(order)
	if len(s) != 3 {
		return o, fmt.Errorf("ws2812: colour order %q: %w: use a permutation of r, g, b such as grb", order, lights.ErrInvalid)
	}
	seen := 0
	for i := range 3 {
		k := strings.IndexByte("rgb", s[i])
		if k < 0 || seen&(1<<k) != 0 {
			return o, fmt.Errorf("ws2812: colour order %q: %w: use a permutation of r, g, b such as grb", order, lights.ErrInvalid)
		}
		seen |= 1 << k
		o[i] = k
	}
	return o, nil
}

// BytesPerPixel returns the SPI bytes of one pixel: 24 data bits × bits / 8 (9 or 12).
func (e *Encoder) BytesPerPixel() int { return 3 * e.bits }

// Encode appends the SPI bytes of px, pixel 0 (nearest the controller) first, to dst.
func (e *Encoder) Encode(dst []byte, px []lights.Color) []byte {
	for _, c := range px {
		rgb := [3]uint8{c.R, c.G, c.B}
		for _, k := range e.order {
			v := uint8(uint32(rgb[k]) * e.scale >> 8)
			if e.bits == 3 {
				w := nrz3[v]
				dst = append(dst, byte(w>>16), byte(w>>8), byte(w))
			} else {
				w := nrz4[v]
				dst = append(dst, byte(w>>24), byte(w>>16), byte(w>>8), byte(w))
			}
		}
	}
	return dst
}

// ResetBytes returns the zero bytes that keep MOSI low for at least us microseconds at clockHz:
// the latch ("RES") gap after the last pixel, above 50 µs for the WS2812B and 280 µs for the
// WS2812B-V5.
func ResetBytes(us int, clockHz int64) int {
	bits := (int64(us)*clockHz + 999_999) / 1_000_000
	return int((bits + 7) / 8)
}
