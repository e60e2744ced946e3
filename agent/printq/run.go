package printq

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/stationd/stationd/agent/outbox"
	"github.com/stationd/stationd/devices/printer"
	"github.com/stationd/stationd/protocol"
)

// purgeEvery is how often records older than Deps.RecordTTL are removed.
const purgeEvery = 6 * time.Hour

// openGrace is how long after Run starts a printer that is not open yet is waited for without
// reporting it offline: the station opens its devices while its workflows start, and a job
// left from the last run should not fail only because its printer opened a moment after.
const openGrace = 5 * time.Second

// ErrRunning is returned by Run while another Run of the same Queue is running.
var ErrRunning = errors.New("printq: Run is already running")

// Run prints the queued jobs until ctx ends: first it reports the jobs a previous run left in
// state sending (see the package documentation), then it runs one goroutine per printer that has
// jobs, and the delivery of Outcomes. It returns after all of them have ended: nil when ctx
// ended, an error if the store cannot be read at start (the caller may run it again).
func (q *Queue) Run(ctx context.Context) error {
	if !q.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer q.running.Store(false)
	if err := q.recoverInterrupted(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	q.purge(ctx)

	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { q.pump(ctx) })

	workers := map[string]chan struct{}{}
	started := time.Now()
	purge := time.NewTicker(purgeEvery)
	defer purge.Stop()
	for {
		names, err := q.printersWithJobs()
		if err != nil {
			q.log.Error("print queue: read the queue: "+err.Error(), "err", err)
		}
		for _, name := range names {
			if workers[name] != nil {
				continue
			}
			w := &worker{q: q, name: name, kick: make(chan struct{}, 1), started: started}
			workers[name] = w.kick
			wg.Go(func() { w.run(ctx) })
		}
		for _, c := range workers {
			select {
			case c <- struct{}{}:
			default:
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-q.kick:
		case <-purge.C:
			q.purge(ctx)
		}
	}
}

// printersWithJobs returns the printers that have jobs, held ones included.
func (q *Queue) printersWithJobs() ([]string, error) {
	seen := map[string]bool{}
	var names []string
	err := q.d.Store.View(func(tx *outbox.Tx) error {
		clear(seen)
		names = names[:0]
		return forEachJob(q.log, tx, func(_ uint64, r *record) error {
			if !seen[r.Printer] {
				seen[r.Printer] = true
				names = append(names, r.Printer)
			}
			return nil
		})
	})
	return names, err
}

// recoverInterrupted reports the jobs left in state sending: label.failed "interrupted", then
// dropped (label.print jobs) or held (the others).
func (q *Queue) recoverInterrupted(ctx context.Context) error {
	var outs []LabelOutcome
	err := q.d.Store.Update(ctx, func(tx *outbox.Tx) error {
		outs = outs[:0]
		type found struct {
			seq uint64
			r   *record
		}
		var list []found
		if err := forEachJob(q.log, tx, func(seq uint64, r *record) error {
			if r.State == StateSending {
				list = append(list, found{seq, r})
			}
			return nil
		}); err != nil {
			return err
		}
		now := q.d.Now()
		for _, f := range list {
			if err := q.unknownFate(tx, f.seq, f.r, now); err != nil {
				return err
			}
			outs = append(outs, LabelOutcome{JobID: f.r.ID, Printer: f.r.Printer, Origin: f.r.Origin, Reason: ReasonInterrupted})
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, o := range outs {
		q.log.Warn("label job interrupted while it was being sent: it may or may not have printed, and is not printed again unless asked",
			"printer", o.Printer, "job_id", o.JobID, "origin", o.Origin)
		q.deliver(o)
	}
	return nil
}

// unknownFate handles a job that may or may not have printed: label.failed "interrupted", then
// a label.print job is dropped (the OMS decides) and any other is held for the operator.
func (q *Queue) unknownFate(tx *outbox.Tx, seq uint64, r *record, now time.Time) error {
	if _, err := tx.Append(failedEvent(r, ReasonInterrupted, now)); err != nil {
		return err
	}
	if strings.HasPrefix(r.Origin, originCmd) {
		return removeJob(tx, seq, r, StateDropped, ReasonInterrupted, now)
	}
	r.State, r.Reason, r.Reported, r.Since = StateHeld, ReasonInterrupted, true, now
	return putJob(tx, seq, r)
}

func failedEvent(r *record, reason string, now time.Time) outbox.Event {
	return outbox.Event{Type: protocol.EventLabelFailed, Time: now, Data: protocol.LabelFailed{
		Printer: r.Printer, JobID: r.ID, Reason: reason, OrderID: orderID(r.Origin),
	}}
}

func printedEvent(r *record, now time.Time) outbox.Event {
	return outbox.Event{Type: protocol.EventLabelPrinted, Time: now, Data: protocol.LabelPrinted{
		Printer: r.Printer, JobID: r.ID, OrderID: orderID(r.Origin),
	}}
}

// purge forgets done records and label.print command ids older than RecordTTL, and drops held
// jobs nobody resolved in that time.
func (q *Queue) purge(ctx context.Context) {
	var dropped []string
	err := q.d.Store.Update(ctx, func(tx *outbox.Tx) error {
		dropped = dropped[:0]
		now := q.d.Now()
		cutoff := now.Add(-q.d.RecordTTL)
		for _, b := range [][]byte{bucketDone, bucketCmds} {
			var old [][]byte
			if err := tx.ForEach(b, func(k, v []byte) error {
				var at struct {
					At time.Time `json:"at"`
				}
				if json.Unmarshal(v, &at) != nil || at.At.Before(cutoff) {
					old = append(old, append([]byte(nil), k...))
				}
				return nil
			}); err != nil {
				return err
			}
			for _, k := range old {
				if err := tx.Delete(b, k); err != nil {
					return err
				}
			}
		}
		type held struct {
			seq uint64
			r   *record
		}
		var stale []held
		if err := forEachJob(q.log, tx, func(seq uint64, r *record) error {
			if r.State == StateHeld && r.Since.Before(cutoff) {
				stale = append(stale, held{seq, r})
			}
			return nil
		}); err != nil {
			return err
		}
		for _, h := range stale {
			if err := removeJob(tx, h.seq, h.r, StateDropped, "expired", now); err != nil {
				return err
			}
			dropped = append(dropped, h.r.ID)
		}
		return nil
	})
	if err != nil {
		if ctx.Err() == nil {
			q.log.Warn("print queue: purge old records: "+err.Error(), "err", err)
		}
		return
	}
	for _, id := range dropped {
		q.log.Warn("held label job dropped: nobody asked for a reprint", "job_id", id, "after", q.d.RecordTTL)
	}
}

// worker prints the jobs of one printer, in FIFO order.
type worker struct {
	q       *Queue
	name    string
	kick    chan struct{}
	started time.Time     // when Run started
	delay   time.Duration // current backoff; 0 after progress
}

// step results.
type stepResult int

const (
	stepIdle     stepResult = iota // no job to print: wait for a kick
	stepProgress                   // a job moved on: look again now
	stepRetry                      // the printer failed: wait the backoff
)

func (w *worker) run(ctx context.Context) {
	for ctx.Err() == nil {
		switch w.step(ctx) {
		case stepProgress:
			w.delay = 0
		case stepIdle:
			w.delay = 0
			select {
			case <-ctx.Done():
			case <-w.kick:
			}
		case stepRetry:
			w.backoff(ctx)
		}
	}
}

// backoff waits the next backoff delay or until ctx ends. A kick does not cut it short: the
// printer's problem is not fixed by a new job.
func (w *worker) backoff(ctx context.Context) {
	d := &w.q.d
	if w.delay == 0 {
		w.delay = d.BackoffMin
	} else {
		w.delay = min(2*w.delay, d.BackoffMax)
	}
	t := time.NewTimer(w.delay)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// step looks at the printer's first job and moves it on by one state.
func (w *worker) step(ctx context.Context) stepResult {
	var seq uint64
	var rec *record
	err := w.q.d.Store.View(func(tx *outbox.Tx) error {
		rec = nil
		return forEachJob(w.q.log, tx, func(s uint64, r *record) error {
			if r.Printer == w.name && (r.State == StateQueued || r.State == StateDelivered) {
				seq, rec = s, r
				return errStop
			}
			return nil
		})
	})
	switch {
	case err != nil:
		if ctx.Err() == nil {
			w.q.log.Error("print queue: read the queue: "+err.Error(), "printer", w.name, "err", err)
		}
		return stepRetry
	case rec == nil:
		return stepIdle
	case rec.State == StateDelivered:
		return w.confirm(ctx, seq, rec)
	}
	return w.send(ctx, seq, rec)
}

// send prints a queued job.
func (w *worker) send(ctx context.Context, seq uint64, rec *record) stepResult {
	q := w.q
	dev := q.d.Printer(w.name)
	if dev == nil {
		if time.Since(w.started) < openGrace {
			return stepRetry
		}
		return w.failed(ctx, seq, rec, &printer.Error{
			Device: w.name, Reason: printer.ReasonOffline,
			Detail: "the printer is not open: see its device.status, check its address, cable and power",
		}, StateQueued)
	}

	// Mark it sending, durably, before a byte goes out: after a crash from here on, the job is
	// reported interrupted and never sent again by itself.
	var zpl []byte
	err := q.d.Store.Update(ctx, func(tx *outbox.Tx) error {
		r, err := getJob(tx, seq)
		if err != nil {
			return err
		}
		if r == nil || r.State != StateQueued {
			return errGone
		}
		zpl = tx.Get(bucketZPL, seqKey(seq))
		if len(zpl) == 0 {
			return errNoZPL
		}
		r.State, r.Since = StateSending, q.d.Now()
		r.Attempts++
		*rec = *r
		return putJob(tx, seq, r)
	})
	switch {
	case errors.Is(err, errGone):
		return stepProgress // cancelled meanwhile
	case errors.Is(err, errNoZPL):
		return w.drop(ctx, seq, rec, printer.ReasonInvalid, "its ZPL is missing from the store")
	case err != nil:
		if ctx.Err() == nil {
			q.log.Error("print queue: mark job sending: "+err.Error(), "printer", w.name, "job_id", rec.ID, "err", err)
		}
		return stepRetry
	}

	perr := w.print(ctx, dev, copies(zpl, rec.Copies))
	switch {
	case perr == nil:
		return w.printed(ctx, seq, rec)
	case !printer.Retryable(perr):
		q.log.Error("label refused by the printer: the job is dropped; fix the ZPL or template and print again",
			"printer", w.name, "job_id", rec.ID, "origin", rec.Origin, "err", perr)
		return w.drop(ctx, seq, rec, reasonOf(perr), perr.Error())
	case printer.Sent(perr):
		return w.failed(ctx, seq, rec, perr, StateDelivered)
	case ctx.Err() != nil:
		// Stopping: Print was cut short, and the job did not reach the printer. Queue it again
		// without reporting a failure that is only the shutdown.
		w.commit(ctx, seq, func(tx *outbox.Tx, r *record) (*outbox.Event, error) {
			r.State, r.Since = StateQueued, q.d.Now()
			return nil, putJob(tx, seq, r)
		})
		return stepRetry
	}
	return w.failed(ctx, seq, rec, perr, StateQueued)
}

var (
	errGone  = errors.New("job gone")
	errNoZPL = errors.New("job without ZPL")
)

// print calls Print with a context that outlives ctx by StopGrace: a job being sent when the
// station stops gets the chance to finish.
func (w *worker) print(ctx context.Context, dev Printer, job []byte) error {
	pctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	grace := w.q.d.StopGrace
	stop := context.AfterFunc(ctx, func() {
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-t.C:
			cancel()
		case <-pctx.Done():
		}
	})
	defer stop()
	return dev.Print(pctx, job)
}

// confirm waits for a printer that holds a delivered job to print it.
func (w *worker) confirm(ctx context.Context, seq uint64, rec *record) stepResult {
	q := w.q
	dev := q.d.Printer(w.name)
	if dev == nil {
		if time.Since(w.started) < openGrace {
			return stepRetry
		}
		return w.failed(ctx, seq, rec, &printer.Error{
			Device: w.name, Reason: printer.ReasonOffline,
			Detail: "the printer is not open: see its device.status",
		}, StateDelivered)
	}
	sp, ok := dev.(StatusPrinter)
	if !ok {
		// Nothing can tell whether it printed.
		var out LabelOutcome
		err := w.commit(ctx, seq, func(tx *outbox.Tx, r *record) (*outbox.Event, error) {
			out = LabelOutcome{JobID: r.ID, Printer: r.Printer, Origin: r.Origin, Reason: ReasonInterrupted}
			return nil, q.unknownFate(tx, seq, r, q.d.Now())
		})
		if err == nil {
			q.log.Warn("the printer took the label but cannot say whether it printed it: not printed again unless asked",
				"printer", w.name, "job_id", rec.ID, "origin", rec.Origin)
			q.deliver(out)
		}
		return stepProgress
	}
	st, err := sp.Status(ctx)
	if err == nil {
		err = st.Err()
	}
	switch {
	case ctx.Err() != nil:
		return stepRetry
	case err != nil:
		return w.failed(ctx, seq, rec, err, StateDelivered)
	case st.FormatsInBuffer > 0 || st.LabelsRemaining > 0:
		return stepRetry // printing what it holds
	}
	return w.printed(ctx, seq, rec)
}

// printed removes a job that printed, with label.printed.
func (w *worker) printed(ctx context.Context, seq uint64, rec *record) stepResult {
	q := w.q
	var out LabelOutcome
	var after bool
	err := w.commit(ctx, seq, func(tx *outbox.Tx, r *record) (*outbox.Event, error) {
		now := q.d.Now()
		out = LabelOutcome{JobID: r.ID, Printer: r.Printer, Origin: r.Origin, OK: true}
		after = r.Reported
		ev := printedEvent(r, now)
		return &ev, removeJob(tx, seq, r, StatePrinted, "", now)
	})
	if err != nil {
		return afterCommit(err)
	}
	if after {
		q.log.Info("label printed after the printer recovered", "printer", w.name, "job_id", rec.ID, "origin", rec.Origin)
	} else {
		q.log.Debug("label printed", "printer", w.name, "job_id", rec.ID, "origin", rec.Origin)
	}
	q.deliver(out)
	return stepProgress
}

// drop removes a job that can never print, with label.failed.
func (w *worker) drop(ctx context.Context, seq uint64, rec *record, reason, detail string) stepResult {
	q := w.q
	var out LabelOutcome
	err := w.commit(ctx, seq, func(tx *outbox.Tx, r *record) (*outbox.Event, error) {
		now := q.d.Now()
		out = LabelOutcome{JobID: r.ID, Printer: r.Printer, Origin: r.Origin, Reason: reason}
		ev := failedEvent(r, reason, now)
		return &ev, removeJob(tx, seq, r, StateDropped, reason, now)
	})
	if err != nil {
		return afterCommit(err)
	}
	q.log.Warn("label job dropped: "+detail, "printer", w.name, "job_id", rec.ID, "origin", rec.Origin, "reason", reason)
	q.deliver(out)
	return stepProgress
}

// failed records a retryable failure: the job goes to state next (queued, delivered) and the
// first failure of the episode emits label.failed.
func (w *worker) failed(ctx context.Context, seq uint64, rec *record, perr error, next State) stepResult {
	q := w.q
	reason := reasonOf(perr)
	var out LabelOutcome
	var first bool
	err := w.commit(ctx, seq, func(tx *outbox.Tx, r *record) (*outbox.Event, error) {
		now := q.d.Now()
		first = !r.Reported
		changed := r.State != next || r.Reason != reason
		r.State, r.Reason, r.Reported = next, reason, true
		if changed {
			r.Since = now
		}
		if !first {
			return nil, putJob(tx, seq, r)
		}
		out = LabelOutcome{JobID: r.ID, Printer: r.Printer, Origin: r.Origin, Reason: reason}
		ev := failedEvent(r, reason, now)
		return &ev, putJob(tx, seq, r)
	})
	if err != nil {
		return afterCommit(err)
	}
	if first {
		q.log.Warn("label not printed, kept and retried: "+perr.Error(),
			"printer", w.name, "job_id", rec.ID, "origin", rec.Origin, "reason", reason)
		q.deliver(out)
	} else {
		q.log.Debug("label still not printed: "+perr.Error(), "printer", w.name, "job_id", rec.ID, "reason", reason)
	}
	return stepRetry
}

// commit applies fn to job seq's record, appending the event it returns, in one transaction. A
// failed commit is tried again with backoff while ctx lasts; a commit under way when ctx ends is
// finished (what Print did must reach the disk if it can). It reports whether fn's change is
// committed: nil, errGone when the job has gone (Cancel), else the store's error.
func (w *worker) commit(ctx context.Context, seq uint64, fn func(tx *outbox.Tx, r *record) (*outbox.Event, error)) error {
	q := w.q
	for {
		err := q.d.Store.Update(context.WithoutCancel(ctx), func(tx *outbox.Tx) error {
			r, err := getJob(tx, seq)
			if err != nil {
				return err
			}
			if r == nil {
				return errGone
			}
			ev, err := fn(tx, r)
			if err != nil {
				return err
			}
			if ev != nil {
				_, err = tx.Append(*ev)
			}
			return err
		})
		switch {
		case err == nil || errors.Is(err, errGone):
			return err
		case errors.Is(err, outbox.ErrClosed) || ctx.Err() != nil:
			q.log.Error("print queue: job state not saved while stopping: "+err.Error(), "printer", w.name, "err", err)
			return err
		}
		q.log.Error("print queue: save job state: "+err.Error()+": retrying", "printer", w.name, "err", err)
		w.backoff(ctx)
	}
}

// afterCommit is the step result after commit failed with err.
func afterCommit(err error) stepResult {
	if errors.Is(err, errGone) {
		return stepProgress
	}
	return stepRetry
}

// reasonOf is label.failed's reason for a print error.
func reasonOf(err error) string {
	if r := printer.Reason(err); r != "" {
		return r
	}
	return printer.ReasonFault
}
