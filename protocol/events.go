package protocol

import (
	"encoding/json"

	"github.com/stationd/stationd/protocol/units"
)

// Event types, the last level of P/evt/<type> and the envelope's "type" (contract section 6, plus
// outbox.dropped).
const (
	EventPackStarted      = "pack.started"
	EventPackItem         = "pack.item"
	EventPackMismatch     = "pack.mismatch"
	EventPackWeighed      = "pack.weighed"
	EventPackCompleted    = "pack.completed"
	EventPackException    = "pack.exception"
	EventLabelPrinted     = "label.printed"
	EventLabelFailed      = "label.failed"
	EventPickConfirmed    = "pick.confirmed"
	EventPickShort        = "pick.short"
	EventPickCompleted    = "pick.completed"
	EventPutConfirmed     = "put.confirmed"
	EventPutOrderComplete = "put.order_complete"
	EventPutUnexpected    = "put.unexpected"
	EventReturnReceived   = "return.received"
	EventDeviceStatus     = "device.status"
	EventCommandResult    = "command.result"
	EventScan             = "scan"
	EventStationKPI       = "station.kpi"
	EventWeight           = "weight"
	EventOutboxDropped    = "outbox.dropped"
)

// IsTelemetry reports whether events of type eventType are telemetry (scan, weight,
// station.kpi): the outbox may drop them, oldest first, when it is full, and then publishes
// outbox.dropped. Every other event is critical and is never dropped: when the outbox cannot
// take one, the station refuses new work instead.
func IsTelemetry(eventType string) bool {
	switch eventType {
	case EventScan, EventWeight, EventStationKPI:
		return true
	}
	return false
}

// Reasons of pack.mismatch (contract section 6).
const (
	MismatchUnknownBarcode  = "unknown_barcode"  // the code is no GTIN, GS1 string, alias or SKU of any order line
	MismatchNotInOrder      = "not_in_order"     // a valid GTIN / GS1 code, alias or SKU that matches no line of the open order
	MismatchOverQuantity    = "over_quantity"    // the line is already complete
	MismatchLotMissing      = "lot_missing"      // the line needs a lot (AI 10) and the code has none
	MismatchSerialMissing   = "serial_missing"   // the line needs a serial (AI 21) and the code has none
	MismatchDuplicateSerial = "duplicate_serial" // this serial was already scanned in this order
	MismatchExpiryTooShort  = "expiry_too_short" // expiry (AI 17) closer than the line's min_expiry_days
	MismatchBadCheckDigit   = "bad_check_digit"  // the code claims to be a GTIN / GS1 string and its check digit is wrong
)

// Reasons of pack.exception. The contract fixes weight_out_of_tolerance; the others are the
// station's. An OMS must accept reasons it does not know.
const (
	ExceptionWeightOutOfTolerance = "weight_out_of_tolerance" // measured weight outside expected ± tolerance
	ExceptionCarrierLimit         = "carrier_limit_exceeded"  // weight or box beyond the carrier's limits
	ExceptionNoBoxFits            = "no_box_fits"             // no configured box holds the order's items
	ExceptionOrderCancelled       = "order_cancelled"         // pack.cancel arrived while the order was open
	ExceptionScaleUnstable        = "scale_unstable"          // no stable weight within the settle time; the station keeps waiting
	ExceptionLabelFailed          = "label_failed"            // the label did not print; the queue retries, a supervisor may complete without it
)

// Reasons of put.unexpected.
const (
	PutNotOnWall    = "not_on_wall"   // no order of an open wall needs the item
	PutOverQuantity = "over_quantity" // every order that needed it has it already
)

// Device kinds and states of device.status and of the birth message (contract sections 2 and 6).
const (
	KindScanner = "scanner"
	KindScale   = "scale"
	KindPrinter = "printer"
	KindLights  = "lights"
	// KindStorage is an extension: device.status of the pseudo-device "outbox", fault while the
	// outbox is nearly full of unacknowledged critical events (new work refused), ok again
	// once it drains.
	KindStorage = "storage"

	DeviceOK           = "ok"
	DeviceDisconnected = "disconnected"
	DeviceFault        = "fault"
	DeviceStarting     = "starting" // not opened yet; in the birth message only, never in device.status
)

// Scanner symbologies of scan events (contract section 6), named from the AIM identifier.
const (
	SymbologyCode128       = "code128"
	SymbologyGS1128        = "gs1-128"
	SymbologyEAN13         = "ean13"
	SymbologyEAN8          = "ean8"
	SymbologyUPCA          = "upca"
	SymbologyUPCE          = "upce"
	SymbologyITF           = "itf"
	SymbologyCode39        = "code39"
	SymbologyCode93        = "code93"
	SymbologyCodabar       = "codabar"
	SymbologyQR            = "qr"
	SymbologyGS1QR         = "gs1-qr"
	SymbologyDataMatrix    = "datamatrix"
	SymbologyGS1DataMatrix = "gs1-datamatrix"
	SymbologyPDF417        = "pdf417"
	SymbologyAztec         = "aztec"
	SymbologyGS1DataBar    = "gs1-databar"
	SymbologyUnknown       = "unknown" // no AIM identifier
)

// Errors of a scan whose code claims to be GS1 or a GTIN and is not valid (contract section 6).
const (
	ScanBadCheckDigit = "bad_check_digit"
	ScanUnknownAI     = "unknown_ai"
	ScanBadLength     = "bad_length"
	ScanBadDate       = "bad_date"
)

// EventData is implemented by the data type of every event: it names its event type.
type EventData interface {
	EventType() string
}

// PackStarted is pack.started: the packer opened an order.
type PackStarted struct {
	OrderID string `json:"order_id"`
}

// PackItem is pack.item: a scanned item matched a line of the open order and was counted.
type PackItem struct {
	OrderID     string `json:"order_id"`
	Line        LineID `json:"line"` // the order line's identifier, unchanged
	SKU         string `json:"sku"`
	Code        string `json:"code"` // the scanned data, as in scan
	QtyScanned  int    `json:"qty_scanned"`
	QtyExpected int    `json:"qty_expected"`
	Lot         string `json:"lot,omitempty"`
	Serial      string `json:"serial,omitempty"`
	Expiry      string `json:"expiry,omitempty"` // YYYY-MM-DD; a GS1 day 00 is the month's last day
}

// PackMismatch is pack.mismatch: a scan that was not counted; Reason is a Mismatch constant.
type PackMismatch struct {
	OrderID string `json:"order_id"`
	Code    string `json:"code"`
	Reason  string `json:"reason"`
}

// PackWeighed is pack.weighed: a stable weight of the closed parcel against the expected one.
type PackWeighed struct {
	OrderID    string `json:"order_id"`
	MeasuredG  int64  `json:"measured_g"`
	ExpectedG  int64  `json:"expected_g"`
	ToleranceG int64  `json:"tolerance_g"`
	OK         bool   `json:"ok"`
}

// PackCompleted is pack.completed: the parcel is packed, weighed and labelled.
//
// VolumetricG and Divisor are nil, written as JSON null, when the carrier bills actual weight
// (contract section 8); BillableG is then MeasuredG, else max(MeasuredG, *VolumetricG). A
// carrier's rounding step is never folded in: it shows in BillableRoundedG.
type PackCompleted struct {
	OrderID          string       `json:"order_id"`
	Lines            []PackedLine `json:"lines"`
	Box              PackedBox    `json:"box"`
	MeasuredG        int64        `json:"measured_g"`
	ExpectedG        int64        `json:"expected_g"`
	VolumetricG      *int64       `json:"volumetric_g"`
	BillableG        int64        `json:"billable_g"`
	Divisor          *int64       `json:"divisor"`
	Carrier          string       `json:"carrier"`
	TrackingNumber   string       `json:"tracking_number,omitempty"`
	Label            PackedLabel  `json:"label"`
	DurationMS       int64        `json:"duration_ms"`
	Overrides        []Override   `json:"overrides,omitempty"`
	BillableRoundedG int64        `json:"billable_rounded_g,omitempty"` // extension: the carrier's rounding step applied to BillableG
	Surcharges       []string     `json:"surcharges,omitempty"`         // extension: carrier surcharges the parcel incurs (non_mechanisable)
}

// PackedLine is one line of a completed parcel.
type PackedLine struct {
	Line    LineID   `json:"line"`
	SKU     string   `json:"sku"`
	Qty     int      `json:"qty"`
	Lots    []string `json:"lots,omitempty"`
	Serials []string `json:"serials,omitempty"`
}

// PackedBox is the box a parcel went out in.
type PackedBox struct {
	ID      string          `json:"id"`
	OuterMM [3]units.Length `json:"outer_mm"`
}

// PackedLabel says which printer took the parcel's label and whether it printed.
type PackedLabel struct {
	Printer string `json:"printer"`
	OK      bool   `json:"ok"`
}

// Override records a check a supervisor overrode with the supervisor code (contract section 7).
type Override struct {
	Reason string `json:"reason"` // the pack.exception reason overridden
	Detail string `json:"detail,omitempty"`
}

// PackException is pack.exception: the pack cannot go on as is; Reason is an Exception constant.
type PackException struct {
	OrderID string `json:"order_id"`
	Reason  string `json:"reason"`
	Detail  string `json:"detail"`
}

// LabelResult is the data of label.printed and label.failed; use the LabelPrinted and
// LabelFailed types, which name the event.
type LabelResult struct {
	Printer string `json:"printer"`
	JobID   string `json:"job_id"`
	Reason  string `json:"reason,omitempty"`   // label.failed: why, for the operator and the OMS
	OrderID string `json:"order_id,omitempty"` // extension: the order the label belongs to, when it does
}

// LabelPrinted is label.printed.
type LabelPrinted LabelResult

// LabelFailed is label.failed: the job is kept and retried, the operator told.
type LabelFailed LabelResult

// PickResult is the data of pick.confirmed and pick.short; use the PickConfirmed and PickShort
// types, which name the event.
type PickResult struct {
	BatchID   string `json:"batch_id"`
	TaskID    string `json:"task_id"`
	Location  string `json:"location"`
	Qty       int    `json:"qty"`
	QtyPicked int    `json:"qty_picked"`
}

// PickConfirmed is pick.confirmed: the task was picked in full.
type PickConfirmed PickResult

// PickShort is pick.short: the picker confirmed fewer than asked.
type PickShort PickResult

// PickCompleted is pick.completed: every task of the batch is confirmed or short.
type PickCompleted struct {
	BatchID string `json:"batch_id"`
}

// PutConfirmed is put.confirmed: units put into an order's slot.
type PutConfirmed struct {
	WallID  string `json:"wall_id"`
	OrderID string `json:"order_id"`
	Slot    string `json:"slot"`
	SKU     string `json:"sku"`
	Qty     int    `json:"qty"`
}

// PutOrderComplete is put.order_complete: every line of the order is in its slot.
type PutOrderComplete struct {
	WallID  string `json:"wall_id"`
	OrderID string `json:"order_id"`
	Slot    string `json:"slot"`
}

// PutUnexpected is put.unexpected (an extension): an item scanned at a put wall that no slot
// needs. Reason is PutNotOnWall, PutOverQuantity, or the scan's decode error.
type PutUnexpected struct {
	Device string `json:"device"`         // the scanner
	Code   string `json:"code"`           // the scanned data, as in scan
	GTIN   string `json:"gtin,omitempty"` // the GTIN-14 it carries, when it does
	Reason string `json:"reason"`
}

// ReturnReceived is return.received: a return was checked in.
type ReturnReceived struct {
	RMAID   string         `json:"rma_id"`
	Lines   []ReturnedLine `json:"lines"`
	WeightG int64          `json:"weight_g,omitempty"` // 0 when the parcel was not weighed
	// Announced (an extension) is false for a return nobody announced with return.expect: its
	// rma_id is the id as scanned. Nil (absent) means announced, for OMSes that ignore it.
	Announced *bool `json:"announced,omitempty"`
}

// ReturnedLine is one received line of a return. Reason, Condition and Disposition are the
// station's configured vocabularies (returns rules).
type ReturnedLine struct {
	SKU         string `json:"sku"`
	Code        string `json:"code"`
	Qty         int    `json:"qty"`
	Reason      string `json:"reason"`
	Condition   string `json:"condition"`
	Disposition string `json:"disposition"`
}

// DeviceStatus is device.status: a device changed state; State is DeviceOK, DeviceDisconnected
// or DeviceFault.
type DeviceStatus struct {
	Device string `json:"device"`
	Kind   string `json:"kind"`
	State  string `json:"state"`
	Detail string `json:"detail,omitempty"`
}

// CommandResult is command.result, the one answer to every command (contract section 4). Error
// is set exactly when OK is false.
type CommandResult struct {
	CommandID   string `json:"command_id"`
	CommandType string `json:"command_type"`
	OK          bool   `json:"ok"`
	Error       *Error `json:"error,omitempty"`
}

// Scan is scan: one barcode read, published when telemetry.scans is true.
type Scan struct {
	Device    string            `json:"device"`
	Code      string            `json:"code"` // without AIM prefix and terminator; GS stays 0x1D
	Symbology string            `json:"symbology"`
	AIM       string            `json:"aim,omitempty"`
	GTIN      string            `json:"gtin,omitempty"` // GTIN-14, check digit verified
	GS1       map[string]string `json:"gs1,omitempty"`  // AI (digits) → raw value
	Error     string            `json:"error,omitempty"`
}

// StationKPI is station.kpi: counters over the last PeriodS seconds. Nil maps are written as {}.
type StationKPI struct {
	PeriodS          int64            `json:"period_s"`
	OrdersPacked     int64            `json:"orders_packed"`
	ItemsPacked      int64            `json:"items_packed"`
	Mismatches       map[string]int64 `json:"mismatches"` // by pack.mismatch reason
	WeightExceptions int64            `json:"weight_exceptions"`
	PackMSP50        int64            `json:"pack_ms_p50"`
	PackMSP95        int64            `json:"pack_ms_p95"`
	Returns          map[string]int64 `json:"returns"` // by return reason
}

// MarshalJSON writes nil maps as {}: the contract's fields are always objects.
func (k StationKPI) MarshalJSON() ([]byte, error) {
	type plain StationKPI
	if k.Mismatches == nil {
		k.Mismatches = map[string]int64{}
	}
	if k.Returns == nil {
		k.Returns = map[string]int64{}
	}
	return json.Marshal(plain(k))
}

// Weight is weight: a scale reading, at most every telemetry.weight_ms.
type Weight struct {
	Device string `json:"device"`
	Grams  int64  `json:"grams"`
	Stable bool   `json:"stable"`
}

// OutboxDropped is outbox.dropped, a critical event: the outbox was full and dropped Count
// telemetry events (scan, weight, station.kpi), oldest first, whose seq lie between FromSeq and
// ToSeq inclusive. Every seq of that range that is not one of the dropped events still arrives:
// the OMS can tell dropped telemetry from a lost event. Types counts the dropped events by type.
type OutboxDropped struct {
	FromSeq uint64           `json:"from_seq"`
	ToSeq   uint64           `json:"to_seq"`
	Count   int64            `json:"count"`
	Types   map[string]int64 `json:"types"`
}

// EventType implementations.

func (PackStarted) EventType() string      { return EventPackStarted }
func (PackItem) EventType() string         { return EventPackItem }
func (PackMismatch) EventType() string     { return EventPackMismatch }
func (PackWeighed) EventType() string      { return EventPackWeighed }
func (PackCompleted) EventType() string    { return EventPackCompleted }
func (PackException) EventType() string    { return EventPackException }
func (LabelPrinted) EventType() string     { return EventLabelPrinted }
func (LabelFailed) EventType() string      { return EventLabelFailed }
func (PickConfirmed) EventType() string    { return EventPickConfirmed }
func (PickShort) EventType() string        { return EventPickShort }
func (PickCompleted) EventType() string    { return EventPickCompleted }
func (PutConfirmed) EventType() string     { return EventPutConfirmed }
func (PutOrderComplete) EventType() string { return EventPutOrderComplete }
func (PutUnexpected) EventType() string    { return EventPutUnexpected }
func (ReturnReceived) EventType() string   { return EventReturnReceived }
func (DeviceStatus) EventType() string     { return EventDeviceStatus }
func (CommandResult) EventType() string    { return EventCommandResult }
func (Scan) EventType() string             { return EventScan }
func (StationKPI) EventType() string       { return EventStationKPI }
func (Weight) EventType() string           { return EventWeight }
func (OutboxDropped) EventType() string    { return EventOutboxDropped }
