// Package demo is `stationd demo`: the station's production wiring (agent/station) on an
// embedded config with simulated devices, an in-process MQTT broker and the OMS simulator, driven
// by a script that shows what the station does, printed as it flows. It needs no network, no
// hardware, no root and no config file, and ends by itself.
package demo

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"text/template"
	"time"

	"github.com/stationd/stationd/agent/broker"
	"github.com/stationd/stationd/agent/config"
	"github.com/stationd/stationd/agent/omssim"
	"github.com/stationd/stationd/agent/station"
	"github.com/stationd/stationd/devices"
	"github.com/stationd/stationd/devices/lights"
	"github.com/stationd/stationd/protocol"
	"github.com/stationd/stationd/protocol/units"
)

//go:embed station.yaml.tmpl
var configTemplate string

// Options configures a demo run.
type Options struct {
	Out     io.Writer    // the transcript
	Log     *slog.Logger // the station's own log (nil: discarded)
	Version string
	Dir     string // storage directory; "" makes a temporary one, removed at the end
}

// The parts of the simulators the script uses.
type (
	scannerSim interface{ Feed(code string) }
	scaleSim   interface{ Set(units.Mass) }
	printerSim interface{ Jobs() [][]byte }
	lightsSim  interface {
		Press(input int) error
		LongPress(input int) error
		Lit() map[int]lights.State
		Display(i int) string
	}
)

// Run runs the demo and returns an error when the station broke a rule of the contract on the
// way (a gap in seq, a missing result): the demo doubles as a smoke test.
func Run(ctx context.Context, o Options) error {
	d := &run{o: o, start: time.Now(), sims: map[string]any{}}
	return d.main(ctx)
}

type run struct {
	o       Options
	dir     string
	oms     *omssim.OMS
	printed atomic.Int64 // events printed so far
	quiet   atomic.Bool  // stop printing (the broker closing after the end)
	start   time.Time
	out     sync.Mutex
	sims    map[string]any
	simMu   sync.Mutex
	simCh   chan struct{}
}

func (d *run) say(format string, args ...any) {
	d.out.Lock()
	defer d.out.Unlock()
	fmt.Fprintf(d.o.Out, "%6.2fs  %s\n", time.Since(d.start).Seconds(), fmt.Sprintf(format, args...))
}

func (d *run) step(title string) {
	d.flush()
	d.out.Lock()
	defer d.out.Unlock()
	fmt.Fprintf(d.o.Out, "\n== %s\n", title)
}

func (d *run) attach(name string, sim any) {
	d.simMu.Lock()
	d.sims[name] = sim
	d.simMu.Unlock()
}

func (d *run) sim(name string) any {
	d.simMu.Lock()
	defer d.simMu.Unlock()
	return d.sims[name]
}

func (d *run) main(ctx context.Context) (err error) {
	ctx, cancel := context.WithTimeout(ctx, 25*time.Second)
	defer cancel()
	log := d.o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	dir := d.o.Dir
	if dir == "" {
		dir, err = os.MkdirTemp("", "stationd-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	d.dir = dir

	b, err := broker.Start("127.0.0.1:0", nil)
	if err != nil {
		return err
	}
	defer b.Close()
	cfg, err := d.config(b.URL(), dir)
	if err != nil {
		return fmt.Errorf("demo config: %w", err)
	}
	oms, err := omssim.Attach(b, omssim.Options{Prefix: cfg.MQTT.TopicPrefix, Site: cfg.Site, Station: cfg.Station, OnEvent: d.printEvent, OnStatus: d.printStatus})
	if err != nil {
		return err
	}
	d.oms = oms
	d.step("stationd demo: broker on " + b.URL() + ", station " + cfg.Site + "/" + cfg.Station + ", storage " + dir)

	st, err := station.New(station.Options{
		Config: cfg, Version: d.o.Version, Logger: log,
		Env: devices.Env{Attach: d.attach},
	})
	if err != nil {
		return err
	}
	stCtx, stopStation := context.WithCancel(context.Background())
	stDone := make(chan error, 1)
	go func() { stDone <- st.Run(stCtx) }()
	defer func() {
		stopStation()
		if e := <-stDone; e != nil && err == nil {
			err = e
		}
	}()

	if err := d.script(ctx, b, oms, st); err != nil {
		return err
	}

	d.step("shutdown: the station finishes its writes and publishes its offline status")
	stopStation()
	if e := <-stDone; e != nil {
		return e
	}
	stDone <- nil
	if _, err := oms.WaitStatus(ctx, func(s string) bool { return strings.Contains(s, `"reason":"shutdown"`) }); err != nil {
		return err
	}
	if err := oms.Check(); err != nil {
		return err
	}
	d.step(fmt.Sprintf("done: %d events received, seq 1..%d without a gap, in %.1fs", len(oms.Events()), oms.MaxSeq(), time.Since(d.start).Seconds()))
	d.quiet.Store(true)
	return nil
}

func (d *run) config(brokerURL, dir string) (*config.Config, error) {
	t, err := template.New("cfg").Parse(configTemplate)
	if err != nil {
		return nil, err
	}
	var sb strings.Builder
	if err := t.Execute(&sb, map[string]string{"Broker": brokerURL, "Dir": dir}); err != nil {
		return nil, err
	}
	return config.Parse("demo.yaml", []byte(sb.String()))
}

// script is the demonstration itself.
func (d *run) script(ctx context.Context, b *broker.Broker, oms *omssim.OMS, st *station.Station) error {
	d.step("1. the station connects: subscribes to its commands, then publishes its retained birth")
	if _, err := oms.WaitStatus(ctx, func(s string) bool { return strings.Contains(s, `"online":true`) }); err != nil {
		return err
	}
	if err := d.waitDevicesOK(ctx, st); err != nil {
		return err
	}

	d.step("2. the OMS pings the station: every command gets exactly one command.result")
	if err := d.command(ctx, oms, protocol.CommandStationPing, struct{}{}, true); err != nil {
		return err
	}
	d.say("→ the same command id sent again is not executed twice; its result is published again")
	if err := oms.SendID("demo-ping-dup", protocol.CommandStationPing, struct{}{}); err != nil {
		return err
	}
	if _, err := oms.Result(ctx, "demo-ping-dup"); err != nil {
		return err
	}
	if err := oms.SendID("demo-ping-dup", protocol.CommandStationPing, struct{}{}); err != nil {
		return err
	}
	if err := d.waitResults(ctx, oms, "demo-ping-dup", 2); err != nil {
		return err
	}
	d.say("→ a malformed command is answered, never a crash")
	if err := oms.SendRaw(protocol.CommandPackOrder, []byte(`{"v":1,"id":"demo-bad","type":"pack.order","data":{"order_id":42}`)); err != nil {
		return err
	}
	if _, err := oms.Result(ctx, "demo-bad"); err != nil {
		return err
	}

	scanner, ok := d.sim("scanner1").(scannerSim)
	if !ok {
		return errors.New("demo: the scanner simulator did not attach")
	}
	d.step("3. scans: decoded (AIM identifier, GS1 element string, GTIN check digit) and sent as telemetry")
	for _, code := range []string{"]E03614270350047", "]C1010361427035004717261231103L0T-42\x1d21SN00017", "]E03614270350042"} {
		scanner.Feed(code)
		if _, err := oms.WaitType(ctx, protocol.EventScan, matchCode(code)); err != nil {
			return err
		}
	}

	d.step("4. the broker goes down: events wait in the durable outbox")
	if err := b.Stop(); err != nil {
		return err
	}
	before := oms.MaxSeq()
	for _, code := range []string{"]E04006381333931", "]E09780201379624", "]E05012345678900"} {
		scanner.Feed(code)
	}
	if err := d.until(ctx, func() bool { return st.Store().Stats().LastSeq >= before+3 }); err != nil {
		return err
	}
	s := st.Store().Stats()
	d.say("outbox holds %d unsent events (seq %d..%d); the OMS has seen up to %d", s.Events, s.OldestSeq, s.NewestSeq, oms.MaxSeq())

	d.step("5. the broker is back: the station reconnects and the backlog arrives in seq order")
	if err := b.Restart(); err != nil {
		return err
	}
	last := st.Store().Stats().LastSeq
	if err := d.until(ctx, func() bool { return oms.MaxSeq() >= last }); err != nil {
		return fmt.Errorf("backlog after the broker restart: %w", err)
	}
	if err := d.pack(ctx, oms, st, scanner); err != nil {
		return err
	}
	if err := d.pick(ctx, oms); err != nil {
		return err
	}
	return d.ret(ctx, oms)
}

// ret is a return at the returns bench (its own scanner): announced by the OMS, scanned in with a
// reason from the barcode sheet (stationd sheet), weighed, and reported.
func (d *run) ret(ctx context.Context, oms *omssim.OMS) error {
	scanner, ok := d.sim("scanner2").(scannerSim)
	if !ok {
		return errors.New("demo: the returns scanner simulator did not attach")
	}
	scale, _ := d.sim("scale1").(scaleSim)
	d.step("9. a return: the OMS announces it, the operator scans the RMA, the item, a reason from the sheet, done")
	expect := protocol.ReturnExpect{RMAID: "RMA-5001", OrderID: "SO-0999", Lines: []protocol.ReturnExpectLine{{SKU: "MUG-BLUE", GTIN: "03614270350047", Qty: 1}}}
	if err := d.command(ctx, oms, protocol.CommandReturnExpect, expect, true); err != nil {
		return err
	}
	if scale != nil {
		scale.Set(0)
	}
	for _, code := range []string{"RMA-5001", "]E03614270350047", "RSN-DAMAGED"} {
		scanner.Feed(code)
		time.Sleep(50 * time.Millisecond)
	}
	if scale != nil {
		scale.Set(380 * units.Gram) // the parcel on the scale
		time.Sleep(600 * time.Millisecond)
	}
	scanner.Feed("RET-DONE")
	_, err := oms.WaitType(ctx, protocol.EventReturnReceived, nil)
	return err
}

// pack is a packing session (contract section 7): a mismatch, a weight out of tolerance fixed by
// the packer, a label.
func (d *run) pack(ctx context.Context, oms *omssim.OMS, st *station.Station, scanner scannerSim) error {
	scale, ok := d.sim("scale1").(scaleSim)
	if !ok {
		return errors.New("demo: the scale simulator did not attach")
	}
	d.step("6. packing: the OMS sends an order; the packer scans it, its items, and a wrong one")
	order := protocol.PackOrder{
		OrderID: "SO-1001", Carrier: "chronopost", Service: "13H", TrackingNumber: "XY123456789FR",
		ShipTo: protocol.ShipTo{Name: "Hélène Dupré", Street: "12 rue de la Paix", Postcode: "42000", City: "Saint-Étienne", Country: "FR"},
		Lines: []protocol.OrderLine{
			{Line: protocol.LineString("1"), SKU: "MUG-BLUE", GTIN: "03614270350047", Qty: 2, UnitWeightG: 350, DimsMM: [3]units.Length{120, 100, 100}},
			{Line: protocol.LineString("2"), SKU: "TEA-GREEN", GTIN: "05012345678900", Qty: 1, UnitWeightG: 120, DimsMM: [3]units.Length{80, 60, 40}, LotRequired: true},
		},
	}
	if err := d.command(ctx, oms, protocol.CommandPackOrder, order, true); err != nil {
		return err
	}
	steps := []struct{ code, event string }{
		{"SO-1001", protocol.EventPackStarted},
		{"]E05901234123457", protocol.EventPackMismatch}, // a real GTIN, not in this order
		{"]E03614270350047", protocol.EventPackItem},
		{"]E03614270350047", protocol.EventPackItem},
		{"]C1010501234567890010LOT-7", protocol.EventPackItem}, // GS1-128 with the lot the line requires
	}
	for _, s := range steps {
		n := d.count(oms, s.event)
		scanner.Feed(s.code)
		if err := d.until(ctx, func() bool { return d.count(oms, s.event) > n }); err != nil {
			return fmt.Errorf("after scanning %q: %w", s.code, err)
		}
	}
	d.step("7. weighing: BOX-S chosen (smallest that fits), expected 940 g; a stray 300 g on the scale")
	scale.Set(1240 * units.Gram)
	if _, err := oms.WaitType(ctx, protocol.EventPackException, nil); err != nil {
		return err
	}
	d.say("→ the packer lifts the parcel, removes the stray item and puts it back")
	scale.Set(0)
	time.Sleep(400 * time.Millisecond)
	scale.Set(945 * units.Gram)
	r, err := oms.WaitType(ctx, protocol.EventPackCompleted, nil)
	if err != nil {
		return err
	}
	var done protocol.PackCompleted
	json.Unmarshal(r.Event.Data, &done)
	if p, ok := d.sim("printer1").(printerSim); ok && len(p.Jobs()) > 0 {
		job := p.Jobs()[len(p.Jobs())-1]
		path := filepath.Join(d.dir, "label-SO-1001.zpl")
		os.WriteFile(path, job, 0o644)
		d.say("label: %d bytes of ZPL sent to printer1 (kept in %s)", len(job), path)
	}
	return nil
}

// pick is a pick-to-light batch: two locations light up, the picker confirms one and shorts the
// other.
func (d *run) pick(ctx context.Context, oms *omssim.OMS) error {
	shelf, ok := d.sim("shelf1").(lightsSim)
	if !ok {
		return errors.New("demo: the lights simulator did not attach")
	}
	d.step("8. pick-to-light: a batch of two tasks lights its locations with the quantities")
	batch := protocol.PickTasks{BatchID: "B-77", Tasks: []protocol.PickTask{
		{TaskID: "T1", Location: "A-01-01", SKU: "MUG-BLUE", Qty: 3},
		{TaskID: "T2", Location: "A-01-02", SKU: "TEA-GREEN", Qty: 2},
	}}
	if err := d.command(ctx, oms, protocol.CommandPickTasks, batch, true); err != nil {
		return err
	}
	d.say("shelf1: %s", d.describe(shelf))
	d.say("→ the picker takes 3 at A-01-01 and presses; finds only 1 at A-01-02: long press, the display counts down, long press again")
	shelf.Press(0)
	if _, err := oms.WaitType(ctx, protocol.EventPickConfirmed, nil); err != nil {
		return err
	}
	shelf.LongPress(1)
	time.Sleep(50 * time.Millisecond)
	shelf.LongPress(1)
	if _, err := oms.WaitType(ctx, protocol.EventPickCompleted, nil); err != nil {
		return err
	}
	d.say("shelf1: %s", d.describe(shelf))
	return nil
}

func (d *run) describe(l lightsSim) string {
	lit := l.Lit()
	if len(lit) == 0 {
		return "all off"
	}
	var parts []string
	for i := 0; i < 16; i++ {
		if st, ok := lit[i]; ok {
			parts = append(parts, fmt.Sprintf("output %d %v%s display %q", i, st.Color, map[bool]string{true: " blinking"}[st.Blink], l.Display(i)))
		}
	}
	return strings.Join(parts, "; ")
}

func (d *run) count(oms *omssim.OMS, typ string) int {
	n := 0
	for _, r := range oms.Events() {
		if r.Event.Type == typ && !r.Dup {
			n++
		}
	}
	return n
}

func matchCode(data string) func(json.RawMessage) bool {
	return func(raw json.RawMessage) bool {
		var s protocol.Scan
		return json.Unmarshal(raw, &s) == nil && strings.HasSuffix(data, s.Code) && s.Code != ""
	}
}

func (d *run) command(ctx context.Context, oms *omssim.OMS, typ string, data any, wantOK bool) error {
	id, err := oms.Send(typ, data)
	if err != nil {
		return err
	}
	res, err := oms.Result(ctx, id)
	if err != nil {
		return err
	}
	if res.OK != wantOK {
		return fmt.Errorf("demo: %s %s: ok=%v, want %v (%v)", typ, id, res.OK, wantOK, res.Error)
	}
	return nil
}

func (d *run) waitResults(ctx context.Context, oms *omssim.OMS, id string, n int) error {
	return d.until(ctx, func() bool {
		c := 0
		for _, r := range oms.Events() {
			var res protocol.CommandResult
			if r.Event.Type == protocol.EventCommandResult && !r.Dup && json.Unmarshal(r.Event.Data, &res) == nil && res.CommandID == id {
				c++
			}
		}
		return c >= n
	})
}

func (d *run) waitDevicesOK(ctx context.Context, st *station.Station) error {
	return d.until(ctx, func() bool {
		for _, s := range st.Devices() {
			if s.State != devices.StateOK {
				return false
			}
		}
		return true
	})
}

func (d *run) until(ctx context.Context, f func() bool) error {
	for !f() {
		select {
		case <-ctx.Done():
			return fmt.Errorf("demo: %w", ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
	return nil
}

// flush waits (briefly) until every event the OMS received has been printed, so that the
// transcript reads in order.
func (d *run) flush() {
	if d.oms == nil {
		return
	}
	deadline := time.Now().Add(300 * time.Millisecond)
	for int(d.printed.Load()) < len(d.oms.Events()) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
}

// printEvent prints one event as the OMS received it.
func (d *run) printEvent(r omssim.Received) {
	defer d.printed.Add(1)
	if d.quiet.Load() {
		return
	}
	ev := r.Event
	dup := ""
	if r.Dup {
		dup = " (re-sent)"
	}
	d.say("OMS ← #%-3d %-16s %s%s", ev.Seq, ev.Type, summary(ev.Type, ev.Data), dup)
}

func (d *run) printStatus(payload string) {
	if d.quiet.Load() {
		return
	}
	var st protocol.Status
	st, err := protocol.DecodeStatus([]byte(payload))
	if err != nil {
		d.say("OMS ← status %s", payload)
		return
	}
	if !st.Online {
		d.say("OMS ← status   offline (%s)", st.Offline.Reason)
		return
	}
	var devs []string
	for _, x := range st.Birth.Devices {
		devs = append(devs, x.Name+" "+x.State)
	}
	sort.Strings(devs)
	d.say("OMS ← status   online, version %s, roles %v, devices: %s", st.Birth.Version, st.Birth.Roles, strings.Join(devs, ", "))
}

func summary(typ string, data json.RawMessage) string {
	var m map[string]any
	json.Unmarshal(data, &m)
	switch typ {
	case protocol.EventDeviceStatus:
		s := fmt.Sprintf("%v %v", m["device"], m["state"])
		if det, ok := m["detail"]; ok {
			s += ": " + fmt.Sprint(det)
		}
		return s
	case protocol.EventCommandResult:
		if m["ok"] == true {
			return fmt.Sprintf("%v %v ok", m["command_type"], m["command_id"])
		}
		e, _ := m["error"].(map[string]any)
		return fmt.Sprintf("%v %v refused: %v (%v)", m["command_type"], m["command_id"], e["code"], e["message"])
	case protocol.EventScan:
		s := fmt.Sprintf("%q %v", strings.ReplaceAll(fmt.Sprint(m["code"]), "\x1d", "<GS>"), m["symbology"])
		for _, k := range []string{"gtin", "gs1", "error"} {
			if v, ok := m[k]; ok {
				s += fmt.Sprintf(" %s=%v", k, v)
			}
		}
		return s
	}
	s := string(data)
	if len(s) > 110 {
		s = s[:107] + "..."
	}
	return s
}
