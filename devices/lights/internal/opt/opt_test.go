package opt

import (
	"testing"
	"time"

	"github.com/stationd/stationd/devices"
)

func TestAsInt(t *testing.T) {
	tests := []struct {
		v    any
		want int
		ok   bool
	}{
		{32, 32, true}, {int64(7), 7, true}, {float64(3), 3, true}, {"0x20", 32, true}, {" 12 ", 12, true},
		{1.5, 0, false}, {"x", 0, false}, {true, 0, false}, {nil, 0, false}, {int64(1) << 40, 0, false},
	}
	for _, tt := range tests {
		got, ok := AsInt(tt.v)
		if got != tt.want || ok != tt.ok {
			t.Errorf("AsInt(%#v) = %d, %v; want %d, %v", tt.v, got, ok, tt.want, tt.ok)
		}
	}
}

func TestReader(t *testing.T) {
	r := New(devices.Spec{Options: map[string]any{
		"a": 5, "b": 500, "c": "yes", "d": 1, "e": "0x71", "f": []any{1, "x"}, "g": 3,
	}})
	if got := r.Int("a", 0, 1, 10); got != 5 {
		t.Errorf("a = %d", got)
	}
	if got := r.Int("b", 7, 1, 10); got != 7 {
		t.Errorf("out of range b = %d, want the default", got)
	}
	if got := r.Bool("c", false); got {
		t.Error("c")
	}
	if got := r.String("d", ""); got != "1" {
		t.Errorf("d = %q", got)
	}
	if got := r.Hex("e", 0, 0x70, 0x77); got != 0x71 {
		t.Errorf("e = %#x", got)
	}
	var items []string
	r.List("f", func(k string, v any) { items = append(items, k) })
	if len(items) != 2 || items[1] != "f[1]" {
		t.Errorf("items %v", items)
	}
	if r.List("g", func(string, any) {}) {
		t.Error("g is not a list")
	}
	if got := r.Millis("missing", 20, 1, 100); got != 20*time.Millisecond {
		t.Errorf("missing = %v", got)
	}
	var keys []string
	for _, e := range r.Errs {
		keys = append(keys, e.Key)
	}
	if len(keys) != 3 || keys[0] != "b" || keys[1] != "c" || keys[2] != "g" {
		t.Errorf("errors %v", r.Errs)
	}
}
