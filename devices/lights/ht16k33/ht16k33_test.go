package ht16k33

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"periph.io/x/conn/v3/i2c/i2ctest"
	"periph.io/x/conn/v3/physic"

	"github.com/stationd/stationd/devices"
	"github.com/stationd/stationd/devices/lights"
	"github.com/stationd/stationd/devices/lights/internal/vectors"
	"github.com/stationd/stationd/devices/lights/lightstest"
)

// chipSteps gives, for each ht16k33 case of i2c_lights.json, the Chip calls that must put
// exactly the case's ops on the bus.
var chipSteps = map[string]func(bus *i2ctest.Playback) (KeyScan, error){
	"HT16K33 init: oscillator on, display on, full brightness": on(0x70, func(c *Chip) error {
		return errors.Join(c.Oscillator(true), c.Display(true, BlinkOff), c.Brightness(16))
	}),
	"blink 2 Hz":               on(0x70, func(c *Chip) error { return c.Display(true, Blink2Hz) }),
	"blink 0.5 Hz":             on(0x70, func(c *Chip) error { return c.Display(true, BlinkHalfHz) }),
	"display off":              on(0x70, func(c *Chip) error { return c.Display(false, BlinkOff) }),
	"standby (oscillator off)": on(0x70, func(c *Chip) error { return c.Oscillator(false) }),
	"brightness 8/16":          on(0x70, func(c *Chip) error { return c.Brightness(8) }),
	"single LED at ROW10 COM3": on(0x70, func(c *Chip) error {
		a, bit := RAMIndex(10, 3)
		return c.WriteRAM(a, []byte{bit})
	}),
	"clear all 16 RAM bytes": on(0x70, func(c *Chip) error { return c.WriteRAM(0, make([]byte, RAMSize)) }),
	"quantity 12 right-aligned on a 4-digit 7-segment backpack": on(0x70, func(c *Chip) error {
		segs, err := Render("12", 4)
		if err != nil {
			return err
		}
		var ram [RAMSize]byte
		for i, p := range []int{0, 1, 3, 4} { // Adafruit backpack digit positions
			ram[DigitIndex(p)] = segs[i]
		}
		return c.WriteRAM(0, ram[:])
	}),
	"key scan: read 6 bytes from 0x40, KS0 K1 pressed": func(bus *i2ctest.Playback) (KeyScan, error) {
		c, _ := NewChip(bus, 0x70)
		return c.Keys()
	},
	"second display at A0=1": on(0x71, func(c *Chip) error {
		return errors.Join(c.Oscillator(true), c.Display(true, BlinkOff))
	}),
}

func on(addr uint16, f func(*Chip) error) func(*i2ctest.Playback) (KeyScan, error) {
	return func(bus *i2ctest.Playback) (KeyScan, error) {
		c, err := NewChip(bus, addr)
		if err != nil {
			return KeyScan{}, err
		}
		return KeyScan{}, f(c)
	}
}

func htCases(t *testing.T) []vectors.I2CCase {
	var cs []vectors.I2CCase
	for _, c := range vectors.LoadI2C(t).Cases {
		if c.Chip == "ht16k33" {
			cs = append(cs, c)
		}
	}
	if len(cs) == 0 {
		t.Fatal("no ht16k33 cases")
	}
	return cs
}

func vectorOps(t *testing.T, name string) []i2ctest.IO {
	for _, c := range htCases(t) {
		if c.Name == name {
			return vectors.IO(t, c.Expect.Ops)
		}
	}
	t.Fatalf("no vector %q", name)
	return nil
}

type key struct {
	KS int `json:"ks"`
	K  int `json:"k"`
}

func TestVectorOps(t *testing.T) {
	for _, c := range htCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			steps, ok := chipSteps[c.Name]
			if !ok {
				t.Fatal("no Chip steps for this vector case: add them to chipSteps")
			}
			bus := &i2ctest.Playback{Ops: vectors.IO(t, c.Expect.Ops), DontPanic: true}
			keys, err := steps(bus)
			if err != nil {
				t.Fatal(err)
			}
			if err := bus.Close(); err != nil {
				t.Fatal(err)
			}
			if len(c.Expect.Pressed) > 0 {
				var want []key
				if err := json.Unmarshal(c.Expect.Pressed, &want); err != nil {
					t.Fatal(err)
				}
				var got []key
				for ks := range 3 {
					for k := 1; k <= KeysPerLine; k++ {
						if keys.Pressed(ks, k) {
							got = append(got, key{ks, k})
						}
					}
				}
				if !slices.Equal(got, want) {
					t.Errorf("pressed %v, want %v", got, want)
				}
			}
		})
	}
}

func TestRender(t *testing.T) {
	tests := []struct {
		text string
		n    int
		want []byte
		err  bool
	}{
		{"12", 4, []byte{0, 0, 0x06, 0x5B}, false},
		{"", 4, []byte{0, 0, 0, 0}, false},
		{"1234", 4, []byte{0x06, 0x5B, 0x4F, 0x66}, false},
		{"1.5", 3, []byte{0, 0x86, 0x6D}, false},
		{".5", 2, []byte{0x80, 0x6D}, false},
		{"-3", 3, []byte{0, 0x40, 0x4F}, false},
		{"Err", 3, []byte{0x79, 0x50, 0x50}, false},
		{"12345", 4, nil, true},
		{"1.2.3.4.5", 4, nil, true},
		{"W", 4, nil, true},
		{"€", 4, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got, err := Render(tt.text, tt.n)
			if tt.err {
				if !errors.Is(err, lights.ErrInvalid) {
					t.Fatalf("Render(%q) = %x, %v; want ErrInvalid", tt.text, got, err)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("Render(%q, %d) = %x, %v; want %x", tt.text, tt.n, got, err, tt.want)
			}
		})
	}
}

func FuzzRender(f *testing.F) {
	for _, s := range []string{"12", "1.5", "..", "Err", "99999", "\xff"} {
		f.Add(s, 4)
	}
	f.Fuzz(func(t *testing.T, s string, n int) {
		if n < 0 || n > 16 {
			return
		}
		got, err := Render(s, n)
		if err != nil {
			if !errors.Is(err, lights.ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		if len(got) != n {
			t.Fatalf("Render(%q, %d) gave %d digits", s, n, len(got))
		}
	})
}

// adafruit is the layout of a 4-digit backpack with a key line and two LEDs on COM5.
func adafruit() Opts {
	return Opts{Name: "qty1", Address: 0x70, Displays: [][]int{{0, 1, 3, 4}}, LEDs: [][2]int{{10, 3}, {0, 5}}, KeyLines: 1}
}

// TestDeviceOps pins the device's bus traffic to the vectors: initialisation, RAM cleared,
// one LED as a single byte, a quantity as a whole page, keys read from 0x40.
func TestDeviceOps(t *testing.T) {
	var ops []i2ctest.IO
	ops = append(ops, vectorOps(t, "HT16K33 init: oscillator on, display on, full brightness")...)
	ops = append(ops, vectorOps(t, "clear all 16 RAM bytes")...)
	ops = append(ops, vectorOps(t, "single LED at ROW10 COM3")...)
	// The quantity lands with the LED still on: byte 7 keeps 0x04.
	qty := vectorOps(t, "quantity 12 right-aligned on a 4-digit 7-segment backpack")
	qty[0].W[1+7] = 0x04
	ops = append(ops, qty...)
	ops = append(ops, vectorOps(t, "key scan: read 6 bytes from 0x40, KS0 K1 pressed")...)
	ops = append(ops, i2ctest.IO{Addr: 0x70, W: []byte{0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}}) // Halt
	ops = append(ops, vectorOps(t, "display off")...)
	ops = append(ops, vectorOps(t, "standby (oscillator off)")...)
	bus := &i2ctest.Playback{Ops: ops, DontPanic: true}
	d, err := New(bus, adafruit(), lights.Env{})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Set(lights.Channel(0), lights.State{Color: lights.Red}); err != nil {
		t.Fatal(err)
	}
	if err := d.Show(0, "12"); err != nil {
		t.Fatal(err)
	}
	if err := d.Show(0, "12"); err != nil { // unchanged: no write
		t.Fatal(err)
	}
	pressed := make([]bool, KeysPerLine)
	if err := d.sample(pressed); err != nil {
		t.Fatal(err)
	}
	if !pressed[0] || slices.Contains(pressed[1:], true) {
		t.Errorf("pressed %v, want input 0 (KS0 K1) only", pressed)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := bus.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestShowErrors(t *testing.T) {
	d, err := New(newModel(), adafruit(), lights.Env{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		display int
		text    string
	}{{1, "1"}, {-1, "1"}, {0, "12345"}, {0, "W"}} {
		if err := d.Show(tt.display, tt.text); !errors.Is(err, lights.ErrInvalid) {
			t.Errorf("Show(%d, %q) = %v, want ErrInvalid", tt.display, tt.text, err)
		}
	}
	leds, err := New(newModel(), Opts{Name: "m", Address: 0x70, LEDs: [][2]int{{0, 0}}}, lights.Env{})
	if err != nil {
		t.Fatal(err)
	}
	if err := leds.Show(0, "1"); !errors.Is(err, lights.ErrNotSupported) {
		t.Errorf("Show without displays = %v", err)
	}
	if leds.Events() != nil {
		t.Error("Events not nil without key lines")
	}
}

func TestNewErrors(t *testing.T) {
	_, err := New(&i2ctest.Playback{DontPanic: true}, adafruit(), lights.Env{})
	if !errors.Is(err, lights.ErrDisconnected) || !strings.Contains(err.Error(), "5 V") {
		t.Errorf("no chip: %v", err)
	}
	bad := adafruit()
	bad.LEDs = append(bad.LEDs, [2]int{3, 3}) // ROW3 COM3: a segment of the digit at position 3
	if _, err := New(newModel(), bad, lights.Env{}); !errors.Is(err, lights.ErrInvalid) {
		t.Errorf("LED on a digit: %v", err)
	}
	bad = adafruit()
	bad.Address = 0x20
	if _, err := New(newModel(), bad, lights.Env{}); !errors.Is(err, lights.ErrInvalid) {
		t.Errorf("address: %v", err)
	}
}

// model is an HT16K33 on a fake bus: display RAM, settings, and keys held down.
type model struct {
	mu      sync.Mutex
	ram     [RAMSize]byte
	osc, on bool
	dim     byte
	keys    KeyScan
}

func newModel() *model { return &model{} }

func (m *model) String() string                  { return "I2C-model" }
func (m *model) SetSpeed(physic.Frequency) error { return nil }

func (m *model) press(ks, k int, down bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if down {
		m.keys[ks] |= 1 << (k - 1)
	} else {
		m.keys[ks] &^= 1 << (k - 1)
	}
}

func (m *model) Tx(addr uint16, w, r []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if addr != 0x70 {
		return fmt.Errorf("model: no ACK from %#x", addr)
	}
	switch c := w[0]; {
	case c <= 0x0F:
		for i, v := range w[1:] {
			m.ram[(int(c)+i)%RAMSize] = v // the pointer wraps after 0x0F
		}
	case c == 0x20 || c == 0x21:
		m.osc = c&1 != 0
	case c == 0x40 && len(r) == 6:
		for i, v := range m.keys {
			r[2*i], r[2*i+1] = byte(v), byte(v>>8)
		}
	case c&0xF8 == 0x80:
		m.on = c&1 != 0
	case c&0xF0 == 0xE0:
		m.dim = c & 0x0F
	default:
		return fmt.Errorf("model: unexpected % x", w)
	}
	return nil
}

func TestKeysRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		m := newModel()
		o := adafruit()
		o.KeyLines = 3
		d, err := New(m, o, lights.Env{})
		if err != nil {
			t.Fatal(err)
		}
		if !m.osc || !m.on || m.dim != 0x0F {
			t.Errorf("after New: osc %v on %v dim %#x", m.osc, m.on, m.dim)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- d.Run(ctx) }()
		time.Sleep(5 * time.Millisecond)
		m.press(2, 13, true) // KS2 K13: input 2*13 + 12 = 38
		time.Sleep(time.Second)
		m.press(2, 13, false)
		b := <-d.Events()
		// Polled every 20 ms: seen at 20 ms, long at 820 ms.
		if want := (lights.Button{Input: 38, Long: true, At: t0.Add(820 * time.Millisecond)}); b != want {
			t.Errorf("got %+v, want %+v", b, want)
		}
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
		if m.osc || m.on {
			t.Error("Close did not put the chip in standby")
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
		{"defaults: Adafruit backpack", nil, nil, devices.Capacity{Displays: 1}},
		{"shelf of four 3-digit displays, LEDs and keys", map[string]any{
			"address":   0x71,
			"displays":  []any{[]any{0, 1, 2}, []any{3, 4, 5}, []any{8, 9, 10}, []any{11, 12, 13}},
			"leds":      []any{[]any{0, 6}, []any{1, 6}, []any{2, 6}, []any{3, 6}},
			"key_lines": 1,
		}, nil, devices.Capacity{Outputs: 4, Inputs: 13, Displays: 4}},
		{"LED matrix only", map[string]any{"displays": []any{}, "leds": []any{[]any{15, 7}}}, nil, devices.Capacity{Outputs: 1}},
		{"address out of range", map[string]any{"address": 0x78}, []string{"address"}, devices.Capacity{}},
		{"address as string", map[string]any{"address": "0x77"}, nil, devices.Capacity{Displays: 1}},
		{"digit twice", map[string]any{"displays": []any{[]any{0, 1}, []any{1}}}, []string{"displays[1][0]"}, devices.Capacity{}},
		{"digit out of range", map[string]any{"displays": []any{[]any{16}}}, []string{"displays[0][0]"}, devices.Capacity{}},
		{"LED on a default digit", map[string]any{"leds": []any{[]any{2, 1}}}, []string{"leds[0]"}, devices.Capacity{}},
		{"LED not a pair", map[string]any{"leds": []any{[]any{1}}}, []string{"leds[0]"}, devices.Capacity{}},
		{"key lines", map[string]any{"key_lines": 4}, []string{"key_lines"}, devices.Capacity{}},
		{"brightness", map[string]any{"brightness": 0}, []string{"brightness"}, devices.Capacity{}},
		{"nothing", map[string]any{"displays": []any{}}, []string{"displays"}, devices.Capacity{}},
	}
	d, ok := lights.Lookup(Name)
	if !ok {
		t.Fatal("not registered")
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := devices.Spec{Name: "qty1", Kind: devices.KindLights, Driver: Name, Options: tt.opts}
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
		o := adafruit()
		o.Displays = [][]int{{0, 1, 3, 4}, {8, 9, 10, 12}}
		d, err := New(newModel(), o, lights.Env{})
		if err != nil {
			t.Fatal(err)
		}
		return d, devices.Capacity{Outputs: 2, Inputs: 13, Displays: 2}
	})
}
