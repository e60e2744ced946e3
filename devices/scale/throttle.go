package scale

import "time"

// Throttle lets an event through at most once per Every: the weight telemetry's
// telemetry.weight_ms (contract §6). An Every of 0 or less lets everything through; whether the
// telemetry is on at all is the caller's decision. The zero value lets everything through. A
// Throttle is not safe for concurrent use.
type Throttle struct {
	Every time.Duration
	last  time.Time
	used  bool
}

// Allow reports whether an event at now may go out, and if so counts it.
func (t *Throttle) Allow(now time.Time) bool {
	if t.Every > 0 && t.used && now.Sub(t.last) < t.Every {
		return false
	}
	t.last, t.used = now, true
	return true
}

// Reset forgets the last event, so that the next one goes out.
func (t *Throttle) Reset() { t.used = false }
