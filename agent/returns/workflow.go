package returns

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stationd/stationd/agent"
	"github.com/stationd/stationd/agent/config"
	"github.com/stationd/stationd/agent/outbox"
	"github.com/stationd/stationd/devices/scale"
	fwreturns "github.com/stationd/stationd/firmware-config/returns"
	"github.com/stationd/stationd/protocol"
	"github.com/stationd/stationd/protocol/units"
)

// ScaleSource gives a settled weight; *scale.Monitor implements it.
type ScaleSource interface {
	WaitStable(ctx context.Context, settle time.Duration) (scale.Reading, error)
}

// Feedback tells the operator: kind is one of the Signal constants, text is in the station's
// language. It is called from Run's goroutine and must not block.
type Feedback interface {
	Signal(kind, text string)
}

// Deps is what the workflow needs from the station.
type Deps struct {
	Store agent.Store
	// Scans delivers the scans of the returns scanner. A station that also packs must give the
	// returns workflow only its own scanner's scans: an order id would otherwise open a pack
	// and a return at once.
	Scans <-chan agent.Scan
	// Scale returns the scale the parcel is weighed on, or nil (a nil interface) while there is
	// none open; Scale itself nil means the station does not weigh returns.
	Scale func() ScaleSource
	// Config returns the config in force; it may change between calls (SIGHUP).
	Config func() *config.Config
	Now    func() time.Time // nil: time.Now
	Log    *slog.Logger     // nil: discard

	// Optional, until the config has returns keys (see the package documentation).

	Rules        *fwreturns.Rules // nil: the shipped rules (firmware-config/returns/rules.yaml)
	Feedback     Feedback         // nil: operator messages are only logged
	WeighTimeout time.Duration    // how long a weighing waits for a settled weight; 0: 60 s
	MinWeight    units.Mass       // lightest parcel: a settled weight below it is an empty scale; 0: 10 g
	ExpectTTL    time.Duration    // how long an announced return waits; 0: 90 days
}

// Defaults of the optional Deps fields.
const (
	DefaultWeighTimeout = 60 * time.Second
	DefaultMinWeight    = 10 * units.Gram
	DefaultExpectTTL    = 90 * 24 * time.Hour
)

// Limits and timing.
const (
	// MaxUnits is the most units one return holds, so that return.received stays within the
	// contract's 1000 lines whatever reasons and conditions the units get.
	MaxUnits = 1000
	// purgeEvery is how often stale announcements and received returns are forgotten.
	purgeEvery = time.Hour
	// minDoneTTL is the shortest time received returns are remembered (the intake's minimum).
	minDoneTTL = 7 * 24 * time.Hour
	// weighRetry is the pause between two settled readings lighter than MinWeight.
	weighRetry = 250 * time.Millisecond
)

// Workflow is the returns workflow. Create it with New, register its command with Register,
// then call Run once; KPI may be called from any goroutine.
type Workflow struct {
	d       Deps
	rules   *fwreturns.Rules
	log     *slog.Logger
	reqs    chan request
	done    chan struct{} // closed when Run returns
	running atomic.Bool

	kpiMu sync.Mutex
	kpi   map[string]int
}

// request is a command handed from the intake's goroutine to Run's.
type request struct {
	cmd   protocol.Command
	data  protocol.CommandData
	reply chan *protocol.Error // buffered: Run never waits on it
}

// New checks d and returns the workflow. It touches neither the store nor any device.
func New(d Deps) (*Workflow, error) {
	switch {
	case d.Store == nil:
		return nil, errors.New("returns: no store")
	case d.Config == nil || d.Config() == nil:
		return nil, errors.New("returns: no config")
	case d.WeighTimeout < 0, d.MinWeight < 0, d.ExpectTTL < 0:
		return nil, errors.New("returns: negative WeighTimeout, MinWeight or ExpectTTL")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.WeighTimeout == 0 {
		d.WeighTimeout = DefaultWeighTimeout
	}
	if d.MinWeight == 0 {
		d.MinWeight = DefaultMinWeight
	}
	if d.ExpectTTL == 0 {
		d.ExpectTTL = DefaultExpectTTL
	}
	rules := d.Rules
	if rules == nil {
		var err error
		if rules, err = fwreturns.Default(); err != nil {
			return nil, fmt.Errorf("returns: shipped rules: %w: this is a bug, please report it", err)
		}
	}
	if err := checkRules(rules); err != nil {
		return nil, err
	}
	return &Workflow{
		d:     d,
		rules: rules,
		log:   d.Log.With("workflow", "returns"),
		reqs:  make(chan request),
		done:  make(chan struct{}),
		kpi:   map[string]int{},
	}, nil
}

// Name names the workflow in logs.
func (w *Workflow) Name() string { return "returns" }

// Rules returns the rules the workflow applies.
func (w *Workflow) Rules() *fwreturns.Rules { return w.rules }

// Register registers return.expect when the station has the returns role.
func (w *Workflow) Register(h agent.Handlers) {
	if w.d.Config().HasRole(config.RoleReturns) {
		h.Handle(protocol.CommandReturnExpect, w.handle)
	}
}

// KPI returns the return lines received by reason since the previous call, and starts counting
// again from zero: the station's KPI timer calls it once per station.kpi period and puts the
// result in the event's returns object. A line counts once whatever its qty (the protocol's
// "returned lines by reason"). Counts are not stored: those of a period cut by a restart are
// lost, like the other station.kpi counters.
func (w *Workflow) KPI() map[string]int {
	w.kpiMu.Lock()
	defer w.kpiMu.Unlock()
	out := w.kpi
	w.kpi = map[string]int{}
	return out
}

func (w *Workflow) countLines(ls []protocol.ReturnedLine) {
	w.kpiMu.Lock()
	defer w.kpiMu.Unlock()
	for _, l := range ls {
		w.kpi[l.Reason]++
	}
}

var errNotRunning = protocol.Errorf(protocol.CodeInternal, "the returns workflow is not running (see the station's log): send the command again after a restart")

// handle is the intake.Handler of return.expect: it hands the command to Run and waits for the
// answer. Once Run has taken a command it always answers it.
func (w *Workflow) handle(ctx context.Context, cmd protocol.Command, data protocol.CommandData) *protocol.Error {
	r := request{cmd: cmd, data: data, reply: make(chan *protocol.Error, 1)}
	select {
	case w.reqs <- r:
	case <-w.done:
		return errNotRunning
	case <-ctx.Done():
		return protocol.Errorf(protocol.CodeInternal, "the station is stopping: send %s again", cmd.Type)
	}
	select {
	case e := <-r.reply:
		return e
	case <-w.done:
		select {
		case e := <-r.reply:
			return e
		default:
			return errNotRunning
		}
	}
}

// machine is Run's state: only Run's goroutine touches it.
type machine struct {
	*Workflow
	ctx  context.Context // store updates: not cancelled while a scan is being recorded
	open *openRecord     // nil: no return open

	runCtx      context.Context // weighing goroutines
	weighC      chan weighResult
	weighToken  uint64
	weighCancel context.CancelFunc
	weighWG     sync.WaitGroup
}

// Run resumes the open return, if any, and runs the workflow until ctx is done. It returns only
// after the weighing it started has ended. It fails only when the store cannot be read.
func (w *Workflow) Run(ctx context.Context) error {
	if !w.running.CompareAndSwap(false, true) {
		return errors.New("returns: Run called twice")
	}
	defer close(w.done)
	m := &machine{Workflow: w, ctx: context.WithoutCancel(ctx), runCtx: ctx, weighC: make(chan weighResult)}
	defer m.weighWG.Wait()
	defer m.stopWeigh()

	var open openRecord
	var found bool
	if err := w.d.Store.View(func(tx *outbox.Tx) error {
		var err error
		found, err = getJSON(tx, bucketState, keyOpen, &open)
		return err
	}); err != nil {
		return fmt.Errorf("returns: read the open return: %w", err)
	}
	if found {
		m.open = &open
		w.log.Info("open return resumed", "rma_id", open.RMAID, "units", len(open.Units))
		m.tell(SignalOK, msgResumed, open.RMAID, len(open.Units))
	}
	m.purge()

	purge := time.NewTicker(purgeEvery)
	defer purge.Stop()
	scans := w.d.Scans
	for {
		select {
		case <-ctx.Done():
			return nil
		case r := <-w.reqs:
			r.reply <- m.command(r.cmd, r.data)
		case s, ok := <-scans:
			if !ok {
				scans = nil
				continue
			}
			m.scan(s)
		case res := <-m.weighC:
			m.weighed(res)
		case <-purge.C:
			m.purge()
		}
	}
}

// lang returns the operator's language.
func (m *machine) lang() string { return m.d.Config().Pack.Language }

// tell gives the operator a message and logs it.
func (m *machine) tell(kind string, ms msg, args ...any) {
	text := ms.text(m.lang(), args...)
	rma := ""
	if m.open != nil {
		rma = m.open.RMAID
	}
	m.log.Info("operator: "+text, "signal", kind, "rma_id", rma)
	if m.d.Feedback != nil {
		m.d.Feedback.Signal(kind, text)
	}
}

// storageError tells the operator and logs a store failure; nothing changed.
func (m *machine) storageError(what string, err error) {
	m.log.Error(what+": "+err.Error(), "hint", "check the disk under storage.dir; a full outbox clears once the broker is reachable")
	reason := "store"
	if errors.Is(err, outbox.ErrFull) {
		reason = "storage_full"
	}
	m.tell(SignalRefused, msgStorage, reason)
}

// update runs fn in a store transaction.
func (m *machine) update(fn func(tx *outbox.Tx) error) error {
	return m.d.Store.Update(m.ctx, fn)
}

// purge forgets received returns older than storage.command_ttl and announcements older than
// ExpectTTL (never the open one).
func (m *machine) purge() {
	now := m.d.Now()
	doneTTL := max(m.d.Config().Storage.CommandTTL, minDoneTTL)
	var stale, old [][]byte
	if err := m.d.Store.View(func(tx *outbox.Tx) error {
		stale, old = nil, nil
		if err := tx.ForEach(bucketExpected, func(k, v []byte) error {
			var e expectRecord
			if jsonInvalid(v, &e) || now.Sub(e.ReceivedAt) > m.d.ExpectTTL {
				if m.open == nil || string(k) != m.open.RMAID {
					stale = append(stale, append([]byte(nil), k...))
				}
			}
			return nil
		}); err != nil {
			return err
		}
		return tx.ForEach(bucketDone, func(k, v []byte) error {
			var d doneRecord
			if jsonInvalid(v, &d) || now.Sub(d.ReceivedAt) > doneTTL {
				old = append(old, append([]byte(nil), k...))
			}
			return nil
		})
	}); err != nil {
		m.log.Warn("purge: read the store: " + err.Error())
		return
	}
	if len(stale)+len(old) == 0 {
		return
	}
	err := m.update(func(tx *outbox.Tx) error {
		for _, k := range stale {
			if err := tx.Delete(bucketExpected, k); err != nil {
				return err
			}
		}
		for _, k := range old {
			if err := tx.Delete(bucketDone, k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		m.log.Warn("purge: " + err.Error())
		return
	}
	for _, k := range stale {
		m.log.Warn("announced return never received: forgotten", "rma_id", string(k), "after", m.d.ExpectTTL)
	}
	if len(old) > 0 {
		m.log.Debug("forgot received returns", "count", len(old))
	}
}
