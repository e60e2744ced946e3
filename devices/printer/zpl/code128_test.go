package zpl

import (
	"fmt"
	"strings"
	"testing"
)

// decode128 reads ZPL no-mode Code 128 field data as the printer does (ZPL guide, ^BC
// invocation characters) and returns the symbol characters (start, data, no check or stop) and
// the data a scanner reports, FNC1 written as \x1d (and a leading FNC1 as "]C1").
func decode128(t *testing.T, zd string) (symbols int, data string) {
	t.Helper()
	if len(zd) < 2 || zd[0] != '>' {
		t.Fatalf("%q: no start character", zd)
	}
	set := map[byte]int{'9': setA, ':': setB, ';': setC}[zd[1]]
	if !strings.ContainsRune("9:;", rune(zd[1])) {
		t.Fatalf("%q: bad start %q", zd, zd[1])
	}
	symbols = 1
	var out strings.Builder
	for i := 2; i < len(zd); {
		if zd[i] == '>' {
			if i+1 >= len(zd) {
				t.Fatalf("%q: dangling >", zd)
			}
			c := zd[i+1]
			i += 2
			symbols++
			switch c {
			case '8':
				if symbols == 2 {
					out.WriteString("]C1")
				} else {
					out.WriteByte(0x1d)
				}
			case '5':
				set = setC
			case '6':
				if set == setB {
					t.Fatalf("%q: >6 in subset B is FNC4", zd)
				}
				set = setB
			case '7':
				if set == setA {
					t.Fatalf("%q: >7 in subset A is FNC4", zd)
				}
				set = setA
			case '0', '<', '=', '1':
				if set != setB {
					t.Fatalf("%q: >%c outside subset B", zd, c)
				}
				out.WriteByte(map[byte]byte{'0': '>', '<': '^', '=': '~', '1': 0x7f}[c])
			default:
				t.Fatalf("%q: unexpected invocation >%c", zd, c)
			}
			continue
		}
		symbols++
		switch set {
		case setB:
			out.WriteByte(zd[i])
			i++
		case setC, setA:
			if i+1 >= len(zd) || !isDigit(int(zd[i])) || !isDigit(int(zd[i+1])) {
				t.Fatalf("%q: subset %d needs digit pairs at %d", zd, set, i)
			}
			v := int(zd[i]-'0')*10 + int(zd[i+1]-'0')
			if set == setC {
				out.WriteString(zd[i : i+2])
			} else {
				if v > 95 {
					t.Fatalf("%q: subset A value %d", zd, v)
				}
				if v < 64 {
					out.WriteByte(byte(v + 32))
				} else {
					out.WriteByte(byte(v - 64))
				}
			}
			i += 2
		}
	}
	return symbols, out.String()
}

func TestEncode128(t *testing.T) {
	for _, tc := range []struct {
		data, want string
	}{
		{"123456", ">;123456"},
		{"12345", ">:1>52345"},
		{"123456", ">;123456"},
		{"AB12345", ">:AB1>52345"},
		{"ABC", ">:ABC"},
		{"1Z999AA10123456784", ">:1Z999AA1>50123456784"},
		{"6A12345678901", ">:6A1>52345678901"},
		{"XY123456789FR", ">:XY1>523456789>6FR"},
		{"AB12CD", ">:AB12CD"},
		{"a>b^c~d", ">:a>0b><c>=d"},
		{"A\x1dB", ">9" + "33" + "93" + "34"},
		{"ab\tcd", ">:ab>7" + "73" + ">6cd"},
		{"0", ">:0"},
		{"_x_", ">:_x_"},
	} {
		t.Run(fmt.Sprintf("%q", tc.data), func(t *testing.T) {
			got, n, err := encode128(nil, code128Tokens(tc.data))
			if err != nil {
				t.Fatal(err)
			}
			if m, _ := decode128(t, string(got)); m != n {
				t.Errorf("encode128 counts %d symbols, the data has %d", n, m)
			}
			if string(got) != tc.want {
				t.Errorf("encode128 = %q, want %q", got, tc.want)
			}
			if _, d := decode128(t, string(got)); d != tc.data {
				t.Errorf("decodes to %q, want %q", d, tc.data)
			}
		})
	}
}

func TestEncodeGS1(t *testing.T) {
	for _, tc := range []struct {
		name  string
		elems []GS1Element
		want  string
		data  string
	}{
		{"sscc", []GS1Element{{"00", "106141411234567897"}}, ">;>800106141411234567897", "]C100106141411234567897"},
		{"gtin count po", []GS1Element{{"02", "03012345678902"}, {"37", "12"}, {"400", "PO-77"}},
			">;>802030123456789023712>840>60PO-77", "]C1020301234567890237 12\x1d400PO-77"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			toks, err := gs1Tokens(tc.elems)
			if err != nil {
				t.Fatal(err)
			}
			got, _, err := encode128(nil, toks)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("encode128 = %q, want %q", got, tc.want)
			}
			want := strings.ReplaceAll(tc.data, " ", "")
			if _, d := decode128(t, string(got)); d != want {
				t.Errorf("decodes to %q, want %q", d, want)
			}
		})
	}
}

func TestEncode128Refuses(t *testing.T) {
	for _, data := range []string{"", "é", strings.Repeat("A", maxCode128+1)} {
		if _, _, err := encode128(nil, code128Tokens(data)); err == nil {
			t.Errorf("%q: no error", data)
		}
	}
}

// naive128 counts the symbols of the simple rule "B, with C for even runs of 4 or more digits"
// (the usual hand encoding); the optimal encoding never uses more.
func naive128(data string) int {
	n, i := 1, 0
	set := setB
	for i < len(data) {
		j := i
		for j < len(data) && isDigit(int(data[j])) {
			j++
		}
		if run := j - i; run >= 4 {
			if run%2 == 1 {
				if set != setB {
					n++
					set = setB
				}
				n++
				i++
				run--
			}
			if set != setC {
				n++
				set = setC
			}
			n += run / 2
			i += run
			continue
		}
		if set != setB {
			n++
			set = setB
		}
		n++
		i++
	}
	return n
}

func FuzzEncode128(f *testing.F) {
	for _, s := range []string{"1Z999AA10123456784", "12345", "a>b", "A\x1dB\x00", "9999x9999", "~^>\x7f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		got, count, err := encode128(nil, code128Tokens(data))
		if err != nil {
			if data != "" && len(data) <= maxCode128 && isASCII(data) {
				t.Fatalf("%q: %v", data, err)
			}
			return
		}
		n, d := decode128(t, string(got))
		if n != count {
			t.Fatalf("%q: encode128 counts %d symbols, the data has %d", data, count, n)
		}
		if d != data {
			t.Fatalf("%q encodes as %q which decodes to %q", data, got, d)
		}
		if strings.ContainsAny(string(got), "^~") {
			t.Fatalf("%q: field data %q holds a command prefix", data, got)
		}
		if allPrintable(data) && n > naive128(data) {
			t.Fatalf("%q: %d symbols, the naive encoding needs %d", data, n, naive128(data))
		}
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func allPrintable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return true
}
