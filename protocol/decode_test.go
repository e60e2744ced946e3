package protocol

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/stationd/stationd/protocol/units"
)

const packOrderData = `{"order_id":"SO-1","carrier":"chronopost","ship_to":{"name":"C. Martin","street":"12 rue des Lilas","postcode":"69003","city":"Lyon","country":"FR"},` +
	`"lines":[{"line":1,"sku":"TSHIRT","qty":2,"unit_weight_g":180},{"line":2,"sku":"VITC","qty":1,"unit_weight_g":420}]}`

func packOrderWith(t *testing.T, edit func(m map[string]any)) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(packOrderData), &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	return `{"v":1,"id":"c-1","type":"pack.order","data":` + string(mustJSON(t, m)) + `}`
}

func line(m map[string]any, i int) map[string]any { return m["lines"].([]any)[i].(map[string]any) }

func TestDecodeCommandErrors(t *testing.T) {
	big := strings.Repeat("x", MaxCommandSize)
	for _, tc := range []struct {
		name    string
		topic   string
		payload string
		code    string // "" for success
		message string // substring of the error message
		id, typ string // what the result must carry
	}{
		// too_large: not parsed; id and type read from the first 4 KiB when they come first.
		{"oversize, id first", "pack.order", `{"v":1,"id":"c-big","type":"pack.order","data":{"label_zpl":"` + big + `"}}`,
			CodeTooLarge, "over the 262144-byte limit", "c-big", "pack.order"},
		{"oversize, id after the data", "pack.order", `{"v":1,"data":{"label_zpl":"` + big + `"},"id":"c-big"}`,
			CodeTooLarge, "bytes", "", "pack.order"},
		{"oversize garbage", "", strings.Repeat("{", MaxCommandSize+1), CodeTooLarge, "", "", ""},

		// bad_json: the id is still read when it precedes the error.
		{"syntax error", "pack.order", `{"v":1,"id":"c-2","type":"pack.order","data":{"order_id": }}`,
			CodeBadJSON, "invalid character", "c-2", "pack.order"},
		{"truncated", "pack.cancel", `{"v":1,"id":"c-3","type":"pack.cancel","data":{"order_id":"SO-1"`,
			CodeBadJSON, "truncated", "c-3", "pack.cancel"},
		{"truncated before the id", "pack.cancel", `{"v":1,"ty`, CodeBadJSON, "truncated", "", "pack.cancel"},
		{"empty", "station.ping", ``, CodeBadJSON, "empty", "", "station.ping"},
		{"white space", "", " \n\t", CodeBadJSON, "empty", "", ""},
		{"invalid UTF-8", "", "{\"v\":1,\"id\":\"c-4\",\"type\":\"pack.cancel\",\"data\":{\"order_id\":\"\xff\"}}", CodeBadJSON, "UTF-8 at byte 59", "c-4", "pack.cancel"},
		{"two values", "", `{"v":1,"id":"c-5","type":"station.ping"} {}`, CodeBadJSON, "after top-level value", "c-5", "station.ping"},
		{"single quotes", "", `{'v':1}`, CodeBadJSON, "invalid character", "", ""},
		{"id of the wrong type is not recovered", "", `{"id":42,"type":"pack.cancel",`, CodeBadJSON, "truncated", "", "pack.cancel"},

		// invalid envelope.
		{"array", "", `[1,2]`, CodeInvalid, "payload: must be a JSON object", "", ""},
		{"string", "", `"pack.order"`, CodeInvalid, "payload: must be a JSON object", "", ""},
		{"null", "", `null`, CodeInvalid, "payload: must be a JSON object", "", ""},
		{"missing id", "station.ping", `{"v":1,"type":"station.ping","data":{}}`, CodeInvalid, "id: required", "", "station.ping"},
		{"null id", "", `{"v":1,"id":null,"type":"station.ping"}`, CodeInvalid, "id: required", "", "station.ping"},
		{"empty id", "", `{"v":1,"id":"","type":"station.ping"}`, CodeInvalid, "id: must not be empty", "", "station.ping"},
		{"numeric id", "", `{"v":1,"id":7,"type":"station.ping"}`, CodeInvalid, "id: must be a string", "", "station.ping"},
		{"long id", "", `{"v":1,"id":"` + strings.Repeat("a", 129) + `","type":"station.ping"}`, CodeInvalid, "id: must be at most 128 characters", "", "station.ping"},
		{"control character in id", "", `{"v":1,"id":"a\nb","type":"station.ping"}`, CodeInvalid, "id: must not contain control characters", "", "station.ping"},
		{"missing v", "", `{"id":"c-6","type":"station.ping"}`, CodeInvalid, "v: required", "c-6", "station.ping"},
		{"v 2", "", `{"v":2,"id":"c-7","type":"station.ping"}`, CodeInvalid, "v: unsupported protocol version 2", "c-7", "station.ping"},
		{"v string", "", `{"v":"1","id":"c-8","type":"station.ping"}`, CodeInvalid, "v: must be an integer", "c-8", "station.ping"},
		{"v 1.5", "", `{"v":1.5,"id":"c-8","type":"station.ping"}`, CodeInvalid, "v: must be an integer", "c-8", "station.ping"},
		{"v 1.0 is 1", "", `{"v":1.0,"id":"c-9","type":"station.ping"}`, "", "", "c-9", "station.ping"},
		{"missing type", "station.ping", `{"v":1,"id":"c-10"}`, CodeInvalid, "type: required", "c-10", "station.ping"},
		{"type not a name", "", `{"v":1,"id":"c-11","type":"Pack Order"}`, CodeInvalid, "type: must be a command type name", "c-11", ""},
		{"type differs from topic", "pack.order", `{"v":1,"id":"c-12","type":"pack.cancel","data":{"order_id":"SO-1"}}`,
			CodeInvalid, `type: "pack.cancel" does not match the topic's type "pack.order"`, "c-12", "pack.cancel"},
		{"time not a string", "", `{"v":1,"id":"c-13","type":"station.ping","time":1700000000}`, CodeInvalid, "time: must be a string", "c-13", "station.ping"},
		{"data an array", "", `{"v":1,"id":"c-14","type":"station.ping","data":[]}`, CodeInvalid, "data: must be an object", "c-14", "station.ping"},
		{"data a string", "", `{"v":1,"id":"c-14","type":"pack.cancel","data":"SO-1"}`, CodeInvalid, "data: must be an object", "c-14", "pack.cancel"},

		// unknown_type, after the envelope is otherwise sound.
		{"unknown type", "pack.teleport", `{"v":1,"id":"c-15","type":"pack.teleport","data":{}}`, CodeUnknownType, `unknown command type "pack.teleport"`, "c-15", "pack.teleport"},
		{"event type as command", "", `{"v":1,"id":"c-16","type":"pack.completed"}`, CodeUnknownType, "unknown command type", "c-16", "pack.completed"},

		// success, with the tolerances.
		{"ping without data", "station.ping", `{"v":1,"id":"c-17","type":"station.ping"}`, "", "", "c-17", "station.ping"},
		{"ping with null data and time", "station.ping", `{"v":1,"id":"c-18","type":"station.ping","time":null,"data":null}`, "", "", "c-18", "station.ping"},
		{"unknown envelope and data fields", "pack.cancel", `{"v":1,"id":"c-19","type":"pack.cancel","trace":"x","data":{"order_id":"SO-1","reason":"customer"}}`, "", "", "c-19", "pack.cancel"},
		{"topic type not a type name", "Pack.Order", `{"v":1,"id":"c-20","type":"pack.order"}`, CodeInvalid, `does not match the topic's type "Pack.Order"`, "c-20", "pack.order"},
		{"no topic given", "", `{"v":1,"id":"c-20","type":"pack.cancel","data":{"order_id":"SO-1"}}`, "", "", "c-20", "pack.cancel"},
		{"exactly the size limit", "label.print", exactSize(t, MaxCommandSize), "", "", "c-max", "label.print"},

		// invalid data: the message names the path.
		{"data missing", "pack.cancel", `{"v":1,"id":"c-21","type":"pack.cancel"}`, CodeInvalid, "data.order_id: required", "c-21", "pack.cancel"},
		{"required field null", "pack.cancel", `{"v":1,"id":"c-22","type":"pack.cancel","data":{"order_id":null}}`, CodeInvalid, "data.order_id: required", "c-22", "pack.cancel"},
		{"required field empty", "pack.cancel", `{"v":1,"id":"c-22","type":"pack.cancel","data":{"order_id":""}}`, CodeInvalid, "data.order_id: must not be empty", "c-22", "pack.cancel"},
		{"field of the wrong type", "pack.cancel", `{"v":1,"id":"c-22","type":"pack.cancel","data":{"order_id":114502}}`, CodeInvalid, "data.order_id: must be a string", "c-22", "pack.cancel"},
		{"field name is case-sensitive", "pack.cancel", `{"v":1,"id":"c-22","type":"pack.cancel","data":{"Order_ID":"SO-1"}}`, CodeInvalid, "data.order_id: required", "c-22", "pack.cancel"},
		{"pack.order valid", "pack.order", packOrderWith(t, func(map[string]any) {}), "", "", "c-1", "pack.order"},
		{"qty missing", "pack.order", packOrderWith(t, func(m map[string]any) { delete(line(m, 1), "qty") }), CodeInvalid, "data.lines[1].qty: required", "c-1", "pack.order"},
		{"qty zero", "pack.order", packOrderWith(t, func(m map[string]any) { line(m, 1)["qty"] = 0 }), CodeInvalid, "data.lines[1].qty: must be at least 1", "c-1", "pack.order"},
		{"qty negative", "pack.order", packOrderWith(t, func(m map[string]any) { line(m, 0)["qty"] = -3 }), CodeInvalid, "data.lines[0].qty: must be at least 1", "c-1", "pack.order"},
		{"qty a string", "pack.order", packOrderWith(t, func(m map[string]any) { line(m, 0)["qty"] = "2" }), CodeInvalid, "data.lines[0].qty: must be an integer", "c-1", "pack.order"},
		{"qty fractional", "pack.order", packOrderWith(t, func(m map[string]any) { line(m, 0)["qty"] = 1.5 }), CodeInvalid, "data.lines[0].qty: must be an integer", "c-1", "pack.order"},
		{"qty huge", "pack.order", packOrderWith(t, func(m map[string]any) { line(m, 0)["qty"] = json.Number("1e300") }), CodeInvalid, "data.lines[0].qty: must be at most 1000000", "c-1", "pack.order"},
		{"qty 2.0 is 2", "pack.order", packOrderWith(t, func(m map[string]any) { line(m, 0)["qty"] = json.Number("2.0") }), "", "", "c-1", "pack.order"},
		{"unit weight negative", "pack.order", packOrderWith(t, func(m map[string]any) { line(m, 0)["unit_weight_g"] = -1 }), CodeInvalid, "data.lines[0].unit_weight_g: must be at least 0", "c-1", "pack.order"},
		{"unit weight zero", "pack.order", packOrderWith(t, func(m map[string]any) { line(m, 0)["unit_weight_g"] = 0 }), "", "", "c-1", "pack.order"},
		{"dims two values", "pack.order", packOrderWith(t, func(m map[string]any) { line(m, 0)["dims_mm"] = []int{300, 200} }), CodeInvalid, "data.lines[0].dims_mm: must have exactly 3 items", "c-1", "pack.order"},
		{"dims zero", "pack.order", packOrderWith(t, func(m map[string]any) { line(m, 0)["dims_mm"] = []int{300, 0, 20} }), CodeInvalid, "data.lines[0].dims_mm[1]: must be at least 1", "c-1", "pack.order"},
		{"dims strings", "pack.order", packOrderWith(t, func(m map[string]any) { line(m, 0)["dims_mm"] = []string{"300", "200", "20"} }), CodeInvalid, "data.lines[0].dims_mm[0]: must be an integer", "c-1", "pack.order"},
		{"country lower case", "pack.order", packOrderWith(t, func(m map[string]any) { m["ship_to"].(map[string]any)["country"] = "fr" }), CodeInvalid, "data.ship_to.country: must be two upper-case letters", "c-1", "pack.order"},
		{"country three letters", "pack.order", packOrderWith(t, func(m map[string]any) { m["ship_to"].(map[string]any)["country"] = "FRA" }), CodeInvalid, "data.ship_to.country: must be at most 2 characters", "c-1", "pack.order"},
		{"ship_to missing", "pack.order", packOrderWith(t, func(m map[string]any) { delete(m, "ship_to") }), CodeInvalid, "data.ship_to: required", "c-1", "pack.order"},
		{"ship_to a string", "pack.order", packOrderWith(t, func(m map[string]any) { m["ship_to"] = "Lyon" }), CodeInvalid, "data.ship_to: must be an object", "c-1", "pack.order"},
		{"no lines", "pack.order", packOrderWith(t, func(m map[string]any) { m["lines"] = []any{} }), CodeInvalid, "data.lines: must have at least 1 item", "c-1", "pack.order"},
		{"line id duplicated", "pack.order", packOrderWith(t, func(m map[string]any) { line(m, 1)["line"] = 1 }), CodeInvalid, "data.lines[1].line: duplicates data.lines[0].line", "c-1", "pack.order"},
		{"line ids 1 and \"1\" differ", "pack.order", packOrderWith(t, func(m map[string]any) { line(m, 1)["line"] = "1" }), "", "", "c-1", "pack.order"},
		{"line id negative", "pack.order", packOrderWith(t, func(m map[string]any) { line(m, 1)["line"] = -1 }), CodeInvalid, "data.lines[1].line: must be at least 0", "c-1", "pack.order"},
		{"line id boolean", "pack.order", packOrderWith(t, func(m map[string]any) { line(m, 1)["line"] = true }), CodeInvalid, "data.lines[1].line: must be a string or an integer", "c-1", "pack.order"},
		{"bad gtin", "pack.order", packOrderWith(t, func(m map[string]any) { line(m, 0)["gtin"] = "59012341234570" + "1" }), CodeInvalid, "data.lines[0].gtin: must be at most 14 characters", "c-1", "pack.order"},
		{"gtin letters", "pack.order", packOrderWith(t, func(m map[string]any) { line(m, 0)["gtin"] = "590123412345X" }), CodeInvalid, "data.lines[0].gtin: must be 8, 12, 13 or 14 digits", "c-1", "pack.order"},
		{"optional fields null", "pack.order", packOrderWith(t, func(m map[string]any) {
			m["service"], m["label_zpl"], m["ship_to"].(map[string]any)["company"] = nil, nil, nil
			line(m, 0)["gtin"], line(m, 0)["barcodes"], line(m, 0)["dims_mm"], line(m, 0)["lot_required"] = nil, nil, nil, nil
		}), "", "", "c-1", "pack.order"},
		{"carrier upper case", "pack.order", packOrderWith(t, func(m map[string]any) { m["carrier"] = "Chronopost" }), CodeInvalid, "data.carrier: must be a carrier key", "c-1", "pack.order"},
		{"barcodes duplicated", "pack.order", packOrderWith(t, func(m map[string]any) { line(m, 0)["barcodes"] = []string{"A", "A"} }), CodeInvalid, "data.lines[0].barcodes[1]: duplicates data.lines[0].barcodes[0]", "c-1", "pack.order"},
		{"label zpl and template", "label.print", `{"v":1,"id":"c-30","type":"label.print","data":{"zpl":"^XA^XZ","template":"shipping"}}`, CodeInvalid, "data: exactly one of zpl and template is required", "c-30", "label.print"},
		{"label neither", "label.print", `{"v":1,"id":"c-31","type":"label.print","data":{"copies":2}}`, CodeInvalid, "data: exactly one of zpl and template is required", "c-31", "label.print"},
		{"label zpl null and template", "label.print", `{"v":1,"id":"c-32","type":"label.print","data":{"zpl":null,"template":"shipping","fields":{"name":"A"}}}`, "", "", "c-32", "label.print"},
		{"label field value an object", "label.print", `{"v":1,"id":"c-33","type":"label.print","data":{"template":"shipping","fields":{"qty":{"n":2}}}}`, CodeInvalid, `data.fields["qty"]: must be a string, a number or a boolean`, "c-33", "label.print"},
		{"label field name with a space", "label.print", `{"v":1,"id":"c-34","type":"label.print","data":{"template":"shipping","fields":{"order id":"x"}}}`, CodeInvalid, `data.fields["order id"]: key must be letters`, "c-34", "label.print"},
		{"light colour unknown", "light.set", `{"v":1,"id":"c-35","type":"light.set","data":{"location":"A-01","color":"purple"}}`, CodeInvalid, `data.color: must be off, red`, "c-35", "light.set"},
		{"pick task ids duplicated", "pick.tasks", `{"v":1,"id":"c-36","type":"pick.tasks","data":{"batch_id":"B1","tasks":[{"task_id":"T1","location":"A","sku":"S","qty":1},{"task_id":"T1","location":"B","sku":"S","qty":1}]}}`,
			CodeInvalid, "data.tasks[1].task_id: duplicates data.tasks[0].task_id", "c-36", "pick.tasks"},
		{"pick colour off", "pick.tasks", `{"v":1,"id":"c-37","type":"pick.tasks","data":{"batch_id":"B1","tasks":[{"task_id":"T1","location":"A","sku":"S","qty":1,"color":"off"}]}}`,
			CodeInvalid, "data.tasks[0].color: must be red, green", "c-37", "pick.tasks"},
		{"put slot shared", "put.wall", `{"v":1,"id":"c-38","type":"put.wall","data":{"wall_id":"W","orders":[{"order_id":"O1","slot":"S1","lines":[{"sku":"A","qty":1}]},{"order_id":"O2","slot":"S1","lines":[{"sku":"B","qty":1}]}]}}`,
			CodeInvalid, "data.orders[1].slot: duplicates data.orders[0].slot", "c-38", "put.wall"},
		{"return line qty zero", "return.expect", `{"v":1,"id":"c-39","type":"return.expect","data":{"rma_id":"R","lines":[{"sku":"A","qty":0}]}}`,
			CodeInvalid, "data.lines[0].qty: must be at least 1", "c-39", "return.expect"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, data, err := DecodeCommand(tc.topic, []byte(tc.payload))
			switch {
			case tc.code == "" && err != nil:
				t.Fatalf("error %v", err)
			case tc.code == "" && (data == nil || data.CommandType() != c.Type):
				t.Fatalf("data %#v for %s", data, c.Type)
			case tc.code != "" && err == nil:
				t.Fatalf("no error, want %s", tc.code)
			case tc.code != "" && (err.Code != tc.code || !strings.Contains(err.Message, tc.message)):
				t.Fatalf("error %q, want %s containing %q", err, tc.code, tc.message)
			}
			if c.ID != tc.id || c.Type != tc.typ {
				t.Errorf("command id %q type %q, want %q %q", c.ID, c.Type, tc.id, tc.typ)
			}
			// Whatever happened, the answer is a valid command.result.
			res := c.Result(err)
			if _, nerr := NewEvent(sampleTime, res); nerr != nil {
				t.Errorf("command.result %+v refused: %v", res, nerr)
			}
		})
	}
}

// exactSize returns a valid label.print command of exactly n bytes.
func exactSize(t *testing.T, n int) string {
	t.Helper()
	head, tail := `{"v":1,"id":"c-max","type":"label.print","data":{"zpl":"`, `"}}`
	s := head + strings.Repeat("^", n-len(head)-len(tail)) + tail
	if len(s) != n {
		t.Fatalf("built %d bytes", len(s))
	}
	return s
}

func TestParseCommandDoesNotDecodeData(t *testing.T) {
	payload := `{"v":1,"id":"c-1","type":"pack.cancel","data":{"order_id":42}}`
	c, err := ParseCommand("pack.cancel", []byte(payload))
	if err != nil {
		t.Fatalf("ParseCommand: %v", err)
	}
	if string(c.Data) != `{"order_id":42}` {
		t.Errorf("Data %s", c.Data)
	}
	if _, derr := c.DecodeData(); derr == nil || derr.Code != CodeInvalid {
		t.Errorf("DecodeData: %v", derr)
	}
}

func TestDecodeDataTyped(t *testing.T) {
	_, d, err := DecodeCommand("pack.order", []byte(packOrderWith(t, func(m map[string]any) {
		line(m, 0)["line"] = "A-1"
		line(m, 0)["dims_mm"] = []int{300, 220, 20}
		line(m, 0)["qty"] = json.Number("2.0")
		line(m, 1)["Qty"] = 99 // a different field: encoding/json's case folding must not see it
		m["ship_to"].(map[string]any)["company"] = nil
	})))
	if err != nil {
		t.Fatal(err)
	}
	o := d.(PackOrder)
	if o.Lines[0].Line != LineString("A-1") || o.Lines[1].Line != LineNumber(2) {
		t.Errorf("lines %v %v", o.Lines[0].Line, o.Lines[1].Line)
	}
	if o.Lines[0].DimsMM[2] != 20 || o.Lines[0].Qty != 2 || o.Lines[1].Qty != 1 || o.ShipTo.Company != "" {
		t.Errorf("decoded %+v", o)
	}
}

func TestCheckRole(t *testing.T) {
	for _, tc := range []struct {
		typ   string
		roles []string
		ok    bool
	}{
		{CommandPackOrder, []string{RolePack}, true},
		{CommandPackOrder, []string{RolePick}, false},
		{CommandPackCancel, nil, false},
		{CommandPickTasks, []string{RolePack, RolePick}, true},
		{CommandPickCancel, []string{RolePut}, false},
		{CommandPutWall, []string{RolePut}, true},
		{CommandReturnExpect, []string{RolePack}, false},
		{CommandReturnExpect, []string{RoleReturns}, true},
		{CommandLabelPrint, nil, true},
		{CommandLightSet, []string{RolePick}, true},
		{CommandStationPing, nil, true},
		{"no.such", nil, true},
	} {
		err := CheckRole(tc.typ, tc.roles)
		if (err == nil) != tc.ok || (err != nil && err.Code != CodeRoleDisabled) {
			t.Errorf("CheckRole(%s, %v) = %v", tc.typ, tc.roles, err)
		}
	}
	for _, c := range Commands() {
		want := map[string]string{"pack": RolePack, "pick": RolePick, "put": RolePut, "return": RoleReturns}[strings.Split(c.Type, ".")[0]]
		if c.Role != want {
			t.Errorf("%s needs role %q, want %q", c.Type, c.Role, want)
		}
		if info, ok := LookupCommand(c.Type); !ok || info != c {
			t.Errorf("LookupCommand(%s) = %v, %v", c.Type, info, ok)
		}
	}
}

func TestIsTelemetry(t *testing.T) {
	for _, e := range Events() {
		want := e.Type == EventScan || e.Type == EventWeight || e.Type == EventStationKPI
		if IsTelemetry(e.Type) != want || e.Telemetry != want {
			t.Errorf("%s: telemetry %v, want %v", e.Type, IsTelemetry(e.Type), want)
		}
	}
	if IsTelemetry("no.such") || IsTelemetry(EventOutboxDropped) {
		t.Error("unknown or outbox.dropped is telemetry")
	}
}

func TestNewEventRefuses(t *testing.T) {
	for _, tc := range []struct {
		data EventData
		msg  string
	}{
		{PackStarted{}, "data.order_id: must not be empty"},
		{PackMismatch{OrderID: "O", Code: "C", Reason: "wrong"}, "data.reason: must be one of"},
		{PackCompleted{OrderID: "O", Lines: []PackedLine{{Line: LineNumber(1), SKU: "S", Qty: 1}}, Box: PackedBox{ID: "B", OuterMM: [3]units.Length{1, 1, 1}},
			MeasuredG: 100, BillableG: 90, Carrier: "colissimo", Label: PackedLabel{Printer: "p1", OK: true}}, "data.billable_g: must be 100"},
		{PackCompleted{OrderID: "O", Lines: []PackedLine{{Line: LineNumber(1), SKU: "S", Qty: 1}}, Box: PackedBox{ID: "B", OuterMM: [3]units.Length{1, 1, 1}},
			MeasuredG: 100, BillableG: 100, Divisor: ptr[int64](5000), Carrier: "colissimo", Label: PackedLabel{Printer: "p1", OK: true}}, "data.volumetric_g: must be null exactly when divisor is null"},
		{PackItem{OrderID: "O", SKU: "S", Code: "C", QtyScanned: 1, QtyExpected: 1}, "data.line: must not be empty"},
		{CommandResult{CommandID: "c", CommandType: "pack.order", OK: false}, "data.error: must be present exactly when ok is false"},
		{CommandResult{CommandID: "c", CommandType: "pack.order", OK: true, Error: &Error{Code: CodeInvalid}}, "data.error: must be present exactly when ok is false"},
		{CommandResult{CommandID: "c", CommandType: "pack.order", Error: &Error{Code: "oops"}}, "data.error.code: must be one of"},
		{DeviceStatus{Device: "scale1", Kind: KindScale, State: DeviceStarting}, "data.state: must be one of"},
		{Scan{Device: "scanner1", Code: "x", Symbology: SymbologyCode128, Error: "bad_character"}, "data.error: must be one of"},
		{OutboxDropped{FromSeq: 10, ToSeq: 9, Count: 1, Types: map[string]int64{EventScan: 1}}, "data.to_seq: must not be below from_seq"},
		{OutboxDropped{FromSeq: 1, ToSeq: 9, Count: 1, Types: map[string]int64{EventPackItem: 1}}, `data.types["pack.item"]: key must be one of`},
		{StationKPI{}, "data.period_s: must be at least 1"},
		{(*PackStarted)(nil), "nil data"},
	} {
		_, err := NewEvent(sampleTime, tc.data)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("NewEvent(%#v) = %v, want %q", tc.data, err, tc.msg)
		}
	}
	if _, err := NewEvent(sampleTime, nil); err == nil {
		t.Error("nil data accepted")
	}
}

func TestEventValidate(t *testing.T) {
	e := sampleEvent(t, 7, PackStarted{OrderID: "SO-1"})
	if err := e.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, edit := range map[string]func(e *Event){
		"no id":        func(e *Event) { e.ID = "" },
		"id not ULID":  func(e *Event) { e.ID = "01JDQ3Z5X8K2M4N6P8R000000I" },
		"seq 0":        func(e *Event) { e.Seq = 0 },
		"no site":      func(e *Event) { e.Site = "" },
		"bad station":  func(e *Event) { e.Station = "pack 07" },
		"v 2":          func(e *Event) { e.V = 2 },
		"type changed": func(e *Event) { e.Type = EventPackCompleted },
		"unknown type": func(e *Event) { e.Type = "pack.teleported" },
		"no data":      func(e *Event) { e.Data = nil },
	} {
		bad := e
		edit(&bad)
		if err := bad.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestDecodeEventErrors(t *testing.T) {
	good := mustJSON(t, sampleEvent(t, 3, PackStarted{OrderID: "SO-1"}))
	for _, tc := range []struct {
		name, payload, code string
	}{
		{"valid", string(good), ""},
		{"truncated", string(good[:len(good)-3]), CodeBadJSON},
		{"time with offset", strings.Replace(string(good), "Z\"", "+00:00\"", 1), CodeInvalid},
		{"time without milliseconds", strings.Replace(string(good), ".123Z", "Z", 1), CodeInvalid},
		{"unknown type", strings.Replace(string(good), "pack.started", "pack.teleported", 1), CodeUnknownType},
		{"data invalid", strings.Replace(string(good), `"order_id":"SO-1"`, `"order_id":1`, 1), CodeInvalid},
	} {
		_, _, err := DecodeEvent([]byte(tc.payload))
		var code string
		if err != nil {
			code = err.(*Error).Code
		}
		if code != tc.code {
			t.Errorf("%s: %v, want %q\n%s", tc.name, err, tc.code, tc.payload)
		}
	}
}

func TestJSONInt(t *testing.T) {
	for _, tc := range []struct {
		in       string
		v        int64
		integral bool
		overflow int
	}{
		{"0", 0, true, 0}, {"-0", 0, true, 0}, {"42", 42, true, 0}, {"-42", -42, true, 0},
		{"1.0", 1, true, 0}, {"1.50", 0, false, 0}, {"1e2", 100, true, 0}, {"1E+2", 100, true, 0},
		{"12e-1", 0, false, 0}, {"120e-1", 12, true, 0}, {"0.000", 0, true, 0}, {"0.001", 0, false, 0},
		{"9223372036854775807", 1<<63 - 1, true, 0}, {"9223372036854775808", 0, true, 1},
		{"-9223372036854775808", -1 << 63, true, 0}, {"-9223372036854775809", 0, true, -1},
		{"1e19", 0, true, 1}, {"1e18", 1e18, true, 0}, {"-1e400", 0, true, -1}, {"1e-400", 0, false, 0},
		{"1e999999999999999999999", 0, true, 1}, {"0e999999999999", 0, true, 0}, {"5e-999999999999", 0, false, 0},
	} {
		v, integral, overflow := jsonInt(tc.in)
		if v != tc.v || integral != tc.integral || overflow != tc.overflow {
			t.Errorf("jsonInt(%s) = %d, %v, %d; want %d, %v, %d", tc.in, v, integral, overflow, tc.v, tc.integral, tc.overflow)
		}
	}
}

func TestErrorString(t *testing.T) {
	e := Errorf(CodeInvalid, "data.%s: required", "order_id")
	if e.Error() != "invalid: data.order_id: required" {
		t.Errorf("Error() = %q", e.Error())
	}
	if (&Error{Code: CodeBusy}).Error() != "busy" {
		t.Error("code alone")
	}
	for _, c := range Codes() {
		if !IsCode(c) {
			t.Errorf("%s not a code", c)
		}
	}
	if IsCode("oops") {
		t.Error("oops is a code")
	}
	long := Command{ID: "c", Type: CommandStationPing}.Result(Errorf(CodeInternal, "%s", strings.Repeat("é", 3000)))
	if n := len([]rune(long.Error.Message)); n != maxMessage {
		t.Errorf("message cut to %d characters", n)
	}
	if _, err := NewEvent(sampleTime, long); err != nil {
		t.Error(err)
	}
}

func TestNewCommand(t *testing.T) {
	c, err := NewCommand("c-1", sampleTime, PackCancel{OrderID: "SO-1"})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"v":1,"id":"c-1","type":"pack.cancel","time":"2026-11-22T15:37:19.123Z","data":{"order_id":"SO-1"}}`
	if b := mustJSON(t, c); string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	if _, err := NewCommand("", sampleTime, StationPing{}); err == nil {
		t.Error("empty id accepted")
	}
	if _, err := NewCommand("c", sampleTime, PackCancel{}); err == nil {
		t.Error("empty order_id accepted")
	}
	if _, err := NewCommand("c", sampleTime, nil); err == nil {
		t.Error("nil data accepted")
	}
}

func TestRegistryOrder(t *testing.T) {
	var cmds, evts []string
	for _, c := range Commands() {
		cmds = append(cmds, c.Type)
	}
	for _, e := range Events() {
		evts = append(evts, e.Type)
		if info, ok := LookupEvent(e.Type); !ok || !reflect.DeepEqual(info, e) {
			t.Errorf("LookupEvent(%s)", e.Type)
		}
	}
	if got := fmt.Sprint(cmds); got != "[pack.order pack.cancel pick.tasks pick.cancel put.wall return.expect label.print light.set station.ping]" {
		t.Errorf("commands %s", got)
	}
	if len(evts) != 21 || evts[len(evts)-1] != EventOutboxDropped {
		t.Errorf("events %v", evts)
	}
	if _, ok := LookupCommand("no.such"); ok {
		t.Error("LookupCommand(no.such)")
	}
	if _, ok := LookupEvent("no.such"); ok {
		t.Error("LookupEvent(no.such)")
	}
}

// TestErrorMessagesAreBounded: input echoed in a message is cut, so that a hostile payload
// cannot make a huge command.result.
func TestErrorMessagesAreBounded(t *testing.T) {
	long := strings.Repeat("k", 10000)
	for _, p := range []string{
		`{"v":1` + strings.Repeat("0", 5000) + `,"id":"c","type":"station.ping"}`,
		`{"v":1,"id":"c","type":"label.print","data":{"template":"t","fields":{"` + long + `":"x"}}}`,
		`{"v":1,"id":"c","type":"label.print","data":{"template":"t","fields":{"` + long + `":1}}}`,
		`{"v":1,"id":"c","type":"` + long + `"}`,
		`{"v":1,"id":"` + long + `","type":"station.ping"}`,
		`{"v":1,"id":"c","type":"pack.order","data":{"carrier":"` + long + `"}}`,
	} {
		_, _, err := DecodeCommand("", []byte(p))
		if err == nil {
			t.Fatalf("accepted %.80s", p)
		}
		if len(err.Message) > 200 {
			t.Errorf("message of %d bytes: %.120s", len(err.Message), err.Message)
		}
	}
}

func TestLabelFieldsTakeNumbersAsWritten(t *testing.T) {
	_, d, err := DecodeCommand("label.print", []byte(`{"v":1,"id":"c","type":"label.print","data":{"template":"shipping","fields":{"weight_g":1234,"ratio":1.50,"fragile":true,"name":"Hélène"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	f := d.(LabelPrint).Fields
	if f["weight_g"] != "1234" || f["ratio"] != "1.50" || f["fragile"] != "true" || f["name"] != "Hélène" {
		t.Errorf("fields %q", f)
	}
}
