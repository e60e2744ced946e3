package outbox

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
	"sync/atomic"

	bolt "go.etcd.io/bbolt"
)

// maxBatch bounds the requests applied in one transaction (bbolt's DB.MaxBatchSize default).
const maxBatch = 1000

// A request is one Append, Update or Ack waiting for the committer.
type request struct {
	fn    func(*Tx) error
	state atomic.Int32
	done  chan struct{} // closed once err is set
	err   error

	refused uint64 // telemetry refused during the request's last run
}

const (
	reqQueued int32 = iota
	reqTaken
	reqCancelled
)

// submit queues fn for the committer and waits for its outcome.
func (s *Store) submit(ctx context.Context, fn func(*Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r := &request{fn: fn, done: make(chan struct{})}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	s.queue = append(s.queue, r)
	s.waiting.Add(1)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}

	select {
	case <-r.done:
		return r.err
	case <-ctx.Done():
		if r.state.CompareAndSwap(reqQueued, reqCancelled) {
			s.waiting.Add(-1)
			return ctx.Err()
		}
		// Taken already: its transaction's outcome is the truth.
		<-r.done
		return r.err
	}
}

// run is the committer goroutine: it takes every request queued while the previous transaction
// was committing and applies them in one transaction. It ends after Close, once the requests
// queued before Close are committed.
func (s *Store) run() {
	defer close(s.done)
	var batch []*request
	for {
		select {
		case <-s.wake:
		case <-s.closing:
		}
		s.mu.Lock()
		batch = append(batch[:0], s.queue...)
		clear(s.queue)
		s.queue = s.queue[:0]
		closed := s.closed
		s.mu.Unlock()

		live := batch[:0]
		for _, r := range batch {
			if r.state.CompareAndSwap(reqQueued, reqTaken) {
				s.waiting.Add(-1)
				live = append(live, r)
			}
		}
		for len(live) > 0 {
			n := min(len(live), maxBatch)
			s.commit(live[:n])
			live = live[n:]
		}
		clear(batch)
		if closed {
			return
		}
		// The writers just answered are runnable now; let them queue their next request before
		// the next batch is taken, so that concurrent writers share commits instead of
		// alternating in two halves. A yield, not a wait: with nothing runnable it returns at once.
		runtime.Gosched()
	}
}

// commit applies batch in one transaction. A request whose function fails is answered with its
// error and the transaction is run again without it (DB.Batch's scheme): the requests before it
// run again from the same state, so they see what they saw, and the failed one's error stays
// true of a serial order.
func (s *Store) commit(batch []*request) {
	reqs := slices.Clone(batch)
	for len(reqs) > 0 {
		var w *writeState
		failed := -1
		err := s.db.Update(func(btx *bolt.Tx) error {
			var err error
			if w, err = s.begin(btx); err != nil {
				return err
			}
			for i, r := range reqs {
				r.refused = 0
				if err := s.call(r, &Tx{s: s, btx: btx, w: w, req: r}); err != nil {
					failed = i
					return err
				}
			}
			return w.finish()
		})
		if failed >= 0 {
			s.answer(reqs[failed], err)
			reqs = slices.Delete(reqs, failed, failed+1)
			continue
		}
		if err != nil {
			s.log.Error("outbox: commit failed", "requests", len(reqs), "err", err)
			err = fmt.Errorf("outbox: %s: commit: %w", s.path, err)
		} else {
			s.committed(w, len(reqs))
		}
		for _, r := range reqs {
			s.answer(r, err)
		}
		return
	}
}

// call runs r.fn, turning a panic into an error.
func (s *Store) call(r *request, tx *Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("outbox: update function panicked", "panic", p, "stack", string(debug.Stack()))
			err = fmt.Errorf("outbox: update function panicked: %v", p)
		}
	}()
	return r.fn(tx)
}

func (s *Store) answer(r *request, err error) {
	if r.refused > 0 {
		s.refused.Add(r.refused)
	}
	r.err = err
	close(r.done)
}

// committed publishes the state of a committed transaction: stats, alarm, logs.
func (s *Store) committed(w *writeState, requests int) {
	s.commits.Add(1)
	s.requests.Add(uint64(requests))
	st := w.stats()
	s.statMu.Lock()
	prevAlarm := s.snap.Alarm
	s.snap = st
	s.statMu.Unlock()

	for _, d := range w.drops {
		s.log.Warn("outbox: dropped telemetry to make room: the broker has been unreachable",
			"from_seq", d.FromSeq, "to_seq", d.ToSeq, "count", d.Count, "types", d.Types, "seq", d.seq)
	}
	if st.Alarm != prevAlarm {
		if st.Alarm {
			s.log.Warn("outbox: critical events fill over 90 % of max_outbox_mb: refusing new work until the broker takes them",
				"critical_bytes", st.CriticalBytes, "max_bytes", st.MaxBytes)
		} else {
			s.log.Info("outbox: critical events under 80 % of max_outbox_mb: accepting new work again",
				"critical_bytes", st.CriticalBytes, "max_bytes", st.MaxBytes)
		}
		s.signalAlarm(st.Alarm)
	}
}
