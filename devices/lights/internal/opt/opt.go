// Package opt reads the driver-specific options of a lights device entry (devices.Spec.Options)
// into typed values, collecting every problem as a devices.FieldError keyed the way the config
// shows it ("addresses[1]"). Drivers share it so that Validate, Capacity and Open read an entry
// the same way.
//
// Option values arrive decoded from YAML: int, int64, float64, string, bool, []any. The readers
// are lenient where YAML is ambiguous: a number may be written 0x20 or as the string "0x20".
package opt

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/stationd/stationd/devices"
)

// Reader reads options from one entry and collects problems.
type Reader struct {
	Spec devices.Spec
	Errs []devices.FieldError
}

// New returns a Reader of s.
func New(s devices.Spec) *Reader { return &Reader{Spec: s} }

// Addf records a problem with key.
func (r *Reader) Addf(key, format string, args ...any) {
	r.Errs = append(r.Errs, devices.FieldError{Key: key, Msg: fmt.Sprintf(format, args...)})
}

// Has says whether key is present.
func (r *Reader) Has(key string) bool {
	_, ok := r.Spec.Options[key]
	return ok
}

// AsInt converts a decoded YAML value to an int: whole numbers, and strings in Go integer syntax
// ("32", "0x20").
func AsInt(v any) (int, bool) {
	switch v := v.(type) {
	case int:
		return v, true
	case int64:
		if v >= math.MinInt32 && v <= math.MaxInt32 {
			return int(v), true
		}
	case uint64:
		if v <= math.MaxInt32 {
			return int(v), true
		}
	case float64:
		if v == math.Trunc(v) && v >= math.MinInt32 && v <= math.MaxInt32 {
			return int(v), true
		}
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(v), 0, 32)
		if err == nil {
			return int(n), true
		}
	}
	return 0, false
}

// Int reads key as a whole number in lo..hi, or def when absent.
func (r *Reader) Int(key string, def, lo, hi int) int {
	v, ok := r.Spec.Options[key]
	if !ok {
		return def
	}
	n, ok := AsInt(v)
	if !ok {
		r.Addf(key, "must be a whole number from %d to %d, not %s", lo, hi, show(v))
		return def
	}
	if n < lo || n > hi {
		r.Addf(key, "must be from %d to %d, not %d", lo, hi, n)
		return def
	}
	return n
}

// Hex reads key like Int and reports problems in hexadecimal (I²C addresses).
func (r *Reader) Hex(key string, def, lo, hi int) int {
	v, ok := r.Spec.Options[key]
	if !ok {
		return def
	}
	n, ok := AsInt(v)
	if !ok || n < lo || n > hi {
		r.Addf(key, "must be from %#x to %#x, not %s", lo, hi, show(v))
		return def
	}
	return n
}

// Millis reads key as a whole number of milliseconds in lo..hi, or def when absent.
func (r *Reader) Millis(key string, def, lo, hi int) time.Duration {
	return time.Duration(r.Int(key, def, lo, hi)) * time.Millisecond
}

// Bool reads key as a bool, or def when absent.
func (r *Reader) Bool(key string, def bool) bool {
	v, ok := r.Spec.Options[key]
	if !ok {
		return def
	}
	b, ok := v.(bool)
	if !ok {
		r.Addf(key, "must be true or false, not %s", show(v))
		return def
	}
	return b
}

// String reads key as a string, or def when absent. Whole numbers are accepted and written in
// decimal (bus: 1).
func (r *Reader) String(key, def string) string {
	v, ok := r.Spec.Options[key]
	if !ok {
		return def
	}
	switch v := v.(type) {
	case string:
		return v
	case int, int64, uint64, float64:
		if n, ok := AsInt(v); ok {
			return strconv.Itoa(n)
		}
	}
	r.Addf(key, "must be a string, not %s", show(v))
	return def
}

// List reads key as a list, calling item for each element with its key ("outputs[2]"). It
// returns false when key is absent or not a list (the latter recorded as a problem).
func (r *Reader) List(key string, item func(key string, v any)) bool {
	v, ok := r.Spec.Options[key]
	if !ok {
		return false
	}
	l, ok := v.([]any)
	if !ok {
		r.Addf(key, "must be a list, not %s", show(v))
		return false
	}
	for i, e := range l {
		item(fmt.Sprintf("%s[%d]", key, i), e)
	}
	return true
}

// show formats a decoded value for a message.
func show(v any) string {
	switch v := v.(type) {
	case string:
		return strconv.Quote(v)
	case nil:
		return "nothing"
	case []any:
		return "a list"
	case map[string]any:
		return "a map"
	}
	return fmt.Sprint(v)
}

// Show formats a decoded value for a message, as the readers do.
func Show(v any) string { return show(v) }
