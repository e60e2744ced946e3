package link

import (
	"errors"
	"fmt"
	"time"

	"github.com/stationd/stationd/devices/scale"
)

// ScaleError turns an error from Next, Latest or Write into the scale error a driver returns:
// a timeout with bytes pending is garbage (parse_error), a timeout without is a timeout, a lost
// port is disconnected, a closed link is closed; context errors are wrapped with the device.
// what names the request ("SI", "W") and timeout its limit, for the message.
func ScaleError(err error, device, what string, timeout time.Duration, pending int) error {
	var gone *GoneError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrTimeout) && pending > 0:
		return scale.NewError(device, scale.CodeParse,
			fmt.Sprintf("%d bytes but no complete answer to %s within %v", pending, what, timeout))
	case errors.Is(err, ErrTimeout):
		return scale.NewError(device, scale.CodeTimeout, fmt.Sprintf("no answer to %s within %v", what, timeout))
	case errors.Is(err, ErrClosed):
		return &scale.Error{Code: scale.CodeClosed, Device: device, Detail: "the scale was closed"}
	case errors.As(err, &gone):
		e := scale.NewError(device, scale.CodeDisconnected, "")
		e.Err = gone.Err
		return e
	}
	return fmt.Errorf("%s: %w", device, err)
}
