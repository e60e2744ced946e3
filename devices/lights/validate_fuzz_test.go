package lights_test

import (
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/stationd/stationd/devices"
	"github.com/stationd/stationd/devices/lights"
	_ "github.com/stationd/stationd/devices/lights/gpiolights"
	_ "github.com/stationd/stationd/devices/lights/ht16k33"
	_ "github.com/stationd/stationd/devices/lights/lightsim"
	_ "github.com/stationd/stationd/devices/lights/mcp23017"
	_ "github.com/stationd/stationd/devices/lights/ws2812"
)

// FuzzValidate feeds device entries decoded from YAML to every driver's Validate and
// Capacity: neither may panic, and a valid entry has a non-negative capacity.
func FuzzValidate(f *testing.F) {
	for _, s := range []string{
		"outputs: [17, 27, 22]\ninputs: [5, 6, 13]\nactive_low: true",
		"bus: \"1\"\naddresses: [0x20, 0x21]\noutputs: [A0, A1]\ninputs: [B0]\ninterrupt_pin: GPIO4",
		"address: 0x70\ndisplays: [[0, 1, 3, 4]]\nleds: [[0, 6]]\nkey_lines: 1",
		"spi: /dev/spidev0.0\npixels: 300\nclock_hz: 3200000\nbrightness: 64",
		"outputs: 8\ninputs: 8\ndisplays: 2",
		"addresses: [[1]]\ndisplays: [x, [99]]\nleds: [[1, 2, 3]]\npixels: -1",
		"outputs: {a: 1}\ninputs: 1e99\nclock_hz: 2400000.5",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		var opts map[string]any
		if yaml.Unmarshal([]byte(src), &opts) != nil {
			return
		}
		for _, name := range lights.Names() {
			d, _ := lights.Lookup(name)
			s := devices.Spec{Name: "dev1", Kind: devices.KindLights, Driver: name, Options: opts}
			errs := []devices.FieldError(nil)
			if d.Validate != nil {
				errs = d.Validate(s)
			}
			c := d.Capacity(s)
			if len(errs) == 0 && (c.Outputs < 0 || c.Inputs < 0 || c.Displays < 0) {
				t.Fatalf("%s: valid entry %q with capacity %+v", name, src, c)
			}
		}
	})
}
