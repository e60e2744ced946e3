package printq

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stationd/stationd/agent/outbox"
	"github.com/stationd/stationd/devices/printer/zpl"
	"github.com/stationd/stationd/protocol"
)

// signalPrinter reports the time of every Print call.
type signalPrinter struct{ called chan time.Time }

func (p signalPrinter) Print(ctx context.Context, job []byte) error {
	p.called <- time.Now()
	return nil
}

// benchLatency measures, per job, the time from the request (submit) to the printer's Print
// being called, and reports p50 and p99. Each job is done (label.printed committed) before
// the next request.
func benchLatency(b *testing.B, submit func(q *Queue, i int) error) {
	s, err := outbox.Open(filepath.Join(b.TempDir(), "station.db"), outbox.Options{Site: "T", Station: "s1"})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	p := signalPrinter{called: make(chan time.Time, 1)}
	done := make(chan struct{}, 1)
	q := New(Deps{
		Store: s, Printer: func(string) Printer { return p }, Printers: []string{"p1"}, Default: "p1",
		Notify: func(LabelOutcome) { done <- struct{}{} },
	})
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- q.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-ran; err != nil {
			b.Error(err)
		}
	}()

	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		if err := submit(q, i); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, (<-p.called).Sub(start))
		<-done
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

// BenchmarkLabelPrintToPrint: label.print handled (checked, queued, committed) to Print called.
func BenchmarkLabelPrintToPrint(b *testing.B) {
	benchLatency(b, func(q *Queue, i int) error {
		cmd := protocol.Command{V: 1, ID: "c" + strconv.Itoa(i), Type: protocol.CommandLabelPrint}
		if perr := q.handleLabelPrint(context.Background(), cmd, protocol.LabelPrint{ZPL: zplA}); perr != nil {
			return perr
		}
		return nil
	})
}

// BenchmarkEnqueueToPrint: the packing workflow's path, Enqueue in its transaction then Kick.
func BenchmarkEnqueueToPrint(b *testing.B) {
	benchLatency(b, func(q *Queue, i int) error {
		err := q.d.Store.Update(context.Background(), func(tx *outbox.Tx) error {
			return q.Enqueue(tx, LabelJob{Origin: "pack:O-" + strconv.Itoa(i), ZPL: []byte(zplA)})
		})
		q.Kick()
		return err
	})
}

// nopStore fails every transaction: prepare must not need one.
type nopStore struct{}

func (nopStore) Update(context.Context, func(*outbox.Tx) error) error { return errors.New("no store") }
func (nopStore) View(func(*outbox.Tx) error) error                    { return errors.New("no store") }

// FuzzPrepare feeds label.print data to the handler's checks: they never panic, refuse with a
// contract code, and accept only jobs the queue can hold and the ZPL checker passes.
func FuzzPrepare(f *testing.F) {
	f.Add("", zplA, "", "", 0)
	f.Add("p2", "^XA^JUS^XZ", "", "", 3)
	f.Add("p9", "", "ship", "Hélène", 100)
	f.Add("", "", "ship", "", 101)
	f.Add("", "~HS^XA^XZ", "nope", "x", -1)
	f.Add("", "^XA^GFA,4,4,1,FFFF^FS^XZ", "", "", 2)
	q := New(Deps{Store: nopStore{}, Printer: func(string) Printer { return nil }, Printers: []string{"p1", "p2"}, Default: "p1", Render: fakeRender})
	f.Fuzz(func(t *testing.T, printerName, body, template, name string, copies int) {
		fields := map[string]string{}
		if name != "" {
			fields["name"] = name
		}
		lp := protocol.LabelPrint{Printer: printerName, ZPL: body, Template: template, Fields: fields, Copies: copies}
		job, perr := q.prepare(lp)
		if perr != nil {
			if !protocol.IsCode(perr.Code) || perr.Message == "" {
				t.Fatalf("refusal %+v: not a contract code with a message", perr)
			}
			if !utf8.ValidString(perr.Message) && utf8.ValidString(body+template+printerName) {
				t.Fatalf("message not UTF-8: %q", perr.Message)
			}
			return
		}
		if job.Printer != "p1" && job.Printer != "p2" {
			t.Fatalf("job for printer %q", job.Printer)
		}
		if job.Copies < 1 || job.Copies > MaxCopies || len(job.ZPL) == 0 || len(job.ZPL)*job.Copies > MaxJobBytes {
			t.Fatalf("job %d copies of %d bytes accepted", job.Copies, len(job.ZPL))
		}
		if body != "" {
			if string(job.ZPL) != body {
				t.Fatal("ZPL not kept byte for byte")
			}
			if err := zpl.Check("data.zpl", job.ZPL); err != nil {
				t.Fatalf("accepted ZPL the checker refuses: %v", err)
			}
		}
	})
}
