package picking

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stationd/stationd/agent"
	"github.com/stationd/stationd/agent/config"
	"github.com/stationd/stationd/agent/outbox"
	"github.com/stationd/stationd/devices/lights"
	"github.com/stationd/stationd/devices/scanner/barcode"
)

// FuzzScan feeds arbitrary scans to an open put wall: nothing panics, no line gets more units
// than it needs, and a slot lights only for the item of its line.
func FuzzScan(f *testing.F) {
	for _, s := range []string{
		eanA, "]E0" + eanA, "0" + eanA, "SKU-A", "SKU-B", "]C1010" + eanA + "10LOT1", "(01)0" + eanA,
		"]E04006381333932", "", "]", "\x1d", "]E0", eanOther, "]d2\x1d01",
	} {
		f.Add(s)
	}
	cfg := testConfig()
	st, err := outbox.Open(filepath.Join(f.TempDir(), "stationd.db"), outbox.Options{Site: cfg.Site, Station: cfg.Station})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	w, err := New(Deps{Store: st, Lights: &source{m: map[string]lights.Lights{"wall1": newSim("wall1")}}, Config: func() *config.Config { return cfg }})
	if err != nil {
		f.Fatal(err)
	}
	m, err := w.newMachine(context.Background())
	if err != nil {
		f.Fatal(err)
	}
	if e := m.putWall(wallW1()); e != nil {
		f.Fatal(e)
	}
	f.Fuzz(func(t *testing.T, data string) {
		for _, w := range m.st.walls {
			for _, o := range w.Orders {
				clear(o.Pending)
			}
		}
		d := barcode.Decode(data)
		m.scan(agent.Scan{Device: "scanner1", Data: data, Decoded: d})
		m.render()
		for _, w := range m.st.walls {
			for _, o := range w.Orders {
				for j, l := range o.Cmd.Lines {
					switch p := o.Pending[j]; {
					case p == 0:
					case p > 1 || o.Put[j]+p > l.Qty:
						t.Fatalf("%q: line %d of %s has %d pending, %d put of %d", data, j, o.Cmd.OrderID, p, o.Put[j], l.Qty)
					case !(d.GTIN != "" && o.gtins[j] == d.GTIN) && l.SKU != d.Code:
						t.Fatalf("%q (gtin %q) lit line %d of %s: %+v", data, d.GTIN, j, o.Cmd.OrderID, l)
					}
				}
			}
		}
	})
}
