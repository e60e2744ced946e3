package protocol

import (
	"fmt"
	"strings"
	"testing"
)

func benchOrder(b *testing.B, lines int) []byte {
	o := commandSamples()[CommandPackOrder][0].(PackOrder)
	base := o.Lines[0]
	o.Lines = nil
	for i := range lines {
		l := base
		l.Line = LineNumber(int64(i + 1))
		l.SKU = fmt.Sprintf("SKU-%05d", i)
		o.Lines = append(o.Lines, l)
	}
	return mustJSON(b, sampleCommand(b, 1, o))
}

// BenchmarkDecodeCommand measures the intake's cost for a pack.order of 20 and 1000 lines.
func BenchmarkDecodeCommand(b *testing.B) {
	for _, n := range []int{20, 1000} {
		payload := benchOrder(b, n)
		b.Run(fmt.Sprintf("pack.order-%dlines", n), func(b *testing.B) {
			b.SetBytes(int64(len(payload)))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := DecodeCommand(CommandPackOrder, payload); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkParseCommand measures the envelope alone, what the intake needs to de-duplicate.
func BenchmarkParseCommand(b *testing.B) {
	payload := benchOrder(b, 20)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseCommand(CommandPackOrder, payload); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTooLarge measures the answer to an oversized payload: bounded by the 4 KiB peek.
func BenchmarkTooLarge(b *testing.B) {
	payload := []byte(`{"v":1,"id":"c-big","type":"pack.order","data":{"label_zpl":"` + strings.Repeat("x", 4<<20) + `"}}`)
	b.ReportAllocs()
	for b.Loop() {
		if c, err := ParseCommand(CommandPackOrder, payload); err == nil || c.ID != "c-big" {
			b.Fatal(err)
		}
	}
}

// BenchmarkNewEvent measures building (and checking) an event, per type.
func BenchmarkNewEvent(b *testing.B) {
	for _, typ := range []string{EventScan, EventWeight, EventPackCompleted, EventCommandResult} {
		data := eventSamples()[typ][0]
		b.Run(typ, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := NewEvent(sampleTime, data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
