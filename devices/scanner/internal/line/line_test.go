package line

import (
	"errors"
	"strings"
	"testing"
)

func TestAssembler(t *testing.T) {
	for _, c := range []struct {
		name, in, prefix, suffix, want string
		ok                             bool
		err                            error
	}{
		{"plain", "]E05901234123457", "", "", "]E05901234123457", true, nil},
		{"GS RS EOT TAB kept", "[)>\x1e06\x1d1P\x1e\x04a\tb", "", "", "[)>\x1e06\x1d1P\x1e\x04a\tb", true, nil},
		{"prefix and suffix", "<abc>", "<", ">", "abc", true, nil},
		{"only the prefix", "<", "<", "", "", false, nil},
		{"empty", "", "", "", "", false, nil},
		{"NUL", "a\x00b", "", "", "", false, ErrNotText},
		{"DEL", "a\x7f", "", "", "", false, ErrNotText},
		{"C1 control", "a\u0085", "", "", "", false, ErrNotText},
		{"invalid UTF-8", "a\xc3", "", "", "", false, ErrNotText},
		{"UTF-8", "Crème", "", "", "Crème", true, nil},
		{"too long", strings.Repeat("x", Max+1), "", "", "", false, ErrTooLong},
		{"at the limit", strings.Repeat("x", Max), "", "", strings.Repeat("x", Max), true, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := Assembler{Prefix: c.prefix, Suffix: c.suffix}
			for i := 0; i < len(c.in); i++ {
				a.Add(c.in[i])
			}
			if c.in != "" && !a.Pending() {
				t.Error("not pending")
			}
			got, ok, err := a.End()
			if got != c.want || ok != c.ok || !errors.Is(err, c.err) {
				t.Errorf("End() = %q, %v, %v; want %q, %v, %v", got, ok, err, c.want, c.ok, c.err)
			}
			if a.Pending() || a.Len() != 0 {
				t.Error("End did not reset")
			}
		})
	}
}

func TestAddRuneAndQuote(t *testing.T) {
	var a Assembler
	a.AddRune('é')
	a.AddRune(0x1d)
	if s, ok, err := a.End(); s != "é\x1d" || !ok || err != nil {
		t.Errorf("%q %v %v", s, ok, err)
	}
	if q := Quote([]byte(strings.Repeat("a", 50))); !strings.HasSuffix(q, `"...`) || len(q) != 45 {
		t.Errorf("Quote = %s", q)
	}
}
