package mcp23017

import (
	"fmt"
	"sync"

	"periph.io/x/conn/v3/physic"
)

// model is an i2c.Bus holding MCP23017 register models by address: it applies writes and
// answers reads as DS20001952C describes (BANK mapping, sequential address pointer with
// SEQOP = 0, GPIO writes landing in OLAT, GPIO reads combining latches and pins).
type model struct {
	mu    sync.Mutex
	chips map[uint16]*chipModel
	txs   int
	fail  error
}

// chipModel is one chip: its registers by logical Reg, and the level of each pin seen from
// outside when it is an input (true: high).
type chipModel struct {
	reg  [22]byte
	high [Pins]bool
}

func newModel(addrs ...uint16) *model {
	m := &model{chips: map[uint16]*chipModel{}}
	for _, a := range addrs {
		c := &chipModel{}
		c.reg[IODIRA], c.reg[IODIRB] = 0xFF, 0xFF // POR: all inputs (register 3-1)
		for p := range c.high {
			c.high[p] = true // buttons released: pulled up
		}
		m.chips[a] = c
	}
	return m
}

func (m *model) String() string { return "I2C-model" }

func (m *model) SetSpeed(physic.Frequency) error { return nil }

// setPin drives an input pin from outside.
func (m *model) setPin(addr uint16, pin int, high bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.chips[addr].high[pin] = high
}

func (m *model) regs(addr uint16) [22]byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.chips[addr].reg
}

func (m *model) setFail(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fail = err
}

func (m *model) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.txs
}

func (m *model) Tx(addr uint16, w, r []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.txs++
	if m.fail != nil {
		return m.fail
	}
	c, ok := m.chips[addr]
	if !ok {
		return fmt.Errorf("model: no ACK from %#x", addr)
	}
	if len(w) == 0 {
		return fmt.Errorf("model: %#x: no register address", addr)
	}
	ptr := w[0]
	for _, v := range w[1:] {
		reg, ok := c.logical(ptr)
		if !ok {
			return fmt.Errorf("model: %#x: write to address %#x", addr, ptr)
		}
		c.write(reg, v)
		ptr = c.next(ptr)
	}
	for i := range r {
		reg, ok := c.logical(ptr)
		if !ok {
			return fmt.Errorf("model: %#x: read of address %#x", addr, ptr)
		}
		r[i] = c.read(reg)
		ptr = c.next(ptr)
	}
	return nil
}

func (c *chipModel) bank1() bool { return c.reg[IOCON]&BANK != 0 }

// logical maps an address to its register with the current BANK (Tables 3-4, 3-5).
func (c *chipModel) logical(a byte) (Reg, bool) {
	for r := IODIRA; r <= OLATB; r++ {
		if r.Addr(c.bank1()) == a {
			if r == IOCON+1 {
				return IOCON, true
			}
			return r, true
		}
	}
	return 0, false
}

// next is the address pointer after a byte (section 3.2.1): it increments unless SEQOP is set;
// in BANK 0 it wraps after OLATB, in BANK 1 after each port's OLAT.
func (c *chipModel) next(a byte) byte {
	if c.reg[IOCON]&SEQOP != 0 {
		return a
	}
	if !c.bank1() {
		return (a + 1) % 0x16
	}
	if a&0x0F >= 0x0A {
		return a & 0x10
	}
	return a + 1
}

func (c *chipModel) write(r Reg, v byte) {
	switch r {
	case GPIOA, GPIOB:
		c.reg[r+2] = v // sections 3.5.10, 3.5.11: a GPIO write modifies OLAT
	case INTFA, INTFB, INTCAPA, INTCAPB:
		// read only
	default:
		c.reg[r] = v
	}
}

func (c *chipModel) read(r Reg) byte {
	if r != GPIOA && r != GPIOB {
		return c.reg[r]
	}
	port := int(r - GPIOA)
	var v byte
	for b := range 8 {
		bit := byte(1) << b
		var high bool
		if c.reg[IODIRA+Reg(port)]&bit == 0 {
			high = c.reg[OLATA+Reg(port)]&bit != 0 // output: the latch
		} else {
			high = c.high[port*8+b]
			if c.reg[IPOLA+Reg(port)]&bit != 0 {
				high = !high
			}
		}
		if high {
			v |= bit
		}
	}
	return v
}
