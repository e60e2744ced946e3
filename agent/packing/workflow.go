package packing

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stationd/stationd/agent"
	"github.com/stationd/stationd/agent/config"
	"github.com/stationd/stationd/agent/outbox"
	"github.com/stationd/stationd/agent/printq"
	"github.com/stationd/stationd/agent/ulid"
	"github.com/stationd/stationd/devices/scale"
	"github.com/stationd/stationd/protocol"
	"github.com/stationd/stationd/protocol/units"
)

// ScaleSource is the parcel scale as the workflow uses it; *scale.Monitor satisfies it.
type ScaleSource interface {
	// WaitStable returns a settled weight, or after settle an error whose scale.Code is
	// scale.CodeSettleTimeout (scale_unstable).
	WaitStable(ctx context.Context, settle time.Duration) (scale.Reading, error)
	// WaitReweigh waits for a reading within ±near of zero (the parcel lifted), then returns the
	// next settled weight farther than near from zero (the parcel put back).
	WaitReweigh(ctx context.Context, near units.Mass) (scale.Reading, error)
}

// Labels is the station's durable print queue (agent/printq implements it).
//
// Enqueue stores job in the caller's transaction, so that the job exists exactly when the pack
// state that asked for it does. Kick, called after that transaction committed, makes the queue
// print what it holds. Outcomes delivers the outcome of every attempt at a job whose Origin
// starts with "pack:": OK true once it printed (the queue has appended label.printed), OK false
// when an attempt failed (the queue has appended label.failed, keeps the job and retries). The
// queue must deliver the OK outcome of a job at least once, again after a restart if the station
// stopped before the workflow took it: the workflow ignores outcomes of jobs that are not its
// open pack's. Enqueue must only use tx (the transaction may run more than once, see
// outbox.Store.Update); Kick must not block.
type Labels interface {
	Enqueue(tx *outbox.Tx, job LabelJob) error
	Kick()
	Outcomes() <-chan LabelOutcome
}

// LabelJob is one label for the print queue (agent/printq): its Origin is "pack:<order_id>".
type LabelJob = printq.LabelJob

// LabelOutcome is what became of a job: printed (OK), or failed with the printer's reason (the
// queue keeps retrying a retryable one and has already appended label.failed).
type LabelOutcome = printq.LabelOutcome

// Feedback tells the packer what happened, at once: kind is one of the Signal constants, text is
// a sentence in pack.language (en, fr). Signal is called from the workflow's goroutine and must
// not block; the station shows it on pack.station_light and writes it to its log.
type Feedback interface {
	Signal(kind, text string)
}

// FeedbackFunc adapts a function to Feedback.
type FeedbackFunc func(kind, text string)

// Signal calls f.
func (f FeedbackFunc) Signal(kind, text string) { f(kind, text) }

// Deps is what the workflow is built on. Store, Scans, Labels and Config are required.
type Deps struct {
	Store agent.Store
	// Scans carries every scan of the station; scans of devices other than pack.scanner are
	// ignored (all are taken when pack.scanner is empty).
	Scans <-chan agent.Scan
	// Scale returns the scale named by pack.scale, or nil while it is not open. Beware of a nil
	// *scale.Monitor in a non-nil ScaleSource: return a nil interface.
	Scale    func() ScaleSource
	Labels   Labels
	Feedback Feedback // nil: none
	// Config returns the current configuration; the workflow reads it at every decision, so a
	// reload (SIGHUP) applies to the next scan. It must return the same pointer until the
	// configuration changes (the supervisor code file is read again when it does).
	Config func() *config.Config
	Now    func() time.Time // nil: time.Now
	Log    *slog.Logger     // nil: discard
	// DPI returns the resolution of a printer for the station's label template; nil, or 0 for
	// a printer that is not open, means 203 dpi.
	DPI func(printer string) int
	// Settle bounds each wait for a stable weight; after it the workflow reports
	// pack.exception scale_unstable and keeps waiting. 0 means DefaultSettle.
	Settle time.Duration
}

// DefaultSettle is Deps.Settle's default.
const DefaultSettle = 10 * time.Second

// Reasons of pack.exception the workflow uses besides the protocol's: the contract lets the
// station add reasons, and an OMS must accept them.
const (
	// ExceptionScaleUnstable: no stable weight within Deps.Settle; the workflow keeps waiting.
	ExceptionScaleUnstable = scale.CodeSettleTimeout
	// ExceptionLabelFailed: the station's label could not be rendered for this parcel. (A
	// printer failure is reported by the queue as label.failed, not as an exception.)
	ExceptionLabelFailed = "label_failed"
)

// OverrideLabel is the overrides reason of a pack completed without its label by the
// supervisor code.
const OverrideLabel = "label_failed"

const (
	retryEvery   = time.Second // scale not open: ask again
	purgeEvery   = time.Minute // expired orders, auto_start switched on by a reload
	defaultDPI   = 203
	defaultTTL   = 72 * time.Hour
	originPrefix = "pack:"
)

// Workflow is the packing workflow (contract section 7): one goroutine, Run, owns its state
// machine and every change of it; command handlers and the KPI snapshot talk to it safely.
type Workflow struct {
	d    Deps
	log  *slog.Logger
	cmds chan command
	done chan struct{} // closed when Run returns
	ran  atomic.Bool
	kpi  kpis

	// Owned by Run's goroutine.
	orders      map[string]*orderRecord
	known       map[string]int // SKU, alias and GTIN-14 of every held order → how many lines use it
	arrival     uint64
	open        *pack
	ids         *ulid.Generator
	weighed     chan weighResult
	weighID     uint64
	weighCancel context.CancelFunc
	wg          sync.WaitGroup // weighing goroutines
	retry       *time.Timer
	secret      secretCache
	warned      map[string]bool // unknown carriers already logged
}

// pack is the open pack as Run holds it.
type pack struct {
	order   *protocol.PackOrder
	rec     *packRecord
	ix      *index
	serials map[serialKey]bool
	// scaleSaid and unstableSaid keep the operator from being told the same thing every second.
	scaleSaid, unstableSaid bool
}

type command struct {
	cmd   protocol.Command
	data  protocol.CommandData
	reply chan *protocol.Error // buffered: Run never blocks on it
}

type weighResult struct {
	id  uint64
	r   scale.Reading
	err error
}

// New checks d and returns the workflow; Run starts it.
func New(d Deps) (*Workflow, error) {
	switch {
	case d.Store == nil:
		return nil, errors.New("packing: Deps.Store is required")
	case d.Scans == nil:
		return nil, errors.New("packing: Deps.Scans is required")
	case d.Labels == nil:
		return nil, errors.New("packing: Deps.Labels is required (the print queue)")
	case d.Config == nil:
		return nil, errors.New("packing: Deps.Config is required")
	}
	if d.Scale == nil {
		d.Scale = func() ScaleSource { return nil }
	}
	if d.Feedback == nil {
		d.Feedback = FeedbackFunc(func(string, string) {})
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Settle <= 0 {
		d.Settle = DefaultSettle
	}
	w := &Workflow{
		d:       d,
		log:     d.Log.With("workflow", "packing"),
		cmds:    make(chan command),
		done:    make(chan struct{}),
		orders:  map[string]*orderRecord{},
		known:   map[string]int{},
		ids:     ulid.NewGenerator(nil),
		weighed: make(chan weighResult),
		warned:  map[string]bool{},
	}
	w.kpi.reset(d.Now())
	return w, nil
}

// Name returns "packing".
func (w *Workflow) Name() string { return "packing" }

// Register registers the handlers of pack.order and pack.cancel. Each hands its command to Run
// and waits for the answer.
func (w *Workflow) Register(h agent.Handlers) {
	h.Handle(protocol.CommandPackOrder, w.handle)
	h.Handle(protocol.CommandPackCancel, w.handle)
}

func (w *Workflow) handle(ctx context.Context, cmd protocol.Command, data protocol.CommandData) *protocol.Error {
	c := command{cmd: cmd, data: data, reply: make(chan *protocol.Error, 1)}
	select {
	case w.cmds <- c:
	case <-w.done:
		return protocol.Errorf(protocol.CodeBusy, "the packing workflow is stopping: send %s again later", cmd.Type)
	case <-ctx.Done():
		return protocol.Errorf(protocol.CodeBusy, "the station is stopping: send %s again later", cmd.Type)
	}
	return <-c.reply
}

// KPI returns the counters of the current period without ending it.
func (w *Workflow) KPI() protocol.StationKPI { return w.kpi.snapshot(w.d.Now(), false) }

// TakeKPI returns the counters of the period that ends now (since New or the previous TakeKPI)
// and starts the next: the station calls it every kpi.interval and appends the result as
// station.kpi. Returns is always empty (returns are not handled by this workflow).
func (w *Workflow) TakeKPI() protocol.StationKPI { return w.kpi.snapshot(w.d.Now(), true) }

// Run runs the workflow until ctx ends, then returns nil once every goroutine it started has
// ended. It returns an error only if the store cannot be read at start-up. Run may be called
// once.
func (w *Workflow) Run(ctx context.Context) error {
	if !w.ran.CompareAndSwap(false, true) {
		return errors.New("packing: Run called twice")
	}
	defer close(w.done)
	ctx, cancel := context.WithCancel(ctx)
	defer func() {
		cancel()
		w.wg.Wait()
	}()
	if err := w.load(ctx); err != nil {
		return err
	}
	w.retry = time.NewTimer(time.Hour)
	w.retry.Stop()
	defer w.retry.Stop()
	purge := time.NewTicker(purgeEvery)
	defer purge.Stop()

	w.resume(ctx)
	w.purge(ctx)
	w.autoStart(ctx)
	scans, outcomes := w.d.Scans, w.d.Labels.Outcomes()
	for {
		select {
		case <-ctx.Done():
			return nil
		case s, ok := <-scans:
			if !ok {
				scans = nil
				continue
			}
			w.scan(ctx, s)
		case c := <-w.cmds:
			c.reply <- w.command(ctx, c)
		case o, ok := <-outcomes:
			if !ok {
				outcomes = nil
				continue
			}
			w.labelOutcome(ctx, o)
		case r := <-w.weighed:
			w.weighResult(ctx, r)
		case <-w.retry.C:
			if p := w.open; p != nil && (p.rec.Phase == phaseWeighing || p.rec.Phase == phaseWeightFailed) {
				w.startWeigh(ctx, p.rec.Phase == phaseWeightFailed)
			}
		case <-purge.C:
			w.purge(ctx)
		}
		w.autoStart(ctx)
	}
}

func (w *Workflow) cfg() *config.Config { return w.d.Config() }

// say gives the packer feedback in the configured language.
func (w *Workflow) say(kind string, m msg, args ...any) {
	w.d.Feedback.Signal(kind, m.text(w.cfg().Pack.Language, args...))
}

// update runs fn in a store transaction, logging a failure.
func (w *Workflow) update(ctx context.Context, fn func(*outbox.Tx) error) error {
	err := w.d.Store.Update(ctx, fn)
	if err != nil && ctx.Err() == nil {
		w.log.Error("store update failed: "+err.Error(), "order_id", w.openID())
	}
	return err
}

// failed tells the packer a change could not be stored (nothing changed).
func (w *Workflow) failed(err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	w.say(SignalException, msgStorage, err)
}

func (w *Workflow) openID() string {
	if w.open == nil {
		return ""
	}
	return w.open.order.OrderID
}

// load reads the held orders and the open pack from the store.
func (w *Workflow) load(ctx context.Context) error {
	var (
		orders   []*orderRecord
		rec      *packRecord
		arrival  uint64
		bad      [][]byte
		dropOpen bool
	)
	err := w.d.Store.View(func(tx *outbox.Tx) error {
		orders, rec, arrival, bad, dropOpen = nil, nil, 0, nil, false
		err := tx.ForEach(bucketOrders, func(k, v []byte) error {
			var r orderRecord
			if err := json.Unmarshal(v, &r); err != nil || r.Order.OrderID != string(k) {
				bad = append(bad, append([]byte(nil), k...))
				return nil
			}
			orders = append(orders, &r)
			return nil
		})
		if err != nil {
			return err
		}
		if v := tx.Get(bucketPack, keyOpen); v != nil {
			rec = new(packRecord)
			if err := json.Unmarshal(v, rec); err != nil {
				w.log.Error("open pack record unreadable, dropped: " + err.Error())
				rec, dropOpen = nil, true
			}
		}
		if v := tx.Get(bucketPack, keyArrival); len(v) == 8 {
			arrival = binary.BigEndian.Uint64(v)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("packing: read the held orders: %w", err)
	}
	for _, r := range orders {
		w.addOrder(r)
		arrival = max(arrival, r.Arrival)
	}
	w.arrival = arrival
	if rec != nil {
		o := w.orders[rec.OrderID]
		switch {
		case o == nil:
			w.log.Error("open pack of an order that is not held, dropped", "order_id", rec.OrderID)
			rec, dropOpen = nil, true
		case len(rec.Lines) != len(o.Order.Lines) || !rec.consistent():
			w.log.Error("open pack record does not match its order, dropped", "order_id", rec.OrderID)
			rec, dropOpen = nil, true
		default:
			w.open = newPack(&o.Order, rec)
		}
	}
	for _, k := range bad {
		w.log.Error("held order record unreadable, dropped", "order_id", string(k))
	}
	if len(bad) > 0 || dropOpen {
		return w.update(ctx, func(tx *outbox.Tx) error {
			for _, k := range bad {
				if err := tx.Delete(bucketOrders, k); err != nil {
					return err
				}
			}
			if dropOpen {
				return tx.Delete(bucketPack, keyOpen)
			}
			return nil
		})
	}
	return nil
}

func newPack(o *protocol.PackOrder, rec *packRecord) *pack {
	p := &pack{order: o, rec: rec, ix: newIndex(o), serials: map[serialKey]bool{}}
	for i, l := range rec.Lines {
		for _, s := range l.Serials {
			p.serials[serialKey{o.Lines[i].SKU, s}] = true
		}
	}
	return p
}

func (w *Workflow) addOrder(r *orderRecord) {
	w.orders[r.Order.OrderID] = r
	for _, c := range orderCodes(&r.Order) {
		w.known[c]++
	}
}

func (w *Workflow) removeOrder(id string) {
	r := w.orders[id]
	if r == nil {
		return
	}
	delete(w.orders, id)
	for _, c := range orderCodes(&r.Order) {
		if w.known[c]--; w.known[c] <= 0 {
			delete(w.known, c)
		}
	}
}

func (w *Workflow) isKnown(code string) bool { return w.known[code] > 0 }

// resume continues the open pack found at start-up where it stopped.
func (w *Workflow) resume(ctx context.Context) {
	p := w.open
	if p == nil {
		return
	}
	w.log.Info("open pack resumed", "order_id", p.order.OrderID, "phase", p.rec.Phase)
	w.say(SignalOK, msgResumed, p.order.OrderID, p.rec.Phase)
	switch p.rec.Phase {
	case phaseScanning:
		if p.complete() {
			w.linesComplete(ctx)
		}
	case phaseWeighing:
		w.startWeigh(ctx, false)
	case phaseWeightFailed:
		w.startWeigh(ctx, true)
	case phaseLabelling, phaseLabelFailed:
		w.d.Labels.Kick()
	}
}

// complete reports whether every line has its quantity.
func (p *pack) complete() bool {
	for i := range p.order.Lines {
		if p.rec.Lines[i].Qty < p.order.Lines[i].Qty {
			return false
		}
	}
	return true
}

// units returns the number of units the order asks for.
func (p *pack) units() int {
	n := 0
	for _, l := range p.order.Lines {
		n += l.Qty
	}
	return n
}

// purge forgets held orders older than pack.order_ttl that are not open.
func (w *Workflow) purge(ctx context.Context) {
	ttl := w.cfg().Pack.OrderTTL
	if ttl <= 0 {
		ttl = defaultTTL
	}
	cut := w.d.Now().Add(-ttl)
	var old []string
	for id, r := range w.orders {
		if id != w.openID() && r.ReceivedAt.Before(cut) {
			old = append(old, id)
		}
	}
	if len(old) == 0 {
		return
	}
	err := w.update(ctx, func(tx *outbox.Tx) error {
		for _, id := range old {
			if err := tx.Delete(bucketOrders, []byte(id)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return
	}
	for _, id := range old {
		w.log.Warn("order expired without being packed (pack.order_ttl): forgotten", "order_id", id,
			"received_at", w.orders[id].ReceivedAt, "order_ttl", ttl)
		w.removeOrder(id)
	}
}

// autoStart opens the oldest held order when pack.auto_start is on and no pack is open.
func (w *Workflow) autoStart(ctx context.Context) {
	if w.open != nil || len(w.orders) == 0 || !w.cfg().Pack.AutoStart {
		return
	}
	var oldest *orderRecord
	for _, r := range w.orders {
		if oldest == nil || r.Arrival < oldest.Arrival {
			oldest = r
		}
	}
	w.openOrder(ctx, oldest)
}
