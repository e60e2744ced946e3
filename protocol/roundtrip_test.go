package protocol

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// roundTrip marshals v, unmarshals the JSON into a new value of v's type and requires equality.
func roundTrip(t *testing.T, v any) []byte {
	t.Helper()
	b := mustJSON(t, v)
	p := reflect.New(reflect.TypeOf(v))
	if err := json.Unmarshal(b, p.Interface()); err != nil {
		t.Fatalf("%T: unmarshal %s: %v", v, b, err)
	}
	if got := p.Elem().Interface(); !reflect.DeepEqual(got, v) {
		t.Errorf("%T round trip:\n got %#v\nwant %#v\njson %s", v, got, v, b)
	}
	return b
}

func TestRoundTripCommands(t *testing.T) {
	for typ, samples := range commandSamples() {
		for i, d := range samples {
			t.Run(typ, func(t *testing.T) {
				roundTrip(t, d)
				c := sampleCommand(t, i+1, d)
				payload := roundTrip(t, c)
				got, data, err := DecodeCommand(typ, payload)
				if err != nil {
					t.Fatalf("DecodeCommand: %v\n%s", err, payload)
				}
				if !reflect.DeepEqual(data, d) {
					t.Errorf("DecodeCommand data:\n got %#v\nwant %#v", data, d)
				}
				if got.ID != c.ID || got.Type != typ || got.V != Version || got.Time != c.Time {
					t.Errorf("DecodeCommand envelope %+v, want %+v", got, c)
				}
			})
		}
	}
}

func TestRoundTripEvents(t *testing.T) {
	for typ, samples := range eventSamples() {
		for i, d := range samples {
			t.Run(typ, func(t *testing.T) {
				roundTrip(t, d)
				e := sampleEvent(t, i+1, d)
				payload := roundTrip(t, e)
				got, data, err := DecodeEvent(payload)
				if err != nil {
					t.Fatalf("DecodeEvent: %v\n%s", err, payload)
				}
				if !reflect.DeepEqual(data, d) {
					t.Errorf("DecodeEvent data:\n got %#v\nwant %#v", data, d)
				}
				if got.ID != e.ID || got.Seq != e.Seq || got.Type != typ || got.Time != e.Time || got.Site != e.Site || got.Station != e.Station {
					t.Errorf("DecodeEvent envelope %+v, want %+v", got, e)
				}
				if err := e.Validate(); err != nil {
					t.Errorf("Validate: %v", err)
				}
			})
		}
	}
}

func TestRoundTripStatus(t *testing.T) {
	for _, b := range []Birth{sampleBirth(), sampleBirthAlarm()} {
		roundTrip(t, b)
		p, err := b.Payload()
		if err != nil {
			t.Fatal(err)
		}
		s, err := DecodeStatus(p)
		if err != nil || !s.Online || !reflect.DeepEqual(s.Birth, b) {
			t.Errorf("DecodeStatus = %+v, %v; want %+v", s, err, b)
		}
	}
	for _, o := range []Offline{{Reason: OfflineLost}, {Reason: OfflineShutdown}} {
		roundTrip(t, o)
		p, err := o.Payload()
		if err != nil {
			t.Fatal(err)
		}
		want := `{"online":false,"reason":"` + o.Reason + `"}`
		if string(p) != want {
			t.Errorf("offline payload %s, want %s", p, want)
		}
		s, err := DecodeStatus(p)
		if err != nil || s.Online || s.Offline != o {
			t.Errorf("DecodeStatus = %+v, %v", s, err)
		}
	}
	// A birth built without Online, Roles or Devices still says online, with arrays.
	p, err := Birth{Version: "dev", StartedAt: NewTime(sampleTime)}.Payload()
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"online":true,"version":"dev","started_at":"2026-11-22T15:37:19.123Z","roles":[],"devices":[]}`; string(p) != want {
		t.Errorf("minimal birth %s, want %s", p, want)
	}
	if _, err := (Offline{Reason: "crashed"}).Payload(); err == nil {
		t.Error("offline reason crashed accepted")
	}
	if _, err := (Birth{Version: "dev", StartedAt: NewTime(sampleTime), Roles: []string{"pack", "pack"}}).Payload(); err == nil {
		t.Error("duplicate roles accepted")
	}
}

// TestPackCompletedNulls checks the contract's nulls: no divisor means "volumetric_g":null and
// "divisor":null on the wire, never absent.
func TestPackCompletedNulls(t *testing.T) {
	d := eventSamples()[EventPackCompleted][1].(PackCompleted)
	if d.Divisor != nil || d.VolumetricG != nil {
		t.Fatal("sample 1 should have no divisor")
	}
	b := roundTrip(t, d)
	for _, want := range []string{`"volumetric_g":null`, `"divisor":null`, `"billable_g":720`} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("%s lacks %s", b, want)
		}
	}
	with := eventSamples()[EventPackCompleted][0].(PackCompleted)
	b = roundTrip(t, with)
	for _, want := range []string{`"volumetric_g":2996`, `"divisor":5000`, `"outer_mm":[360,260,160]`} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("%s lacks %s", b, want)
		}
	}
}

func TestStationKPINilMaps(t *testing.T) {
	b := mustJSON(t, StationKPI{PeriodS: 60})
	if !strings.Contains(string(b), `"mismatches":{}`) || !strings.Contains(string(b), `"returns":{}`) {
		t.Errorf("nil maps: %s", b)
	}
	if _, err := NewEvent(sampleTime, StationKPI{PeriodS: 60}); err != nil {
		t.Errorf("empty KPI refused: %v", err)
	}
}

func TestLineID(t *testing.T) {
	for _, tc := range []struct {
		in, out string
		num     bool
	}{
		{`10`, `10`, true},
		{`"10"`, `"10"`, false},
		{`"A-10"`, `"A-10"`, false},
		{`1e1`, `10`, true},
		{`10.0`, `10`, true},
		{`0`, `0`, true},
	} {
		var l LineID
		if err := json.Unmarshal([]byte(tc.in), &l); err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if b := mustJSON(t, l); string(b) != tc.out || l.IsNumber() != tc.num {
			t.Errorf("%s -> %s (number %v), want %s (number %v)", tc.in, b, l.IsNumber(), tc.out, tc.num)
		}
	}
	for _, in := range []string{`-1`, `1.5`, `true`, `{}`, `[]`, `1e30`} {
		var l LineID
		if err := json.Unmarshal([]byte(in), &l); err == nil {
			t.Errorf("%s accepted as %v", in, l)
		}
	}
	if LineNumber(10) == LineString("10") {
		t.Error("the number 10 and the string \"10\" are the same line")
	}
	if !(LineID{}).IsZero() || LineNumber(0).IsZero() {
		t.Error("IsZero")
	}
}
