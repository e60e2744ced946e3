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
	"sort"
	"strings"
	"sync"
	"text/template"
	"time"

	"github.com/stationd/stationd/agent/broker"
	"github.com/stationd/stationd/agent/config"
	"github.com/stationd/stationd/agent/omssim"
	"github.com/stationd/stationd/agent/station"
	"github.com/stationd/stationd/devices"
	"github.com/stationd/stationd/protocol"
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

// scannerSim, scaleSim, ... are the parts of the simulators the script uses.
type scannerSim interface{ Feed(code string) }

// Run runs the demo and returns an error when the station broke a rule of the contract on the
// way (a gap in seq, a missing result): the demo doubles as a smoke test.
func Run(ctx context.Context, o Options) error {
	d := &run{o: o, start: time.Now(), sims: map[string]any{}}
	return d.main(ctx)
}

type run struct {
	o     Options
	start time.Time
	out   sync.Mutex
	sims  map[string]any
	simMu sync.Mutex
	simCh chan struct{}
}

func (d *run) say(format string, args ...any) {
	d.out.Lock()
	defer d.out.Unlock()
	fmt.Fprintf(d.o.Out, "%6.2fs  %s\n", time.Since(d.start).Seconds(), fmt.Sprintf(format, args...))
}

func (d *run) step(title string) {
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
	return nil
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

// printEvent prints one event as the OMS received it.
func (d *run) printEvent(r omssim.Received) {
	ev := r.Event
	dup := ""
	if r.Dup {
		dup = " (re-sent)"
	}
	d.say("OMS ← #%-3d %-16s %s%s", ev.Seq, ev.Type, summary(ev.Type, ev.Data), dup)
}

func (d *run) printStatus(payload string) {
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
