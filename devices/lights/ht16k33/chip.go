package ht16k33

import (
	"fmt"

	"periph.io/x/conn/v3/i2c"
)

// Address range of an HT16K33: 1110 A2 A1 A0 (Holtek HT16K33 Rev 1.10, "Slave Addressing").
const (
	MinAddr = 0x70
	MaxAddr = 0x77
)

// Commands (HT16K33 Rev 1.10, "Command Summary").
const (
	cmdRAM      = 0x00 // display data address pointer 0000 A3..A0, then data, auto-increment
	cmdSystem   = 0x20 // system setup 0010 xxx S: S = 1 oscillator on, 0 standby
	cmdKeys     = 0x40 // key data address pointer 0100 0 K2..K0: key RAM 0x40..0x45
	cmdDisplay  = 0x80 // display setup 1000 x B1 B0 D: D = display on, B1 B0 = blink
	cmdDimming  = 0xE0 // dimming set 1110 P3..P0: duty (P+1)/16
	RAMSize     = 16   // display RAM: address 2n = ROW0..7 of COMn, 2n+1 = ROW8..15
	keyRAMSize  = 6    // key RAM: KS0..KS2, each a little-endian word, bits 0..12 = K1..K13
	KeysPerLine = 13
)

// Blink is the display blink rate of the display setup command.
type Blink uint8

// Blink rates (display setup B1 B0).
const (
	BlinkOff    Blink = 0
	Blink2Hz    Blink = 1
	Blink1Hz    Blink = 2
	BlinkHalfHz Blink = 3
)

// Chip is one HT16K33 on an I²C bus, at the command level. It does not own the bus.
type Chip struct {
	bus  i2c.Bus
	addr uint16
}

// NewChip returns the chip at addr (0x70..0x77) on bus.
func NewChip(bus i2c.Bus, addr uint16) (*Chip, error) {
	if addr < MinAddr || addr > MaxAddr {
		return nil, fmt.Errorf("ht16k33: address %#x out of range %#x..%#x (1110 A2 A1 A0)", addr, MinAddr, MaxAddr)
	}
	return &Chip{bus: bus, addr: addr}, nil
}

// Address returns the chip's I²C address.
func (c *Chip) Address() uint16 { return c.addr }

func (c *Chip) cmd(what string, b byte) error {
	if err := c.bus.Tx(c.addr, []byte{b}, nil); err != nil {
		return fmt.Errorf("ht16k33 %#x: %s (%#02x): %w", c.addr, what, b, err)
	}
	return nil
}

// Oscillator turns the system oscillator on (normal operation) or off (standby: no display,
// no key scan) (system setup register).
func (c *Chip) Oscillator(on bool) error {
	b := byte(cmdSystem)
	if on {
		b |= 1
	}
	return c.cmd("system setup", b)
}

// Display turns the display on or off and sets its blink rate (display setup register).
func (c *Chip) Display(on bool, blink Blink) error {
	b := cmdDisplay | byte(blink&3)<<1
	if on {
		b |= 1
	}
	return c.cmd("display setup", b)
}

// Brightness sets the dimming duty to sixteenths: 1..16 (digital dimming, 0xE0 | duty-1).
func (c *Chip) Brightness(duty int) error {
	if duty < 1 || duty > 16 {
		return fmt.Errorf("ht16k33 %#x: brightness %d out of range 1..16", c.addr, duty)
	}
	return c.cmd("dimming set", cmdDimming|byte(duty-1))
}

// WriteRAM writes data to the display RAM from address addr (0..15), in one page write.
func (c *Chip) WriteRAM(addr int, data []byte) error {
	if addr < 0 || addr+len(data) > RAMSize {
		return fmt.Errorf("ht16k33 %#x: RAM write of %d bytes at %d is outside 0..15", c.addr, len(data), addr)
	}
	w := make([]byte, 0, 1+len(data))
	w = append(w, cmdRAM|byte(addr))
	w = append(w, data...)
	if err := c.bus.Tx(c.addr, w, nil); err != nil {
		return fmt.Errorf("ht16k33 %#x: write display RAM: %w", c.addr, err)
	}
	return nil
}

// KeyScan is the key RAM: one word per key scan line KS0..KS2, bit k-1 set for key Kk.
type KeyScan [3]uint16

// Pressed says whether key k (1..13) of line ks (0..2) is down.
func (s KeyScan) Pressed(ks, k int) bool {
	return ks >= 0 && ks < 3 && k >= 1 && k <= KeysPerLine && s[ks]&(1<<(k-1)) != 0
}

// Keys reads the key RAM: the six bytes from 0x40 in one read, as the data sheet requires ("Key
// Data Memory": read 0x40..0x45 continuously in one operation, starting at 0x40).
func (c *Chip) Keys() (KeyScan, error) {
	var b [keyRAMSize]byte
	if err := c.bus.Tx(c.addr, []byte{cmdKeys}, b[:]); err != nil {
		return KeyScan{}, fmt.Errorf("ht16k33 %#x: read key RAM: %w", c.addr, err)
	}
	var s KeyScan
	for i := range s {
		s[i] = (uint16(b[2*i]) | uint16(b[2*i+1])<<8) & (1<<KeysPerLine - 1)
	}
	return s, nil
}

// RAMIndex returns the display RAM address and bit of the LED at row (0..15) and com (0..7).
func RAMIndex(row, com int) (addr int, bit byte) {
	return 2*com + row/8, 1 << (row % 8)
}

// DigitIndex returns the display RAM address of a 7-segment digit position: positions 0..7
// are COM0..COM7 with segments on ROW0..ROW7, 8..15 the same COMs on ROW8..ROW15.
func DigitIndex(pos int) int {
	return 2*(pos%8) + pos/8
}
