package protocol

import (
	"encoding/json"
	"errors"
	"strconv"
)

// LineID is an order line's identifier as the OMS sent it in pack.order: a JSON string ("A-10")
// or a non-negative JSON integer (10). Events echo it unchanged (contract section 6, pack.item),
// so it keeps which of the two it was: the string "10" and the number 10 are different lines.
// LineID is comparable and can key a map. The zero LineID is no line.
type LineID struct {
	s   string // the string, or the canonical decimal form of the number
	num bool
}

// LineString returns the line identifier written as the JSON string s.
func LineString(s string) LineID { return LineID{s: s} }

// LineNumber returns the line identifier written as the JSON integer n.
func LineNumber(n int64) LineID { return LineID{s: strconv.FormatInt(n, 10), num: true} }

// String returns the identifier for humans and logs: the string, or the number in decimal.
func (l LineID) String() string { return l.s }

// IsNumber reports whether the OMS wrote the identifier as a JSON number.
func (l LineID) IsNumber() bool { return l.num }

// IsZero reports whether l is the zero LineID.
func (l LineID) IsZero() bool { return l == LineID{} }

// MarshalJSON writes l as the OMS wrote it.
func (l LineID) MarshalJSON() ([]byte, error) {
	if l.num {
		return []byte(l.s), nil
	}
	return json.Marshal(l.s)
}

// UnmarshalJSON reads a JSON string or integer. A number is kept in canonical decimal form
// ("1e1" becomes 10).
func (l *LineID) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*l = LineString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return errors.New("protocol: line identifier must be a string or an integer")
	}
	v, integral, overflow := jsonInt(string(n))
	if !integral || overflow != 0 || v < 0 {
		return errors.New("protocol: line identifier number must be a non-negative integer")
	}
	*l = LineNumber(v)
	return nil
}
