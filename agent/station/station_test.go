package station

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stationd/stationd/agent/broker"
	"github.com/stationd/stationd/agent/config"
	"github.com/stationd/stationd/agent/omssim"
	"github.com/stationd/stationd/devices"
	"github.com/stationd/stationd/protocol"

	_ "github.com/stationd/stationd/devices/printer/printersim"
	_ "github.com/stationd/stationd/devices/scale/scalesim"
	_ "github.com/stationd/stationd/devices/scanner/scannersim"
)

// harness runs a Station in-process against the in-process broker and the OMS simulator.
type harness struct {
	t      *testing.T
	b      *broker.Broker
	oms    *omssim.OMS
	st     *Station
	cancel func()
	done   chan error

	mu   sync.Mutex
	sims map[string]any
}

func newHarness(t *testing.T, yaml string) *harness {
	t.Helper()
	b, err := broker.Start("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	h := &harness{t: t, b: b, sims: map[string]any{}}
	cfg, err := config.Parse("station.yaml", []byte(fmt.Sprintf(yaml, b.URL(), t.TempDir())))
	if err != nil {
		t.Fatal(err)
	}
	h.oms, err = omssim.Attach(b, omssim.Options{Prefix: cfg.MQTT.TopicPrefix, Site: cfg.Site, Station: cfg.Station})
	if err != nil {
		t.Fatal(err)
	}
	h.start(cfg)
	return h
}

func (h *harness) start(cfg *config.Config) {
	st, err := New(Options{Config: cfg, Version: "test", Env: devices.Env{Attach: func(name string, sim any) {
		h.mu.Lock()
		h.sims[name] = sim
		h.mu.Unlock()
	}}})
	if err != nil {
		h.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.st, h.cancel, h.done = st, cancel, make(chan error, 1)
	go func() { h.done <- st.Run(ctx) }()
	h.t.Cleanup(h.stop)
}

func (h *harness) stop() {
	if h.cancel == nil {
		return
	}
	h.cancel()
	select {
	case err := <-h.done:
		if err != nil {
			h.t.Errorf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		h.t.Error("Run did not return within 5 s")
	}
	h.cancel = nil
}

func (h *harness) sim(name string) any {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.sims[name]
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	t.Cleanup(cancel)
	return c
}

const pickStation = `site: T
station: s1
roles: [pick]
mqtt: {broker: "%s", reconnect_max: 1s}
storage: {dir: "%s"}
telemetry: {scans: true}
devices:
  - {name: scanner1, kind: scanner, driver: sim}
  - {name: printer1, kind: printer, driver: sim}
`

func TestBirthPingDuplicateAndShutdown(t *testing.T) {
	h := newHarness(t, pickStation)
	c := ctx(t)
	birth, err := h.oms.WaitStatus(c, func(s string) bool { return strings.Contains(s, `"online":true`) })
	if err != nil {
		t.Fatal(err)
	}
	st, err := protocol.DecodeStatus([]byte(birth))
	if err != nil || st.Birth.Version != "test" || len(st.Birth.Devices) != 2 || st.Birth.Roles[0] != "pick" {
		t.Fatalf("birth %s (%v)", birth, err)
	}
	if err := h.oms.SendID("p1", protocol.CommandStationPing, struct{}{}); err != nil {
		t.Fatal(err)
	}
	if res, err := h.oms.Result(c, "p1"); err != nil || !res.OK {
		t.Fatalf("ping: %+v %v", res, err)
	}
	// A known command for a role the station lacks.
	h.oms.SendID("r1", protocol.CommandPackCancel, map[string]string{"order_id": "A"})
	if res, _ := h.oms.Result(c, "r1"); res.OK || res.Error.Code != protocol.CodeRoleDisabled {
		t.Fatalf("role: %+v", res)
	}
	h.stop()
	if _, err := h.oms.WaitStatus(c, func(s string) bool { return s == `{"online":false,"reason":"shutdown"}` }); err != nil {
		t.Fatal(err)
	}
	if err := h.oms.Check(); err != nil {
		t.Fatal(err)
	}
}

type feeder interface {
	Feed(string)
	Unplug()
}

func TestScanTelemetryAndHotplug(t *testing.T) {
	h := newHarness(t, pickStation)
	c := ctx(t)
	var sc feeder
	for sc == nil {
		sc, _ = h.sim("scanner1").(feeder)
		time.Sleep(5 * time.Millisecond)
	}
	sc.Feed("]C1010361427035004717261231")
	r, err := h.oms.WaitType(c, protocol.EventScan, nil)
	if err != nil {
		t.Fatal(err)
	}
	var s protocol.Scan
	json.Unmarshal(r.Event.Data, &s)
	if s.Symbology != "gs1-128" || s.GTIN != "03614270350047" || s.GS1["17"] != "261231" || s.AIM != "]C1" {
		t.Errorf("scan %s", r.Event.Data)
	}
	sc.Unplug()
	if _, err := h.oms.WaitType(c, protocol.EventDeviceStatus, func(d json.RawMessage) bool {
		return strings.Contains(string(d), `"state":"disconnected"`) && strings.Contains(string(d), "scanner1")
	}); err != nil {
		t.Fatal(err)
	}
	// The supervisor reopens it: the sim comes back as a new instance, and ok is reported.
	for h.countStatus("scanner1", "ok") < 2 {
		select {
		case <-c.Done():
			t.Fatal("scanner not back after the unplug")
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func (h *harness) countStatus(device, state string) int {
	n := 0
	for _, r := range h.oms.Events() {
		var d protocol.DeviceStatus
		if r.Event.Type == protocol.EventDeviceStatus && !r.Dup && json.Unmarshal(r.Event.Data, &d) == nil && d.Device == device && d.State == state {
			n++
		}
	}
	return n
}

// The outbox nearly full of critical events (broker gone for long): the station raises the alarm
// in the log, the birth and a device.status, refuses new work, and accepts it again once the
// backlog drains.
func TestOutboxFullAlarm(t *testing.T) {
	h := newHarness(t, `site: T
station: s1
roles: [pack]
mqtt: {broker: "%s", reconnect_max: 1s}
storage: {dir: "%s", max_outbox_mb: 1}
devices:
  - {name: scanner1, kind: scanner, driver: sim}
  - {name: scale1, kind: scale, driver: sim}
  - {name: printer1, kind: printer, driver: sim}
pack:
  scanner: scanner1
  scale: scale1
  printer: printer1
  boxes: [{id: BOX-S, inner_mm: [250, 200, 100], outer_mm: [260, 210, 110], tare_g: 120}]
`)
	c := ctx(t)
	if _, err := h.oms.WaitStatus(c, func(s string) bool { return strings.Contains(s, `"online":true`) }); err != nil {
		t.Fatal(err)
	}
	h.b.Stop()
	detail := strings.Repeat("x", 1000)
	for i := 0; !h.st.Store().Stats().Alarm; i++ {
		if i > 2000 {
			t.Fatal("no alarm after 2000 critical events of 1 KB in a 1 MiB outbox")
		}
		if err := h.st.Emit(c, protocol.EventPackException, protocol.PackException{OrderID: "A", Reason: "test", Detail: detail}); err != nil {
			t.Fatal(err)
		}
	}
	// The alarm is in the birth and, as a device.status of the outbox, in the outbox.
	for !strings.Contains(string(h.st.birth()), `"code":"outbox_full"`) {
		time.Sleep(5 * time.Millisecond)
	}
	found := false
	for !found {
		recs, err := h.st.Store().Pending(0, 5000)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			found = found || r.Type == protocol.EventDeviceStatus && strings.Contains(string(r.Payload), `"device":"outbox","kind":"storage","state":"fault"`)
		}
		time.Sleep(5 * time.Millisecond)
	}
	// New work is refused; a ping is not work.
	order := `{"v":1,"id":"o1","type":"pack.order","data":{"order_id":"A1","carrier":"colissimo","ship_to":{"name":"N","street":"S","postcode":"75001","city":"Paris","country":"FR"},"lines":[{"line":"1","sku":"SKU1","qty":1,"unit_weight_g":100}]}}`
	res, err := h.st.in.Process(c, "wh/v1/T/s1/cmd/pack.order", []byte(order))
	if err != nil || res.Error == nil || res.Error.Code != protocol.CodeStorageFull {
		t.Fatalf("pack.order while full: %+v %v", res, err)
	}
	// The broker is back: the backlog drains, the alarm clears, work is accepted.
	h.b.Restart()
	for h.st.Store().Stats().Alarm {
		select {
		case <-c.Done():
			t.Fatal("alarm not cleared after the backlog drained")
		case <-time.After(10 * time.Millisecond):
		}
	}
	res, err = h.st.in.Process(c, "wh/v1/T/s1/cmd/pack.order", []byte(order))
	if err != nil || !res.OK {
		t.Fatalf("pack.order after the drain: %+v %v", res, err)
	}
}
