package evdev

import (
	"encoding/binary"
	"unsafe"
)

// Event is one struct input_event (linux/input.h).
type Event struct {
	Sec, Usec int64 // timestamp
	Type      uint16
	Code      uint16
	Value     int32
}

// Event types and codes used here (linux/input-event-codes.h).
const (
	EvSyn = 0x00
	EvKey = 0x01
	EvMsc = 0x04

	SynReport  = 0
	SynDropped = 3
)

// Record sizes of struct input_event: struct timeval (two longs) + __u16 type + __u16 code +
// __s32 value. 24 bytes where long is 64 bits (arm64, amd64); 16 bytes where it is 32 bits (armv6,
// armv7), including a 32-bit program on a 64-bit kernel, which gets the compat layout.
const (
	Size64 = 24
	Size32 = 16
)

// NativeSize is the record size the kernel uses for this program: it follows the size of a C
// long, hence of a pointer, of GOARCH.
const NativeSize = 8 + 2*int(unsafe.Sizeof(uintptr(0)))

// Decoder cuts a byte stream into events of one record size. The kernel returns whole records
// from read(2); the Decoder also copes with a stream cut anywhere (a pipe, a recording).
type Decoder struct {
	Size int // 16 or 24
	rest []byte
}

// Decode appends the events complete in p (after what is left of earlier calls) to evs.
func (d *Decoder) Decode(evs []Event, p []byte) []Event {
	if len(d.rest) > 0 {
		n := min(d.Size-len(d.rest), len(p))
		d.rest = append(d.rest, p[:n]...)
		p = p[n:]
		if len(d.rest) < d.Size {
			return evs
		}
		evs = append(evs, d.record(d.rest))
		d.rest = d.rest[:0]
	}
	for len(p) >= d.Size {
		evs = append(evs, d.record(p[:d.Size]))
		p = p[d.Size:]
	}
	d.rest = append(d.rest, p...)
	return evs
}

// Reset drops a partial record.
func (d *Decoder) Reset() { d.rest = d.rest[:0] }

func (d *Decoder) record(b []byte) Event {
	e := binary.NativeEndian
	var ev Event
	if d.Size == Size32 {
		ev.Sec, ev.Usec = int64(int32(e.Uint32(b[0:]))), int64(int32(e.Uint32(b[4:])))
		b = b[8:]
	} else {
		ev.Sec, ev.Usec = int64(e.Uint64(b[0:])), int64(e.Uint64(b[8:]))
		b = b[16:]
	}
	ev.Type, ev.Code, ev.Value = e.Uint16(b[0:]), e.Uint16(b[2:]), int32(e.Uint32(b[4:]))
	return ev
}

// Encode appends the record of ev in the given size: what the kernel would send, for tests and
// for writing to /dev/uinput.
func Encode(b []byte, ev Event, size int) []byte {
	e := binary.NativeEndian
	if size == Size32 {
		b = e.AppendUint32(b, uint32(ev.Sec))
		b = e.AppendUint32(b, uint32(ev.Usec))
	} else {
		b = e.AppendUint64(b, uint64(ev.Sec))
		b = e.AppendUint64(b, uint64(ev.Usec))
	}
	b = e.AppendUint16(b, ev.Type)
	b = e.AppendUint16(b, ev.Code)
	return e.AppendUint32(b, uint32(ev.Value))
}
