package ws2812

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"periph.io/x/conn/v3/conntest"
	"periph.io/x/conn/v3/spi"
	"periph.io/x/conn/v3/spi/spitest"

	"github.com/stationd/stationd/devices"
	"github.com/stationd/stationd/devices/lights"
	"github.com/stationd/stationd/devices/lights/internal/vectors"
	"github.com/stationd/stationd/devices/lights/lightstest"
)

// clockOf maps a vector encoding name to its SPI clock.
var clockOf = map[string]int{"3bit_2400kHz": 2_400_000, "3bit_2500kHz": 2_500_000, "4bit_3200kHz": 3_200_000}

func colors(px []vectors.RGB) []lights.Color {
	c := make([]lights.Color, len(px))
	for i, p := range px {
		c[i] = lights.Color{R: uint8(p.R), G: uint8(p.G), B: uint8(p.B)}
	}
	return c
}

// TestVectorEncoding checks every case's spi_hex (pixels then reset_zero_bytes zeros), its
// grb, and its length.
func TestVectorEncoding(t *testing.T) {
	f := vectors.LoadWS2812(t)
	if len(f.Cases) == 0 {
		t.Fatal("no cases")
	}
	for _, c := range f.Cases {
		t.Run(c.Name, func(t *testing.T) {
			clock, ok := clockOf[c.Encoding]
			if !ok {
				t.Fatalf("unknown encoding %q", c.Encoding)
			}
			enc, err := NewEncoder(clocks[clock], "grb", 255)
			if err != nil {
				t.Fatal(err)
			}
			px := c.PixelList()
			if len(px) == 0 {
				t.Fatal("case without pixels")
			}
			got := enc.Encode(nil, colors(px))
			got = append(got, make([]byte, c.Input.ResetZeroBytes)...)
			want := vectors.Hex(t, c.Expect.SPIHex)
			if !bytes.Equal(got, want) {
				t.Errorf("spi\n got %x\nwant %x", got, want)
			}
			if c.Expect.Length != 0 && len(got) != c.Expect.Length {
				t.Errorf("length %d, want %d", len(got), c.Expect.Length)
			}
			if c.Expect.GRB != "" {
				p := px[0]
				if g := fmt.Sprintf("%02x%02x%02x", p.G, p.R, p.B); g != c.Expect.GRB {
					t.Errorf("grb %s, want %s", g, c.Expect.GRB)
				}
			}
		})
	}
}

// TestVectorFrames drives the device over spitest.Playback: New sends the all-off frame, then
// each Set sends the whole strip with the reset gap, ending with the vectors' frames.
func TestVectorFrames(t *testing.T) {
	f := vectors.LoadWS2812(t)
	for _, c := range f.Cases {
		px := c.PixelList()
		if c.Input.ResetZeroBytes == 0 {
			continue // single pixels without a gap: encoder level only
		}
		t.Run(c.Name, func(t *testing.T) {
			clock := clockOf[c.Encoding]
			// The reset_us whose gap is the case's zero bytes.
			us := c.Input.ResetZeroBytes * 8 * 1_000_000 / clock
			if ResetBytes(us, int64(clock)) != c.Input.ResetZeroBytes {
				t.Fatalf("no reset_us gives %d bytes", c.Input.ResetZeroBytes)
			}
			enc, _ := NewEncoder(clocks[clock], "grb", 255)
			frame := func(cs []lights.Color) []byte {
				return append(enc.Encode(nil, cs), make([]byte, c.Input.ResetZeroBytes)...)
			}
			cur := make([]lights.Color, len(px))
			ops := []conntest.IO{{W: frame(cur)}}
			for i, p := range colors(px) {
				cur[i] = p
				ops = append(ops, conntest.IO{W: frame(cur)})
			}
			if want := vectors.Hex(t, c.Expect.SPIHex); !bytes.Equal(ops[len(ops)-1].W, want) {
				t.Fatalf("last frame is not the vector")
			}
			port := &spitest.Playback{Playback: conntest.Playback{Ops: ops, DontPanic: true}}
			d, err := New(port, Opts{Name: "wall1", Pixels: len(px), ClockHz: clock, ResetUS: us}, lights.Env{})
			if err != nil {
				t.Fatal(err)
			}
			for i, p := range colors(px) {
				if err := d.Set(lights.Channel(i), lights.State{Color: p}); err != nil {
					t.Fatal(err)
				}
			}
			if err := port.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestVectorTimings checks the timing tables: pulse widths of each encoding within the data
// sheet's ±150 ns, the reset gap for 300 µs, and the 300-LED refresh times.
func TestVectorTimings(t *testing.T) {
	f := vectors.LoadWS2812(t)
	for name, e := range f.Timings.Encodings {
		clock := clockOf[name]
		bits := clocks[clock]
		bitNS := 1e9 / float64(clock)
		if math.Abs(bitNS-e.SPIBitNS) > 0.01 {
			t.Errorf("%s: SPI bit %v ns, want %v", name, bitNS, e.SPIBitNS)
		}
		zero := fmt.Sprintf("%0*b", bits, nrz3[0]>>(uint(bits)*7)&(1<<bits-1))
		one := fmt.Sprintf("%0*b", bits, nrz3[0xFF]>>(uint(bits)*7)&(1<<bits-1))
		if bits == 4 {
			zero = fmt.Sprintf("%04b", nrz4[0]>>28)
			one = fmt.Sprintf("%04b", nrz4[0xFF]>>28)
		}
		if zero != e.Zero || one != e.One {
			t.Errorf("%s: 0 -> %s, 1 -> %s; want %s, %s", name, zero, one, e.Zero, e.One)
		}
		high := func(s string) float64 { return float64(strings.Count(s, "1")) * bitNS }
		low := func(s string) float64 { return float64(strings.Count(s, "0")) * bitNS }
		within := func(what string, got, nominal float64) {
			if math.Abs(got-nominal) > 150 {
				t.Errorf("%s: %s = %.1f ns, outside %v ± 150 ns (WS2812B data sheet)", name, what, got, nominal)
			}
		}
		within("T0H", high(zero), 400)
		within("T0L", low(zero), 850)
		within("T1H", high(one), 800)
		within("T1L", low(one), 450)
		if e.SPIBytesPerLED != 3*bits {
			t.Errorf("%s: %d bytes per LED in the vectors, %d here", name, e.SPIBytesPerLED, 3*bits)
		}
	}
	for k, want := range f.Timings.ResetZeroBytes300 {
		clock := map[string]int{"2400kHz": 2_400_000, "2500kHz": 2_500_000, "3200kHz": 3_200_000}[k]
		if got := ResetBytes(300, int64(clock)); got != want {
			t.Errorf("reset 300 µs at %s: %d bytes, want %d", k, got, want)
		}
	}
	for name, ms := range f.Timings.Refresh300ms {
		clock := clockOf[name]
		got := FrameTime(300*3*clocks[clock], clock)
		if math.Abs(got.Seconds()*1000-ms) > 0.001 {
			t.Errorf("%s: 300 LEDs take %v, want %v ms", name, got, ms)
		}
	}
}

// TestRefreshBudget computes a full 300-pixel refresh at each clock, reset gap included:
// bits on the wire / clock must stay under the 10 ms.
func TestRefreshBudget(t *testing.T) {
	for _, clock := range []int{2_400_000, 2_500_000, 3_200_000} {
		port := &spitest.Record{}
		d, err := New(port, Opts{Name: "wall", Pixels: 300, ClockHz: clock}, lights.Env{})
		if err != nil {
			t.Fatal(err)
		}
		n := len(port.Ops[0].W)
		ft := d.FrameTime()
		t.Logf("300 px at %.1f MHz: %d bytes = %d bits, %v on the wire", float64(clock)/1e6, n, 8*n, ft)
		if ft >= 10*time.Millisecond {
			t.Errorf("%d Hz: %v per refresh, over 10 ms", clock, ft)
		}
	}
}

func TestBrightnessAndOrder(t *testing.T) {
	enc, err := NewEncoder(3, "rgb", 127)
	if err != nil {
		t.Fatal(err)
	}
	got := enc.Encode(nil, []lights.Color{{R: 255, G: 2, B: 0}})
	// 255 * 128 / 256 = 127 on R (first on the wire), 2 * 128 / 256 = 1 on G.
	want := slices.Concat(wire(nrz3[127]), wire(nrz3[1]), wire(nrz3[0]))
	if !bytes.Equal(got, want) {
		t.Errorf("got %x want %x", got, want)
	}
	for _, o := range []string{"", "gr", "grr", "xyz", "grbw"} {
		if _, err := NewEncoder(3, o, 255); !errors.Is(err, lights.ErrInvalid) {
			t.Errorf("order %q accepted", o)
		}
	}
	if _, err := NewEncoder(2, "grb", 255); !errors.Is(err, lights.ErrInvalid) {
		t.Error("2 bits accepted")
	}
}

func wire(w uint32) []byte { return []byte{byte(w >> 16), byte(w >> 8), byte(w)} }

// limited is an SPI port whose driver takes at most max bytes per transfer (spidev bufsiz).
type limited struct {
	spitest.Record
	max int
}

func (l *limited) MaxTxSize() int { return l.max }

func TestSpidevLimit(t *testing.T) {
	_, err := New(&limited{max: 4096}, Opts{Name: "wall", Pixels: 500}, lights.Env{})
	if !errors.Is(err, lights.ErrInvalid) || !strings.Contains(err.Error(), "spidev.bufsiz") {
		t.Errorf("500 px on a 4096-byte spidev: %v", err)
	}
	if _, err := New(&limited{max: 4096}, Opts{Name: "wall", Pixels: 445}, lights.Env{}); err != nil {
		t.Errorf("445 px fit in 4096 bytes: %v", err)
	}
}

func TestWriteError(t *testing.T) {
	port := &spitest.Playback{Playback: conntest.Playback{DontPanic: true}}
	if _, err := New(port, Opts{Name: "wall", Pixels: 3}, lights.Env{}); !errors.Is(err, lights.ErrDisconnected) {
		t.Errorf("failed first frame: %v", err)
	}
	if _, err := New(&spitest.Record{}, Opts{Name: "wall", Pixels: 3, ClockHz: 8_000_000}, lights.Env{}); !errors.Is(err, lights.ErrInvalid) {
		t.Errorf("8 MHz: %v", err)
	}
}

// TestBlink runs a strip inside a bubble: a blinking range is rewritten every 250 ms.
func TestBlink(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		port := &spitest.Record{}
		d, err := New(port, Opts{Name: "wall", Pixels: 10}, lights.Env{})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- d.Run(ctx) }()
		if err := d.Set(lights.Target{First: 2, Last: 4}, lights.State{Color: lights.Orange, Blink: true}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(1010 * time.Millisecond)
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		// All off, lit, then dark/lit at 250, 500, 750, 1000 ms.
		if n := len(port.Ops); n != 6 {
			t.Fatalf("%d frames, want 6", n)
		}
		enc, _ := NewEncoder(3, "grb", 255)
		lit := make([]lights.Color, 10)
		lit[2], lit[3], lit[4] = lights.Orange, lights.Orange, lights.Orange
		litFrame := append(enc.Encode(nil, lit), make([]byte, 90)...)
		darkFrame := port.Ops[0].W
		for i, want := range [][]byte{darkFrame, litFrame, darkFrame, litFrame, darkFrame, litFrame} {
			if !bytes.Equal(port.Ops[i].W, want) {
				t.Errorf("frame %d wrong", i)
			}
		}
	})
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		opts    map[string]any
		errKeys []string
		capa    devices.Capacity
	}{
		{"300 pixels", map[string]any{"pixels": 300}, nil, devices.Capacity{Outputs: 300, RGB: true}},
		{"4-bit", map[string]any{"pixels": 300, "clock_hz": 3200000, "order": "GRB"}, nil, devices.Capacity{Outputs: 300, RGB: true}},
		{"pixels missing", nil, []string{"pixels"}, devices.Capacity{}},
		{"no pixels", map[string]any{"pixels": 0}, []string{"pixels"}, devices.Capacity{}},
		{"clock", map[string]any{"pixels": 10, "clock_hz": 800000}, []string{"clock_hz"}, devices.Capacity{}},
		{"order", map[string]any{"pixels": 10, "order": "rgbw"}, []string{"order"}, devices.Capacity{}},
		{"brightness", map[string]any{"pixels": 10, "brightness": 256}, []string{"brightness"}, devices.Capacity{}},
		{"reset", map[string]any{"pixels": 10, "reset_us": 20}, []string{"reset_us"}, devices.Capacity{}},
		{"largest 3-bit frame", map[string]any{"pixels": 7270}, nil, devices.Capacity{Outputs: 7270, RGB: true}},
		{"frame too big", map[string]any{"pixels": 7280}, []string{"pixels"}, devices.Capacity{}},
		{"4-bit frame too big", map[string]any{"pixels": 5500, "clock_hz": 3200000}, []string{"pixels"}, devices.Capacity{}},
		{"spi", map[string]any{"pixels": 10, "spi": " "}, []string{"spi"}, devices.Capacity{}},
	}
	d, ok := lights.Lookup(Name)
	if !ok {
		t.Fatal("not registered")
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := devices.Spec{Name: "wall1", Kind: devices.KindLights, Driver: Name, Options: tt.opts}
			var keys []string
			for _, e := range d.Validate(s) {
				keys = append(keys, e.Key)
			}
			if !slices.Equal(keys, tt.errKeys) {
				t.Errorf("errors on %v, want %v (%v)", keys, tt.errKeys, d.Validate(s))
			}
			if got := d.Capacity(s); got != tt.capa {
				t.Errorf("Capacity = %+v, want %+v", got, tt.capa)
			}
		})
	}
}

func TestConformance(t *testing.T) {
	lightstest.Run(t, func(t *testing.T) (lights.Lights, devices.Capacity) {
		d, err := New(&spitest.Record{}, Opts{Name: "wall1", Pixels: 24}, lights.Env{})
		if err != nil {
			t.Fatal(err)
		}
		return d, devices.Capacity{Outputs: 24, RGB: true}
	})
}

var sinkBytes []byte

// BenchmarkEncode300 measures the CPU time to encode a 300-pixel strip.
func BenchmarkEncode300(b *testing.B) {
	px := make([]lights.Color, 300)
	for i := range px {
		px[i] = lights.Color{R: uint8(i), G: uint8(3 * i), B: uint8(7 * i)}
	}
	for _, bits := range []int{3, 4} {
		b.Run(fmt.Sprintf("%dbit", bits), func(b *testing.B) {
			enc, _ := NewEncoder(bits, "grb", 255)
			buf := make([]byte, 0, 300*3*bits)
			b.SetBytes(int64(cap(buf)))
			b.ReportAllocs()
			for b.Loop() {
				sinkBytes = enc.Encode(buf[:0], px)
			}
		})
	}
}

// BenchmarkRefresh300 measures a whole Set of a 300-pixel strip: render, encode and hand the
// frame to the SPI connection (a recorder writing to io.Discard), and reports the frame's time
// on the wire at the clock.
func BenchmarkRefresh300(b *testing.B) {
	for _, clock := range []int{2_400_000, 3_200_000} {
		b.Run(fmt.Sprintf("%.1fMHz", float64(clock)/1e6), func(b *testing.B) {
			d, err := New(spitest.NewRecordRaw(io.Discard), Opts{Name: "wall", Pixels: 300, ClockHz: clock}, lights.Env{})
			if err != nil {
				b.Fatal(err)
			}
			c := []lights.Color{lights.Red, lights.Green}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if err := d.Set(lights.Target{First: 0, Last: 299}, lights.State{Color: c[i%2]}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(d.FrameTime().Seconds()*1000, "spi-ms/frame")
		})
	}
}

var _ spi.Port = (*limited)(nil)

func TestHexHelper(t *testing.T) {
	if hex.EncodeToString(wire(nrz3[0xA5])) != "d349a6" {
		t.Error("nrz3(0xA5)")
	}
}
