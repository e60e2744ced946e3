package scanner_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/stationd/stationd/devices"
	"github.com/stationd/stationd/devices/scanner"
	_ "github.com/stationd/stationd/devices/scanner/evdev"
	_ "github.com/stationd/stationd/devices/scanner/scannersim"
	_ "github.com/stationd/stationd/devices/scanner/serialscan"
)

func TestRegistry(t *testing.T) {
	if got := devices.Names(devices.KindScanner); !slices.Equal(got, []string{"evdev", "serial", "sim"}) {
		t.Errorf("scanner drivers %v", got)
	}
	for _, name := range []string{"evdev", "serial", "sim"} {
		d, ok := devices.Lookup(devices.KindScanner, name)
		if !ok || d.Doc == "" || d.Validate == nil {
			t.Errorf("%s: %+v", name, d)
		}
		if _, ok := scanner.Lookup(name); !ok {
			t.Errorf("scanner.Lookup(%s) failed", name)
		}
		for _, o := range d.Options {
			if o.Key == "" || o.Type == "" || o.Doc == "" {
				t.Errorf("%s: option %+v undocumented", name, o)
			}
		}
	}
	dup := scanner.Driver{Open: func(context.Context, devices.Spec, devices.Env) (scanner.Scanner, error) { return nil, nil }}
	scanner.Register("test-dup", dup)
	defer func() {
		if recover() == nil {
			t.Error("duplicate registration did not panic")
		}
	}()
	scanner.Register("test-dup", dup)
}

func TestOpenUnknown(t *testing.T) {
	_, err := scanner.Open(context.Background(), devices.Spec{Name: "scanner1", Driver: "laser"}, devices.Env{})
	if err == nil || !strings.Contains(err.Error(), "scanner1") || !strings.Contains(err.Error(), "evdev, serial, sim") {
		t.Errorf("unknown driver: %v", err)
	}
}

// profile is a scanner profile of firmware-config/scanners/.
type profile struct {
	Model   string
	Vendor  string
	Guide   string
	Drivers []struct {
		Driver    string
		Interface string
		Port      string
		Settings  map[string]any
	}
	Programming []struct {
		Setting string
		Value   string
		How     string
		Source  struct {
			Document string
			URL      string
			Checked  *bool
			Note     string
		}
	}
}

// TestProfiles runs the driver settings of every scanner profile through the registered
// driver's validator, so that profiles cannot drift from the drivers.
func TestProfiles(t *testing.T) {
	files, err := filepath.Glob("../../firmware-config/scanners/*.yaml")
	if err != nil || len(files) < 3 {
		t.Fatalf("%d profiles (%v), want at least 3", len(files), err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var p profile
			dec := yaml.NewDecoder(bytes.NewReader(b))
			dec.KnownFields(true)
			if err := dec.Decode(&p); err != nil {
				t.Fatal(err)
			}
			if p.Model == "" || p.Vendor == "" || p.Guide == "" || len(p.Drivers) == 0 || len(p.Programming) == 0 {
				t.Fatalf("incomplete profile: %+v", p)
			}
			for _, d := range p.Drivers {
				drv, ok := devices.Lookup(devices.KindScanner, d.Driver)
				if !ok {
					t.Errorf("driver %q is not a scanner driver", d.Driver)
					continue
				}
				if drv.Port && d.Port == "" {
					t.Errorf("%s: no port example", d.Driver)
				}
				for k := range d.Settings {
					if !slices.ContainsFunc(drv.Options, func(o devices.Option) bool { return o.Key == k }) {
						t.Errorf("%s: %q is not an option of the driver", d.Driver, k)
					}
				}
				spec := devices.Spec{Name: "scanner1", Kind: devices.KindScanner, Driver: d.Driver, Port: d.Port, Options: d.Settings}
				for _, e := range drv.Validate(spec) {
					t.Errorf("%s: %v", d.Driver, e)
				}
			}
			want := map[string]bool{"AIM ID": false, "suffix": false, "FNC1 / GS": false}
			for _, s := range p.Programming {
				for k := range want {
					if strings.Contains(s.Setting, k) {
						want[k] = true
					}
				}
				if s.Value == "" || s.How == "" || s.Source.Document == "" || s.Source.Checked == nil {
					t.Errorf("setting %q: value, how, source.document and source.checked are required", s.Setting)
				}
				if *s.Source.Checked && s.Source.URL == "" {
					t.Errorf("setting %q: checked without the url where it was read", s.Setting)
				}
			}
			for k, ok := range want {
				if !ok {
					t.Errorf("no %s setting", k)
				}
			}
		})
	}
}

// TestVectorCopies checks that testdata/vectors/ still matches the shared vectors when they are
// at hand (the copies keep the tests runnable from a fresh clone).
func TestVectorCopies(t *testing.T) {
	for _, name := range []string{"aim.json", "gs1.json", "gtin.json"} {
		shared, err := os.ReadFile(filepath.Join("/work/shared/vectors", name))
		if err != nil {
			t.Skipf("shared vectors not here: %v", err)
		}
		local, err := os.ReadFile(filepath.Join("testdata/vectors", name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(shared, local) {
			t.Errorf("testdata/vectors/%s differs from /work/shared/vectors/%s: copy it again", name, name)
		}
	}
}
