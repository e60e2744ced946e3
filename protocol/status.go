package protocol

import (
	"encoding/json"
	"fmt"
)

// Reasons of the offline status (contract section 3).
const (
	OfflineLost     = "lost"     // the MQTT will: the broker lost the connection
	OfflineShutdown = "shutdown" // a clean shutdown
)

// Alarm codes of the birth message. An OMS must accept codes it does not know.
const (
	// AlarmOutboxFull: the outbox is full of critical events the broker has not acknowledged.
	// The station drops telemetry (see outbox.dropped) and refuses new work (commands answered
	// storage_full) until the broker catches up.
	AlarmOutboxFull = "outbox_full"
)

// Birth is the retained P/status payload the station publishes once connected and subscribed
// (contract sections 3 and 4). Online is always true in a birth; Payload sets it.
type Birth struct {
	Online    bool          `json:"online"`
	Version   string        `json:"version"`
	StartedAt Time          `json:"started_at"`
	Roles     []string      `json:"roles"`
	Devices   []DeviceState `json:"devices"`

	// Extensions an OMS may use; absent when empty.

	// LastSeq is the seq of the newest event the station had stored when it published the
	// birth: the OMS knows which events are still to come and can tell a late one from a lost
	// one at the tail. 0 (absent) when the station has no event yet.
	LastSeq uint64 `json:"last_seq,omitempty"`
	// Alarms lists the conditions that stop the station from working normally right now; the
	// station publishes a new birth when the list changes.
	Alarms []Alarm `json:"alarms,omitempty"`
}

// DeviceState is one configured device in the birth message; State is DeviceOK,
// DeviceDisconnected, DeviceFault or DeviceStarting.
type DeviceState struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	Driver string `json:"driver"`
	State  string `json:"state"`
}

// Alarm is one active alarm of the birth message.
type Alarm struct {
	Code    string `json:"code"`    // an Alarm constant
	Message string `json:"message"` // for the operator and the OMS team: what is wrong and what to do
	Since   Time   `json:"since"`
}

// MarshalJSON writes nil Roles and Devices as []: the contract's fields are always arrays.
func (b Birth) MarshalJSON() ([]byte, error) {
	type plain Birth
	if b.Roles == nil {
		b.Roles = []string{}
	}
	if b.Devices == nil {
		b.Devices = []DeviceState{}
	}
	return json.Marshal(plain(b))
}

// Payload returns b as the P/status payload, with Online set, after checking it against the
// status schema.
func (b Birth) Payload() ([]byte, error) {
	b.Online = true
	return statusPayload(b)
}

// Offline is the retained P/status payload of a station that is gone: the MQTT will (reason
// lost) and the last message of a clean shutdown (reason shutdown).
type Offline struct {
	Online bool   `json:"online"` // always false
	Reason string `json:"reason"` // OfflineLost or OfflineShutdown
}

// Payload returns o as the P/status payload, with Online cleared, after checking it.
func (o Offline) Payload() ([]byte, error) {
	o.Online = false
	return statusPayload(o)
}

func statusPayload(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("protocol: status: %w", err)
	}
	if _, _, ferr := checkStatus(b); ferr != nil {
		return nil, fmt.Errorf("protocol: status: %w", ferr)
	}
	return b, nil
}

// Status is a decoded P/status payload: Birth when Online is true, Offline otherwise.
type Status struct {
	Online  bool
	Birth   Birth
	Offline Offline
}

// DecodeStatus reads and checks a P/status payload (what an OMS or a test does on receipt).
// A refused payload gives an *Error with code bad_json or invalid.
func DecodeStatus(payload []byte) (Status, error) {
	online, clean, ferr := checkStatus(payload)
	if ferr != nil {
		return Status{}, ferr
	}
	var s Status
	s.Online = online
	var err error
	if online {
		err = remarshal(clean, &s.Birth)
	} else {
		err = remarshal(clean, &s.Offline)
	}
	if err != nil {
		return Status{}, Errorf(CodeInvalid, "%v", err)
	}
	return s, nil
}

// checkStatus validates a status payload against birthRule or offlineRule, chosen by "online",
// and returns its clean tree.
func checkStatus(payload []byte) (online bool, clean any, err *Error) {
	tree, perr := parseJSON(payload)
	if perr != nil {
		return false, nil, perr
	}
	m, ok := tree.(map[string]any)
	if !ok {
		return false, nil, Errorf(CodeInvalid, "payload: must be a JSON object")
	}
	online, _ = m["online"].(bool)
	r := &offlineRule
	if online {
		r = &birthRule
	}
	clean, ferr := r.validate(tree, "", false)
	if ferr != nil {
		return false, nil, ferr.invalid()
	}
	return online, clean, nil
}
