package link

import (
	"fmt"
	"maps"
	"strconv"
	"time"

	"github.com/stationd/stationd/devices"
	"github.com/stationd/stationd/devices/serialport"
)

// Line holds a protocol's default line settings; the entry's data_bits, parity and stop_bits keys
// override them.
type Line struct {
	DataBits int
	Parity   string
	StopBits string
}

// Options returns the serial keys with l's defaults, for a driver's option list.
func (l Line) Options() []devices.Option {
	out := make([]devices.Option, len(serialport.Options))
	copy(out, serialport.Options)
	for i := range out {
		switch out[i].Key {
		case "data_bits":
			out[i].Default = strconv.Itoa(l.DataBits)
		case "parity":
			out[i].Default = l.Parity
		case "stop_bits":
			out[i].Default = l.StopBits
		}
	}
	return out
}

// apply returns s with l's defaults filled in where the entry has no key.
func (l Line) apply(s devices.Spec) devices.Spec {
	o := maps.Clone(s.Options)
	if o == nil {
		o = map[string]any{}
	}
	if _, ok := o["data_bits"]; !ok {
		o["data_bits"] = l.DataBits
	}
	if _, ok := o["parity"]; !ok {
		o["parity"] = l.Parity
	}
	if _, ok := o["stop_bits"]; !ok {
		o["stop_bits"] = l.StopBits
	}
	s.Options = o
	return s
}

// Config returns the line settings of entry s.
func (l Line) Config(s devices.Spec) serialport.Config { return serialport.FromSpec(l.apply(s)) }

// Validate checks the line settings of entry s.
func (l Line) Validate(s devices.Spec) []devices.FieldError { return serialport.Validate(l.apply(s)) }

// Open opens the serial port of entry s. Errors name the device and say what to do.
func (l Line) Open(s devices.Spec) (serialport.Port, error) {
	p, err := serialport.Open(s.Port, l.Config(s))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.Name, err)
	}
	return p, nil
}

// TimeoutKey is the option for the time a serial driver waits for an answer.
const TimeoutKey = "timeout_ms"

// TimeoutOption documents TimeoutKey with its default.
func TimeoutOption(def time.Duration, what string) devices.Option {
	return devices.Option{Key: TimeoutKey, Type: "int", Default: strconv.FormatInt(def.Milliseconds(), 10),
		Doc: "milliseconds to wait for " + what + " before a timeout, 10 to 60000"}
}

// Timeout returns the entry's timeout_ms, or def.
func Timeout(s devices.Spec, def time.Duration) time.Duration {
	return time.Duration(s.IntOpt(TimeoutKey, int(def.Milliseconds()))) * time.Millisecond
}

// IntRange checks that key, when present, is a whole number in [lo, hi].
func IntRange(s devices.Spec, key string, lo, hi int) []devices.FieldError {
	if _, ok := s.Options[key]; !ok {
		return nil
	}
	if v := s.IntOpt(key, lo-1); v < lo || v > hi {
		return []devices.FieldError{{Key: key, Msg: fmt.Sprintf("must be a whole number from %d to %d", lo, hi)}}
	}
	return nil
}

// OneOf checks that key, when present, is one of the strings allowed.
func OneOf(s devices.Spec, key string, allowed ...string) []devices.FieldError {
	v, ok := s.Options[key]
	if !ok {
		return nil
	}
	str, _ := v.(string)
	if n, isInt := v.(int); isInt {
		str = strconv.Itoa(n)
	}
	for _, a := range allowed {
		if str == a {
			return nil
		}
	}
	msg := "must be one of"
	for i, a := range allowed {
		if i > 0 {
			msg += ","
		}
		msg += " " + a
	}
	return []devices.FieldError{{Key: key, Msg: msg}}
}
