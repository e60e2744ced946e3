package printq

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stationd/stationd/agent/outbox"
	"github.com/stationd/stationd/devices/printer"
)

func TestPrintOK(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, "", nil)
		p := f.printer("p1")
		f.start()
		f.enqueue(LabelJob{ID: "j1", Origin: "pack:O-1", ZPL: []byte(zplA)})
		synctest.Wait()

		if got := p.Printed(); !slices.Equal(got, []string{zplA}) {
			t.Errorf("printed %q, want one %q", got, zplA)
		}
		if got, want := summary(f.events()), []string{"label.printed p1 order=O-1"}; !slices.Equal(got, want) {
			t.Errorf("events %q, want %q", got, want)
		}
		if ev := f.events()[0]; ev.Data.JobID != "j1" {
			t.Errorf("job_id %q, want j1", ev.Data.JobID)
		}
		if jobs := f.jobs(); len(jobs) != 0 {
			t.Errorf("%d jobs left, want none", len(jobs))
		}
		if st, ok := f.lookup("j1"); !ok || st.State != StatePrinted {
			t.Errorf("Lookup = %+v %v, want printed", st, ok)
		}
		want := []LabelOutcome{{JobID: "j1", Printer: "p1", Origin: "pack:O-1", OK: true}}
		if got := f.outcomes(); !slices.Equal(got, want) {
			t.Errorf("outcomes %+v, want %+v", got, want)
		}
	})
}

func TestCopiesRepeatTheFormat(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, "", nil)
		p := f.printer("p1")
		f.start()
		f.enqueue(LabelJob{Origin: "cmd:c1", ZPL: []byte(zplA), Copies: 3})
		synctest.Wait()
		if got, want := p.Printed(), []string{zplA + zplA + zplA}; !slices.Equal(got, want) {
			t.Errorf("printed %q, want %q (one Print, three formats)", got, want)
		}
	})
}

// TestFailureEpisode: each retryable reason is reported once, retried with backoff 1, 2, 4, 8,
// 8 s, and printed when the printer is back.
func TestFailureEpisode(t *testing.T) {
	reasons := []string{
		printer.ReasonOffline, printer.ReasonPaperOut, printer.ReasonHeadOpen, printer.ReasonRibbonOut,
		printer.ReasonPaused, printer.ReasonBufferFull, printer.ReasonHeadTooHot, printer.ReasonNotReady,
		printer.ReasonFault,
	}
	for _, reason := range reasons {
		t.Run(reason, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFixture(t, "", nil)
				p := f.printer("p1")
				p.set(func(p *fakePrinter) { p.errs = slices.Repeat([]error{perr(reason)}, 5) })
				f.start()
				start := time.Now()
				f.enqueue(LabelJob{ID: "j1", Origin: "pack:O-1", ZPL: []byte(zplA)})
				synctest.Wait()

				if got, want := summary(f.events()), []string{"label.failed p1 " + reason + " order=O-1"}; !slices.Equal(got, want) {
					t.Fatalf("after the first attempt: events %q, want %q", got, want)
				}
				if got := f.outcomes(); len(got) != 1 || got[0].OK || got[0].Reason != reason || !got[0].Retrying() {
					t.Errorf("outcomes %+v, want one failure %s", got, reason)
				}
				if jobs := f.jobs(); len(jobs) != 1 || jobs[0].State != StateQueued || !jobs[0].Reported {
					t.Errorf("jobs %+v, want j1 queued and reported", jobs)
				}

				time.Sleep(time.Minute)
				synctest.Wait()
				var offsets []time.Duration
				for _, c := range p.Calls() {
					offsets = append(offsets, c.Sub(start))
				}
				s := time.Second
				if want := []time.Duration{0, 1 * s, 3 * s, 7 * s, 15 * s, 23 * s}; !slices.Equal(offsets, want) {
					t.Errorf("Print called at %v, want %v", offsets, want)
				}
				if got, want := summary(f.events()), []string{"label.failed p1 " + reason + " order=O-1", "label.printed p1 order=O-1"}; !slices.Equal(got, want) {
					t.Errorf("events %q, want %q", got, want)
				}
				if got := p.Printed(); len(got) != 1 {
					t.Errorf("printed %d times, want once", len(got))
				}
				if got := f.outcomes(); len(got) != 1 || !got[0].OK {
					t.Errorf("outcomes %+v, want one OK", got)
				}
				if jobs := f.jobs(); len(jobs) != 0 {
					t.Errorf("jobs left: %+v", jobs)
				}
			})
		})
	}
}

// TestPrinterNotOpen: a printer that is not open is offline, once the station has had time to
// open it (openGrace after Run starts); the job prints once it opens.
func TestPrinterNotOpen(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, "", nil)
		f.start()
		f.enqueue(LabelJob{Origin: "cmd:c1", ZPL: []byte(zplA)})
		time.Sleep(openGrace - time.Millisecond)
		synctest.Wait()
		if got := summary(f.events()); len(got) != 0 {
			t.Fatalf("events %q within openGrace, want none", got)
		}
		time.Sleep(5 * time.Second) // attempts at 0, 1, 3, 7 s
		synctest.Wait()
		if got, want := summary(f.events()), []string{"label.failed p1 offline"}; !slices.Equal(got, want) {
			t.Fatalf("events %q, want %q", got, want)
		}
		time.Sleep(20 * time.Second)
		p := f.printer("p1")
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if got, want := summary(f.events()), []string{"label.failed p1 offline", "label.printed p1"}; !slices.Equal(got, want) {
			t.Errorf("events %q, want %q", got, want)
		}
		if len(p.Printed()) != 1 {
			t.Errorf("printed %q", p.Printed())
		}
		if got := f.outcomes(); len(got) != 0 {
			t.Errorf("outcomes for a cmd: job: %+v", got)
		}
		if got := f.notes(); len(got) != 2 || got[0].OK || !got[1].OK {
			t.Errorf("Notify got %+v, want a failure then a print", got)
		}
	})
}

func TestPermanentError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, "", nil)
		p := f.printer("p1")
		p.set(func(p *fakePrinter) { p.errs = []error{perr(printer.ReasonInvalid)} })
		f.start()
		f.enqueue(
			LabelJob{ID: "bad", Origin: "pack:O-1", ZPL: []byte(zplA)},
			LabelJob{ID: "good", Origin: "pack:O-2", ZPL: []byte(zplB)},
		)
		synctest.Wait()
		if got, want := summary(f.events()), []string{"label.failed p1 invalid order=O-1", "label.printed p1 order=O-2"}; !slices.Equal(got, want) {
			t.Errorf("events %q, want %q", got, want)
		}
		if st, ok := f.lookup("bad"); !ok || st.State != StateDropped || st.Reason != printer.ReasonInvalid {
			t.Errorf("Lookup(bad) = %+v %v, want dropped invalid", st, ok)
		}
		if got := p.Calls(); len(got) != 2 {
			t.Errorf("%d Print calls, want 2 (no retry of the invalid job)", len(got))
		}
		out := f.outcomes()
		if len(out) != 2 || out[0].OK || out[0].Retrying() || !out[1].OK {
			t.Errorf("outcomes %+v", out)
		}
	})
}

// TestRestartQueued: jobs queued when the station stops print after it starts again, in order.
func TestRestartQueued(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, "", nil)
		f.start()
		f.enqueue(LabelJob{ID: "j1", Origin: "cmd:c1", ZPL: []byte(zplA)}, LabelJob{ID: "j2", Origin: "cmd:c2", ZPL: []byte(zplB)})
		time.Sleep(10 * time.Second)
		synctest.Wait()
		f.close() // printer never opened: j1 failed offline once, and is not reported again

		f = newFixture(t, f.path, nil)
		p := f.printer("p1")
		f.start()
		synctest.Wait()
		if got, want := p.Printed(), []string{zplA, zplB}; !slices.Equal(got, want) {
			t.Errorf("printed %q, want %q", got, want)
		}
		if got, want := summary(f.events()), []string{"label.failed p1 offline", "label.printed p1", "label.printed p1"}; !slices.Equal(got, want) {
			t.Errorf("events %q, want %q", got, want)
		}
	})
}

// TestRestartSending: a job the station was sending when it stopped is reported interrupted and
// never printed again by itself; a pack job is held for a reprint, a label.print job dropped.
func TestRestartSending(t *testing.T) {
	for _, tc := range []struct {
		name, origin string
		held         bool
	}{
		{"pack job held", "pack:O-1", true},
		{"label.print job dropped", "cmd:c1", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFixture(t, "", nil)
				f.enqueue(LabelJob{ID: "j1", Origin: tc.origin, ZPL: []byte(zplA)}, LabelJob{ID: "j2", Origin: "cmd:c2", ZPL: []byte(zplB)})
				crashWhileSending(t, f, "j1")
				f.close()

				f = newFixture(t, f.path, nil)
				p := f.printer("p1")
				f.start()
				synctest.Wait()
				if got := p.Printed(); !slices.Equal(got, []string{zplB}) {
					t.Errorf("printed %q, want only j2", got)
				}
				wantEv := "label.failed p1 interrupted"
				if tc.held {
					wantEv += " order=O-1"
				}
				if got, want := summary(f.events()), []string{wantEv, "label.printed p1"}; !slices.Equal(got, want) {
					t.Errorf("events %q, want %q", got, want)
				}
				st, ok := f.lookup("j1")
				if tc.held {
					if !ok || st.State != StateHeld || st.Reason != ReasonInterrupted {
						t.Errorf("Lookup(j1) = %+v %v, want held", st, ok)
					}
					out := f.outcomes()
					if len(out) != 1 || out[0].OK || out[0].Reason != ReasonInterrupted || out[0].Retrying() {
						t.Errorf("outcomes %+v, want j1 interrupted", out)
					}
				} else if !ok || st.State != StateDropped {
					t.Errorf("Lookup(j1) = %+v %v, want dropped", st, ok)
				}

				// Restarting again changes nothing: still not printed, not reported twice.
				f.close()
				f = newFixture(t, f.path, nil)
				p = f.printer("p1")
				f.start()
				time.Sleep(time.Minute)
				synctest.Wait()
				if got := p.Printed(); len(got) != 0 {
					t.Errorf("second restart printed %q", got)
				}
				if got := summary(f.events()); len(got) != 2 {
					t.Errorf("second restart: events %q", got)
				}
				if !tc.held {
					return
				}
				// The operator asks for a reprint.
				if err := f.q.Reprint(context.Background(), "j1"); err != nil {
					t.Fatal(err)
				}
				synctest.Wait()
				if got := p.Printed(); !slices.Equal(got, []string{zplA}) {
					t.Errorf("after Reprint printed %q", got)
				}
				if got := summary(f.events()); got[len(got)-1] != "label.printed p1 order=O-1" {
					t.Errorf("after Reprint events %q", got)
				}
			})
		})
	}
}

// crashWhileSending leaves job id in state sending, as a station that stopped during Print does.
func crashWhileSending(t *testing.T, f *fixture, id string) {
	t.Helper()
	err := f.store.Update(context.Background(), func(tx *outbox.Tx) error {
		seq, r, err := findJob(f.q.log, tx, id)
		if err != nil {
			return err
		}
		r.State = StateSending
		return putJob(tx, seq, r)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestHeldJobSupersededByNewJobOfSameOrigin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, "", nil)
		f.enqueue(LabelJob{ID: "j1", Origin: "pack:O-1", ZPL: []byte(zplA)})
		crashWhileSending(t, f, "j1")
		f.close()
		f = newFixture(t, f.path, nil)
		p := f.printer("p1")
		f.start()
		synctest.Wait()
		f.enqueue(LabelJob{ID: "j2", Origin: "pack:O-1", ZPL: []byte(zplB)})
		synctest.Wait()
		if got := p.Printed(); !slices.Equal(got, []string{zplB}) {
			t.Errorf("printed %q, want only the new job", got)
		}
		if st, _ := f.lookup("j1"); st.State != StateDropped || st.Reason != "superseded" {
			t.Errorf("Lookup(j1) = %+v, want dropped superseded", st)
		}
		if err := f.q.Reprint(context.Background(), "j1"); !errors.Is(err, ErrNotFound) {
			t.Errorf("Reprint(j1) = %v, want ErrNotFound", err)
		}
	})
}

// TestDelivered: the printer took the job and then reported paper out: the job is not sent
// again; label.printed follows once the printer is ready with an empty buffer.
func TestDelivered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, "", nil)
		p := f.printer("p1")
		sent := &printer.Error{Device: "p1", Reason: printer.ReasonPaperOut, Sent: true}
		p.set(func(p *fakePrinter) {
			p.errs = []error{sent}
			p.status = []printer.Status{{PaperOut: true}, {PaperOut: true}, {FormatsInBuffer: 1}, {}}
		})
		f.start()
		f.enqueue(LabelJob{ID: "j1", Origin: "pack:O-1", ZPL: []byte(zplA)}, LabelJob{ID: "j2", Origin: "pack:O-2", ZPL: []byte(zplB)})
		synctest.Wait()
		if jobs := f.jobs(); len(jobs) != 2 || jobs[0].State != StateDelivered {
			t.Fatalf("jobs %+v, want j1 delivered", jobs)
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		if got, want := p.Printed(), []string{zplA, zplB}; !slices.Equal(got, want) {
			t.Errorf("printed %q, want %q (j1 sent once)", got, want)
		}
		want := []string{"label.failed p1 paper_out order=O-1", "label.printed p1 order=O-1", "label.printed p1 order=O-2"}
		if got := summary(f.events()); !slices.Equal(got, want) {
			t.Errorf("events %q, want %q", got, want)
		}
	})
}

// TestDeliveredWithoutStatus: a printer that cannot tell whether it printed a job it took:
// the job is treated as interrupted.
func TestDeliveredWithoutStatus(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, "", nil)
		p := &fakePrinter{name: "p1", errs: []error{&printer.Error{Reason: printer.ReasonPaperOut, Sent: true}}}
		f.attach("p1", printOnly{p})
		f.start()
		f.enqueue(LabelJob{ID: "j1", Origin: "pack:O-1", ZPL: []byte(zplA)})
		time.Sleep(time.Minute)
		synctest.Wait()
		want := []string{"label.failed p1 paper_out order=O-1", "label.failed p1 interrupted order=O-1"}
		if got := summary(f.events()); !slices.Equal(got, want) {
			t.Errorf("events %q, want %q", got, want)
		}
		if st, _ := f.lookup("j1"); st.State != StateHeld {
			t.Errorf("j1 %+v, want held", st)
		}
		if n := len(p.Calls()); n != 1 {
			t.Errorf("%d Print calls, want 1", n)
		}
	})
}

func TestFIFOPerPrinter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, "", nil)
		f.start()
		var want []string
		for i := range 8 {
			z := strings.Replace(zplA, "^FDA", "^FD"+string(rune('a'+i)), 1)
			want = append(want, z)
			f.enqueue(LabelJob{Origin: "cmd:c", ZPL: []byte(z)})
		}
		synctest.Wait()
		time.Sleep(5 * time.Second)
		p := f.printer("p1")
		time.Sleep(time.Minute)
		synctest.Wait()
		if got := p.Printed(); !slices.Equal(got, want) {
			t.Errorf("printed %q, want %q", got, want)
		}
	})
}

func TestTwoPrintersIndependent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, "", nil)
		p1 := f.printer("p1")
		p1.set(func(p *fakePrinter) { p.sticky = perr(printer.ReasonPaperOut) })
		p2 := f.printer("p2")
		f.start()
		f.enqueue(LabelJob{ID: "a", Printer: "p1", Origin: "pack:A", ZPL: []byte(zplA)})
		synctest.Wait()
		f.enqueue(LabelJob{ID: "b", Printer: "p2", Origin: "pack:B", ZPL: []byte(zplB)})
		time.Sleep(time.Second)
		f.enqueue(LabelJob{ID: "c", Printer: "p2", Origin: "pack:C", ZPL: []byte(zplC)})
		synctest.Wait()
		if got, want := p2.Printed(), []string{zplB, zplC}; !slices.Equal(got, want) {
			t.Errorf("p2 printed %q, want %q while p1 is out of paper", got, want)
		}
		if got := f.jobs(); len(got) != 1 || got[0].ID != "a" {
			t.Errorf("jobs %+v, want a", got)
		}
		p1.set(func(p *fakePrinter) { p.sticky = nil })
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if got := p1.Printed(); !slices.Equal(got, []string{zplA}) {
			t.Errorf("p1 printed %q", got)
		}
		out := f.outcomes()
		var got []string
		for _, o := range out {
			got = append(got, o.JobID+":"+map[bool]string{true: "ok", false: o.Reason}[o.OK])
		}
		if want := []string{"a:paper_out", "b:ok", "c:ok", "a:ok"}; !slices.Equal(got, want) {
			t.Errorf("outcomes %q, want %q", got, want)
		}
	})
}

// TestShutdownDuringPrint: a Print that does not finish within StopGrace is cut; the job was not
// sent and is queued again without a label.failed; one that finishes in time is committed.
func TestShutdownDuringPrint(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, "", nil)
		p := f.printer("p1")
		p.set(func(p *fakePrinter) { p.block = true })
		f.start()
		f.enqueue(LabelJob{ID: "j1", Origin: "cmd:c1", ZPL: []byte(zplA)})
		synctest.Wait()
		start := time.Now()
		f.stop()
		if d := time.Since(start); d != DefaultStopGrace {
			t.Errorf("Run returned %v after cancel, want StopGrace %v", d, DefaultStopGrace)
		}
		if got := summary(f.events()); len(got) != 0 {
			t.Errorf("events %q, want none", got)
		}
		if jobs := f.jobs(); len(jobs) != 1 || jobs[0].State != StateQueued || jobs[0].Reported {
			t.Errorf("jobs %+v, want j1 queued, unreported", jobs)
		}

		p.set(func(p *fakePrinter) { p.block, p.delay = false, time.Second })
		f.start()
		synctest.Wait()
		time.Sleep(500 * time.Millisecond)
		f.stop() // Print finishes 0.5 s later, within the grace
		if got, want := summary(f.events()), []string{"label.printed p1"}; !slices.Equal(got, want) {
			t.Errorf("events %q, want %q", got, want)
		}
	})
}

func TestReprintAndCancelErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, "", nil)
		f.enqueue(LabelJob{ID: "q", Origin: "pack:O", ZPL: []byte(zplA)}, LabelJob{ID: "s", Origin: "pack:P", ZPL: []byte(zplB)})
		crashWhileSending(t, f, "s")
		ctx := context.Background()
		if err := f.q.Reprint(ctx, "q"); !errors.Is(err, ErrNotHeld) {
			t.Errorf("Reprint(queued) = %v, want ErrNotHeld", err)
		}
		if err := f.q.Reprint(ctx, "nope"); !errors.Is(err, ErrNotFound) {
			t.Errorf("Reprint(unknown) = %v, want ErrNotFound", err)
		}
		if err := f.q.Cancel(ctx, "s"); !errors.Is(err, ErrSending) {
			t.Errorf("Cancel(sending) = %v, want ErrSending", err)
		}
		if err := f.q.Cancel(ctx, "q"); err != nil {
			t.Errorf("Cancel(queued) = %v", err)
		}
		if st, _ := f.lookup("q"); st.State != StateDropped || st.Reason != "cancelled" {
			t.Errorf("Lookup(q) = %+v", st)
		}
		if _, ok := f.lookup("never"); ok {
			t.Error("Lookup(never) found a job")
		}
	})
}

func TestEnqueueErrors(t *testing.T) {
	f := newFixture(t, "", nil)
	f.enqueue(LabelJob{ID: "dup", ZPL: []byte(zplA)})
	for _, tc := range []struct {
		name string
		job  LabelJob
		want error
		msg  string
	}{
		{"unknown printer", LabelJob{Printer: "p9", ZPL: []byte(zplA)}, ErrUnknownPrinter, "p1, p2"},
		{"no zpl", LabelJob{}, nil, "no ZPL"},
		{"copies", LabelJob{ZPL: []byte(zplA), Copies: 101}, nil, "1 to 100"},
		{"too big", LabelJob{ZPL: make([]byte, MaxJobBytes/10+1), Copies: 10}, nil, "over the"},
		{"duplicate id", LabelJob{ID: "dup", ZPL: []byte(zplA)}, ErrDuplicateID, "dup"},
		{"long id", LabelJob{ID: strings.Repeat("x", 129), ZPL: []byte(zplA)}, nil, "longer than 128"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := f.store.Update(context.Background(), func(tx *outbox.Tx) error { return f.q.Enqueue(tx, tc.job) })
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("Enqueue = %v, want %v containing %q", err, tc.want, tc.msg)
			}
		})
	}
	if n := len(f.jobs()); n != 1 {
		t.Errorf("%d jobs, want 1", n)
	}
}

func TestPurge(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, "", func(d *Deps) { d.RecordTTL = 24 * time.Hour })
		p := f.printer("p1")
		f.enqueue(LabelJob{ID: "held", Origin: "pack:O", ZPL: []byte(zplA)}, LabelJob{ID: "done", Origin: "pack:P", ZPL: []byte(zplB)})
		crashWhileSending(t, f, "held")
		f.start()
		synctest.Wait()
		if _, ok := f.lookup("done"); !ok {
			t.Fatal("done job not recorded")
		}
		time.Sleep(30 * time.Hour) // the purge runs every 6 h
		synctest.Wait()
		for _, id := range []string{"held", "done"} {
			if st, ok := f.lookup(id); ok && st.State != StateDropped {
				t.Errorf("Lookup(%s) = %+v after the TTL", id, st)
			}
		}
		time.Sleep(31 * time.Hour)
		synctest.Wait()
		if st, ok := f.lookup("held"); ok {
			t.Errorf("held job's record still there: %+v", st)
		}
		if len(p.Printed()) != 1 {
			t.Errorf("printed %q", p.Printed())
		}
	})
}

func TestRunTwice(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, "", nil)
		f.start()
		synctest.Wait()
		if err := f.q.Run(context.Background()); !errors.Is(err, ErrRunning) {
			t.Errorf("second Run = %v, want ErrRunning", err)
		}
	})
}
