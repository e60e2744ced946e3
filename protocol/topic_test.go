package protocol

import "testing"

func TestTopics(t *testing.T) {
	tp, err := NewTopics("", "PAR1", "pack-07")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ got, want string }{
		{tp.Base(), "wh/v1/PAR1/pack-07"},
		{tp.Status(), "wh/v1/PAR1/pack-07/status"},
		{tp.Event(EventPackCompleted), "wh/v1/PAR1/pack-07/evt/pack.completed"},
		{tp.Command(CommandPackOrder), "wh/v1/PAR1/pack-07/cmd/pack.order"},
		{tp.CommandFilter(), "wh/v1/PAR1/pack-07/cmd/+"},
		{tp.EventFilter(), "wh/v1/PAR1/pack-07/evt/+"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	custom, err := NewTopics("acme/wms/v1", "LYS_2", "put-wall-1")
	if err != nil {
		t.Fatal(err)
	}
	if got := custom.Command("put.wall"); got != "acme/wms/v1/LYS_2/put-wall-1/cmd/put.wall" {
		t.Errorf("custom prefix: %q", got)
	}
}

func TestTopicsCommandType(t *testing.T) {
	tp, _ := NewTopics("wh/v1", "PAR1", "pack-07")
	for _, tc := range []struct {
		topic string
		typ   string
		ok    bool
	}{
		{"wh/v1/PAR1/pack-07/cmd/pack.order", "pack.order", true},
		{"wh/v1/PAR1/pack-07/cmd/no.such", "no.such", true}, // unknown types are ParseCommand's to answer
		{"wh/v1/PAR1/pack-07/cmd/", "", false},
		{"wh/v1/PAR1/pack-07/cmd/a/b", "", false},
		{"wh/v1/PAR1/pack-08/cmd/pack.order", "", false},
		{"wh/v1/PAR1/pack-07/evt/pack.order", "", false},
		{"wh/v1/PAR1/pack-07/status", "", false},
		{"wh/v1/PAR1/pack-07/cmd/pack.order/", "", false},
	} {
		typ, ok := tp.CommandType(tc.topic)
		if typ != tc.typ || ok != tc.ok {
			t.Errorf("CommandType(%q) = %q, %v; want %q, %v", tc.topic, typ, ok, tc.typ, tc.ok)
		}
	}
	if typ, ok := tp.EventType("wh/v1/PAR1/pack-07/evt/pack.completed"); typ != "pack.completed" || !ok {
		t.Errorf("EventType = %q, %v", typ, ok)
	}
	if _, ok := (Topics{}).CommandType("/cmd/pack.order"); ok {
		t.Error("zero Topics parsed a topic")
	}
}

func TestNewTopicsRefuses(t *testing.T) {
	for _, tc := range []struct{ prefix, site, station string }{
		{"/wh/v1", "PAR1", "pack-07"},
		{"wh/v1/", "PAR1", "pack-07"},
		{"wh//v1", "PAR1", "pack-07"},
		{"wh/+/v1", "PAR1", "pack-07"},
		{"wh/#", "PAR1", "pack-07"},
		{"$SYS/x", "PAR1", "pack-07"},
		{"wh/v1", "", "pack-07"},
		{"wh/v1", "PAR 1", "pack-07"},
		{"wh/v1", "PAR1", "pack/07"},
		{"wh/v1", "PAR1", "+"},
		{"wh/v1", "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456", "pack-07"},
	} {
		if _, err := NewTopics(tc.prefix, tc.site, tc.station); err == nil {
			t.Errorf("NewTopics(%q, %q, %q): no error", tc.prefix, tc.site, tc.station)
		}
	}
}
