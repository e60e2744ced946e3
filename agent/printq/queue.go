package printq

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stationd/stationd/agent"
	"github.com/stationd/stationd/agent/outbox"
	"github.com/stationd/stationd/agent/ulid"
	"github.com/stationd/stationd/devices/printer"
)

// Printer is what the queue needs from an open printer; printer.Printer satisfies it. Print sends
// one job; its errors are classified with printer.Reason, printer.Retryable and printer.Sent. An
// error that is not Sent must mean that no part of the job can print: the queue sends the job
// again later.
type Printer interface {
	Print(ctx context.Context, job []byte) error
}

// StatusPrinter is a Printer that reports its state; printer.Printer satisfies it. The queue uses
// it to learn when a printer that took a job and reported a problem (printer.Sent) has printed it.
type StatusPrinter interface {
	Printer
	Status(ctx context.Context) (printer.Status, error)
}

// LabelJob is one label to print.
type LabelJob struct {
	ID      string // 1 to 128 bytes, unique; Enqueue assigns a fresh one when empty
	Printer string // device name; Deps.Default when empty
	Origin  string // "pack:<order_id>" or "cmd:<command_id>"
	ZPL     []byte // one or more complete ^XA...^XZ formats
	Copies  int    // 1 to MaxCopies; 0 means 1
}

// LabelOutcome is what happened to a job: printed (OK), or failed with the printer's Reason.
type LabelOutcome struct {
	JobID, Printer, Origin string
	OK                     bool
	Reason                 string
}

// Retrying reports whether the job of a failed outcome is kept and retried automatically: not for
// invalid (dropped) nor interrupted (dropped or held, see the package documentation).
func (o LabelOutcome) Retrying() bool {
	return !o.OK && o.Reason != printer.ReasonInvalid && o.Reason != ReasonInterrupted
}

// ReasonInterrupted is label.failed's reason for a job that was being sent when the station
// stopped: it may or may not have printed, and is not sent again by itself.
const ReasonInterrupted = "interrupted"

// Limits of a job.
const (
	// MaxCopies is label.print's largest copies (protocol/registry.go: copies 1 to 100).
	MaxCopies = 100
	// MaxJobBytes bounds a job's ZPL times its copies: it is built in memory to be sent.
	MaxJobBytes = 8 << 20
	// maxIDLen is the schema's bound on job_id (protocol ident: 1 to 128).
	maxIDLen = 128
)

// Defaults for Deps.
const (
	DefaultBackoffMin = 500 * time.Millisecond
	DefaultBackoffMax = 10 * time.Second
	DefaultStopGrace  = 2 * time.Second
	DefaultRecordTTL  = 7 * 24 * time.Hour
)

// Errors of the queue's methods.
var (
	// ErrNotFound: Reprint or Cancel named a job that is not in the queue.
	ErrNotFound = errors.New("printq: no such job in the queue")
	// ErrNotHeld: Reprint named a job that is not held (it is queued or printing already).
	ErrNotHeld = errors.New("printq: job is not held")
	// ErrSending: Cancel named a job whose bytes are going to the printer right now.
	ErrSending = errors.New("printq: job is being sent to the printer")
	// ErrDuplicateID: Enqueue was given the id of a job that exists or existed.
	ErrDuplicateID = errors.New("printq: job id already used")
	// ErrUnknownPrinter: Enqueue named a printer that is not in Deps.Printers.
	ErrUnknownPrinter = errors.New("printq: unknown printer")
	// ErrUnknownTemplate is what Deps.Render returns (wrapped) for a template it does not have.
	ErrUnknownTemplate = errors.New("unknown label template")
)

// FieldError is what Deps.Render returns for a missing or unusable template field.
type FieldError struct {
	Field string // the field's name, as in label.print's fields
	Msg   string // "is required", "must be at most 35 characters", ...
}

func (e *FieldError) Error() string { return "field " + e.Field + ": " + e.Msg }

// Deps is what a Queue is built from.
type Deps struct {
	// Store is the agent's durable store (required).
	Store agent.Store
	// Printer returns the open printer device name, or nil while it is not open (required).
	Printer func(name string) Printer
	// Printers names the configured printer devices: label.print and Enqueue refuse others.
	// Empty means only Default.
	Printers []string
	// Default is the printer of a label.print without printer and of a LabelJob without
	// Printer: pack.printer, else the only printer of the config.
	Default string
	// Render renders the station's label template name with fields for printer (whose
	// resolution it knows). Unknown template: an error wrapping ErrUnknownTemplate; a missing or
	// bad field: a *FieldError. Nil: label.print with a template is refused with not_found.
	Render func(printer, template string, fields map[string]string) ([]byte, error)
	// Notify, if set, is called with every outcome of every job (not only "pack:" ones) right
	// after it is committed, so that the station can tell the operator (light, beep, screen).
	// It must not block.
	Notify func(LabelOutcome)
	// Now is the clock of events and records; nil means time.Now.
	Now func() time.Time
	// Log receives the queue's logs; nil discards them.
	Log *slog.Logger
	// BackoffMin and BackoffMax bound the wait between attempts at a failing printer; zero means
	// DefaultBackoffMin, DefaultBackoffMax.
	BackoffMin, BackoffMax time.Duration
	// StopGrace is how long a Print in progress may go on after Run's context ends; zero means
	// DefaultStopGrace.
	StopGrace time.Duration
	// RecordTTL is how long done-job records, label.print command ids and held jobs are kept;
	// zero means DefaultRecordTTL.
	RecordTTL time.Duration
}

// Queue is the durable print queue. Its methods are safe for concurrent use.
type Queue struct {
	d   Deps
	log *slog.Logger

	kick    chan struct{} // cap 1
	out     chan LabelOutcome
	running atomic.Bool

	omu   sync.Mutex
	opend []LabelOutcome // outcomes for out, in order
	osig  chan struct{}  // cap 1: opend grew

	idmu sync.Mutex
	gen  *ulid.Generator

	cfgmu    sync.RWMutex
	printers []string
	def      string
}

// New returns a Queue. It panics if Store or Printer is nil (a wiring bug).
func New(d Deps) *Queue {
	if d.Store == nil || d.Printer == nil {
		panic("printq: New without Store or Printer")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.BackoffMin <= 0 {
		d.BackoffMin = DefaultBackoffMin
	}
	if d.BackoffMax <= 0 {
		d.BackoffMax = DefaultBackoffMax
	}
	d.BackoffMax = max(d.BackoffMax, d.BackoffMin)
	if d.StopGrace <= 0 {
		d.StopGrace = DefaultStopGrace
	}
	if d.RecordTTL <= 0 {
		d.RecordTTL = DefaultRecordTTL
	}
	q := &Queue{
		d:    d,
		log:  d.Log,
		kick: make(chan struct{}, 1),
		out:  make(chan LabelOutcome),
		osig: make(chan struct{}, 1),
		gen:  ulid.NewGenerator(nil),
	}
	q.SetPrinters(d.Printers, d.Default)
	return q
}

// SetPrinters replaces Deps.Printers and Deps.Default (on a config reload). Jobs already queued
// for a printer that is gone stay queued and fail as offline until it comes back or they are
// cancelled.
func (q *Queue) SetPrinters(names []string, def string) {
	q.cfgmu.Lock()
	q.printers = slices.Clone(names)
	q.def = def
	q.cfgmu.Unlock()
}

// resolve returns the printer a job or a label.print goes to, and whether it is configured.
func (q *Queue) resolve(name string) (string, bool) {
	q.cfgmu.RLock()
	defer q.cfgmu.RUnlock()
	if name == "" {
		name = q.def
	}
	if name == "" {
		return "", false
	}
	if len(q.printers) == 0 {
		return name, name == q.def
	}
	return name, slices.Contains(q.printers, name)
}

// known returns the configured printers, for messages.
func (q *Queue) known() string {
	q.cfgmu.RLock()
	defer q.cfgmu.RUnlock()
	if len(q.printers) == 0 {
		if q.def == "" {
			return "none"
		}
		return q.def
	}
	return strings.Join(q.printers, ", ")
}

// NewID returns a fresh job id (a ULID).
func (q *Queue) NewID() string {
	q.idmu.Lock()
	defer q.idmu.Unlock()
	u, err := q.gen.New(q.d.Now())
	if err != nil {
		// The clock reads before 1970, or the random part overflowed within one millisecond:
		// an id with time 0 and 80 fresh random bits is still unique.
		u, _ = ulid.New(time.UnixMilli(0), nil)
	}
	return u.String()
}

// Enqueue stores job in tx, the caller's transaction: the job exists if and only if tx commits.
// Call Kick after the commit. It fills in ID (when empty), Printer (Deps.Default) and Copies (1).
// A held job with the same (non-empty) Origin is replaced: the new job is its reprint. Enqueue
// may run more than once with the same tx function (agent.Store.Update): it has no effect
// outside tx.
func (q *Queue) Enqueue(tx *outbox.Tx, job LabelJob) error {
	name, ok := q.resolve(job.Printer)
	if !ok {
		if name == "" {
			return fmt.Errorf("%w: the job names no printer and the station has no default printer: set pack.printer", ErrUnknownPrinter)
		}
		return fmt.Errorf("%w %q: configured printers: %s", ErrUnknownPrinter, name, q.known())
	}
	job.Printer = name
	if job.Copies == 0 {
		job.Copies = 1
	}
	if job.Copies < 1 || job.Copies > MaxCopies {
		return fmt.Errorf("printq: job for %s: %d copies: must be 1 to %d", name, job.Copies, MaxCopies)
	}
	if len(job.ZPL) == 0 {
		return fmt.Errorf("printq: job for %s: no ZPL", name)
	}
	if len(job.ZPL)*job.Copies > MaxJobBytes {
		return fmt.Errorf("printq: job for %s: %d copies of %d bytes is over the %d bytes a job may hold", name, job.Copies, len(job.ZPL), MaxJobBytes)
	}
	if job.ID == "" {
		job.ID = q.NewID()
	}
	if len(job.ID) > maxIDLen {
		return fmt.Errorf("printq: job id %.20q...: longer than %d bytes", job.ID, maxIDLen)
	}
	if tx.Get(bucketDone, []byte(job.ID)) != nil {
		return fmt.Errorf("%w: %q", ErrDuplicateID, job.ID)
	}
	var superseded []uint64
	err := forEachJob(q.log, tx, func(seq uint64, r *record) error {
		if r.ID == job.ID {
			return fmt.Errorf("%w: %q", ErrDuplicateID, job.ID)
		}
		if job.Origin != "" && r.Origin == job.Origin && r.State == StateHeld {
			superseded = append(superseded, seq)
		}
		return nil
	})
	if err != nil {
		return err
	}
	now := q.d.Now()
	for _, seq := range superseded {
		r, err := getJob(tx, seq)
		if err != nil {
			return err
		}
		if err := removeJob(tx, seq, r, StateDropped, "superseded", now); err != nil {
			return err
		}
	}
	seq, err := nextSeq(tx)
	if err != nil {
		return err
	}
	r := &record{
		ID: job.ID, Printer: job.Printer, Origin: job.Origin, Copies: job.Copies,
		State: StateQueued, Queued: now, Since: now,
	}
	if err := putJob(tx, seq, r); err != nil {
		return err
	}
	return tx.Put(bucketZPL, seqKey(seq), job.ZPL)
}

// Kick tells the queue that jobs were committed: it looks at the queue now. It never blocks.
func (q *Queue) Kick() {
	select {
	case q.kick <- struct{}{}:
	default:
	}
}

// Outcomes returns the channel of the outcomes of jobs whose Origin starts with "pack:": the
// first failure of each episode (OK false; see LabelOutcome.Retrying) and the final print (OK
// true). Outcomes are kept in memory in order until received, and delivered while Run runs; the
// channel is never closed. After a restart, use Lookup for a job you were waiting on.
func (q *Queue) Outcomes() <-chan LabelOutcome { return q.out }

// JobStatus is a job as Lookup finds it.
type JobStatus struct {
	ID, Printer, Origin string
	State               State
	// Reason is why the job last failed (queued, delivered, held) or was dropped.
	Reason string
	// Reported says that label.failed was emitted for the current failure episode.
	Reported bool
}

// State is a job's state; see the package documentation.
type State string

// Job states. Printed and dropped jobs are done: only their record remains (Deps.RecordTTL).
const (
	StateQueued    State = "queued"
	StateSending   State = "sending"
	StateDelivered State = "delivered"
	StateHeld      State = "held"
	StatePrinted   State = "printed"
	StateDropped   State = "dropped"
)

// Lookup returns the state of job id, in the caller's transaction (View or Update), or false if
// the queue never had it or forgot it (Deps.RecordTTL).
func (q *Queue) Lookup(tx *outbox.Tx, id string) (JobStatus, bool, error) {
	var st JobStatus
	found := false
	err := forEachJob(q.log, tx, func(_ uint64, r *record) error {
		if r.ID != id {
			return nil
		}
		st = JobStatus{ID: r.ID, Printer: r.Printer, Origin: r.Origin, State: r.State, Reason: r.Reason, Reported: r.Reported}
		found = true
		return errStop
	})
	if err != nil || found {
		return st, found, err
	}
	v := tx.Get(bucketDone, []byte(id))
	if v == nil {
		return st, false, nil
	}
	d, err := decodeDone(v)
	if err != nil {
		return st, false, fmt.Errorf("printq: done record %q: %w", id, err)
	}
	return JobStatus{ID: id, Printer: d.Printer, Origin: d.Origin, State: d.State, Reason: d.Reason}, true, nil
}

// Reprint sends a held job to its printer again (the operator asked for it): it goes back to
// its place in its printer's FIFO, as a new failure episode.
func (q *Queue) Reprint(ctx context.Context, id string) error {
	err := q.d.Store.Update(ctx, func(tx *outbox.Tx) error {
		seq, r, err := findJob(q.log, tx, id)
		if err != nil {
			return err
		}
		if r.State != StateHeld {
			return fmt.Errorf("%w: %q is %s", ErrNotHeld, id, r.State)
		}
		r.State, r.Reason, r.Reported, r.Attempts, r.Since = StateQueued, "", false, 0, q.d.Now()
		return putJob(tx, seq, r)
	})
	if err != nil {
		return err
	}
	q.log.Info("label reprint requested", "job_id", id)
	q.Kick()
	return nil
}

// Cancel removes a job that is queued, delivered or held (the order was cancelled, or the
// operator says a held label did come out). It emits no event: the caller's own events say why.
// A job whose bytes are going to the printer right now gives ErrSending.
func (q *Queue) Cancel(ctx context.Context, id string) error {
	err := q.d.Store.Update(ctx, func(tx *outbox.Tx) error {
		seq, r, err := findJob(q.log, tx, id)
		if err != nil {
			return err
		}
		if r.State == StateSending {
			return fmt.Errorf("%w: %q", ErrSending, id)
		}
		return removeJob(tx, seq, r, StateDropped, "cancelled", q.d.Now())
	})
	if err == nil {
		q.log.Info("label job cancelled", "job_id", id)
	}
	return err
}

// deliver hands o to Notify and, for "pack:" origins, to Outcomes.
func (q *Queue) deliver(o LabelOutcome) {
	if q.d.Notify != nil {
		q.d.Notify(o)
	}
	if !strings.HasPrefix(o.Origin, originPack) {
		return
	}
	q.omu.Lock()
	q.opend = append(q.opend, o)
	q.omu.Unlock()
	select {
	case q.osig <- struct{}{}:
	default:
	}
}

// pump moves outcomes to the Outcomes channel until ctx ends.
func (q *Queue) pump(ctx context.Context) {
	for {
		q.omu.Lock()
		var o LabelOutcome
		have := len(q.opend) > 0
		if have {
			o = q.opend[0]
		}
		q.omu.Unlock()
		if !have {
			select {
			case <-ctx.Done():
				return
			case <-q.osig:
			}
			continue
		}
		select {
		case <-ctx.Done():
			return
		case q.out <- o:
			q.omu.Lock()
			q.opend[0] = LabelOutcome{}
			q.opend = q.opend[1:]
			q.omu.Unlock()
		}
	}
}

// Origin prefixes.
const (
	originPack = "pack:"
	originCmd  = "cmd:"
)

// orderID returns the order of a "pack:" origin, for label events' order_id.
func orderID(origin string) string {
	id, _ := strings.CutPrefix(origin, originPack)
	if id == origin {
		return ""
	}
	return id
}

// copies returns the bytes sent for a job: its ZPL n times.
func copies(zpl []byte, n int) []byte {
	if n <= 1 {
		return zpl
	}
	return bytes.Repeat(zpl, n)
}
