package protocol

import (
	"encoding/json"
	"fmt"
	"slices"
)

// CommandInfo describes one command type.
type CommandInfo struct {
	Type string
	// Role is the station role the command needs (RolePack for pack.*, RolePick for pick.*,
	// RolePut for put.*, RoleReturns for return.*), or "" when every station takes it
	// (label.print, light.set, station.ping).
	Role string
	Doc  string
}

// EventInfo describes one event type.
type EventInfo struct {
	Type string
	// Telemetry events (scan, weight, station.kpi) may be dropped by a full outbox; the others
	// are critical. See IsTelemetry.
	Telemetry bool
	Doc       string
}

type commandSpec struct {
	CommandInfo
	rule   rule
	decode func([]byte) (CommandData, error)
}

type eventSpec struct {
	EventInfo
	rule     rule
	envelope rule // the whole envelope with this type's data rule
	decode   func([]byte) (EventData, error)
}

func decodeCommandAs[T CommandData](b []byte) (CommandData, error) {
	var v T
	err := json.Unmarshal(b, &v)
	return v, err
}

func decodeEventAs[T EventData](b []byte) (EventData, error) {
	var v T
	err := json.Unmarshal(b, &v)
	return v, err
}

var (
	commandSpecs = map[string]*commandSpec{}
	commandOrder []string
	eventSpecs   = map[string]*eventSpec{}
	eventOrder   []string
)

func addCommand(typ, role, doc string, r rule, decode func([]byte) (CommandData, error)) {
	if _, dup := commandSpecs[typ]; dup {
		panic("protocol: command " + typ + " registered twice")
	}
	r.doc = doc
	commandSpecs[typ] = &commandSpec{CommandInfo{typ, role, doc}, r, decode}
	commandOrder = append(commandOrder, typ)
}

func addEvent(typ, doc string, r rule, decode func([]byte) (EventData, error)) {
	if _, dup := eventSpecs[typ]; dup {
		panic("protocol: event " + typ + " registered twice")
	}
	r.doc = doc
	env := eventEnvelopeRule(typ, r)
	eventSpecs[typ] = &eventSpec{EventInfo{typ, IsTelemetry(typ), doc}, r, env, decode}
	eventOrder = append(eventOrder, typ)
}

// Commands returns every command type, in the order of the contract.
func Commands() []CommandInfo {
	out := make([]CommandInfo, len(commandOrder))
	for i, t := range commandOrder {
		out[i] = commandSpecs[t].CommandInfo
	}
	return out
}

// LookupCommand returns what the station knows of command type typ.
func LookupCommand(typ string) (CommandInfo, bool) {
	s, ok := commandSpecs[typ]
	if !ok {
		return CommandInfo{}, false
	}
	return s.CommandInfo, true
}

// Events returns every event type, in the order of the contract, outbox.dropped last.
func Events() []EventInfo {
	out := make([]EventInfo, len(eventOrder))
	for i, t := range eventOrder {
		out[i] = eventSpecs[t].EventInfo
	}
	return out
}

// LookupEvent returns what the station knows of event type typ.
func LookupEvent(typ string) (EventInfo, bool) {
	s, ok := eventSpecs[typ]
	if !ok {
		return EventInfo{}, false
	}
	return s.EventInfo, true
}

// CheckRole returns a role_disabled *Error when command type typ needs a role that is not among
// the station's roles (contract section 4), and nil when the station may run it. Unknown types
// return nil: ParseCommand has already answered them unknown_type.
func CheckRole(typ string, roles []string) *Error {
	s, ok := commandSpecs[typ]
	if !ok || s.Role == "" || slices.Contains(roles, s.Role) {
		return nil
	}
	return Errorf(CodeRoleDisabled, "%s needs the %s role; this station has roles %v (config: roles)", typ, s.Role, roles)
}

// Shared field rules.
var (
	qtyRule      = integer(1, 1_000_000, "Units, at least 1.")
	gramsRule    = integer(0, MaxSafeInt, "Grams.")
	signedGrams  = integer(-MaxSafeInt, MaxSafeInt, "Grams; negative when the scale reads below its zero.")
	gtinRule     = str(8, 14, "GTIN-8, -12, -13 or -14, digits only (the check digit is verified when items are matched).").match(reGTIN, "must be 8, 12, 13 or 14 digits")
	orderIDRule  = ident("The OMS's order identifier.")
	skuRule      = ident("Stock keeping unit.")
	locationRule = ident("A pick-to-light location, as named in the station's lights config.")
	deviceRule   = str(1, 64, "A device name from the station's config.").match(reName, "must be letters, digits, '_' or '-'")
	mmRule       = integer(1, 100_000, "Millimetres.")
	reasonRule   = str(1, 64, "A reason code: lower case letters, digits and '_'.").match(reCode, "must be lower case letters, digits and '_', starting with a letter")
	codeRule     = str(1, 4096, "The scanned data, as in scan (a GS separator stays as the character 0x1D).").match(nil, "")
	colorRule    = str(1, 16, "Light colour: red, green, blue, yellow, cyan, magenta, white, orange, or #rrggbb.").match(reColor, "must be red, green, blue, yellow, cyan, magenta, white, orange or #rrggbb")
	telemetry    = []string{EventScan, EventWeight, EventStationKPI}
)

func withDoc(r rule, doc string) rule { r.doc = doc; return r }

func init() {
	// Commands, contract section 5.
	addCommand(CommandPackOrder, RolePack,
		"An order to pack. Stored by the station (it survives restarts and broker outages) until packed or cancelled; sending the same order_id again with the same content is harmless.",
		object("",
			req("order_id", orderIDRule),
			req("carrier", str(1, 32, "Carrier key, as in the station's carrier rules (firmware-config/ and pack.carriers): chronopost, colissimo, ...").match(reCarrier, "must be a carrier key: lower case letters, digits, '_' or '-'")),
			opt("service", str(1, 64, "Carrier service (printed on the station's label).")),
			opt("tracking_number", str(1, 64, "Tracking number, printed on the station's label and echoed in pack.completed.")),
			opt("label_zpl", str(1, 0, "A complete ZPL label to print byte for byte instead of the station's template.").match(nil, "")),
			req("ship_to", object("Delivery address.",
				req("name", str(1, 128, "Recipient.")),
				opt("company", str(1, 128, "Company.")),
				req("street", str(1, 256, "Street and number.")),
				opt("street2", str(1, 256, "Address complement.")),
				req("postcode", str(1, 16, "Postcode.")),
				req("city", str(1, 128, "City.")),
				req("country", str(2, 2, "ISO 3166-1 alpha-2 country code, upper case (FR).").match(reCountry, "must be two upper-case letters (ISO 3166-1 alpha-2)")),
			)),
			req("lines", arrayOf(1, 1000, object("An order line.",
				req("line", lineID("The line's identifier: a string or a non-negative integer, echoed unchanged in pack.item and pack.completed. Unique within the order.")),
				req("sku", skuRule),
				opt("gtin", gtinRule),
				opt("barcodes", arrayOf(1, 50, str(1, 128, "A barcode alias."), "Other codes that match this line (supplier labels, internal codes).").with(uniqueItems())),
				req("qty", withDoc(qtyRule, "Units to pack, at least 1.")),
				req("unit_weight_g", integer(0, 1_000_000, "Weight of one unit in grams; the expected parcel weight is the sum of the lines plus the box tare.")),
				opt("dims_mm", arrayOf(3, 3, mmRule, "Unit dimensions in millimetres, [length, width, height], each at least 1: used to choose the smallest box that fits.")),
				opt("lot_required", boolean("Every unit must be scanned with a lot (GS1 AI 10).")),
				opt("serial_required", boolean("Every unit must be scanned with a serial number (GS1 AI 21), each different.")),
				opt("min_expiry_days", integer(0, 36500, "Units must expire (GS1 AI 17) at least this many days after the day of packing.")),
			), "The lines, at least one.").with(unique("line"))),
		), decodeCommandAs[PackOrder])

	addCommand(CommandPackCancel, RolePack,
		"Withdraw an order that is not packed yet. An open pack of it ends with pack.exception order_cancelled.",
		object("", req("order_id", orderIDRule)), decodeCommandAs[PackCancel])

	addCommand(CommandPickTasks, RolePick,
		"A batch of picks, lit on the pick-to-light locations.",
		object("",
			req("batch_id", ident("The OMS's batch identifier.")),
			req("tasks", arrayOf(1, 1000, object("A pick.",
				req("task_id", ident("The task's identifier, unique within the batch.")),
				req("location", locationRule),
				req("sku", skuRule),
				req("qty", withDoc(qtyRule, "Units to pick, at least 1.")),
				opt("order_id", withDoc(orderIDRule, "The order the pick is for.")),
				opt("color", colorRule),
			), "The picks, at least one.").with(unique("task_id"))),
		), decodeCommandAs[PickTasks])

	addCommand(CommandPickCancel, RolePick,
		"Withdraw a batch; its lights go off.",
		object("", req("batch_id", ident("The OMS's batch identifier."))), decodeCommandAs[PickCancel])

	putLine := object("A line to put.",
		req("sku", skuRule),
		opt("gtin", gtinRule),
		req("qty", withDoc(qtyRule, "Units, at least 1.")),
	)
	addCommand(CommandPutWall, RolePut,
		"Orders to sort into the slots of a put wall.",
		object("",
			req("wall_id", ident("The put wall.")),
			req("orders", arrayOf(1, 1000, object("An order and its slot.",
				req("order_id", orderIDRule),
				req("slot", ident("The slot's location, as named in the lights config; one order per slot.")),
				req("lines", arrayOf(1, 1000, putLine, "The order's lines, at least one.")),
			), "The orders, at least one.").with(unique("order_id")).with(unique("slot"))),
		), decodeCommandAs[PutWall])

	addCommand(CommandReturnExpect, RoleReturns,
		"An announced return (RMA), matched when the parcel is checked in.",
		object("",
			req("rma_id", ident("The return's identifier.")),
			opt("order_id", withDoc(orderIDRule, "The order being returned.")),
			req("lines", arrayOf(1, 1000, putLine, "The expected lines, at least one.")),
		), decodeCommandAs[ReturnExpect])

	zplOrTemplate := check{
		doc: "Exactly one of `zpl` and `template` is given.",
		fn: func(v any, path string) *fieldError {
			m := v.(map[string]any)
			_, z := m["zpl"]
			_, t := m["template"]
			if z == t {
				return &fieldError{path: path, msg: "exactly one of zpl and template is required"}
			}
			return nil
		},
		schema: []kv{{"oneOf", []any{
			[]kv{{"required", []string{"zpl"}}, {"properties", []kv{{"zpl", []kv{{"type", "string"}}}}}},
			[]kv{{"required", []string{"template"}}, {"properties", []kv{{"template", []kv{{"type", "string"}}}}}},
		}}},
	}
	addCommand(CommandLabelPrint, "",
		"Print a label: raw ZPL, or one of the station's templates filled with fields (escaped with ^FH, never stripped).",
		object("",
			opt("printer", withDoc(deviceRule, "The printer device; default: the config's pack.printer.")),
			opt("zpl", str(1, 0, "A complete ZPL label, sent byte for byte.").match(nil, "")),
			opt("template", str(1, 64, "A label template of the station.").match(reName, "must be letters, digits, '_' or '-'")),
			opt("fields", mapOf(str(1, 64, "").match(reFieldName, "must be letters, digits, '_', '-' or '.' (ship_to.name)"), str(0, 1024, "A field value: a string, or a number or boolean taken as written.").orScalar(), "Template fields by name.")),
			opt("copies", integer(1, 100, "Copies; default 1.")),
		).with(zplOrTemplate), decodeCommandAs[LabelPrint])

	addCommand(CommandLightSet, "",
		"Set one light, outside any pick batch.",
		object("",
			req("location", locationRule),
			req("color", str(1, 16, "Light colour: off, red, green, blue, yellow, cyan, magenta, white, orange, or #rrggbb.").match(reLightColor, "must be off, red, green, blue, yellow, cyan, magenta, white, orange or #rrggbb")),
			opt("blink", boolean("Blink instead of steady.")),
			opt("display", str(0, 32, "Text for the location's display, when it has one (a quantity).")),
		), decodeCommandAs[LightSet])

	addCommand(CommandStationPing, "",
		"Answered by its command.result alone: checks the path from the OMS to the station and back. Data may be {} or absent.",
		object(""), decodeCommandAs[StationPing])

	// Events, contract section 6.
	addEvent(EventPackStarted, "The packer opened an order (scanned its order_id, or pack.auto_start).",
		object("", req("order_id", orderIDRule)), decodeEventAs[PackStarted])

	addEvent(EventPackItem, "A scanned item matched a line of the open order and was counted.",
		object("",
			req("order_id", orderIDRule),
			req("line", lineID("The order line's identifier as pack.order gave it, unchanged.")),
			req("sku", skuRule),
			req("code", codeRule),
			req("qty_scanned", integer(1, 1_000_000, "Units of the line counted so far, this one included.")),
			req("qty_expected", withDoc(qtyRule, "Units the line asks for.")),
			opt("lot", str(1, 20, "Lot (GS1 AI 10) read from the code.")),
			opt("serial", str(1, 20, "Serial number (GS1 AI 21) read from the code.")),
			opt("expiry", str(10, 10, "Expiry date (GS1 AI 17) as YYYY-MM-DD; a GS1 day 00 is the month's last day.").match(reDate, "must be a date YYYY-MM-DD")),
		), decodeEventAs[PackItem])

	addEvent(EventPackMismatch, "A scan that matched nothing countable; the operator is told at once and nothing is counted.",
		object("",
			req("order_id", orderIDRule),
			req("code", codeRule),
			req("reason", enumOf("Why the scan was refused.",
				MismatchUnknownBarcode, MismatchNotInOrder, MismatchOverQuantity, MismatchLotMissing,
				MismatchSerialMissing, MismatchDuplicateSerial, MismatchExpiryTooShort, MismatchBadCheckDigit)),
		), decodeEventAs[PackMismatch])

	addEvent(EventPackWeighed, "A stable weight of the parcel against the expected weight; ok is false out of tolerance (pack.exception follows).",
		object("",
			req("order_id", orderIDRule),
			req("measured_g", withDoc(signedGrams, "Measured weight in grams.")),
			req("expected_g", withDoc(gramsRule, "Expected weight in grams: the lines' unit weights times quantities plus the box tare.")),
			req("tolerance_g", withDoc(gramsRule, "Allowed difference in grams: max(pack.weight_tolerance.grams, percent of expected).")),
			req("ok", boolean("Whether |measured - expected| <= tolerance.")),
		), decodeEventAs[PackWeighed])

	volumetric := check{
		doc: "`volumetric_g` and `divisor` are both null (the carrier bills actual weight; `billable_g` = `measured_g`) or both integers (`billable_g` = max(`measured_g`, `volumetric_g`)).",
		fn: func(v any, path string) *fieldError {
			m := v.(map[string]any)
			if (m["volumetric_g"] == nil) != (m["divisor"] == nil) {
				return &fieldError{path: path + ".volumetric_g", msg: "must be null exactly when divisor is null"}
			}
			return nil
		},
		schema: []kv{{"oneOf", []any{
			[]kv{{"properties", []kv{{"volumetric_g", []kv{{"type", "null"}}}, {"divisor", []kv{{"type", "null"}}}}}},
			[]kv{{"properties", []kv{{"volumetric_g", []kv{{"type", "integer"}}}, {"divisor", []kv{{"type", "integer"}}}}}},
		}}},
	}
	billable := check{
		doc: "`billable_g` is max(`measured_g`, `volumetric_g`), or `measured_g` when `volumetric_g` is null (contract section 8).",
		fn: func(v any, path string) *fieldError {
			m := v.(map[string]any)
			measured, _ := m["measured_g"].(json.Number).Int64()
			billable, _ := m["billable_g"].(json.Number).Int64()
			want := measured
			if vol, ok := m["volumetric_g"].(json.Number); ok {
				if g, _ := vol.Int64(); g > want {
					want = g
				}
			}
			if billable != want {
				return &fieldError{path: path + ".billable_g", msg: fmt.Sprintf("must be %d: max(measured_g, volumetric_g)", want)}
			}
			return nil
		},
	}
	addEvent(EventPackCompleted, "The parcel is packed, weighed and labelled; the station is ready for the next order.",
		object("",
			req("order_id", orderIDRule),
			req("lines", arrayOf(1, 1000, object("A packed line.",
				req("line", lineID("The order line's identifier, unchanged.")),
				req("sku", skuRule),
				req("qty", withDoc(qtyRule, "Units packed.")),
				opt("lots", arrayOf(1, 0, str(1, 20, "A lot."), "Lots scanned for the line, when it required them.")),
				opt("serials", arrayOf(1, 0, str(1, 20, "A serial number."), "Serial numbers scanned for the line, when it required them.").with(uniqueItems())),
			), "The packed lines.")),
			req("box", object("The box used.",
				req("id", ident("Box id from the config's pack.boxes.")),
				req("outer_mm", arrayOf(3, 3, mmRule, "Outer dimensions in millimetres, [length, width, height].")),
			)),
			req("measured_g", withDoc(signedGrams, "Measured weight in grams.")),
			req("expected_g", withDoc(gramsRule, "Expected weight in grams.")),
			req("volumetric_g", integer(0, MaxSafeInt, "ceil(L x W x H mm / divisor) in grams on the box's outer dimensions; null when the carrier has no divisor.").orNull()),
			req("billable_g", withDoc(signedGrams, "max(measured_g, volumetric_g); measured_g when volumetric_g is null. Carrier rounding is not applied here.")),
			req("divisor", integer(1, 1_000_000, "The carrier's volumetric divisor in cm3 per kg (5000); null when the carrier bills actual weight.").orNull()),
			req("carrier", str(1, 32, "The order's carrier key.").match(reCarrier, "must be a carrier key")),
			opt("tracking_number", str(1, 64, "The order's tracking number.")),
			req("label", object("The label.",
				req("printer", withDoc(deviceRule, "The printer device.")),
				req("ok", boolean("Whether the label printed.")),
			)),
			req("duration_ms", integer(0, MaxSafeInt, "Milliseconds from pack.started to pack.completed.")),
			opt("overrides", arrayOf(1, 100, object("A check a supervisor overrode.",
				req("reason", withDoc(reasonRule, "The pack.exception reason overridden (weight_out_of_tolerance).")),
				opt("detail", str(1, 1024, "What was overridden, for humans.")),
			), "Checks a supervisor overrode with the supervisor code.")),
			opt("billable_rounded_g", integer(0, MaxSafeInt, "Extension: billable_g rounded up to the carrier's rounding step, for carriers that have one.")),
			opt("surcharges", arrayOf(1, 20, withDoc(reasonRule, "A surcharge code (non_mechanisable)."), "Extension: carrier surcharges the parcel incurs.")),
		).with(volumetric).with(billable), decodeEventAs[PackCompleted])

	addEvent(EventPackException, "The pack cannot go on as is: the operator is told what to do.",
		object("",
			req("order_id", orderIDRule),
			req("reason", withDoc(reasonRule, "weight_out_of_tolerance, carrier_limit_exceeded, no_box_fits, order_cancelled, scale_unstable, label_failed; an OMS must accept others.")),
			req("detail", str(0, 1024, "What happened, for humans.")),
		), decodeEventAs[PackException])

	label := object("",
		req("printer", withDoc(deviceRule, "The printer device.")),
		req("job_id", ident("The station's print job identifier.")),
		opt("reason", str(1, 1024, "Why the label failed (label.failed).")),
		opt("order_id", withDoc(orderIDRule, "Extension: the order the label belongs to, when it does.")),
	)
	addEvent(EventLabelPrinted, "A label printed.", label, decodeEventAs[LabelPrinted])
	addEvent(EventLabelFailed, "A label failed to print; the job is kept and retried, the operator told.", label, decodeEventAs[LabelFailed])

	pick := object("",
		req("batch_id", ident("The batch.")),
		req("task_id", ident("The task.")),
		req("location", locationRule),
		req("qty", withDoc(qtyRule, "Units asked.")),
		req("qty_picked", integer(0, 1_000_000, "Units the picker confirmed.")),
	)
	addEvent(EventPickConfirmed, "A pick task was picked in full.", pick, decodeEventAs[PickConfirmed])
	addEvent(EventPickShort, "The picker confirmed fewer units than asked.", pick, decodeEventAs[PickShort])
	addEvent(EventPickCompleted, "Every task of the batch is confirmed or short.",
		object("", req("batch_id", ident("The batch."))), decodeEventAs[PickCompleted])

	addEvent(EventPutConfirmed, "Units were put into an order's slot.",
		object("",
			req("wall_id", ident("The put wall.")),
			req("order_id", orderIDRule),
			req("slot", ident("The slot.")),
			req("sku", skuRule),
			req("qty", withDoc(qtyRule, "Units put.")),
		), decodeEventAs[PutConfirmed])
	addEvent(EventPutOrderComplete, "Every line of the order is in its slot.",
		object("",
			req("wall_id", ident("The put wall.")),
			req("order_id", orderIDRule),
			req("slot", ident("The slot.")),
		), decodeEventAs[PutOrderComplete])
	addEvent(EventPutUnexpected, "Extension: an item scanned at a put wall that no slot needs; the operator is told.",
		object("",
			req("device", withDoc(deviceRule, "The scanner.")),
			req("code", codeRule),
			opt("gtin", str(14, 14, "The GTIN-14 the code carries, when it does.").match(reGTIN14, "must be 14 digits")),
			req("reason", withDoc(reasonRule, "not_on_wall, over_quantity, or the scan's decode error (bad_check_digit, ...).")),
		), decodeEventAs[PutUnexpected])

	addEvent(EventReturnReceived, "A return was checked in.",
		object("",
			req("rma_id", ident("The return.")),
			req("lines", arrayOf(1, 1000, object("A received line.",
				req("sku", skuRule),
				req("code", codeRule),
				req("qty", withDoc(qtyRule, "Units received.")),
				req("reason", withDoc(reasonRule, "Return reason, from the station's returns rules.")),
				req("condition", withDoc(reasonRule, "Condition of the goods, from the station's returns rules.")),
				req("disposition", withDoc(reasonRule, "Where the goods go, from the station's returns rules.")),
			), "The received lines.")),
			opt("weight_g", integer(1, MaxSafeInt, "The parcel's weight in grams, when weighed.")),
			opt("announced", boolean("Extension: false for a return nobody announced with return.expect (its rma_id is the id as scanned).")),
		), decodeEventAs[ReturnReceived])

	addEvent(EventDeviceStatus, "A device changed state.",
		object("",
			req("device", deviceRule),
			req("kind", enumOf("Device kind; storage (an extension) for the outbox alarm.", KindScanner, KindScale, KindPrinter, KindLights, KindStorage)),
			req("state", enumOf("ok, disconnected or fault.", DeviceOK, DeviceDisconnected, DeviceFault)),
			opt("detail", str(1, 1024, "What happened and what to do, for the technician.")),
		), decodeEventAs[DeviceStatus])

	okError := check{
		doc: "`error` is present exactly when `ok` is false.",
		fn: func(v any, path string) *fieldError {
			m := v.(map[string]any)
			_, hasErr := m["error"]
			if m["ok"].(bool) == hasErr {
				return &fieldError{path: path + ".error", msg: "must be present exactly when ok is false"}
			}
			return nil
		},
		schema: []kv{
			{"if", []kv{{"properties", []kv{{"ok", []kv{{"const", false}}}}}}},
			{"then", []kv{{"required", []string{"error"}}}},
			{"else", []kv{{"not", []kv{{"required", []string{"error"}}}}}},
		},
	}
	addEvent(EventCommandResult, "The one answer to every command; a command already handled gets its earlier result again, in a new event.",
		object("",
			req("command_id", str(0, 128, "The command's id; \"\" when it could not be read.")),
			req("command_type", str(0, 64, "The command's type (from the envelope, else from the topic); \"\" when neither could be read.").match(reResultType, "must be a command type or empty")),
			req("ok", boolean("Whether the command was accepted and executed.")),
			opt("error", object("Why the command failed.",
				req("code", enumOf("Result code.", codes...)),
				req("message", str(0, 1024, "What was wrong, for humans; for invalid, starts with the field path (data.lines[1].qty: required).")),
			)),
		).with(okError), decodeEventAs[CommandResult])

	addEvent(EventScan, "Telemetry: every barcode read, when telemetry.scans is true.",
		object("",
			req("device", deviceRule),
			req("code", str(0, 4096, "The data without AIM identifier and terminator; a GS separator stays as the character 0x1D.").match(nil, "")),
			req("symbology", enumOf("From the AIM identifier; unknown without one.",
				SymbologyCode128, SymbologyGS1128, SymbologyEAN13, SymbologyEAN8, SymbologyUPCA, SymbologyUPCE,
				SymbologyITF, SymbologyCode39, SymbologyCode93, SymbologyCodabar, SymbologyQR, SymbologyGS1QR,
				SymbologyDataMatrix, SymbologyGS1DataMatrix, SymbologyPDF417, SymbologyAztec, SymbologyGS1DataBar,
				SymbologyUnknown)),
			opt("aim", str(3, 3, "The three-character AIM identifier (]C1), when the scanner sent one.").match(reAIM, "must be an AIM identifier: ']', a letter, a letter or digit")),
			opt("gtin", str(14, 14, "The GTIN-14 (check digit verified) when the code is a GTIN-8/12/13/14 or carries AI 01.").match(reGTIN14, "must be 14 digits")),
			opt("gs1", mapOf(str(2, 4, "").match(reAI, "must be a GS1 application identifier (2 to 4 digits)"), str(0, 128, "The raw value as encoded.").match(nil, ""), "GS1 element strings: AI (digits) to raw value.")),
			opt("error", enumOf("Why a code that claims to be GS1 or a GTIN is not valid (then gs1 and gtin are absent).",
				ScanBadCheckDigit, ScanUnknownAI, ScanBadLength, ScanBadDate)),
		), decodeEventAs[Scan])

	counts := func(doc string) rule {
		return mapOf(withDoc(reasonRule, ""), integer(0, MaxSafeInt, "A count."), doc)
	}
	addEvent(EventStationKPI, "Telemetry: the station's counters over the last period.",
		object("",
			req("period_s", integer(1, MaxSafeInt, "Length of the period in seconds.")),
			req("orders_packed", integer(0, MaxSafeInt, "Orders completed.")),
			req("items_packed", integer(0, MaxSafeInt, "Units counted in pack.item.")),
			req("mismatches", counts("pack.mismatch events by reason.")),
			req("weight_exceptions", integer(0, MaxSafeInt, "pack.weighed with ok false.")),
			req("pack_ms_p50", integer(0, MaxSafeInt, "Median pack duration in milliseconds (0 without packs).")),
			req("pack_ms_p95", integer(0, MaxSafeInt, "95th percentile pack duration in milliseconds (0 without packs).")),
			req("returns", counts("Returned lines by reason.")),
		), decodeEventAs[StationKPI])

	addEvent(EventWeight, "Telemetry: a scale reading, at most every telemetry.weight_ms; never an overload or error reply.",
		object("",
			req("device", deviceRule),
			req("grams", withDoc(signedGrams, "Weight in grams.")),
			req("stable", boolean("False while the scale is in motion.")),
		), decodeEventAs[Weight])

	seqOrder := check{
		doc: "`from_seq` <= `to_seq`, and `count` is at most the size of the range.",
		fn: func(v any, path string) *fieldError {
			m := v.(map[string]any)
			from, _ := m["from_seq"].(json.Number).Int64()
			to, _ := m["to_seq"].(json.Number).Int64()
			count, _ := m["count"].(json.Number).Int64()
			if from > to {
				return &fieldError{path: path + ".to_seq", msg: "must not be below from_seq"}
			}
			if count > to-from+1 {
				return &fieldError{path: path + ".count", msg: "must not exceed to_seq - from_seq + 1"}
			}
			return nil
		},
	}
	addEvent(EventOutboxDropped, "Critical: the full outbox dropped telemetry events (scan, weight, station.kpi), oldest first. Their seq lie in [from_seq, to_seq]; every other seq of the range still arrives, so the gap is not a lost event.",
		object("",
			req("from_seq", integer(1, MaxSafeInt, "The smallest seq dropped.")),
			req("to_seq", integer(1, MaxSafeInt, "The largest seq dropped.")),
			req("count", integer(1, MaxSafeInt, "Events dropped.")),
			req("types", mapOf(enumOf("", telemetry...), integer(1, MaxSafeInt, "Events of that type dropped."), "Dropped events by type.")),
		).with(seqOrder), decodeEventAs[OutboxDropped])
}
