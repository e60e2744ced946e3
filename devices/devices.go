// Package devices holds what every kind of station device shares: the config entry a driver is
// opened from (Spec), what the agent hands a driver when it opens it (Env), device states, and the
// registry of drivers by kind and name.
//
// Drivers register themselves from init() through their kind's package (scale.Register,
// scanner.Register, ...), which also records them here so that configuration checking knows every
// driver and its options without touching hardware. A duplicate registration panics: it is a bug,
// not input.
package devices

import (
	"fmt"
	"log/slog"
	"sort"
	"sync"
)

// Kinds of device, as written in the config's devices[].kind.
const (
	KindScanner = "scanner"
	KindScale   = "scale"
	KindPrinter = "printer"
	KindLights  = "lights"
)

// Kinds lists every device kind in a stable order.
var Kinds = []string{KindScanner, KindScale, KindPrinter, KindLights}

// States reported in device.status and in the birth message.
const (
	StateOK           = "ok"
	StateDisconnected = "disconnected"
	StateFault        = "fault"
)

// Spec is one entry of the config's devices list, as a driver sees it.
type Spec struct {
	Name    string
	Kind    string
	Driver  string
	Port    string // serial port or device node (/dev/ttyUSB0, /dev/input/event3, /dev/hidraw0)
	Baud    int    // serial speed; 0 when absent
	Address string // printers: tcp://host:port, file:/dev/usb/lp0, serial:/dev/ttyUSB1?baud=9600

	// Options holds every other key of the entry, decoded from YAML: string, int, float64, bool,
	// []any or map[string]any. Drivers read them through the typed getters below.
	Options map[string]any
}

func (s Spec) String() string { return s.Name }

// Where names the device and its port or address the way a technician reads it in a log line:
// "scale1 (/dev/ttyUSB0)".
func (s Spec) Where() string {
	switch {
	case s.Port != "":
		return s.Name + " (" + s.Port + ")"
	case s.Address != "":
		return s.Name + " (" + s.Address + ")"
	}
	return s.Name
}

// StringOpt returns option key as a string, or def when absent.
func (s Spec) StringOpt(key, def string) string {
	if v, ok := s.Options[key].(string); ok {
		return v
	}
	return def
}

// IntOpt returns option key as an int, or def when absent or not a whole number.
func (s Spec) IntOpt(key string, def int) int {
	switch v := s.Options[key].(type) {
	case int:
		return v
	case int64:
		return int(v)
	case float64:
		if v == float64(int(v)) {
			return int(v)
		}
	}
	return def
}

// BoolOpt returns option key as a bool, or def when absent.
func (s Spec) BoolOpt(key string, def bool) bool {
	if v, ok := s.Options[key].(bool); ok {
		return v
	}
	return def
}

// Env is what the agent hands a driver when it opens a device.
type Env struct {
	// Log is the device's logger, already carrying the device name.
	Log *slog.Logger
	// Attach, when not nil, receives every simulator a sim driver opens, keyed by device name, so
	// that the demo and tests can drive it (set a weight, feed a scan). Real drivers ignore it.
	Attach func(name string, sim any)
}

// Logger returns e.Log or a logger that discards.
func (e Env) Logger() *slog.Logger {
	if e.Log != nil {
		return e.Log
	}
	return slog.New(slog.DiscardHandler)
}

// Option documents one driver-specific key of a device entry (beyond name, kind, driver, port,
// baud and address). The README's config reference and check-config are built from these.
type Option struct {
	Key     string
	Type    string // "string", "int", "bool", "duration", "list", "map"
	Default string // as written in YAML; "" when there is none
	Doc     string // one line: what it does, unit and range
}

// FieldError is one problem with a device entry, found by a driver's validator. Key is relative
// to the entry ("baud", "unit", "terminator"); Msg says what is wrong and what is allowed.
type FieldError struct {
	Key string
	Msg string
}

func (e FieldError) Error() string { return e.Key + ": " + e.Msg }

// Driver describes a registered driver to configuration checking.
type Driver struct {
	Kind string
	Name string
	Doc  string // one line for the README
	// Port and Address say whether the entry needs a port or an address key.
	Port, Address bool
	// Options lists the driver-specific keys it accepts.
	Options []Option
	// Validate checks a device entry quickly and without touching hardware (nil: no extra checks).
	// Unknown keys and types of declared Options are checked by the caller.
	Validate func(Spec) []FieldError
	// Capacity, for lights drivers, says how many outputs (LEDs or pixels, numbered from 0),
	// button inputs and displays an entry provides, so that the location map can be checked.
	Capacity func(Spec) Capacity
}

// Capacity is what a lights device entry provides to the location map.
type Capacity struct {
	Outputs  int // LED channels or pixels, numbered from 0
	Inputs   int // buttons, numbered from 0
	Displays int // quantity displays, numbered from 0
	RGB      bool
}

var (
	mu      sync.Mutex
	drivers = map[string]map[string]Driver{}
)

// Register records a driver. It is called by the kind packages' Register functions from init();
// a duplicate or an unknown kind panics.
func Register(d Driver) {
	mu.Lock()
	defer mu.Unlock()
	if !knownKind(d.Kind) {
		panic(fmt.Sprintf("devices: driver %q registered for unknown kind %q", d.Name, d.Kind))
	}
	if d.Name == "" {
		panic("devices: driver registered without a name")
	}
	m := drivers[d.Kind]
	if m == nil {
		m = map[string]Driver{}
		drivers[d.Kind] = m
	}
	if _, dup := m[d.Name]; dup {
		panic(fmt.Sprintf("devices: %s driver %q registered twice", d.Kind, d.Name))
	}
	m[d.Name] = d
}

// Lookup returns the driver registered for kind and name.
func Lookup(kind, name string) (Driver, bool) {
	mu.Lock()
	defer mu.Unlock()
	d, ok := drivers[kind][name]
	return d, ok
}

// Names returns the names of the drivers registered for kind, sorted.
func Names(kind string) []string {
	mu.Lock()
	defer mu.Unlock()
	var names []string
	for n := range drivers[kind] {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func knownKind(k string) bool {
	for _, x := range Kinds {
		if x == k {
			return true
		}
	}
	return false
}
