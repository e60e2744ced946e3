package protocol

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stationd/stationd/protocol/units"
)

// Sample values of every command, event and status type. They are the schemas' examples and
// the README's, and every test that needs a valid message starts from them.

var sampleTime = time.Date(2026, 11, 22, 15, 37, 19, 123_000_000, time.UTC)

const (
	sampleSite    = "PAR1"
	sampleStation = "pack-07"
)

func ptr[T any](v T) *T { return &v }

// sampleULID returns a valid ULID ending in n written in Crockford base 32.
func sampleULID(n int) string {
	const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	id := []byte("01JDQ3Z5X8K2M4N6P8R0000000")
	for i := len(id) - 1; n > 0 && i >= 20; i-- {
		id[i] = alphabet[n%32]
		n /= 32
	}
	return string(id)
}

func commandSamples() map[string][]CommandData {
	return map[string][]CommandData{
		CommandPackOrder: {
			PackOrder{
				OrderID: "SO-2026-114502", Carrier: "chronopost", Service: "13H", TrackingNumber: "XW123456789FR",
				ShipTo: ShipTo{Name: "Camille Martin", Company: "Atelier Martin", Street: "12 rue des Lilas",
					Street2: "Bâtiment B", Postcode: "69003", City: "Lyon", Country: "FR"},
				Lines: []OrderLine{
					{Line: LineNumber(1), SKU: "TSHIRT-BLU-M", GTIN: "05901234123457", Barcodes: []string{"SUP-88812"},
						Qty: 2, UnitWeightG: 180, DimsMM: [3]units.Length{300, 220, 20}},
					{Line: LineNumber(2), SKU: "VITC-500", GTIN: "03012345678901", Qty: 1, UnitWeightG: 420,
						LotRequired: true, MinExpiryDays: 180},
				},
			},
			PackOrder{
				OrderID: "SO-2026-114503", Carrier: "colissimo",
				LabelZPL: "^XA\n^FO50,50^A0N,40,40^FDSO-2026-114503^FS\n^XZ\n",
				ShipTo:   ShipTo{Name: "Jean Dupont", Street: "4 avenue Foch", Postcode: "75116", City: "Paris", Country: "FR"},
				Lines: []OrderLine{
					{Line: LineString("A-10"), SKU: "PHONE-X1", Qty: 1, UnitWeightG: 310, SerialRequired: true},
				},
			},
		},
		CommandPackCancel: {PackCancel{OrderID: "SO-2026-114502"}},
		CommandPickTasks: {PickTasks{BatchID: "B-7781", Tasks: []PickTask{
			{TaskID: "T1", Location: "A-01-03", SKU: "TSHIRT-BLU-M", Qty: 2, OrderID: "SO-2026-114502", Color: ColorGreen},
			{TaskID: "T2", Location: "A-02-01", SKU: "VITC-500", Qty: 1},
		}}},
		CommandPickCancel: {PickCancel{BatchID: "B-7781"}},
		CommandPutWall: {PutWall{WallID: "WALL-1", Orders: []PutOrder{
			{OrderID: "SO-2026-114502", Slot: "W1-A1", Lines: []PutLine{{SKU: "TSHIRT-BLU-M", GTIN: "05901234123457", Qty: 2}}},
			{OrderID: "SO-2026-114510", Slot: "W1-A2", Lines: []PutLine{{SKU: "VITC-500", Qty: 1}}},
		}}},
		CommandReturnExpect: {ReturnExpect{RMAID: "RMA-55120", OrderID: "SO-2026-110077",
			Lines: []ReturnExpectLine{{SKU: "TSHIRT-BLU-M", GTIN: "05901234123457", Qty: 1}}}},
		CommandLabelPrint: {
			LabelPrint{Printer: "printer1", Template: "shipping", Fields: map[string]string{"order_id": "SO-2026-114502", "name": "Camille Martin"}, Copies: 2},
			LabelPrint{ZPL: "^XA^FO40,40^A0N,30,30^FDHello^FS^XZ"},
		},
		CommandLightSet:    {LightSet{Location: "A-01-03", Color: ColorRed, Blink: true, Display: "2"}},
		CommandStationPing: {StationPing{}},
	}
}

func eventSamples() map[string][]EventData {
	return map[string][]EventData{
		EventPackStarted: {PackStarted{OrderID: "SO-2026-114502"}},
		EventPackItem: {
			PackItem{OrderID: "SO-2026-114502", Line: LineNumber(1), SKU: "TSHIRT-BLU-M", Code: "5901234123457", QtyScanned: 1, QtyExpected: 2},
			PackItem{OrderID: "SO-2026-114502", Line: LineNumber(2), SKU: "VITC-500", Code: "010301234567890117271231\x1d10LOT42",
				QtyScanned: 1, QtyExpected: 1, Lot: "LOT42", Expiry: "2027-12-31"},
		},
		EventPackMismatch: {PackMismatch{OrderID: "SO-2026-114502", Code: "4006381333931", Reason: MismatchNotInOrder}},
		EventPackWeighed: {
			PackWeighed{OrderID: "SO-2026-114502", MeasuredG: 1012, ExpectedG: 990, ToleranceG: 50, OK: true},
			PackWeighed{OrderID: "SO-2026-114503", MeasuredG: 720, ExpectedG: 430, ToleranceG: 50, OK: false},
		},
		EventPackCompleted: {
			// Chronopost, divisor 5000: 360 × 260 × 160 mm = 14 976 000 mm³ / 5000 = 2995.2 → 2996 g.
			PackCompleted{OrderID: "SO-2026-114502",
				Lines: []PackedLine{
					{Line: LineNumber(1), SKU: "TSHIRT-BLU-M", Qty: 2},
					{Line: LineNumber(2), SKU: "VITC-500", Qty: 1, Lots: []string{"LOT42"}},
				},
				Box:       PackedBox{ID: "BOX-M", OuterMM: [3]units.Length{360, 260, 160}},
				MeasuredG: 1012, ExpectedG: 990, VolumetricG: ptr[int64](2996), BillableG: 2996, Divisor: ptr[int64](5000),
				Carrier: "chronopost", TrackingNumber: "XW123456789FR",
				Label: PackedLabel{Printer: "printer1", OK: true}, DurationMS: 48250},
			// Colissimo France: no divisor, billed on actual weight.
			PackCompleted{OrderID: "SO-2026-114503",
				Lines:     []PackedLine{{Line: LineString("A-10"), SKU: "PHONE-X1", Qty: 1, Serials: []string{"SN7"}}},
				Box:       PackedBox{ID: "BOX-S", OuterMM: [3]units.Length{260, 210, 110}},
				MeasuredG: 720, ExpectedG: 430, VolumetricG: nil, BillableG: 720, Divisor: nil,
				Carrier: "colissimo", Label: PackedLabel{Printer: "printer1", OK: true}, DurationMS: 95120,
				Overrides: []Override{{Reason: ExceptionWeightOutOfTolerance, Detail: "measured 720 g, expected 430 g ± 50 g; accepted by supervisor"}}},
		},
		EventPackException: {PackException{OrderID: "SO-2026-114503", Reason: ExceptionWeightOutOfTolerance,
			Detail: "measured 720 g, expected 430 g ± 50 g: check the parcel's content, then lift it and put it back"}},
		EventLabelPrinted:     {LabelPrinted{Printer: "printer1", JobID: "J-000381", OrderID: "SO-2026-114502"}},
		EventLabelFailed:      {LabelFailed{Printer: "printer1", JobID: "J-000382", Reason: "paper out: load labels and press FEED", OrderID: "SO-2026-114503"}},
		EventPickConfirmed:    {PickConfirmed{BatchID: "B-7781", TaskID: "T1", Location: "A-01-03", Qty: 2, QtyPicked: 2}},
		EventPickShort:        {PickShort{BatchID: "B-7781", TaskID: "T2", Location: "A-02-01", Qty: 1, QtyPicked: 0}},
		EventPickCompleted:    {PickCompleted{BatchID: "B-7781"}},
		EventPutConfirmed:     {PutConfirmed{WallID: "WALL-1", OrderID: "SO-2026-114502", Slot: "W1-A1", SKU: "TSHIRT-BLU-M", Qty: 1}},
		EventPutOrderComplete: {PutOrderComplete{WallID: "WALL-1", OrderID: "SO-2026-114502", Slot: "W1-A1"}},
		EventPutUnexpected:    {PutUnexpected{Device: "scanner1", Code: "]E05012345678900", GTIN: "05012345678900", Reason: PutNotOnWall}},
		EventReturnReceived: {ReturnReceived{RMAID: "RMA-55120", WeightG: 260, Lines: []ReturnedLine{
			{SKU: "TSHIRT-BLU-M", Code: "5901234123457", Qty: 1, Reason: "too_small", Condition: "new", Disposition: "restock"},
		}}},
		EventDeviceStatus: {
			DeviceStatus{Device: "scale1", Kind: KindScale, State: DeviceDisconnected,
				Detail: "scale1 (/dev/ttyUSB0): no reply to SI in 2 s: check the cable and the scale's interface settings (9600 8N1)"},
			DeviceStatus{Device: "scale1", Kind: KindScale, State: DeviceOK},
		},
		EventCommandResult: {
			CommandResult{CommandID: "7f3c2a90-5d1e-4b6f-9a0c-2e8d41b7c3aa", CommandType: CommandPackOrder, OK: true},
			CommandResult{CommandID: "7f3c2a90-5d1e-4b6f-9a0c-2e8d41b7c3ab", CommandType: CommandPackOrder, OK: false,
				Error: &Error{Code: CodeInvalid, Message: "data.lines[1].qty: must be at least 1"}},
			CommandResult{CommandID: "", CommandType: "", OK: false,
				Error: &Error{Code: CodeBadJSON, Message: "payload: truncated JSON (unexpected end after 57 bytes)"}},
		},
		EventScan: {
			Scan{Device: "scanner1", Code: "010590123412345710ABC123", Symbology: SymbologyGS1128, AIM: "]C1",
				GTIN: "05901234123457", GS1: map[string]string{"01": "05901234123457", "10": "ABC123"}},
			Scan{Device: "scanner1", Code: "5901234123458", Symbology: SymbologyEAN13, AIM: "]E0", Error: ScanBadCheckDigit},
		},
		EventStationKPI: {StationKPI{PeriodS: 3600, OrdersPacked: 42, ItemsPacked: 131,
			Mismatches: map[string]int64{MismatchNotInOrder: 3, MismatchOverQuantity: 1}, WeightExceptions: 2,
			PackMSP50: 61000, PackMSP95: 142000, Returns: map[string]int64{"too_small": 1}}},
		EventWeight: {Weight{Device: "scale1", Grams: 1012, Stable: true}},
		EventOutboxDropped: {OutboxDropped{FromSeq: 1200, ToSeq: 1480, Count: 212,
			Types: map[string]int64{EventScan: 150, EventWeight: 60, EventStationKPI: 2}}},
	}
}

func sampleBirth() Birth {
	return Birth{Online: true, Version: "1.4.2", StartedAt: NewTime(sampleTime.Add(-2 * time.Hour)),
		Roles: []string{RolePack},
		Devices: []DeviceState{
			{Name: "scanner1", Kind: KindScanner, Driver: "serial", State: DeviceOK},
			{Name: "scale1", Kind: KindScale, Driver: "mt-sics", State: DeviceOK},
			{Name: "printer1", Kind: KindPrinter, Driver: "zpl", State: DeviceStarting},
		},
		LastSeq: 1481,
	}
}

func sampleBirthAlarm() Birth {
	b := sampleBirth()
	b.Devices[2].State = DeviceOK
	b.Alarms = []Alarm{{Code: AlarmOutboxFull, Since: NewTime(sampleTime.Add(-5 * time.Minute)),
		Message: "outbox full (256 MB): the broker has not acknowledged events for 3 h; check the network and the broker"}}
	return b
}

// sampleEvent returns data in a complete envelope with a fresh id and seq n.
func sampleEvent(t testing.TB, n int, data EventData) Event {
	t.Helper()
	e, err := NewEvent(sampleTime.Add(time.Duration(n)*time.Second), data)
	if err != nil {
		t.Fatalf("NewEvent(%T): %v", data, err)
	}
	e.ID, e.Seq, e.Site, e.Station = sampleULID(n), uint64(n), sampleSite, sampleStation
	return e
}

// sampleCommand returns data in a command envelope with a fresh id.
func sampleCommand(t testing.TB, n int, data CommandData) Command {
	t.Helper()
	c, err := NewCommand(fmt.Sprintf("7f3c2a90-5d1e-4b6f-9a0c-%012d", n), sampleTime.Add(-time.Duration(n)*time.Second), data)
	if err != nil {
		t.Fatalf("NewCommand(%T): %v", data, err)
	}
	return c
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal %T: %v", v, err)
	}
	return b
}
