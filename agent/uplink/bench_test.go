package uplink

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/stationd/stationd/agent/broker/mosquitto"
	"github.com/stationd/stationd/agent/outbox"
)

// The end-to-end benchmarks run against Mosquitto on loopback; scripts/bench runs them in one
// go and prints the ratios for the README:
//
//	BenchmarkRawPaho           baseline: paho publishing payloads at QoS 1, window 32
//	BenchmarkEndToEnd          8 producers append to the outbox, the uplink publishes and deletes
//	BenchmarkBacklogDrain      events already in the outbox (broker was down), drained

const benchWindow = 32

var benchPayload = []byte(`{"v":1,"id":"01JDQ3S2R4X7Z8Y9W0V1U2T3S4","seq":1,"type":"pack.item","site":"PAR1","station":"pack-07","time":"2026-11-22T15:37:19.123Z","data":{"order_id":"A-100234","line":"1","sku":"SKU-1","code":"03614270350042","qty_scanned":1,"qty_expected":2}}`)

func benchBroker(b *testing.B) *mosquitto.Broker {
	return mosquitto.Start(b, mosquitto.Options{})
}

func BenchmarkRawPaho(b *testing.B) {
	m := benchBroker(b)
	c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(m.URL("tcp")).SetClientID("raw").SetCleanSession(false).SetAutoReconnect(false))
	if t := c.Connect(); !t.WaitTimeout(10*time.Second) || t.Error() != nil {
		b.Fatal(t.Error())
	}
	defer c.Disconnect(0)
	b.SetBytes(int64(len(benchPayload)))
	b.ResetTimer()
	var window []mqtt.Token
	for i := 0; i < b.N; i++ {
		if len(window) == benchWindow {
			if window[0].Wait(); window[0].Error() != nil {
				b.Fatal(window[0].Error())
			}
			window = window[1:]
		}
		window = append(window, c.Publish("wh/v1/B/s1/evt/pack.item", 1, false, benchPayload))
	}
	for _, t := range window {
		t.Wait()
	}
}

// storeSource adapts the real outbox to the uplink (as agent/station does).
type storeSource struct{ s *outbox.Store }

func (a storeSource) Pending(after uint64, max int) ([]Event, error) {
	recs, err := a.s.Pending(after, max)
	out := make([]Event, len(recs))
	for i, r := range recs {
		out[i] = Event{Seq: r.Seq, Type: r.Type, Payload: r.Payload}
	}
	return out, err
}
func (a storeSource) Ack(seqs ...uint64) error { return a.s.Ack(seqs...) }
func (a storeSource) Notify() <-chan struct{}  { return a.s.Notify() }

func openBenchStore(b *testing.B) *outbox.Store {
	s, err := outbox.Open(filepath.Join(b.TempDir(), "bench.db"), outbox.Options{Site: "B", Station: "s1", MaxBytes: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

func benchUplink(b *testing.B, url string, src Source) *Uplink {
	u, err := New(Config{
		Broker: url, ClientID: "B-s1", Window: benchWindow,
		StatusTopic: "wh/v1/B/s1/status", EventTopic: func(t string) string { return "wh/v1/B/s1/evt/" + t },
		CommandFilter: "wh/v1/B/s1/cmd/+",
	}, src)
	if err != nil {
		b.Fatal(err)
	}
	return u
}

var benchData = map[string]any{"order_id": "A-100234", "line": "1", "sku": "SKU-1", "code": "03614270350042", "qty_scanned": 1, "qty_expected": 2}

// BenchmarkEndToEnd: producers append durably (each waits for its fsync'd commit), the uplink
// publishes and deletes. With few producers the rate is bound by the disk's fsync rate, not by
// the uplink; 64 producers show the pipeline's own ceiling.
func BenchmarkEndToEnd(b *testing.B) {
	for _, producers := range []int{8, 64} {
		b.Run(fmt.Sprintf("producers=%d", producers), func(b *testing.B) { benchEndToEnd(b, producers) })
	}
}

func benchEndToEnd(b *testing.B, producers int) {
	m := benchBroker(b)
	s := openBenchStore(b)
	u := benchUplink(b, m.URL("tcp"), storeSource{s})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { u.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	for !u.Connected() {
		time.Sleep(time.Millisecond)
	}
	b.SetBytes(int64(len(benchPayload)))
	b.ResetTimer()
	var next atomic.Int64
	var wg sync.WaitGroup
	for p := 0; p < producers; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				if _, err := s.Append(ctx, outbox.Event{Type: "pack.item", Data: benchData}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for s.Stats().Events > 0 {
		time.Sleep(200 * time.Microsecond)
	}
}

func BenchmarkBacklogDrain(b *testing.B) {
	n := 100_000
	if testing.Short() {
		n = 10_000
	}
	m := benchBroker(b)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s := openBenchStore(b)
		const batch = 1000
		for j := 0; j < n; j += batch {
			err := s.Update(context.Background(), func(tx *outbox.Tx) error {
				for k := 0; k < batch; k++ {
					if _, err := tx.Append(outbox.Event{Type: "pack.item", Data: benchData}); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		u := benchUplink(b, m.URL("tcp"), storeSource{s})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		var peak, peakAnon atomic.Int64
		stopRSS := make(chan struct{})
		rssDone := make(chan struct{})
		go func() {
			defer close(rssDone)
			for {
				if r := rssKB("VmRSS:"); r > peak.Load() {
					peak.Store(r)
				}
				if r := rssKB("RssAnon:"); r > peakAnon.Load() {
					peakAnon.Store(r)
				}
				select {
				case <-stopRSS:
					return
				case <-time.After(10 * time.Millisecond):
				}
			}
		}()
		b.StartTimer()
		start := time.Now()
		go func() { u.Run(ctx); close(done) }()
		for s.Stats().Events > 0 {
			time.Sleep(time.Millisecond)
		}
		el := time.Since(start)
		b.StopTimer()
		close(stopRSS)
		<-rssDone
		cancel()
		<-done
		b.ReportMetric(float64(n)/el.Seconds(), "events/s")
		b.ReportMetric(float64(peak.Load())/1024, "MB-rss-peak")
		b.ReportMetric(float64(peakAnon.Load())/1024, "MB-anon-peak")
		s.Close()
		b.StartTimer()
	}
}

// rssKB reads a field of /proc/self/status in kB: VmRSS (all resident memory, including the
// pages of the outbox file that bbolt maps) or RssAnon (the heap and stacks).
func rssKB(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field); ok {
			n, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			return n
		}
	}
	return 0
}
