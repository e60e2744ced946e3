package cas

import (
	"bytes"
	"fmt"

	"github.com/stationd/stationd/devices/scale"
	"github.com/stationd/stationd/protocol/units"
)

// Control bytes of the PD-II / SW-II command protocol (CAS SW-II manual, RS-232C protocol).
const (
	SOH = 0x01
	STX = 0x02
	ETX = 0x03
	EOT = 0x04
	ENQ = 0x05
	ACK = 0x06
	DC1 = 0x11
)

// Layouts of a Frame.
const (
	LayoutA = 'A' // "ST,GS,+  1.234kg" CR LF (CI-400 appendix 1 "18 bytes for AND", EXCELL AM4)
	LayoutB = 'B' // "ST,GS,<id><lamp>,00013.5 kg" CR LF (CI-400 appendix 1 "22 bytes for CAS")
	LayoutC = 'C' // SOH STX STA SIGN W5..W0 UN1 UN2 BCC ETX EOT (SW-II manual, PD-II)
)

// Lamp is the lamp status byte of the 22-byte layout (CI-400 appendix 1): bit 7 always 1, bit 6
// stable, bit 5 model dependent (1 on CI-400/CI-150A, 0 on CI-600D/PDI: ignored), bit 4 hold,
// bit 3 printer, bit 2 gross, bit 1 tare, bit 0 zero point.
type Lamp byte

// Lamp bits.
func (l Lamp) Stable() bool  { return l&0x40 != 0 }
func (l Lamp) Hold() bool    { return l&0x10 != 0 }
func (l Lamp) Printer() bool { return l&0x08 != 0 }
func (l Lamp) Gross() bool   { return l&0x04 != 0 }
func (l Lamp) Tare() bool    { return l&0x02 != 0 }
func (l Lamp) Zero() bool    { return l&0x01 != 0 }

func (l Lamp) String() string { return fmt.Sprintf("0x%02x", byte(l)) }

// Frame is one weight from a CAS indicator.
type Frame struct {
	Layout   byte
	Stable   bool // ST (A, B) or STA 'S' (C): the header is authoritative, not the lamp
	Net      bool // NT (A, B); C does not say
	Mass     units.Mass
	Unit     scale.Unit
	DeviceID byte // B
	Lamp     Lamp // B
	BCC      byte // C: the check byte received (and verified)
}

// ParseLine reads a line of the continuous output, layout A or B, with or without its CR LF.
// Header ST stable, US unstable, OL overload (an overload is an error, never a weight); GS gross,
// NT net. The 8-byte data field holds the sign, digits and decimal point with leading blanks or
// zeros; the unit follows ("kg", "lb", or "g" in the 17-byte variant). Anything else is a
// parse_error.
func ParseLine(line []byte) (Frame, error) {
	line = bytes.TrimRight(line, "\r\n")
	var f Frame
	if len(line) < 8 || line[2] != ',' || line[5] != ',' {
		return Frame{}, parseErr("no ST/US/OL,GS/NT header", line)
	}
	switch string(line[:2]) {
	case "ST":
		f.Stable = true
	case "US":
	case "OL":
	default:
		return Frame{}, parseErr("unknown header", line)
	}
	switch string(line[3:5]) {
	case "GS":
	case "NT":
		f.Net = true
	default:
		return Frame{}, parseErr("neither GS nor NT", line)
	}
	rest := line[6:]
	f.Layout = LayoutA
	if len(rest) >= 3 && rest[2] == ',' {
		f.Layout, f.DeviceID, f.Lamp = LayoutB, rest[0], Lamp(rest[1])
		if f.Lamp&0x80 == 0 {
			return Frame{}, parseErr("lamp byte without bit 7", line)
		}
		rest = rest[3:]
	}
	if string(line[:2]) == "OL" {
		return Frame{}, scale.NewError("", scale.CodeOverload, fmt.Sprintf("indicator sent %q (OL)", line))
	}
	rest = bytes.TrimRight(rest, " ")
	i := len(rest)
	for i > 0 && isLetter(rest[i-1]) {
		i--
	}
	unit, ok := scale.ParseUnit(string(rest[i:]))
	if !ok {
		if i == len(rest) {
			return Frame{}, parseErr("no unit", line)
		}
		return Frame{}, &scale.Error{Code: scale.CodeUnknownUnit,
			Detail: fmt.Sprintf("indicator sent %q: %s", line, scale.Hint(scale.CodeUnknownUnit))}
	}
	m, err := scale.ParseMass(rest[:i], unit)
	if err != nil {
		return Frame{}, parseErr("malformed weight", line)
	}
	f.Mass, f.Unit = m, unit
	return f, nil
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// FrameLen is the length of a PD-II frame: SOH STX STA SIGN W5..W0 UN1 UN2 BCC ETX EOT.
const FrameLen = 15

// BCC is the block check of a PD-II frame: the exclusive or of STA through UN2.
func BCC(frame []byte) byte {
	var x byte
	for _, c := range frame[2:12] {
		x ^= c
	}
	return x
}

// ParsePD2 reads the answer to DC1 (layout C). STA 'S' stable, 'U' unstable, 'F' abnormal
// (fault); SIGN '-' or blank; W5..W0 six characters with the decimal point; UN1 UN2 the unit
// ("KG", "LB"); BCC the exclusive or of STA through UN2. A wrong BCC is bad_checksum, never a
// weight.
func ParsePD2(frame []byte) (Frame, error) {
	var f Frame
	if len(frame) != FrameLen || frame[0] != SOH || frame[1] != STX || frame[13] != ETX || frame[14] != EOT {
		return Frame{}, parseErr("not a SOH STX ... ETX EOT frame of 15 bytes", frame)
	}
	f.Layout, f.BCC = LayoutC, frame[12]
	if got := BCC(frame); got != f.BCC {
		return Frame{}, scale.NewError("", scale.CodeChecksum, fmt.Sprintf("BCC received 0x%02x, computed 0x%02x", f.BCC, got))
	}
	switch frame[2] {
	case 'S':
		f.Stable = true
	case 'U':
	case 'F':
		return Frame{}, scale.NewError("", scale.CodeFault, "indicator reports an abnormal state (STA 'F')")
	default:
		return Frame{}, parseErr("unknown status", frame)
	}
	neg := false
	switch frame[3] {
	case '-':
		neg = true
	case ' ', '+':
	default:
		return Frame{}, parseErr("unknown sign", frame)
	}
	unit, ok := scale.ParseUnit(string(bytes.Trim(frame[10:12], " ")))
	if !ok {
		return Frame{}, &scale.Error{Code: scale.CodeUnknownUnit, Detail: fmt.Sprintf("unit %q: %s", frame[10:12], scale.Hint(scale.CodeUnknownUnit))}
	}
	w := frame[4:10]
	for _, c := range w {
		if c == '+' || c == '-' {
			return Frame{}, parseErr("sign inside the weight", frame)
		}
	}
	m, err := scale.ParseMass(w, unit)
	if err != nil {
		return Frame{}, parseErr("malformed weight", frame)
	}
	if neg {
		m = -m
	}
	f.Mass, f.Unit = m, unit
	return f, nil
}

func parseErr(what string, b []byte) error {
	return &scale.Error{Code: scale.CodeParse, Detail: fmt.Sprintf("%s in %q: %s", what, b, scale.Hint(scale.CodeParse))}
}
