package picking

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stationd/stationd/agent"
	"github.com/stationd/stationd/agent/config"
	"github.com/stationd/stationd/agent/intake"
	"github.com/stationd/stationd/agent/outbox"
	"github.com/stationd/stationd/devices/lights"
	"github.com/stationd/stationd/devices/lights/lightsim"
	"github.com/stationd/stationd/devices/scanner/barcode"
	"github.com/stationd/stationd/protocol"
)

// testConfig is a station with a pick shelf and a put wall.
func testConfig() *config.Config {
	loc := func(id, dev string, first, last, button, display int) config.Location {
		return config.Location{ID: id, Device: dev, First: first, Last: last, Pixels: first != last, Button: button, Display: display}
	}
	return &config.Config{
		Site: "PAR1", Station: "pick-01",
		Roles:   []string{config.RolePick, config.RolePut},
		Storage: config.Storage{CommandTTL: 7 * 24 * time.Hour},
		Pack:    config.Pack{StationLight: "ALERT"},
		Locations: []config.Location{
			loc("A-01", "shelf1", 0, 0, 0, 0),
			loc("A-02", "shelf1", 1, 1, 1, 1),
			loc("A-03", "shelf1", 2, 2, 2, -1), // no display
			loc("A-04", "shelf1", 3, 5, 3, 2),  // pixels 3..5
			loc("NOBTN", "shelf1", 6, 6, -1, -1),
			loc("S-1", "wall1", 0, 0, 0, 0),
			loc("S-2", "wall1", 1, 1, 1, 1),
			loc("S-3", "wall1", 2, 2, 2, -1),
			loc("ALERT", "wall1", 7, 7, -1, -1),
		},
	}
}

func newSim(name string) *lightsim.Sim {
	return lightsim.New(lightsim.Config{Name: name, Outputs: 16, Inputs: 16, Displays: 4, RGB: true}, lights.Env{})
}

// source is a LightsSource whose devices the test opens and closes.
type source struct {
	mu sync.Mutex
	m  map[string]lights.Lights
}

func (s *source) Lights(name string) lights.Lights {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[name]
}

func (s *source) set(name string, l *lightsim.Sim) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l == nil {
		delete(s.m, name)
		return
	}
	s.m[name] = l
}

// tee registers handlers with the intake and keeps them for direct calls.
type tee struct {
	in *intake.Intake
	m  map[string]intake.Handler
}

func (t tee) Handle(typ string, h intake.Handler) {
	t.in.Handle(typ, h)
	t.m[typ] = h
}

// harness runs the workflow on a real store in a temporary directory, with simulated lights.
// Create it inside a synctest bubble.
type harness struct {
	t        *testing.T
	path     string
	cfg      *config.Config
	store    *outbox.Store
	src      *source
	sims     map[string]*lightsim.Sim
	presses  chan agent.Press
	scans    chan agent.Scan
	in       *intake.Intake
	handlers map[string]intake.Handler
	w        *Workflow
	stop     context.CancelFunc
	errc     chan error
	cmds     int
	lastSeq  uint64

	live   atomic.Pointer[config.Config] // what the workflow reads: see reload
	offset atomic.Int64                  // added to the workflow's clock
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{t: t, path: filepath.Join(t.TempDir(), "stationd.db"), cfg: testConfig()}
	h.live.Store(h.cfg)
	h.start()
	t.Cleanup(h.shutdown)
	return h
}

// start opens the store, fresh (dark) devices and a new workflow, as at boot.
func (h *harness) start() {
	t := h.t
	t.Helper()
	st, err := outbox.Open(h.path, outbox.Options{Site: h.cfg.Site, Station: h.cfg.Station})
	if err != nil {
		t.Fatal(err)
	}
	h.store = st
	h.sims = map[string]*lightsim.Sim{"shelf1": newSim("shelf1"), "wall1": newSim("wall1")}
	h.src = &source{m: map[string]lights.Lights{}}
	for n, s := range h.sims {
		h.src.set(n, s)
	}
	h.presses = make(chan agent.Press, 16)
	h.scans = make(chan agent.Scan, 16)
	h.in = intake.New(st, intake.Options{Roles: h.cfg.Roles})
	h.w, err = New(Deps{
		Store: st, Scans: h.scans, Presses: h.presses, Lights: h.src,
		Config: h.live.Load,
		Now:    func() time.Time { return time.Now().Add(time.Duration(h.offset.Load())) },
	})
	if err != nil {
		t.Fatal(err)
	}
	h.handlers = map[string]intake.Handler{}
	h.w.Register(tee{h.in, h.handlers})
	ctx, cancel := context.WithCancel(context.Background())
	h.stop = cancel
	h.errc = make(chan error, 1)
	go func() { h.errc <- h.w.Run(ctx) }()
	waitIdle()
}

// shutdown stops the workflow and closes the store, as at power off.
func (h *harness) shutdown() {
	if h.stop == nil {
		return
	}
	h.stop()
	if err := <-h.errc; err != nil {
		h.t.Errorf("Run: %v", err)
	}
	if err := h.store.Check(); err != nil && !errors.Is(err, outbox.ErrClosed) {
		h.t.Errorf("store check: %v", err)
	}
	if err := h.store.Close(); err != nil {
		h.t.Errorf("store close: %v", err)
	}
	h.stop = nil
}

// reload gives the workflow a new config, as SIGHUP does.
func (h *harness) reload(cfg *config.Config) {
	h.cfg = cfg
	h.live.Store(cfg)
}

func (h *harness) restart() {
	h.shutdown()
	h.start()
}

// do sends a command through the intake, as the OMS would, and returns its result.
func (h *harness) do(data protocol.CommandData) protocol.CommandResult {
	h.t.Helper()
	h.cmds++
	raw, err := json.Marshal(data)
	if err != nil {
		h.t.Fatal(err)
	}
	payload, err := json.Marshal(protocol.Command{V: protocol.Version, ID: fmt.Sprintf("cmd-%d", h.cmds), Type: data.CommandType(), Data: raw})
	if err != nil {
		h.t.Fatal(err)
	}
	res, err := h.in.Process(context.Background(), "wh/v1/PAR1/pick-01/cmd/"+data.CommandType(), payload)
	if err != nil {
		h.t.Fatalf("intake: %v", err)
	}
	waitIdle()
	return res
}

// ok sends a command that must succeed.
func (h *harness) ok(data protocol.CommandData) {
	h.t.Helper()
	if res := h.do(data); !res.OK {
		h.t.Fatalf("%s: %+v", data.CommandType(), res.Error)
	}
}

// fails sends a command that must fail with code, its message containing msg.
func (h *harness) fails(data protocol.CommandData, code, msg string) {
	h.t.Helper()
	res := h.do(data)
	if res.OK || res.Error.Code != code || !strings.Contains(res.Error.Message, msg) {
		h.t.Fatalf("%s: got %+v, want %s containing %q", data.CommandType(), res.Error, code, msg)
	}
}

// press presses the button of location id and waits until the workflow is idle.
func (h *harness) press(id string, long bool) time.Time {
	h.t.Helper()
	loc, ok := h.cfg.Location(id)
	if !ok || loc.Button < 0 {
		h.t.Fatalf("no button at %s", id)
	}
	at := time.Now()
	h.presses <- agent.Press{Device: loc.Device, Input: loc.Button, Long: long, At: at}
	waitIdle()
	return at
}

// scan scans data at the put wall and waits until the workflow is idle.
func (h *harness) scan(data string) time.Time {
	at := time.Now()
	h.scans <- agent.Scan{Device: "scanner1", Data: data, At: at, Decoded: barcode.Decode(data)}
	waitIdle()
	return at
}

// light returns what location id shows: the state of its outputs (they must agree) and its
// display text.
func (h *harness) light(id string) (lights.State, string) {
	h.t.Helper()
	loc, ok := h.cfg.Location(id)
	if !ok {
		h.t.Fatalf("no location %s", id)
	}
	sim := h.sims[loc.Device]
	st := sim.Output(loc.First)
	for i := loc.First + 1; i <= loc.Last; i++ {
		if o := sim.Output(i); o != st {
			h.t.Fatalf("%s: output %d shows %+v, output %d %+v", id, loc.First, st, i, o)
		}
	}
	text := ""
	if loc.Display >= 0 {
		text = sim.Display(loc.Display)
	}
	return st, text
}

// wantLight checks what location id shows.
func (h *harness) wantLight(id string, c lights.Color, blink bool, text string) {
	h.t.Helper()
	st, got := h.light(id)
	if st != (lights.State{Color: c, Blink: blink}) || got != text {
		h.t.Errorf("%s shows %v blink=%v %q, want %v blink=%v %q", id, st.Color, st.Blink, got, c, blink, text)
	}
}

// wantDark checks that nothing is lit on any device.
func (h *harness) wantDark() {
	h.t.Helper()
	for n, s := range h.sims {
		if lit := s.Lit(); len(lit) > 0 {
			h.t.Errorf("%s still lit: %v", n, lit)
		}
		for i := range 4 {
			if d := s.Display(i); d != "" {
				h.t.Errorf("%s display %d still shows %q", n, i, d)
			}
		}
	}
}

// event is a stored event as the OMS receives it.
type event struct {
	Seq  uint64
	Type string
	Time time.Time
	Data string // compact JSON
}

func (e event) String() string { return e.Type + " " + e.Data }

// events returns the events appended since the last call, command.result included, after
// checking each envelope against the contract's schema (extension events: their JSON only).
func (h *harness) events() []event {
	h.t.Helper()
	recs, err := h.store.Pending(h.lastSeq, 10000)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []event
	for _, r := range recs {
		var env protocol.Event
		if err := json.Unmarshal(r.Payload, &env); err != nil {
			h.t.Fatalf("seq %d: %v", r.Seq, err)
		}
		if _, known := protocol.LookupEvent(env.Type); known {
			if err := env.Validate(); err != nil {
				h.t.Errorf("seq %d: %v", r.Seq, err)
			}
		}
		var b bytes.Buffer
		if err := json.Compact(&b, env.Data); err != nil {
			h.t.Fatal(err)
		}
		out = append(out, event{Seq: r.Seq, Type: env.Type, Time: env.Time.Time, Data: b.String()})
		h.lastSeq = r.Seq
	}
	return out
}

// workEvents returns the events since the last call without the command results, which it
// checks are all ok.
func (h *harness) workEvents() []event {
	h.t.Helper()
	var out []event
	for _, e := range h.events() {
		if e.Type == protocol.EventCommandResult {
			continue
		}
		out = append(out, e)
	}
	return out
}

// wantEvents checks the events since the last call (command results left out).
func (h *harness) wantEvents(want ...string) []event {
	h.t.Helper()
	got := h.workEvents()
	var gs []string
	for _, e := range got {
		gs = append(gs, e.String())
	}
	if strings.Join(gs, "\n") != strings.Join(want, "\n") {
		h.t.Errorf("events:\n%s\nwant:\n%s", strings.Join(gs, "\n"), strings.Join(want, "\n"))
	}
	return got
}

// keys lists the keys of one of the workflow's buckets.
func (h *harness) keys(bucket []byte) []string {
	h.t.Helper()
	var ks []string
	if err := h.store.View(func(tx *outbox.Tx) error {
		return tx.ForEach(bucket, func(k, _ []byte) error {
			ks = append(ks, strings.ReplaceAll(string(k), "\x00", "/"))
			return nil
		})
	}); err != nil {
		h.t.Fatal(err)
	}
	return ks
}

// waitIdle waits until every goroutine of the bubble is blocked: the workflow has handled what
// it was given.
func waitIdle() { synctest.Wait() }
