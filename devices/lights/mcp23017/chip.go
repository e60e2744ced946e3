package mcp23017

import (
	"fmt"
	"strconv"
	"strings"

	"periph.io/x/conn/v3/i2c"
)

// Reg is an MCP23017 register, numbered by its address with IOCON.BANK = 0 (DS20001952C
// Table 3-5): port A and port B registers alternate, so that a sequential write from an A
// register reaches its B twin next.
type Reg uint8

// Registers (DS20001952C section 3.5, Table 3-5).
const (
	IODIRA   Reg = 0x00 // I/O direction, 1 = input (register 3-1, POR 0xFF)
	IODIRB   Reg = 0x01
	IPOLA    Reg = 0x02 // input polarity, 1 = GPIO reads the inverted pin
	IPOLB    Reg = 0x03
	GPINTENA Reg = 0x04 // interrupt-on-change enable
	GPINTENB Reg = 0x05
	DEFVALA  Reg = 0x06 // compare value for interrupt-on-change
	DEFVALB  Reg = 0x07
	INTCONA  Reg = 0x08 // 1 = compare with DEFVAL, 0 = with the previous pin value
	INTCONB  Reg = 0x09
	IOCON    Reg = 0x0A // configuration (register 3-6); 0x0B is the same register
	GPPUA    Reg = 0x0C // 100 kΩ pull-up enable
	GPPUB    Reg = 0x0D
	INTFA    Reg = 0x0E // interrupt flags (read only)
	INTFB    Reg = 0x0F
	INTCAPA  Reg = 0x10 // port value captured at the interrupt (read only)
	INTCAPB  Reg = 0x11
	GPIOA    Reg = 0x12 // port value; a write lands in OLAT (sections 3.5.10, 3.5.11)
	GPIOB    Reg = 0x13
	OLATA    Reg = 0x14 // output latch
	OLATB    Reg = 0x15
)

// IOCON bits (DS20001952C register 3-6).
const (
	BANK   = 0x80 // 1: registers of each port grouped (Table 3-4), 0: interleaved (Table 3-5)
	MIRROR = 0x40 // INTA and INTB are one OR-ed interrupt
	SEQOP  = 0x20 // 1: the address pointer does not increment (byte mode)
	DISSLW = 0x10 // SDA slew rate control disabled
	HAEN   = 0x08 // hardware address enable (MCP23S17 only)
	ODR    = 0x04 // INT pins open-drain (overrides INTPOL)
	INTPOL = 0x02 // INT active high
)

var regNames = [...]string{"IODIRA", "IODIRB", "IPOLA", "IPOLB", "GPINTENA", "GPINTENB", "DEFVALA",
	"DEFVALB", "INTCONA", "INTCONB", "IOCON", "IOCON", "GPPUA", "GPPUB", "INTFA", "INTFB", "INTCAPA",
	"INTCAPB", "GPIOA", "GPIOB", "OLATA", "OLATB"}

func (r Reg) String() string {
	if int(r) < len(regNames) {
		return regNames[r]
	}
	return "Reg(" + strconv.Itoa(int(r)) + ")"
}

// Addr returns r's address with IOCON.BANK set (bank1) or clear. With BANK = 1 each port's
// registers are grouped, port A from 0x00 and port B from 0x10, in the same order (Table 3-4).
func (r Reg) Addr(bank1 bool) byte {
	if !bank1 {
		return byte(r)
	}
	return byte(r&1)<<4 | byte(r>>1)
}

// Address range of an MCP23017: 0100 A2 A1 A0 (DS20001952C section 3.3.1).
const (
	MinAddr = 0x20
	MaxAddr = 0x27
)

// Chip is one MCP23017 on an I²C bus, at the register level. It does not own the bus. It
// tracks IOCON.BANK from what it writes to IOCON, so that register names keep working after a
// bank switch; it assumes IOCON.SEQOP = 0 for writes and reads of several bytes (the address
// pointer increments, section 3.2.1).
type Chip struct {
	bus   i2c.Bus
	addr  uint16
	bank1 bool
}

// NewChip returns the chip at addr (0x20..0x27) on bus, assuming its power-on state (BANK = 0).
func NewChip(bus i2c.Bus, addr uint16) (*Chip, error) {
	if addr < MinAddr || addr > MaxAddr {
		return nil, fmt.Errorf("mcp23017: address %#x out of range %#x..%#x (0100 A2 A1 A0, DS20001952C 3.3.1)", addr, MinAddr, MaxAddr)
	}
	return &Chip{bus: bus, addr: addr}, nil
}

// Address returns the chip's I²C address.
func (c *Chip) Address() uint16 { return c.addr }

// Write writes v to r and the registers after it, in one transaction: the register address,
// then the values.
func (c *Chip) Write(r Reg, v ...byte) error {
	w := make([]byte, 0, 1+len(v))
	w = append(w, r.Addr(c.bank1))
	w = append(w, v...)
	if err := c.bus.Tx(c.addr, w, nil); err != nil {
		return fmt.Errorf("mcp23017 %#x: write %s: %w", c.addr, r, err)
	}
	if (r == IOCON || r == IOCON+1) && len(v) > 0 {
		c.bank1 = v[0]&BANK != 0
	}
	return nil
}

// Read reads len(p) bytes from r and the registers after it: a write of the register address
// and a read, joined by a repeated start.
func (c *Chip) Read(r Reg, p []byte) error {
	if err := c.bus.Tx(c.addr, []byte{r.Addr(c.bank1)}, p); err != nil {
		return fmt.Errorf("mcp23017 %#x: read %s: %w", c.addr, r, err)
	}
	return nil
}

// Pins 0..7 are GPA0..GPA7, 8..15 GPB0..GPB7.
const Pins = 16

// PinName returns "A0".."A7", "B0".."B7" for pins 0..15.
func PinName(p int) string {
	if p < 0 || p >= Pins {
		return "pin(" + strconv.Itoa(p) + ")"
	}
	return string(rune('A'+p/8)) + strconv.Itoa(p%8)
}

// ParsePin reads a pin written "A3", "GPB7" or "b7" (any case), or as a number 0..15.
func ParsePin(s string) (int, bool) {
	t := strings.ToUpper(strings.TrimSpace(s))
	t = strings.TrimPrefix(t, "GP")
	if n, err := strconv.Atoi(t); err == nil {
		return n, n >= 0 && n < Pins
	}
	if len(t) != 2 || (t[0] != 'A' && t[0] != 'B') || t[1] < '0' || t[1] > '7' {
		return 0, false
	}
	return int(t[0]-'A')*8 + int(t[1]-'0'), true
}

// PinsOf lists the pins of port (0: A, 1: B) whose bit is set in mask.
func PinsOf(port int, mask byte) []string {
	var s []string
	for b := range 8 {
		if mask&(1<<b) != 0 {
			s = append(s, PinName(port*8+b))
		}
	}
	return s
}
