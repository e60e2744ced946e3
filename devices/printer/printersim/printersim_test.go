package printersim

import (
	"context"
	"testing"
	"time"

	"github.com/stationd/stationd/devices"
	"github.com/stationd/stationd/devices/printer"
)

const job = "^XA^FO10,10^FH_^FDx^FS^XZ"

func TestSim(t *testing.T) {
	var attached any
	spec := devices.Spec{Name: "printer1", Kind: devices.KindPrinter, Driver: "sim", Options: map[string]any{"dpi": 300, "paper_out_after": 2}}
	p, err := printer.Open(context.Background(), spec, devices.Env{Attach: func(name string, sim any) {
		if name != "printer1" {
			t.Errorf("attached as %q", name)
		}
		attached = sim
	}})
	if err != nil {
		t.Fatal(err)
	}
	sim, ok := attached.(*Sim)
	if !ok || sim != p {
		t.Fatalf("Attach got %T, want the *Sim itself", attached)
	}
	if p.DPI() != 300 {
		t.Errorf("DPI = %d", p.DPI())
	}
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		setup  func()
		job    string
		reason string
		sent   bool
	}{
		{"prints", nil, job, "", false},
		{"paper runs out with the second job", nil, job, printer.ReasonPaperOut, true},
		{"refused while out of paper", nil, job, printer.ReasonPaperOut, false},
		{"paper loaded", func() { sim.SetPaperOut(false) }, job, "", false},
		{"head open", func() { sim.SetHeadOpen(true) }, job, printer.ReasonHeadOpen, false},
		{"paused", func() { sim.SetHeadOpen(false); sim.SetPaused(true) }, job, printer.ReasonPaused, false},
		{"ribbon", func() { sim.SetPaused(false); sim.SetRibbonOut(true) }, job, printer.ReasonRibbonOut, false},
		{"offline", func() { sim.SetRibbonOut(false); sim.SetOffline(true) }, job, printer.ReasonOffline, false},
		{"back", func() { sim.SetOffline(false) }, job, "", false},
		{"invalid", nil, "^XA^JUS^XZ", printer.ReasonInvalid, false},
	} {
		if tc.setup != nil {
			tc.setup()
		}
		err := p.Print(ctx, []byte(tc.job))
		if printer.Reason(err) != tc.reason || printer.Sent(err) != tc.sent {
			t.Errorf("%s: Print = %v (sent %v), want %q sent %v", tc.name, err, printer.Sent(err), tc.reason, tc.sent)
		}
	}
	if n := len(sim.Jobs()); n != 4 {
		t.Errorf("%d jobs kept, want 4", n)
	}
	wctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if _, err := sim.WaitJobs(wctx, 4); err != nil {
		t.Error(err)
	}
	if _, err := sim.WaitJobs(wctx, 5); err == nil {
		t.Error("WaitJobs(5) returned without a fifth job")
	}
	p.Close()
	if _, err := p.Status(ctx); printer.Reason(err) != printer.ReasonOffline {
		t.Errorf("Status after Close = %v", err)
	}
}

func TestValidate(t *testing.T) {
	if errs := Validate(devices.Spec{Options: map[string]any{"dpi": 250, "paper_out_after": -1}}); len(errs) != 2 {
		t.Errorf("errors %v, want dpi and paper_out_after", errs)
	}
}
