package scale

import (
	"errors"
	"strings"
)

// Error codes. The first group is the vocabulary of the protocol test vectors (shared/vectors,
// "Error vocabulary shared by the scale files"); the second is stationd's own.
const (
	CodeOverload     = "overload"           // over capacity: "S +", Toledo bit 1, CAS "OL", HID status 6
	CodeUnderload    = "underload"          // under zero: "S -", Toledo bit 2, HID status 5
	CodeUnstable     = "unstable"           // moving and the protocol gives no weight (Toledo)
	CodeBusy         = "busy"               // MT-SICS "x I": command not executable now
	CodeUpperLimit   = "upper_limit"        // MT-SICS "Z +", "T +": zero or tare range exceeded
	CodeLowerLimit   = "lower_limit"        // MT-SICS "Z -", "T -"
	CodeZeroRange    = "zero_out_of_range"  // Toledo bit 3: outside the zero capture range
	CodeSyntax       = "syntax_error"       // MT-SICS ES
	CodeTransmission = "transmission_error" // MT-SICS ET
	CodeLogical      = "logical_error"      // MT-SICS EL
	CodeParameter    = "parameter_error"    // MT-SICS "TA L"
	CodeParse        = "parse_error"        // an answer that does not follow the format
	CodeTimeout      = "timeout"            // no answer in time
	CodeChecksum     = "bad_checksum"       // CAS PD-II BCC mismatch
	CodeFault        = "fault"              // the scale reports a fault (HID status 1, CAS PD-II 'F')
	CodeCalibration  = "calibration_required"
	CodeRezero       = "rezero_required"
	CodeShortReport  = "short_report" // HID report shorter than 6 bytes
	CodeUnknownUnit  = "unknown_unit"

	CodeDisconnected  = "disconnected"   // the port is gone (cable pulled, adapter unplugged)
	CodeNotSupported  = "not_supported"  // the protocol has no such command
	CodeClosed        = "closed"         // the Scale was closed by its owner
	CodeSettleTimeout = "scale_unstable" // no settled weight within the settle time (pack workflow)
)

// Error is a scale failure. Code is one of the Code constants; Detail says what the scale did and
// what a technician should do; Device names the scale ("scale1 (/dev/ttyUSB0)"); Err is the cause,
// when there is one.
//
// errors.Is(err, ErrOverload) and the like compare codes, so a sentinel matches every *Error with
// its code, whatever the detail.
type Error struct {
	Code   string
	Detail string
	Device string
	Err    error
}

// NewError returns an *Error for device with code, whose Detail is fact followed by the code's
// standard advice (Hint).
func NewError(device, code, fact string) *Error {
	d := fact
	if h := Hint(code); h != "" {
		if d != "" {
			d += ": "
		}
		d += h
	}
	return &Error{Code: code, Detail: d, Device: device}
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Device != "" {
		b.WriteString(e.Device)
		b.WriteString(": ")
	}
	b.WriteString(e.Code)
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an *Error with the same code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Sentinels for errors.Is. Each matches every *Error with its code.
var (
	// ErrOverload: the load is above the scale's capacity. Never a weight.
	ErrOverload = &Error{Code: CodeOverload}
	// ErrUnderload: the weight is below zero (or below the scale's lower limit). Never a weight.
	ErrUnderload = &Error{Code: CodeUnderload}
	// ErrUnstable: the scale is in motion and its protocol gives no weight while it moves.
	ErrUnstable = &Error{Code: CodeUnstable}
	// ErrBusy: the scale cannot execute the command now (MT-SICS "I").
	ErrBusy = &Error{Code: CodeBusy}
	// ErrTimeout: no answer, or no frame, within the driver's timeout.
	ErrTimeout = &Error{Code: CodeTimeout}
	// ErrParse: an answer that does not follow the protocol (garbage, wrong line settings).
	ErrParse = &Error{Code: CodeParse}
	// ErrChecksum: a frame whose check character is wrong.
	ErrChecksum = &Error{Code: CodeChecksum}
	// ErrFault: the scale reports an internal fault.
	ErrFault = &Error{Code: CodeFault}
	// ErrNotSupported: the protocol has no such command (Zero or Tare on a streaming scale).
	ErrNotSupported = &Error{Code: CodeNotSupported}
	// ErrDisconnected: the port is gone (cable pulled, USB adapter unplugged). The owner closes
	// the Scale and opens it again, with backoff.
	ErrDisconnected = &Error{Code: CodeDisconnected}
	// ErrClosed: the Scale was closed; a pending Read returns it.
	ErrClosed = &Error{Code: CodeClosed}
	// ErrSettleTimeout: Monitor.WaitStable found no settled weight within the settle time. Its
	// code, scale_unstable, is what the pack workflow reports.
	ErrSettleTimeout = &Error{Code: CodeSettleTimeout}
)

// WithDevice returns err naming device: a copy of an *Error without a Device gets it; any other
// error is returned unchanged.
func WithDevice(err error, device string) error {
	if e, ok := err.(*Error); ok && e.Device == "" {
		c := *e
		c.Device = device
		return &c
	}
	return err
}

// Code returns the code of the first *Error in err's chain, or "" when there is none.
func Code(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// Hint returns the standard advice for a technician that goes with code, or "".
func Hint(code string) string {
	switch code {
	case CodeOverload:
		return "the load is above the scale's capacity: take weight off the platter"
	case CodeUnderload:
		return "the weight is below zero: clear the platter and zero the scale"
	case CodeUnstable:
		return "the scale is in motion: keep the parcel still"
	case CodeBusy:
		return "the scale is busy (taring, adjusting or waiting for stability): it is retried"
	case CodeUpperLimit, CodeLowerLimit, CodeZeroRange:
		return "outside the scale's zero or tare range: clear the platter and zero the scale"
	case CodeSyntax:
		return "the scale did not recognise the command: set the scale's interface to this driver's protocol"
	case CodeTransmission:
		return "the scale saw a parity or framing error: set the same baud rate, data bits and parity on both sides"
	case CodeLogical:
		return "the scale cannot execute this command: check the scale's settings"
	case CodeParameter:
		return "the value is out of the scale's range"
	case CodeParse:
		return "unreadable answer: check the baud rate, data bits and parity, and the scale's output format"
	case CodeTimeout:
		return "no answer: check that the scale is on, the cable, the baud rate, and that the scale's interface is enabled"
	case CodeChecksum:
		return "corrupted frame: check the cable and the line settings"
	case CodeFault:
		return "the scale reports a fault: read its display, power-cycle it"
	case CodeCalibration:
		return "the scale needs calibration by a technician"
	case CodeRezero:
		return "the scale needs re-zeroing: clear the platter and press zero"
	case CodeShortReport:
		return "unexpected report from the scale: check that the device is a USB HID POS scale"
	case CodeUnknownUnit:
		return "unsupported unit: set the scale to g, kg, lb or oz"
	case CodeDisconnected:
		return "the port is gone: check the cable and the USB adapter; the station reconnects by itself"
	case CodeSettleTimeout:
		return "the weight did not settle: keep the parcel still, away from drafts and vibration"
	}
	return ""
}
