package station

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/stationd/stationd/agent"
	"github.com/stationd/stationd/agent/config"
	"github.com/stationd/stationd/agent/supervisor"
	"github.com/stationd/stationd/devices"
	"github.com/stationd/stationd/devices/lights"
	"github.com/stationd/stationd/devices/printer"
	"github.com/stationd/stationd/devices/scale"
	"github.com/stationd/stationd/devices/scanner"
	"github.com/stationd/stationd/devices/scanner/barcode"
	"github.com/stationd/stationd/devices/serialport"
	"github.com/stationd/stationd/protocol"
)

// A workflow is one goroutine owning a piece of the station's work (packing, picking, ...): it
// registers its command handlers before Run, and consumes scans and button presses from the hub.
type workflow interface {
	Name() string
	Register(agent.Handlers)
	Run(ctx context.Context) error
}

type agentHandlers = agent.Handlers

// hub connects the devices to the workflows: device runners (one per configured device, run by
// the supervisor) publish scans, weights and presses here, and the workflows find the open
// scale, printer and lights here.
type hub struct {
	s *Station

	mu       sync.Mutex
	monitors map[string]*scale.Monitor
	printers map[string]printer.Printer
	lights   map[string]lights.Lights
	kicks    map[string]chan struct{} // per printer: check its status now
	scanSubs []scanSub
	btnSubs  []chan agent.Press
}

type scanSub struct {
	c    chan agent.Scan
	skip string // a device whose scans this subscriber does not take
}

func newHub(s *Station) *hub {
	return &hub{s: s, monitors: map[string]*scale.Monitor{}, printers: map[string]printer.Printer{}, lights: map[string]lights.Lights{}, kicks: map[string]chan struct{}{}}
}

// devices returns one supervised device per configured entry.
func (h *hub) devices(cfg *config.Config) []supervisor.Device {
	var out []supervisor.Device
	for _, spec := range cfg.Devices {
		d := supervisor.Device{Spec: spec}
		switch spec.Kind {
		case devices.KindScanner:
			d.Run = h.runScanner(spec)
		case devices.KindScale:
			d.Run = h.runScale(spec)
		case devices.KindPrinter:
			d.Run = h.runPrinter(spec)
		case devices.KindLights:
			d.Run = h.runLights(spec)
		default:
			continue
		}
		out = append(out, d)
	}
	return out
}

// reload hands a new config to the parts that apply changes live.
func (h *hub) reload(cfg *config.Config) {}

// subscribeScans returns a channel receiving every scan; the workflow must keep reading it.
func (h *hub) subscribeScans() <-chan agent.Scan { return h.subscribeScansExcept("") }

// subscribeScansExcept returns a channel receiving every scan but those of device skip.
func (h *hub) subscribeScansExcept(skip string) <-chan agent.Scan {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := make(chan agent.Scan, 16)
	h.scanSubs = append(h.scanSubs, scanSub{c: c, skip: skip})
	return c
}

// subscribeButtons returns a channel receiving every button press.
func (h *hub) subscribeButtons() <-chan agent.Press {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := make(chan agent.Press, 16)
	h.btnSubs = append(h.btnSubs, c)
	return c
}

// Monitor returns the running monitor of scale name, or nil while it is not open.
func (h *hub) Monitor(name string) *scale.Monitor {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.monitors[name]
}

// Printer returns the open printer name, or nil.
func (h *hub) Printer(name string) printer.Printer {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.printers[name]
}

// Lights returns the open lights device name, or nil.
func (h *hub) Lights(name string) lights.Lights {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.lights[name]
}

func setHandle[T any](h *hub, m map[string]T, name string, v T) {
	h.mu.Lock()
	m[name] = v
	h.mu.Unlock()
}

func dropHandle[T any](h *hub, m map[string]T, name string) {
	h.mu.Lock()
	delete(m, name)
	h.mu.Unlock()
}

func (h *hub) env(spec devices.Spec) devices.Env {
	e := h.s.opts.Env
	e.Log = h.s.log.With("device", spec.Name)
	return e
}

// gone tells a device that is missing or unplugged from one that is broken.
func gone(err error, disconnected ...error) error {
	for _, d := range append(disconnected, serialport.ErrNotFound, serialport.ErrClosed) {
		if errors.Is(err, d) {
			return supervisor.Disconnected(err)
		}
	}
	return err
}

func (h *hub) runScanner(spec devices.Spec) func(context.Context, supervisor.Reporter) error {
	return func(ctx context.Context, r supervisor.Reporter) error {
		sc, err := scanner.Open(ctx, spec, h.env(spec))
		if err != nil {
			return gone(err, scanner.ErrDisconnected)
		}
		defer sc.Close()
		r.OK()
		for {
			s, err := sc.Read(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return gone(err, scanner.ErrDisconnected)
			}
			h.scan(ctx, spec.Name, s)
		}
	}
}

// scan publishes the scan telemetry and hands the scan to the workflows.
func (h *hub) scan(ctx context.Context, device string, s scanner.Scan) {
	d := barcode.Decode(s.Data)
	h.s.log.Debug("scan", "device", device, "code", d.Code, "symbology", d.Symbology)
	if d.Err != nil {
		h.s.log.Info("scan: "+d.Err.Error(), "device", device)
	}
	if h.s.cfg.Load().Telemetry.Scans {
		ev := scanEvent(device, d)
		if err := h.s.Emit(ctx, protocol.EventScan, ev); err != nil {
			h.s.log.Warn("scan telemetry not recorded: "+err.Error(), "device", device)
		}
	}
	h.mu.Lock()
	subs := h.scanSubs
	h.mu.Unlock()
	for _, sub := range subs {
		if sub.skip == device {
			continue
		}
		select {
		case sub.c <- agent.Scan{Device: device, Data: s.Data, At: s.At, Decoded: d}:
		case <-ctx.Done():
			return
		}
	}
}

// scanEvent is the contract's scan event for a decoded scan. The decoder knows more symbologies
// and error kinds than the contract names; on the wire they are folded into the contract's
// vocabulary (the aim field still tells the exact symbology, the log the exact error).
func scanEvent(device string, d barcode.Result) protocol.Scan {
	ev := protocol.Scan{Device: device, Code: d.Code, Symbology: d.Symbology, AIM: d.AIM, GTIN: d.GTIN}
	if !contractSymbologies[ev.Symbology] {
		ev.Symbology = protocol.SymbologyUnknown
	}
	switch string(d.Error) {
	case "":
		if len(d.GS1) > 0 {
			ev.GS1 = d.GS1.Map()
		}
	case protocol.ScanBadCheckDigit, protocol.ScanUnknownAI, protocol.ScanBadLength, protocol.ScanBadDate:
		ev.Error, ev.GTIN = string(d.Error), ""
	default: // bad_character, bad_format: a malformed element string
		ev.Error, ev.GTIN = protocol.ScanBadLength, ""
	}
	return ev
}

var contractSymbologies = map[string]bool{
	protocol.SymbologyCode128: true, protocol.SymbologyGS1128: true, protocol.SymbologyEAN13: true,
	protocol.SymbologyEAN8: true, protocol.SymbologyUPCA: true, protocol.SymbologyUPCE: true,
	protocol.SymbologyITF: true, protocol.SymbologyCode39: true, protocol.SymbologyCode93: true,
	protocol.SymbologyCodabar: true, protocol.SymbologyQR: true, protocol.SymbologyGS1QR: true,
	protocol.SymbologyDataMatrix: true, protocol.SymbologyGS1DataMatrix: true, protocol.SymbologyPDF417: true,
	protocol.SymbologyAztec: true, protocol.SymbologyGS1DataBar: true, protocol.SymbologyUnknown: true,
}

func (h *hub) runScale(spec devices.Spec) func(context.Context, supervisor.Reporter) error {
	return func(ctx context.Context, r supervisor.Reporter) error {
		mc, err := scale.MonitorConfigFor(spec)
		if err != nil {
			return err
		}
		sc, err := scale.Open(ctx, spec, h.env(spec))
		if err != nil {
			return gone(err, scale.ErrDisconnected)
		}
		defer sc.Close()
		throttle := scale.Throttle{}
		mc.Log = h.s.log.With("device", spec.Name)
		mc.OnSample = func(s scale.Sample) {
			every := h.s.cfg.Load().Telemetry.WeightEvery
			if every <= 0 {
				return
			}
			throttle.Every = every
			// The event carries the reading's time, to the millisecond as on the wire, and the
			// throttle judges that same time: two weight events are never closer than weight_ms.
			at := s.Time.Truncate(time.Millisecond)
			if throttle.Allow(at) {
				// The append waits for one fsync: a few ms, well under any poll interval.
				ev := protocol.Weight{Device: spec.Name, Grams: s.Mass.Grams(), Stable: s.Stable}
				if err := h.s.EmitAt(ctx, protocol.EventWeight, at, ev); err != nil {
					h.s.log.Warn("weight telemetry not recorded: "+err.Error(), "device", spec.Name)
				}
			}
		}
		mc.OnStatus = func(st scale.Status) {
			switch st.State {
			case devices.StateOK:
				r.OK()
			case devices.StateFault:
				r.Fault(st.Detail)
			}
		}
		m := scale.NewMonitor(sc, mc)
		setHandle(h, h.monitors, spec.Name, m)
		defer dropHandle(h, h.monitors, spec.Name)
		err = m.Run(ctx)
		if ctx.Err() != nil {
			return nil
		}
		return gone(err, scale.ErrDisconnected)
	}
}

// printerPoll is how often an idle printer's status is asked for, so that paper out or a pulled
// cable shows in device.status before the next label.
const printerPoll = 15 * time.Second

func (h *hub) runPrinter(spec devices.Spec) func(context.Context, supervisor.Reporter) error {
	return func(ctx context.Context, r supervisor.Reporter) error {
		p, err := printer.Open(ctx, spec, h.env(spec))
		if err != nil {
			return err
		}
		defer p.Close()
		setHandle(h, h.printers, spec.Name, p)
		defer dropHandle(h, h.printers, spec.Name)
		t := time.NewTicker(printerPoll)
		defer t.Stop()
		kick := h.printerKick(spec.Name)
		for {
			st, err := p.Status(ctx)
			switch {
			case ctx.Err() != nil:
				return nil
			case printer.Reason(err) == printer.ReasonOffline:
				// Keep the printer open (it reconnects by itself) but say it is gone.
				r.Gone(err.Error())
			case err != nil:
				r.Fault(err.Error())
			case st.Err() != nil:
				r.Fault(st.Err().Error())
			default:
				r.OK()
			}
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
			case <-kick:
			}
		}
	}
}

// printerKick returns the channel that makes printer name's runner check its status now.
func (h *hub) printerKick(name string) chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.kicks[name]
	if c == nil {
		c = make(chan struct{}, 1)
		h.kicks[name] = c
	}
	return c
}

// checkPrinter asks printer name's runner to check its status at once (after a job's outcome,
// so that paper out shows in device.status without waiting for the next poll).
func (h *hub) checkPrinter(name string) {
	select {
	case h.printerKick(name) <- struct{}{}:
	default:
	}
}

func (h *hub) runLights(spec devices.Spec) func(context.Context, supervisor.Reporter) error {
	return func(ctx context.Context, r supervisor.Reporter) error {
		cfg := h.s.cfg.Load()
		l, err := lights.Open(ctx, spec, lights.Env{Env: h.env(spec), Buttons: lights.Buttons{Debounce: cfg.Pick.Debounce, LongPress: cfg.Pick.LongPress}})
		if err != nil {
			return gone(err, lights.ErrDisconnected)
		}
		defer l.Close()
		setHandle(h, h.lights, spec.Name, l)
		defer dropHandle(h, h.lights, spec.Name)
		r.OK()
		var wg sync.WaitGroup
		if ev := l.Events(); ev != nil {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for b := range ev { // closed when Run returns
					h.mu.Lock()
					subs := h.btnSubs
					h.mu.Unlock()
					for _, c := range subs {
						select {
						case c <- agent.Press{Device: spec.Name, Input: b.Input, Long: b.Long, At: b.At}:
						case <-ctx.Done():
						}
					}
				}
			}()
		}
		err = l.Run(ctx)
		wg.Wait()
		if ctx.Err() != nil {
			return nil
		}
		return gone(err, lights.ErrDisconnected)
	}
}
