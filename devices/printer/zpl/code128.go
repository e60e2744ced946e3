package zpl

import (
	"errors"
	"fmt"
)

// Code 128 in ZPL's "no mode" (^BC m = N): the field data names the subsets itself with
// invocation characters (ZPL guide, ^BC, "Code 128 Invocation Characters" and "Start
// Characters"):
//
//	>9 start in subset A   >: start in subset B   >; start in subset C
//	>7 switch to A         >6 switch to B         >5 switch to C
//	>8 FNC1                >0 '>' (B)             >< '^' (B)   >= '~' (B)   >1 DEL (B)
//
// Subsets A and C are written as pairs of digits 00..99: in C each pair is printed as entered,
// in A each pair is the value of one subset A character (00 = space ... 63 = '_', 64 = NUL ...
// 95 = US). The subsets are chosen by encode128 for the fewest symbols.

const (
	setA = iota
	setB
	setC
	nsets
)

// fnc1 marks an FNC1 in a token list; every other token is a byte.
const fnc1 = -1

// maxCode128 bounds the data of one Code 128 symbol. The symbology has no limit of its own;
// scanners and label widths do, and GS1-128 allows 48 characters.
const maxCode128 = 80

var errCode128Empty = errors.New("code 128: no data")

// encode128 appends the ^FD data (before ^FH escaping) that makes a ZPL printer in no mode
// encode toks with the fewest symbol characters, and returns how many (start included, check
// and stop not).
func encode128(dst []byte, toks []int) ([]byte, int, error) {
	n := len(toks)
	if n == 0 {
		return dst, 0, errCode128Empty
	}
	if n > maxCode128 {
		return dst, 0, fmt.Errorf("code 128: %d characters is over the %d this builder allows", n, maxCode128)
	}
	for i, t := range toks {
		if t != fnc1 && (t < 0 || t > 127) {
			return dst, 0, fmt.Errorf("code 128: byte 0x%02X at %d is not ASCII: Code 128 cannot carry it", t&0xFF, i)
		}
	}
	const inf = 1 << 30
	// cost[i][s]: fewest symbols for toks[i:] when subset s is active before toks[i].
	// next[i][s]: the subset toks[i] is encoded in (s itself, or a switch to it).
	var cost [maxCode128 + 1][nsets]int
	var next [maxCode128 + 1][nsets]int8
	stay := func(i, s int) (int, int) { // symbols for toks[i:] when encoding toks[i] in s, and width
		w := width128(toks, i, s)
		if w == 0 {
			return inf, 0
		}
		return 1 + cost[i+w][s], w
	}
	for i := n - 1; i >= 0; i-- {
		var st [nsets]int
		for s := 0; s < nsets; s++ {
			st[s], _ = stay(i, s)
		}
		for s := 0; s < nsets; s++ {
			best, bs := st[s], s
			for _, t := range [...]int{setB, setC, setA} { // on ties prefer B, then C

				if t != s && st[t] < inf && 1+st[t] < best {
					best, bs = 1+st[t], t
				}
			}
			cost[i][s], next[i][s] = best, int8(bs)
		}
	}
	// Start: the start character replaces a switch. On ties prefer B, then C, then A: an odd
	// run of digits then starts with one digit in B ("12345" is >:1>52345, not >;1234>65).
	start, best := -1, inf
	for _, s := range [...]int{setB, setC, setA} {
		if c, _ := stay(0, s); c < best {
			start, best = s, c
		}
	}
	if start < 0 {
		return dst, 0, errors.New("code 128: data cannot be encoded")
	}
	dst = append(dst, '>', startChar[start])
	cur := start
	for i := 0; i < n; {
		s := int(next[i][cur])
		if i == 0 {
			s = start
		}
		if s != cur {
			dst = append(dst, '>', switchChar[s])
			cur = s
		}
		w := width128(toks, i, cur)
		dst = append128(dst, toks[i:i+w], cur)
		i += w
	}
	return dst, 1 + best, nil
}

var (
	startChar  = [nsets]byte{setA: '9', setB: ':', setC: ';'}
	switchChar = [nsets]byte{setA: '7', setB: '6', setC: '5'}
)

// width128 returns how many tokens from toks[i] one symbol of subset s encodes, 0 if it cannot.
func width128(toks []int, i, s int) int {
	t := toks[i]
	if t == fnc1 {
		return 1 // FNC1 exists in every subset
	}
	switch s {
	case setA:
		if t < 96 {
			return 1
		}
	case setB:
		if t >= 32 {
			return 1
		}
	case setC:
		if isDigit(t) && i+1 < len(toks) && isDigit(toks[i+1]) {
			return 2
		}
	}
	return 0
}

func isDigit(t int) bool { return '0' <= t && t <= '9' }

func append128(dst []byte, toks []int, s int) []byte {
	if toks[0] == fnc1 {
		return append(dst, '>', '8')
	}
	switch s {
	case setC:
		return append(dst, byte(toks[0]), byte(toks[1]))
	case setA:
		v := toks[0] - 32 // subset A values: space..'_' are 0..63, NUL..US are 64..95
		if v < 0 {
			v = toks[0] + 64
		}
		return append(dst, byte('0'+v/10), byte('0'+v%10))
	}
	switch c := byte(toks[0]); c {
	case '>':
		return append(dst, '>', '0')
	case '^':
		return append(dst, '>', '<')
	case '~':
		return append(dst, '>', '=')
	case 0x7F:
		return append(dst, '>', '1')
	default:
		return append(dst, c)
	}
}

// code128Tokens returns the tokens of plain data.
func code128Tokens(data string) []int {
	toks := make([]int, len(data))
	for i := 0; i < len(data); i++ {
		toks[i] = int(data[i])
	}
	return toks
}
