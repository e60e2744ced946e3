package toledo

import (
	"fmt"

	"github.com/stationd/stationd/devices/scale"
	"github.com/stationd/stationd/protocol/units"
)

// Frame bytes.
const (
	STX = 0x02
	CR  = 0x0d
)

// Status is the status byte of a "STX ? status CR" reply, as received (DIVA service manual
// 72191202 §6.1.4.3 "Status Byte Format"). Bit 7 is the even parity bit: on a line opened 8N1
// instead of 7E1 it arrives in the byte, so the flags ignore it.
type Status byte

// Flags of the status byte (DIVA §6.1.4.3).
func (s Status) Motion() bool             { return s&0x01 != 0 } // bit 0: scale in motion
func (s Status) OverCapacity() bool       { return s&0x02 != 0 } // bit 1
func (s Status) UnderZero() bool          { return s&0x04 != 0 } // bit 2
func (s Status) OutsideZeroCapture() bool { return s&0x08 != 0 } // bit 3
func (s Status) CenterOfZero() bool       { return s&0x10 != 0 } // bit 4

// Net reports bit 5, the net-weight flag of 8217 scales (DIVA §6.1.4.3). On 8213-style scales
// bit 5 is always 1 (Rice Lake BenchPro and Global Industrial manuals) and means nothing.
func (s Status) Net() bool { return s&0x20 != 0 }

func (s Status) String() string { return fmt.Sprintf("0x%02x", byte(s)) }

// Reply is one frame from the scale: a weight (STX digits [N] CR) or a status (STX ? byte CR).
type Reply struct {
	IsStatus bool
	Status   Status     // status replies
	Value    string     // weight replies: the digits as sent ("01.234")
	Mass     units.Mass // Value in the configured unit, exactly
	Net      bool       // weight replies: the 'N' suffix
}

// Parse reads one frame, STX through CR (the CR may be left off). The frame carries no unit:
// unit is the scale's configured mode, scale.Kilogram or scale.Pound (contract §6). Weights are
// digits with at most one decimal point, optionally followed by N (DIVA §6.1.3.2 'WW.WW' and
// §6.1.4.2 '0WW.WW' lb, 'WW.WWW' kg); leading blanks are tolerated. Anything else is a
// parse_error and never a weight.
func Parse(frame []byte, unit scale.Unit) (Reply, error) {
	if len(frame) > 0 && frame[len(frame)-1] == CR {
		frame = frame[:len(frame)-1]
	}
	if len(frame) == 0 || frame[0] != STX {
		return Reply{}, parseErr("no STX", frame)
	}
	body := frame[1:]
	if len(body) > 0 && body[0] == '?' {
		if len(body) != 2 {
			return Reply{}, parseErr("status reply without exactly one status byte", frame)
		}
		st := Status(body[1])
		if st&0x40 == 0 { // bit 6 is always 1 (DIVA §6.1.4.3)
			return Reply{}, parseErr("status byte without bit 6", frame)
		}
		return Reply{IsStatus: true, Status: st}, nil
	}
	for len(body) > 0 && body[0] == ' ' {
		body = body[1:]
	}
	r := Reply{}
	if n := len(body); n > 0 && body[n-1] == 'N' {
		r.Net = true
		body = body[:n-1]
	}
	digits, dots := 0, 0
	for _, c := range body {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.':
			dots++
		default:
			return Reply{}, parseErr("not a weight", frame)
		}
	}
	if digits == 0 || dots > 1 {
		return Reply{}, parseErr("not a weight", frame)
	}
	if unit != scale.Kilogram && unit != scale.Pound {
		return Reply{}, &scale.Error{Code: scale.CodeUnknownUnit, Detail: "the unit must be kg or lb"}
	}
	m, err := scale.ParseMass(body, unit)
	if err != nil {
		return Reply{}, parseErr("not a weight", frame)
	}
	r.Value, r.Mass = string(body), m
	return r, nil
}

func parseErr(what string, frame []byte) error {
	return &scale.Error{Code: scale.CodeParse, Detail: fmt.Sprintf("%s in %q: %s", what, frame, scale.Hint(scale.CodeParse))}
}

// WeightResult interprets the reply to W. A status instead of a weight means, in this order
// (vectors' precedence, DIVA §6.1.4.2 W): over capacity -> overload, under zero -> underload,
// motion -> unstable, outside the zero capture range -> zero_out_of_range; the protocol never
// gives the moving weight.
func WeightResult(r Reply) (scale.Reading, error) {
	if !r.IsStatus {
		return scale.Reading{Mass: r.Mass, Stable: true}, nil // a weight reply is stable by definition
	}
	st := r.Status
	fact := "scale answered W with status " + st.String()
	switch {
	case st.OverCapacity():
		return scale.Reading{}, scale.NewError("", scale.CodeOverload, fact+" (over capacity)")
	case st.UnderZero():
		return scale.Reading{}, scale.NewError("", scale.CodeUnderload, fact+" (under zero)")
	case st.Motion():
		return scale.Reading{}, scale.NewError("", scale.CodeUnstable, fact+" (in motion)")
	case st.OutsideZeroCapture():
		return scale.Reading{}, scale.NewError("", scale.CodeZeroRange, fact+" (outside zero capture range)")
	}
	return scale.Reading{}, scale.NewError("", scale.CodeFault, fact+" and no weight")
}

// ZeroResult interprets the reply to Z (DIVA §6.1.4.2 Z: zero is captured only if stable,
// within the capture range and in gross mode; the reply is always a status): center of zero
// without motion is success.
func ZeroResult(r Reply) error {
	if !r.IsStatus {
		return parseErr("weight instead of a status", []byte(r.Value))
	}
	st := r.Status
	fact := "scale answered Z with status " + st.String()
	switch {
	case st.CenterOfZero() && !st.Motion():
		return nil
	case st.Motion():
		return scale.NewError("", scale.CodeUnstable, fact+" (in motion, zero not taken)")
	case st.OverCapacity():
		return scale.NewError("", scale.CodeOverload, fact+" (over capacity, zero not taken)")
	}
	return scale.NewError("", scale.CodeZeroRange, fact+" (zero not taken)")
}

// TareResult interprets the reply to T (DIVA §6.1.4.2 T: tare is taken if the weight is stable
// and not zero, and only if tare is enabled in the scale's calibration mode). On 8217 scales
// the net bit confirms the tare.
func TareResult(r Reply, protocol string) error {
	if !r.IsStatus {
		return parseErr("weight instead of a status", []byte(r.Value))
	}
	st := r.Status
	fact := "scale answered T with status " + st.String()
	switch {
	case st.Motion():
		return scale.NewError("", scale.CodeUnstable, fact+" (in motion, tare not taken)")
	case st.OverCapacity():
		return scale.NewError("", scale.CodeOverload, fact+" (over capacity)")
	case st.UnderZero():
		return scale.NewError("", scale.CodeUnderload, fact+" (under zero)")
	case protocol == Protocol8217 && !st.Net():
		return &scale.Error{Code: scale.CodeLogical, Detail: fact + " (gross mode: tare not taken): the scale tares only a stable, non-zero weight, and only if tare is enabled in its calibration mode"}
	}
	return nil
}

// ClearResult interprets the reply to C (clear tare, ignored if the weight is not stable).
func ClearResult(r Reply) error {
	if !r.IsStatus {
		return parseErr("weight instead of a status", []byte(r.Value))
	}
	if r.Status.Motion() {
		return scale.NewError("", scale.CodeUnstable, "scale answered C with status "+r.Status.String()+" (in motion, tare not cleared)")
	}
	return nil
}
