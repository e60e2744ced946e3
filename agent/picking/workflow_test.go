package picking

import (
	"context"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stationd/stationd/agent/config"
	"github.com/stationd/stationd/agent/outbox"
	"github.com/stationd/stationd/devices/lights"
	"github.com/stationd/stationd/protocol"
)

func TestNew(t *testing.T) {
	cfg := func() *config.Config { return testConfig() }
	src := &source{m: map[string]lights.Lights{}}
	tests := []struct {
		name string
		d    Deps
	}{
		{"no store", Deps{Lights: src, Config: cfg}},
		{"no lights", Deps{Store: fakeStore{}, Config: cfg}},
		{"no config", Deps{Store: fakeStore{}, Lights: src}},
		{"nil config", Deps{Store: fakeStore{}, Lights: src, Config: func() *config.Config { return nil }}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.d); err == nil {
				t.Error("no error")
			}
		})
	}
	w, err := New(Deps{Store: fakeStore{}, Lights: src, Config: cfg})
	if err != nil || w.Name() != "picking" {
		t.Fatalf("New: %v, %v", w, err)
	}
}

// Register follows the roles: light.set always.
func TestRegisterRoles(t *testing.T) {
	tests := []struct {
		roles []string
		want  []string
	}{
		{[]string{config.RolePack}, []string{protocol.CommandLightSet}},
		{[]string{config.RolePick}, []string{protocol.CommandLightSet, protocol.CommandPickCancel, protocol.CommandPickTasks}},
		{[]string{config.RolePut}, []string{protocol.CommandLightSet, protocol.CommandPutWall}},
	}
	for _, tt := range tests {
		cfg := testConfig()
		cfg.Roles = tt.roles
		w, err := New(Deps{Store: fakeStore{}, Lights: &source{}, Config: func() *config.Config { return cfg }})
		if err != nil {
			t.Fatal(err)
		}
		hs := handlerMap{}
		w.Register(hs)
		var got []string
		for k := range hs {
			got = append(got, k)
		}
		slices.Sort(got)
		if !slices.Equal(got, tt.want) {
			t.Errorf("roles %v: registered %v, want %v", tt.roles, got, tt.want)
		}
	}
}

// Commands sent when Run has ended are answered, not left hanging; Run runs once.
func TestNotRunning(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		if err := h.w.Run(t.Context()); err == nil {
			t.Error("second Run: no error")
		}
		h.stop()
		if err := <-h.errc; err != nil {
			t.Fatal(err)
		}
		h.errc <- nil // for shutdown
		e := h.handlers[protocol.CommandLightSet](t.Context(), protocol.Command{ID: "x", Type: protocol.CommandLightSet},
			protocol.LightSet{Location: "A-01", Color: "red"})
		if e == nil || e.Code != protocol.CodeInternal {
			t.Errorf("got %v, want internal", e)
		}
	})
}

// A command whose change cannot be stored changes nothing and says so.
func TestStoreFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		h.ok(protocol.PickTasks{BatchID: "B1", Tasks: []protocol.PickTask{task("T1", "A-01", 1)}})
		if err := h.store.Close(); err != nil {
			t.Fatal(err)
		}
		e := h.handlers[protocol.CommandPickTasks](t.Context(), protocol.Command{ID: "x", Type: protocol.CommandPickTasks},
			protocol.PickTasks{BatchID: "B2", Tasks: []protocol.PickTask{task("T1", "A-02", 1)}})
		if e == nil || e.Code != protocol.CodeInternal {
			t.Errorf("got %v, want internal", e)
		}
		waitIdle()
		h.wantLight("A-02", lights.Off, false, "")
		h.press("A-01", false) // not recorded: the location stays lit
		h.wantLight("A-01", lights.Green, false, "1")
	})
}

// Finished batches and orders are forgotten after storage.command_ttl.
func TestPurgeFinished(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		b1 := protocol.PickTasks{BatchID: "B1", Tasks: []protocol.PickTask{task("T1", "A-01", 1)}}
		h.ok(b1)
		h.ok(protocol.PickTasks{BatchID: "B2", Tasks: []protocol.PickTask{task("T1", "A-02", 1)}})
		h.press("A-01", false)
		h.ok(protocol.PickCancel{BatchID: "B2"})
		if k := h.keys(bucketDone); !slices.Equal(k, []string{"batch/B1", "batch/B2"}) {
			t.Fatalf("done %v", k)
		}
		h.offset.Store(int64(7*24*time.Hour - time.Minute))
		h.restart()
		if k := h.keys(bucketDone); len(k) != 2 {
			t.Fatalf("done %v before the TTL", k)
		}
		h.offset.Store(int64(7*24*time.Hour + time.Second))
		h.restart()
		if k := h.keys(bucketDone); len(k) != 0 {
			t.Fatalf("done %v after the TTL", k)
		}
		h.ok(b1) // forgotten: a new batch
		h.wantLight("A-01", lights.Green, false, "1")
	})
}

// A location moved or removed by a config reload: its old outputs go off.
func TestConfigReload(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		h.ok(protocol.PickTasks{BatchID: "B1", Tasks: []protocol.PickTask{task("T1", "A-01", 1), task("T2", "A-02", 2)}})
		cfg := testConfig()
		cfg.Locations[0].First, cfg.Locations[0].Last = 8, 8 // A-01 moves
		cfg.Locations = slices.Delete(cfg.Locations, 1, 2)   // A-02 goes
		h.reload(cfg)
		time.Sleep(relightEvery)
		waitIdle()
		sim := h.sims["shelf1"]
		if st := sim.Output(0); st.On() {
			t.Errorf("old output of A-01 still %v", st)
		}
		if st := sim.Output(1); st.On() || sim.Display(1) != "" {
			t.Errorf("output of the removed A-02 still %v %q", st, sim.Display(1))
		}
		h.wantLight("A-01", lights.Green, false, "1")
	})
}

// fakeStore satisfies agent.Store for tests that never reach it.
type fakeStore struct{}

func (fakeStore) Update(context.Context, func(*outbox.Tx) error) error { return nil }
func (fakeStore) View(func(*outbox.Tx) error) error                    { return nil }
