package packing

import (
	"slices"
	"testing"
	"time"
)

// BenchmarkScanToItem measures the workflow's handling of one item scan, from the scan handed
// to Run to the pack.item event and the pack state committed to a real store (one fsync) and the
// packer told: the latency the packer sees. The order has 200 lines; every scan counts. It
// reports the p50 and p99 latencies besides the mean (ns/op).
func BenchmarkScanToItem(b *testing.B) {
	cfg := testConfig()
	st := newStation(b, "", cfg)
	defer st.stop()
	fb := make(chan signal, 4)
	st.fb.mu.Lock()
	st.fb.ch = fb
	st.fb.mu.Unlock()

	o := bigOrder(200)
	for i := range o.Lines {
		o.Lines[i].LotRequired, o.Lines[i].MinExpiryDays = false, 0
	}
	st.mustCommand(*o)
	st.scan(o.OrderID)
	<-fb
	codes := make([]string, len(o.Lines))
	for i, l := range o.Lines {
		codes[i] = "]E0" + l.GTIN
	}
	var lat []time.Duration
	i := 0
	for b.Loop() {
		t0 := time.Now()
		st.scan(codes[i%len(codes)])
		if s := <-fb; s.kind != SignalOK {
			b.Fatalf("feedback %+v", s)
		}
		lat = append(lat, time.Since(t0))
		i++
	}
	slices.Sort(lat)
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)*50/100].Microseconds()), "p50-µs")
		b.ReportMetric(float64(lat[min(len(lat)*99/100, len(lat)-1)].Microseconds()), "p99-µs")
	}
}
