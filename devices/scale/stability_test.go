package scale

import (
	"testing"
	"time"

	"github.com/stationd/stationd/protocol/units"
)

func TestDetector(t *testing.T) {
	g := units.Gram
	type in struct {
		ms     int        // time of the reading
		m      units.Mass // mass
		flag   bool       // the scale's stable flag
		stable bool       // expected verdict
	}
	cfg := Stability{Count: 3, Delta: 2 * g, Window: 200 * time.Millisecond}
	for _, c := range []struct {
		name string
		cfg  Stability
		seq  []in
	}{
		{"settles on the reading that completes count and window", cfg, []in{
			{0, 1000 * g, true, false}, {100, 1001 * g, true, false}, {200, 999 * g, true, true}, {300, 1000 * g, true, true},
		}},
		{"flag early, weight still moving", cfg, []in{
			{0, 900 * g, true, false}, {100, 960 * g, true, false}, {200, 995 * g, true, false},
			{300, 1000 * g, true, false}, {400, 1001 * g, true, false}, {500, 1000 * g, true, true},
		}},
		{"weight steady, flag off", cfg, []in{
			{0, 500 * g, false, false}, {100, 500 * g, false, false}, {200, 500 * g, false, false}, {300, 500 * g, true, true},
		}},
		{"count reached before the window", cfg, []in{
			{0, 500 * g, true, false}, {50, 500 * g, true, false}, {100, 500 * g, true, false}, {150, 500 * g, true, false},
			{200, 500 * g, true, true},
		}},
		{"window reached before the count", Stability{Count: 5, Delta: 0, Window: 100 * time.Millisecond}, []in{
			{0, 7 * g, true, false}, {100, 7 * g, true, false}, {200, 7 * g, true, false}, {300, 7 * g, true, false},
			{400, 7 * g, true, true},
		}},
		{"a jump breaks the run", cfg, []in{
			{0, 100 * g, true, false}, {100, 100 * g, true, false}, {200, 100 * g, true, true},
			{300, 110 * g, true, false}, {400, 110 * g, true, false}, {500, 110 * g, true, true},
		}},
		{"within band of the newest, not of the oldest", cfg, []in{
			{0, 100 * g, true, false}, {100, 102 * g, true, false}, {200, 104 * g, true, false}, {300, 104 * g, true, true},
		}},
		{"N=1, t=0: the flag alone", Stability{Count: 1}, []in{
			{0, 1 * g, false, false}, {10, 2 * g, true, true}, {20, 3 * g, true, true},
		}},
		{"clock going back restarts", cfg, []in{
			{1000, 5 * g, true, false}, {1100, 5 * g, true, false}, {500, 5 * g, true, false}, {600, 5 * g, true, false},
			{700, 5 * g, true, true},
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := NewDetector(c.cfg)
			t0 := time.Date(2026, 11, 22, 15, 0, 0, 0, time.UTC)
			for i, r := range c.seq {
				got := d.Add(Reading{Mass: r.m, Stable: r.flag}, t0.Add(time.Duration(r.ms)*time.Millisecond))
				if got != r.stable {
					t.Errorf("reading %d (%d ms, %v, flag %v): stable %v, want %v", i, r.ms, r.m, r.flag, got, r.stable)
				}
			}
		})
	}
}

func TestDetectorResetAndBound(t *testing.T) {
	d := NewDetector(Stability{Count: 2, Delta: units.Gram, Window: time.Second})
	t0 := time.Now()
	for i := range 10000 {
		d.Add(Reading{Mass: units.Mass(i % 3), Stable: true}, t0.Add(time.Duration(i)*time.Millisecond))
	}
	if len(d.buf) > 1100 {
		t.Errorf("kept %d readings for a 1 s window at 1 ms", len(d.buf))
	}
	d.Reset()
	if d.Add(Reading{Stable: true}, t0.Add(time.Hour)) {
		t.Error("stable right after Reset")
	}
	if _, _, ok := d.Spread(); !ok {
		t.Error("Spread after a reading")
	}
}

func TestThrottle(t *testing.T) {
	t0 := time.Now()
	th := Throttle{Every: time.Second}
	var got []int
	for ms := 0; ms <= 3000; ms += 250 {
		if th.Allow(t0.Add(time.Duration(ms) * time.Millisecond)) {
			got = append(got, ms)
		}
	}
	if want := []int{0, 1000, 2000, 3000}; len(got) != len(want) || got[1] != 1000 || got[3] != 3000 {
		t.Errorf("allowed at %v, want %v", got, want)
	}
	var all Throttle
	if !all.Allow(t0) || !all.Allow(t0) {
		t.Error("zero Throttle must let everything through")
	}
}
