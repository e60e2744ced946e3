package printer

import (
	"errors"
	"strings"

	"github.com/stationd/stationd/devices"
)

// Reasons a print fails, as they appear in label.failed's reason.
const (
	ReasonOffline     = "offline"      // no connection, or no answer to status queries
	ReasonNotReady    = "not_ready"    // the printer answers but not to ~HS, and names no error
	ReasonPaperOut    = "paper_out"    // out of labels (media out)
	ReasonHeadOpen    = "head_open"    // print head up
	ReasonRibbonOut   = "ribbon_out"   // thermal transfer ribbon used up
	ReasonPaused      = "paused"       // paused from the front panel or by an error
	ReasonBufferFull  = "buffer_full"  // receive buffer full
	ReasonHeadTooHot  = "head_too_hot" // print head over temperature
	ReasonHeadTooCold = "head_too_cold"
	ReasonCorruptRAM  = "corrupt_ram"
	ReasonFault       = "fault"   // another hardware fault (cutter, printhead element, ...)
	ReasonInvalid     = "invalid" // the job itself is refused: permanent
)

// Status is a printer's state, from ~HS (and ~HQES when ~HS is not answered).
type Status struct {
	PaperOut, HeadOpen, Paused, RibbonOut, BufferFull bool
	HeadTooHot, HeadTooCold, CorruptRAM               bool
	// Faults names other errors the printer reports (~HQES: "cutter_fault",
	// "motor_over_temperature", ...).
	Faults []string
	// FormatsInBuffer and LabelsRemaining are formats received and not yet printed and labels
	// left in the current batch (~HS eee and uuuuuuuu); 0 when unknown.
	FormatsInBuffer, LabelsRemaining int
	// Unknown is set when the transport cannot read answers (a file: address without
	// status_check): nothing above is known, and Err reports ready.
	Unknown bool
}

// Err returns nil when the printer is ready, else an *Error whose Reason is the first problem in
// this order: paper_out, head_open, ribbon_out, head_too_hot, head_too_cold, corrupt_ram, fault,
// paused, buffer_full (a printer pauses because of the others; a full buffer drains by itself).
// Detail lists every problem and what to do.
func (s Status) Err() error {
	type problem struct {
		on             bool
		reason, detail string
	}
	var list []problem
	add := func(on bool, reason, detail string) { list = append(list, problem{on, reason, detail}) }
	add(s.PaperOut, ReasonPaperOut, "out of labels: load labels and close the head")
	add(s.HeadOpen, ReasonHeadOpen, "print head open: close the head")
	add(s.RibbonOut, ReasonRibbonOut, "ribbon out: load a ribbon (or set media_type: direct_thermal for direct thermal labels)")
	add(s.HeadTooHot, ReasonHeadTooHot, "print head over temperature: let it cool down")
	add(s.HeadTooCold, ReasonHeadTooCold, "print head under temperature: let the printer warm up")
	add(s.CorruptRAM, ReasonCorruptRAM, "printer memory corrupt: switch the printer off and on")
	add(len(s.Faults) > 0, ReasonFault, "printer fault "+strings.Join(s.Faults, ", ")+": see the printer's display")
	add(s.Paused, ReasonPaused, "paused: press PAUSE on the printer to resume")
	add(s.BufferFull, ReasonBufferFull, "receive buffer full: wait for the printer to print what it holds")
	var e *Error
	var details []string
	for _, p := range list {
		if !p.on {
			continue
		}
		if e == nil {
			e = &Error{Reason: p.reason}
		}
		details = append(details, p.detail)
	}
	if e == nil {
		return nil
	}
	e.Detail = strings.Join(details, "; ")
	return e
}

// Error is a failed print or status query.
type Error struct {
	Device string // the printer, as String() names it
	Reason string // one of the Reason constants: label.failed's reason
	Detail string // what happened and what to do
	// Sent is set when the job reached the printer and the check after it found a problem: the
	// printer holds the job and, with its usual setting (^JZ Y, reprint after error), prints it
	// once the problem is fixed. Sending the job again would print it twice; wait for the
	// printer to be ready instead.
	Sent bool
	Err  error // the underlying error, if any
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Device != "" {
		b.WriteString(e.Device)
		b.WriteString(": ")
	}
	b.WriteString(e.Reason)
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	if e.Sent {
		b.WriteString(" (the job reached the printer, which holds it)")
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Reason returns the label.failed reason for err: the Reason of an *Error in its chain, "" for
// nil, and ReasonOffline for any other error (a failure to reach the printer).
func Reason(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ReasonOffline
}

// Retryable reports whether a print that failed with err may succeed later without changing the
// job: every reason but invalid (offline, paper_out, head_open, paused, ribbon_out, buffer_full,
// ...). An invalid job fails the same way every time.
func Retryable(err error) bool {
	return err != nil && Reason(err) != ReasonInvalid
}

// Sent reports whether err says the job reached the printer (see Error.Sent).
func Sent(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Sent
}

// DeviceState maps the result of Printer.Status to a device.status state and detail:
// "disconnected" when the printer cannot be reached, "fault" with the reason and what to do
// when it is not ready, "ok" otherwise (an Unknown status is "ok": nothing says otherwise).
func DeviceState(st Status, err error) (state, detail string) {
	if err == nil {
		err = st.Err()
		if err == nil {
			return devices.StateOK, ""
		}
	}
	var e *Error
	if errors.As(err, &e) {
		detail = e.Reason
		if e.Detail != "" {
			detail += ": " + e.Detail
		}
	} else {
		detail = err.Error()
	}
	if Reason(err) == ReasonOffline {
		return devices.StateDisconnected, detail
	}
	return devices.StateFault, detail
}
