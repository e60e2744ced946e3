package protocol

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// FuzzDecodeCommand: whatever the payload and topic, DecodeCommand never panics and returns
// either a command with typed data or an *Error with a contract code; and either way
// Command.Result makes a valid command.result event.
func FuzzDecodeCommand(f *testing.F) {
	for typ, samples := range commandSamples() {
		for i, d := range samples {
			f.Add(typ, mustJSON(f, sampleCommand(f, i+1, d)))
		}
	}
	for _, s := range []string{
		``, `null`, `[]`, `{}`, `{"v":1}`, `{"v":1,"id":"x"}`, `{"v":1,"id":"x","type":"station.ping"}`,
		`{"v":1,"id":"x","type":"pack.order","data":{"lines":[{"line":1e400}]}}`,
		`{"v":1,"id":"x","type":"pack.order","data":{"lines":[{"qty":-0.0e-99}]}}`,
		`{"v":1,"id":"x","type":"label.print","data":{"fields":{"":""}}}`,
		`{"v":1,"id":"x","type":"pack.cancel","data":{"order_id":"\ud800"}}`,
		`{"id":"x","id":"y","type":"pick.cancel","type":"pack.cancel","v":1,"data":{"batch_id":"b","order_id":"o"}}`,
		"{\"v\":1,\"id\":\"\xff\"}", `{"v":1,"id":"x","type":"pack.cancel","data":{"order_id":"a"}}trailing`,
		`{"v":1,"id":"x","type":"put.wall","data":{"wall_id":"w","orders":[{"order_id":"o","slot":"s","lines":[{"sku":"a","qty":1.0}]}]}}`,
		`{"v":1e0,"id":"x","type":"light.set","data":{"location":"a","color":"red","blink":null}}`,
		`{"v":1,"id":"x","type":"pack.order","data":` + strings.Repeat(`[`, 5000) + `}`,
	} {
		f.Add("", []byte(s))
	}
	f.Fuzz(func(t *testing.T, topic string, payload []byte) {
		c, data, err := DecodeCommand(topic, payload)
		if err != nil {
			switch err.Code {
			case CodeBadJSON, CodeUnknownType, CodeInvalid, CodeTooLarge:
			default:
				t.Fatalf("code %q: %v", err.Code, err)
			}
			if data != nil {
				t.Fatalf("data %#v with error %v", data, err)
			}
		} else {
			if data == nil || data.CommandType() != c.Type || c.V != Version || c.ID == "" {
				t.Fatalf("command %+v data %#v", c, data)
			}
			// Sent again as the station read it, the command decodes to the same data.
			again, err := json.Marshal(c)
			if err != nil {
				t.Fatal(err)
			}
			_, data2, err2 := DecodeCommand(c.Type, again)
			if err2 != nil || !reflect.DeepEqual(data, data2) {
				t.Fatalf("re-decoding %s: %v\n%#v\n%#v", again, err2, data, data2)
			}
			_ = CheckRole(c.Type, []string{RolePick})
		}
		if _, nerr := NewEvent(sampleTime, c.Result(err)); nerr != nil {
			t.Fatalf("command.result for %q refused: %v", payload, nerr)
		}
	})
}
