// Package agent holds what the station's runtime parts share and the wire does not carry: the
// small interfaces the workflows consume (Emitter), so that agent/station can wire real parts and
// tests can wire fakes. Implementations live in the sub-packages: outbox (durable store), uplink
// (MQTT), intake (commands), supervisor (devices), station (the whole runtime).
package agent

import "context"

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
