package station

import (
	"context"
	"time"

	"github.com/stationd/stationd/agent/config"
	"github.com/stationd/stationd/agent/packing"
	"github.com/stationd/stationd/agent/picking"
	"github.com/stationd/stationd/agent/printq"
	"github.com/stationd/stationd/agent/returns"
	"github.com/stationd/stationd/devices"
	"github.com/stationd/stationd/devices/lights"
	"github.com/stationd/stationd/devices/printer/label"
	"github.com/stationd/stationd/protocol"
)

// workflows returns the station's workflows for cfg: the print queue and light.set on every
// station, packing with the pack role, pick and put with theirs, and the KPI timer.
func (h *hub) workflows(cfg *config.Config) ([]workflow, error) {
	var ws []workflow
	log := h.s.log

	var printers []string
	for _, d := range cfg.Devices {
		if d.Kind == devices.KindPrinter {
			printers = append(printers, d.Name)
		}
	}
	def := cfg.Pack.Printer
	if def == "" && len(printers) == 1 {
		def = printers[0]
	}
	tmpls, err := label.Templates()
	if err != nil {
		return nil, err
	}
	q := printq.New(printq.Deps{
		Store: h.s.store,
		Printer: func(name string) printq.Printer {
			if p := h.Printer(name); p != nil {
				return p
			}
			return nil // never a nil printer.Printer inside the interface
		},
		Printers: printers,
		Default:  def,
		Render:   printq.Templates(tmpls, h.dpi),
		Notify: func(o printq.LabelOutcome) {
			h.checkPrinter(o.Printer)
			if !o.OK {
				log.Warn("label not printed: "+o.Reason, "printer", o.Printer, "job_id", o.JobID, "origin", o.Origin)
			}
		},
		Now: h.s.opts.Now,
		Log: log.With("workflow", "printq"),
	})
	ws = append(ws, namedWorkflow{"printq", q})

	var pack *packing.Workflow
	if cfg.HasRole(protocol.RolePack) {
		pack, err = packing.New(packing.Deps{
			Store: h.s.store,
			Scans: h.subscribeScans(),
			Scale: func() packing.ScaleSource {
				if m := h.Monitor(h.s.cfg.Load().Pack.Scale); m != nil {
					return m
				}
				return nil
			},
			Labels:   q,
			Feedback: packing.FeedbackFunc(h.packFeedback),
			Config:   h.s.cfg.Load,
			Now:      h.s.opts.Now,
			Log:      log.With("workflow", "packing"),
			DPI:      h.dpi,
		})
		if err != nil {
			return nil, err
		}
		ws = append(ws, pack)
	}

	pd := picking.Deps{
		Store: h.s.store, Presses: h.subscribeButtons(), Lights: h,
		Config: h.s.cfg.Load, Now: h.s.opts.Now, Log: log.With("workflow", "picking"),
	}
	if cfg.HasRole(protocol.RolePut) {
		pd.Scans = h.subscribeScans()
	}
	pick, err := picking.New(pd)
	if err != nil {
		return nil, err
	}
	ws = append(ws, pick)

	var ret *returns.Workflow
	if cfg.HasRole(protocol.RoleReturns) {
		// A station that packs and takes returns needs a second scanner for returns: the pack
		// scanner's scans go to packing only. A returns-only station takes every scanner.
		packScanner := ""
		if pack != nil {
			packScanner = cfg.Pack.Scanner
		}
		ret, err = returns.New(returns.Deps{
			Store: h.s.store,
			Scans: h.subscribeScansExcept(packScanner),
			Scale: func() returns.ScaleSource {
				if m := h.Monitor(h.s.cfg.Load().Pack.Scale); m != nil {
					return m
				}
				return nil
			},
			Config: h.s.cfg.Load, Now: h.s.opts.Now, Log: log.With("workflow", "returns"),
		})
		if err != nil {
			return nil, err
		}
		ws = append(ws, ret)
	}

	if pack != nil || ret != nil {
		ws = append(ws, &kpiLoop{s: h.s, take: func() protocol.StationKPI {
			var k protocol.StationKPI
			if pack != nil {
				k = pack.TakeKPI()
			}
			if ret != nil {
				if k.Returns == nil {
					k.Returns = map[string]int64{}
				}
				for reason, n := range ret.KPI() {
					k.Returns[reason] += int64(n)
				}
			}
			return k
		}})
	}
	return ws, nil
}

// runner is a workflow without a name.
type runner interface {
	Register(h agentHandlers)
	Run(ctx context.Context) error
}

// namedWorkflow gives a name to a workflow that has none.
type namedWorkflow struct {
	name string
	runner
}

func (n namedWorkflow) Name() string { return n.name }

// dpi is the resolution of an open printer, 0 (the template default) when it is not open.
func (h *hub) dpi(name string) int {
	if p := h.Printer(name); p != nil {
		return p.DPI()
	}
	return 0
}

// packFeedback shows the packer what happened on the station light (pack.station_light) and in
// the log, at once.
func (h *hub) packFeedback(kind, text string) {
	cfg := h.s.cfg.Load()
	level := h.s.log.Info
	st := lights.State{}
	switch kind {
	case packing.SignalOK:
		st = lights.State{Color: lights.Green}
	case packing.SignalMismatch:
		st, level = lights.State{Color: lights.Red, Blink: true}, h.s.log.Warn
	case packing.SignalWaitingWeight:
		st = lights.State{Color: lights.Yellow, Blink: true}
	case packing.SignalException:
		st, level = lights.State{Color: lights.Red}, h.s.log.Warn
	case packing.SignalDone:
		st = lights.State{Color: lights.Green, Blink: true}
	}
	level("packer: "+text, "signal", kind)
	if cfg.Pack.StationLight == "" {
		return
	}
	loc, ok := cfg.Location(cfg.Pack.StationLight)
	if !ok {
		return
	}
	if l := h.Lights(loc.Device); l != nil {
		if err := l.Set(lights.Target{First: loc.First, Last: loc.Last}, st); err != nil {
			h.s.log.Warn("station light: "+err.Error(), "location", loc.ID)
		}
	}
}

// kpiLoop appends station.kpi every kpi.interval (read live, 0 is off).
type kpiLoop struct {
	s    *Station
	take func() protocol.StationKPI
}

func (k *kpiLoop) Name() string           { return "kpi" }
func (k *kpiLoop) Register(agentHandlers) {}
func (k *kpiLoop) Run(ctx context.Context) error {
	for {
		every := k.s.cfg.Load().KPI.Interval
		if every <= 0 {
			every = time.Minute // check again later: a reload may turn it on
		}
		t := time.NewTimer(every)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		if k.s.cfg.Load().KPI.Interval <= 0 {
			continue
		}
		if err := k.s.Emit(ctx, protocol.EventStationKPI, k.take()); err != nil {
			k.s.log.Warn("station.kpi not recorded: " + err.Error())
		}
	}
}
