// Package mcp23017 is the lights driver "mcp23017": LEDs and buttons on Microchip MCP23017
// 16-bit I²C I/O expanders, several chips by address on one bus, written from the data sheet
// (Microchip DS20001952C, "MCP23017/MCP23S17 16-Bit I/O Expander with Serial Interface").
//
// Every chip of an entry has the same layout: the pins listed in outputs drive LEDs, those in
// inputs read buttons (by default A0..A7 LEDs and B0..B7 buttons). Output n is pin
// outputs[n mod len(outputs)] of chip n div len(outputs), in the order of addresses; inputs are
// numbered the same way. Buttons close to ground with the chip's 100 kΩ pull-ups (GPPU);
// buttons_active_high expects external pull-downs instead.
//
// The driver keeps the chip in its power-on IOCON.BANK = 0 map with SEQOP = 0, and drives
// outputs through the output latches (OLAT) from a shadow copy, never by read-modify-write of
// GPIO (sections 3.5.10, 3.5.11). Buttons are polled every poll_ms by reading GPIO; with
// interrupt_pin, the chips' INTA pins are mirrored (IOCON.MIRROR), open-drain (IOCON.ODR) and may
// share one host GPIO (pull-up enabled on it), interrupt-on-change is enabled on the input pins
// (GPINTEN, INTCON = 0: compare with the previous value, section 3.6), and polling runs only
// while a button is pressed, plus a safety read every 250 ms.
//
// Wiring: A2 A1 A0 set the address 0x20 + (A2<<2 | A1<<1 | A0) (section 3.3.1); tie RESET to
// VDD (it has no internal pull-up); power the chip from the Pi's 3.3 V so that its I²C levels
// match. A pin sources or sinks 25 mA at most and the chip 125 mA in total (VDD) or 150 mA
// (VSS) (section 2.0, absolute maximum ratings): keep LED currents to a few milliamps or use
// drivers. Later revisions of the data sheet (not the C revision these vectors come from)
// reportedly make GPA7 and GPB7 output-only on the MCP23017; keep buttons off A7/B7 on new
// boards.
package mcp23017

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/i2c"

	"github.com/stationd/stationd/devices"
	"github.com/stationd/stationd/devices/lights"
	"github.com/stationd/stationd/devices/lights/internal/core"
	"github.com/stationd/stationd/devices/lights/internal/opt"
	"github.com/stationd/stationd/devices/lights/internal/periphhost"
)

// Name is the driver name in the config.
const Name = "mcp23017"

// Options are the device entry keys of the mcp23017 driver.
var Options = []devices.Option{
	{Key: "bus", Type: "string", Default: "1", Doc: "I2C bus: 1, I2C1 or /dev/i2c-1"},
	{Key: "addresses", Type: "list", Default: "[0x20]", Doc: "chip addresses 0x20..0x27 (A2 A1 A0 straps), in output/input order"},
	{Key: "outputs", Type: "list", Default: "[A0, A1, A2, A3, A4, A5, A6, A7]", Doc: "pins of each chip driving LEDs: A0..A7, B0..B7 or 0..15"},
	{Key: "inputs", Type: "list", Default: "[B0, B1, B2, B3, B4, B5, B6, B7]", Doc: "pins of each chip reading buttons, same notation; [] for none"},
	{Key: "active_low", Type: "bool", Default: "false", Doc: "LEDs light when their pin is low (the pin sinks the LED current)"},
	{Key: "buttons_active_high", Type: "bool", Default: "false", Doc: "buttons pull the pin high (fit pull-downs); default: to ground, chip pull-ups on"},
	{Key: "interrupt_pin", Type: "string", Default: "", Doc: "host GPIO wired to the chips' INTA (GPIO4 or 4); empty: poll only"},
	{Key: "poll_ms", Type: "int", Default: "10", Doc: "button sampling period in ms, 2..1000"},
	{Key: "blink_ms", Type: "int", Default: "250", Doc: "blink half period in ms, 50..5000 (250: 2 Hz)"},
}

func init() {
	lights.Register(Name, lights.Driver{
		Doc:      "LEDs and buttons on MCP23017 I2C expanders",
		Options:  Options,
		Validate: func(s devices.Spec) []devices.FieldError { _, errs := parse(s); return errs },
		Capacity: func(s devices.Spec) devices.Capacity {
			c, errs := parse(s)
			if len(errs) > 0 {
				return devices.Capacity{}
			}
			n := len(c.opts.Addresses)
			return devices.Capacity{Outputs: n * len(c.opts.Outputs), Inputs: n * len(c.opts.Inputs)}
		},
		Open: open,
	})
}

// Opts configures a Dev.
type Opts struct {
	Name              string   // device name, for String and errors
	Addresses         []uint16 // chips, 0x20..0x27
	Outputs, Inputs   []int    // pins of each chip, 0..15 (A0..B7), disjoint
	ActiveLow         bool     // LEDs light on a low pin
	ButtonsActiveHigh bool     // pressed reads high; default pressed reads low (pull-ups on)
	Poll              time.Duration
	Blink             time.Duration
}

// Dev is an open mcp23017 lights device.
type Dev struct {
	core.Device
	chips   []*Chip
	opts    Opts
	outMask [2]byte   // output pins per port
	inMask  [2]byte   // input pins per port
	idle    [2]byte   // OLAT with every LED off
	olat    [][2]byte // shadow of each chip's OLATA, OLATB
	rd      []byte
}

// New configures the chips at o.Addresses on bus and returns the device, all LEDs off. irq, when
// not nil, is the host pin wired to the chips' INT outputs. New never closes bus or irq.
func New(bus i2c.Bus, irq gpio.PinIn, o Opts, env lights.Env) (*Dev, error) {
	if len(o.Addresses) == 0 {
		return nil, fmt.Errorf("%s: mcp23017: %w: no chip address", o.Name, lights.ErrInvalid)
	}
	if o.Poll <= 0 {
		o.Poll = 10 * time.Millisecond
	}
	d := &Dev{opts: o, olat: make([][2]byte, len(o.Addresses)), rd: make([]byte, 2)}
	addrs := make([]string, len(o.Addresses))
	for i, a := range o.Addresses {
		addrs[i] = fmt.Sprintf("%#x", a)
	}
	d.Desc = fmt.Sprintf("%s (mcp23017 %s %s)", o.Name, bus, strings.Join(addrs, ","))
	for _, p := range o.Outputs {
		d.outMask[p/8] |= 1 << (p % 8)
	}
	for _, p := range o.Inputs {
		if d.outMask[p/8]&(1<<(p%8)) != 0 {
			return nil, fmt.Errorf("%s: pin %s is both an output and an input: %w", d.Desc, PinName(p), lights.ErrInvalid)
		}
		d.inMask[p/8] |= 1 << (p % 8)
	}
	if o.ActiveLow {
		d.idle = d.outMask
	}
	for _, a := range o.Addresses {
		c, err := NewChip(bus, a)
		if err != nil {
			return nil, fmt.Errorf("%s: %w: %w", d.Desc, lights.ErrInvalid, err)
		}
		d.chips = append(d.chips, c)
	}
	if irq != nil {
		if err := irq.In(gpio.PullUp, gpio.FallingEdge); err != nil {
			return nil, fmt.Errorf("%s: interrupt %w", d.Desc, periphhost.PinError(irq, err))
		}
	}
	for i, c := range d.chips {
		if err := d.setup(c, irq != nil); err != nil {
			return nil, fmt.Errorf("%s: %w: %w: check the wiring, the address straps, that RESET is tied high and that the chip has power",
				d.Desc, lights.ErrDisconnected, err)
		}
		d.olat[i] = d.idle
	}
	d.Out = core.NewOutputs(d.Desc, len(d.chips)*len(o.Outputs), d.flush)
	rc := core.RunnerConfig{
		Name:    d.Desc,
		Log:     env.Logger(),
		Outputs: d.Out,
		Blink:   o.Blink,
		Inputs:  len(d.chips) * len(o.Inputs),
		Sample:  d.sample,
		Poll:    o.Poll,
		Buttons: env.Buttons,
	}
	if irq != nil {
		rc.Edge = irq.WaitForEdge
	}
	d.Loop = core.NewRunner(rc)
	return d, nil
}

// setup puts one chip in a known state, whatever it held before (the chip keeps its registers
// across a restart of stationd), without lighting an LED: the latches are written before the
// pins become outputs.
func (d *Dev) setup(c *Chip, irq bool) error {
	iocon, inten := byte(0), [2]byte{}
	if irq {
		iocon, inten = MIRROR|ODR, d.inMask // one open-drain INT for both ports, shared by the chips
	}
	pullup := [2]byte{^d.outMask[0], ^d.outMask[1]} // unused pins too: no floating inputs
	if d.opts.ButtonsActiveHigh {
		pullup = [2]byte{^(d.outMask[0] | d.inMask[0]), ^(d.outMask[1] | d.inMask[1])}
	}
	// A chip that other software left with IOCON.BANK = 1 reads our BANK 0 addresses wrong.
	// Address 0x05 is IOCON with BANK = 1 (Table 3-4) and GPINTENB with BANK = 0 (Table 3-5,
	// rewritten below): writing 0 there first brings either state back to BANK 0.
	if err := c.bus.Tx(c.addr, []byte{GPINTENB.Addr(false), 0}, nil); err != nil {
		return fmt.Errorf("mcp23017 %#x: reset IOCON.BANK: %w", c.addr, err)
	}
	c.bank1 = false
	steps := []struct {
		r Reg
		v []byte
	}{
		{IOCON, []byte{iocon}},
		{OLATA, []byte{d.idle[0], d.idle[1]}},
		{GPPUA, []byte{pullup[0], pullup[1]}},
		// IPOLA, IPOLB, GPINTENA, GPINTENB, DEFVALA, DEFVALB, INTCONA, INTCONB.
		{IPOLA, []byte{0, 0, inten[0], inten[1], 0, 0, 0, 0}},
		{IODIRA, []byte{^d.outMask[0], ^d.outMask[1]}},
	}
	for _, s := range steps {
		if err := c.Write(s.r, s.v...); err != nil {
			return err
		}
	}
	if irq {
		// Reading GPIO clears a pending interrupt (section 3.6.4).
		return c.Read(GPIOA, d.rd[:2])
	}
	return nil
}

// flush rewrites the output latches that changed, from the shadow (one transaction per chip:
// OLATA, OLATB or both in sequence).
func (d *Dev) flush(colors []lights.Color) error {
	per := len(d.opts.Outputs)
	for i, c := range d.chips {
		want := d.idle
		for j, p := range d.opts.Outputs {
			if colors[i*per+j] != lights.Off {
				want[p/8] ^= 1 << (p % 8)
			}
		}
		have := d.olat[i]
		var err error
		switch {
		case want == have:
			continue
		case want[0] != have[0] && want[1] != have[1]:
			err = c.Write(OLATA, want[0], want[1])
		case want[0] != have[0]:
			err = c.Write(OLATA, want[0])
		default:
			err = c.Write(OLATB, want[1])
		}
		if err != nil {
			return err
		}
		d.olat[i] = want
	}
	return nil
}

// sample reads the GPIO ports that hold inputs.
func (d *Dev) sample(pressed []bool) error {
	per := len(d.opts.Inputs)
	for i, c := range d.chips {
		var port [2]byte
		switch {
		case d.inMask[0] != 0 && d.inMask[1] != 0:
			if err := c.Read(GPIOA, d.rd[:2]); err != nil {
				return err
			}
			port = [2]byte{d.rd[0], d.rd[1]}
		case d.inMask[0] != 0:
			if err := c.Read(GPIOA, d.rd[:1]); err != nil {
				return err
			}
			port[0] = d.rd[0]
		default:
			if err := c.Read(GPIOB, d.rd[:1]); err != nil {
				return err
			}
			port[1] = d.rd[0]
		}
		for j, p := range d.opts.Inputs {
			high := port[p/8]&(1<<(p%8)) != 0
			pressed[i*per+j] = high == d.opts.ButtonsActiveHigh
		}
	}
	return nil
}

// config is a parsed device entry.
type config struct {
	bus, irq string
	opts     Opts
}

var (
	defaultOutputs = []int{0, 1, 2, 3, 4, 5, 6, 7}
	defaultInputs  = []int{8, 9, 10, 11, 12, 13, 14, 15}
)

func parse(s devices.Spec) (config, []devices.FieldError) {
	r := opt.New(s)
	c := config{
		bus: r.String("bus", "1"),
		irq: r.String("interrupt_pin", ""),
		opts: Opts{
			Name:              s.Name,
			ActiveLow:         r.Bool("active_low", false),
			ButtonsActiveHigh: r.Bool("buttons_active_high", false),
			Poll:              r.Millis("poll_ms", 10, 2, 1000),
			Blink:             r.Millis("blink_ms", 250, 50, 5000),
		},
	}
	if strings.TrimSpace(c.bus) == "" {
		r.Addf("bus", "must name an I2C bus (1, I2C1 or /dev/i2c-1)")
	}
	if n, err := strconv.Atoi(c.irq); err == nil && n >= 0 {
		c.irq = "GPIO" + c.irq
	}
	seen := map[int]string{}
	if !r.List("addresses", func(k string, v any) {
		a, ok := opt.AsInt(v)
		switch {
		case !ok || a < MinAddr || a > MaxAddr:
			r.Addf(k, "must be an MCP23017 address from 0x20 to 0x27 (0100 A2 A1 A0), not %s", opt.Show(v))
		case seen[a] != "":
			r.Addf(k, "%#x is already %s", a, seen[a])
		default:
			seen[a] = k
			c.opts.Addresses = append(c.opts.Addresses, uint16(a))
		}
	}) && !r.Has("addresses") {
		c.opts.Addresses = []uint16{MinAddr}
	}
	if r.Has("addresses") && len(c.opts.Addresses) == 0 && len(r.Errs) == 0 {
		r.Addf("addresses", "give at least one chip address (0x20..0x27)")
	}
	used := map[int]string{}
	pins := func(key string, def []int) []int {
		if !r.Has(key) {
			for _, p := range def {
				if prev, dup := used[p]; dup {
					r.Addf(key, "the default (%s) would reuse pin %s of %s: write %s explicitly, [] for none",
						pinList(def), PinName(p), prev, key)
					return nil
				}
			}
			for _, p := range def {
				used[p] = key + " (default)"
			}
			return def
		}
		l := []int{}
		r.List(key, func(k string, v any) {
			var p int
			ok := false
			if sv, isStr := v.(string); isStr {
				p, ok = ParsePin(sv)
			} else if n, isInt := opt.AsInt(v); isInt && n >= 0 && n < Pins {
				p, ok = n, true
			}
			if !ok {
				r.Addf(k, "must be a pin A0..A7, B0..B7 or 0..15, not %s", opt.Show(v))
				return
			}
			if prev, dup := used[p]; dup {
				r.Addf(k, "pin %s is already %s", PinName(p), prev)
				return
			}
			used[p] = k
			l = append(l, p)
		})
		return l
	}
	c.opts.Outputs = pins("outputs", defaultOutputs)
	c.opts.Inputs = pins("inputs", defaultInputs)
	if len(c.opts.Outputs) == 0 && len(c.opts.Inputs) == 0 && len(r.Errs) == 0 {
		r.Addf("outputs", "give at least one output or input pin")
	}
	return c, r.Errs
}

func pinList(ps []int) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = PinName(p)
	}
	return strings.Join(s, ", ")
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
	var irq gpio.PinIO
	if c.irq != "" {
		if irq, err = periphhost.Pin(c.irq); err != nil {
			bus.Close()
			return nil, fmt.Errorf("%s: interrupt_pin: %w", s.Name, err)
		}
	}
	var in gpio.PinIn
	if irq != nil {
		in = irq
	}
	d, err := New(bus, in, c.opts, env)
	if err != nil {
		bus.Close()
		return nil, err
	}
	d.Release = bus.Close
	return d, nil
}
