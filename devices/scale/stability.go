package scale

import (
	"time"

	"github.com/stationd/stationd/protocol/units"
)

// Stability says when a weight has settled, beyond the scale's own flag (some scales report stable
// too early): the newest reading carries the scale's stable flag, and it and the readings before
// it form a run of at least Count consecutive readings, each within ±Delta of the newest, whose
// oldest is at least Window older than the newest.
type Stability struct {
	Count  int           // N, at least 1
	Delta  units.Mass    // d, at least 0
	Window time.Duration // t, at least 0
}

// Detector applies a Stability to a sequence of readings. The zero value is not usable; use
// NewDetector. A Detector is not safe for concurrent use.
type Detector struct {
	cfg Stability
	buf []timed
}

type timed struct {
	m units.Mass
	t time.Time
}

// maxHistory bounds the readings a Detector keeps, whatever the configuration: at 10 ms per
// reading it still covers 40 s.
const maxHistory = 4096

// NewDetector returns a Detector for c; a Count below 1 counts as 1, negative Delta and Window as 0.
func NewDetector(c Stability) *Detector {
	if c.Count < 1 {
		c.Count = 1
	}
	if c.Delta < 0 {
		c.Delta = 0
	}
	if c.Window < 0 {
		c.Window = 0
	}
	return &Detector{cfg: c, buf: make([]timed, 0, c.Count+8)}
}

// Config returns the detector's settings.
func (d *Detector) Config() Stability { return d.cfg }

// Add records r, taken at time at, and reports whether the weight is stable now: the run ending
// at r satisfies the Stability and r.Stable is set. The verdict is given on the reading that
// completes the window, never later.
func (d *Detector) Add(r Reading, at time.Time) bool {
	if n := len(d.buf); n > 0 && at.Before(d.buf[n-1].t) {
		d.buf = d.buf[:0] // the clock went backwards: start again
	}
	d.buf = append(d.buf, timed{r.Mass, at})
	d.prune(at)
	ok := d.settled()
	return ok && r.Stable
}

// settled scans back from the newest reading while readings stay within ±Delta of it.
func (d *Detector) settled() bool {
	n := len(d.buf)
	newest := d.buf[n-1]
	for i := n - 1; i >= 0; i-- {
		diff := d.buf[i].m - newest.m
		if diff < -d.cfg.Delta || diff > d.cfg.Delta {
			return false
		}
		if n-i >= d.cfg.Count && newest.t.Sub(d.buf[i].t) >= d.cfg.Window {
			return true
		}
	}
	return false
}

// prune drops readings no future verdict can need: those older than both the Count-th newest and
// the newest reading at least Window old. Future runs end later, so they need only later ones.
func (d *Detector) prune(now time.Time) {
	n := len(d.buf)
	keep := n - d.cfg.Count // index of the Count-th newest
	if keep <= 0 {
		return
	}
	limit := now.Add(-d.cfg.Window)
	w := -1
	for i := n - 1; i >= 0; i-- {
		if !d.buf[i].t.After(limit) {
			w = i
			break
		}
	}
	if w < 0 {
		w = 0
	}
	if w < keep {
		keep = w
	}
	if n-keep > maxHistory {
		keep = n - maxHistory
	}
	if keep > 0 {
		m := copy(d.buf, d.buf[keep:])
		d.buf = d.buf[:m]
	}
}

// Reset forgets every reading: motion, an error, a zero or a tare breaks the run.
func (d *Detector) Reset() { d.buf = d.buf[:0] }

// Spread returns the smallest and largest mass among the readings kept, for messages.
func (d *Detector) Spread() (lo, hi units.Mass, ok bool) {
	if len(d.buf) == 0 {
		return 0, 0, false
	}
	lo, hi = d.buf[0].m, d.buf[0].m
	for _, s := range d.buf[1:] {
		lo, hi = min(lo, s.m), max(hi, s.m)
	}
	return lo, hi, true
}
