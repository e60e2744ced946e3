// Package protocol is the wire contract between a stationd station and the OMS (contract
// sections 3 to 6 and 8): MQTT topics, the event and command envelopes, the data of every
// command and event as Go types, the status messages, and the result codes. It is a pure codec
// in the manner of paho's packets package: no goroutines, no clock (times are arguments), no
// I/O, standard library only, so that the agent, the demo's OMS simulator and tests share one
// vocabulary.
//
// # Station side
//
// Events: build the data (PackCompleted, Scan, ...), then NewEvent(at, data) for the envelope;
// the outbox stamps ID (a ULID), Seq, Site and Station, checks with Event.Validate and
// publishes json.Marshal(event) on Topics.Event(event.Type). IsTelemetry tells the outbox which
// events it may drop when full; it then publishes OutboxDropped.
//
// Commands: for a message on a topic of Topics.CommandFilter, Topics.CommandType gives the
// topic's type; ParseCommand reads the envelope (too_large, bad_json, invalid, unknown_type),
// the intake de-duplicates by Command.ID, CheckRole answers role_disabled, and
// Command.DecodeData returns the typed data (PackOrder, ...) or an invalid *Error naming the
// field path. Command.Result(err) is the command.result to publish. DecodeCommand does the
// three decoding steps at once.
//
// Status: Birth.Payload and Offline.Payload give the retained P/status payloads.
//
// # Rules, schemas and their agreement
//
// Every message is described once, declaratively, in registry.go and envelope.go. The Go
// validation runs on those rules, and the JSON Schemas (draft 2020-12) in Schemas, the
// AsyncAPI 3.0 document AsyncAPI and the message reference of README.md are generated from
// them and from the test samples (go test ./protocol -update). The tests check that both sides
// give the same verdict on thousands of mutated payloads. A few rules JSON Schema cannot state
// are enforced in Go only and said in the schemas' descriptions: line, task, order and slot
// identifiers unique within their array, billable_g = max(measured_g, volumetric_g),
// outbox.dropped's from_seq <= to_seq.
//
// What the station reads (commands) is read leniently: unknown fields are ignored, so that an
// OMS may already send fields of a later contract; an optional field set to null counts as
// absent; integers may be written 2.0 or 2e0. What it writes (events, status) is strict:
// optional fields are omitted, never null, except pack.completed's volumetric_g and divisor,
// which are null when the carrier bills actual weight (contract section 8).
package protocol
