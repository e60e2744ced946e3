package returns

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stationd/stationd/agent"
	"github.com/stationd/stationd/agent/config"
	"github.com/stationd/stationd/devices/scanner/barcode"
)

// BenchmarkSheet measures rendering the two-label sheet.
func BenchmarkSheet(b *testing.B) {
	for b.Loop() {
		if _, err := Sheet(203, "en", sheetBoxes); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScan measures one item scan into an open return on a real store (one durable
// Update, fsync included), the latency the operator feels; the return is completed and a new
// one opened every 100 units.
func BenchmarkScan(b *testing.B) {
	store := openStore(b, filepath.Join(b.TempDir(), "db"))
	defer store.Close()
	cfg := testConfig("en")
	w, err := New(Deps{Store: store, Config: func() *config.Config { return cfg }})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	m := &machine{Workflow: w, ctx: ctx, runCtx: ctx, weighC: make(chan weighResult)}
	scan := func(data string) {
		m.scan(agent.Scan{Device: "s", Data: data, At: t0, Decoded: barcode.Decode(data)})
	}
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		if m.open == nil {
			scan(fmt.Sprintf("RMA-BENCH-%d", n))
		}
		scan("]E05901234123457")
		if n++; n%100 == 0 {
			b.StopTimer()
			scan("RSN-WRONG-SIZE")
			scan(CodeDone)
			b.StartTimer()
		}
	}
}
