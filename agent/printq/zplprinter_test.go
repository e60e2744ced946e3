package printq

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stationd/stationd/devices"
	"github.com/stationd/stationd/devices/printer/printertest"
	"github.com/stationd/stationd/devices/printer/zplprinter"
)

// TestWithZPLDriver runs the queue against the real "zpl" driver and printertest's fake Zebra
// on 127.0.0.1 (real sockets, so outside synctest): a job refused while out of paper prints once
// after a reload; a job the printer took as its paper ran out is not sent again.
func TestWithZPLDriver(t *testing.T) {
	fp := printertest.New()
	addr := printertest.ListenTCP(t, fp)
	dev, err := zplprinter.Open(context.Background(), devices.Spec{Name: "p1", Kind: devices.KindPrinter, Driver: "zpl", Address: addr}, devices.Env{})
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	var _ StatusPrinter = dev

	f := newFixture(t, "", func(d *Deps) { d.BackoffMin, d.BackoffMax = 20*time.Millisecond, 100*time.Millisecond })
	f.attach("p1", dev)
	f.start()

	waitEvents := func(want []string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			got := summary(f.events())
			if slices.Equal(got, want) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("events %q, want %q", got, want)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	// Refused before sending: out of paper.
	fp.SetState(func(s *printertest.State) { s.PaperOut = true })
	f.enqueue(LabelJob{ID: "j1", Origin: "pack:O-1", ZPL: []byte(zplA)})
	waitEvents([]string{"label.failed p1 paper_out order=O-1"})
	time.Sleep(300 * time.Millisecond) // a few retries
	fp.Reload()
	waitEvents([]string{"label.failed p1 paper_out order=O-1", "label.printed p1 order=O-1"})

	// Taken by the printer as the paper ran out (the driver's check after the job says
	// paper_out, with Sent): the job is not sent again, and is reported printed once the
	// printer is ready with an empty buffer.
	fp.PaperOutAfter(1)
	f.enqueue(LabelJob{ID: "j2", Origin: "pack:O-2", ZPL: []byte(zplB)})
	waitEvents([]string{"label.failed p1 paper_out order=O-1", "label.printed p1 order=O-1", "label.failed p1 paper_out order=O-2"})
	if jobs := f.jobs(); len(jobs) != 1 || jobs[0].State != StateDelivered {
		t.Fatalf("jobs %+v, want j2 delivered", jobs)
	}
	time.Sleep(300 * time.Millisecond)
	fp.Reload()
	waitEvents([]string{"label.failed p1 paper_out order=O-1", "label.printed p1 order=O-1", "label.failed p1 paper_out order=O-2", "label.printed p1 order=O-2"})

	var got []string
	for _, l := range fp.Labels() {
		got = append(got, l.String())
	}
	if want := []string{zplA, zplB}; !slices.Equal(got, want) {
		t.Errorf("printer received %q, want %q (each once)", got, want)
	}
	if printed, held := fp.Printed(); printed != 2 || held != 0 {
		t.Errorf("printed %d, held %d; want 2, 0", printed, held)
	}
}
