package outbox

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/stationd/stationd/agent/ulid"
)

// Event is one event to append. Its envelope is built by the Store (contract section 4).
type Event struct {
	// Type is the event type, also the last level of its topic P/evt/<type>: 1 to 64 characters
	// of A-Z a-z 0-9 . _ -.
	Type string
	// Time is when the event happened; the zero Time means "now" (Options.Now). It is written
	// in UTC with exactly three fractional digits (truncated, not rounded).
	Time time.Time
	// Data is the event's data, marshalled with encoding/json (HTML characters not escaped).
	// It must encode to a JSON object; a json.RawMessage is checked and compacted; nil gives {}.
	Data any
	// Telemetry marks an event that the capacity policy may drop (scan, weight, station.kpi):
	// see the package documentation.
	Telemetry bool
}

// Record is one stored event.
type Record struct {
	Seq       uint64
	ID        string // ULID, 26 characters
	Type      string
	Telemetry bool
	// Payload is the full envelope JSON, byte for byte what is published.
	Payload []byte
}

// TypeDropped is the type of the critical event the Store appends when it drops telemetry to
// make room (see Dropped).
const TypeDropped = "outbox.dropped"

// Dropped is the data of an outbox.dropped event: the telemetry events deleted, unsent or not
// yet acknowledged, in one drop. Their seqs lie in [FromSeq, ToSeq]; the seqs in that range that
// are not among the Count dropped belong to critical events that were kept.
type Dropped struct {
	FromSeq uint64         `json:"from_seq"`
	ToSeq   uint64         `json:"to_seq"`
	Count   int            `json:"count"`
	Types   map[string]int `json:"types"` // dropped events per type
}

// timeLayout is RFC 3339 in UTC with exactly three fractional digits (contract section 4).
const timeLayout = "2006-01-02T15:04:05.000Z07:00"

// maxTypeLen bounds Event.Type (it is stored behind a one-byte length).
const maxTypeLen = 64

// validName reports whether s is 1..max characters of A-Z a-z 0-9 _ - (and '.' when dot).
func validName(s string, max int, dot bool) bool {
	if len(s) == 0 || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '-':
		case c == '.' && dot:
		default:
			return false
		}
	}
	return true
}

// prepared is an Event checked and with its data encoded, ready for a transaction.
type prepared struct {
	typ  string
	time time.Time // zero: the append time
	tele bool
	data []byte
}

func prepare(ev Event) (prepared, error) {
	if !validName(ev.Type, maxTypeLen, true) {
		return prepared{}, fmt.Errorf("outbox: event type %q: want 1 to %d characters of A-Z a-z 0-9 . _ -", ev.Type, maxTypeLen)
	}
	if ev.Type == TypeDropped {
		return prepared{}, fmt.Errorf("outbox: event type %s is the Store's own", TypeDropped)
	}
	if !ev.Time.IsZero() {
		if y := ev.Time.UTC().Year(); y < 0 || y > 9999 {
			return prepared{}, fmt.Errorf("outbox: event %s: time %v outside years 0000-9999", ev.Type, ev.Time)
		}
	}
	data, err := encodeData(ev.Data)
	if err != nil {
		return prepared{}, fmt.Errorf("outbox: event %s: %w", ev.Type, err)
	}
	return prepared{typ: ev.Type, time: ev.Time, tele: ev.Telemetry, data: data}, nil
}

func encodeData(v any) ([]byte, error) {
	var buf bytes.Buffer
	switch v := v.(type) {
	case nil:
		return []byte("{}"), nil
	case json.RawMessage:
		if err := json.Compact(&buf, v); err != nil {
			return nil, fmt.Errorf("data: %w", err)
		}
	default:
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return nil, fmt.Errorf("data: %w", err)
		}
		buf.Truncate(buf.Len() - 1) // Encode's newline
	}
	b := buf.Bytes()
	if len(b) == 0 || b[0] != '{' {
		return nil, errors.New("data: must encode to a JSON object")
	}
	if !utf8.Valid(b) { // only a json.RawMessage can bring invalid UTF-8 this far
		return nil, errors.New("data: not valid UTF-8")
	}
	return b, nil
}

// appendEnvelope appends the event envelope in the contract's field order:
// {"v":1,"id":..,"seq":..,"type":..,"site":..,"station":..,"time":..,"data":..}. Type, site and
// station are validated names and need no JSON escaping.
func appendEnvelope(b []byte, id ulid.ULID, seq uint64, typ, site, station string, t time.Time, data []byte) []byte {
	b = append(b, `{"v":1,"id":"`...)
	b = id.AppendText(b)
	b = append(b, `","seq":`...)
	b = strconv.AppendUint(b, seq, 10)
	b = append(b, `,"type":"`...)
	b = append(b, typ...)
	b = append(b, `","site":"`...)
	b = append(b, site...)
	b = append(b, `","station":"`...)
	b = append(b, station...)
	b = append(b, `","time":"`...)
	b = t.UTC().AppendFormat(b, timeLayout)
	b = append(b, `","data":`...)
	b = append(b, data...)
	return append(b, '}')
}

// Stored value layout (bucket "events", key = big-endian seq):
//
//	[0]      valueVersion
//	[1]      flags (flagTelemetry)
//	[2]      n = len(type)
//	[3:3+n]  type
//	[+26]    id, ULID text
//	[rest]   payload (envelope JSON)
//
// Type and id repeat what the payload holds so that Pending and the capacity policy need not
// parse JSON.
const (
	valueVersion  = 1
	flagTelemetry = 1 << 0
	valueHeader   = 3 + ulid.EncodedLen // plus len(type)
)

func encodeValue(typ string, id ulid.ULID, tele bool, payload []byte) []byte {
	v := make([]byte, 0, valueHeader+len(typ)+len(payload))
	var flags byte
	if tele {
		flags |= flagTelemetry
	}
	v = append(v, valueVersion, flags, byte(len(typ)))
	v = append(v, typ...)
	v = id.AppendText(v)
	return append(v, payload...)
}

// valueView is a stored value taken apart without copying: its slices alias bbolt memory and are
// valid only inside the transaction.
type valueView struct {
	tele    bool
	typ     []byte
	id      []byte
	payload []byte
}

var errCorrupt = errors.New("corrupt stored event")

func viewValue(v []byte) (valueView, error) {
	if len(v) < valueHeader || v[0] != valueVersion {
		return valueView{}, errCorrupt
	}
	n := int(v[2])
	if len(v) < valueHeader+n {
		return valueView{}, errCorrupt
	}
	return valueView{
		tele:    v[1]&flagTelemetry != 0,
		typ:     v[3 : 3+n],
		id:      v[3+n : 3+n+ulid.EncodedLen],
		payload: v[3+n+ulid.EncodedLen:],
	}, nil
}

// record copies a stored value out of the transaction.
func (vv valueView) record(seq uint64) Record {
	return Record{
		Seq:       seq,
		ID:        string(vv.id),
		Type:      string(vv.typ),
		Telemetry: vv.tele,
		Payload:   bytes.Clone(vv.payload),
	}
}

func seqKey(seq uint64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), seq)
}

func keySeq(k []byte) (uint64, bool) {
	if len(k) != 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(k), true
}
