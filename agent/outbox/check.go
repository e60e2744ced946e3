package outbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/stationd/stationd/agent/ulid"
)

// maxCheckErrors bounds the problems Check reports.
const maxCheckErrors = 20

// Check verifies the file and returns every problem found (up to 20), joined: bbolt's page-level
// consistency; every stored event, an intact envelope whose bytes, seq, id and type agree with its
// key and stored header; the telemetry index; and the bookkeeping, that is the event and byte
// totals and LastSeq = Events + Acked + TelemetryDropped (every seq ever assigned is stored,
// acknowledged, or documented by an outbox.dropped event). It reads the whole file in one read
// transaction: run it at start-up or in tests, not on every commit.
func (s *Store) Check() error {
	var errs []error
	report := func(format string, args ...any) bool {
		errs = append(errs, fmt.Errorf(format, args...))
		return len(errs) < maxCheckErrors
	}
	err := s.View(func(tx *Tx) error {
		for err := range tx.btx.Check() {
			if !report("bbolt: %w", err) {
				return nil
			}
		}
		m, err := readMeta(tx.btx.Bucket(bucketMeta))
		if err != nil {
			report("%w", err)
			return nil
		}
		var got meta
		var prev uint64
		teleIdx := tx.btx.Bucket(bucketTele)
		err = tx.btx.Bucket(bucketEvents).ForEach(func(k, v []byte) error {
			seq, ok := keySeq(k)
			if !ok {
				if !report("event key %x: not 8 bytes", k) {
					return errStop
				}
				return nil
			}
			if seq <= prev {
				report("event seq %d after %d", seq, prev)
			}
			prev = seq
			vv, err := viewValue(v)
			if err != nil {
				if !report("event seq %d: %w", seq, err) {
					return errStop
				}
				return nil
			}
			if err := checkEnvelope(seq, vv); err != nil {
				if !report("event seq %d: %w", seq, err) {
					return errStop
				}
			}
			if vv.tele != (teleIdx.Get(k) != nil) {
				if !report("event seq %d: telemetry %v but index says %v", seq, vv.tele, !vv.tele) {
					return errStop
				}
			}
			n := int64(len(vv.payload))
			got.count++
			got.bytes += n
			if vv.tele {
				got.teleCount++
				got.teleBytes += n
			}
			return nil
		})
		if err == errStop {
			return nil
		}
		if err != nil {
			return err
		}
		err = teleIdx.ForEach(func(k, _ []byte) error {
			if tx.btx.Bucket(bucketEvents).Get(k) == nil && !report("telemetry index key %x: no such event", k) {
				return errStop
			}
			return nil
		})
		if err != nil && err != errStop {
			return err
		}
		if got.count != m.count || got.bytes != m.bytes || got.teleCount != m.teleCount || got.teleBytes != m.teleBytes {
			report("totals: stored %d events, %d bytes (telemetry %d, %d bytes); meta says %d, %d (%d, %d)",
				got.count, got.bytes, got.teleCount, got.teleBytes, m.count, m.bytes, m.teleCount, m.teleBytes)
		}
		if prev > m.lastSeq {
			report("stored seq %d beyond last seq assigned %d", prev, m.lastSeq)
		}
		if m.lastSeq != m.count+m.acked+m.dropped {
			report("last seq %d != %d stored + %d acknowledged + %d dropped: seqs lost", m.lastSeq, m.count, m.acked, m.dropped)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		return fmt.Errorf("outbox: %s: check failed: %w", s.path, errors.Join(errs...))
	}
	return nil
}

var errStop = errors.New("stop")

// envelope is the JSON form of an event, for Check.
type envelope struct {
	V       int             `json:"v"`
	ID      string          `json:"id"`
	Seq     uint64          `json:"seq"`
	Type    string          `json:"type"`
	Site    string          `json:"site"`
	Station string          `json:"station"`
	Time    string          `json:"time"`
	Data    json.RawMessage `json:"data"`
}

// checkEnvelope verifies that a stored payload is exactly the envelope the Store builds for its
// own fields, and agrees with the stored header and key.
func checkEnvelope(seq uint64, vv valueView) error {
	var e envelope
	dec := json.NewDecoder(bytes.NewReader(vv.payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return fmt.Errorf("payload: %w", err)
	}
	if e.Seq != seq || e.ID != string(vv.id) || e.Type != string(vv.typ) {
		return fmt.Errorf("payload seq %d id %s type %s, stored under seq %d id %s type %s", e.Seq, e.ID, e.Type, seq, vv.id, vv.typ)
	}
	id, err := ulid.Parse(e.ID)
	if err != nil {
		return err
	}
	t, err := time.Parse(timeLayout, e.Time)
	if err != nil || t.Location() != time.UTC {
		return fmt.Errorf("time %q: not RFC 3339 UTC", e.Time)
	}
	want := appendEnvelope(nil, id, seq, e.Type, e.Site, e.Station, t, e.Data)
	if e.V != 1 || !validName(e.Site, 32, false) || !validName(e.Station, 64, false) || !bytes.Equal(want, vv.payload) {
		return fmt.Errorf("payload is not a canonical envelope: %s", vv.payload)
	}
	return nil
}
