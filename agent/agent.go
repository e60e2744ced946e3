// Package agent holds what the station's runtime parts share and the wire does not carry: the
// inputs workflows consume (Scan, Press) and the small interfaces they need (Emitter, Store,
// Handlers), so that agent/station wires real parts and tests wire fakes. Implementations live in
// the sub-packages: outbox (durable store), uplink (MQTT), intake (commands), supervisor
// (devices), the workflows (packing, picking, printq) and station (the whole runtime).
package agent

import (
	"context"
	"time"

	"github.com/stationd/stationd/agent/intake"
	"github.com/stationd/stationd/agent/outbox"
	"github.com/stationd/stationd/devices/scanner/barcode"
)

// Emitter records an event durably in the outbox: when Emit returns nil the event has its seq and
// will reach the OMS. data is the event's data object (a protocol type); the time is now.
type Emitter interface {
	Emit(ctx context.Context, eventType string, data any) error
}

// EmitterFunc adapts a function to Emitter.
type EmitterFunc func(ctx context.Context, eventType string, data any) error

// Emit calls f.
func (f EmitterFunc) Emit(ctx context.Context, eventType string, data any) error {
	return f(ctx, eventType, data)
}

// Store is the durable store as workflows use it: a state change and the events it causes commit
// in one transaction (outbox.Tx: Get/Put/Delete/ForEach on the workflow's own buckets, Append for
// events). Update may run fn more than once: fn must only touch the Tx.
type Store interface {
	Update(ctx context.Context, fn func(*outbox.Tx) error) error
	View(fn func(*outbox.Tx) error) error
}

// Handlers is where workflows register their command handlers (the intake), before it runs.
type Handlers interface {
	Handle(cmdType string, h intake.Handler)
}

// Scan is one scan as workflows receive it.
type Scan struct {
	Device  string
	Data    string    // as the scanner delivered it: AIM identifier in front, GS kept as 0x1D
	At      time.Time // when the terminator was read
	Decoded barcode.Result
}

// Press is one debounced button press on a lights device.
type Press struct {
	Device string
	Input  int  // the input, from 0 (a location's `button`)
	Long   bool // held past pick.long_press: a short pick
	At     time.Time
}
