package returns

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/stationd/stationd/agent/outbox"
	"github.com/stationd/stationd/devices/scale"
	"github.com/stationd/stationd/protocol/units"
)

// weighResult is the outcome of one weighing, handed from its goroutine to Run's.
type weighResult struct {
	token   uint64 // which weighing: results of an earlier one are dropped
	reading scale.Reading
	err     error
}

// errTooLight is a weighing that found no parcel on the scale within WeighTimeout.
var errTooLight = errors.New("nothing on the scale")

// scaleSource returns the scale to weigh on, or nil.
func (m *machine) scaleSource() ScaleSource {
	if m.d.Scale == nil {
		return nil
	}
	s := m.d.Scale()
	if mon, ok := s.(*scale.Monitor); ok && mon == nil {
		return nil // a nil *Monitor in a non-nil interface
	}
	return s
}

// startWeigh starts weighing the open return's parcel, replacing a weighing in progress. It
// reports whether there is a scale to weigh on.
func (m *machine) startWeigh() bool {
	m.stopWeigh()
	src := m.scaleSource()
	if src == nil {
		return false
	}
	m.weighToken++
	token := m.weighToken
	ctx, cancel := context.WithCancel(m.runCtx)
	m.weighCancel = cancel
	timeout, min := m.d.WeighTimeout, m.d.MinWeight
	m.weighWG.Add(1)
	go func() {
		defer m.weighWG.Done()
		r, err := weighParcel(ctx, src, timeout, min)
		select {
		case m.weighC <- weighResult{token: token, reading: r, err: err}:
		case <-ctx.Done():
		}
	}()
	return true
}

// stopWeigh cancels the weighing in progress, if any; its result, if already sent, is dropped by
// its token.
func (m *machine) stopWeigh() {
	if m.weighCancel != nil {
		m.weighCancel()
		m.weighCancel = nil
	}
	m.weighToken++
}

// weighParcel waits up to timeout for a settled weight of at least min: a settled weight below it
// is the empty scale (or a parcel not put down yet), so it tries again after weighRetry.
func weighParcel(ctx context.Context, src ScaleSource, timeout time.Duration, min units.Mass) (scale.Reading, error) {
	deadline := time.Now().Add(timeout)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return scale.Reading{}, errTooLight
		}
		r, err := src.WaitStable(ctx, left)
		if err != nil {
			return scale.Reading{}, err
		}
		if r.Mass >= min {
			return r, nil
		}
		t := time.NewTimer(weighRetry)
		select {
		case <-ctx.Done():
			t.Stop()
			return scale.Reading{}, ctx.Err()
		case <-t.C:
		}
	}
}

// weigh handles RET-WEIGH: weigh the parcel (again).
func (m *machine) weigh() {
	if !m.startWeigh() {
		m.tell(SignalRefused, msgNoScale)
		return
	}
	m.tell(SignalOK, msgWeighing)
}

// weighed records the outcome of a weighing in the open return.
func (m *machine) weighed(res weighResult) {
	if res.token != m.weighToken || m.open == nil {
		return // an earlier weighing, or the return is gone
	}
	m.weighCancel()
	m.weighCancel = nil
	if res.err != nil {
		m.log.Warn("parcel not weighed: "+res.err.Error(), "rma_id", m.open.RMAID)
		m.tell(SignalRefused, msgNoWeight, reasonOf(res.err))
		return
	}
	rec := m.open.clone()
	rec.Weight = res.reading.Mass
	if err := m.update(func(tx *outbox.Tx) error { return putJSON(tx, bucketState, keyOpen, rec) }); err != nil {
		m.storageError("record the parcel weight", err)
		return
	}
	m.open = rec
	m.tell(SignalOK, msgWeight, rec.Weight)
}

// reasonOf names a weighing failure for the operator.
func reasonOf(err error) string {
	var se *scale.Error
	switch {
	case errors.Is(err, errTooLight):
		return errTooLight.Error()
	case errors.As(err, &se):
		return se.Code
	}
	return fmt.Sprint(err)
}
