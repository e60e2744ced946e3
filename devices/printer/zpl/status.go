package zpl

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
)

// Status queries a driver sends (ZPL guide, ~HS and ~HQ).
const (
	QueryHostStatus  = "~HS"
	QueryErrorStatus = "~HQES"
)

// ErrIncomplete is returned by the status parsers when the answer has not fully arrived: read
// more and parse again, or give up when the printer's time is over.
var ErrIncomplete = errors.New("zpl: status answer incomplete")

// Comm is the printer's serial settings as ~HS reports them (string 1, field aaa).
type Comm struct {
	Baud      int    // 0 when the code is not in the table
	Handshake string // "xon_xoff" or "dtr"
	Parity    string // "none", "odd" or "even"
	StopBits  int    // 1 or 2
	DataBits  int    // 7 or 8
}

// HostStatus is the answer to ~HS (ZPL guide, ~HS "Host Status Return": three strings, each
// STX ... ETX CR LF). Field letters from the guide are given in brackets.
type HostStatus struct {
	Comm                Comm   // [aaa]
	PaperOut            bool   // [b]
	Paused              bool   // [c]
	LabelLengthDots     int    // [dddd]
	FormatsInBuffer     int    // [eee]
	BufferFull          bool   // [f]
	CommDiagnostics     bool   // [g]
	PartialFormat       bool   // [h]
	CorruptRAM          bool   // [j]
	UnderTemperature    bool   // [k]
	OverTemperature     bool   // [l]
	FunctionSettings    int    // [mmm], bit meanings not decoded
	HeadUp              bool   // [o]
	RibbonOut           bool   // [p]
	ThermalTransfer     bool   // [q]
	PrintMode           string // [r] "rewind", "peel_off", "tear_off", "cutter", "applicator", "delayed_cut", else "mode_<r>"
	PrintWidthMode      int    // [s]
	LabelWaiting        bool   // [t]
	LabelsRemaining     int    // [uuuuuuuu]
	FormatWhilePrinting bool   // [v]
	GraphicsStored      int    // [www]
	Password            string // [xxxx]
	StaticRAM           bool   // [y]
}

// Problem names used by HostStatus.Problems, in the order it lists them.
const (
	ProblemPaperOut         = "paper_out"
	ProblemPaused           = "paused"
	ProblemHeadUp           = "head_up"
	ProblemRibbonOut        = "ribbon_out"
	ProblemBufferFull       = "buffer_full"
	ProblemCorruptRAM       = "corrupt_ram"
	ProblemUnderTemperature = "under_temperature"
	ProblemOverTemperature  = "over_temperature"
)

// Problems lists what keeps the printer from printing, in this order: paper_out, paused,
// head_up, ribbon_out, buffer_full, corrupt_ram, under_temperature, over_temperature.
func (h HostStatus) Problems() []string {
	p := []string{}
	for _, c := range []struct {
		on   bool
		name string
	}{
		{h.PaperOut, ProblemPaperOut}, {h.Paused, ProblemPaused}, {h.HeadUp, ProblemHeadUp},
		{h.RibbonOut, ProblemRibbonOut}, {h.BufferFull, ProblemBufferFull}, {h.CorruptRAM, ProblemCorruptRAM},
		{h.UnderTemperature, ProblemUnderTemperature}, {h.OverTemperature, ProblemOverTemperature},
	} {
		if c.on {
			p = append(p, c.name)
		}
	}
	return p
}

// Ready reports whether nothing keeps the printer from printing.
func (h HostStatus) Ready() bool {
	return !(h.PaperOut || h.Paused || h.HeadUp || h.RibbonOut || h.BufferFull || h.CorruptRAM ||
		h.UnderTemperature || h.OverTemperature)
}

// ~HS baud codes (a8 a2 a1 a0).
var hsBaud = [16]int{110, 300, 600, 1200, 2400, 4800, 9600, 19200, 28800, 38400, 57600, 14400}

var printModes = [...]string{"rewind", "peel_off", "tear_off", "cutter", "applicator", "delayed_cut"}

// frames returns the STX ... ETX payloads in b, ignoring bytes between frames (line ends, and
// XON/XOFF on serial lines); a frame opened and not closed makes complete false.
func frames(b []byte, n int) (out [][]byte, complete bool) {
	for len(out) < n {
		i := bytes.IndexByte(b, 0x02)
		if i < 0 {
			return out, false
		}
		j := bytes.IndexByte(b[i+1:], 0x03)
		if j < 0 {
			return out, false
		}
		out = append(out, b[i+1:i+1+j])
		b = b[i+1+j+1:]
	}
	return out, true
}

// ParseHostStatus parses the answer to ~HS. It returns ErrIncomplete until the three strings
// have arrived, and an error naming the field for anything malformed. Bytes around the frames
// are ignored.
func ParseHostStatus(b []byte) (HostStatus, error) {
	var h HostStatus
	fr, ok := frames(b, 3)
	if !ok {
		return h, ErrIncomplete
	}
	f1 := bytes.Split(fr[0], []byte{','})
	f2 := bytes.Split(fr[1], []byte{','})
	f3 := bytes.Split(fr[2], []byte{','})
	if len(f1) != 12 {
		return h, fmt.Errorf("zpl: ~HS string 1 has %d fields, expected 12: %q", len(f1), fr[0])
	}
	if len(f2) != 11 {
		return h, fmt.Errorf("zpl: ~HS string 2 has %d fields, expected 11: %q", len(f2), fr[1])
	}
	if len(f3) != 2 {
		return h, fmt.Errorf("zpl: ~HS string 3 has %d fields, expected 2: %q", len(f3), fr[2])
	}
	p := hsParser{}
	aaa := p.num("aaa", f1[0])
	if aaa > 511 {
		p.err = fmt.Errorf("zpl: ~HS field aaa %d: over 9 bits", aaa)
	}
	code := (aaa>>8&1)<<3 | aaa&7
	h.Comm = Comm{Baud: hsBaud[code], Handshake: "xon_xoff", Parity: "none", StopBits: 2, DataBits: 7}
	if aaa&(1<<7) != 0 {
		h.Comm.Handshake = "dtr"
	}
	if aaa&(1<<5) != 0 {
		h.Comm.Parity = "odd"
		if aaa&(1<<6) != 0 {
			h.Comm.Parity = "even"
		}
	}
	if aaa&(1<<4) != 0 {
		h.Comm.StopBits = 1
	}
	if aaa&(1<<3) != 0 {
		h.Comm.DataBits = 8
	}
	h.PaperOut = p.flag("b", f1[1])
	h.Paused = p.flag("c", f1[2])
	h.LabelLengthDots = p.num("dddd", f1[3])
	h.FormatsInBuffer = p.num("eee", f1[4])
	h.BufferFull = p.flag("f", f1[5])
	h.CommDiagnostics = p.flag("g", f1[6])
	h.PartialFormat = p.flag("h", f1[7])
	p.num("iii", f1[8])
	h.CorruptRAM = p.flag("j", f1[9])
	h.UnderTemperature = p.flag("k", f1[10])
	h.OverTemperature = p.flag("l", f1[11])

	h.FunctionSettings = p.num("mmm", f2[0])
	p.num("n", f2[1])
	h.HeadUp = p.flag("o", f2[2])
	h.RibbonOut = p.flag("p", f2[3])
	h.ThermalTransfer = p.flag("q", f2[4])
	r := bytes.TrimSpace(f2[5])
	if len(r) == 1 && '0' <= r[0] && int(r[0]-'0') < len(printModes) {
		h.PrintMode = printModes[r[0]-'0']
	} else if len(r) == 1 {
		h.PrintMode = "mode_" + string(r)
	} else {
		p.fail("r", r)
	}
	h.PrintWidthMode = p.num("s", f2[6])
	h.LabelWaiting = p.flag("t", f2[7])
	h.LabelsRemaining = p.num("uuuuuuuu", f2[8])
	h.FormatWhilePrinting = p.flag("v", f2[9])
	h.GraphicsStored = p.num("www", f2[10])

	h.Password = string(bytes.TrimSpace(f3[0]))
	h.StaticRAM = p.flag("y", f3[1])
	if p.err != nil {
		return HostStatus{}, p.err
	}
	return h, nil
}

type hsParser struct{ err error }

func (p *hsParser) fail(field string, v []byte) {
	if p.err == nil {
		p.err = fmt.Errorf("zpl: ~HS field %s: %q is not a number", field, v)
	}
}

func (p *hsParser) num(field string, v []byte) int {
	v = bytes.TrimSpace(v)
	n, err := strconv.ParseUint(string(v), 10, 31)
	if err != nil {
		p.fail(field, v)
		return 0
	}
	return int(n)
}

func (p *hsParser) flag(field string, v []byte) bool {
	v = bytes.TrimSpace(v)
	if len(v) != 1 || (v[0] != '0' && v[0] != '1') {
		if p.err == nil {
			p.err = fmt.Errorf("zpl: ~HS field %s: %q is not 0 or 1", field, v)
		}
		return false
	}
	return v[0] == '1'
}

// ErrorStatus is the answer to ~HQES (ZPL guide, ~HQ "ES" error status): an error and a warning
// flag, and two 8-hex-digit groups of bits each.
type ErrorStatus struct {
	ErrorFlag    bool
	Errors       uint64 // group 1 of ERRORS
	Errors2      uint64 // group 2 of ERRORS
	WarningFlag  bool
	Warnings     uint64   // group 1 of WARNINGS
	Warnings2    uint64   // group 2 of WARNINGS
	ErrorNames   []string // set bits of Errors by name, lowest first
	WarningNames []string // set bits of Warnings by name, lowest first
}

// Ready reports whether the printer reports no error.
func (e ErrorStatus) Ready() bool { return !e.ErrorFlag && e.Errors == 0 && e.Errors2 == 0 }

// ~HQES error bits of group 1: the ZPL guide's error flag table (nibbles 1 to 4), and the
// paused, retract timeout and black mark bits as LPrint's ZPL driver defines them (lprint-zpl.c).
var hqErrors = map[uint64]string{
	0x1: "media_out", 0x2: "ribbon_out", 0x4: "head_open", 0x8: "cutter_fault",
	0x10: "printhead_over_temperature", 0x20: "motor_over_temperature",
	0x40: "bad_printhead_element", 0x80: "printhead_detection_error",
	0x100: "invalid_firmware_config", 0x200: "printhead_thermistor_open",
	0x1000: "paper_jam", 0x2000: "presenter_not_running", 0x4000: "paper_feed_error",
	0x8000: "clear_paper_path_failed", 0x10000: "paused", 0x20000: "retract_timeout",
	0x40000: "black_mark_calibrate_error", 0x80000: "black_mark_not_found",
}

// ~HQES warning bits of group 1 (ZPL guide; bits from 0x10 up from LPrint).
var hqWarnings = map[uint64]string{
	0x1: "calibrate_media", 0x2: "clean_printhead", 0x4: "replace_printhead", 0x8: "paper_almost_out",
	0x10: "paper_before_head", 0x20: "black_mark", 0x40: "paper_after_head", 0x80: "loop_ready",
	0x100: "presenter", 0x200: "retract_ready", 0x400: "in_retract", 0x800: "at_bin",
}

func bitNames(v uint64, names map[uint64]string) []string {
	out := []string{}
	for bit := uint64(1); bit != 0 && bit <= v; bit <<= 1 {
		if v&bit == 0 {
			continue
		}
		if n, ok := names[bit]; ok {
			out = append(out, n)
		} else {
			out = append(out, fmt.Sprintf("bit_0x%x", bit))
		}
	}
	return out
}

// ParseErrorStatus parses the answer to ~HQES: STX, "PRINTER STATUS", a line "ERRORS: flag
// group2 group1", a line "WARNINGS: flag group2 group1", ETX. White space varies between models
// and is tokenised. It returns ErrIncomplete until ETX has arrived after both lines.
func ParseErrorStatus(b []byte) (ErrorStatus, error) {
	var e ErrorStatus
	fr, ok := frames(b, 1)
	if !ok {
		return e, ErrIncomplete
	}
	body := fr[0]
	var err error
	if e.ErrorFlag, e.Errors2, e.Errors, err = hqLine(body, "ERRORS:"); err != nil {
		return ErrorStatus{}, err
	}
	if e.WarningFlag, e.Warnings2, e.Warnings, err = hqLine(body, "WARNINGS:"); err != nil {
		return ErrorStatus{}, err
	}
	e.ErrorNames = bitNames(e.Errors, hqErrors)
	e.WarningNames = bitNames(e.Warnings, hqWarnings)
	return e, nil
}

func hqLine(body []byte, key string) (flag bool, g2, g1 uint64, err error) {
	i := bytes.Index(body, []byte(key))
	if i < 0 {
		return false, 0, 0, fmt.Errorf("zpl: ~HQES answer has no %s line", key)
	}
	rest := body[i+len(key):]
	if j := bytes.IndexAny(rest, "\r\n"); j >= 0 {
		rest = rest[:j]
	}
	tok := bytes.Fields(rest)
	if len(tok) != 3 {
		return false, 0, 0, fmt.Errorf("zpl: ~HQES %s line %q: expected a flag and two groups", key, rest)
	}
	if len(tok[0]) != 1 || (tok[0][0] != '0' && tok[0][0] != '1') {
		return false, 0, 0, fmt.Errorf("zpl: ~HQES %s flag %q: not 0 or 1", key, tok[0])
	}
	if g2, err = strconv.ParseUint(string(tok[1]), 16, 64); err != nil || len(tok[1]) > 16 {
		return false, 0, 0, fmt.Errorf("zpl: ~HQES %s group 2 %q: not hexadecimal", key, tok[1])
	}
	if g1, err = strconv.ParseUint(string(tok[2]), 16, 64); err != nil || len(tok[2]) > 16 {
		return false, 0, 0, fmt.Errorf("zpl: ~HQES %s group 1 %q: not hexadecimal", key, tok[2])
	}
	return tok[0][0] == '1', g2, g1, nil
}
