package core

import (
	"fmt"
	"time"

	"github.com/stationd/stationd/devices/lights"
)

// Debouncer turns samples of raw input levels into presses. It is a pure state machine: time is
// an argument, so that it is tested sample by sample, and the Runner feeds it.
//
// An input changes once it has kept its new level for Debounce, counted from the first sample
// that saw the level. A press is reported as short when it ends before LongPress, as long when
// LongPress passes while it is held (and not again at release). An input already pressed at the
// first sample is ignored until released: the press did not start while we were watching.
type Debouncer struct {
	b       lights.Buttons
	started bool
	in      []inputState
}

type inputState struct {
	stable   bool      // debounced level: pressed
	changeAt time.Time // first sample whose raw level differed from stable; zero when none
	pressAt  time.Time // start of the debounced press
	long     bool      // the long press was reported
	ignore   bool      // pressed before watching began
}

// NewDebouncer returns a Debouncer of n inputs with the timing b (resolved: no zero defaults).
func NewDebouncer(n int, b lights.Buttons) *Debouncer {
	return &Debouncer{b: b, in: make([]inputState, n)}
}

// Update takes the levels of every input sampled at now (true: pressed), appends the presses
// decided to out and returns it. It returns an error wrapping lights.ErrStuck when an input has
// been pressed for Stuck.
func (d *Debouncer) Update(now time.Time, pressed []bool, out []lights.Button) ([]lights.Button, error) {
	if !d.started {
		d.started = true
		for i := range d.in {
			if pressed[i] {
				d.in[i] = inputState{stable: true, pressAt: now, ignore: true}
			}
		}
		return out, d.stuck(now)
	}
	for i := range d.in {
		s := &d.in[i]
		if pressed[i] == s.stable {
			s.changeAt = time.Time{}
		} else {
			if s.changeAt.IsZero() {
				s.changeAt = now
			}
			if now.Sub(s.changeAt) >= d.b.Debounce {
				edge := s.changeAt
				s.changeAt = time.Time{}
				s.stable = pressed[i]
				if s.stable {
					s.pressAt, s.long, s.ignore = edge, false, false
				} else {
					if !s.ignore && !s.long {
						out = append(out, lights.Button{Input: i, At: edge})
					}
					s.ignore, s.long = false, false
				}
			}
		}
		// A press lasts until now, or until a release that is being debounced began: a
		// release just before the threshold must not turn into a long press.
		heldUntil := now
		if !s.changeAt.IsZero() {
			heldUntil = s.changeAt
		}
		if s.stable && !s.ignore && !s.long && d.b.LongPress > 0 && heldUntil.Sub(s.pressAt) >= d.b.LongPress {
			s.long = true
			out = append(out, lights.Button{Input: i, Long: true, At: s.pressAt.Add(d.b.LongPress)})
		}
	}
	return out, d.stuck(now)
}

func (d *Debouncer) stuck(now time.Time) error {
	if d.b.Stuck <= 0 {
		return nil
	}
	for i, s := range d.in {
		if s.stable && now.Sub(s.pressAt) >= d.b.Stuck {
			return fmt.Errorf("input %d pressed for %s: %w: free the button or check its wiring for a short",
				i, now.Sub(s.pressAt).Round(time.Second), lights.ErrStuck)
		}
	}
	return nil
}

// Idle says whether no input is pressed or changing: a Runner with an interrupt line may stop
// polling and wait for the next edge.
func (d *Debouncer) Idle() bool {
	for _, s := range d.in {
		if s.stable || !s.changeAt.IsZero() {
			return false
		}
	}
	return true
}
