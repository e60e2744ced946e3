package outbox

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stationd/stationd/agent/ulid"
)

// FuzzEnvelope feeds arbitrary types, raw data and times through the path Append takes: whatever
// prepare accepts must become a valid, canonical envelope that Check accepts and that decodes
// back to the same fields.
func FuzzEnvelope(f *testing.F) {
	f.Add("pack.completed", []byte(`{"order_id":"A1"}`), int64(1795434545034), false)
	f.Add("scan", []byte(`{"code":"\u001d0109501234567890","gs1":{"01":"09501234567890"}}`), int64(0), true)
	f.Add("x", []byte(` { "a" : [1, 2.5e3, null, true, "<&>"] } `), int64(-1), false)
	f.Add("weight", []byte(`[1]`), int64(253402300799999), true)
	f.Add("a/b", []byte(`{}`), int64(5), false)
	f.Fuzz(func(t *testing.T, typ string, data []byte, ms int64, tele bool) {
		ev := Event{Type: typ, Data: json.RawMessage(data), Telemetry: tele}
		if ms != 0 {
			ev.Time = time.UnixMilli(ms)
		}
		p, err := prepare(ev)
		if err != nil {
			return
		}
		if p.time.IsZero() {
			p.time = time.UnixMilli(1795434545034)
		}
		id, err := ulid.New(time.UnixMilli(1795434545034), nil)
		if err != nil {
			t.Fatal(err)
		}
		payload := appendEnvelope(nil, id, 42, p.typ, "PAR1", "pack-07", p.time, p.data)
		if !json.Valid(payload) {
			t.Fatalf("invalid JSON: %s", payload)
		}
		vv, err := viewValue(encodeValue(p.typ, id, p.tele, payload))
		if err != nil {
			t.Fatal(err)
		}
		if err := checkEnvelope(42, vv); err != nil {
			t.Fatalf("%v\n%s", err, payload)
		}
		var e envelope
		if err := json.Unmarshal(payload, &e); err != nil || e.Type != typ || e.ID != id.String() || e.Seq != 42 || vv.tele != tele {
			t.Fatalf("decoded %+v %v", e, err)
		}
		if got, _ := time.Parse(timeLayout, e.Time); p.time.Year() >= 1 && !got.Equal(p.time.Truncate(time.Millisecond)) {
			t.Fatalf("time %s for %v", e.Time, p.time)
		}
	})
}

// FuzzStoredValue checks that a damaged stored value is reported, never a panic.
func FuzzStoredValue(f *testing.F) {
	id, _ := ulid.New(time.UnixMilli(1), nil)
	f.Add(encodeValue("pack.item", id, true, []byte(`{"v":1}`)))
	f.Add([]byte{valueVersion, 0, 200})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, v []byte) {
		vv, err := viewValue(v)
		if err != nil {
			return
		}
		rec := vv.record(7)
		_ = checkEnvelope(7, vv)
		if len(rec.ID) != ulid.EncodedLen {
			t.Fatalf("id %q", rec.ID)
		}
	})
}
