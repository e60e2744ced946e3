package mcp23017

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/i2c/i2ctest"

	"github.com/stationd/stationd/devices"
	"github.com/stationd/stationd/devices/lights"
	"github.com/stationd/stationd/devices/lights/internal/fakepin"
	"github.com/stationd/stationd/devices/lights/internal/vectors"
	"github.com/stationd/stationd/devices/lights/lightstest"
)

// chipSteps gives, for each mcp23017 case of i2c_lights.json, the Chip calls that must put
// exactly the case's ops on the bus. read receives what each read returned.
var chipSteps = map[string]func(bus *i2ctest.Playback) (reads [][]byte, err error){
	"B3 output high, all of A inputs, the rest of B inputs": writes(0x20, []step{{IODIRA, 0xFF}, {IODIRB, 0xF7}, {OLATB, 0x08}}),
	"all of port A outputs, all off":                        writes(0x20, []step{{IODIRA, 0x00}, {OLATA, 0x00}}),
	"set A5 with A0 already on (shadow OLATA 0x01 -> 0x21)": writes(0x20, []step{{OLATA, 0x21}}),
	"clear A0 keeping A5 (shadow 0x21 -> 0x20)":             writes(0x20, []step{{OLATA, 0x20}}),
	"buttons on B0-B7: inputs with pull-ups":                writes(0x20, []step{{IODIRB, 0xFF}, {GPPUB, 0xFF}}),
	"poll buttons on port B: B0 pressed (active low)": func(bus *i2ctest.Playback) ([][]byte, error) {
		c, _ := NewChip(bus, 0x20)
		b := make([]byte, 1)
		return [][]byte{b}, c.Read(GPIOB, b)
	},
	"second chip with A2=1 A1=0 A0=1 at 0x25: port A outputs, A7 on": writes(0x25, []step{{IODIRA, 0x00}, {OLATA, 0x80}}),
	"IOCON: MIRROR and ODR (open-drain shared INT)":                  writes(0x20, []step{{IOCON, MIRROR | ODR}}),
	"interrupt on change on port B, then read the cause": func(bus *i2ctest.Playback) ([][]byte, error) {
		c, _ := NewChip(bus, 0x20)
		if err := c.Write(GPINTENB, 0xFF); err != nil {
			return nil, err
		}
		if err := c.Write(INTCONB, 0x00); err != nil {
			return nil, err
		}
		intf, intcap := make([]byte, 1), make([]byte, 1)
		if err := c.Read(INTFB, intf); err != nil {
			return nil, err
		}
		return [][]byte{intf, intcap}, c.Read(INTCAPB, intcap)
	},
	"switch to BANK=1 then set B3 high": writes(0x20, []step{{IOCON, BANK}, {IODIRB, 0xF7}, {OLATB, 0x08}}),
	"sequential write of both output latches in one transaction": func(bus *i2ctest.Playback) ([][]byte, error) {
		c, _ := NewChip(bus, 0x20)
		return nil, c.Write(OLATA, 0xFF, 0x00)
	},
}

type step struct {
	r Reg
	v byte
}

func writes(addr uint16, steps []step) func(*i2ctest.Playback) ([][]byte, error) {
	return func(bus *i2ctest.Playback) ([][]byte, error) {
		c, err := NewChip(bus, addr)
		if err != nil {
			return nil, err
		}
		for _, s := range steps {
			if err := c.Write(s.r, s.v); err != nil {
				return nil, err
			}
		}
		return nil, nil
	}
}

func mcpCases(t *testing.T) []vectors.I2CCase {
	var cs []vectors.I2CCase
	for _, c := range vectors.LoadI2C(t).Cases {
		if c.Chip == "mcp23017" {
			cs = append(cs, c)
		}
	}
	if len(cs) == 0 {
		t.Fatal("no mcp23017 cases")
	}
	return cs
}

// TestVectorOps checks every mcp23017 case: the Chip calls put exactly the case's ops on the
// bus (i2ctest.Playback), and what the reads return decodes to the case's pins.
func TestVectorOps(t *testing.T) {
	for _, c := range mcpCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			steps, ok := chipSteps[c.Name]
			if !ok {
				t.Fatal("no Chip steps for this vector case: add them to chipSteps")
			}
			bus := &i2ctest.Playback{Ops: vectors.IO(t, c.Expect.Ops), DontPanic: true}
			reads, err := steps(bus)
			if err != nil {
				t.Fatal(err)
			}
			if err := bus.Close(); err != nil {
				t.Fatal(err)
			}
			var pressed []string
			if len(c.Expect.Pressed) > 0 {
				if err := json.Unmarshal(c.Expect.Pressed, &pressed); err != nil {
					t.Fatal(err)
				}
				// Active low: a pressed button reads 0.
				if got := PinsOf(1, ^reads[0][0]); !slices.Equal(got, pressed) {
					t.Errorf("pressed %v, want %v", got, pressed)
				}
			}
			if c.Expect.InterruptPins != nil {
				if got := PinsOf(1, reads[0][0]); !slices.Equal(got, c.Expect.InterruptPins) {
					t.Errorf("interrupt pins %v, want %v", got, c.Expect.InterruptPins)
				}
				// INTCAP holds the port at the interrupt; enabled pins that were low.
				if got := PinsOf(1, ^reads[1][0]&0xFF); !slices.Equal(got, c.Expect.CapturedLow) {
					t.Errorf("captured low %v, want %v", got, c.Expect.CapturedLow)
				}
			}
		})
	}
}

// TestVectorRegistersAfter runs each case's ops, and every equivalent alternative, through the
// register model from power-on and compares registers_after.
func TestVectorRegistersAfter(t *testing.T) {
	for _, c := range mcpCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			for i, ops := range append([][]vectors.Op{c.Expect.Ops}, c.Alternatives...) {
				io := vectors.IO(t, ops)
				m := newModel(0x20, 0x25)
				for _, o := range io {
					r := make([]byte, len(o.R))
					if err := m.Tx(o.Addr, o.W, r); err != nil {
						t.Fatal(err)
					}
				}
				checkRegs(t, fmt.Sprintf("sequence %d", i), m.regs(io[0].Addr), c.Expect.RegistersAfter)
			}
		})
	}
}

func checkRegs(t *testing.T, what string, regs [22]byte, want map[string]string) {
	t.Helper()
	for name, hexv := range want {
		v, err := strconv.ParseUint(hexv, 16, 8)
		if err != nil {
			t.Fatal(err)
		}
		r := regByName(t, name)
		if regs[r] != byte(v) {
			t.Errorf("%s: %s = %#02x, want %#02x", what, name, regs[r], v)
		}
	}
}

func regByName(t *testing.T, name string) Reg {
	t.Helper()
	for r := IODIRA; r <= OLATB; r++ {
		if r.String() == name {
			return r
		}
	}
	t.Fatalf("unknown register %q", name)
	return 0
}

// TestRegisterMaps checks Reg.Addr against the vectors' BANK 0 and BANK 1 tables.
func TestRegisterMaps(t *testing.T) {
	f := vectors.LoadI2C(t)
	for bank, m := range []map[string]string{f.RegisterMaps.Bank0, f.RegisterMaps.Bank1} {
		if len(m) == 0 {
			t.Fatalf("bank %d table empty", bank)
		}
		for name, hexv := range m {
			a, err := strconv.ParseUint(hexv, 0, 8)
			if err != nil {
				t.Fatal(err)
			}
			r := IOCON + 1
			if name != "IOCON_alias" {
				r = regByName(t, name)
			}
			if got := r.Addr(bank == 1); got != byte(a) {
				t.Errorf("bank %d %s: Addr = %#02x, want %#02x", bank, name, got, a)
			}
		}
	}
}

func TestPinNames(t *testing.T) {
	for p := range Pins {
		n := PinName(p)
		if q, ok := ParsePin(n); !ok || q != p {
			t.Errorf("ParsePin(%q) = %d, %v", n, q, ok)
		}
		if q, ok := ParsePin("gp" + strings.ToLower(n)); !ok || q != p {
			t.Errorf("ParsePin(gp%s) = %d, %v", n, q, ok)
		}
	}
	for _, s := range []string{"", "A8", "C0", "16", "-1", "GPA", "AA"} {
		if _, ok := ParsePin(s); ok {
			t.Errorf("ParsePin(%q) accepted", s)
		}
	}
}

func TestNewChipAddress(t *testing.T) {
	for _, a := range []uint16{0x1F, 0x28, 0x70} {
		if _, err := NewChip(&i2ctest.Playback{}, a); err == nil {
			t.Errorf("NewChip(%#x) accepted", a)
		}
	}
}

// initOps is the device's set-up of one chip with the default layout (A0..A7 LEDs, B0..B7
// buttons), polling: 0 to 0x05 (IOCON if the chip was left in BANK 1), IOCON, latches before
// direction, pull-ups on every non-output pin, IPOL..INTCON cleared, then IODIR.
func initOps(addr uint16) []i2ctest.IO {
	return []i2ctest.IO{
		{Addr: addr, W: []byte{0x05, 0x00}},
		{Addr: addr, W: []byte{0x0A, 0x00}},
		{Addr: addr, W: []byte{0x14, 0x00, 0x00}},
		{Addr: addr, W: []byte{0x0C, 0x00, 0xFF}},
		{Addr: addr, W: []byte{0x02, 0, 0, 0, 0, 0, 0, 0, 0}},
		{Addr: addr, W: []byte{0x00, 0x00, 0xFF}},
	}
}

func defaultOpts(addrs ...uint16) Opts {
	return Opts{Name: "shelf1", Addresses: addrs, Outputs: defaultOutputs, Inputs: defaultInputs}
}

func vectorOps(t *testing.T, name string) []i2ctest.IO {
	for _, c := range mcpCases(t) {
		if c.Name == name {
			return vectors.IO(t, c.Expect.Ops)
		}
	}
	t.Fatalf("no vector %q", name)
	return nil
}

func vectorCase(t *testing.T, name string) vectors.I2CCase {
	for _, c := range mcpCases(t) {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no vector %q", name)
	return vectors.I2CCase{}
}

// TestDeviceOps pins the device's exact bus traffic: set-up, then OLATA rewritten from the
// shadow as the vectors show (A0 on, then A5 -> 0x21, then A0 off -> 0x20).
func TestDeviceOps(t *testing.T) {
	ops := initOps(0x20)
	ops = append(ops, i2ctest.IO{Addr: 0x20, W: []byte{0x14, 0x01}})
	ops = append(ops, vectorOps(t, "set A5 with A0 already on (shadow OLATA 0x01 -> 0x21)")...)
	ops = append(ops, vectorOps(t, "clear A0 keeping A5 (shadow 0x21 -> 0x20)")...)
	ops = append(ops, vectorOps(t, "poll buttons on port B: B0 pressed (active low)")...)
	bus := &i2ctest.Playback{Ops: ops, DontPanic: true}
	d, err := New(bus, nil, defaultOpts(0x20), lights.Env{})
	if err != nil {
		t.Fatal(err)
	}
	on := lights.State{Color: lights.Green}
	for _, s := range []struct {
		out int
		st  lights.State
	}{{0, on}, {5, on}, {0, lights.State{}}} {
		if err := d.Set(lights.Channel(s.out), s.st); err != nil {
			t.Fatal(err)
		}
	}
	// Setting an output to what it shows writes nothing.
	if err := d.Set(lights.Channel(5), lights.State{Color: lights.Red}); err != nil {
		t.Fatal(err)
	}
	pressed := make([]bool, 8)
	if err := d.sample(pressed); err != nil {
		t.Fatal(err)
	}
	if want := []bool{true, false, false, false, false, false, false, false}; !slices.Equal(pressed, want) {
		t.Errorf("pressed %v, want B0 only", pressed)
	}
	if err := bus.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestDeviceRegisters checks, on the register model, that the set-up reaches the vectors'
// registers_after for "all of port A outputs, all off" and "buttons on B0-B7", and that the
// second chip's A7 lands as in "second chip ... at 0x25".
func TestDeviceRegisters(t *testing.T) {
	m := newModel(0x20, 0x25)
	d, err := New(m, nil, defaultOpts(0x20, 0x25), lights.Env{})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"all of port A outputs, all off", "buttons on B0-B7: inputs with pull-ups"} {
		checkRegs(t, name, m.regs(0x20), vectorCase(t, name).Expect.RegistersAfter)
	}
	if err := d.Set(lights.Channel(8+7), lights.State{Color: lights.Red}); err != nil {
		t.Fatal(err)
	}
	c := vectorCase(t, "second chip with A2=1 A1=0 A0=1 at 0x25: port A outputs, A7 on")
	checkRegs(t, c.Name, m.regs(0x25), c.Expect.RegistersAfter)
	if r := m.regs(0x20); r[OLATA] != 0 {
		t.Errorf("chip 0x20 OLATA = %#02x, want 0", r[OLATA])
	}
}

// TestSetupFromBank1 starts from a chip that other software left with BANK = 1 and SEQOP = 1.
func TestSetupFromBank1(t *testing.T) {
	m := newModel(0x20)
	m.chips[0x20].reg[IOCON] = BANK | SEQOP
	m.chips[0x20].reg[OLATA] = 0xFF
	if _, err := New(m, nil, defaultOpts(0x20), lights.Env{}); err != nil {
		t.Fatal(err)
	}
	r := m.regs(0x20)
	want := map[Reg]byte{IOCON: 0, IODIRA: 0x00, IODIRB: 0xFF, GPPUA: 0, GPPUB: 0xFF, OLATA: 0, OLATB: 0, GPINTENB: 0}
	for reg, v := range want {
		if r[reg] != v {
			t.Errorf("%s = %#02x, want %#02x", reg, r[reg], v)
		}
	}
}

func TestActiveLowAndLayout(t *testing.T) {
	m := newModel(0x21)
	o := Opts{Name: "s", Addresses: []uint16{0x21}, Outputs: []int{8, 15, 0}, Inputs: []int{1}, ActiveLow: true}
	d, err := New(m, nil, o, lights.Env{})
	if err != nil {
		t.Fatal(err)
	}
	r := m.regs(0x21)
	// Outputs B0, B7, A0 idle high (off); IODIR clears exactly them; pull-ups elsewhere.
	if r[OLATA] != 0x01 || r[OLATB] != 0x81 || r[IODIRA] != 0xFE || r[IODIRB] != 0x7E || r[GPPUA] != 0xFE || r[GPPUB] != 0x7E {
		t.Fatalf("registers after set-up: % x", r)
	}
	if err := d.Set(lights.Target{First: 1, Last: 2}, lights.State{Color: lights.Blue}); err != nil {
		t.Fatal(err)
	}
	if r := m.regs(0x21); r[OLATA] != 0x00 || r[OLATB] != 0x01 {
		t.Errorf("after lighting B7 and A0: OLATA %#02x OLATB %#02x", r[OLATA], r[OLATB])
	}
	m.setPin(0x21, 1, false)
	pressed := []bool{false}
	if err := d.sample(pressed); err != nil || !pressed[0] {
		t.Errorf("A1 low: pressed %v, %v", pressed, err)
	}
}

func TestNewErrors(t *testing.T) {
	bus := &i2ctest.Playback{DontPanic: true}
	_, err := New(bus, nil, defaultOpts(0x20), lights.Env{})
	if !errors.Is(err, lights.ErrDisconnected) || !strings.Contains(err.Error(), "RESET") {
		t.Errorf("no chip: %v", err)
	}
	if _, err := New(newModel(0x20), nil, defaultOpts(0x30), lights.Env{}); !errors.Is(err, lights.ErrInvalid) {
		t.Errorf("bad address: %v", err)
	}
	o := defaultOpts(0x20)
	o.Inputs = []int{0}
	if _, err := New(newModel(0x20), nil, o, lights.Env{}); !errors.Is(err, lights.ErrInvalid) {
		t.Errorf("pin both ways: %v", err)
	}
	m := newModel(0x20)
	d, err := New(m, nil, defaultOpts(0x20), lights.Env{})
	if err != nil {
		t.Fatal(err)
	}
	m.setFail(errors.New("remote I/O error"))
	if err := d.Set(lights.Channel(0), lights.State{Color: lights.Red}); !errors.Is(err, lights.ErrDisconnected) {
		t.Errorf("Set on a dead bus: %v", err)
	}
	m.setFail(nil)
	// The failed write is retried by the next change.
	if err := d.Set(lights.Channel(1), lights.State{Color: lights.Red}); err != nil {
		t.Fatal(err)
	}
	if r := m.regs(0x20); r[OLATA] != 0x03 {
		t.Errorf("OLATA = %#02x after retry, want 0x03", r[OLATA])
	}
}

// TestButtonsPolled runs the device on the model inside a bubble: a press of B2 on the second
// chip is input 8+2.
func TestButtonsPolled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		m := newModel(0x20, 0x21)
		d, err := New(m, nil, defaultOpts(0x20, 0x21), lights.Env{})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- d.Run(ctx) }()
		time.Sleep(101 * time.Millisecond)
		m.setPin(0x21, 8+2, false)
		time.Sleep(300 * time.Millisecond)
		m.setPin(0x21, 8+2, true)
		b := <-d.Events()
		// Polled every 10 ms: released at 401 ms, seen at 410 ms, confirmed at 430 ms.
		if want := (lights.Button{Input: 10, At: t0.Add(410 * time.Millisecond)}); b != want {
			t.Errorf("got %+v, want %+v", b, want)
		}
		if got := time.Since(t0); got != 430*time.Millisecond {
			t.Errorf("delivered at %v", got)
		}
		m.setFail(errors.New("remote I/O error"))
		if err := <-done; !errors.Is(err, lights.ErrDisconnected) {
			t.Errorf("Run on a dead bus = %v", err)
		}
		cancel()
	})
}

// TestButtonsInterrupt: with interrupt_pin the chips are set up for a shared open-drain INT
// (the vectors' IOCON 0x44, GPINTEN on the inputs, INTCON 0) and read on each edge.
func TestButtonsInterrupt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		irq := fakepin.New("GPIO4", 4)
		rec := &i2ctest.Record{Bus: newModel(0x20)}
		m := rec.Bus.(*model)
		d, err := New(rec, irq, defaultOpts(0x20), lights.Env{})
		if err != nil {
			t.Fatal(err)
		}
		if irq.PullSet() != gpio.PullUp {
			t.Errorf("interrupt pin pull %v, want PullUp (open-drain INT)", irq.PullSet())
		}
		wantInit := []i2ctest.IO{
			{Addr: 0x20, W: []byte{0x05, 0x00}},
			{Addr: 0x20, W: []byte{0x0A, 0x44}},
			{Addr: 0x20, W: []byte{0x14, 0x00, 0x00}},
			{Addr: 0x20, W: []byte{0x0C, 0x00, 0xFF}},
			{Addr: 0x20, W: []byte{0x02, 0, 0, 0x00, 0xFF, 0, 0, 0, 0}},
			{Addr: 0x20, W: []byte{0x00, 0x00, 0xFF}},
			{Addr: 0x20, W: []byte{0x12}, R: []byte{0x00, 0xFF}},
		}
		if got := rec.Ops; fmt.Sprint(got) != fmt.Sprint(wantInit) {
			t.Errorf("set-up ops\n got %x\nwant %x", got, wantInit)
		}
		checkRegs(t, "IOCON vector", m.regs(0x20), vectorCase(t, "IOCON: MIRROR and ODR (open-drain shared INT)").Expect.RegistersAfter)
		c := vectorCase(t, "interrupt on change on port B, then read the cause")
		checkRegs(t, "interrupt vector", m.regs(0x20), c.Expect.RegistersAfter)

		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- d.Run(ctx) }()
		time.Sleep(time.Second)
		idle := m.count()
		// Idle: a read every 250 ms (plus the set-up), not every 10 ms.
		if idle > 7+5 {
			t.Errorf("%d transactions in 1 s idle", idle)
		}
		m.setPin(0x20, 8+3, false)
		irq.Drive(gpio.Low)
		time.Sleep(100 * time.Millisecond)
		m.setPin(0x20, 8+3, true)
		irq.Drive(gpio.High)
		irq.Drive(gpio.Low)
		b := <-d.Events()
		if want := (lights.Button{Input: 3, At: t0.Add(1100 * time.Millisecond)}); b != want {
			t.Errorf("got %+v, want %+v", b, want)
		}
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
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
		{"defaults", nil, nil, devices.Capacity{Outputs: 8, Inputs: 8}},
		{"two chips", map[string]any{"addresses": []any{0x20, 0x21}}, nil, devices.Capacity{Outputs: 16, Inputs: 16}},
		{"address as string", map[string]any{"addresses": []any{"0x27"}}, nil, devices.Capacity{Outputs: 8, Inputs: 8}},
		{"layout by name", map[string]any{"outputs": []any{"A0", "GPB1", 2}, "inputs": []any{"B7"}}, nil, devices.Capacity{Outputs: 3, Inputs: 1}},
		{"LEDs only", map[string]any{"outputs": []any{"A0", "B0"}, "inputs": []any{}, "interrupt_pin": 4}, nil, devices.Capacity{Outputs: 2}},
		{"address too low", map[string]any{"addresses": []any{0x1F}}, []string{"addresses[0]"}, devices.Capacity{}},
		{"address of another chip", map[string]any{"addresses": []any{0x20, 0x70}}, []string{"addresses[1]"}, devices.Capacity{}},
		{"duplicate address", map[string]any{"addresses": []any{0x20, 32}}, []string{"addresses[1]"}, devices.Capacity{}},
		{"no address", map[string]any{"addresses": []any{}}, []string{"addresses"}, devices.Capacity{}},
		{"addresses not a list", map[string]any{"addresses": 0x20}, []string{"addresses"}, devices.Capacity{}},
		{"pin both ways", map[string]any{"outputs": []any{"A0"}, "inputs": []any{"A0"}}, []string{"inputs[0]"}, devices.Capacity{}},
		{"default inputs collide", map[string]any{"outputs": []any{"B0"}}, []string{"inputs"}, devices.Capacity{}},
		{"bad pin", map[string]any{"outputs": []any{"C0", 16}}, []string{"outputs[0]", "outputs[1]"}, devices.Capacity{}},
		{"poll too fast", map[string]any{"poll_ms": 0}, []string{"poll_ms"}, devices.Capacity{}},
		{"empty bus", map[string]any{"bus": ""}, []string{"bus"}, devices.Capacity{}},
		{"nothing at all", map[string]any{"outputs": []any{}, "inputs": []any{}}, []string{"outputs"}, devices.Capacity{}},
	}
	d, ok := lights.Lookup(Name)
	if !ok {
		t.Fatal("not registered")
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := devices.Spec{Name: "shelf1", Kind: devices.KindLights, Driver: Name, Options: tt.opts}
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

func TestOptionsDocumented(t *testing.T) {
	for _, o := range Options {
		if o.Key == "" || o.Type == "" || o.Doc == "" {
			t.Errorf("option %+v incomplete", o)
		}
	}
}

func TestConformance(t *testing.T) {
	lightstest.Run(t, func(t *testing.T) (lights.Lights, devices.Capacity) {
		d, err := New(newModel(0x20, 0x21), nil, defaultOpts(0x20, 0x21), lights.Env{})
		if err != nil {
			t.Fatal(err)
		}
		return d, devices.Capacity{Outputs: 16, Inputs: 16}
	})
}
