package mtsics

import (
	"bytes"
	"fmt"

	"github.com/stationd/stationd/devices/scale"
	"github.com/stationd/stationd/protocol/units"
)

// Response is one MT-SICS response line. MT-SICS reference manual 11780711 §3.2: identifier,
// blank, status, then the parameters separated by blanks, CR LF. The value field is right-aligned
// in a 10-character field whose width varies between balances, so lines are split on runs of
// blanks, never on columns.
type Response struct {
	ID     string // "S", "Z", "T", "TA", "I4", "ES", ...
	Status byte   // 'S', 'D', 'I', 'A', 'L', '+', '-'; 0 for ES, ET and EL
	// Value and Unit are set when the parameters are a number and a unit ("100.00 g"); Mass is
	// the value converted exactly to milligrams.
	Value string
	Unit  scale.Unit
	Mass  units.Mass
	// Text is a quoted parameter without its quotes (I2, I4); Rest any other parameters as sent.
	Text string
	Rest string
}

// Parse reads one response line (with or without its CR LF). A line that does not follow §3.2,
// or whose value is not a number, is a parse_error; a unit that is not a mass (%, PCS) is
// unknown_unit. Such a line is never a weight.
func Parse(line []byte) (Response, error) {
	line = bytes.TrimRight(line, "\r\n")
	var r Response
	id, rest := field(line)
	if len(id) == 0 || len(id) > 4 {
		return r, parseErr("no command identifier", line)
	}
	for _, c := range id {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '@' {
			return r, parseErr("bad command identifier", line)
		}
	}
	r.ID = intern(id)
	if r.ID == "ES" || r.ID == "ET" || r.ID == "EL" {
		if len(bytes.TrimLeft(rest, " ")) != 0 {
			return r, parseErr("parameters after "+r.ID, line)
		}
		return r, nil
	}
	st, rest := field(rest)
	if len(st) != 1 || st[0] <= ' ' || st[0] >= 0x7f {
		return r, parseErr("no status", line)
	}
	r.Status = st[0]
	rest = bytes.Trim(rest, " ")
	switch {
	case len(rest) == 0:
	case rest[0] == '"':
		if len(rest) < 2 || rest[len(rest)-1] != '"' || bytes.IndexByte(rest[1:len(rest)-1], '"') >= 0 {
			r.Rest = string(rest)
			break
		}
		r.Text = string(rest[1 : len(rest)-1])
	default:
		v, u := field(rest)
		u, tail := field(u)
		if len(tail) != 0 || len(u) == 0 {
			r.Rest = string(rest)
			break
		}
		unit, ok := scale.ParseUnit(string(u))
		if !ok {
			if _, err := scale.ParseMass(v, scale.Gram); err != nil {
				return r, parseErr("malformed value", line)
			}
			return r, &scale.Error{Code: scale.CodeUnknownUnit,
				Detail: fmt.Sprintf("balance sent %q: unit %q is not a mass: %s", line, u, scale.Hint(scale.CodeUnknownUnit))}
		}
		m, err := scale.ParseMass(v, unit)
		if err != nil {
			return r, parseErr("malformed value", line)
		}
		r.Value, r.Unit, r.Mass = string(v), unit, m
	}
	return r, nil
}

// field splits off the first blank-separated token of b.
func field(b []byte) (tok, rest []byte) {
	i := 0
	for i < len(b) && b[i] == ' ' {
		i++
	}
	j := i
	for j < len(b) && b[j] != ' ' {
		j++
	}
	return b[i:j], b[j:]
}

// intern returns the common identifiers without allocating.
func intern(b []byte) string {
	switch string(b) {
	case "S":
		return "S"
	case "SI":
		return "SI"
	case "Z":
		return "Z"
	case "ZI":
		return "ZI"
	case "T":
		return "T"
	case "TA":
		return "TA"
	case "I2":
		return "I2"
	case "I4":
		return "I4"
	case "ES":
		return "ES"
	case "ET":
		return "ET"
	case "EL":
		return "EL"
	}
	return string(b)
}

func parseErr(what string, line []byte) error {
	return &scale.Error{Code: scale.CodeParse,
		Detail: fmt.Sprintf("%s in %q: %s", what, line, scale.Hint(scale.CodeParse))}
}

// Kinds of Result.
const (
	KindWeight = "weight" // S, SI, SIR: a weight with the balance's stable flag
	KindTare   = "tare"   // T, TA: the tare value
	KindAck    = "ack"    // Z, ZI: done
	KindInfo   = "info"   // I2, I4, @: Text
)

// Result is a Response interpreted as the answer to a command.
type Result struct {
	Kind    string
	Reading scale.Reading // KindWeight
	Tare    units.Mass    // KindTare
	Stable  bool          // KindTare for T, KindAck for ZI: taken under stable conditions
	Text    string        // KindInfo: serial number (I4, @) or balance data (I2)
}

// ReplyID returns the identifier of the answer to cmd: "S" for S, SI and SIR, "I4" for @, else
// cmd's first word.
func ReplyID(cmd string) string {
	if i := bytes.IndexByte([]byte(cmd), ' '); i >= 0 {
		cmd = cmd[:i]
	}
	switch cmd {
	case "S", "SI", "SIR":
		return "S"
	case "@":
		return "I4"
	}
	return cmd
}

// Interpret reads r as the answer to cmd (S, SI, SIR, Z, ZI, T, TA, TA <value> <unit>, I2, I4,
// @). Errors are *scale.Error with the codes of the vectors' vocabulary: ES syntax_error, ET
// transmission_error, EL logical_error (§2.1.3 of the weigh-module manual, general errors); I
// busy; + and - overload/underload for weights, upper_limit/lower_limit for Z and T; TA L
// parameter_error.
func Interpret(cmd string, r Response) (Result, error) {
	switch r.ID {
	case "ES":
		return Result{}, errorf(scale.CodeSyntax, cmd, r, "command not recognised (ES)")
	case "ET":
		return Result{}, errorf(scale.CodeTransmission, cmd, r, "transmission error (ET)")
	case "EL":
		return Result{}, errorf(scale.CodeLogical, cmd, r, "logical error (EL)")
	}
	want := ReplyID(cmd)
	if r.ID != want {
		return Result{}, errorf(scale.CodeParse, cmd, r, "answer for "+r.ID+", not "+want)
	}
	switch r.Status {
	case 'I':
		return Result{}, errorf(scale.CodeBusy, cmd, r, "command not executable now (I)")
	case '+':
		if want == "S" {
			return Result{}, errorf(scale.CodeOverload, cmd, r, "overload range (+)")
		}
		return Result{}, errorf(scale.CodeUpperLimit, cmd, r, "upper limit of the range exceeded (+)")
	case '-':
		if want == "S" {
			return Result{}, errorf(scale.CodeUnderload, cmd, r, "underload range (-)")
		}
		return Result{}, errorf(scale.CodeLowerLimit, cmd, r, "lower limit of the range exceeded (-)")
	}
	switch want {
	case "S": // §4.1 S, SI, SIR: S S stable, S D dynamic (SI, SIR only)
		if (r.Status == 'S' || r.Status == 'D') && r.Value != "" {
			return Result{Kind: KindWeight, Reading: scale.Reading{Mass: r.Mass, Stable: r.Status == 'S'}}, nil
		}
	case "Z": // §4.1 Z: Z A zeroed
		if r.Status == 'A' {
			return Result{Kind: KindAck}, nil
		}
	case "ZI": // §4.1 ZI: ZI S / ZI D zeroed under stable / dynamic conditions
		if r.Status == 'S' || r.Status == 'D' {
			return Result{Kind: KindAck, Stable: r.Status == 'S'}, nil
		}
	case "T": // §4.2 T: T S <tare> <unit>
		if r.Status == 'S' && r.Value != "" {
			return Result{Kind: KindTare, Tare: r.Mass, Stable: true}, nil
		}
	case "TA": // §4.2 TA: TA A <tare> <unit>; TA L out of range
		if r.Status == 'A' && r.Value != "" {
			return Result{Kind: KindTare, Tare: r.Mass}, nil
		}
		if r.Status == 'L' {
			return Result{}, errorf(scale.CodeParameter, cmd, r, "value refused (TA L)")
		}
	case "I2", "I4": // §4.1 I2, I4: I4 A "<serial number>"
		if r.Status == 'A' && r.Rest == "" {
			return Result{Kind: KindInfo, Text: r.Text}, nil
		}
	}
	return Result{}, errorf(scale.CodeParse, cmd, r, "unexpected answer")
}

func errorf(code, cmd string, r Response, what string) error {
	fact := "balance answered " + quote(r) + " to " + cmd
	if what != "" {
		fact += ": " + what
	}
	return scale.NewError("", code, fact)
}

// quote renders a response the way it came, for messages.
func quote(r Response) string {
	s := r.ID
	if r.Status != 0 {
		s += " " + string(r.Status)
	}
	switch {
	case r.Value != "":
		s += " " + r.Value + " " + r.Unit.String()
	case r.Text != "":
		s += ` "` + r.Text + `"`
	case r.Rest != "":
		s += " " + r.Rest
	}
	return `"` + s + `"`
}
