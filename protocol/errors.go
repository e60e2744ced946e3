package protocol

import "fmt"

// Result codes of command.result errors (contract section 4). The first five are the contract's;
// the others are the station's own, for failures that are not the command's fault or that the
// contract leaves open. An OMS must treat a code it does not know as a failure of that command.
const (
	// CodeBadJSON: the payload is not well-formed UTF-8 JSON (syntax error, truncated, trailing
	// data). The command was not executed; fix the sender's encoder.
	CodeBadJSON = "bad_json"
	// CodeUnknownType: the envelope's type is not a command this station knows.
	CodeUnknownType = "unknown_type"
	// CodeInvalid: the JSON is well-formed but the envelope or the data breaks a rule (missing id,
	// v not 1, missing field, wrong type, out of range). The message names the field path:
	// "data.lines[1].qty: must be at least 1".
	CodeInvalid = "invalid"
	// CodeTooLarge: the payload is over MaxCommandSize bytes. It was not parsed.
	CodeTooLarge = "too_large"
	// CodeRoleDisabled: a known command for a role the station does not have in its config
	// (pack.order to a station with roles [pick]).
	CodeRoleDisabled = "role_disabled"
	// CodeInternal: the station failed while executing a valid command (a bug or a local fault);
	// the message says what. The OMS may send the command again with a new id.
	CodeInternal = "internal"
	// CodeStorageFull: the station cannot store the command or its consequences because its
	// outbox or its local store is full (the birth message then carries the outbox_full alarm).
	// Nothing was executed; send again once the station has caught up.
	CodeStorageFull = "storage_full"
	// CodeBusy: the command conflicts with work in progress at the station right now (a
	// pack.cancel for the order being weighed, a pick.tasks while another batch is open). Send
	// again later.
	CodeBusy = "busy"
	// CodeNotFound: the command refers to something the station does not have (pack.cancel for
	// an order it never received or already completed, light.set for an unknown location,
	// label.print for an unknown printer or template).
	CodeNotFound = "not_found"
	// CodeConflict: the command contradicts what the station already holds under the same
	// business key (a pack.order whose order_id is already stored with different content).
	CodeConflict = "conflict"
)

// codes lists every code in the order above.
var codes = []string{
	CodeBadJSON, CodeUnknownType, CodeInvalid, CodeTooLarge, CodeRoleDisabled,
	CodeInternal, CodeStorageFull, CodeBusy, CodeNotFound, CodeConflict,
}

// Codes returns every result code the station uses, contract codes first.
func Codes() []string { return append([]string(nil), codes...) }

// IsCode reports whether code is one of the result codes above.
func IsCode(code string) bool {
	for _, c := range codes {
		if c == code {
			return true
		}
	}
	return false
}

// Error is the error of a failed command as carried by command.result (contract section 4):
// a machine-readable Code from the list above and a Message for a human. Functions of this
// package return *Error; a nil *Error means success. Take care when storing one in an error
// variable: a nil *Error in a non-nil error interface is not nil.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

func (e *Error) Error() string {
	if e.Message == "" {
		return e.Code
	}
	return e.Code + ": " + e.Message
}
