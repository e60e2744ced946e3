package returns

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stationd/stationd/agent"
	"github.com/stationd/stationd/agent/config"
	"github.com/stationd/stationd/agent/intake"
	"github.com/stationd/stationd/agent/outbox"
	"github.com/stationd/stationd/devices/scanner/barcode"
	"github.com/stationd/stationd/protocol"
)

// t0 is the tests' clock.
var t0 = time.Date(2026, 11, 22, 15, 0, 0, 0, time.UTC)

func testConfig(lang string) *config.Config {
	return &config.Config{
		Site: "PAR1", Station: "ret-01", Roles: []string{config.RoleReturns},
		Storage: config.Storage{CommandTTL: 7 * 24 * time.Hour},
		Pack:    config.Pack{Language: lang, Boxes: []config.Box{{ID: "BOX-S"}, {ID: "BOX-M"}}},
	}
}

func openStore(t testing.TB, path string) *outbox.Store {
	t.Helper()
	return openStoreMax(t, path, 0)
}

func openStoreMax(t testing.TB, path string, maxBytes int64) *outbox.Store {
	t.Helper()
	s, err := outbox.Open(path, outbox.Options{Site: "PAR1", Station: "ret-01", LockTimeout: time.Second, MaxBytes: maxBytes})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// clock is the tests' time, read by the workflow's goroutine.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func (c *clock) advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

// feedback records what the operator is told.
type feedback struct{ c chan signal }

type signal struct{ kind, text string }

func (f *feedback) Signal(kind, text string) { f.c <- signal{kind, text} }

// harness runs a Workflow on a real store, with scans, commands and the operator's feedback
// as channels.
type harness struct {
	t     testing.TB
	dir   string
	store *outbox.Store
	cfg   *config.Config
	w     *Workflow
	in    *intake.Intake
	scans chan agent.Scan
	fb    *feedback
	clock clock
	scale func() ScaleSource
	max   int64 // outbox.Options.MaxBytes; 0: the default

	cancel context.CancelFunc
	ran    chan error
	cmdN   int
}

func newHarness(t testing.TB, opts ...func(*harness)) *harness {
	t.Helper()
	h := &harness{t: t, dir: t.TempDir(), cfg: testConfig("en")}
	h.clock.set(t0)
	for _, o := range opts {
		o(h)
	}
	h.store = openStoreMax(t, filepath.Join(h.dir, "stationd.db"), h.max)
	t.Cleanup(func() {
		h.stop()
		h.store.Close()
	})
	h.start()
	return h
}

// start creates and runs a Workflow on h's store.
func (h *harness) start() {
	h.t.Helper()
	h.scans = make(chan agent.Scan)
	h.fb = &feedback{c: make(chan signal, 64)}
	var err error
	h.w, err = New(Deps{
		Store: h.store, Scans: h.scans, Scale: h.scale,
		Config: func() *config.Config { return h.cfg },
		Now:    h.clock.now, Feedback: h.fb,
	})
	if err != nil {
		h.t.Fatal(err)
	}
	h.in = intake.New(h.store, intake.Options{Roles: h.cfg.Roles, Now: h.clock.now})
	h.w.Register(h.in)
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	h.ran = make(chan error, 1)
	go func() { h.ran <- h.w.Run(ctx) }()
}

// stop stops the Workflow and waits for Run to return.
func (h *harness) stop() {
	if h.cancel == nil {
		return
	}
	h.cancel()
	if err := <-h.ran; err != nil {
		h.t.Errorf("Run: %v", err)
	}
	h.cancel = nil
}

// restart stops the Workflow and runs a new one on the same store, as after a power cut.
func (h *harness) restart() {
	h.t.Helper()
	h.stop()
	h.start()
}

// scan sends data as the scanner delivers it and returns what the operator is told.
func (h *harness) scan(data string) signal {
	h.t.Helper()
	at := h.clock.advance(time.Second)
	h.scans <- agent.Scan{Device: "scanner1", Data: data, At: at, Decoded: barcode.Decode(data)}
	return h.told()
}

// told returns the next operator message.
func (h *harness) told() signal {
	h.t.Helper()
	return h.toldWithin(10 * time.Second)
}

// toldWithin returns the next operator message, told within d.
func (h *harness) toldWithin(d time.Duration) signal {
	h.t.Helper()
	select {
	case s := <-h.fb.c:
		return s
	case <-time.After(d):
		h.t.Fatalf("the operator was told nothing in %v", d)
	}
	return signal{}
}

// want scans data and checks the operator's message.
func (h *harness) want(data, kind, textPart string) {
	h.t.Helper()
	s := h.scan(data)
	if s.kind != kind || !strings.Contains(s.text, textPart) {
		h.t.Errorf("scan %q: told %s %q, want %s containing %q", data, s.kind, s.text, kind, textPart)
	}
}

// command sends a command through the intake and returns its result.
func (h *harness) command(data protocol.CommandData) protocol.CommandResult {
	h.t.Helper()
	h.cmdN++
	cmd, err := protocol.NewCommand(fmt.Sprintf("cmd-%d", h.cmdN), h.clock.now(), data)
	if err != nil {
		h.t.Fatalf("NewCommand: %v", err)
	}
	return h.commandRaw(cmd)
}

func (h *harness) commandRaw(cmd protocol.Command) protocol.CommandResult {
	h.t.Helper()
	payload, err := json.Marshal(cmd)
	if err != nil {
		h.t.Fatal(err)
	}
	res, err := h.in.Process(context.Background(), "wh/v1/PAR1/ret-01/cmd/"+cmd.Type, payload)
	if err != nil {
		h.t.Fatalf("Process: %v", err)
	}
	return res
}

// received returns the data of every return.received event in the outbox, decoded and checked
// the way an OMS does (protocol.DecodeEvent), with the raw data for the extension.
func (h *harness) received() []receivedEvent {
	h.t.Helper()
	recs, err := h.store.Pending(0, 10000)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []receivedEvent
	for _, r := range recs {
		if r.Type != protocol.EventReturnReceived {
			continue
		}
		_, d, err := protocol.DecodeEvent(r.Payload)
		if err != nil {
			h.t.Fatalf("return.received seq %d is not valid for an OMS: %v\n%s", r.Seq, err, r.Payload)
		}
		var raw struct {
			Data struct {
				Announced *bool `json:"announced"`
			} `json:"data"`
		}
		if err := json.Unmarshal(r.Payload, &raw); err != nil || raw.Data.Announced == nil {
			h.t.Fatalf("return.received seq %d has no announced field: %s", r.Seq, r.Payload)
		}
		out = append(out, receivedEvent{ReturnReceived: d.(protocol.ReturnReceived), Announced: *raw.Data.Announced})
	}
	return out
}

// lastReceived returns the only new return.received since n were seen.
func (h *harness) lastReceived(n int) receivedEvent {
	h.t.Helper()
	evs := h.received()
	if len(evs) != n+1 {
		h.t.Fatalf("%d return.received events, want %d", len(evs), n+1)
	}
	return evs[n]
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
