package picking

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/stationd/stationd/agent"
	"github.com/stationd/stationd/agent/config"
	"github.com/stationd/stationd/agent/outbox"
	"github.com/stationd/stationd/devices/lights"
	"github.com/stationd/stationd/protocol"
)

// LightsSource finds the open lights devices; the station's hub implements it.
type LightsSource interface {
	// Lights returns the open device named device, or nil while it is not open.
	Lights(device string) lights.Lights
}

// Deps is what the workflow needs from the station.
type Deps struct {
	Store agent.Store
	// Scans delivers the station's scans; nil when the station has no put role.
	Scans <-chan agent.Scan
	// Presses delivers the lights devices' button presses.
	Presses <-chan agent.Press
	Lights  LightsSource
	// Config returns the config in force; it may change between calls (SIGHUP).
	Config func() *config.Config
	Now    func() time.Time // nil: time.Now
	Log    *slog.Logger     // nil: discard
}

// Timing of the workflow.
const (
	// relightEvery is how often the workflow looks for lights devices that were opened again.
	relightEvery = time.Second
	// alertFor is how long the alert location blinks red after an unexpected put-wall item.
	alertFor = 3 * time.Second
	// purgeEvery is how often finished batches and orders older than storage.command_ttl are
	// forgotten.
	purgeEvery = time.Hour
	// minDoneTTL is the shortest time finished batches are remembered (the intake's minimum).
	minDoneTTL = 7 * 24 * time.Hour
)

// Workflow is the pick-to-light and put-wall workflow. Create it with New, register its
// commands with Register, then call Run once.
type Workflow struct {
	d       Deps
	log     *slog.Logger
	reqs    chan request
	done    chan struct{} // closed when Run returns
	running atomic.Bool
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
		return nil, errors.New("picking: no store")
	case d.Lights == nil:
		return nil, errors.New("picking: no lights source")
	case d.Config == nil || d.Config() == nil:
		return nil, errors.New("picking: no config")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return &Workflow{
		d:    d,
		log:  d.Log.With("workflow", "picking"),
		reqs: make(chan request),
		done: make(chan struct{}),
	}, nil
}

// Name names the workflow in logs.
func (w *Workflow) Name() string { return "picking" }

// Register registers pick.tasks and pick.cancel when the station has the pick role, put.wall
// when it has the put role, and light.set always.
func (w *Workflow) Register(h agent.Handlers) {
	cfg := w.d.Config()
	if cfg.HasRole(config.RolePick) {
		h.Handle(protocol.CommandPickTasks, w.handle)
		h.Handle(protocol.CommandPickCancel, w.handle)
	}
	if cfg.HasRole(config.RolePut) {
		h.Handle(protocol.CommandPutWall, w.handle)
	}
	h.Handle(protocol.CommandLightSet, w.handle)
}

func errNotRunning() *protocol.Error {
	return protocol.Errorf(protocol.CodeInternal, "the pick-to-light workflow is not running (see the station's log): send the command again after a restart")
}

// handle is the intake.Handler of every command: it hands the command to Run and waits for the
// answer. Once Run has taken a command it always answers it.
func (w *Workflow) handle(ctx context.Context, cmd protocol.Command, data protocol.CommandData) *protocol.Error {
	r := request{cmd: cmd, data: data, reply: make(chan *protocol.Error, 1)}
	select {
	case w.reqs <- r:
	case <-w.done:
		return errNotRunning()
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
			return errNotRunning()
		}
	}
}

// Run loads the stored batches, walls and lights, lights them and runs the workflow until ctx
// is done. It fails only when the store cannot be read.
func (w *Workflow) Run(ctx context.Context) error {
	if !w.running.CompareAndSwap(false, true) {
		return errors.New("picking: Run called twice")
	}
	defer close(w.done)
	m, err := w.newMachine(ctx)
	if err != nil {
		return err
	}
	m.purge()
	m.render()

	relight := time.NewTicker(relightEvery)
	defer relight.Stop()
	purge := time.NewTicker(purgeEvery)
	defer purge.Stop()
	scans, presses := w.d.Scans, w.d.Presses
	for {
		var alertC <-chan time.Time
		if m.alert != "" {
			alertC = m.alertTimer.C
		}
		select {
		case <-ctx.Done():
			if m.alertTimer != nil {
				m.alertTimer.Stop()
			}
			return nil
		case r := <-w.reqs:
			e := m.command(r.cmd, r.data)
			m.render() // before the answer: a command that succeeded is on the lights
			r.reply <- e
		case p, ok := <-presses:
			if !ok {
				presses = nil
				continue
			}
			m.press(p)
			m.render()
		case s, ok := <-scans:
			if !ok {
				scans = nil
				continue
			}
			m.scan(s)
			m.render()
		case <-relight.C:
			m.render()
		case <-alertC:
			m.alert = ""
			m.render()
		case <-purge.C:
			m.purge()
		}
	}
}

// newMachine loads the stored state.
func (w *Workflow) newMachine(ctx context.Context) (*machine, error) {
	m := &machine{
		Workflow: w,
		ctx:      context.WithoutCancel(ctx),
		adjust:   map[string]adjust{},
		shown:    map[string]written{},
		handles:  map[string]lights.Lights{},
	}
	var bad []string
	err := w.d.Store.View(func(tx *outbox.Tx) error {
		var err error
		m.st, bad, err = load(tx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("picking: read the stored batches and walls: %w", err)
	}
	for _, b := range bad {
		w.log.Error("stored record unreadable, skipped: "+b, "hint", "a bug: please report it with the station's log")
	}
	w.log.Info("pick-to-light ready", "batches", len(m.st.batches), "walls", len(m.st.walls), "lights", len(m.st.direct))
	return m, nil
}

// machine is the state Run's goroutine owns.
type machine struct {
	*Workflow
	ctx context.Context // Run's, without its cancellation: a change whose cause happened is written

	st     state
	adjust map[string]adjust // location → the count of a short pick being entered

	alert      string // location blinking red, or ""
	alertTimer *time.Timer

	shown   map[string]written       // location → what was written to it
	handles map[string]lights.Lights // device → the handle written through
}

// adjust is a short pick being entered at a location (see the package documentation).
type adjust struct {
	batch string
	task  int
	count int
}

func (m *machine) cfg() *config.Config { return m.d.Config() }

func (m *machine) command(cmd protocol.Command, data protocol.CommandData) *protocol.Error {
	switch d := data.(type) {
	case protocol.PickTasks:
		return m.pickTasks(d)
	case protocol.PickCancel:
		return m.pickCancel(d)
	case protocol.PutWall:
		return m.putWall(d)
	case protocol.LightSet:
		return m.lightSet(d)
	}
	return protocol.Errorf(protocol.CodeInternal, "%s reached the pick-to-light workflow with data %T: a bug, please report it", cmd.Type, data)
}

// change is one transaction: records to write and delete, events to append, and what to do in
// memory once it is durable.
type change struct {
	puts   []record
	dels   []record
	events []outbox.Event
	apply  func()
}

type record struct {
	bucket, key []byte
	val         any // JSON-encoded by put
}

func (c *change) put(bucket, key []byte, v any) {
	c.puts = append(c.puts, record{bucket, key, v})
}

func (c *change) del(bucket, key []byte) { c.dels = append(c.dels, record{bucket: bucket, key: key}) }

func (c *change) event(typ string, at time.Time, data any) {
	c.events = append(c.events, outbox.Event{Type: typ, Time: at, Data: data})
}

// commit writes c in one Update (the events with the state that caused them) and applies it in
// memory once it is durable. On error nothing changed.
func (m *machine) commit(c *change) error {
	vals := make([][]byte, len(c.puts))
	for i, r := range c.puts {
		b, err := json.Marshal(r.val)
		if err != nil {
			return fmt.Errorf("picking: encode %s %q: %w", r.bucket, r.key, err)
		}
		vals[i] = b
	}
	err := m.d.Store.Update(m.ctx, func(tx *outbox.Tx) error {
		for _, r := range c.dels {
			if err := tx.Delete(r.bucket, r.key); err != nil {
				return err
			}
		}
		for i, r := range c.puts {
			if err := tx.Put(r.bucket, r.key, vals[i]); err != nil {
				return err
			}
		}
		for _, ev := range c.events {
			if _, err := tx.Append(ev); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if c.apply != nil {
		c.apply()
	}
	return nil
}

// storeError is the command result of a failed commit.
func storeError(err error) *protocol.Error {
	if errors.Is(err, outbox.ErrFull) {
		return protocol.Errorf(protocol.CodeStorageFull, "the station's store is full: %v", err)
	}
	return protocol.Errorf(protocol.CodeInternal, "the station could not store the change: %v", err)
}

// getDone reads the record of a finished batch or order.
func (m *machine) getDone(key []byte) (done, bool) {
	var v []byte
	if err := m.d.Store.View(func(tx *outbox.Tx) error {
		v = tx.Get(bucketDone, key)
		return nil
	}); err != nil {
		m.log.Warn("read finished batches: "+err.Error(), "key", string(key))
		return done{}, false
	}
	var d done
	if v == nil || json.Unmarshal(v, &d) != nil {
		return done{}, false
	}
	return d, true
}

// purge forgets finished batches and orders older than storage.command_ttl.
func (m *machine) purge() {
	ttl := max(m.cfg().Storage.CommandTTL, minDoneTTL)
	cutoff := m.d.Now().Add(-ttl).Unix()
	var old [][]byte
	err := m.d.Store.View(func(tx *outbox.Tx) error {
		old = old[:0]
		return tx.ForEach(bucketDone, func(k, v []byte) error {
			var d done
			if json.Unmarshal(v, &d) != nil || d.At < cutoff {
				old = append(old, append([]byte(nil), k...))
			}
			return nil
		})
	})
	if err != nil {
		m.log.Warn("purge finished batches: " + err.Error())
		return
	}
	if len(old) == 0 {
		return
	}
	c := &change{}
	for _, k := range old {
		c.del(bucketDone, k)
	}
	if err := m.commit(c); err != nil {
		m.log.Warn("purge finished batches: " + err.Error())
		return
	}
	m.log.Debug("forgot finished batches and orders", "count", len(old))
}

// location returns the location whose button p pressed.
func (m *machine) location(p agent.Press) (config.Location, bool) {
	for _, l := range m.cfg().Locations {
		if l.Device == p.Device && l.Button == p.Input {
			return l, true
		}
	}
	return config.Location{}, false
}

func (m *machine) press(p agent.Press) {
	loc, ok := m.location(p)
	if !ok {
		m.log.Debug("press on a button of no location", "device", p.Device, "input", p.Input)
		return
	}
	if p.At.IsZero() {
		p.At = m.d.Now()
	}
	if m.putPress(loc, p) || m.pickPress(loc, p) {
		return
	}
	m.log.Debug("press on a location with nothing to confirm", "location", loc.ID)
}

// inUse names what lights location for a pick batch or put wall, or returns "".
func (m *machine) inUse(location string) string {
	if w, o := m.st.slotHolder(location); o != nil {
		return fmt.Sprintf("slot of order %q of put wall %q", o.Cmd.OrderID, w.ID)
	}
	if b, _ := m.st.shownTask(location); b != nil {
		return fmt.Sprintf("lit for pick batch %q", b.Cmd.BatchID)
	}
	return ""
}
