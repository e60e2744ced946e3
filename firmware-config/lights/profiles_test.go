package lights

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/stationd/stationd/devices"
	dlights "github.com/stationd/stationd/devices/lights"
	_ "github.com/stationd/stationd/devices/lights/gpiolights"
	_ "github.com/stationd/stationd/devices/lights/ht16k33"
	_ "github.com/stationd/stationd/devices/lights/lightsim"
	_ "github.com/stationd/stationd/devices/lights/mcp23017"
	_ "github.com/stationd/stationd/devices/lights/ws2812"
)

// profile is the part of a config a profile carries.
type profile struct {
	Roles     []string         `yaml:"roles"`
	Devices   []map[string]any `yaml:"devices"`
	Locations []struct {
		ID      string `yaml:"id"`
		Device  string `yaml:"device"`
		Channel *int   `yaml:"channel"`
		Pixels  []int  `yaml:"pixels"`
		Button  *int   `yaml:"button"`
		Display *int   `yaml:"display"`
	} `yaml:"locations"`
	Pick map[string]string `yaml:"pick"`
}

// common are the device keys every driver shares; the rest go to the driver.
var common = []string{"name", "kind", "driver", "port", "baud", "address"}

// TestProfiles checks every profile with check.
func TestProfiles(t *testing.T) {
	names := Names()
	if len(names) < 5 {
		t.Fatalf("profiles: %v", names)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			data, err := Profiles.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range check(data) {
				t.Error(p)
			}
		})
	}
}

// TestCheckCatches makes sure check finds the mistakes it is there for.
func TestCheckCatches(t *testing.T) {
	bad := `
devices:
  - {name: s1, kind: lights, driver: mcp23017, addresses: [0x20, 0x28], colour: red}
  - {name: w1, kind: lights, driver: ws2812, pixels: 10}
locations:
  - {id: L1, device: s1, channel: 0, button: 8}
  - {id: L2, device: w1, pixels: [5, 10]}
  - {id: L3, device: w1, pixels: [0, 5]}
  - {id: L1, device: nope, channel: 0}
pick: {debounce: soon}
`
	got := check([]byte(bad))
	want := []string{
		"devices[0].colour: not an option of mcp23017",
		"devices[0].addresses[1]: must be an MCP23017 address from 0x20 to 0x27 (0100 A2 A1 A0), not 40",
		"locations[0] L1: outputs 0..0 outside 0..-1",
		"locations[0] L1: button 8 outside 0..-1",
		"locations[1] L2: outputs 5..10 outside 0..9",
		"locations[2] L3: w1 output 5 already used by locations[1] L2",
		"locations[3] L1: id L1 already used by locations[0] L1",
		"locations[3] L1: device \"nope\" not in the profile",
		"pick.debounce: \"soon\"",
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// check returns the problems of a profile: each device entry through its driver's Validate,
// with only documented option keys; each location inside its device's Capacity; no two
// locations on the same output, button or display; pick timings that parse.
func check(data []byte) []string {
	var probs []string
	addf := func(format string, args ...any) { probs = append(probs, fmt.Sprintf(format, args...)) }
	var p profile
	if err := yaml.Unmarshal(data, &p); err != nil {
		return []string{err.Error()}
	}
	caps := map[string]devices.Capacity{}
	for i, d := range p.Devices {
		s := spec(d)
		if s.Kind != devices.KindLights {
			addf("devices[%d]: kind %q", i, s.Kind)
			continue
		}
		drv, ok := dlights.Lookup(s.Driver)
		if !ok {
			addf("devices[%d]: unknown driver %q", i, s.Driver)
			continue
		}
		keys := make([]string, 0, len(s.Options))
		for k := range s.Options {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if !slices.ContainsFunc(drv.Options, func(o devices.Option) bool { return o.Key == k }) {
				addf("devices[%d].%s: not an option of %s", i, k, s.Driver)
			}
		}
		if drv.Validate != nil {
			for _, e := range drv.Validate(s) {
				addf("devices[%d].%s", i, e)
			}
		}
		caps[s.Name] = drv.Capacity(s)
	}
	if len(p.Locations) == 0 {
		addf("no locations")
	}
	used := map[string]string{}
	claim := func(what, loc string) {
		if prev, dup := used[what]; dup {
			addf("%s: %s already used by %s", loc, what, prev)
			return
		}
		used[what] = loc
	}
	for i, l := range p.Locations {
		at := fmt.Sprintf("locations[%d] %s", i, l.ID)
		claim("id "+l.ID, at)
		c, ok := caps[l.Device]
		if !ok {
			addf("%s: device %q not in the profile", at, l.Device)
			continue
		}
		var first, last int
		switch {
		case l.Channel != nil && l.Pixels == nil:
			first, last = *l.Channel, *l.Channel
		case l.Channel == nil && len(l.Pixels) == 2:
			first, last = l.Pixels[0], l.Pixels[1]
		default:
			addf("%s: give channel or pixels [first, last]", at)
			continue
		}
		if first < 0 || last < first || last >= c.Outputs {
			addf("%s: outputs %d..%d outside 0..%d", at, first, last, c.Outputs-1)
		}
		for o := first; o <= last; o++ {
			claim(fmt.Sprintf("%s output %d", l.Device, o), at)
		}
		if l.Button != nil {
			if *l.Button < 0 || *l.Button >= c.Inputs {
				addf("%s: button %d outside 0..%d", at, *l.Button, c.Inputs-1)
			}
			claim(fmt.Sprintf("%s input %d", l.Device, *l.Button), at)
		}
		if l.Display != nil {
			if *l.Display < 0 || *l.Display >= c.Displays {
				addf("%s: display %d outside 0..%d", at, *l.Display, c.Displays-1)
			}
			claim(fmt.Sprintf("%s display %d", l.Device, *l.Display), at)
		}
	}
	pk := make([]string, 0, len(p.Pick))
	for k := range p.Pick {
		pk = append(pk, k)
	}
	sort.Strings(pk)
	for _, k := range pk {
		v := p.Pick[k]
		if _, err := time.ParseDuration(v); err != nil || (k != "debounce" && k != "long_press") {
			addf("pick.%s: %q", k, v)
		}
	}
	return probs
}

func spec(d map[string]any) devices.Spec {
	s := devices.Spec{Options: map[string]any{}}
	for k, v := range d {
		if !slices.Contains(common, k) {
			s.Options[k] = v
			continue
		}
		str, _ := v.(string)
		switch k {
		case "name":
			s.Name = str
		case "kind":
			s.Kind = str
		case "driver":
			s.Driver = str
		case "port":
			s.Port = str
		case "address":
			s.Address = str
		}
	}
	return s
}
