package config

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/stationd/stationd/devices"
	"github.com/stationd/stationd/protocol/units"
)

// builder turns the checked tree into a Config, applying the table's defaults, and runs the checks
// that span several keys (device references, drivers, locations).
type builder struct {
	c    *checker
	cfg  *Config
	dir  string          // directory of the config file, for relative paths
	seen map[string]bool // rows read, so that a test can prove every row reaches the Config
	devs map[string]*devEntry
}

type devEntry struct {
	spec  devices.Spec
	o     *obj
	drv   devices.Driver
	found bool // drv is the registered driver
	clean bool // the entry has no problem
}

// build checks root (nil for an empty file) and builds the Config.
func build(c *checker, root *yaml.Node, name string) (*Config, map[string]bool) {
	b := &builder{c: c, cfg: &Config{File: name}, dir: filepath.Dir(name), seen: map[string]bool{},
		devs: map[string]*devEntry{}}
	line := 1
	if root != nil && root.Kind != yaml.MappingNode && !isNull(root) {
		c.addf(root.Line, "", "the file must be a mapping of keys (site:, station:, ...), not %s", describe(root))
		return nil, b.seen
	}
	top := c.mapping(root, nil, "", line)
	if c.over {
		return nil, b.seen
	}
	b.top(top)
	return b.cfg, b.seen
}

// v returns the checked value of key in o, or its default; nil when neither.
func (b *builder) v(o *obj, key string) *val {
	r := childRow(o.row, key)
	if r == nil {
		panic("config: no key " + join(o.path, key) + " in the table")
	}
	b.seen[r.path] = true
	if x := o.get(key); x != nil && x.ok && !(r.typ == tString && x.s == "") {
		return x
	}
	return r.defv
}

func (b *builder) str(o *obj, key string) string {
	if x := b.v(o, key); x != nil {
		return x.s
	}
	return ""
}

// path returns a file path key, taken from the config file's directory when relative.
func (b *builder) path(o *obj, key string) string {
	p := b.str(o, key)
	if p != "" && !filepath.IsAbs(p) {
		p = filepath.Join(b.dir, p)
	}
	return p
}

func (b *builder) int(o *obj, key string) int64 {
	if x := b.v(o, key); x != nil {
		return x.i
	}
	return 0
}

func (b *builder) num(o *obj, key string) float64 {
	if x := b.v(o, key); x != nil {
		return x.f
	}
	return 0
}

func (b *builder) bool(o *obj, key string) bool {
	if x := b.v(o, key); x != nil {
		return x.b
	}
	return false
}

func (b *builder) dur(o *obj, key string) time.Duration {
	if x := b.v(o, key); x != nil {
		return x.d
	}
	return 0
}

// optInt returns key when it is set and valid.
func (b *builder) optInt(o *obj, key string) (int64, bool) {
	b.v(o, key)
	if x := o.get(key); x != nil && x.ok {
		return x.i, true
	}
	return 0, false
}

// sub returns the mapping under key; an empty one when absent.
func (b *builder) sub(o *obj, key string) *obj {
	r := childRow(o.row, key)
	b.v(o, key)
	if x := o.get(key); x != nil && x.obj != nil {
		return x.obj
	}
	return &obj{row: r, path: join(o.path, key), line: o.lineOf(key), vals: map[string]*val{}, lines: map[string]int{}}
}

// list returns the elements of a list key, valid or not.
func (b *builder) list(o *obj, key string) []*val {
	b.v(o, key)
	if x := o.get(key); x != nil {
		return x.list
	}
	return nil
}

// ints returns a list of integers when it is present and valid.
func (b *builder) ints(o *obj, key string) ([]int64, *val) {
	b.v(o, key)
	x := o.get(key)
	if x == nil || !x.ok {
		return nil, x
	}
	out := make([]int64, len(x.list))
	for i, e := range x.list {
		out[i] = e.i
	}
	return out, x
}

// isSet says whether key is written in o with a non-empty value, valid or not.
func isSet(o *obj, key string) bool {
	if _, ok := o.lines[key]; !ok {
		return false
	}
	x := o.vals[key]
	return x != nil && !(x.ok && x.row.typ == tString && x.s == "")
}

func (b *builder) top(top *obj) {
	cfg := b.cfg
	cfg.Site = b.str(top, "site")
	cfg.Station = b.str(top, "station")
	for _, e := range b.list(top, "roles") {
		if e.ok {
			cfg.Roles = append(cfg.Roles, e.s)
		}
	}
	b.mqtt(b.sub(top, "mqtt"))

	st := b.sub(top, "storage")
	cfg.Storage = Storage{
		Dir:         b.path(st, "dir"),
		MaxOutboxMB: int(b.int(st, "max_outbox_mb")),
		CommandTTL:  b.dur(st, "command_ttl"),
	}

	b.devices(top)

	tel := b.sub(top, "telemetry")
	cfg.Telemetry = Telemetry{
		Scans:       b.bool(tel, "scans"),
		WeightEvery: time.Duration(b.int(tel, "weight_ms")) * time.Millisecond,
	}

	lg := b.sub(top, "log")
	cfg.Log = Log{Level: logLevels[b.str(lg, "level")], Format: b.str(lg, "format")}

	cfg.KPI = KPI{Interval: b.dur(b.sub(top, "kpi"), "interval")}

	b.locations(top)
	b.pack(b.sub(top, "pack"))

	pk := b.sub(top, "pick")
	cfg.Pick = Pick{LongPress: b.dur(pk, "long_press"), Debounce: b.dur(pk, "debounce")}
}

var logLevels = map[string]slog.Level{
	"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError,
}

func (b *builder) mqtt(m *obj) {
	tls := b.sub(m, "tls")
	b.cfg.MQTT = MQTT{
		Broker:       b.str(m, "broker"),
		TopicPrefix:  b.str(m, "topic_prefix"),
		ClientID:     b.str(m, "client_id"),
		Username:     b.str(m, "username"),
		PasswordFile: b.path(m, "password_file"),
		TLS: TLS{
			CAFile:     b.path(tls, "ca_file"),
			CertFile:   b.path(tls, "cert_file"),
			KeyFile:    b.path(tls, "key_file"),
			ServerName: b.str(tls, "server_name"),
		},
		Keepalive:    b.dur(m, "keepalive"),
		Window:       int(b.int(m, "window")),
		ReconnectMax: b.dur(m, "reconnect_max"),
	}
	c, q := b.c, b.cfg.MQTT

	// MQTT 3.1.1 section 3.1.2.9: a password is sent only with a user name.
	if isSet(m, "password_file") && !isSet(m, "username") {
		c.add(m.lineOf("username"), "mqtt.username", "required with password_file: MQTT sends a password only with a user name")
	}
	switch {
	case isSet(tls, "cert_file") && !isSet(tls, "key_file"):
		c.add(tls.lineOf("key_file"), "mqtt.tls.key_file", "required with cert_file: the client certificate's private key (PEM)")
	case isSet(tls, "key_file") && !isSet(tls, "cert_file"):
		c.add(tls.lineOf("cert_file"), "mqtt.tls.cert_file", "required with key_file: the client certificate (PEM)")
	}
	if x := m.get("broker"); x != nil && x.ok {
		scheme, rest, _ := strings.Cut(q.Broker, "://")
		if scheme == "tcp" || scheme == "ws" {
			for _, k := range []string{"ca_file", "cert_file", "key_file", "server_name"} {
				if isSet(tls, k) {
					secure := map[string]string{"tcp": "ssl", "ws": "wss"}[scheme]
					if scheme == "tcp" {
						rest = strings.Replace(rest, ":1883", ":8883", 1)
					}
					c.addf(tls.lineOf(k), "mqtt.tls."+k, "set, but a %s:// broker does not use TLS: write the broker as %s://%s, or remove the tls keys",
						scheme, secure, rest)
					break
				}
			}
		}
	}
}

func (b *builder) pack(p *obj) {
	c, cfg := b.c, b.cfg
	tol := b.sub(p, "weight_tolerance")
	cfg.Pack = Pack{
		Scanner: b.str(p, "scanner"),
		Scale:   b.str(p, "scale"),
		Printer: b.str(p, "printer"),
		Tolerance: Tolerance{
			Mass:    units.Mass(b.int(tol, "grams")) * units.Gram,
			Percent: b.num(tol, "percent"),
		},
		AutoStart:          b.bool(p, "auto_start"),
		SupervisorCodeFile: b.path(p, "supervisor_code_file"),
		OrderTTL:           b.dur(p, "order_ttl"),
		BoxFillFactor:      b.num(p, "box_fill_factor"),
		StationLight:       b.str(p, "station_light"),
		Language:           b.str(p, "language"),
	}
	pack := cfg.HasRole(RolePack)
	for _, k := range []string{devices.KindScanner, devices.KindScale, devices.KindPrinter} {
		x := p.get(k)
		switch {
		case x != nil && x.ok && x.s != "":
			ent, ok := b.devs[x.s]
			switch {
			case !ok:
				c.add(x.line, "pack."+k, noDevice(cfg.Devices, x.s, k))
			case ent.spec.Kind != k:
				c.addf(x.line, "pack."+k, "%q is a %s, not a %s: name a device of kind %s", x.s, ent.spec.Kind, k, k)
			}
		case pack && !isSet(p, k):
			c.addf(p.lineOf(k), "pack."+k, "required with role pack: the name of the %s device, like %s: %s1", k, k, k)
		}
	}

	ids := map[string]int{}
	for _, e := range b.list(p, "boxes") {
		o := e.obj
		if o == nil {
			continue
		}
		box := Box{ID: b.str(o, "id"), Tare: units.Mass(b.int(o, "tare_g")) * units.Gram}
		if x := o.get("id"); x != nil && x.ok {
			if first, dup := ids[box.ID]; dup {
				c.addf(x.line, o.path+".id", "box %q is already defined at line %d: ids must be unique", box.ID, first)
			} else {
				ids[box.ID] = x.line
			}
		}
		in, _ := b.ints(o, "inner_mm")
		out, outv := b.ints(o, "outer_mm")
		for i := range in {
			box.Inner[i] = units.Length(in[i]) * units.Millimetre
		}
		for i := range out {
			box.Outer[i] = units.Length(out[i]) * units.Millimetre
		}
		if in != nil && out != nil {
			for i := range 3 {
				if out[i] < in[i] {
					c.addf(outv.list[i].line, fmt.Sprintf("%s.outer_mm[%d]", o.path, i),
						"must be at least inner_mm[%d] (%d): outer dimensions include the walls (got %d)", i, in[i], out[i])
				}
			}
		}
		cfg.Pack.Boxes = append(cfg.Pack.Boxes, box)
	}
	if pack && !isSet(p, "boxes") {
		c.add(p.lineOf("boxes"), "pack.boxes", "required with role pack: at least one box, like - {id: BOX-S, inner_mm: [250, 200, 100], outer_mm: [260, 210, 110], tare_g: 120}")
	}

	car := b.sub(p, "carriers")
	for _, name := range car.keys {
		x := car.vals[name]
		if x == nil || x.obj == nil {
			continue
		}
		o := x.obj
		b.seen[x.row.path] = true
		if cfg.Pack.Carriers == nil {
			cfg.Pack.Carriers = map[string]Carrier{}
		}
		var cr Carrier
		if v, ok := b.optInt(o, "divisor"); ok {
			cr.Divisor = &v
		}
		mass := func(key string) *units.Mass {
			if v, ok := b.optInt(o, key); ok {
				m := units.Mass(v) * units.Gram
				return &m
			}
			return nil
		}
		length := func(key string) *units.Length {
			if v, ok := b.optInt(o, key); ok {
				l := units.Length(v) * units.Millimetre
				return &l
			}
			return nil
		}
		cr.MaxWeight = mass("max_weight_g")
		cr.MaxLength = length("max_length_mm")
		cr.MaxSumSides = length("max_sum_sides_mm")
		cr.MaxLengthGirth = length("max_length_girth_mm")
		cr.Rounding = mass("rounding_g")
		cfg.Pack.Carriers[name] = cr
	}

	if x := p.get("station_light"); x != nil && x.ok && x.s != "" {
		if _, ok := cfg.Location(x.s); !ok {
			var ids []string
			for _, l := range cfg.Locations {
				ids = append(ids, l.ID)
			}
			msg := fmt.Sprintf("no location has id %q", x.s)
			if s := suggest(x.s, ids); s != "" {
				msg += fmt.Sprintf(": did you mean %q?", s)
			} else {
				msg += ": add it to locations"
			}
			c.add(x.line, "pack.station_light", msg)
		}
	}
}
