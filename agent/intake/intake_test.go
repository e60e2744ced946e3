package intake

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stationd/stationd/agent/outbox"
	"github.com/stationd/stationd/protocol"
)

func openStore(t *testing.T) *outbox.Store {
	t.Helper()
	s, err := outbox.Open(filepath.Join(t.TempDir(), "s.db"), outbox.Options{Site: "T", Station: "s1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// results returns the data of every command.result in the outbox, in seq order.
func results(t *testing.T, s *outbox.Store) []protocol.CommandResult {
	t.Helper()
	recs, err := s.Pending(0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []protocol.CommandResult
	for _, r := range recs {
		var env struct {
			Type string
			Data protocol.CommandResult
		}
		if err := json.Unmarshal(r.Payload, &env); err != nil {
			t.Fatal(err)
		}
		if env.Type == protocol.EventCommandResult {
			out = append(out, env.Data)
		}
	}
	return out
}

const topic = "wh/v1/T/s1/cmd/"

func TestProcessCodes(t *testing.T) {
	big := `{"v":1,"id":"big","type":"station.ping","data":{"x":"` + strings.Repeat("a", protocol.MaxCommandSize) + `"}}`
	for _, c := range []struct {
		name, typ, payload string
		roles              []string
		wantID, wantCode   string
	}{
		{"ping", "station.ping", `{"v":1,"id":"p1","type":"station.ping","data":{}}`, nil, "p1", ""},
		{"bad json, id still read", "station.ping", `{"v":1,"id":"p2",`, nil, "p2", protocol.CodeBadJSON},
		{"bad json", "station.ping", `nope`, nil, "", protocol.CodeBadJSON},
		{"unknown type", "coffee.make", `{"v":1,"id":"u1","type":"coffee.make","data":{}}`, nil, "u1", protocol.CodeUnknownType},
		{"missing field", "pack.cancel", `{"v":1,"id":"m1","type":"pack.cancel","data":{}}`, []string{"pack"}, "m1", protocol.CodeInvalid},
		{"role disabled", "pick.cancel", `{"v":1,"id":"r1","type":"pick.cancel","data":{"batch_id":"b"}}`, []string{"pack"}, "r1", protocol.CodeRoleDisabled},
		{"too large", "station.ping", big, nil, "big", protocol.CodeTooLarge},
		{"no handler yet", "pack.cancel", `{"v":1,"id":"h1","type":"pack.cancel","data":{"order_id":"o"}}`, []string{"pack"}, "h1", protocol.CodeUnknownType},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := openStore(t)
			in := New(s, Options{Roles: c.roles})
			res, err := in.Process(context.Background(), topic+c.typ, []byte(c.payload))
			if err != nil {
				t.Fatal(err)
			}
			if res.CommandID != c.wantID {
				t.Errorf("command_id %q, want %q", res.CommandID, c.wantID)
			}
			code := ""
			if res.Error != nil {
				code = res.Error.Code
			}
			if code != c.wantCode || res.OK != (c.wantCode == "") {
				t.Errorf("result %+v, want code %q", res, c.wantCode)
			}
			if got := results(t, s); len(got) != 1 {
				t.Errorf("%d command.result events, want exactly 1", len(got))
			}
		})
	}
}

func TestDuplicateNotExecutedTwice(t *testing.T) {
	s := openStore(t)
	in := New(s, Options{Roles: []string{"pack"}})
	calls := 0
	in.Handle(protocol.CommandPackCancel, func(context.Context, protocol.Command, protocol.CommandData) *protocol.Error {
		calls++
		return protocol.Errorf(protocol.CodeNotFound, "no order o")
	})
	p := []byte(`{"v":1,"id":"c1","type":"pack.cancel","data":{"order_id":"o"}}`)
	for i := 0; i < 3; i++ {
		if _, err := in.Process(context.Background(), topic+"pack.cancel", p); err != nil {
			t.Fatal(err)
		}
	}
	if calls != 1 {
		t.Errorf("handler ran %d times, want 1", calls)
	}
	got := results(t, s)
	if len(got) != 3 {
		t.Fatalf("%d results, want 3 (one per delivery)", len(got))
	}
	for _, r := range got[1:] {
		if r.CommandID != "c1" || r.OK || r.Error == nil || r.Error.Code != protocol.CodeNotFound || r.Error.Message != got[0].Error.Message {
			t.Errorf("re-published result %+v differs from the first %+v", r, got[0])
		}
	}
	// Dedup survives a restart of the intake (the record is in the store).
	in2 := New(s, Options{Roles: []string{"pack"}})
	in2.Handle(protocol.CommandPackCancel, func(context.Context, protocol.Command, protocol.CommandData) *protocol.Error {
		t.Error("executed again after restart")
		return nil
	})
	in2.Process(context.Background(), topic+"pack.cancel", p)
}

func TestPanickingHandlerAnswersInternal(t *testing.T) {
	s := openStore(t)
	in := New(s, Options{Roles: []string{"pack"}})
	in.Handle(protocol.CommandPackCancel, func(context.Context, protocol.Command, protocol.CommandData) *protocol.Error {
		panic("boom")
	})
	res, err := in.Process(context.Background(), topic+"pack.cancel", []byte(`{"v":1,"id":"c1","type":"pack.cancel","data":{"order_id":"o"}}`))
	if err != nil || res.Error == nil || res.Error.Code != protocol.CodeInternal {
		t.Fatalf("res %+v err %v, want internal", res, err)
	}
}

func TestRefuseWorkWhenFull(t *testing.T) {
	s := openStore(t)
	full := true
	in := New(s, Options{Roles: []string{"pack"}, Refuse: func() bool { return full }})
	in.Handle(protocol.CommandPackOrder, func(context.Context, protocol.Command, protocol.CommandData) *protocol.Error { return nil })
	order := `{"v":1,"id":"o1","type":"pack.order","data":{"order_id":"A1","carrier":"colissimo","ship_to":{"name":"N","street":"S","postcode":"75001","city":"Paris","country":"FR"},"lines":[{"line":"1","sku":"SKU1","qty":1,"unit_weight_g":100}]}}`
	res, _ := in.Process(context.Background(), topic+"pack.order", []byte(order))
	if res.Error == nil || res.Error.Code != protocol.CodeStorageFull {
		t.Fatalf("res %+v, want storage_full", res)
	}
	// Not remembered: the same id is executed once the outbox drained.
	full = false
	res, _ = in.Process(context.Background(), topic+"pack.order", []byte(order))
	if !res.OK {
		t.Fatalf("after drain: %+v", res)
	}
	// Pings are not work.
	full = true
	res, _ = in.Process(context.Background(), topic+"station.ping", []byte(`{"v":1,"id":"p","type":"station.ping","data":{}}`))
	if !res.OK {
		t.Fatalf("ping while full: %+v", res)
	}
}

func TestPurge(t *testing.T) {
	s := openStore(t)
	now := time.Unix(1_800_000_000, 0)
	in := New(s, Options{Now: func() time.Time { return now }})
	in.Process(context.Background(), topic+"station.ping", []byte(`{"v":1,"id":"old","type":"station.ping","data":{}}`))
	now = now.Add(8 * 24 * time.Hour)
	in.purge(context.Background())
	calls := 0
	s.View(func(tx *outbox.Tx) error {
		return tx.ForEach(bucket, func(k, v []byte) error { calls++; return nil })
	})
	if calls != 0 {
		t.Errorf("%d ids left after 8 days, want 0", calls)
	}
}

func FuzzProcess(f *testing.F) {
	f.Add("station.ping", []byte(`{"v":1,"id":"p1","type":"station.ping","data":{}}`))
	f.Add("pack.order", []byte(`{"v":1,"id":"o","type":"pack.order","data":{"lines":[{}]}}`))
	f.Add("x", []byte(`[`))
	s, err := outbox.Open(filepath.Join(f.TempDir(), "s.db"), outbox.Options{Site: "T", Station: "s1"})
	if err != nil {
		f.Fatal(err)
	}
	defer s.Close()
	in := New(s, Options{Roles: []string{"pack", "pick", "put", "returns"}})
	f.Fuzz(func(t *testing.T, typ string, payload []byte) {
		res, err := in.Process(context.Background(), topic+typ, payload)
		if err != nil {
			t.Fatal(err)
		}
		if !res.OK && (res.Error == nil || !protocol.IsCode(res.Error.Code)) {
			t.Fatalf("result %+v without a known code", res)
		}
	})
}
