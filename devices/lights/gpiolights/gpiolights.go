// Package gpiolights is the lights driver "gpio": LEDs and buttons wired straight to the board's
// GPIO header, driven through periph.io (the Linux GPIO character device /dev/gpiochipN, or the
// SoC driver on a Raspberry Pi).
//
// Output i is the i-th pin of the entry's outputs list, input i the i-th pin of inputs. An LED
// lights for any colour but Off; with active_low the pin sinks the LED current (LED from 3.3 V
// through its resistor to the pin). Buttons close to ground by default, with the SoC's pull-up
// enabled; buttons_active_high uses the pull-down instead. A Raspberry Pi GPIO sources or sinks
// a few milliamps safely (16 mA per pin, about 50 mA for the whole bank): drive more than a
// small indicator LED through a transistor.
//
// Inputs are polled every poll_ms (5 ms by default, one ioctl per pin) and debounced in
// software; see package lights for the press semantics.
package gpiolights

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/stationd/stationd/devices"
	"github.com/stationd/stationd/devices/lights"
	"github.com/stationd/stationd/devices/lights/internal/core"
	"github.com/stationd/stationd/devices/lights/internal/opt"
	"github.com/stationd/stationd/devices/lights/internal/periphhost"
)

// Name is the driver name in the config.
const Name = "gpio"

// Options are the device entry keys of the gpio driver.
var Options = []devices.Option{
	{Key: "outputs", Type: "list", Default: "[]", Doc: "GPIO pins driving LEDs, output i = outputs[i]: BCM numbers (17 = GPIO17) or line names (\"GPIO17\")"},
	{Key: "inputs", Type: "list", Default: "[]", Doc: "GPIO pins reading buttons, input i = inputs[i], same notation"},
	{Key: "active_low", Type: "bool", Default: "false", Doc: "LEDs light when their pin is low (the pin sinks the LED current)"},
	{Key: "buttons_active_high", Type: "bool", Default: "false", Doc: "buttons pull the pin high (pull-down enabled); default: to ground, pull-up enabled"},
	{Key: "poll_ms", Type: "int", Default: "5", Doc: "button sampling period in ms, 1..100"},
	{Key: "blink_ms", Type: "int", Default: "250", Doc: "blink half period in ms, 50..5000 (250: 2 Hz)"},
}

func init() {
	lights.Register(Name, lights.Driver{
		Doc:      "LEDs and buttons on the board's GPIO pins",
		Options:  Options,
		Validate: func(s devices.Spec) []devices.FieldError { _, errs := parse(s); return errs },
		Capacity: func(s devices.Spec) devices.Capacity {
			c, _ := parse(s)
			return devices.Capacity{Outputs: len(c.outputs), Inputs: len(c.inputs)}
		},
		Open: open,
	})
}

// Opts configures a Dev.
type Opts struct {
	Name              string        // device name, for String and errors
	ActiveLow         bool          // LEDs light on a low pin
	ButtonsActiveHigh bool          // pressed reads high (pull-down); default pressed reads low (pull-up)
	Poll              time.Duration // button sampling period; 0: 5ms
	Blink             time.Duration // blink half period; 0: 250ms
}

// Dev is an open gpio lights device.
type Dev struct {
	core.Device
	outs, ins []gpio.PinIO
	opts      Opts
	shadow    []bool // what each output pin was last set to (true: lit)
}

// New drives LEDs on outs and reads buttons on ins. It configures the pins (inputs with their
// pull, outputs off) and never closes them.
func New(outs, ins []gpio.PinIO, o Opts, env lights.Env) (*Dev, error) {
	if o.Poll <= 0 {
		o.Poll = 5 * time.Millisecond
	}
	d := &Dev{outs: outs, ins: ins, opts: o, shadow: make([]bool, len(outs))}
	d.Desc = describe(o.Name, outs, ins)
	pull := gpio.PullUp
	if o.ButtonsActiveHigh {
		pull = gpio.PullDown
	}
	for _, p := range ins {
		if err := p.In(pull, gpio.NoEdge); err != nil {
			return nil, fmt.Errorf("%s: button input %w", d.Desc, periphhost.PinError(p, err))
		}
	}
	for _, p := range outs {
		if err := p.Out(d.level(false)); err != nil {
			return nil, fmt.Errorf("%s: LED output %w", d.Desc, periphhost.PinError(p, err))
		}
	}
	d.Out = core.NewOutputs(d.Desc, len(outs), d.flush)
	d.Loop = core.NewRunner(core.RunnerConfig{
		Name:    d.Desc,
		Log:     env.Logger(),
		Outputs: d.Out,
		Blink:   o.Blink,
		Inputs:  len(ins),
		Sample:  d.sample,
		Poll:    o.Poll,
		Buttons: env.Buttons,
	})
	return d, nil
}

func describe(name string, outs, ins []gpio.PinIO) string {
	names := func(ps []gpio.PinIO) string {
		s := make([]string, len(ps))
		for i, p := range ps {
			s[i] = p.Name()
		}
		return strings.Join(s, ",")
	}
	return fmt.Sprintf("%s (gpio out %s in %s)", name, names(outs), names(ins))
}

func (d *Dev) level(lit bool) gpio.Level {
	return gpio.Level(lit != d.opts.ActiveLow)
}

// flush sets the pins whose state changed.
func (d *Dev) flush(colors []lights.Color) error {
	for i, c := range colors {
		lit := c != lights.Off
		if lit == d.shadow[i] {
			continue
		}
		if err := d.outs[i].Out(d.level(lit)); err != nil {
			return fmt.Errorf("output %d (%s): %w", i, d.outs[i], err)
		}
		d.shadow[i] = lit
	}
	return nil
}

func (d *Dev) sample(pressed []bool) error {
	for i, p := range d.ins {
		pressed[i] = (p.Read() == gpio.High) == d.opts.ButtonsActiveHigh
	}
	return nil
}

// config is a parsed device entry.
type config struct {
	outputs, inputs []string
	opts            Opts
}

func parse(s devices.Spec) (config, []devices.FieldError) {
	r := opt.New(s)
	c := config{opts: Opts{
		Name:              s.Name,
		ActiveLow:         r.Bool("active_low", false),
		ButtonsActiveHigh: r.Bool("buttons_active_high", false),
		Poll:              r.Millis("poll_ms", 5, 1, 100),
		Blink:             r.Millis("blink_ms", 250, 50, 5000),
	}}
	seen := map[string]string{}
	pins := func(key string) []string {
		var l []string
		r.List(key, func(k string, v any) {
			name, ok := pinName(v)
			if !ok {
				r.Addf(k, "must be a GPIO number (17) or a line name (\"GPIO17\"), not %s", opt.Show(v))
				return
			}
			if prev, dup := seen[name]; dup {
				r.Addf(k, "%s is already used by %s", name, prev)
				return
			}
			seen[name] = k
			l = append(l, name)
		})
		return l
	}
	c.outputs = pins("outputs")
	c.inputs = pins("inputs")
	if len(c.outputs) == 0 && len(c.inputs) == 0 && len(r.Errs) == 0 {
		r.Addf("outputs", "give at least one output or input pin")
	}
	return c, r.Errs
}

// pinName turns an option value into a periph pin name: a number n is "GPIO<n>", the board's
// BCM numbering on a Raspberry Pi.
func pinName(v any) (string, bool) {
	if s, ok := v.(string); ok {
		s = strings.TrimSpace(s)
		if n, err := strconv.Atoi(s); err == nil && n >= 0 && n < 64 {
			return "GPIO" + strconv.Itoa(n), true
		}
		return s, s != ""
	}
	if n, ok := opt.AsInt(v); ok && n >= 0 && n < 64 {
		return "GPIO" + strconv.Itoa(n), true
	}
	return "", false
}

func open(ctx context.Context, s devices.Spec, env lights.Env) (lights.Lights, error) {
	c, errs := parse(s)
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s: %w: %v", s.Name, lights.ErrInvalid, errs[0])
	}
	get := func(names []string) ([]gpio.PinIO, error) {
		ps := make([]gpio.PinIO, len(names))
		for i, n := range names {
			p, err := periphhost.Pin(n)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", s.Name, err)
			}
			ps[i] = p
		}
		return ps, nil
	}
	outs, err := get(c.outputs)
	if err != nil {
		return nil, err
	}
	ins, err := get(c.inputs)
	if err != nil {
		return nil, err
	}
	d, err := New(outs, ins, c.opts, env)
	if err != nil {
		return nil, err
	}
	if err := d.Out.Refresh(); err != nil {
		return nil, err
	}
	return d, nil
}
