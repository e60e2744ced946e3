// Package lightsim is the lights driver "sim": a lights device in memory that records what each
// output and display shows and lets tests and the demo press its buttons. It runs the same
// blinking and debouncing code as the real drivers.
//
// Open hands the *Sim to env.Attach(spec.Name, sim), so that the demo finds it by device name.
// Press and LongPress deliver a press at once (the demo's scripted picker); SetLevel drives an
// input's raw level through the debouncer, as a real button would (timing tests). Fail makes Run
// return a disconnection.
package lightsim

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/stationd/stationd/devices"
	"github.com/stationd/stationd/devices/lights"
	"github.com/stationd/stationd/devices/lights/internal/core"
	"github.com/stationd/stationd/devices/lights/internal/opt"
)

// Name is the driver name in the config.
const Name = "sim"

// Options are the device entry keys of the sim driver.
var Options = []devices.Option{
	{Key: "outputs", Type: "int", Default: "16", Doc: "outputs (LEDs or pixels), 0..4096"},
	{Key: "inputs", Type: "int", Default: "16", Doc: "button inputs, 0..4096"},
	{Key: "displays", Type: "int", Default: "0", Doc: "quantity displays, 0..256"},
	{Key: "digits", Type: "int", Default: "4", Doc: "characters per display, 1..16"},
	{Key: "rgb", Type: "bool", Default: "true", Doc: "outputs show colours (false: mono LEDs)"},
	{Key: "poll_ms", Type: "int", Default: "5", Doc: "sampling period of SetLevel inputs in ms, 1..1000"},
	{Key: "blink_ms", Type: "int", Default: "250", Doc: "blink half period in ms, 50..5000"},
}

func init() {
	lights.Register(Name, lights.Driver{
		Doc:      "simulated lights for tests and the demo",
		Options:  Options,
		Validate: func(s devices.Spec) []devices.FieldError { _, errs := parse(s); return errs },
		Capacity: func(s devices.Spec) devices.Capacity {
			c, _ := parse(s)
			return devices.Capacity{Outputs: c.Outputs, Inputs: c.Inputs, Displays: c.Displays, RGB: c.RGB}
		},
		Open: func(ctx context.Context, s devices.Spec, env lights.Env) (lights.Lights, error) {
			c, errs := parse(s)
			if len(errs) > 0 {
				return nil, fmt.Errorf("%s: %w: %v", s.Name, lights.ErrInvalid, errs[0])
			}
			sim := New(c, env)
			if env.Attach != nil {
				env.Attach(s.Name, sim)
			}
			return sim, nil
		},
	})
}

// Config sizes a Sim.
type Config struct {
	Name                      string
	Outputs, Inputs, Displays int
	Digits                    int // characters per display; 0: 4
	RGB                       bool
	Poll, Blink               time.Duration
}

// Change is one change of what the Sim shows, as delivered to an observer.
type Change struct {
	Target  lights.Target // the outputs that changed (Display < 0)
	State   lights.State
	Display int // the display that changed, or -1
	Text    string
}

// Sim is a simulated lights device. Its methods are safe for concurrent use.
type Sim struct {
	core.Device
	cfg    Config
	fault  chan error
	levels []bool // raw input levels set by SetLevel

	mu       sync.Mutex
	visible  []lights.Color // what each output shows at this blink phase
	texts    []string
	observer func(Change)
}

// New returns a Sim, everything off.
func New(c Config, env lights.Env) *Sim {
	if c.Digits <= 0 {
		c.Digits = 4
	}
	if c.Poll <= 0 {
		c.Poll = 5 * time.Millisecond
	}
	s := &Sim{
		cfg:     c,
		fault:   make(chan error, 1),
		levels:  make([]bool, c.Inputs),
		visible: make([]lights.Color, c.Outputs),
		texts:   make([]string, c.Displays),
	}
	s.Desc = fmt.Sprintf("%s (sim %d out %d in %d displays)", c.Name, c.Outputs, c.Inputs, c.Displays)
	s.Out = core.NewOutputs(s.Desc, c.Outputs, s.flush)
	var sample func([]bool) error
	if c.Inputs > 0 {
		sample = s.sample
	}
	s.Loop = core.NewRunner(core.RunnerConfig{
		Name: s.Desc, Log: env.Logger(), Outputs: s.Out, Blink: c.Blink,
		Inputs: c.Inputs, Sample: sample, Poll: c.Poll, Buttons: env.Buttons, Fault: s.fault,
	})
	if c.Displays > 0 {
		s.ShowText = s.show
		s.ClearDisplays = func() {
			s.mu.Lock()
			clear(s.texts)
			s.mu.Unlock()
		}
	}
	return s
}

// Set implements lights.Lights and reports the change to the observer.
func (s *Sim) Set(t lights.Target, st lights.State) error {
	if err := s.Device.Set(t, st); err != nil {
		return err
	}
	s.notify(Change{Target: t, State: st, Display: -1})
	return nil
}

// Halt implements lights.Lights and reports every output off.
func (s *Sim) Halt() error {
	if err := s.Device.Halt(); err != nil {
		return err
	}
	if s.cfg.Outputs > 0 {
		s.notify(Change{Target: lights.Target{First: 0, Last: s.cfg.Outputs - 1}, Display: -1})
	}
	for i := range s.cfg.Displays {
		s.notify(Change{Display: i})
	}
	return nil
}

// Observe registers fn to be called, from the goroutine that made the change, after each Set,
// Show and Halt. nil removes it.
func (s *Sim) Observe(fn func(Change)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.observer = fn
}

func (s *Sim) notify(c Change) {
	s.mu.Lock()
	fn := s.observer
	s.mu.Unlock()
	if fn != nil {
		fn(c)
	}
}

func (s *Sim) flush(colors []lights.Color) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	copy(s.visible, colors)
	return nil
}

func (s *Sim) show(display int, text string) error {
	if display < 0 || display >= s.cfg.Displays {
		return fmt.Errorf("%s: display %d: %w: the device has displays 0..%d", s.Desc, display, lights.ErrInvalid, s.cfg.Displays-1)
	}
	if n := len([]rune(text)); n > s.cfg.Digits {
		return fmt.Errorf("%s: display %d: text %q: %w: it needs %d characters and the display has %d",
			s.Desc, display, text, lights.ErrInvalid, n, s.cfg.Digits)
	}
	s.mu.Lock()
	s.texts[display] = text
	s.mu.Unlock()
	s.notify(Change{Display: display, Text: text})
	return nil
}

func (s *Sim) sample(pressed []bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	copy(pressed, s.levels)
	return nil
}

// Output returns the state output i was set to (the zero State when out of range).
func (s *Sim) Output(i int) lights.State { return s.Out.State(i) }

// Visible returns the colour output i shows right now: Off during the dark half of a blink.
func (s *Sim) Visible(i int) lights.Color {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i < 0 || i >= len(s.visible) {
		return lights.Off
	}
	return s.visible[i]
}

// Lit returns the state of every output that is on, by output.
func (s *Sim) Lit() map[int]lights.State {
	m := map[int]lights.State{}
	for i := range s.cfg.Outputs {
		if st := s.Out.State(i); st.On() {
			m[i] = st
		}
	}
	return m
}

// Display returns the text display i shows.
func (s *Sim) Display(i int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i < 0 || i >= len(s.texts) {
		return ""
	}
	return s.texts[i]
}

// Press delivers a short press of input at once, as if the button had been pressed and
// released; LongPress a long one.
func (s *Sim) Press(input int) error {
	return s.Loop.Inject(lights.Button{Input: input, At: time.Now()})
}

// LongPress delivers a long press of input at once.
func (s *Sim) LongPress(input int) error {
	return s.Loop.Inject(lights.Button{Input: input, Long: true, At: time.Now()})
}

// SetLevel sets the raw level of input (true: pressed); Run samples it every poll period and
// debounces it like a real button.
func (s *Sim) SetLevel(input int, pressed bool) error {
	if input < 0 || input >= len(s.levels) {
		return fmt.Errorf("%s: input %d: %w", s.Desc, input, lights.ErrInvalid)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.levels[input] = pressed
	return nil
}

// Fail makes Run return err, wrapped with lights.ErrDisconnected, as if the device had been
// unplugged (nil: a generic error).
func (s *Sim) Fail(err error) {
	if err == nil {
		err = errors.New("simulated failure")
	}
	select {
	case s.fault <- fmt.Errorf("%w: %w", lights.ErrDisconnected, err):
	default:
	}
}

// Capacity returns what the Sim provides, as its driver's Capacity does.
func (s *Sim) Capacity() devices.Capacity {
	return devices.Capacity{Outputs: s.cfg.Outputs, Inputs: s.cfg.Inputs, Displays: s.cfg.Displays, RGB: s.cfg.RGB}
}

func parse(s devices.Spec) (Config, []devices.FieldError) {
	r := opt.New(s)
	c := Config{
		Name:     s.Name,
		Outputs:  r.Int("outputs", 16, 0, 4096),
		Inputs:   r.Int("inputs", 16, 0, 4096),
		Displays: r.Int("displays", 0, 0, 256),
		Digits:   r.Int("digits", 4, 1, 16),
		RGB:      r.Bool("rgb", true),
		Poll:     r.Millis("poll_ms", 5, 1, 1000),
		Blink:    r.Millis("blink_ms", 250, 50, 5000),
	}
	return c, r.Errs
}
