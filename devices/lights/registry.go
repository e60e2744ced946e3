package lights

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/stationd/stationd/devices"
)

// Driver describes a lights driver to the registry.
type Driver struct {
	Doc     string           // one line for the README
	Options []devices.Option // the driver-specific keys of a device entry, with defaults
	// Validate checks a device entry quickly and without touching hardware (nil: no checks
	// beyond the declared option types).
	Validate func(devices.Spec) []devices.FieldError
	// Capacity says how many outputs, inputs and displays a valid entry provides. Required.
	Capacity func(devices.Spec) devices.Capacity
	// Open opens the device of a valid entry. Required.
	Open func(ctx context.Context, s devices.Spec, env Env) (Lights, error)
}

var (
	mu      sync.Mutex
	drivers = map[string]Driver{}
)

// Register records a lights driver under name, here and in package devices. Call it from
// init(); a duplicate name, or a driver without Open or Capacity, panics.
func Register(name string, d Driver) {
	if d.Open == nil || d.Capacity == nil {
		panic(fmt.Sprintf("lights: driver %q registered without Open or Capacity", name))
	}
	mu.Lock()
	if _, dup := drivers[name]; dup {
		mu.Unlock()
		panic(fmt.Sprintf("lights: driver %q registered twice", name))
	}
	drivers[name] = d
	mu.Unlock()
	devices.Register(devices.Driver{
		Kind:     devices.KindLights,
		Name:     name,
		Doc:      d.Doc,
		Options:  d.Options,
		Validate: d.Validate,
		Capacity: d.Capacity,
	})
}

// Lookup returns the driver registered under name.
func Lookup(name string) (Driver, bool) {
	mu.Lock()
	defer mu.Unlock()
	d, ok := drivers[name]
	return d, ok
}

// Names returns the registered driver names, sorted.
func Names() []string {
	mu.Lock()
	defer mu.Unlock()
	n := make([]string, 0, len(drivers))
	for k := range drivers {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// Open validates the device entry s with its driver's Validate and opens it. An unknown driver
// or an invalid entry gives an error wrapping ErrInvalid that names the device.
func Open(ctx context.Context, s devices.Spec, env Env) (Lights, error) {
	if s.Kind != "" && s.Kind != devices.KindLights {
		return nil, fmt.Errorf("%s: kind %q is not %s: %w", s.Name, s.Kind, devices.KindLights, ErrInvalid)
	}
	d, ok := Lookup(s.Driver)
	if !ok {
		return nil, fmt.Errorf("%s: unknown lights driver %q: %w: use one of %s",
			s.Name, s.Driver, ErrInvalid, strings.Join(Names(), ", "))
	}
	if d.Validate != nil {
		if errs := d.Validate(s); len(errs) > 0 {
			msgs := make([]string, len(errs))
			for i, e := range errs {
				msgs[i] = e.Error()
			}
			return nil, fmt.Errorf("%s: %w device entry: %s", s.Name, ErrInvalid, strings.Join(msgs, "; "))
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return d.Open(ctx, s, env)
}
