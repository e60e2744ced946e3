package picking

import (
	"slices"
	"testing"
	"testing/synctest"

	"github.com/stationd/stationd/devices/lights"
	"github.com/stationd/stationd/protocol"
)

func TestLightSet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		h.ok(protocol.PickTasks{BatchID: "B1", Tasks: []protocol.PickTask{task("T1", "A-04", 1)}})
		tests := []struct {
			name  string
			cmd   protocol.LightSet
			code  string // "" for ok
			loc   string // what it shows then
			color lights.Color
			blink bool
			text  string
		}{
			{name: "ok", cmd: protocol.LightSet{Location: "A-01", Color: "red", Blink: true, Display: "12"},
				loc: "A-01", color: lights.Red, blink: true, text: "12"},
			{name: "no display there", cmd: protocol.LightSet{Location: "A-03", Color: "blue", Display: "9"},
				loc: "A-03", color: lights.Blue},
			{name: "steady", cmd: protocol.LightSet{Location: "A-01", Color: "white"},
				loc: "A-01", color: lights.White},
			{name: "off", cmd: protocol.LightSet{Location: "A-01", Color: "off", Blink: true},
				loc: "A-01", color: lights.Off},
			{name: "display alone", cmd: protocol.LightSet{Location: "A-02", Color: "off", Display: "7"},
				loc: "A-02", color: lights.Off, text: "7"},
			{name: "unknown location", cmd: protocol.LightSet{Location: "Z-9", Color: "red"}, code: protocol.CodeNotFound},
			{name: "bad colour", cmd: protocol.LightSet{Location: "A-01", Color: "purple"}, code: protocol.CodeInvalid,
				loc: "A-01", color: lights.Off},
			{name: "lit for a batch", cmd: protocol.LightSet{Location: "A-04", Color: "red"}, code: protocol.CodeBusy,
				loc: "A-04", color: lights.Green, text: "1"},
		}
		for _, tt := range tests {
			res := h.do(tt.cmd)
			switch {
			case tt.code == "" && !res.OK:
				t.Errorf("%s: %+v", tt.name, res.Error)
			case tt.code != "" && (res.OK || res.Error.Code != tt.code):
				t.Errorf("%s: got %+v, want %s", tt.name, res.Error, tt.code)
			}
			if tt.loc != "" {
				h.wantLight(tt.loc, tt.color, tt.blink, tt.text)
			}
		}
		if k, want := h.keys(bucketLights), []string{"A-02", "A-03"}; !slices.Equal(k, want) {
			t.Errorf("stored lights %v, want %v", k, want)
		}
		h.wantEvents()
	})
}

// The handler takes every colour lights.ParseColor reads, a superset of the schema's names.
func TestLightSetHandler(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		set := h.handlers[protocol.CommandLightSet]
		call := func(ls protocol.LightSet) *protocol.Error {
			e := set(t.Context(), protocol.Command{ID: "x", Type: protocol.CommandLightSet}, ls)
			waitIdle()
			return e
		}
		if e := call(protocol.LightSet{Location: "A-02", Color: "#ff8000"}); e != nil {
			t.Fatal(e)
		}
		h.wantLight("A-02", lights.Color{R: 0xff, G: 0x80}, false, "")
		for _, c := range []string{"purple", "#12345", ""} {
			if e := call(protocol.LightSet{Location: "A-02", Color: c}); e == nil || e.Code != protocol.CodeInvalid {
				t.Errorf("colour %q: %v, want invalid", c, e)
			}
		}
		if e := call(protocol.LightSet{Location: "Z-9", Color: "#ff8000"}); e == nil || e.Code != protocol.CodeNotFound {
			t.Errorf("unknown location: %v", e)
		}
	})
}

// A batch or a wall takes over a location set by light.set.
func TestLightSetTakenOver(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		h.ok(protocol.LightSet{Location: "A-02", Color: "yellow", Display: "88"})
		h.ok(protocol.LightSet{Location: "S-1", Color: "cyan", Blink: true})
		h.ok(protocol.PickTasks{BatchID: "B1", Tasks: []protocol.PickTask{task("T1", "A-02", 4)}})
		h.ok(protocol.PutWall{WallID: "W1", Orders: []protocol.PutOrder{{OrderID: "O1", Slot: "S-1", Lines: []protocol.PutLine{{SKU: "X", Qty: 1}}}}})
		h.wantLight("A-02", lights.Green, false, "4")
		h.wantLight("S-1", lights.Off, false, "")
		if k := h.keys(bucketLights); len(k) != 0 {
			t.Errorf("stored lights %v", k)
		}
		h.press("A-02", false)
		h.wantLight("A-02", lights.Off, false, "")
	})
}
