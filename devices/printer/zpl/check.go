package zpl

import (
	"fmt"
	"strconv"
)

// MaxPassthrough is the largest ZPL body Check accepts: 256 KiB, the contract's limit for a
// whole command payload (a body that fits in a command always fits here).
const MaxPassthrough = 256 << 10

// Codes carried by CheckError, the contract's command.result error codes.
const (
	CodeInvalid  = "invalid"
	CodeTooLarge = "too_large"
)

// CheckError is why Check refused a ZPL body. Its message starts with the field name given to
// Check and names the command: "label_zpl: ^JU (saves settings to flash) is not allowed".
type CheckError struct {
	Code    string // CodeInvalid or CodeTooLarge
	Field   string // the command field the body came from, "" if none
	Command string // the refused command as ^XX or ~XX, "" for structural errors
	Offset  int    // byte offset in the body where the problem is
	Msg     string // the message without the field name
}

func (e *CheckError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return e.Field + ": " + e.Msg
}

// Check accepts a ZPL body supplied by the OMS for printing as it is, or says why not. The body
// must hold one or more ^XA ... ^XZ formats and nothing else but white space and control (~)
// commands between them, be at most MaxPassthrough bytes, and contain no command that changes
// the printer beyond the labels it prints. What is refused, and why:
//
//   - ^JU (saves settings to flash), ~JR (resets the printer), ^JB / ~JB (erase memory),
//     ~JA (cancels every format in the printer, including other stations' jobs queued there),
//     ~JX and ~JP (cancel formats), ~PS (resumes a paused printer: the operator's decision),
//     ^PP / ~PP (pause the printer), ^ZZ (sleep), ~RO (resets counters);
//   - every ^H and ~H command (^HH, ^HW, ~HS, ~HQ, ^HV, ...): they make the printer answer on
//     the connection the driver reads status from;
//   - network, wireless, identity and ownership: every ^N, ~N, ^K and ~K command (^NC, ^NS, ^NP,
//     ^ND, ^NB, ^NN, ^NT, ^NW, ^KP password, ^KL language, ^KN name, ...), every ^W and ~W
//     command except the RFID encoding commands ^WT, ^WF and ^WV (~WC configuration label,
//     ^WI wireless settings, ...), ^SC serial settings, ^SX / ^SQ alerts;
//   - ^CC / ~CC, ^CT / ~CT, ^CD / ~CD: they change the command prefixes or the delimiter for
//     every later format (and would hide commands from this check); ^CM remaps memory drives;
//     ^SZ switches ZPL version; ^JM changes the resolution later labels are laid out for;
//   - printer setup the technician owns: ~JC, ~JG, ~JL (calibration), ~JD (diagnostics), ^JS /
//     ~JS (sensor and backfeed), ^JT, ~JN, ~JO (head test), ^JW (ribbon tension), ^JJ
//     (auxiliary port), ^JH (early warnings), ^JF / ~JF (battery), ^MA, ^MI, ^MW (maintenance
//     and head warnings), ^MF (media feed at power-up), ^MP (front-panel protection), ^SS, ^SI,
//     ^SR (sensors, printhead resistance), ^SL, ^SO, ^ST (clock);
//   - ^JI, ~JI, ~JQ: start or stop the ZBI interpreter (programs on the printer);
//   - storing to non-volatile memory: ~DG, ~DY, ~DB, ~DE, ~DS, ~DT, ~DU, ^DF and ^IS may store
//     only on R: (RAM, lost at power-off), ^ID may delete only from R:; ^TO (copies objects
//     between drives) is refused.
//
// Allowed, because they last only until the printer is switched off and the station's own
// templates set what they depend on (see Preamble): ^MD, ~SD, ^PR, ^PW, ^LL, ^LS, ^LT, ^MN, ^MT,
// ^MM, ^MU, ^PO, ^PM, ^CI, ^CW, ^JZ, ~TA, and every field, barcode and graphic command.
// Commands are matched without regard to case, with line breaks between the prefix and the
// name skipped, as the printer reads them. Binary data of ^GF (formats B and C) and ~DY (B, C
// and P) is skipped by its declared length.
//
// Set-Get-Do commands (! U1 setvar, {} JSON) are only read by the printer between formats,
// where Check allows nothing but white space and control commands.
func Check(field string, body []byte) error {
	c := checker{field: field, b: body}
	return c.run()
}

type checker struct {
	field string
	b     []byte
}

func (c *checker) errf(code, cmd string, off int, format string, a ...any) error {
	return &CheckError{Code: code, Field: c.field, Command: cmd, Offset: off, Msg: fmt.Sprintf(format, a...)}
}

func (c *checker) run() error {
	b := c.b
	if len(b) > MaxPassthrough {
		return c.errf(CodeTooLarge, "", 0, "%d bytes is over the limit of %d bytes (256 KiB)", len(b), MaxPassthrough)
	}
	open, formats := -1, 0
	for i := 0; i < len(b); {
		p := b[i]
		if p != '^' && p != '~' {
			if open < 0 && !isSpace(p) {
				return c.errf(CodeInvalid, "", i, "%q at byte %d is outside a ^XA...^XZ format", excerpt(b[i:]), i)
			}
			i++
			continue
		}
		name, next := commandAt(b, i)
		cmd := string(p) + name
		switch {
		case len(name) < 2:
			if open < 0 {
				return c.errf(CodeInvalid, "", i, "%q at byte %d is outside a ^XA...^XZ format", excerpt(b[i:]), i)
			}
		case name == "XA" && p == '^':
			if open >= 0 {
				return c.errf(CodeInvalid, cmd, i, "^XA at byte %d opens a format inside the one opened at byte %d (missing ^XZ)", i, open)
			}
			open = i
		case name == "XZ" && p == '^':
			if open < 0 {
				return c.errf(CodeInvalid, cmd, i, "^XZ at byte %d closes no format (missing ^XA)", i)
			}
			open = -1
			formats++
		default:
			if why := refused(p, name); why != "" {
				return c.errf(CodeInvalid, cmd, i, "%s (%s) is not allowed", cmd, why)
			}
			if open < 0 && p == '^' {
				return c.errf(CodeInvalid, cmd, i, "%s at byte %d is outside a ^XA...^XZ format", cmd, i)
			}
			n, err := c.special(p, name, i, next)
			if err != nil {
				return err
			}
			next = n
			if open < 0 {
				// A control command between formats: its parameters run to the end of the
				// line, a download's data (~DG, ~DY, ...) to the next command.
				next = c.skipParams(next, name[0] == 'D')
			}
		}
		i = next
	}
	if open >= 0 {
		return c.errf(CodeInvalid, "", open, "the format opened with ^XA at byte %d is not closed with ^XZ", open)
	}
	if formats == 0 {
		return c.errf(CodeInvalid, "", 0, "no ^XA...^XZ format")
	}
	return nil
}

// commandAt reads the command name after the prefix at i: two characters, upper-cased, with CR
// and LF skipped. It returns fewer than two characters at the end of the body or when another
// prefix comes first, and where scanning resumes.
func commandAt(b []byte, i int) (string, int) {
	var name [2]byte
	n := 0
	j := i + 1
	for ; j < len(b) && n < 2; j++ {
		ch := b[j]
		if ch == '\r' || ch == '\n' {
			continue
		}
		if ch == '^' || ch == '~' {
			break // a prefix starts the next command: this one has no name
		}
		if 'a' <= ch && ch <= 'z' {
			ch -= 'a' - 'A'
		}
		name[n] = ch
		n++
	}
	return string(name[:n]), j
}

// refused returns why the command p+name is not allowed, or "".
func refused(p byte, name string) string {
	if why, ok := refusedCommands[string(p)+name]; ok {
		return why
	}
	switch name[0] {
	case 'H':
		return "makes the printer answer on the status channel"
	case 'N':
		return "changes the printer's network settings"
	case 'K':
		return "changes the printer's identity or front-panel settings"
	case 'W':
		if p == '^' && (name == "WT" || name == "WF" || name == "WV") {
			return ""
		}
		return "changes the printer's network settings or prints its configuration"
	}
	return ""
}

var refusedCommands = map[string]string{
	"^JU": "saves settings to flash",
	"~JR": "resets the printer",
	"^JB": "erases a memory drive",
	"~JB": "erases the optional memory",
	"~JA": "cancels every format in the printer",
	"~JX": "cancels a format being received",
	"~JP": "pauses the printer and cancels formats",
	"~PS": "resumes a paused printer",
	"^PP": "pauses the printer",
	"~PP": "pauses the printer",
	"^ZZ": "puts the printer to sleep",
	"~RO": "resets the printer's counters",
	"^CC": "changes the command prefix",
	"~CC": "changes the command prefix",
	"^CT": "changes the control prefix",
	"~CT": "changes the control prefix",
	"^CD": "changes the delimiter",
	"~CD": "changes the delimiter",
	"^CM": "remaps memory drives",
	"^SZ": "changes the ZPL version",
	"^JM": "changes the print resolution",
	"~JC": "starts media calibration",
	"~JG": "prints a sensor profile",
	"~JL": "sets the label length by feeding labels",
	"~JD": "enables communications diagnostics",
	"^JS": "changes sensor settings",
	"~JS": "changes the backfeed sequence",
	"^JT": "changes the head test interval",
	"~JN": "changes the head test behaviour",
	"~JO": "changes the head test behaviour",
	"^JW": "sets the ribbon tension",
	"^JJ": "sets the auxiliary port",
	"^JH": "changes the early warning settings",
	"^JF": "changes the battery settings",
	"~JF": "changes the battery settings",
	"^JI": "starts the ZBI interpreter",
	"~JI": "starts the ZBI interpreter",
	"~JQ": "stops the ZBI interpreter",
	"^MA": "changes maintenance alerts",
	"^MI": "changes maintenance messages",
	"^MW": "changes the head cold warning",
	"^MF": "changes the media feed at power-up",
	"^MP": "disables front-panel functions",
	"^SS": "changes the media sensor settings",
	"^SI": "changes the sensor intensity",
	"^SR": "changes the printhead resistance",
	"^SL": "changes the clock settings",
	"^SO": "changes the clock",
	"^ST": "sets the clock",
	"^SC": "changes the serial communication settings",
	"^SX": "changes the printer's alerts",
	"^SQ": "changes the printer's alerts",
	"^TO": "copies objects between memory drives",
}

// storing lists the commands that store or delete objects by drive:name; only R: is allowed.
var storing = map[string]string{
	"~DG": "stores a graphic",
	"~DY": "stores an object",
	"~DB": "stores a font",
	"~DE": "stores an encoding",
	"~DS": "stores a font",
	"~DT": "stores a font",
	"~DU": "stores a font",
	"^DF": "stores a format",
	"^IS": "stores an image",
	"^ID": "deletes objects",
}

// special checks a command's parameters where they matter and returns where scanning resumes.
func (c *checker) special(p byte, name string, at, next int) (int, error) {
	cmd := string(p) + name
	b := c.b
	if what, ok := storing[cmd]; ok {
		drive := byte('R')
		j := next
		for j < len(b) && (b[j] == ' ' || b[j] == '\r' || b[j] == '\n') {
			j++
		}
		if j+1 < len(b) && b[j+1] == ':' {
			drive = b[j]
			if 'a' <= drive && drive <= 'z' {
				drive -= 'a' - 'A'
			}
		}
		if drive != 'R' {
			return 0, c.errf(CodeInvalid, cmd, at, "%s on %c: (%s in non-volatile memory) is not allowed: only R: (RAM) may be used", cmd, drive, what)
		}
	}
	switch cmd {
	case "^GF":
		// ^GFa,b,c,d,data: a = A (ASCII hex), B (binary) or C (compressed binary); b = bytes.
		return c.skipBinary(cmd, at, next, 0, 1, 4, "BC")
	case "~DY":
		// ~DYd:f,b,x,t,w,data: b = A, B, C or P (PNG); t = bytes.
		return c.skipBinary(cmd, at, next, 1, 3, 5, "BCP")
	}
	return next, nil
}

// skipBinary reads the comma-separated parameters after a command at next; when parameter
// fmtIdx is one of binary, the data after parameter dataIdx-1's comma is skipped by the byte
// count in parameter lenIdx.
func (c *checker) skipBinary(cmd string, at, next, fmtIdx, lenIdx, dataIdx int, binary string) (int, error) {
	b := c.b
	var params [][]byte
	j, start := next, next
	for ; j < len(b) && len(params) < dataIdx; j++ {
		if b[j] == ',' {
			params = append(params, b[start:j])
			start = j + 1
		}
		if b[j] == '^' || b[j] == '~' {
			return next, nil // fewer parameters: no data follows, scan on
		}
	}
	if len(params) < dataIdx {
		return next, nil
	}
	f := params[fmtIdx]
	if len(f) != 1 {
		return next, nil
	}
	isBin := false
	for i := 0; i < len(binary); i++ {
		if f[0] == binary[i] || f[0] == binary[i]+('a'-'A') {
			isBin = true
		}
	}
	if !isBin {
		return next, nil
	}
	n, err := strconv.Atoi(string(params[lenIdx]))
	if err != nil || n < 0 {
		return 0, c.errf(CodeInvalid, cmd, at, "%s at byte %d: binary data without a valid byte count (%q)", cmd, at, params[lenIdx])
	}
	if n > len(b)-j {
		return 0, c.errf(CodeInvalid, cmd, at, "%s at byte %d declares %d bytes of binary data but the body ends before", cmd, at, n)
	}
	return j + n, nil
}

// skipParams returns the end of the parameters starting at i: the next command prefix, or with
// multiline false the next line end.
func (c *checker) skipParams(i int, multiline bool) int {
	for ; i < len(c.b); i++ {
		switch c.b[i] {
		case '^', '~':
			return i
		case '\r', '\n':
			if !multiline {
				return i
			}
		}
	}
	return i
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func excerpt(b []byte) string {
	if len(b) > 16 {
		b = b[:16]
	}
	return string(b)
}
