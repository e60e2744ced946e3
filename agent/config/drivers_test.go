package config

import (
	"github.com/stationd/stationd/devices"
)

// Drivers registered for the tests. The real drivers live in devices/<kind>/... packages, which
// this package does not import, so the contract's names (serial, mt-sics, zpl) cannot collide in
// this test binary; the Port and Address flags are those of the real drivers.
func init() {
	devices.Register(devices.Driver{Kind: devices.KindScanner, Name: "serial", Port: true,
		Doc: "Serial (USB CDC) scanner.",
		Options: []devices.Option{
			{Key: "terminator", Type: "string", Default: "\\r", Doc: "Line end the scanner sends: \\r, \\n or \\r\\n."},
			{Key: "aim", Type: "bool", Default: "true", Doc: "The scanner sends AIM identifiers."},
		},
		Validate: func(s devices.Spec) []devices.FieldError {
			switch t := s.StringOpt("terminator", "\r"); t {
			case "\r", "\n", "\r\n":
			default:
				return []devices.FieldError{{Key: "terminator", Msg: "must be one of \\r, \\n or \\r\\n"}}
			}
			return nil
		},
	})
	devices.Register(devices.Driver{Kind: devices.KindScanner, Name: "evdev", Port: true,
		Doc: "HID keyboard-wedge scanner read from /dev/input."})
	devices.Register(devices.Driver{Kind: devices.KindScale, Name: "mt-sics", Port: true,
		Doc:     "METTLER TOLEDO MT-SICS scale.",
		Options: []devices.Option{{Key: "poll", Type: "duration", Default: "200ms", Doc: "Interval between weight requests."}}})
	devices.Register(devices.Driver{Kind: devices.KindScale, Name: "toledo", Port: true,
		Doc:     "Toledo 8213 demand protocol.",
		Options: []devices.Option{{Key: "unit", Type: "string", Doc: "kg or lb: the frames carry no unit."}},
		Validate: func(s devices.Spec) []devices.FieldError {
			switch s.StringOpt("unit", "") {
			case "kg", "lb":
				return nil
			case "":
				return []devices.FieldError{{Key: "unit", Msg: "required: kg or lb, as set on the scale"}}
			}
			return []devices.FieldError{{Key: "unit", Msg: "must be kg or lb"}}
		}})
	devices.Register(devices.Driver{Kind: devices.KindPrinter, Name: "zpl", Address: true,
		Doc: "Zebra ZPL printer.",
		Options: []devices.Option{
			{Key: "dpi", Type: "int", Default: "203", Doc: "Print head resolution: 203, 300 or 600."},
			{Key: "fonts", Type: "list", Doc: "Fonts to check on the printer."},
			{Key: "extra", Type: "map", Doc: "Free settings."},
		},
		Validate: func(s devices.Spec) []devices.FieldError {
			var fes []devices.FieldError
			switch s.IntOpt("dpi", 203) {
			case 203, 300, 600:
			default:
				fes = append(fes, devices.FieldError{Key: "dpi", Msg: "must be 203, 300 or 600"})
			}
			return fes
		}})
	devices.Register(devices.Driver{Kind: devices.KindPrinter, Name: "test-panic", Address: true,
		Validate: func(devices.Spec) []devices.FieldError { panic("boom") }})
	devices.Register(devices.Driver{Kind: devices.KindLights, Name: "test-panel", Port: true,
		Doc:     "Test lights: leds outputs, 4 buttons, 2 displays.",
		Options: []devices.Option{{Key: "leds", Type: "int", Default: "8", Doc: "LEDs fitted."}},
		Capacity: func(s devices.Spec) devices.Capacity {
			return devices.Capacity{Outputs: s.IntOpt("leds", 8), Inputs: 4, Displays: 2}
		}})
	// Like ht16k33: address is the chip's I2C address, an int option, not a printer address.
	devices.Register(devices.Driver{Kind: devices.KindLights, Name: "test-i2c",
		Options:  []devices.Option{{Key: "address", Type: "int", Default: "0x70", Doc: "I2C address."}},
		Capacity: func(devices.Spec) devices.Capacity { return devices.Capacity{Outputs: 16} }})
	devices.Register(devices.Driver{Kind: devices.KindLights, Name: "test-strip", Port: true,
		Capacity: func(devices.Spec) devices.Capacity { return devices.Capacity{Outputs: 60, RGB: true} }})
}
