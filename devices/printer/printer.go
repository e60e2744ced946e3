// Package printer defines what the station needs from a label printer (Printer), the printer's
// state as the station acts on it (Status), typed print errors whose Reason goes into
// label.failed, and the registry of printer drivers.
//
// Drivers live below: zplprinter (driver "zpl": Zebra and compatible printers on tcp://, file:
// or serial: addresses) and printersim (driver "sim"). The ZPL itself is written and checked by
// the pure package zpl, and label templates are rendered by label. Drivers register themselves
// from init(); cmd/stationd blank-imports them.
//
// A Printer is opened without touching the printer: the connection is made by the first Print
// or Status and made again after it drops. Print checks the printer's status before sending a
// job (refusing with a typed *Error when it is not ready), sends it, and checks again after.
// Retryable and Reason classify its errors for the agent's durable print queue.
package printer

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/stationd/stationd/devices"
)

// Printer is an open label printer. Its methods may be called from several goroutines; jobs are
// sent one at a time.
type Printer interface {
	// Print sends one job (one or more complete ZPL formats) to the printer: status check
	// before (a printer that is not ready refuses with an *Error and nothing is sent), the job,
	// status check after. Every error is an *Error; see Retryable, Reason and Sent.
	Print(ctx context.Context, job []byte) error
	// Status asks the printer for its state. An unreachable printer gives an *Error with
	// Reason "offline". A transport that cannot read answers gives Status{Unknown: true}.
	Status(ctx context.Context) (Status, error)
	// DPI is the printer's resolution (203, 300 or 600) to render templates for.
	DPI() int
	// String names the printer for logs: "printer1 (tcp://192.168.10.50:9100)".
	String() string
	// Halt interrupts a Print in progress (it returns an offline error) without cancelling what
	// the printer already holds. The printer stays usable.
	Halt() error
	// Close closes the connection; later calls fail.
	Close() error
}

// Driver describes a printer driver to the registry.
type Driver struct {
	Doc     string // one line for the README
	Address bool   // the device entry needs an address
	Options []devices.Option
	// Validate checks a device entry quickly, touching nothing (nil: no extra checks).
	Validate func(devices.Spec) []devices.FieldError
	// Open returns the printer for a device entry, without touching the printer.
	Open func(ctx context.Context, s devices.Spec, env devices.Env) (Printer, error)
}

var (
	mu      sync.Mutex
	drivers = map[string]Driver{}
)

// Register records a printer driver under name, here and in the devices registry. It is called
// from init(); a duplicate name or a driver without Open panics.
func Register(name string, d Driver) {
	if d.Open == nil {
		panic(fmt.Sprintf("printer: driver %q registered without Open", name))
	}
	mu.Lock()
	defer mu.Unlock()
	if _, dup := drivers[name]; dup {
		panic(fmt.Sprintf("printer: driver %q registered twice", name))
	}
	devices.Register(devices.Driver{
		Kind: devices.KindPrinter, Name: name, Doc: d.Doc, Address: d.Address,
		Options: d.Options, Validate: d.Validate,
	})
	drivers[name] = d
}

// Open opens the printer of device entry s with its registered driver.
func Open(ctx context.Context, s devices.Spec, env devices.Env) (Printer, error) {
	mu.Lock()
	d, ok := drivers[s.Driver]
	mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("%s: printer driver %q is not registered (known: %s)", s.Name, s.Driver, strings.Join(Names(), ", "))
	}
	return d.Open(ctx, s, env)
}

// Names returns the registered printer drivers, sorted.
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
