// Package ht16k33 is the lights driver "ht16k33": 7-segment quantity displays, single LEDs and
// keys on a Holtek HT16K33 "RAM mapping 16×8 LED controller driver with keyscan", written from
// its data sheet (Holtek HT16K33 Rev 1.10, May 2011).
//
// The chip multiplexes 16 ROW by 8 COM lines from a 16-byte display RAM (address 2n holds ROW0..7
// of COMn, 2n+1 ROW8..15), and scans up to 3×13 keys: KS0..KS2 share the COM1..COM3 pins and
// K1..K13 the ROW3..ROW15 pins, one diode per key (data sheet "Keyscan", "Key matrix
// configuration"). A device entry lays out:
//
//   - displays: each a list of digit positions, left to right. Position p (0..15) is COM p mod 8
//     with its segments a..g, dp on ROW0..7 (p < 8) or ROW8..15 (p >= 8). The default,
//     [[0, 1, 3, 4]], is Adafruit's 4-digit 7-segment backpack (COM2 drives its colon).
//   - leds: single LEDs as [row, com] pairs: output i is leds[i].
//   - key_lines: how many KS lines carry keys (0..3); input i is key K(i mod 13 + 1) of line
//     KS(i div 13).
//
// The chip debounces keys itself (a key is confirmed over two scans of about 10 ms each); the
// driver reads the key RAM every poll_ms (20 ms) and debounces again in software. The data
// sheet says that a held key sets its key RAM bit only once until released; the driver, like
// Linux's ht16k33 keypad driver and Adafruit's Trellis library, reads the bits as the keys held
// now, which is what long presses need: check long presses on the real board.
//
// Power: the HT16K33 runs from 4.5 to 5.5 V (data sheet "Features") and its inputs need 0.7 VDD,
// above the Pi's 3.3 V I²C levels: use a level shifter, or boards that accept 3.3 V. Make sure
// only one set of pull-ups (the Pi's 1.8 kΩ to 3.3 V) is on SDA/SCL.
package ht16k33

import (
	"context"
	"fmt"
	"time"

	"periph.io/x/conn/v3/i2c"

	"github.com/stationd/stationd/devices"
	"github.com/stationd/stationd/devices/lights"
	"github.com/stationd/stationd/devices/lights/internal/core"
	"github.com/stationd/stationd/devices/lights/internal/opt"
	"github.com/stationd/stationd/devices/lights/internal/periphhost"
)

// Name is the driver name in the config.
const Name = "ht16k33"

// Options are the device entry keys of the ht16k33 driver.
var Options = []devices.Option{
	{Key: "bus", Type: "string", Default: "1", Doc: "I2C bus: 1, I2C1 or /dev/i2c-1"},
	{Key: "address", Type: "int", Default: "0x70", Doc: "chip address 0x70..0x77 (A2 A1 A0 straps)"},
	{Key: "displays", Type: "list", Default: "[[0, 1, 3, 4]]", Doc: "7-segment displays, each a list of digit positions 0..15 left to right (p: COM p%8, ROW0..7 if p < 8 else ROW8..15); [] for none"},
	{Key: "leds", Type: "list", Default: "[]", Doc: "single LEDs as [row, com] pairs (row 0..15, com 0..7): output i = leds[i]"},
	{Key: "key_lines", Type: "int", Default: "0", Doc: "key scan lines KS0.. in use, 0..3: 13 inputs per line (input i = KS i/13, K i%13+1)"},
	{Key: "brightness", Type: "int", Default: "16", Doc: "dimming duty in sixteenths, 1..16"},
	{Key: "poll_ms", Type: "int", Default: "20", Doc: "key RAM reading period in ms, 10..1000"},
	{Key: "blink_ms", Type: "int", Default: "250", Doc: "blink half period of the LEDs in ms, 50..5000"},
}

func init() {
	lights.Register(Name, lights.Driver{
		Doc:      "7-segment displays, LEDs and keys on an HT16K33 I2C LED driver",
		Options:  Options,
		Validate: func(s devices.Spec) []devices.FieldError { _, errs := parse(s); return errs },
		Capacity: func(s devices.Spec) devices.Capacity {
			c, errs := parse(s)
			if len(errs) > 0 {
				return devices.Capacity{}
			}
			return devices.Capacity{Outputs: len(c.opts.LEDs), Inputs: KeysPerLine * c.opts.KeyLines, Displays: len(c.opts.Displays)}
		},
		Open: open,
	})
}

// Opts configures a Dev.
type Opts struct {
	Name       string
	Address    uint16   // 0x70..0x77
	Displays   [][]int  // digit positions of each display, left to right
	LEDs       [][2]int // [row, com] of each output
	KeyLines   int      // 0..3
	Brightness int      // 1..16; 0: 16
	Poll       time.Duration
	Blink      time.Duration
}

// Dev is an open ht16k33 lights device.
type Dev struct {
	core.Device
	chip   *Chip
	opts   Opts
	digits [][]byte // segments shown on each display
	ram    [RAMSize]byte
	shadow [RAMSize]byte // what the chip's RAM holds
	synced bool          // shadow is known
}

// New initialises the chip at o.Address on bus (oscillator on, display on without blink,
// brightness) and clears its RAM. It never closes bus.
func New(bus i2c.Bus, o Opts, env lights.Env) (*Dev, error) {
	if o.Brightness == 0 {
		o.Brightness = 16
	}
	if o.Poll <= 0 {
		o.Poll = 20 * time.Millisecond
	}
	if err := o.check(); err != nil {
		return nil, fmt.Errorf("%s: ht16k33: %w: %w", o.Name, lights.ErrInvalid, err)
	}
	chip, err := NewChip(bus, o.Address)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w", o.Name, lights.ErrInvalid, err)
	}
	d := &Dev{chip: chip, opts: o, digits: make([][]byte, len(o.Displays))}
	d.Desc = fmt.Sprintf("%s (ht16k33 %s %#x)", o.Name, bus, o.Address)
	for i, disp := range o.Displays {
		d.digits[i] = make([]byte, len(disp))
	}
	// Canonical initialisation: oscillator on, display on, dimming; then RAM from 0.
	err = chip.Oscillator(true)
	if err == nil {
		err = chip.Display(true, BlinkOff)
	}
	if err == nil {
		err = chip.Brightness(o.Brightness)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w: check the wiring, the address straps and the 5 V supply", d.Desc, lights.ErrDisconnected, err)
	}
	d.Out = core.NewOutputs(d.Desc, len(o.LEDs), d.flush)
	if err := d.Out.Refresh(); err != nil {
		return nil, fmt.Errorf("%s: %w: %w", d.Desc, lights.ErrDisconnected, err)
	}
	if len(o.Displays) > 0 {
		d.ShowText = d.show
		d.ClearDisplays = func() {
			for _, g := range d.digits {
				clear(g)
			}
		}
	}
	var sample func([]bool) error
	if o.KeyLines > 0 {
		sample = d.sample
	}
	d.Loop = core.NewRunner(core.RunnerConfig{
		Name:    d.Desc,
		Log:     env.Logger(),
		Outputs: d.Out,
		Blink:   o.Blink,
		Inputs:  KeysPerLine * o.KeyLines,
		Sample:  sample,
		Poll:    o.Poll,
		Buttons: env.Buttons,
	})
	d.Release = func() error {
		// Display off and standby: no light, no key scan, 1 µA or so.
		if err := chip.Display(false, BlinkOff); err != nil {
			return err
		}
		return chip.Oscillator(false)
	}
	return d, nil
}

// check validates a layout built in code (parse does the same for config entries).
func (o *Opts) check() error {
	if o.KeyLines < 0 || o.KeyLines > 3 {
		return fmt.Errorf("key lines %d out of range 0..3", o.KeyLines)
	}
	var used [RAMSize]byte
	for i, disp := range o.Displays {
		for _, p := range disp {
			if p < 0 || p >= RAMSize {
				return fmt.Errorf("display %d: digit position %d out of range 0..15", i, p)
			}
			a := DigitIndex(p)
			if used[a] != 0 {
				return fmt.Errorf("display %d: digit position %d used twice", i, p)
			}
			used[a] = 0xFF
		}
	}
	for i, l := range o.LEDs {
		if l[0] < 0 || l[0] > 15 || l[1] < 0 || l[1] > 7 {
			return fmt.Errorf("led %d: [row %d, com %d] out of range [0..15, 0..7]", i, l[0], l[1])
		}
		a, bit := RAMIndex(l[0], l[1])
		if used[a]&bit != 0 {
			return fmt.Errorf("led %d: [row %d, com %d] is already used by a digit or an LED", i, l[0], l[1])
		}
		used[a] |= bit
	}
	return nil
}

// flush renders the RAM and writes what changed: one byte when only one changed (a single LED),
// else the whole RAM in one page write from address 0.
func (d *Dev) flush(colors []lights.Color) error {
	clear(d.ram[:])
	for i, disp := range d.opts.Displays {
		for j, p := range disp {
			d.ram[DigitIndex(p)] = d.digits[i][j]
		}
	}
	for i, c := range colors {
		if c != lights.Off {
			a, bit := RAMIndex(d.opts.LEDs[i][0], d.opts.LEDs[i][1])
			d.ram[a] |= bit
		}
	}
	changed, at := 0, 0
	for i := range d.ram {
		if d.ram[i] != d.shadow[i] {
			changed, at = changed+1, i
		}
	}
	var err error
	switch {
	case d.synced && changed == 0:
		return nil
	case d.synced && changed == 1:
		err = d.chip.WriteRAM(at, d.ram[at:at+1])
	default:
		err = d.chip.WriteRAM(0, d.ram[:])
	}
	if err != nil {
		return err
	}
	d.shadow, d.synced = d.ram, true
	return nil
}

func (d *Dev) show(display int, text string) error {
	if display < 0 || display >= len(d.digits) {
		return fmt.Errorf("%s: display %d: %w: the device has displays 0..%d", d.Desc, display, lights.ErrInvalid, len(d.digits)-1)
	}
	segs, err := Render(text, len(d.digits[display]))
	if err != nil {
		return fmt.Errorf("%s: display %d: %w", d.Desc, display, err)
	}
	return d.Out.Update(func() { copy(d.digits[display], segs) })
}

func (d *Dev) sample(pressed []bool) error {
	keys, err := d.chip.Keys()
	if err != nil {
		return err
	}
	for i := range pressed {
		pressed[i] = keys.Pressed(i/KeysPerLine, i%KeysPerLine+1)
	}
	return nil
}

// config is a parsed device entry.
type config struct {
	bus  string
	opts Opts
}

func parse(s devices.Spec) (config, []devices.FieldError) {
	r := opt.New(s)
	c := config{
		bus: r.String("bus", "1"),
		opts: Opts{
			Name:       s.Name,
			Address:    uint16(r.Hex("address", MinAddr, MinAddr, MaxAddr)),
			KeyLines:   r.Int("key_lines", 0, 0, 3),
			Brightness: r.Int("brightness", 16, 1, 16),
			Poll:       r.Millis("poll_ms", 20, 10, 1000),
			Blink:      r.Millis("blink_ms", 250, 50, 5000),
		},
	}
	var used [RAMSize]byte
	owner := map[int]string{}
	if !r.List("displays", func(k string, v any) {
		l, ok := v.([]any)
		if !ok || len(l) == 0 {
			r.Addf(k, "must be a list of digit positions 0..15, like [0, 1, 3, 4]")
			return
		}
		var disp []int
		for j, e := range l {
			kj := fmt.Sprintf("%s[%d]", k, j)
			p, ok := opt.AsInt(e)
			if !ok || p < 0 || p >= RAMSize {
				r.Addf(kj, "must be a digit position from 0 to 15, not %s", opt.Show(e))
				return
			}
			a := DigitIndex(p)
			if used[a] != 0 {
				r.Addf(kj, "digit position %d is already %s", p, owner[a])
				return
			}
			used[a], owner[a] = 0xFF, kj
			disp = append(disp, p)
		}
		c.opts.Displays = append(c.opts.Displays, disp)
	}) && !r.Has("displays") {
		c.opts.Displays = [][]int{{0, 1, 3, 4}}
		for _, p := range c.opts.Displays[0] {
			used[DigitIndex(p)], owner[DigitIndex(p)] = 0xFF, "displays[0] (default)"
		}
	}
	r.List("leds", func(k string, v any) {
		l, ok := v.([]any)
		if !ok || len(l) != 2 {
			r.Addf(k, "must be a [row, com] pair, like [0, 6]")
			return
		}
		row, ok1 := opt.AsInt(l[0])
		com, ok2 := opt.AsInt(l[1])
		if !ok1 || !ok2 || row < 0 || row > 15 || com < 0 || com > 7 {
			r.Addf(k, "must be [row 0..15, com 0..7], not [%s, %s]", opt.Show(l[0]), opt.Show(l[1]))
			return
		}
		a, bit := RAMIndex(row, com)
		if used[a]&bit != 0 {
			r.Addf(k, "ROW%d COM%d is already %s", row, com, owner[a])
			return
		}
		used[a] |= bit
		if owner[a] == "" {
			owner[a] = k
		}
		c.opts.LEDs = append(c.opts.LEDs, [2]int{row, com})
	})
	if len(c.opts.Displays) == 0 && len(c.opts.LEDs) == 0 && c.opts.KeyLines == 0 && len(r.Errs) == 0 {
		r.Addf("displays", "give at least one display, LED or key line")
	}
	return c, r.Errs
}

func open(ctx context.Context, s devices.Spec, env lights.Env) (lights.Lights, error) {
	c, errs := parse(s)
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s: %w: %v", s.Name, lights.ErrInvalid, errs[0])
	}
	bus, err := periphhost.OpenI2C(c.bus)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.Name, err)
	}
	d, err := New(bus, c.opts, env)
	if err != nil {
		bus.Close()
		return nil, err
	}
	release := d.Release
	d.Release = func() error {
		err := release()
		if cerr := bus.Close(); err == nil {
			err = cerr
		}
		return err
	}
	return d, nil
}
