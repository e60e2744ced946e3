package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"time"
	"unicode/utf8"
)

const (
	// Version is the envelope version, the "v" of every event and command (contract section 4).
	Version = 1
	// MaxCommandSize is the largest command payload in bytes; a larger one is answered
	// too_large without being parsed (contract section 4).
	MaxCommandSize = 256 << 10
	// peekLimit bounds how much of an oversized payload is read to find its id and type.
	peekLimit = 4 << 10
)

// Event is the envelope of every event the station publishes on P/evt/<type> (contract
// section 4). Data holds the JSON of one of this package's event types (see EventData).
//
// ID (a ULID) is unique for ever, the OMS's idempotency key; Seq starts at 1 and grows by exactly
// 1 per event of the station, across restarts. A re-sent event keeps both. Both are assigned by
// the outbox when it stores the event, with Site and Station; NewEvent fills in the rest.
type Event struct {
	V       int             `json:"v"`
	ID      string          `json:"id"`
	Seq     uint64          `json:"seq"`
	Type    string          `json:"type"`
	Site    string          `json:"site"`
	Station string          `json:"station"`
	Time    Time            `json:"time"`
	Data    json.RawMessage `json:"data"`
}

// NewEvent returns the envelope of data, an event that happened at at: V, Type, Time (UTC,
// truncated to the millisecond) and Data are set; ID, Seq, Site and Station are left for the
// outbox. It fails when data breaks its event's rules (a required field empty, a value out of
// range, billable_g not max(measured_g, volumetric_g), ...): a bug of the caller, never of
// input, and the message names the field.
func NewEvent(at time.Time, data EventData) (Event, error) {
	if isNil(data) {
		return Event{}, errors.New("protocol: NewEvent: nil data")
	}
	typ := data.EventType()
	spec, ok := eventSpecs[typ]
	if !ok {
		return Event{}, fmt.Errorf("protocol: NewEvent: unknown event type %q", typ)
	}
	b, err := json.Marshal(data)
	if err != nil {
		return Event{}, fmt.Errorf("protocol: %s event: %w", typ, err)
	}
	tree, perr := parseJSON(b)
	if perr != nil {
		return Event{}, fmt.Errorf("protocol: %s event: %w", typ, perr)
	}
	if _, ferr := spec.rule.validate(tree, "data", false); ferr != nil {
		return Event{}, fmt.Errorf("protocol: %s event: %w", typ, ferr)
	}
	return Event{V: Version, Type: typ, Time: NewTime(at), Data: b}, nil
}

// Validate checks a complete envelope (after the outbox has stamped ID, Seq, Site and Station)
// against the event schema: V is 1, ID a ULID, Seq between 1 and MaxSafeInt, Site and Station
// valid, Type known and Data valid for it.
func (e Event) Validate() error {
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("protocol: event %d: %w", e.Seq, err)
	}
	if _, _, err := decodeEvent(b); err != nil {
		return fmt.Errorf("protocol: event %d: %w", e.Seq, err)
	}
	return nil
}

// DecodeEvent reads and checks an event envelope and its data, as an OMS does on receipt, and
// returns the data as a value of this package's type for it (PackCompleted, Scan, ...). The
// error is an *Error with code bad_json, invalid or unknown_type. Unknown fields are ignored.
func DecodeEvent(payload []byte) (Event, EventData, error) {
	e, d, err := decodeEvent(payload)
	if err != nil {
		return Event{}, nil, err
	}
	return e, d, nil
}

func decodeEvent(payload []byte) (Event, EventData, *Error) {
	tree, perr := parseJSON(payload)
	if perr != nil {
		return Event{}, nil, perr
	}
	env := &eventEnvelope
	m, _ := tree.(map[string]any)
	typ, _ := m["type"].(string)
	spec, known := eventSpecs[typ]
	if known {
		env = &spec.envelope
	}
	clean, ferr := env.validate(tree, "", false)
	if ferr != nil {
		return Event{}, nil, ferr.invalid()
	}
	if !known {
		return Event{}, nil, Errorf(CodeUnknownType, "type: unknown event type %q", typ)
	}
	var e Event
	if err := remarshal(clean, &e); err != nil {
		return Event{}, nil, Errorf(CodeInvalid, "%v", err)
	}
	d, err := spec.decode(e.Data)
	if err != nil {
		return Event{}, nil, Errorf(CodeInvalid, "data: %v", err)
	}
	return e, d, nil
}

// Command is the envelope of every command the OMS sends on P/cmd/<type> (contract section 4).
// Time is the OMS's, informational: kept as sent, never parsed. Data is the raw JSON of the
// command's data, {} when the envelope had none.
type Command struct {
	V    int             `json:"v"`
	ID   string          `json:"id"`
	Type string          `json:"type"`
	Time string          `json:"time,omitempty"`
	Data json.RawMessage `json:"data"`
}

// NewCommand returns the envelope of data with the given id, sent at at: what the OMS
// simulator and tests send. It fails when id or data break the command's rules.
func NewCommand(id string, at time.Time, data CommandData) (Command, error) {
	if isNil(data) {
		return Command{}, errors.New("protocol: NewCommand: nil data")
	}
	typ := data.CommandType()
	spec, ok := commandSpecs[typ]
	if !ok {
		return Command{}, fmt.Errorf("protocol: NewCommand: unknown command type %q", typ)
	}
	if ferr := commandIDRule.checkString(id, "id"); ferr != nil {
		return Command{}, fmt.Errorf("protocol: %s command: %w", typ, ferr)
	}
	b, err := json.Marshal(data)
	if err != nil {
		return Command{}, fmt.Errorf("protocol: %s command: %w", typ, err)
	}
	tree, perr := parseJSON(b)
	if perr != nil {
		return Command{}, fmt.Errorf("protocol: %s command: %w", typ, perr)
	}
	if _, ferr := spec.rule.validate(tree, "data", false); ferr != nil {
		return Command{}, fmt.Errorf("protocol: %s command: %w", typ, ferr)
	}
	return Command{V: Version, ID: id, Type: typ, Time: NewTime(at).String(), Data: b}, nil
}

// Result returns the command.result data answering c: ok when err is nil, else the error, its
// message cut to the schema's 1024 characters. CommandID and CommandType are c's, "" when they
// could not be read.
func (c Command) Result(err *Error) CommandResult {
	if err != nil && utf8.RuneCountInString(err.Message) > maxMessage {
		e := *err
		e.Message = string([]rune(e.Message)[:maxMessage-1]) + "…"
		err = &e
	}
	return CommandResult{CommandID: c.ID, CommandType: c.Type, OK: err == nil, Error: err}
}

// maxMessage is the longest command.result error message, in characters.
const maxMessage = 1024

// ParseCommand reads a command envelope, without its data, from the payload of a message
// received on P/cmd/<topicType> (see Topics.CommandType; pass "" when the topic is not known).
// On success the Command has ID, V, Type and Data set, and the caller goes on with
// de-duplication by ID, CheckRole and DecodeData. On failure the *Error carries the contract's
// code, checked in this order:
//
//   - too_large: the payload is over MaxCommandSize. It is not parsed; only its first 4 KiB are
//     scanned for an "id" and a "type" to answer with.
//   - bad_json: empty, not UTF-8, a JSON syntax error, truncated, or data after the value.
//   - invalid: not a JSON object; id missing, not a string, empty or over 128 characters; v
//     missing or not 1; type missing or not a type name; type different from topicType (the
//     envelope and the topic must agree, so that a message routed on one type is never executed
//     as another); time not a string; data not an object.
//   - unknown_type: type is not a command of this package.
//
// Whatever the error, the returned Command has the ID and Type that could be read ("" when
// none), Type falling back to topicType: pass it to Command.Result for command.result. Fields
// of the envelope beyond v, id, type, time and data are ignored.
func ParseCommand(topicType string, payload []byte) (Command, *Error) {
	var c Command
	fallback := topicType // the Type to answer with when the envelope's cannot be read
	if !reTypeName.MatchString(fallback) || len(fallback) > 64 {
		fallback = ""
	}
	if len(payload) > MaxCommandSize {
		c.ID, c.Type = peekHeader(payload[:peekLimit])
		if c.Type == "" {
			c.Type = fallback
		}
		return c, Errorf(CodeTooLarge, "payload: %d bytes, over the %d-byte limit", len(payload), MaxCommandSize)
	}
	var env map[string]json.RawMessage
	perr := checkJSONText(payload)
	if perr == nil {
		if err := json.Unmarshal(payload, &env); err != nil {
			var typeErr *json.UnmarshalTypeError
			if errors.As(err, &typeErr) {
				perr = Errorf(CodeInvalid, "payload: must be a JSON object")
			} else {
				perr = jsonError(err, payload)
			}
		} else if env == nil {
			perr = Errorf(CodeInvalid, "payload: must be a JSON object, not null")
		}
	}
	if perr != nil {
		if perr.Code == CodeBadJSON {
			c.ID, c.Type = peekHeader(payload)
		}
		if c.Type == "" {
			c.Type = fallback
		}
		return c, perr
	}

	id, idErr := envelopeField(env, "id", &commandIDRule)
	if idErr == nil {
		c.ID = id.(string)
	}
	typ, typeErr := envelopeField(env, "type", &commandTypeRule)
	c.Type = fallback
	if typeErr == nil {
		c.Type = typ.(string)
	}
	if idErr != nil {
		return c, idErr.invalid()
	}
	v, vErr := envelopeField(env, "v", &anyValue)
	if vErr != nil {
		return c, vErr.invalid()
	}
	vn, isNum := v.(json.Number)
	if !isNum {
		return c, Errorf(CodeInvalid, "v: must be an integer")
	}
	if n, integral, overflow := jsonInt(string(vn)); !integral {
		return c, Errorf(CodeInvalid, "v: must be an integer")
	} else if overflow != 0 || n != Version {
		return c, Errorf(CodeInvalid, "v: unsupported protocol version %s: this station speaks version %d", shorten(string(vn)), Version)
	}
	c.V = Version
	switch {
	case typeErr != nil:
		return c, typeErr.invalid()
	case topicType != "" && c.Type != topicType:
		return c, Errorf(CodeInvalid, "type: %q does not match the topic's type %q", c.Type, shorten(topicType))
	}
	if _, known := commandSpecs[c.Type]; !known {
		return c, Errorf(CodeUnknownType, "type: unknown command type %q", c.Type)
	}
	if raw, ok := env["time"]; ok && !isNull(raw) {
		t, err := envelopeField(env, "time", &commandTimeRule)
		if err != nil {
			return c, err.invalid()
		}
		c.Time = t.(string)
	}
	c.Data = json.RawMessage("{}")
	if raw, ok := env["data"]; ok && !isNull(raw) {
		if raw[0] != '{' {
			return c, Errorf(CodeInvalid, "data: must be an object")
		}
		c.Data = raw
	}
	return c, nil
}

// DecodeData checks c's data against its command's rules and returns it as a value of this
// package's type for it (PackOrder, PickTasks, ...). A broken rule is an invalid *Error whose
// message starts with the field path: "data.lines[1].qty: must be at least 1",
// "data.ship_to.country: required". Unknown fields are tolerated and ignored (forward
// compatibility: an OMS may send fields of a later contract); an optional field set to null
// counts as absent.
func (c Command) DecodeData() (CommandData, *Error) {
	spec, ok := commandSpecs[c.Type]
	if !ok {
		return nil, Errorf(CodeUnknownType, "type: unknown command type %q", c.Type)
	}
	raw := []byte(c.Data)
	if len(raw) == 0 {
		raw = []byte("{}")
	}
	tree, perr := parseJSON(raw)
	if perr != nil {
		perr.Message = "data: " + perr.Message
		return nil, perr
	}
	if tree == nil {
		tree = map[string]any{}
	}
	clean, ferr := spec.rule.validate(tree, "data", true)
	if ferr != nil {
		return nil, ferr.invalid()
	}
	b, err := json.Marshal(clean)
	if err != nil {
		return nil, Errorf(CodeInternal, "data: %v", err)
	}
	d, err := spec.decode(b)
	if err != nil {
		return nil, Errorf(CodeInvalid, "data: %v", err)
	}
	return d, nil
}

// DecodeCommand is ParseCommand followed by DecodeData: the envelope and its typed data, or the
// first error. The intake that de-duplicates by id before decoding data calls the two itself.
func DecodeCommand(topicType string, payload []byte) (Command, CommandData, *Error) {
	c, err := ParseCommand(topicType, payload)
	if err != nil {
		return c, nil, err
	}
	d, err := c.DecodeData()
	if err != nil {
		return c, nil, err
	}
	return c, d, nil
}

// Envelope rules: the Go side of envelope.command.json and envelope.event.json.
var (
	commandIDRule   = ident("The command's unique id (a UUID or ULID is fine): the station's de-duplication key.")
	commandTypeRule = str(1, 64, "The command type, also the topic's last level.").match(reTypeName, "must be a command type name (pack.order)")
	commandTimeRule = str(0, 64, "When the OMS sent the command, RFC 3339 (informational).").match(nil, "")
	anyValue        = rule{kind: kAny, nullable: true}
	anyObject       = mapOf(str(0, 0, "").match(nil, ""), anyValue, "")

	eventEnvelope = eventEnvelopeRule("", withDoc(anyObject, "The event's data; its shape depends on type."))
)

// eventEnvelopeRule is the rule of an event envelope whose type is typ (any when "") and whose
// data follows data.
func eventEnvelopeRule(typ string, data rule) rule {
	typeRule := str(1, 64, "The event type, also the topic's last level.").match(reTypeName, "must be an event type name (pack.completed)")
	if typ != "" {
		typeRule = typeRule.is(typ)
	}
	return object("",
		req("v", integer(1, 1, "Envelope version: 1.").is(int64(Version))),
		req("id", str(26, 26, "ULID, unique for ever: the OMS's idempotency key. A re-sent event keeps its id.").match(reULID, "must be a ULID (26 characters of Crockford base 32)")),
		req("seq", integer(1, MaxSafeInt, "Starts at 1 and grows by exactly 1 per event of the station, across restarts; a re-sent event keeps its seq.")),
		req("type", typeRule),
		req("site", str(1, 32, "The config's site.").match(reSite, "must be 1 to 32 letters, digits, '_' or '-'")),
		req("station", str(1, 64, "The config's station.").match(reStation, "must be 1 to 64 letters, digits, '_' or '-'")),
		req("time", str(24, 24, "When the event happened: RFC 3339 in UTC with exactly three fractional digits.").match(reWireTime, "must be RFC 3339 UTC with milliseconds (2026-11-22T15:37:19.123Z)")),
		req("data", data),
	)
}

// Status rules: the Go side of status.json.
var (
	birthRule = object("Birth: published retained on P/status once the station is connected and subscribed to P/cmd/+.",
		req("online", boolean("true in a birth.").is(true)),
		req("version", str(1, 64, "stationd version.")),
		req("started_at", str(24, 24, "When the daemon started.").match(reWireTime, "must be RFC 3339 UTC with milliseconds (2026-11-22T15:37:19.123Z)")),
		req("roles", arrayOf(0, 4, enumOf("A role.", RolePack, RolePick, RolePut, RoleReturns), "The config's roles.").with(uniqueItems())),
		req("devices", arrayOf(0, 256, object("A configured device.",
			req("name", deviceRule),
			req("kind", enumOf("Device kind.", KindScanner, KindScale, KindPrinter, KindLights)),
			req("driver", str(1, 64, "Driver name (serial, mt-sics, zpl, sim, ...).").match(reName, "must be letters, digits, '_' or '-'")),
			req("state", enumOf("ok, disconnected, fault, or starting when not opened yet.", DeviceOK, DeviceDisconnected, DeviceFault, DeviceStarting)),
		), "Every configured device and its state.")),
		opt("last_seq", integer(1, MaxSafeInt, "Extension: seq of the newest event stored when the birth was published; absent before the first event.")),
		opt("alarms", arrayOf(1, 64, object("An active alarm.",
			req("code", withDoc(reasonRule, "Alarm code (outbox_full); an OMS must accept others.")),
			req("message", str(1, 1024, "What is wrong and what to do.")),
			req("since", str(24, 24, "When the alarm was raised.").match(reWireTime, "must be RFC 3339 UTC with milliseconds (2026-11-22T15:37:19.123Z)")),
		), "Extension: conditions stopping normal work right now (outbox_full).")),
	)
	offlineRule = object("Offline: the MQTT will (lost) or the last message of a clean shutdown (shutdown).",
		req("online", boolean("false when offline.").is(false)),
		req("reason", enumOf("lost or shutdown.", OfflineLost, OfflineShutdown)),
	)
)

// envelopeField decodes env[name] and checks it against r; a missing or null field is required.
func envelopeField(env map[string]json.RawMessage, name string, r *rule) (any, *fieldError) {
	raw, ok := env[name]
	if !ok || isNull(raw) {
		return nil, &fieldError{path: name, msg: "required"}
	}
	v, err := decodeTree(raw)
	if err != nil {
		return nil, &fieldError{path: name, msg: "is not valid JSON"}
	}
	return r.validate(v, name, true)
}

// isNil reports whether v is nil or a nil pointer, on which a value method would panic.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	r := reflect.ValueOf(v)
	return r.Kind() == reflect.Pointer && r.IsNil()
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// parseJSON decodes b, one JSON value, into a tree with json.Number for numbers. Errors are
// bad_json *Errors saying where.
func parseJSON(b []byte) (any, *Error) {
	if err := checkJSONText(b); err != nil {
		return nil, err
	}
	v, err := decodeTree(b)
	if err != nil {
		return nil, jsonError(err, b)
	}
	return v, nil
}

func checkJSONText(b []byte) *Error {
	if len(bytes.TrimSpace(b)) == 0 {
		return Errorf(CodeBadJSON, "payload: empty")
	}
	if !utf8.Valid(b) {
		i := 0
		for i < len(b) {
			r, n := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			i += n
		}
		return Errorf(CodeBadJSON, "payload: invalid UTF-8 at byte %d", i)
	}
	return nil
}

func decodeTree(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(b[dec.InputOffset():])) != 0 {
		return nil, trailingDataError(dec.InputOffset())
	}
	return v, nil
}

// trailingDataError is a JSON value followed by more than white space; its value is the offset.
type trailingDataError int64

func (e trailingDataError) Error() string {
	return fmt.Sprintf("data after the JSON value at byte %d", int64(e))
}

// jsonError turns an encoding/json error into a bad_json *Error saying what and where.
func jsonError(err error, b []byte) *Error {
	var syn *json.SyntaxError
	var trailing trailingDataError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return Errorf(CodeBadJSON, "payload: truncated JSON (unexpected end after %d bytes)", len(b))
	case errors.As(err, &trailing):
		return Errorf(CodeBadJSON, "payload: %v", trailing)
	case errors.As(err, &syn):
		if syn.Error() == "unexpected end of JSON input" {
			return Errorf(CodeBadJSON, "payload: truncated JSON (unexpected end after %d bytes)", len(b))
		}
		return Errorf(CodeBadJSON, "payload: %v (byte %d)", syn, syn.Offset)
	}
	return Errorf(CodeBadJSON, "payload: %v", err)
}

// peekHeader scans the top level of the JSON object in b, token by token, for the first "id"
// and "type" strings, skipping other values; it stops at the end of b or at the first syntax
// error. Work and memory are bounded by len(b). Values that break the id or type rules are not
// returned.
func peekHeader(b []byte) (id, typ string) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return "", ""
	}
	for id == "" || typ == "" {
		key, err := dec.Token()
		if err != nil {
			return id, typ
		}
		k, ok := key.(string)
		if !ok {
			return id, typ
		}
		tok, err := dec.Token()
		if err != nil {
			return id, typ
		}
		if d, ok := tok.(json.Delim); ok {
			if !skipNested(dec, d) {
				return id, typ
			}
			continue
		}
		s, ok := tok.(string)
		if !ok {
			continue
		}
		switch {
		case k == "id" && id == "" && commandIDRule.checkString(s, "id") == nil:
			id = s
		case k == "type" && typ == "" && commandTypeRule.checkString(s, "type") == nil:
			typ = s
		}
	}
	return id, typ
}

// skipNested reads tokens up to the end of the array or object opened by d.
func skipNested(dec *json.Decoder, d json.Delim) bool {
	if d != '{' && d != '[' {
		return false
	}
	for depth := 1; depth > 0; {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		if d, ok := tok.(json.Delim); ok {
			if d == '{' || d == '[' {
				depth++
			} else {
				depth--
			}
		}
	}
	return true
}

// remarshal encodes a clean tree and decodes it into v.
func remarshal(tree any, v any) error {
	b, err := json.Marshal(tree)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
