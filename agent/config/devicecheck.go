package config

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/stationd/stationd/devices"
)

// devices builds the device specs and checks each against its registered driver.
func (b *builder) devices(top *obj) {
	c := b.c
	first := map[string]string{} // name → "devices[i] (line n)"
	for _, e := range b.list(top, "devices") {
		o := e.obj
		if o == nil {
			continue
		}
		start := len(c.probs)
		d, found := b.lookup(o)
		// port, baud and address were left unchecked by the walk: a driver may declare one of them
		// as its own option, with its own type (ht16k33: address is the I2C address, an int).
		for _, p := range o.extra {
			r := childRow(o.row, p.key)
			if r == nil || (found && claims(d, p.key)) {
				continue
			}
			if x := c.value(p.n, r, o.path+"."+p.key, p.line); x != nil {
				o.vals[p.key] = x
			}
		}
		spec := devices.Spec{
			Name:    b.str(o, "name"),
			Kind:    b.str(o, "kind"),
			Driver:  b.str(o, "driver"),
			Port:    b.str(o, "port"),
			Baud:    int(b.int(o, "baud")),
			Address: b.str(o, "address"),
		}
		ent := &devEntry{spec: spec, o: o, drv: d, found: found}
		if x := o.get("name"); x != nil && x.ok {
			if prev, dup := first[spec.Name]; dup {
				c.addf(x.line, o.path+".name", "%q is already the name of %s: device names must be unique", spec.Name, prev)
			} else {
				first[spec.Name] = fmt.Sprintf("%s (line %d)", o.path, o.line)
				b.devs[spec.Name] = ent
			}
		}
		if found {
			b.driver(o, &ent.spec, d, !o.bad && len(c.probs) == start)
		}
		ent.clean = !o.bad && len(c.probs) == start
		b.cfg.Devices = append(b.cfg.Devices, ent.spec)
	}
}

// lookup returns the registered driver of a device entry, reporting an unknown one.
func (b *builder) lookup(o *obj) (devices.Driver, bool) {
	kind, drv := o.get("kind"), o.get("driver")
	if kind == nil || !kind.ok || drv == nil || !drv.ok {
		return devices.Driver{}, false
	}
	d, ok := devices.Lookup(kind.s, drv.s)
	if ok {
		return d, true
	}
	names := devices.Names(kind.s)
	msg := fmt.Sprintf("no %s drivers are built into this binary", kind.s)
	if len(names) > 0 {
		msg = fmt.Sprintf("must be one of %s for kind %s (got %q)", strings.Join(names, ", "), kind.s, drv.s)
		if s := suggest(drv.s, names); s != "" {
			msg += ": did you mean " + strconv.Quote(s) + "?"
		}
	}
	b.c.add(drv.line, o.path+".driver", msg)
	return devices.Driver{}, false
}

// claims says whether d declares the common key as one of its options.
func claims(d devices.Driver, key string) bool {
	_, ok := findOption(d, key)
	return ok
}

// driver checks a device entry against its registered driver: port, address and baud, the driver
// options and then, when the entry is clean so far, the driver's own validator.
func (b *builder) driver(o *obj, spec *devices.Spec, d devices.Driver, clean bool) {
	c := b.c
	start := len(c.probs)
	who := fmt.Sprintf("the %s driver %s", d.Kind, d.Name)
	switch {
	case claims(d, "port"):
	case d.Port && !isSet(o, "port"):
		c.addf(o.lineOf("port"), o.path+".port", "required by %s: the serial port or device node, like port: /dev/ttyUSB0", who)
	case !d.Port && isSet(o, "port"):
		msg := who + " takes no port"
		if d.Address {
			msg += ": set address instead"
		}
		c.add(o.lineOf("port"), o.path+".port", msg)
	}
	switch {
	case claims(d, "address"):
	case d.Address && !isSet(o, "address"):
		msg := "required by " + who
		if d.Kind == devices.KindPrinter {
			msg += ": tcp://host:port, file:/dev/usb/lp0 or serial:/dev/ttyUSB1?baud=9600"
		}
		c.add(o.lineOf("address"), o.path+".address", msg)
	case !d.Address && isSet(o, "address"):
		msg := who + " takes no address"
		if d.Port {
			msg += ": set port instead"
		}
		c.add(o.lineOf("address"), o.path+".address", msg)
	}
	if !d.Port && !claims(d, "baud") && isSet(o, "baud") {
		msg := who + " takes no baud: it has no serial port"
		if d.Kind == devices.KindPrinter && d.Address {
			msg += " (a serial printer takes its speed in the address: serial:/dev/ttyUSB1?baud=9600)"
		}
		c.add(o.lineOf("baud"), o.path+".baud", msg)
	}

	for _, p := range o.extra {
		opt, ok := findOption(d, p.key)
		path := o.path + "." + p.key
		if !ok && childRow(o.row, p.key) != nil {
			continue // a common key, checked in devices
		}
		if !ok {
			var names []string
			for _, x := range d.Options {
				names = append(names, x.Key)
			}
			msg := fmt.Sprintf("unknown key %q", p.key)
			switch s := suggest(p.key, append(names, "name", "kind", "driver", "port", "baud", "address")); {
			case s != "":
				msg += fmt.Sprintf(": did you mean %q?", s)
			case len(names) > 0:
				msg += fmt.Sprintf(": this is either a typo or a key this version does not know (%s takes %s)", who, strings.Join(names, ", "))
			default:
				msg += fmt.Sprintf(": this is either a typo or a key this version does not know (%s takes no options)", who)
			}
			c.add(p.line, path, msg)
			continue
		}
		if v, ok := c.option(p.n, opt, path); ok && v != nil {
			if spec.Options == nil {
				spec.Options = map[string]any{}
			}
			spec.Options[p.key] = v
		}
	}

	if !clean || len(c.probs) > start || d.Validate == nil {
		return
	}
	for _, fe := range safeValidate(d, *spec) {
		path, line := o.path, o.line
		if fe.Key != "" {
			path += "." + fe.Key
			k, _, _ := strings.Cut(fe.Key, ".")
			k, _, _ = strings.Cut(k, "[")
			line = o.lineOf(k)
		}
		c.add(line, path, fe.Msg)
	}
}

// safeValidate runs a driver's validator; a panic in it is reported as a problem, not a crash.
func safeValidate(d devices.Driver, spec devices.Spec) (fes []devices.FieldError) {
	defer func() {
		if v := recover(); v != nil {
			fes = []devices.FieldError{{Msg: fmt.Sprintf("the %s driver %s failed to check this entry (%v): report this bug", d.Kind, d.Name, v)}}
		}
	}()
	return d.Validate(spec)
}

// safeCapacity asks a lights driver what an entry provides; a panic in it gives ok false.
func safeCapacity(d devices.Driver, spec devices.Spec) (cp devices.Capacity, ok bool) {
	defer func() {
		if v := recover(); v != nil {
			ok = false
		}
	}()
	return d.Capacity(spec), true
}

func findOption(d devices.Driver, key string) (devices.Option, bool) {
	for _, o := range d.Options {
		if o.Key == key {
			return o, true
		}
	}
	return devices.Option{}, false
}

// option checks a driver option against its declared type and converts it for Spec.Options.
func (c *checker) option(n *yaml.Node, opt devices.Option, path string) (any, bool) {
	n = resolve(n)
	if isNull(n) {
		return nil, true
	}
	r := &row{path: path}
	var t typ
	switch opt.Type {
	case "string":
		t = tString
	case "int":
		t = tInt
	case "float", "number":
		t = tNumber
	case "bool":
		t = tBool
	case "duration":
		t = tDuration
	case "list":
		if n.Kind != yaml.SequenceNode {
			c.addf(n.Line, path, "must be a list, not %s", describe(n))
			return nil, false
		}
		return c.anyValue(n, path, 0)
	case "map":
		if n.Kind != yaml.MappingNode {
			c.addf(n.Line, path, "must be a mapping of keys (key: value), not %s", describe(n))
			return nil, false
		}
		return c.anyValue(n, path, 0)
	default:
		return c.anyValue(n, path, 0)
	}
	v := c.scalar(n, r, t, path)
	if !v.ok {
		return nil, false
	}
	switch t {
	case tInt:
		if v.i != int64(int(v.i)) {
			c.addf(n.Line, path, "must be an integer that fits in %d bits", strconv.IntSize)
			return nil, false
		}
		return int(v.i), true
	case tNumber:
		return v.f, true
	case tBool:
		return v.b, true
	}
	return v.s, true // strings, and durations as written: drivers parse them with time.ParseDuration
}

// maxDepth bounds the nesting of a driver option's value.
const maxDepth = 16

// anyValue converts a YAML value to string, int, float64, bool, nil, []any or map[string]any.
func (c *checker) anyValue(n *yaml.Node, path string, depth int) (any, bool) {
	n = resolve(n)
	if isNull(n) {
		return nil, true
	}
	if depth > maxDepth {
		c.addf(n.Line, path, "nested more than %d levels deep", maxDepth)
		return nil, false
	}
	if !c.visit(n.Line) {
		return nil, false
	}
	switch n.Kind {
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!int":
			var i int
			if n.Decode(&i) == nil {
				return i, true
			}
			var f float64
			if n.Decode(&f) == nil {
				return f, true
			}
		case "!!float":
			var f float64
			if n.Decode(&f) == nil {
				return f, true
			}
		case "!!bool":
			var v bool
			if n.Decode(&v) == nil {
				return v, true
			}
		}
		return n.Value, true
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		ok := true
		for i, e := range n.Content {
			v, vok := c.anyValue(e, fmt.Sprintf("%s[%d]", path, i), depth+1)
			ok = ok && vok
			out = append(out, v)
		}
		return out, ok
	case yaml.MappingNode:
		out := map[string]any{}
		ok := true
		start := len(c.probs)
		c.pairs(n, path, func(key string, _ int, e *yaml.Node) {
			v, vok := c.anyValue(e, join(path, key), depth+1)
			ok = ok && vok
			out[key] = v
		})
		return out, ok && len(c.probs) == start
	}
	c.addf(n.Line, path, "unsupported YAML value")
	return nil, false
}

// locations builds the location map and checks it against the lights devices: each location on
// an output (channel) or a span of pixels within the device's Capacity, and no output, button or
// display shared by two locations.
func (b *builder) locations(top *obj) {
	c := b.c
	type used struct {
		first, last int
		id          string
		line        int
	}
	outputs := map[string][]used{} // device → outputs taken
	buttons := map[string]map[int]used{}
	displays := map[string]map[int]used{}
	ids := map[string]int{}
	for _, e := range b.list(top, "locations") {
		o := e.obj
		if o == nil {
			continue
		}
		loc := Location{ID: b.str(o, "id"), Device: b.str(o, "device"), Button: -1, Display: -1}
		start := len(c.probs)
		if x := o.get("id"); x != nil && x.ok {
			if first, dup := ids[loc.ID]; dup {
				c.addf(x.line, o.path+".id", "location %q is already defined at line %d: ids must be unique", loc.ID, first)
			} else {
				ids[loc.ID] = x.line
			}
		}
		ch, hasCh := b.optInt(o, "channel")
		px, pxv := b.ints(o, "pixels")
		if x, ok := b.optInt(o, "button"); ok {
			loc.Button = int(x)
		}
		if x, ok := b.optInt(o, "display"); ok {
			loc.Display = int(x)
		}
		switch {
		case isSet(o, "channel") && isSet(o, "pixels"):
			c.add(o.lineOf("pixels"), o.path+".pixels", "set either channel (one output) or pixels ([first, last] of a strip), not both")
		case !isSet(o, "channel") && !isSet(o, "pixels"):
			c.add(o.line, o.path+".channel", "required: the output that lights this location, like channel: 3, or pixels: [first, last] for a strip")
		case hasCh:
			loc.First, loc.Last = int(ch), int(ch)
		case px != nil:
			if px[0] > px[1] {
				c.addf(pxv.line, o.path+".pixels", "first pixel %d is after last pixel %d: write [%d, %d]", px[0], px[1], px[1], px[0])
			} else {
				loc.First, loc.Last, loc.Pixels = int(px[0]), int(px[1]), true
			}
		}
		if len(c.probs) > start || o.bad {
			b.cfg.Locations = append(b.cfg.Locations, loc)
			continue
		}

		dv := o.get("device")
		ent, found := b.devs[loc.Device]
		switch {
		case dv == nil || !dv.ok:
		case !found:
			c.add(dv.line, o.path+".device", noDevice(b.cfg.Devices, loc.Device, devices.KindLights))
		case ent.spec.Kind != devices.KindLights:
			c.addf(dv.line, o.path+".device", "%q is a %s, not a lights device", loc.Device, ent.spec.Kind)
		case ent.clean && ent.found && ent.drv.Capacity != nil:
			cp, ok := safeCapacity(ent.drv, ent.spec)
			if !ok {
				c.addf(dv.line, o.path+".device", "the lights driver %s failed to say what %s provides: report this bug", ent.drv.Name, loc.Device)
				break
			}
			what := "output"
			if loc.Pixels {
				what = "pixel"
			}
			if loc.Last >= cp.Outputs {
				key := "channel"
				if loc.Pixels {
					key = "pixels"
				}
				c.addf(o.lineOf(key), o.path+"."+key, "%s %d is out of range: %s", what, loc.Last, rangeOf(loc.Device, what+"s", cp.Outputs))
			}
			if loc.Button >= cp.Inputs {
				c.addf(o.lineOf("button"), o.path+".button", "button %d is out of range: %s", loc.Button, rangeOf(loc.Device, "button inputs", cp.Inputs))
			}
			if loc.Display >= cp.Displays {
				c.addf(o.lineOf("display"), o.path+".display", "display %d is out of range: %s", loc.Display, rangeOf(loc.Device, "displays", cp.Displays))
			}
		}
		if len(c.probs) == start && dv != nil && dv.ok && found {
			for _, u := range outputs[loc.Device] {
				if loc.First <= u.last && u.first <= loc.Last {
					key := "channel"
					if loc.Pixels {
						key = "pixels"
					}
					c.addf(o.lineOf(key), o.path+"."+key, "%s of %s already lit by location %q (line %d): each output belongs to one location",
						span(loc.First, loc.Last), loc.Device, u.id, u.line)
					break
				}
			}
			outputs[loc.Device] = append(outputs[loc.Device], used{loc.First, loc.Last, loc.ID, o.line})
			for _, x := range []struct {
				key string
				n   int
				m   map[string]map[int]used
			}{{"button", loc.Button, buttons}, {"display", loc.Display, displays}} {
				if x.n < 0 {
					continue
				}
				if x.m[loc.Device] == nil {
					x.m[loc.Device] = map[int]used{}
				}
				if u, dup := x.m[loc.Device][x.n]; dup {
					c.addf(o.lineOf(x.key), o.path+"."+x.key, "%s %d of %s is already used by location %q (line %d): each belongs to one location",
						x.key, x.n, loc.Device, u.id, u.line)
				} else {
					x.m[loc.Device][x.n] = used{x.n, x.n, loc.ID, o.line}
				}
			}
		}
		b.cfg.Locations = append(b.cfg.Locations, loc)
	}
}

func span(first, last int) string {
	if first == last {
		return "output " + strconv.Itoa(first)
	}
	return fmt.Sprintf("pixels %d..%d", first, last)
}

func rangeOf(dev, what string, n int) string {
	if n <= 0 {
		return fmt.Sprintf("%s has no %s", dev, what)
	}
	return fmt.Sprintf("%s has %s 0..%d", dev, what, n-1)
}

// noDevice says that no device is called name, listing those of kind.
func noDevice(specs []devices.Spec, name, kind string) string {
	var names []string
	for _, d := range specs {
		if d.Kind == kind && d.Name != "" {
			names = append(names, d.Name)
		}
	}
	msg := fmt.Sprintf("no device is named %q", name)
	switch {
	case suggest(name, names) != "":
		msg += fmt.Sprintf(": did you mean %q?", suggest(name, names))
	case len(names) > 0:
		msg += fmt.Sprintf(": the %s devices are %s", kind, strings.Join(names, ", "))
	default:
		msg += fmt.Sprintf(": add a %s device to devices", kind)
	}
	return msg
}
