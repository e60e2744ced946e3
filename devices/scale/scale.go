package scale

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/stationd/stationd/devices"
	"github.com/stationd/stationd/protocol/units"
)

// Reading is one weight from a scale.
type Reading struct {
	Mass   units.Mass // net weight as displayed, in milligrams
	Stable bool       // the scale's own stable flag (not the Detector's verdict)
}

// Scale is an open scale.
//
// Read gives one reading: demand protocols send their request and wait for the answer;
// continuous ones return the newest frame received since the previous Read, waiting for one if
// there is none (HID POS scales report only changes, so that driver returns the newest report,
// again while nothing changes). Failures are *Error: an overload, underload or error reply is never a Reading.
// When the port is gone Read returns an error matching ErrDisconnected, after Close one matching
// ErrClosed, and when ctx ends ctx.Err() (wrapped).
//
// Zero and Tare return ErrNotSupported where the protocol has no such command. A Scale is safe
// for concurrent use: commands are serialised.
type Scale interface {
	Read(ctx context.Context) (Reading, error)
	Zero(ctx context.Context) error
	Tare(ctx context.Context) error
	// String names the scale for humans: "scale1 (/dev/ttyUSB0)".
	String() string
	// Halt stops what the scale does on its own (a repeating send) and returns it to an inert
	// state; the Scale stays open.
	Halt() error
	// Close releases what Open acquired (the port) and unblocks a pending Read.
	Close() error
}

// Defaults are a driver's defaults for the options every scale entry accepts.
type Defaults struct {
	Poll       time.Duration // poll_ms: time between the starts of two readings
	Stability  Stability     // stable_count, stable_delta_g, stable_ms
	FaultAfter int           // fault_after: consecutive communication errors before a fault
}

// Driver describes a scale driver to the registry.
type Driver struct {
	Doc  string // one line for the README
	Port bool   // the entry needs a port (serial device or /dev/hidrawN)
	// Options lists the driver's own keys; Register adds the Monitor's keys (poll_ms,
	// stable_count, stable_delta_g, stable_ms, fault_after) with the driver's Defaults.
	Options []devices.Option
	// Validate checks the driver's own keys quickly without touching hardware (nil: none).
	Validate func(devices.Spec) []devices.FieldError
	// Open opens the scale of a validated entry. env.Attach receives simulators.
	Open     func(ctx context.Context, s devices.Spec, env devices.Env) (Scale, error)
	Defaults Defaults
}

var (
	mu      sync.Mutex
	drivers = map[string]Driver{}
)

// Register records a scale driver under name, here and in the devices registry (kind scale). It
// is called from the driver package's init(); a duplicate name, a missing Open or invalid
// defaults panic: they are bugs, not input.
func Register(name string, d Driver) {
	if d.Open == nil {
		panic(fmt.Sprintf("scale: driver %q registered without Open", name))
	}
	if d.Defaults.Stability.Count < 1 || d.Defaults.FaultAfter < 1 || d.Defaults.Poll < 0 {
		panic(fmt.Sprintf("scale: driver %q registered with invalid defaults %+v", name, d.Defaults))
	}
	mu.Lock()
	if _, dup := drivers[name]; dup {
		mu.Unlock()
		panic(fmt.Sprintf("scale: driver %q registered twice", name))
	}
	drivers[name] = d
	mu.Unlock()

	opts := append(append([]devices.Option(nil), d.Options...), monitorOptions(d.Defaults)...)
	validate := d.Validate
	devices.Register(devices.Driver{
		Kind:    devices.KindScale,
		Name:    name,
		Doc:     d.Doc,
		Port:    d.Port,
		Options: opts,
		Validate: func(s devices.Spec) []devices.FieldError {
			var errs []devices.FieldError
			if validate != nil {
				errs = validate(s)
			}
			return append(errs, validateMonitor(s)...)
		},
	})
}

// Lookup returns the scale driver registered under name.
func Lookup(name string) (Driver, bool) {
	mu.Lock()
	defer mu.Unlock()
	d, ok := drivers[name]
	return d, ok
}

// Names returns the registered scale drivers, sorted.
func Names() []string {
	mu.Lock()
	defer mu.Unlock()
	names := make([]string, 0, len(drivers))
	for n := range drivers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Validate checks a scale entry with its driver's validator and the Monitor's keys.
func Validate(s devices.Spec) []devices.FieldError {
	d, ok := devices.Lookup(devices.KindScale, s.Driver)
	if !ok {
		return []devices.FieldError{{Key: "driver", Msg: "must be one of " + strings.Join(Names(), ", ")}}
	}
	if d.Validate == nil {
		return nil
	}
	return d.Validate(s)
}

// Open validates the entry and opens the scale with its registered driver.
func Open(ctx context.Context, s devices.Spec, env devices.Env) (Scale, error) {
	d, ok := Lookup(s.Driver)
	if !ok {
		return nil, fmt.Errorf("%s: unknown scale driver %q: use one of %s", s.Where(), s.Driver, strings.Join(Names(), ", "))
	}
	if errs := Validate(s); len(errs) > 0 {
		list := make([]error, len(errs))
		for i, e := range errs {
			list[i] = e
		}
		return nil, fmt.Errorf("%s: invalid entry: %w", s.Where(), errors.Join(list...))
	}
	return d.Open(ctx, s, env)
}

// Monitor option keys, accepted by every scale entry.
const (
	OptPoll        = "poll_ms"
	OptStableCount = "stable_count"
	OptStableDelta = "stable_delta_g"
	OptStableMS    = "stable_ms"
	OptFaultAfter  = "fault_after"
)

func monitorOptions(d Defaults) []devices.Option {
	return []devices.Option{
		{Key: OptPoll, Type: "int", Default: strconv.FormatInt(d.Poll.Milliseconds(), 10),
			Doc: "milliseconds between the starts of two readings, 10 to 60000"},
		{Key: OptStableCount, Type: "int", Default: strconv.Itoa(d.Stability.Count),
			Doc: "stable weight: at least this many consecutive readings within ±stable_delta_g, 1 to 100"},
		{Key: OptStableDelta, Type: "int", Default: strconv.FormatInt(int64(d.Stability.Delta/units.Gram), 10),
			Doc: "stable weight: band in grams (±) the readings stay in, 0 to 10000"},
		{Key: OptStableMS, Type: "int", Default: strconv.FormatInt(d.Stability.Window.Milliseconds(), 10),
			Doc: "stable weight: the readings in the band span at least this many milliseconds, 0 to 60000"},
		{Key: OptFaultAfter, Type: "int", Default: strconv.Itoa(d.FaultAfter),
			Doc: "consecutive communication errors (timeout, garbage, bad checksum) before device.status fault, 1 to 100"},
	}
}

func validateMonitor(s devices.Spec) []devices.FieldError {
	var errs []devices.FieldError
	check := func(key string, lo, hi int) {
		if _, ok := s.Options[key]; !ok {
			return
		}
		v := s.IntOpt(key, lo-1)
		if v < lo || v > hi {
			errs = append(errs, devices.FieldError{Key: key, Msg: fmt.Sprintf("must be a whole number from %d to %d", lo, hi)})
		}
	}
	check(OptPoll, 10, 60000)
	check(OptStableCount, 1, 100)
	check(OptStableDelta, 0, 10000)
	check(OptStableMS, 0, 60000)
	check(OptFaultAfter, 1, 100)
	return errs
}

// MonitorConfigFor returns the Monitor settings of a scale entry: its poll_ms, stable_count,
// stable_delta_g, stable_ms and fault_after keys over its driver's Defaults. Callbacks and the
// logger are left for the caller to set.
func MonitorConfigFor(s devices.Spec) (MonitorConfig, error) {
	d, ok := Lookup(s.Driver)
	if !ok {
		return MonitorConfig{}, fmt.Errorf("%s: unknown scale driver %q: use one of %s", s.Where(), s.Driver, strings.Join(Names(), ", "))
	}
	if errs := validateMonitor(s); len(errs) > 0 {
		return MonitorConfig{}, fmt.Errorf("%s: %s", s.Where(), errs[0])
	}
	def := d.Defaults
	return MonitorConfig{
		Poll: time.Duration(s.IntOpt(OptPoll, int(def.Poll.Milliseconds()))) * time.Millisecond,
		Stability: Stability{
			Count:  s.IntOpt(OptStableCount, def.Stability.Count),
			Delta:  units.Mass(s.IntOpt(OptStableDelta, int(def.Stability.Delta/units.Gram))) * units.Gram,
			Window: time.Duration(s.IntOpt(OptStableMS, int(def.Stability.Window.Milliseconds()))) * time.Millisecond,
		},
		FaultAfter: s.IntOpt(OptFaultAfter, def.FaultAfter),
	}, nil
}
