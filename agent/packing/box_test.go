package packing

import (
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/stationd/stationd/agent/config"
	firmwareconfig "github.com/stationd/stationd/firmware-config"
	"github.com/stationd/stationd/protocol"
	"github.com/stationd/stationd/protocol/units"
)

func TestChooseBox(t *testing.T) {
	boxes := []config.Box{
		{ID: "M", Inner: [3]units.Length{350, 250, 150}},
		{ID: "S", Inner: [3]units.Length{250, 200, 100}},
		{ID: "FLAT", Inner: [3]units.Length{600, 400, 25}},   // 6 l: between S (5 l) and M (13.1 l), flat
		{ID: "S-BIS", Inner: [3]units.Length{100, 250, 200}}, // same volume as S, listed after it
	}
	line := func(qty int, l, w, h units.Length) protocol.OrderLine {
		return protocol.OrderLine{Qty: qty, DimsMM: [3]units.Length{l, w, h}}
	}
	for _, c := range []struct {
		name  string
		lines []protocol.OrderLine
		fill  float64
		want  string // "" none fits
	}{
		{"smallest that fits", []protocol.OrderLine{line(1, 100, 100, 50)}, 0.9, "S"},
		{"turned to fit: sides sorted", []protocol.OrderLine{line(1, 90, 240, 190)}, 0.9, "S"},
		{"tie on volume: config order", []protocol.OrderLine{line(1, 10, 10, 10)}, 0.9, "S"},
		{"one side too long for S: the next box that fits", []protocol.OrderLine{line(1, 260, 10, 10)}, 0.9, "FLAT"},
		{"too long for S, too thick for FLAT", []protocol.OrderLine{line(1, 300, 200, 30)}, 0.9, "M"},
		{"too thick for FLAT, volume fits S", []protocol.OrderLine{line(2, 200, 150, 50)}, 0.9, "S"},
		{"volume over fill factor: next box", []protocol.OrderLine{line(10, 200, 100, 25)}, 0.9, "FLAT"}, // 5 l > 4.5 l
		{"volume at exactly fill factor", []protocol.OrderLine{line(9, 200, 100, 25)}, 0.9, "S"},         // 4.5 l = 4.5 l
		{"fill factor 1", []protocol.OrderLine{line(10, 200, 100, 25)}, 1, "S"},
		{"flat item only fits FLAT", []protocol.OrderLine{line(1, 550, 350, 10)}, 0.9, "FLAT"},
		{"no dims: smallest box", []protocol.OrderLine{{Qty: 50}}, 0.9, "S"},
		{"lines without dims ignored", []protocol.OrderLine{{Qty: 50}, line(1, 300, 200, 30)}, 0.9, "M"},
		{"none fits", []protocol.OrderLine{line(1, 700, 10, 10)}, 0.9, ""},
		{"too much volume", []protocol.OrderLine{line(1000, 100, 100, 100)}, 0.9, ""},
		{"huge quantities do not overflow", []protocol.OrderLine{line(1_000_000, 100000, 100000, 100000)}, 0.9, ""},
		{"fill factor 0 means the default", []protocol.OrderLine{line(9, 200, 100, 25)}, 0, "S"},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, ok := chooseBox(boxes, c.lines, c.fill)
			if got := map[bool]string{true: b.ID, false: ""}[ok]; got != c.want {
				t.Errorf("box %q, want %q", got, c.want)
			}
		})
	}
	if _, ok := chooseBox(nil, []protocol.OrderLine{{Qty: 1}}, 0.9); ok {
		t.Error("a box without boxes")
	}
}

// TestBoxCatalogs checks that every catalog of firmware-config/boxes is a valid pack.boxes for
// check-config.
func TestBoxCatalogs(t *testing.T) {
	fsys := firmwareconfig.Boxes()
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil || len(names) == 0 {
		t.Fatalf("no catalogs: %v", err)
	}
	for _, n := range names {
		t.Run(n, func(t *testing.T) {
			b, err := fs.ReadFile(fsys, n)
			if err != nil {
				t.Fatal(err)
			}
			// A minimal station around the catalog; the devices use the sim drivers, which this
			// test binary does not register, so only the pack.boxes errors matter.
			yaml := "site: PAR1\nstation: pack-07\nroles: [pack]\nmqtt: {broker: tcp://127.0.0.1:1883}\n" + strings.Replace(string(b), "pack:\n", "pack:\n  scanner: s\n  scale: s\n  printer: s\n", 1)
			_, err = config.Parse(n, []byte(yaml))
			for _, line := range strings.Split(errString(err), "\n") {
				if strings.Contains(line, "pack.boxes") {
					t.Error(line)
				}
			}
			cfg := testConfig()
			cfg.Pack.Boxes = parseBoxes(t, string(b))
			if len(cfg.Pack.Boxes) == 0 {
				t.Fatal("no boxes")
			}
			for _, bx := range cfg.Pack.Boxes {
				for k := range 3 {
					if bx.Outer[k] < bx.Inner[k] {
						t.Errorf("%s: outer %v smaller than inner %v", bx.ID, bx.Outer, bx.Inner)
					}
				}
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// parseBoxes reads the box lines of a catalog ({id: X, inner_mm: [..], ...}) without a YAML
// library (this package may not import one).
func parseBoxes(t *testing.T, s string) []config.Box {
	var out []config.Box
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "- {id:") {
			continue
		}
		var b config.Box
		var in, outer [3]int64
		var tare int64
		var id string
		if _, err := fmt.Sscanf(line, "- {id: %s inner_mm: [%d, %d, %d], outer_mm: [%d, %d, %d], tare_g: %d}",
			&id, &in[0], &in[1], &in[2], &outer[0], &outer[1], &outer[2], &tare); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		b.ID = strings.TrimSuffix(id, ",")
		for k := range 3 {
			b.Inner[k], b.Outer[k] = units.Length(in[k]), units.Length(outer[k])
		}
		b.Tare = units.Mass(tare) * units.Gram
		out = append(out, b)
	}
	return out
}

func TestPercentile(t *testing.T) {
	for _, c := range []struct {
		d        []int64
		p50, p95 int64
	}{
		{[]int64{7}, 7, 7},
		{[]int64{1, 2}, 1, 2},
		{[]int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 5, 10},
		{func() []int64 {
			d := make([]int64, 100)
			for i := range d {
				d[i] = int64(i + 1)
			}
			return d
		}(), 50, 95},
	} {
		if p50, p95 := percentile(c.d, 50), percentile(c.d, 95); p50 != c.p50 || p95 != c.p95 {
			t.Errorf("%v: p50 %d p95 %d, want %d %d", c.d, p50, p95, c.p50, c.p95)
		}
	}
}

func TestKPISnapshot(t *testing.T) {
	var k kpis
	t0 := ref
	k.reset(t0)
	k.add(func(k *kpis) { k.items += 3; k.mismatches["not_in_order"]++; k.weightExc++ })
	k.packed(90 * time.Second)
	k.packed(30 * time.Second)
	s := k.snapshot(t0.Add(5*time.Minute), false)
	if s.PeriodS != 300 || s.OrdersPacked != 2 || s.ItemsPacked != 3 || s.Mismatches["not_in_order"] != 1 ||
		s.WeightExceptions != 1 || s.PackMSP50 != 30000 || s.PackMSP95 != 90000 || s.Returns == nil {
		t.Errorf("%+v", s)
	}
	s = k.snapshot(t0.Add(6*time.Minute), true)
	if s.PeriodS != 360 || s.OrdersPacked != 2 {
		t.Errorf("take: %+v", s)
	}
	s = k.snapshot(t0.Add(7*time.Minute), false)
	if s.PeriodS != 60 || s.OrdersPacked != 0 || len(s.Mismatches) != 0 || s.PackMSP50 != 0 || s.Mismatches == nil {
		t.Errorf("after take: %+v", s)
	}
	for range maxDurations + 10 {
		k.packed(time.Second)
	}
	if len(k.durations) != maxDurations {
		t.Errorf("%d durations kept", len(k.durations))
	}
}
