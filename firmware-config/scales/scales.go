// Package scales holds the scale profiles shipped in firmware-config/scales: for each family of
// scales the drivers cover, the device entry that talks to it (driver, serial settings, protocol
// options), the settings a technician makes on the scale itself, and the documents they come
// from. A test checks every profile through its registered driver's validator, so a profile
// cannot drift from the driver's options.
package scales

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"

	"gopkg.in/yaml.v3"

	"github.com/stationd/stationd/devices"
)

//go:embed *.yaml
var files embed.FS

// Profile is one scale profile.
type Profile struct {
	File         string   `yaml:"-"`
	Manufacturer string   `yaml:"manufacturer"`
	Models       []string `yaml:"models"`
	Driver       string   `yaml:"driver"`
	// Confidence is "manual" when every setting is read in the sources, "inferred" when some
	// are not (see Notes): check them on the scale before go-live.
	Confidence string `yaml:"confidence"`
	// Device is the device entry without name and kind: driver, port (an example), baud and
	// the driver's keys.
	Device        map[string]any `yaml:"device"`
	ScaleSettings []string       `yaml:"scale_settings"`
	Sources       []Source       `yaml:"sources"`
	Notes         string         `yaml:"notes"`
}

// Source is a document a profile is read from.
type Source struct {
	Ref     string `yaml:"ref"`
	Where   string `yaml:"where"`
	UsedFor string `yaml:"used_for"`
}

// Profiles returns every profile, sorted by file name.
func Profiles() ([]Profile, error) {
	names, err := fs.Glob(files, "*.yaml")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	out := make([]Profile, 0, len(names))
	for _, name := range names {
		b, err := files.ReadFile(name)
		if err != nil {
			return nil, err
		}
		var p Profile
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		if err := dec.Decode(&p); err != nil {
			return nil, fmt.Errorf("firmware-config/scales/%s: %w", name, err)
		}
		p.File = path.Base(name)
		out = append(out, p)
	}
	return out, nil
}

// Spec returns the profile's device entry as a devices.Spec named name.
func (p Profile) Spec(name string) devices.Spec {
	s := devices.Spec{Name: name, Kind: devices.KindScale, Driver: p.Driver, Options: map[string]any{}}
	for k, v := range p.Device {
		switch k {
		case "driver":
			s.Driver, _ = v.(string)
		case "port":
			s.Port, _ = v.(string)
		case "baud":
			s.Baud, _ = v.(int)
		default:
			s.Options[k] = v
		}
	}
	return s
}
