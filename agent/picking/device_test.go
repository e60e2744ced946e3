package picking

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stationd/stationd/agent"
	"github.com/stationd/stationd/devices"
	"github.com/stationd/stationd/devices/lights"
	"github.com/stationd/stationd/devices/lights/lightsim"
	"github.com/stationd/stationd/protocol"
)

// TestPressThroughDevice drives a short pick with a real button's timing: a sim device opened
// through the registry as the station does, its raw input debounced and timed by the driver,
// its presses forwarded as the station's hub does.
func TestPressThroughDevice(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		var sim *lightsim.Sim
		spec := devices.Spec{Name: "shelf1", Kind: devices.KindLights, Driver: lightsim.Name, Options: map[string]any{"displays": 4}}
		dev, err := lights.Open(t.Context(), spec, lights.Env{
			Env:     devices.Env{Attach: func(_ string, s any) { sim = s.(*lightsim.Sim) }},
			Buttons: lights.Buttons{Debounce: 20 * time.Millisecond, LongPress: 800 * time.Millisecond},
		})
		if err != nil || sim == nil {
			t.Fatalf("open: %v (sim %v)", err, sim)
		}
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			if err := dev.Run(ctx); err != nil {
				t.Errorf("device Run: %v", err)
			}
		}()
		go func() { // the hub's forwarding
			defer wg.Done()
			for b := range dev.Events() {
				h.presses <- agent.Press{Device: "shelf1", Input: b.Input, Long: b.Long, At: b.At}
			}
		}()
		defer func() {
			cancel()
			wg.Wait()
			dev.Close()
		}()
		h.sims["shelf1"] = sim
		h.src.set("shelf1", sim)
		h.ok(protocol.PickTasks{BatchID: "B1", Tasks: []protocol.PickTask{task("T1", "A-01", 3)}})
		h.wantLight("A-01", lights.Green, false, "3")

		hold := func(d time.Duration) {
			sim.SetLevel(0, true)
			time.Sleep(d)
			sim.SetLevel(0, false)
			time.Sleep(50 * time.Millisecond)
			waitIdle()
		}
		hold(900 * time.Millisecond) // long: count down from 2
		h.wantLight("A-01", lights.Green, true, "2")
		var on, off bool // the driver blinks it
		for range 4 {
			time.Sleep(125 * time.Millisecond)
			c := sim.Visible(0)
			on, off = on || c == lights.Green, off || c == lights.Off
		}
		if !on || !off {
			t.Errorf("A-01 does not blink: seen on %v, off %v", on, off)
		}
		hold(100 * time.Millisecond) // short: one less
		h.wantLight("A-01", lights.Green, true, "1")
		h.wantEvents()
		hold(900 * time.Millisecond) // long: confirm the count
		h.wantEvents(
			`pick.short {"batch_id":"B1","task_id":"T1","location":"A-01","qty":3,"qty_picked":1}`,
			`pick.completed {"batch_id":"B1"}`,
		)
		h.wantLight("A-01", lights.Off, false, "")
	})
}
