package printq

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stationd/stationd/agent/outbox"
	"github.com/stationd/stationd/devices/printer"
	"github.com/stationd/stationd/protocol"
)

// fakePrinter records what it prints and fails as told. It does no I/O, so that it can run
// inside a synctest bubble.
type fakePrinter struct {
	name string

	mu        sync.Mutex
	errs      []error // results of the next Print calls, in order
	sticky    error   // result once errs is used up; nil: success
	delay     time.Duration
	block     bool // Print waits for its context to end
	printed   [][]byte
	calls     []time.Time
	status    []printer.Status // answers of the next Status calls; the last one repeats
	statusErr error
}

func (p *fakePrinter) Print(ctx context.Context, job []byte) error {
	p.mu.Lock()
	p.calls = append(p.calls, time.Now())
	block, delay := p.block, p.delay
	p.mu.Unlock()
	if block {
		<-ctx.Done()
		return &printer.Error{Device: p.name, Reason: printer.ReasonOffline, Detail: "interrupted", Err: ctx.Err()}
	}
	if delay > 0 {
		time.Sleep(delay)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	err := p.sticky
	if len(p.errs) > 0 {
		err, p.errs = p.errs[0], p.errs[1:]
	}
	if err == nil || printer.Sent(err) {
		p.printed = append(p.printed, bytes.Clone(job))
	}
	return err
}

func (p *fakePrinter) Status(ctx context.Context) (printer.Status, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.statusErr != nil {
		return printer.Status{}, p.statusErr
	}
	if len(p.status) == 0 {
		return printer.Status{}, nil
	}
	st := p.status[0]
	if len(p.status) > 1 {
		p.status = p.status[1:]
	}
	return st, nil
}

func (p *fakePrinter) set(fn func(p *fakePrinter)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fn(p)
}

func (p *fakePrinter) Printed() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, b := range p.printed {
		out = append(out, string(b))
	}
	return out
}

func (p *fakePrinter) Calls() []time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.calls)
}

// printOnly hides Status: a printer that cannot say whether it printed.
type printOnly struct{ p *fakePrinter }

func (p printOnly) Print(ctx context.Context, job []byte) error { return p.p.Print(ctx, job) }

func perr(reason string) error {
	return &printer.Error{Device: "p", Reason: reason, Detail: "fake " + reason}
}

// fixture is a queue on a real outbox.Store with fake printers.
type fixture struct {
	t     *testing.T
	path  string
	store *outbox.Store
	q     *Queue

	mu       sync.Mutex
	open     map[string]Printer // printers that are open
	notified []LabelOutcome

	cancel context.CancelFunc
	done   chan error
}

// newFixture opens the store at path (a new one in t.TempDir when empty) and builds a queue on
// it for printers p1 (default) and p2, neither open.
func newFixture(t *testing.T, path string, opt func(*Deps)) *fixture {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "station.db")
	}
	s, err := outbox.Open(path, outbox.Options{Site: "T", Station: "s1"})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, path: path, store: s, open: map[string]Printer{}}
	d := Deps{
		Store: s,
		Printer: func(name string) Printer {
			f.mu.Lock()
			defer f.mu.Unlock()
			return f.open[name]
		},
		Printers:   []string{"p1", "p2"},
		Default:    "p1",
		BackoffMin: time.Second,
		BackoffMax: 8 * time.Second,
		Notify: func(o LabelOutcome) {
			f.mu.Lock()
			f.notified = append(f.notified, o)
			f.mu.Unlock()
		},
	}
	if opt != nil {
		opt(&d)
	}
	f.q = New(d)
	t.Cleanup(f.close)
	return f
}

// attach opens printer name as p (nil closes it).
func (f *fixture) attach(name string, p Printer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if p == nil {
		delete(f.open, name)
		return
	}
	f.open[name] = p
}

func (f *fixture) printer(name string) *fakePrinter {
	p := &fakePrinter{name: name}
	f.attach(name, p)
	return p
}

func (f *fixture) start() {
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel = cancel
	f.done = make(chan error, 1)
	go func() { f.done <- f.q.Run(ctx) }()
}

func (f *fixture) stop() {
	f.t.Helper()
	if f.cancel == nil {
		return
	}
	f.cancel()
	if err := <-f.done; err != nil {
		f.t.Errorf("Run: %v", err)
	}
	f.cancel = nil
}

// close stops Run, checks the store's invariants and closes it.
func (f *fixture) close() {
	f.stop()
	if f.store == nil {
		return
	}
	if err := f.store.Check(); err != nil {
		f.t.Errorf("outbox Check: %v", err)
	}
	if err := f.store.Close(); err != nil {
		f.t.Errorf("Close: %v", err)
	}
	f.store = nil
}

// enqueue stores jobs in one transaction and kicks the queue.
func (f *fixture) enqueue(jobs ...LabelJob) {
	f.t.Helper()
	err := f.store.Update(context.Background(), func(tx *outbox.Tx) error {
		for _, j := range jobs {
			if err := f.q.Enqueue(tx, j); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		f.t.Fatalf("enqueue: %v", err)
	}
	f.q.Kick()
}

// labelEvent is a label.printed or label.failed event as stored.
type labelEvent struct {
	Type string
	Data protocol.LabelResult
}

func (f *fixture) events() []labelEvent {
	f.t.Helper()
	recs, err := f.store.Pending(0, 10000)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []labelEvent
	for _, r := range recs {
		var ev labelEvent
		if err := json.Unmarshal(r.Payload, &ev); err != nil {
			f.t.Fatal(err)
		}
		if ev.Type == protocol.EventLabelPrinted || ev.Type == protocol.EventLabelFailed {
			if _, _, err := protocol.DecodeEvent(r.Payload); err != nil {
				f.t.Errorf("event %s does not validate: %v", r.Payload, err)
			}
			out = append(out, ev)
		}
	}
	return out
}

// summary renders events as "label.failed p1 paper_out" lines, job ids left out.
func summary(evs []labelEvent) []string {
	var out []string
	for _, e := range evs {
		s := e.Type + " " + e.Data.Printer
		if e.Data.Reason != "" {
			s += " " + e.Data.Reason
		}
		if e.Data.OrderID != "" {
			s += " order=" + e.Data.OrderID
		}
		out = append(out, s)
	}
	return out
}

// jobs returns the queue's records in FIFO order.
func (f *fixture) jobs() []*record {
	f.t.Helper()
	var out []*record
	err := f.store.View(func(tx *outbox.Tx) error {
		out = out[:0]
		return forEachJob(f.q.log, tx, func(_ uint64, r *record) error {
			out = append(out, r)
			return nil
		})
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}

func (f *fixture) lookup(id string) (JobStatus, bool) {
	f.t.Helper()
	var st JobStatus
	var ok bool
	err := f.store.View(func(tx *outbox.Tx) error {
		var err error
		st, ok, err = f.q.Lookup(tx, id)
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return st, ok
}

func (f *fixture) notes() []LabelOutcome {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.notified)
}

// outcomes receives what Outcomes holds now. It must run inside a synctest bubble.
func (f *fixture) outcomes() []LabelOutcome {
	var out []LabelOutcome
	for {
		synctest.Wait()
		select {
		case o := <-f.q.Outcomes():
			out = append(out, o)
		default:
			return out
		}
	}
}

const (
	zplA = "^XA^FO50,50^A0N,40,40^FDA^FS^XZ"
	zplB = "^XA^FO50,50^A0N,40,40^FDB^FS^XZ"
	zplC = "^XA^FO50,50^A0N,40,40^FDC^FS^XZ"
)

// zplOf returns the stored ZPL of job id.
func (f *fixture) zplOf(id string) string {
	f.t.Helper()
	var z []byte
	err := f.store.View(func(tx *outbox.Tx) error {
		seq, _, err := findJob(f.q.log, tx, id)
		if err != nil {
			return err
		}
		z = tx.Get(bucketZPL, seqKey(seq))
		return nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return string(z)
}
