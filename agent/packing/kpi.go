package packing

import (
	"slices"
	"sync"
	"time"

	"github.com/stationd/stationd/protocol"
)

// maxDurations bounds the pack durations kept for the percentiles of one period; beyond it the
// oldest are overwritten (a station packs far fewer orders in any sensible kpi.interval).
const maxDurations = 1 << 14

// kpis accumulates the station.kpi counters of the current period. Run's goroutine adds to it;
// the station's KPI timer reads it: the only state of the workflow another goroutine touches, so
// it has its own lock.
type kpis struct {
	mu         sync.Mutex
	since      time.Time
	orders     int64
	items      int64
	weightExc  int64
	mismatches map[string]int64
	durations  []int64 // ms, a ring once full
	next       int
}

func (k *kpis) reset(now time.Time) {
	k.since, k.orders, k.items, k.weightExc = now, 0, 0, 0
	k.mismatches = map[string]int64{}
	k.durations, k.next = k.durations[:0], 0
}

func (k *kpis) add(f func(k *kpis)) {
	k.mu.Lock()
	f(k)
	k.mu.Unlock()
}

func (k *kpis) packed(d time.Duration) {
	k.add(func(k *kpis) {
		k.orders++
		ms := d.Milliseconds()
		if len(k.durations) < maxDurations {
			k.durations = append(k.durations, ms)
		} else {
			k.durations[k.next] = ms
			k.next = (k.next + 1) % maxDurations
		}
	})
}

func (k *kpis) snapshot(now time.Time, reset bool) protocol.StationKPI {
	k.mu.Lock()
	defer k.mu.Unlock()
	s := protocol.StationKPI{
		PeriodS:          max(int64(now.Sub(k.since)/time.Second), 0),
		OrdersPacked:     k.orders,
		ItemsPacked:      k.items,
		Mismatches:       make(map[string]int64, len(k.mismatches)),
		WeightExceptions: k.weightExc,
		Returns:          map[string]int64{},
	}
	for r, n := range k.mismatches {
		s.Mismatches[r] = n
	}
	if len(k.durations) > 0 {
		d := slices.Clone(k.durations)
		slices.Sort(d)
		s.PackMSP50, s.PackMSP95 = percentile(d, 50), percentile(d, 95)
	}
	if reset {
		k.reset(now)
	}
	return s
}

// percentile returns the nearest-rank p-th percentile of sorted (not empty): the smallest value
// with at least p % of the values at or below it.
func percentile(sorted []int64, p int) int64 {
	rank := (p*len(sorted) + 99) / 100 // ceil(p/100 × n)
	return sorted[max(rank, 1)-1]
}
