// Package ws2812 is the lights driver "ws2812": a strip of WS2812B addressable RGB LEDs driven
// from an SPI MOSI line, written from the Worldsemi WS2812B data sheet. Each location lights a
// range of pixels (config locations[].pixels).
//
// Every data bit becomes 3 SPI bits at 2.4 or 2.5 MHz (0 -> 100, 1 -> 110) or 4 at 3.2 MHz
// (0 -> 1000, 1 -> 1110), so that the high and low times fall within the data sheet's
// ±150 ns windows. A pixel takes 24 data bits, G7..G0 R7..R0 B7..B0, most significant first;
// the pixel nearest the controller comes first, and each pixel keeps the first 24 bits it
// receives and passes the rest on. After the last pixel MOSI stays low for reset_us (300 µs:
// above the 50 µs of the WS2812B and the 280 µs of the WS2812B-V5) so that the pixels latch.
//
// The whole strip is sent in one SPI transfer per change (and per blink phase while something
// blinks): 300 pixels at 2.4 MHz are 2700 + 90 bytes, 9.3 ms on the wire. spidev refuses a
// transfer longer than its buffer (4096 bytes by default on Raspberry Pi OS, enough for 445
// pixels at 3 bits): for longer strips add spidev.bufsiz=65536 to /boot/firmware/cmdline.txt.
//
// Wiring: MOSI is GPIO10 (header pin 19) for /dev/spidev0.0. The WS2812B needs a data high
// level of 0.7 VDD (3.5 V at 5 V): put a 74AHCT125-style level shifter between the Pi and the
// strip, a 330 Ω resistor in series near the first pixel, and a common ground. A pixel draws up
// to about 60 mA at full white: size the 5 V supply, inject power every 100 pixels or so, and
// use brightness to cap it. On a Raspberry Pi 3 the SPI clock follows the core clock: fix it
// with core_freq=250 in /boot/firmware/config.txt; on a Pi 4 use core_freq=500 and
// core_freq_min=500 (see firmware-config/lights).
package ws2812

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"

	"github.com/stationd/stationd/devices"
	"github.com/stationd/stationd/devices/lights"
	"github.com/stationd/stationd/devices/lights/internal/core"
	"github.com/stationd/stationd/devices/lights/internal/opt"
	"github.com/stationd/stationd/devices/lights/internal/periphhost"
)

// Name is the driver name in the config.
const Name = "ws2812"

// SPI clocks the driver accepts, and the SPI bits per data bit each implies.
var clocks = map[int]int{2_400_000: 3, 2_500_000: 3, 3_200_000: 4}

// MaxFrame is the longest SPI transfer the driver builds (spidev.bufsiz at most 65536 on
// Raspberry Pi OS kernels).
const MaxFrame = 65536

// Options are the device entry keys of the ws2812 driver.
var Options = []devices.Option{
	{Key: "spi", Type: "string", Default: "/dev/spidev0.0", Doc: "SPI port: /dev/spidev0.0 or SPI0.0 (MOSI = GPIO10)"},
	{Key: "pixels", Type: "int", Default: "", Doc: "number of pixels on the strip (required); outputs 0..pixels-1"},
	{Key: "clock_hz", Type: "int", Default: "2400000", Doc: "SPI clock: 2400000 or 2500000 (3 SPI bits per data bit) or 3200000 (4 bits)"},
	{Key: "brightness", Type: "int", Default: "255", Doc: "scales every colour channel, 1..255"},
	{Key: "order", Type: "string", Default: "grb", Doc: "colour order on the wire: grb for WS2812B, rgb or brg for some WS2811 strips"},
	{Key: "reset_us", Type: "int", Default: "300", Doc: "low time after the last pixel in µs, 50..1000 (WS2812B-V5 needs 280)"},
	{Key: "blink_ms", Type: "int", Default: "250", Doc: "blink half period in ms, 50..5000 (250: 2 Hz)"},
}

func init() {
	lights.Register(Name, lights.Driver{
		Doc:      "WS2812B RGB LED strip on an SPI port",
		Options:  Options,
		Validate: func(s devices.Spec) []devices.FieldError { _, errs := parse(s); return errs },
		Capacity: func(s devices.Spec) devices.Capacity {
			c, errs := parse(s)
			if len(errs) > 0 {
				return devices.Capacity{}
			}
			return devices.Capacity{Outputs: c.opts.Pixels, RGB: true}
		},
		Open: open,
	})
}

// Opts configures a Dev.
type Opts struct {
	Name       string
	Pixels     int
	ClockHz    int    // 2400000, 2500000 or 3200000; 0: 2400000
	Brightness int    // 1..255; 0: 255
	Order      string // "": grb
	ResetUS    int    // 0: 300
	Blink      time.Duration
}

// Dev is an open ws2812 strip.
type Dev struct {
	core.Device
	c      spi.Conn
	enc    *Encoder
	opts   Opts
	frame  []byte         // pixel bytes then the reset gap (zeros)
	last   []lights.Color // what the strip shows
	synced bool
}

// New connects to p at o.ClockHz, mode 0, 8 bits, and switches every pixel off. It never
// closes p.
func New(p spi.Port, o Opts, env lights.Env) (*Dev, error) {
	if o.ClockHz == 0 {
		o.ClockHz = 2_400_000
	}
	if o.Brightness == 0 {
		o.Brightness = 255
	}
	if o.Order == "" {
		o.Order = "grb"
	}
	if o.ResetUS == 0 {
		o.ResetUS = 300
	}
	desc := fmt.Sprintf("%s (ws2812 %s %d px)", o.Name, p, o.Pixels)
	bits, ok := clocks[o.ClockHz]
	if !ok {
		return nil, fmt.Errorf("%s: clock %d Hz: %w: use 2400000, 2500000 or 3200000", desc, o.ClockHz, lights.ErrInvalid)
	}
	if o.Pixels < 1 || o.Brightness < 1 || o.Brightness > 255 {
		return nil, fmt.Errorf("%s: %w: pixels must be 1 or more, brightness 1..255", desc, lights.ErrInvalid)
	}
	enc, err := NewEncoder(bits, o.Order, uint8(o.Brightness))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", desc, err)
	}
	n := o.Pixels*enc.BytesPerPixel() + ResetBytes(o.ResetUS, int64(o.ClockHz))
	if n > MaxFrame {
		return nil, fmt.Errorf("%s: %w: a frame of %d bytes exceeds %d: use fewer pixels per device", desc, lights.ErrInvalid, n, MaxFrame)
	}
	c, err := p.Connect(physic.Frequency(o.ClockHz)*physic.Hertz, spi.Mode0, 8)
	if err != nil {
		return nil, fmt.Errorf("%s: connect at %d Hz: %w: %w", desc, o.ClockHz, lights.ErrDisconnected, err)
	}
	if max := maxTx(p, c); max > 0 && n > max {
		return nil, fmt.Errorf("%s: a frame is %d bytes and the SPI driver takes %d per transfer: %w: add spidev.bufsiz=65536 to /boot/firmware/cmdline.txt and reboot",
			desc, n, max, lights.ErrInvalid)
	}
	d := &Dev{c: c, enc: enc, opts: o, frame: make([]byte, n), last: make([]lights.Color, o.Pixels)}
	d.Desc = desc
	d.Out = core.NewOutputs(d.Desc, o.Pixels, d.flush)
	if err := d.Out.Refresh(); err != nil {
		return nil, fmt.Errorf("%s: %w: %w", d.Desc, lights.ErrDisconnected, err)
	}
	d.Loop = core.NewRunner(core.RunnerConfig{Name: d.Desc, Log: env.Logger(), Outputs: d.Out, Blink: o.Blink})
	return d, nil
}

// maxTx returns the transfer size limit of the port or connection (spidev's bufsiz), 0 if
// unknown.
func maxTx(vs ...any) int {
	for _, v := range vs {
		if l, ok := v.(conn.Limits); ok {
			return l.MaxTxSize()
		}
	}
	return 0
}

// FrameTime returns how long one refresh of the whole strip takes on the wire: bits / clock.
func (d *Dev) FrameTime() time.Duration {
	return FrameTime(len(d.frame), d.opts.ClockHz)
}

// FrameTime returns the time n SPI bytes take at clockHz.
func FrameTime(n, clockHz int) time.Duration {
	return time.Duration(int64(n) * 8 * int64(time.Second) / int64(clockHz))
}

// flush sends the whole strip when a pixel changed.
func (d *Dev) flush(colors []lights.Color) error {
	if d.synced && slices.Equal(colors, d.last) {
		return nil
	}
	d.enc.Encode(d.frame[:0], colors)
	if err := d.c.Tx(d.frame, nil); err != nil {
		return fmt.Errorf("spi write of %d bytes: %w", len(d.frame), err)
	}
	copy(d.last, colors)
	d.synced = true
	return nil
}

// config is a parsed device entry.
type config struct {
	port string
	opts Opts
}

func parse(s devices.Spec) (config, []devices.FieldError) {
	r := opt.New(s)
	c := config{
		port: r.String("spi", "/dev/spidev0.0"),
		opts: Opts{
			Name:       s.Name,
			Pixels:     r.Int("pixels", 0, 1, MaxFrame/9),
			ClockHz:    r.Int("clock_hz", 2_400_000, 1, 100_000_000),
			Brightness: r.Int("brightness", 255, 1, 255),
			Order:      r.String("order", "grb"),
			ResetUS:    r.Int("reset_us", 300, 50, 1000),
			Blink:      r.Millis("blink_ms", 250, 50, 5000),
		},
	}
	if strings.TrimSpace(c.port) == "" {
		r.Addf("spi", "must name an SPI port (/dev/spidev0.0)")
	}
	if !r.Has("pixels") {
		r.Addf("pixels", "is required: the number of pixels on the strip")
	}
	bits, ok := clocks[c.opts.ClockHz]
	if !ok {
		r.Addf("clock_hz", "must be 2400000 or 2500000 (3 SPI bits per data bit) or 3200000 (4 bits), not %d", c.opts.ClockHz)
		bits = 3
	}
	if _, err := parseOrder(c.opts.Order); err != nil {
		r.Addf("order", "must be a permutation of r, g and b such as grb, not %q", c.opts.Order)
	}
	if c.opts.Pixels > 0 {
		if n := c.opts.Pixels*3*bits + ResetBytes(c.opts.ResetUS, int64(c.opts.ClockHz)); n > MaxFrame {
			r.Addf("pixels", "%d pixels make a %d-byte SPI frame, more than %d: split the strip into several devices", c.opts.Pixels, n, MaxFrame)
		}
	}
	return c, r.Errs
}

func open(ctx context.Context, s devices.Spec, env lights.Env) (lights.Lights, error) {
	c, errs := parse(s)
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s: %w: %v", s.Name, lights.ErrInvalid, errs[0])
	}
	p, err := periphhost.OpenSPI(c.port)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.Name, err)
	}
	d, err := New(p, c.opts, env)
	if err != nil {
		p.Close()
		return nil, err
	}
	d.Release = p.Close
	return d, nil
}
