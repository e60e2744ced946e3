package printq

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stationd/stationd/agent/intake"
	"github.com/stationd/stationd/protocol"
)

// fakeRender knows template "ship" (field "name" required) and "broken" (fails).
func fakeRender(printer, template string, fields map[string]string) ([]byte, error) {
	switch template {
	case "ship":
		name, ok := fields["name"]
		if !ok {
			return nil, &FieldError{Field: "name", Msg: "is required"}
		}
		return fmt.Appendf(nil, "^XA^FO10,10^FH^FD%s^FS^XZ", name), nil
	case "broken":
		return nil, errors.New("font missing")
	}
	return nil, fmt.Errorf("%w %q", ErrUnknownTemplate, template)
}

func TestLabelPrintValidation(t *testing.T) {
	withRender := func(d *Deps) { d.Render = fakeRender }
	noDefault := func(d *Deps) { d.Render = fakeRender; d.Default = "" }
	for _, tc := range []struct {
		name    string
		deps    func(*Deps)
		data    protocol.LabelPrint
		code    string // "" for ok
		msg     string // in the message
		printer string // ok: the job's printer
		zpl     string // ok: the job's ZPL
		copies  int
	}{
		{"zpl", withRender, protocol.LabelPrint{ZPL: zplA}, "", "", "p1", zplA, 1},
		{"zpl to p2, 3 copies", withRender, protocol.LabelPrint{Printer: "p2", ZPL: zplA, Copies: 3}, "", "", "p2", zplA, 3},
		{"template", withRender, protocol.LabelPrint{Template: "ship", Fields: map[string]string{"name": "Hélène"}}, "", "", "p1", "^XA^FO10,10^FH^FDHélène^FS^XZ", 1},
		{"copies 100", withRender, protocol.LabelPrint{ZPL: zplA, Copies: 100}, "", "", "p1", zplA, 100},
		{"neither", withRender, protocol.LabelPrint{}, protocol.CodeInvalid, "data: exactly one of zpl and template", "", "", 0},
		{"both", withRender, protocol.LabelPrint{ZPL: zplA, Template: "ship"}, protocol.CodeInvalid, "data.template: exactly one of zpl and template", "", "", 0},
		{"copies 101", withRender, protocol.LabelPrint{ZPL: zplA, Copies: 101}, protocol.CodeInvalid, "data.copies: must be 1 to 100", "", "", 0},
		{"copies negative", withRender, protocol.LabelPrint{ZPL: zplA, Copies: -1}, protocol.CodeInvalid, "data.copies", "", "", 0},
		{"unknown printer", withRender, protocol.LabelPrint{Printer: "p9", ZPL: zplA}, protocol.CodeNotFound, `data.printer: "p9" is not a printer of this station (printers: p1, p2)`, "", "", 0},
		{"no default printer", noDefault, protocol.LabelPrint{ZPL: zplA}, protocol.CodeNotFound, "data.printer: not given, and the station has no default printer", "", "", 0},
		{"refused ^JU", withRender, protocol.LabelPrint{ZPL: "^XA^JUS^XZ"}, protocol.CodeInvalid, "data.zpl: ^JU", "", "", 0},
		{"refused ~JR", withRender, protocol.LabelPrint{ZPL: "^XA^FDx^FS^XZ~JR"}, protocol.CodeInvalid, "data.zpl: ~JR", "", "", 0},
		{"refused ~HS", withRender, protocol.LabelPrint{ZPL: "~HS"}, protocol.CodeInvalid, "data.zpl: ~HS", "", "", 0},
		{"not a format", withRender, protocol.LabelPrint{ZPL: "hello"}, protocol.CodeInvalid, "data.zpl: ", "", "", 0},
		{"zpl too large", withRender, protocol.LabelPrint{ZPL: "^XA^FD" + strings.Repeat("x", 300<<10) + "^FS^XZ"}, protocol.CodeTooLarge, "data.zpl: ", "", "", 0},
		{"job too large", withRender, protocol.LabelPrint{ZPL: "^XA^FD" + strings.Repeat("x", 200<<10) + "^FS^XZ", Copies: 50}, protocol.CodeInvalid, "data.copies: 50 copies", "", "", 0},
		{"unknown template", withRender, protocol.LabelPrint{Template: "nope"}, protocol.CodeNotFound, `data.template: "nope" is not a label template`, "", "", 0},
		{"missing field", withRender, protocol.LabelPrint{Template: "ship"}, protocol.CodeInvalid, "data.fields.name: is required", "", "", 0},
		{"render fails", withRender, protocol.LabelPrint{Template: "broken"}, protocol.CodeInternal, "font missing", "", "", 0},
		{"no templates", nil, protocol.LabelPrint{Template: "ship"}, protocol.CodeNotFound, "no label templates", "", "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, "", tc.deps)
			cmd := protocol.Command{V: 1, ID: "cmd-1", Type: protocol.CommandLabelPrint}
			perr := f.q.handleLabelPrint(context.Background(), cmd, tc.data)
			jobs := f.jobs()
			if tc.code != "" {
				if perr == nil || perr.Code != tc.code || !strings.Contains(perr.Message, tc.msg) {
					t.Errorf("result %v, want %s containing %q", perr, tc.code, tc.msg)
				}
				if len(jobs) != 0 {
					t.Errorf("refused command queued %d jobs", len(jobs))
				}
				return
			}
			if perr != nil {
				t.Fatalf("result %v, want ok", perr)
			}
			if len(jobs) != 1 {
				t.Fatalf("%d jobs, want 1", len(jobs))
			}
			j := jobs[0]
			if j.Printer != tc.printer || j.Copies != tc.copies || j.Origin != "cmd:cmd-1" || j.State != StateQueued {
				t.Errorf("job %+v, want printer %s, %d copies, origin cmd:cmd-1, queued", j, tc.printer, tc.copies)
			}
			if got := f.zplOf(j.ID); got != tc.zpl {
				t.Errorf("job ZPL %q, want %q", got, tc.zpl)
			}
		})
	}
}

// TestLabelPrintRedelivered: a label.print delivered again (the station stopped between queuing
// the job and recording the command.result) does not queue a second job.
func TestLabelPrintRedelivered(t *testing.T) {
	f := newFixture(t, "", nil)
	cmd := protocol.Command{V: 1, ID: "cmd-7", Type: protocol.CommandLabelPrint}
	for range 2 {
		if perr := f.q.handleLabelPrint(context.Background(), cmd, protocol.LabelPrint{ZPL: zplA}); perr != nil {
			t.Fatal(perr)
		}
	}
	if n := len(f.jobs()); n != 1 {
		t.Errorf("%d jobs, want 1", n)
	}
	// A pointer works as well as a value; anything else is a bug reported as internal.
	if perr := f.q.handleLabelPrint(context.Background(), protocol.Command{ID: "cmd-8"}, &protocol.LabelPrint{ZPL: zplB}); perr != nil {
		t.Error(perr)
	}
	if perr := f.q.handleLabelPrint(context.Background(), protocol.Command{ID: "cmd-9"}, protocol.StationPing{}); perr == nil || perr.Code != protocol.CodeInternal {
		t.Errorf("wrong data type: %v, want internal", perr)
	}
}

// TestLabelPrintThroughIntake runs label.print from its MQTT payload to the printer: the
// command.result says queued, then label.printed follows with the job's id.
func TestLabelPrintThroughIntake(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, "", nil)
		p := f.printer("p2")
		in := intake.New(f.store, intake.Options{Roles: []string{protocol.RolePack}, Now: time.Now})
		f.q.Register(in)
		f.start()
		payload := `{"v":1,"id":"c-1","type":"label.print","data":{"printer":"p2","zpl":"` + zplA + `","copies":2}}`
		res, err := in.Process(context.Background(), "wh/v1/T/s1/cmd/label.print", []byte(payload))
		if err != nil {
			t.Fatal(err)
		}
		if !res.OK {
			t.Fatalf("command.result %+v, want ok", res)
		}
		refused, err := in.Process(context.Background(), "wh/v1/T/s1/cmd/label.print", []byte(`{"v":1,"id":"c-2","type":"label.print","data":{"zpl":"^XA^JUF^XZ"}}`))
		if err != nil {
			t.Fatal(err)
		}
		if refused.OK || refused.Error.Code != protocol.CodeInvalid || !strings.Contains(refused.Error.Message, "^JU") {
			t.Errorf("command.result %+v, want invalid naming ^JU", refused)
		}
		synctest.Wait()
		if got := p.Printed(); !slices.Equal(got, []string{zplA + zplA}) {
			t.Errorf("printed %q", got)
		}
		evs := f.events()
		if len(evs) != 1 || evs[0].Type != protocol.EventLabelPrinted || evs[0].Data.Printer != "p2" {
			t.Fatalf("events %+v", evs)
		}
		if st, ok := f.lookup(evs[0].Data.JobID); !ok || st.Origin != "cmd:c-1" || st.State != StatePrinted {
			t.Errorf("Lookup(%s) = %+v %v", evs[0].Data.JobID, st, ok)
		}
	})
}
