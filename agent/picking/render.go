package picking

import (
	"errors"
	"reflect"
	"strconv"

	"github.com/stationd/stationd/agent/config"
	"github.com/stationd/stationd/devices/lights"
)

// Colours of the put wall.
var (
	putColor   = lights.Green // a slot to put into; blinking: the order is complete, empty the slot
	alertColor = lights.Red
)

// view is what one location shows.
type view struct {
	State lights.State
	Text  string // on the location's display, when it has one
}

// written is what was written to a location, and where.
type written struct {
	device  string
	target  lights.Target
	display int
	v       view
}

// desired computes what every location should show, by location id; absent means off.
func (m *machine) desired() map[string]view {
	want := make(map[string]view, len(m.st.direct))
	for l, d := range m.st.direct {
		want[l] = view{State: lights.State{Color: colorOf(d.Color), Blink: d.Blink}, Text: d.Text}
	}
	// The first open task met at a location, oldest batch first, is the one it shows.
	picked := map[string]bool{}
	for _, b := range m.st.batches {
		for i, t := range b.Cmd.Tasks {
			if b.Done[i] || picked[t.Location] {
				continue
			}
			picked[t.Location] = true
			v := view{State: lights.State{Color: colorOf(b.taskColor(i))}, Text: strconv.Itoa(t.Qty)}
			if a, ok := m.adjust[t.Location]; ok && a.batch == b.Cmd.BatchID && a.task == i {
				v.State.Blink, v.Text = true, strconv.Itoa(a.count)
			}
			want[t.Location] = v
		}
	}
	for _, w := range m.st.walls {
		for _, o := range w.Orders {
			switch {
			case o.Complete:
				want[o.Cmd.Slot] = view{State: lights.State{Color: putColor, Blink: true}}
			case o.pending() > 0:
				want[o.Cmd.Slot] = view{State: lights.State{Color: putColor}, Text: strconv.Itoa(o.pending())}
			}
		}
	}
	if m.alert != "" {
		v := want[m.alert]
		v.State = lights.State{Color: alertColor, Blink: true}
		want[m.alert] = v
	}
	return want
}

// render writes to the open devices what changed since the last render. A location never
// written is taken as dark, so that the workflow writes only the locations it lights (and does
// not switch off what another workflow shows). A device seen with a new handle (opened again,
// dark) is written in full.
func (m *machine) render() {
	cfg := m.cfg()
	m.syncHandles(cfg)
	want := m.desired()
	seen := make(map[string]bool, len(cfg.Locations))
	for _, loc := range cfg.Locations {
		seen[loc.ID] = true
		target := lights.Target{First: loc.First, Last: loc.Last}
		w, ok := m.shown[loc.ID]
		if ok && (w.device != loc.Device || w.target != target || w.display != loc.Display) {
			// The location moved (config reload): switch its old outputs off.
			m.write(loc.ID, w, view{})
			delete(m.shown, loc.ID)
			ok = false
		}
		if !ok {
			w = written{device: loc.Device, target: target, display: loc.Display}
		}
		v := want[loc.ID]
		if w.v == v {
			continue
		}
		if m.write(loc.ID, w, v) {
			w.v = v
			m.shown[loc.ID] = w
		}
	}
	for id, w := range m.shown {
		if !seen[id] { // the location left the config
			m.write(id, w, view{})
			delete(m.shown, id)
		}
	}
}

// write makes location id show v, reporting false when its device is not open. A failed write
// is logged and counts as written: the driver keeps the wanted state and retries it, and a
// device that fails is reopened by the supervisor, which makes render write it in full.
func (m *machine) write(id string, w written, v view) bool {
	l := m.handles[w.device]
	if l == nil {
		return false
	}
	if err := l.Set(w.target, v.State); err != nil {
		m.log.Warn("light not set: "+err.Error(), "location", id, "device", w.device)
	}
	if w.display >= 0 && v.Text != w.v.Text {
		if err := l.Show(w.display, v.Text); err != nil && !errors.Is(err, lights.ErrNotSupported) {
			m.log.Warn("display not set: "+err.Error(), "location", id, "device", w.device, "text", v.Text)
		}
	}
	return true
}

// syncHandles asks the LightsSource for every device in use. A device that closed is dark; one
// with a new handle was opened again, dark: what was written to either is forgotten, so that
// render writes it again.
func (m *machine) syncHandles(cfg *config.Config) {
	check := func(dev string, seen map[string]bool) {
		if seen[dev] {
			return
		}
		seen[dev] = true
		cur := m.d.Lights.Lights(dev)
		if same(cur, m.handles[dev]) {
			return
		}
		for id, w := range m.shown {
			if w.device == dev {
				delete(m.shown, id)
			}
		}
		if cur == nil {
			delete(m.handles, dev)
			m.log.Info("lights device not open: its locations light again when it is back", "device", dev)
			return
		}
		m.handles[dev] = cur
		m.log.Debug("lights device open: lighting its locations", "device", dev)
	}
	seen := map[string]bool{}
	for _, loc := range cfg.Locations {
		check(loc.Device, seen)
	}
	for _, w := range m.shown {
		check(w.device, seen)
	}
}

// same says whether a and b are the same device handle. Handles of a type that cannot be
// compared are taken as different, which only costs a rewrite.
func same(a, b lights.Lights) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	ta := reflect.TypeOf(a)
	if ta != reflect.TypeOf(b) || !ta.Comparable() {
		return false
	}
	return a == b
}
