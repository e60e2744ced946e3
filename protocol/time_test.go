package protocol

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestTimeMarshal(t *testing.T) {
	paris := time.FixedZone("CET", 3600)
	for _, tc := range []struct {
		name string
		in   time.Time
		want string
	}{
		{"three digits", time.Date(2026, 11, 22, 15, 37, 19, 123_000_000, time.UTC), "2026-11-22T15:37:19.123Z"},
		{"zero milliseconds", time.Date(2026, 11, 22, 15, 37, 0, 0, time.UTC), "2026-11-22T15:37:00.000Z"},
		{"leading zero milliseconds", time.Date(2026, 11, 22, 15, 37, 19, 7_000_000, time.UTC), "2026-11-22T15:37:19.007Z"},
		{"converted to UTC", time.Date(2026, 11, 22, 16, 37, 19, 123_000_000, paris), "2026-11-22T15:37:19.123Z"},
		{"UTC conversion crosses midnight", time.Date(2027, 1, 1, 0, 30, 0, 0, paris), "2026-12-31T23:30:00.000Z"},
		{"sub-millisecond truncated, not rounded", time.Date(2026, 11, 22, 15, 37, 19, 123_999_999, time.UTC), "2026-11-22T15:37:19.123Z"},
		{"zero time", time.Time{}, "0001-01-01T00:00:00.000Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(Time{tc.in})
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != `"`+tc.want+`"` {
				t.Errorf("MarshalJSON = %s, want %q", b, tc.want)
			}
			if s := (Time{tc.in}).String(); s != tc.want {
				t.Errorf("String = %s, want %s", s, tc.want)
			}
			txt, err := Time{tc.in}.MarshalText()
			if err != nil || string(txt) != tc.want {
				t.Errorf("MarshalText = %s, %v", txt, err)
			}
			if !reWireTime.MatchString(tc.want) {
				t.Errorf("%s does not match the schema's time pattern", tc.want)
			}
		})
	}
}

func TestTimeMarshalOutOfRange(t *testing.T) {
	for _, y := range []int{-1, 10000} {
		if _, err := json.Marshal(Time{time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)}); err == nil {
			t.Errorf("year %d: no error", y)
		}
	}
}

func TestTimeUnmarshal(t *testing.T) {
	want := time.Date(2026, 11, 22, 15, 37, 19, 123_000_000, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{`"2026-11-22T15:37:19.123Z"`, want},
		{`"2026-11-22T16:37:19.123+01:00"`, want},
		{`"2026-11-22T10:07:19.123-05:30"`, want},
		{`"2026-11-22T15:37:19Z"`, want.Truncate(time.Second)},
		{`"2026-11-22T15:37:19.123456789Z"`, want.Add(456789)},
		{`"2026-11-22T15:37:19.1Z"`, want.Add(-23 * time.Millisecond)},
	} {
		var got Time
		if err := json.Unmarshal([]byte(tc.in), &got); err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if !got.Equal(tc.want) || got.Location() != time.UTC {
			t.Errorf("%s = %v (%v), want %v in UTC", tc.in, got.Time, got.Location(), tc.want)
		}
	}
	for _, in := range []string{`"2026-11-22"`, `"2026-11-22 15:37:19Z"`, `"yesterday"`, `1700000000`, `"2026-13-01T00:00:00Z"`, `""`} {
		var got Time
		if err := json.Unmarshal([]byte(in), &got); err == nil {
			t.Errorf("%s: no error, got %v", in, got)
		}
	}
	got := NewTime(want)
	if err := json.Unmarshal([]byte(`null`), &got); err != nil || !got.Equal(want) {
		t.Errorf("null: %v, %v; want unchanged", got, err)
	}
}

func TestNewTimeRoundTrip(t *testing.T) {
	in := NewTime(time.Now().In(time.FixedZone("X", -7*3600)))
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out Time
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if out != in {
		t.Errorf("round trip %v -> %s -> %v", in.Time, b, out.Time)
	}
	if strings.Count(string(b), ".") != 1 || len(b) != 26 {
		t.Errorf("wire form %s", b)
	}
}
