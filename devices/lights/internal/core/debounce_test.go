package core

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stationd/stationd/devices/lights"
)

// level is a raw level of input 0 from a time on: a piecewise-constant signal.
type level struct {
	at      time.Duration
	pressed bool
}

// wantPress is an expected press of input 0: decided At after the start.
type wantPress struct {
	at   time.Duration
	long bool
}

func TestDebouncer(t *testing.T) {
	ms := time.Millisecond
	def := lights.Buttons{}.Resolved()
	tests := []struct {
		name    string
		b       lights.Buttons
		signal  []level
		until   time.Duration
		want    []wantPress
		stuckAt time.Duration // 0: never
	}{
		{
			name:   "short press reported at release",
			signal: []level{{0, false}, {100 * ms, true}, {300 * ms, false}},
			until:  time.Second,
			want:   []wantPress{{300 * ms, false}},
		},
		{
			name:   "glitch shorter than debounce ignored",
			signal: []level{{0, false}, {100 * ms, true}, {110 * ms, false}},
			until:  time.Second,
		},
		{
			name: "contact bounce on press and release gives one press",
			signal: []level{{0, false}, {100 * ms, true}, {105 * ms, false}, {110 * ms, true},
				{400 * ms, false}, {405 * ms, true}, {410 * ms, false}},
			until: time.Second,
			want:  []wantPress{{410 * ms, false}},
		},
		{
			name:   "long press reported when the threshold passes, nothing at release",
			signal: []level{{0, false}, {100 * ms, true}, {2 * time.Second, false}},
			until:  3 * time.Second,
			want:   []wantPress{{900 * ms, true}},
		},
		{
			name:   "press just under long press is short",
			signal: []level{{0, false}, {100 * ms, true}, {895 * ms, false}},
			until:  2 * time.Second,
			want:   []wantPress{{895 * ms, false}},
		},
		{
			name:   "release glitch near the threshold does not hide a long press",
			signal: []level{{0, false}, {100 * ms, true}, {880 * ms, false}, {885 * ms, true}, {2 * time.Second, false}},
			until:  3 * time.Second,
			want:   []wantPress{{900 * ms, true}},
		},
		{
			name:   "held at start is ignored until released",
			signal: []level{{0, true}, {2 * time.Second, false}, {3 * time.Second, true}, {3100 * ms, false}},
			until:  4 * time.Second,
			want:   []wantPress{{3100 * ms, false}},
		},
		{
			name:   "two presses",
			signal: []level{{0, false}, {100 * ms, true}, {200 * ms, false}, {300 * ms, true}, {400 * ms, false}},
			until:  time.Second,
			want:   []wantPress{{200 * ms, false}, {400 * ms, false}},
		},
		{
			name:   "long presses off: a long hold is short",
			b:      lights.Buttons{Debounce: def.Debounce, LongPress: 0, Stuck: def.Stuck},
			signal: []level{{0, false}, {100 * ms, true}, {3 * time.Second, false}},
			until:  4 * time.Second,
			want:   []wantPress{{3 * time.Second, false}},
		},
		{
			name:   "no debounce: a 5 ms press counts",
			b:      lights.Buttons{Debounce: 0, LongPress: def.LongPress, Stuck: def.Stuck},
			signal: []level{{0, false}, {100 * ms, true}, {105 * ms, false}},
			until:  time.Second,
			want:   []wantPress{{105 * ms, false}},
		},
		{
			name:    "stuck after 30 s, after its long press",
			signal:  []level{{0, false}, {100 * ms, true}},
			until:   40 * time.Second,
			want:    []wantPress{{900 * ms, true}},
			stuckAt: 30100 * ms,
		},
		{
			name:    "held at start and never released is stuck",
			signal:  []level{{0, true}},
			until:   40 * time.Second,
			stuckAt: 30 * time.Second,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.b
			if b == (lights.Buttons{}) {
				b = def
			}
			t0 := time.Date(2026, 11, 22, 15, 0, 0, 0, time.UTC)
			d := NewDebouncer(1, b)
			var got []wantPress
			var stuck time.Duration
			const poll = 5 * time.Millisecond
			for at := time.Duration(0); at <= tt.until; at += poll {
				p := false
				for _, l := range tt.signal {
					if l.at <= at {
						p = l.pressed
					}
				}
				out, err := d.Update(t0.Add(at), []bool{p}, nil)
				for _, e := range out {
					got = append(got, wantPress{e.At.Sub(t0), e.Long})
				}
				if err != nil {
					if !errors.Is(err, lights.ErrStuck) {
						t.Fatalf("error %v is not ErrStuck", err)
					}
					stuck = at
					break
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("presses %v, want %v", got, tt.want)
			}
			if stuck != tt.stuckAt {
				t.Errorf("stuck at %v, want %v", stuck, tt.stuckAt)
			}
		})
	}
}

func TestDebouncerIdle(t *testing.T) {
	t0 := time.Unix(0, 0)
	d := NewDebouncer(2, lights.Buttons{}.Resolved())
	step := func(ms int, a, b bool) {
		if _, err := d.Update(t0.Add(time.Duration(ms)*time.Millisecond), []bool{a, b}, nil); err != nil {
			t.Fatal(err)
		}
	}
	step(0, false, false)
	if !d.Idle() {
		t.Fatal("not idle at rest")
	}
	step(5, false, true)
	if d.Idle() {
		t.Fatal("idle while input 1 changes")
	}
	step(30, false, true)
	if d.Idle() {
		t.Fatal("idle while input 1 is pressed")
	}
	step(35, false, false)
	step(60, false, false)
	if !d.Idle() {
		t.Fatal("not idle after release")
	}
}

// BenchmarkDebounce measures one sampling period of 32 inputs, nothing pressed: the CPU cost
// of polling a full shelf.
func BenchmarkDebounce(b *testing.B) {
	for _, n := range []int{8, 32, 128} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			d := NewDebouncer(n, lights.Buttons{}.Resolved())
			pressed := make([]bool, n)
			t0 := time.Unix(0, 0)
			var out []lights.Button
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				pressed[i%n] = i%7 == 0
				out, _ = d.Update(t0.Add(time.Duration(i)*5*time.Millisecond), pressed, out[:0])
			}
		})
	}
}
