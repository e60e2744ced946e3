package scales

import (
	"testing"

	"github.com/stationd/stationd/devices"
	"github.com/stationd/stationd/devices/scale"
	_ "github.com/stationd/stationd/devices/scale/cas"
	_ "github.com/stationd/stationd/devices/scale/hidpos"
	_ "github.com/stationd/stationd/devices/scale/mtsics"
	_ "github.com/stationd/stationd/devices/scale/scalesim"
	_ "github.com/stationd/stationd/devices/scale/toledo"
)

// entryKeys are the keys of a device entry that are not driver options.
var entryKeys = map[string]bool{"driver": true, "port": true, "baud": true, "address": true}

// TestProfiles loads every profile and checks its device entry through the registered driver's
// validator, and that every key is one the driver declares.
func TestProfiles(t *testing.T) {
	profiles, err := Profiles()
	if err != nil {
		t.Fatal(err)
	}
	if len(profiles) == 0 {
		t.Fatal("no profiles")
	}
	covered := map[string]bool{}
	for _, p := range profiles {
		t.Run(p.File, func(t *testing.T) {
			covered[p.Driver] = true
			d, ok := devices.Lookup(devices.KindScale, p.Driver)
			if !ok {
				t.Fatalf("driver %q is not registered", p.Driver)
			}
			if p.Device["driver"] != p.Driver {
				t.Errorf("device.driver %v, profile driver %q", p.Device["driver"], p.Driver)
			}
			declared := map[string]bool{}
			for _, o := range d.Options {
				declared[o.Key] = true
			}
			for k := range p.Device {
				if !entryKeys[k] && !declared[k] {
					t.Errorf("device.%s: the %s driver has no such option", k, p.Driver)
				}
			}
			spec := p.Spec("scale1")
			if d.Port && spec.Port == "" {
				t.Error("the driver needs a port")
			}
			for _, e := range scale.Validate(spec) {
				t.Errorf("device.%s: %s", e.Key, e.Msg)
			}
			if _, err := scale.MonitorConfigFor(spec); err != nil {
				t.Error(err)
			}
			if p.Manufacturer == "" || len(p.Models) == 0 || len(p.ScaleSettings) == 0 {
				t.Error("manufacturer, models and scale_settings are required")
			}
			if len(p.Sources) == 0 {
				t.Error("no sources")
			}
			for i, s := range p.Sources {
				if s.Ref == "" || s.Where == "" || s.UsedFor == "" {
					t.Errorf("sources[%d]: ref, where and used_for are required", i)
				}
			}
			switch p.Confidence {
			case "manual":
			case "inferred":
				if p.Notes == "" {
					t.Error("an inferred profile says in notes what is inferred")
				}
			default:
				t.Errorf("confidence %q: must be manual or inferred", p.Confidence)
			}
		})
	}
	for _, name := range scale.Names() {
		if name != "sim" && !covered[name] {
			t.Errorf("driver %q has no profile", name)
		}
	}
}
