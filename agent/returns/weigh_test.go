package returns

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stationd/stationd/devices/scale"
	"github.com/stationd/stationd/protocol/units"
)

// fakeScale answers WaitStable with the readings sent on its channel, or with the empty scale
// when empty is set; it fails with scale_unstable after settle, like scale.Monitor.
type fakeScale struct {
	readings chan scale.Reading
	empty    bool
}

func (f *fakeScale) WaitStable(ctx context.Context, settle time.Duration) (scale.Reading, error) {
	if f.empty {
		return scale.Reading{Mass: 2 * units.Gram, Stable: true}, nil // under MinWeight
	}
	t := time.NewTimer(settle)
	defer t.Stop()
	select {
	case r := <-f.readings:
		return r, nil
	case <-ctx.Done():
		return scale.Reading{}, ctx.Err()
	case <-t.C:
		return scale.Reading{}, scale.ErrSettleTimeout
	}
}

func withScale(s ScaleSource) func(*harness) {
	return func(h *harness) { h.scale = func() ScaleSource { return s } }
}

// TestWeighing: the parcel is weighed when the return opens; an empty scale is waited out; the
// weight is rounded to whole grams in return.received; RET-WEIGH weighs again.
func TestWeighing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sc := &fakeScale{readings: make(chan scale.Reading)}
		h := newHarness(t, withScale(sc))
		h.want("RMA-W1", SignalOK, "NOT ANNOUNCED")
		sc.readings <- scale.Reading{Mass: 3 * units.Gram, Stable: true} // the scale before the parcel
		time.Sleep(time.Second)                                          // the weighing waits, then asks again
		sc.readings <- scale.Reading{Mass: 260400 * units.Milligram, Stable: true}
		if s := h.told(); s.kind != SignalOK || s.text != "Parcel weight 260.4 g" {
			t.Errorf("told %+v", s)
		}
		h.want("SKU-1", SignalOK, "item 1")
		h.want("RSN-OTHER", SignalOK, "(1 items)")
		h.want("RET-WEIGH", SignalOK, "Put the parcel on the scale")
		sc.readings <- scale.Reading{Mass: 1500 * units.Milligram, Stable: true} // under 10 g
		time.Sleep(time.Second)
		sc.readings <- scale.Reading{Mass: 262500 * units.Milligram, Stable: true}
		if s := h.told(); s.text != "Parcel weight 262.5 g" {
			t.Errorf("told %+v", s)
		}
		h.want("RET-DONE", SignalDone, "received")
		if ev := h.lastReceived(0); ev.WeightG != 263 {
			t.Errorf("weight_g = %d, want 263 (262.5 g rounded half away from zero)", ev.WeightG)
		}
	})
}

// TestWeighingFails: no settled weight within the timeout, or nothing but the empty scale, is
// told to the operator and the return is recorded without weight_g.
func TestWeighingFails(t *testing.T) {
	for _, c := range []struct {
		name  string
		empty bool
		want  string
	}{
		{"moving", false, "No weight (scale_unstable): scan RET-WEIGH to weigh again"},
		{"empty scale", true, "No weight (nothing on the scale): scan RET-WEIGH to weigh again"},
	} {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				sc := &fakeScale{readings: make(chan scale.Reading), empty: c.empty}
				h := newHarness(t, withScale(sc))
				start := time.Now()
				h.want("RMA-W2", SignalOK, "NOT ANNOUNCED")
				if s := h.toldWithin(2 * DefaultWeighTimeout); s.kind != SignalRefused || s.text != c.want {
					t.Errorf("told %+v, want %q", s, c.want)
				}
				if d := time.Since(start); d < DefaultWeighTimeout-2*time.Second || d > DefaultWeighTimeout+time.Second {
					t.Errorf("gave up after %v, want about %v", d, DefaultWeighTimeout)
				}
				h.want("SKU-1", SignalOK, "item 1")
				h.want("RSN-OTHER", SignalOK, "(1 items)")
				h.want("RET-DONE", SignalDone, "received")
				if ev := h.lastReceived(0); ev.WeightG != 0 {
					t.Errorf("weight_g = %d, want none", ev.WeightG)
				}
			})
		})
	}
}

// TestDoneDuringWeighing: RET-DONE does not wait for a weighing in progress, which stops; a
// weighing's late result is dropped.
func TestDoneDuringWeighing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sc := &fakeScale{readings: make(chan scale.Reading)}
		h := newHarness(t, withScale(sc))
		h.want("RMA-W3", SignalOK, "NOT ANNOUNCED")
		h.want("SKU-1", SignalOK, "item 1")
		h.want("RSN-OTHER", SignalOK, "(1 items)")
		h.want("RET-DONE", SignalDone, "received")
		synctest.Wait()
		select {
		case sc.readings <- scale.Reading{Mass: 500 * units.Gram, Stable: true}:
			t.Error("the weighing still runs after RET-DONE")
		default:
		}
		if ev := h.lastReceived(0); ev.WeightG != 0 {
			t.Errorf("weight_g = %d, want none", ev.WeightG)
		}
		// A nil *scale.Monitor from the hub is no scale.
		var mon *scale.Monitor
		h.scale = func() ScaleSource { return mon }
		h.restart()
		h.want("RMA-W4", SignalOK, "NOT ANNOUNCED")
		h.want("RET-WEIGH", SignalRefused, "No scale at this station")
	})
}
