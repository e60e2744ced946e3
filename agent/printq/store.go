package printq

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/stationd/stationd/agent/outbox"
)

// The queue's buckets in the agent's store.
var (
	bucketJobs = []byte("printq.jobs") // seq (8 bytes, big-endian) -> record JSON; seq order is FIFO
	bucketZPL  = []byte("printq.zpl")  // seq -> the job's ZPL (one copy), apart so scans stay small
	bucketMeta = []byte("printq.meta") // "seq" -> last seq assigned
	bucketDone = []byte("printq.done") // job id -> doneRecord JSON, for Lookup, kept RecordTTL
	bucketCmds = []byte("printq.cmds") // label.print command id -> cmdRecord JSON, kept RecordTTL
	keySeq     = []byte("seq")
)

// record is a job's state, without its ZPL.
type record struct {
	ID       string    `json:"id"`
	Printer  string    `json:"printer"`
	Origin   string    `json:"origin,omitempty"`
	Copies   int       `json:"copies"`
	State    State     `json:"state"`
	Reason   string    `json:"reason,omitempty"`   // last failure
	Reported bool      `json:"reported,omitempty"` // label.failed emitted for this episode
	Attempts int       `json:"attempts,omitempty"` // Print calls in this episode
	Queued   time.Time `json:"queued"`
	Since    time.Time `json:"since"` // last state change
}

// doneRecord is what remains of a printed or dropped job.
type doneRecord struct {
	Printer string    `json:"printer"`
	Origin  string    `json:"origin,omitempty"`
	State   State     `json:"state"`
	Reason  string    `json:"reason,omitempty"`
	At      time.Time `json:"at"`
}

// cmdRecord remembers the job a label.print created.
type cmdRecord struct {
	JobID string    `json:"job_id"`
	At    time.Time `json:"at"`
}

// errStop ends a forEachJob early without error.
var errStop = errors.New("stop")

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(make([]byte, 0, 8), seq) }

// nextSeq assigns the next job seq.
func nextSeq(tx *outbox.Tx) (uint64, error) {
	var last uint64
	if v := tx.Get(bucketMeta, keySeq); len(v) == 8 {
		last = binary.BigEndian.Uint64(v)
	}
	seq := last + 1
	return seq, tx.Put(bucketMeta, keySeq, seqKey(seq))
}

func decodeRecord(v []byte) (*record, error) {
	r := new(record)
	if err := json.Unmarshal(v, r); err != nil {
		return nil, err
	}
	switch r.State {
	case StateQueued, StateSending, StateDelivered, StateHeld:
	default:
		return nil, fmt.Errorf("unknown state %q", r.State)
	}
	if r.ID == "" || r.Printer == "" || r.Copies < 1 {
		return nil, errors.New("id, printer or copies missing")
	}
	return r, nil
}

func decodeDone(v []byte) (doneRecord, error) {
	var d doneRecord
	err := json.Unmarshal(v, &d)
	return d, err
}

// forEachJob calls fn for every job in FIFO order until fn returns an error (errStop: nil). A
// record that cannot be decoded (a bug, or a file written by a later version) is logged and
// skipped rather than blocking its printer for ever.
func forEachJob(log *slog.Logger, tx *outbox.Tx, fn func(seq uint64, r *record) error) error {
	err := tx.ForEach(bucketJobs, func(k, v []byte) error {
		r, err := decodeRecord(v)
		if len(k) != 8 || err != nil {
			log.Error("print queue: unreadable job record skipped", "key", fmt.Sprintf("%x", k), "err", err)
			return nil
		}
		return fn(binary.BigEndian.Uint64(k), r)
	})
	if errors.Is(err, errStop) {
		return nil
	}
	return err
}

func getJob(tx *outbox.Tx, seq uint64) (*record, error) {
	v := tx.Get(bucketJobs, seqKey(seq))
	if v == nil {
		return nil, nil
	}
	r, err := decodeRecord(v)
	if err != nil {
		return nil, fmt.Errorf("printq: job record %d: %w", seq, err)
	}
	return r, nil
}

func putJob(tx *outbox.Tx, seq uint64, r *record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return tx.Put(bucketJobs, seqKey(seq), b)
}

// findJob returns the job with id.
func findJob(log *slog.Logger, tx *outbox.Tx, id string) (uint64, *record, error) {
	var seq uint64
	var rec *record
	err := forEachJob(log, tx, func(s uint64, r *record) error {
		if r.ID == id {
			seq, rec = s, r
			return errStop
		}
		return nil
	})
	if err == nil && rec == nil {
		err = fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	return seq, rec, err
}

// removeJob deletes a job and records how it ended.
func removeJob(tx *outbox.Tx, seq uint64, r *record, st State, reason string, now time.Time) error {
	if err := tx.Delete(bucketJobs, seqKey(seq)); err != nil {
		return err
	}
	if err := tx.Delete(bucketZPL, seqKey(seq)); err != nil {
		return err
	}
	b, err := json.Marshal(doneRecord{Printer: r.Printer, Origin: r.Origin, State: st, Reason: reason, At: now})
	if err != nil {
		return err
	}
	return tx.Put(bucketDone, []byte(r.ID), b)
}
