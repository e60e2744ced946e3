package protocol

import (
	"errors"
	"fmt"
	"time"
)

// wireLayout is the time format of every event (contract section 4): RFC 3339 in UTC with exactly
// three fractional digits. "Z" is a literal here, not a zone directive: the time is converted to
// UTC before formatting.
const wireLayout = "2006-01-02T15:04:05.000Z"

// Time is a time.Time that marshals as the contract's event time, RFC 3339 in UTC with exactly
// three fractional digits ("2026-11-22T15:37:19.123Z"; contract section 4). Sub-millisecond
// digits are truncated, never rounded, so an event never claims a later time than it happened.
// It unmarshals any RFC 3339 time and keeps it in UTC with the precision given.
type Time struct {
	time.Time
}

// NewTime returns t in UTC truncated to the millisecond, without its monotonic clock reading:
// exactly the value an envelope carries, so that it survives a JSON round trip unchanged.
func NewTime(t time.Time) Time {
	return Time{t.UTC().Truncate(time.Millisecond)}
}

// String returns the wire form of t.
func (t Time) String() string {
	b, err := t.appendWire(nil)
	if err != nil {
		return t.Time.String()
	}
	return string(b)
}

func (t Time) appendWire(b []byte) ([]byte, error) {
	u := t.Time.UTC()
	if y := u.Year(); y < 0 || y > 9999 {
		return nil, fmt.Errorf("protocol: time %v: year outside 0000-9999 cannot be written in RFC 3339", t.Time)
	}
	return u.AppendFormat(b, wireLayout), nil
}

// MarshalText returns the wire form of t.
func (t Time) MarshalText() ([]byte, error) { return t.appendWire(nil) }

// MarshalJSON returns the wire form of t as a JSON string.
func (t Time) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, len(wireLayout)+2)
	b = append(b, '"')
	b, err := t.appendWire(b)
	if err != nil {
		return nil, err
	}
	return append(b, '"'), nil
}

// UnmarshalText parses any RFC 3339 time and stores it in UTC.
func (t *Time) UnmarshalText(b []byte) error {
	v, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil {
		return fmt.Errorf("protocol: time %q: must be RFC 3339 (2026-11-22T15:37:19.123Z): %w", b, err)
	}
	t.Time = v.UTC()
	return nil
}

// UnmarshalJSON parses a JSON string holding any RFC 3339 time and stores it in UTC. JSON null
// leaves t unchanged, as encoding/json does for the standard types.
func (t *Time) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return errors.New("protocol: time: must be a JSON string")
	}
	return t.UnmarshalText(b[1 : len(b)-1])
}
