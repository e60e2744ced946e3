package zplprinter

import (
	"fmt"
	"io/fs"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/stationd/stationd/devices"
	"github.com/stationd/stationd/devices/printer/transport"
	"github.com/stationd/stationd/devices/printer/zpl"
	firmwareconfig "github.com/stationd/stationd/firmware-config"
)

// Options are the zpl driver's device entry keys (beyond name, kind, driver and address).
var Options = []devices.Option{
	{Key: "profile", Type: "string", Default: "", Doc: "a printer profile from firmware-config/printers (4x6-203-direct-thermal, ...): defaults for the keys below"},
	{Key: "dpi", Type: "int", Default: "203", Doc: "print head resolution in dots per inch: 203, 300 or 600; templates are laid out for it"},
	{Key: "darkness", Type: "int", Default: "", Doc: "darkness relative to the printer's own setting, -30 to 30 (^MD); absent: left as the printer has it"},
	{Key: "speed", Type: "int", Default: "", Doc: "print speed in inches per second, 1 to 14 (^PR); absent: left as the printer has it"},
	{Key: "print_width_mm", Type: "int", Default: "", Doc: "print width in mm (^PW), 104 for a 4-inch head; absent: left as the printer has it"},
	{Key: "label_length_mm", Type: "int", Default: "", Doc: "label length in mm (^LL), 152 for 4x6 in labels; absent: left as the printer has it"},
	{Key: "media_tracking", Type: "string", Default: "", Doc: "gap (labels with gaps or notches), mark (black mark) or continuous (^MN); absent: left as the printer has it"},
	{Key: "media_type", Type: "string", Default: "", Doc: "direct_thermal or thermal_transfer (with a ribbon) (^MT); absent: left as the printer has it"},
	{Key: "status_check", Type: "bool", Default: "true (false for file:)", Doc: "ask the printer for its status (~HS) before and after each job; turn off for printers that cannot answer"},
	{Key: "status_timeout", Type: "duration", Default: "1s", Doc: "how long to wait for an answer to ~HS, then to ~HQES, before reporting the printer offline"},
	{Key: "connect_timeout", Type: "duration", Default: "5s", Doc: "how long to wait for a connection to the printer"},
	{Key: "write_timeout", Type: "duration", Default: "30s", Doc: "how long sending one job may take (tcp: and file:; a serial write is stopped by closing the port)"},
}

var keys = func() []string {
	k := make([]string, len(Options))
	for i, o := range Options {
		k[i] = o.Key
	}
	return k
}()

// config is a validated device entry.
type config struct {
	dpi            int
	settings       []byte // the settings format sent once per connection, nil when none
	statusCheck    bool
	statusTimeout  time.Duration
	connectTimeout time.Duration
	writeTimeout   time.Duration
	transport      transport.Transport
	rest           string // address after the prefix
}

var (
	profilesOnce sync.Once
	profiles     map[string]map[string]any
	profilesErr  error
)

// Profiles returns the printer profiles shipped in firmware-config/printers, by name.
func Profiles() (map[string]map[string]any, error) {
	profilesOnce.Do(func() { profiles, profilesErr = LoadProfiles(firmwareconfig.Printers()) })
	return profiles, profilesErr
}

// LoadProfiles reads every *.yaml at the root of fsys as a profile named after its file. A
// profile holds option keys of this driver (not profile itself).
func LoadProfiles(fsys fs.FS) (map[string]map[string]any, error) {
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, err
	}
	out := map[string]map[string]any{}
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		var m map[string]any
		if err := yaml.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("printer profile %s: %w", n, err)
		}
		for k := range m {
			if k == "profile" || !slices.Contains(keys, k) {
				return nil, fmt.Errorf("printer profile %s: unknown key %q", n, k)
			}
		}
		out[strings.TrimSuffix(n, ".yaml")] = m
	}
	return out, nil
}

// resolver reads options from the device entry, then from its profile.
type resolver struct {
	s       devices.Spec
	profile map[string]any
	pname   string
	errs    []devices.FieldError
}

func (r *resolver) errf(key, format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	if _, own := r.s.Options[key]; !own && r.pname != "" {
		msg += " (from profile " + r.pname + ")"
	}
	r.errs = append(r.errs, devices.FieldError{Key: key, Msg: msg})
}

func (r *resolver) get(key string) (any, bool) {
	if v, ok := r.s.Options[key]; ok {
		return v, true
	}
	v, ok := r.profile[key]
	return v, ok
}

func (r *resolver) intOpt(key string, lo, hi int) (int, bool) {
	v, ok := r.get(key)
	if !ok {
		return 0, false
	}
	var n int
	switch v := v.(type) {
	case int:
		n = v
	case int64:
		n = int(v)
	case float64:
		if v != math.Trunc(v) {
			r.errf(key, "%v: must be a whole number", v)
			return 0, false
		}
		n = int(v)
	default:
		r.errf(key, "%v: must be a number", v)
		return 0, false
	}
	if n < lo || n > hi {
		r.errf(key, "%d: must be %d to %d", n, lo, hi)
		return 0, false
	}
	return n, true
}

func (r *resolver) enumOpt(key string, allowed ...string) (string, bool) {
	v, ok := r.get(key)
	if !ok {
		return "", false
	}
	s, _ := v.(string)
	if !slices.Contains(allowed, s) {
		r.errf(key, "%v: must be one of %s", v, strings.Join(allowed, ", "))
		return "", false
	}
	return s, true
}

func (r *resolver) durationOpt(key string, def time.Duration) time.Duration {
	v, ok := r.get(key)
	if !ok {
		return def
	}
	s, _ := v.(string)
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		r.errf(key, "%v: must be a positive duration such as 500ms or 2s", v)
		return def
	}
	return d
}

// parse validates a device entry and returns its configuration and every problem found.
func parse(s devices.Spec) (config, []devices.FieldError) {
	r := &resolver{s: s}
	var c config
	if v, ok := s.Options["profile"]; ok {
		name, _ := v.(string)
		all, err := Profiles()
		if err != nil {
			r.errs = append(r.errs, devices.FieldError{Key: "profile", Msg: err.Error()})
		} else if p, ok := all[name]; !ok {
			known := make([]string, 0, len(all))
			for n := range all {
				known = append(known, n)
			}
			sort.Strings(known)
			r.errs = append(r.errs, devices.FieldError{Key: "profile", Msg: fmt.Sprintf("%v: unknown profile (known: %s)", v, strings.Join(known, ", "))})
		} else {
			r.profile, r.pname = p, name
		}
	}
	if s.Address == "" {
		r.errs = append(r.errs, devices.FieldError{Key: "address", Msg: "required: tcp://host:9100, file:/dev/usb/lp0 or serial:/dev/ttyUSB1?baud=9600"})
	} else if t, rest, err := transport.Lookup(s.Address); err != nil {
		r.errs = append(r.errs, devices.FieldError{Key: "address", Msg: err.Error()})
	} else if err := t.Validate(rest); err != nil {
		r.errs = append(r.errs, devices.FieldError{Key: "address", Msg: err.Error()})
	} else {
		c.transport, c.rest = t, rest
	}

	c.dpi = 203
	if v, ok := r.get("dpi"); ok {
		if n, ok := r.intOpt("dpi", 0, 1<<30); ok {
			if zpl.DotsPerMM(n) == 0 {
				r.errf("dpi", "%v: must be 203, 300 or 600", v)
			} else {
				c.dpi = n
			}
		}
	}
	// The settings format (ZPL guide: ^MD darkness, ^PR print rate, ^PW print width, ^LL label
	// length, ^MN media tracking, ^MT media type). It holds no ^JU: nothing is saved to flash,
	// and the printer's own configuration is back after a power cycle.
	var set []byte
	if n, ok := r.intOpt("darkness", -30, 30); ok {
		set = fmt.Appendf(set, "^MD%d", n)
	}
	if n, ok := r.intOpt("speed", 1, 14); ok {
		set = fmt.Appendf(set, "^PR%d", n)
	}
	if n, ok := r.intOpt("print_width_mm", 10, 300); ok {
		set = fmt.Appendf(set, "^PW%d", zpl.Dots(float64(n), c.dpi))
	}
	if n, ok := r.intOpt("label_length_mm", 5, 1000); ok {
		set = fmt.Appendf(set, "^LL%d", zpl.Dots(float64(n), c.dpi))
	}
	if v, ok := r.enumOpt("media_tracking", "gap", "mark", "continuous"); ok {
		set = fmt.Appendf(set, "^MN%c", map[string]byte{"gap": 'Y', "mark": 'M', "continuous": 'N'}[v])
	}
	if v, ok := r.enumOpt("media_type", "direct_thermal", "thermal_transfer"); ok {
		set = fmt.Appendf(set, "^MT%c", map[string]byte{"direct_thermal": 'D', "thermal_transfer": 'T'}[v])
	}
	if len(set) > 0 {
		c.settings = append(append([]byte("^XA"), set...), "^XZ\n"...)
	}

	c.statusCheck = c.transport.Readable
	if v, ok := r.get("status_check"); ok {
		b, isBool := v.(bool)
		if !isBool {
			r.errf("status_check", "%v: must be true or false", v)
		}
		c.statusCheck = b
	}
	c.statusTimeout = r.durationOpt("status_timeout", time.Second)
	c.connectTimeout = r.durationOpt("connect_timeout", 5*time.Second)
	c.writeTimeout = r.durationOpt("write_timeout", 30*time.Second)
	return c, r.errs
}

// Validate checks a zpl device entry without touching anything.
func Validate(s devices.Spec) []devices.FieldError {
	_, errs := parse(s)
	return errs
}
