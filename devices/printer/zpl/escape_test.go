package zpl

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestEscape(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain text 123", "plain text 123"},
		{"Hélène Dupré, Saint-Étienne", "Hélène Dupré, Saint-Étienne"},
		{"^XZ^XA^JUS", "_5EXZ_5EXA_5EJUS"},
		{"~JR", "_7EJR"},
		{"a_b", "a_5Fb"},
		{"_5E", "_5F5E"},
		{"line\r\nbreak\ttab\x00", "line_0D_0Abreak_09tab_00"},
		{"del\x7f", "del_7F"},
		{"bad \xff\xfe utf8", "bad _FF_FE utf8"},
		{"truncated \xc3", "truncated _C3"},
		{"emoji 📦", "emoji 📦"},
	} {
		got := Escape(tc.in)
		if got != tc.want {
			t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if back := Unescape(got); back != tc.in {
			t.Errorf("Unescape(%q) = %q, want %q", got, back, tc.in)
		}
	}
}

// FuzzEscape: whatever goes in, the escaped field holds no command prefix and no control
// character, every _ starts a two-digit escape, it is valid UTF-8, and the printer's decoding
// gives back the input.
func FuzzEscape(f *testing.F) {
	for _, s := range []string{"", "^XZ", "~JA", "_", "__5E", "Hélène", "\x00\x1f\x7f\xff", "^FS^XZ^XA^JUS^XZ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := Escape(in)
		if strings.ContainsAny(out, "^~") {
			t.Fatalf("Escape(%q) = %q holds a command prefix", in, out)
		}
		for i := 0; i < len(out); i++ {
			c := out[i]
			if c < 0x20 || c == 0x7f {
				t.Fatalf("Escape(%q) = %q holds control byte %#x", in, out, c)
			}
			if c == '_' {
				if i+2 >= len(out) {
					t.Fatalf("Escape(%q) = %q: dangling _", in, out)
				}
				if _, ok := unhex(out[i+1]); !ok {
					t.Fatalf("Escape(%q) = %q: _ not followed by hex", in, out)
				}
				if _, ok := unhex(out[i+2]); !ok {
					t.Fatalf("Escape(%q) = %q: _ not followed by hex", in, out)
				}
				i += 2
			}
		}
		if !utf8.ValidString(out) {
			t.Fatalf("Escape(%q) = %q is not UTF-8", in, out)
		}
		if back := Unescape(out); back != in {
			t.Fatalf("Unescape(Escape(%q)) = %q", in, back)
		}
		// Inside a whole field, the only command the printer sees after ^FD is the ^FS we write.
		field := "^FH_^FD" + out + "^FS"
		if strings.Count(field, "^") != 3 || strings.Contains(field, "~") {
			t.Fatalf("field %q has extra commands", field)
		}
	})
}
