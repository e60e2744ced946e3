package config

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/stationd/stationd/devices"
)

// typ is the YAML type a key takes.
type typ uint8

const (
	tString   typ = iota + 1
	tInt          // whole number
	tNumber       // whole or decimal number
	tBool         // true or false
	tDuration     // Go duration string: "30s", "800ms", "168h"
	tMap          // mapping with the fixed keys listed below it in the table
	tDict         // mapping from free names to entries of one shape (pack.carriers)
	tList         // sequence of elem
	tRefused      // a key that is never accepted; refused says why and what to do instead
)

func (t typ) String() string {
	switch t {
	case tString:
		return "string"
	case tInt:
		return "int"
	case tNumber:
		return "number"
	case tBool:
		return "bool"
	case tDuration:
		return "duration"
	case tMap:
		return "mapping"
	case tDict:
		return "mapping"
	case tList:
		return "list"
	}
	return "refused"
}

// row is one key of the configuration. The table below is the single source of the validator, the
// defaults the Config gets, the reference documentation (Reference) and the live/restart split of
// Diff: change a key here and all four follow.
type row struct {
	path     string // "mqtt.keepalive"; list elements as "devices[].baud"; free names as "pack.carriers.<carrier>.divisor"
	typ      typ
	elem     typ    // element type of a tList
	def      string // default as written in YAML ("" when none); checked like a value at start-up
	defDoc   string // default as the reference shows it when def cannot say it ("<site>-<station>")
	doc      string // one or two sentences: what it does, unit
	required bool
	live     bool     // a SIGHUP applies a change without a restart
	file     bool     // a file or directory path; a relative one is taken from the config file's directory
	enum     []string // allowed values (of the elements, for a list)
	pattern  string   // the whole value must match (of the elements, for a list; of the names, for a tDict)
	rng      string   // "lo..hi" of an int, number or duration (either side may be empty)
	zero     string   // what 0 means ("off") when it is allowed outside rng
	length   int      // a list has exactly this many elements
	minItems int      // a list has at least this many elements
	unique   bool     // a list of scalars has no value twice
	refused  string   // tRefused: the message
	example  string   // a value to show when the key is missing
	open     bool     // tMap: keys not in the table are allowed (device entries: driver options)
	claim    bool     // a key of an open mapping that a driver may declare as its own option
	check    func(string) string

	// Filled by init from the fields above.
	re       *regexp.Regexp
	lo, hi   float64 // bounds of tInt, tNumber, tDuration (nanoseconds)
	hasLo    bool
	hasHi    bool
	defv     *val
	parent   string // path of the row above ("" for the top level)
	name     string // last element of the path
	children []*row // in table order
}

var standardBauds = []string{"1200", "2400", "4800", "9600", "19200", "38400", "57600", "115200"}

// keyTable lists every key in the order of the reference.
var keyTable = []*row{
	{path: "site", typ: tString, required: true, pattern: `[A-Za-z0-9_-]{1,32}`, example: "PAR1",
		doc: "Site (warehouse) code, part of every topic and event."},
	{path: "station", typ: tString, required: true, pattern: `[A-Za-z0-9_-]{1,64}`, example: "pack-07",
		doc: "Station name, unique within the site, part of every topic and event."},
	{path: "roles", typ: tList, elem: tString, required: true, minItems: 1, unique: true, example: "[pack]",
		enum: []string{"pack", "pick", "put", "returns"},
		doc:  "Workflows this station runs; a command for another role is answered `role_disabled`."},

	{path: "mqtt", typ: tMap, doc: "Connection to the OMS's MQTT broker."},
	{path: "mqtt.broker", typ: tString, required: true, example: "tcp://127.0.0.1:1883", check: checkBroker,
		doc: "Broker URL `scheme://host:port`, scheme `tcp`, `ssl` (TLS), `ws` or `wss` (websocket, TLS); a websocket URL may carry a path."},
	{path: "mqtt.topic_prefix", typ: tString, def: "wh/v1", check: checkTopicPrefix,
		doc: "First levels of every topic: `<topic_prefix>/<site>/<station>/...`. No `+`, `#`, empty level, leading or trailing `/`."},
	{path: "mqtt.client_id", typ: tString, defDoc: "`<site>-<station>`",
		doc: "MQTT client id; stable, because the session is persistent. Two stations with one id disconnect each other."},
	{path: "mqtt.username", typ: tString, doc: "User name sent to the broker."},
	{path: "mqtt.password_file", typ: tString, file: true,
		doc: "File holding the broker password (one trailing newline is ignored); should be mode 600. Needs `username`."},
	{path: "mqtt.password", typ: tRefused,
		refused: "an inline password is not accepted: put it in a file only stationd can read (chmod 600) and set password_file"},
	{path: "mqtt.tls", typ: tMap, doc: "TLS for `ssl://` and `wss://` brokers. The broker's certificate is always verified."},
	{path: "mqtt.tls.ca_file", typ: tString, file: true,
		doc: "PEM file of the CA certificates that sign the broker's certificate (default: the system's roots)."},
	{path: "mqtt.tls.cert_file", typ: tString, file: true, doc: "PEM client certificate, with `key_file`."},
	{path: "mqtt.tls.key_file", typ: tString, file: true, doc: "PEM private key of `cert_file`."},
	{path: "mqtt.tls.server_name", typ: tString,
		doc: "Host name the broker's certificate must carry, when it differs from the URL's host (for example a broker reached by IP address)."},
	{path: "mqtt.tls.insecure_skip_verify", typ: tRefused,
		refused: "certificate verification cannot be turned off: put the CA that signs the broker's certificate in ca_file, and set server_name when the certificate names another host"},
	{path: "mqtt.tls.insecure", typ: tRefused,
		refused: "certificate verification cannot be turned off: put the CA that signs the broker's certificate in ca_file, and set server_name when the certificate names another host"},
	{path: "mqtt.keepalive", typ: tDuration, def: "30s", rng: "5s..10m",
		doc: "MQTT keep-alive: a dead connection is noticed within 1.5 times this."},
	{path: "mqtt.window", typ: tInt, def: "32", rng: "1..1024",
		doc: "Events published and not yet acknowledged at once (in flight)."},
	{path: "mqtt.reconnect_max", typ: tDuration, def: "30s", rng: "1s..1h",
		doc: "Longest wait between reconnection attempts (the backoff doubles up to it, with jitter)."},

	{path: "storage", typ: tMap, doc: "Local storage: the outbox of events and the station's state."},
	{path: "storage.dir", typ: tString, def: "/var/lib/stationd", file: true,
		doc: "Directory of the station's database files; must be writable by stationd."},
	{path: "storage.max_outbox_mb", typ: tInt, def: "256", rng: "1..65536",
		doc: "Size in MiB at which the outbox is full: telemetry (`scan`, `weight`) is dropped oldest first, and then the station refuses new work."},
	{path: "storage.command_ttl", typ: tDuration, def: "168h", rng: "168h..",
		doc: "How long handled command ids are remembered, so that a re-sent command is answered and not run again."},

	{path: "devices", typ: tList, elem: tMap, open: true,
		doc: "The station's hardware. Besides the keys below, an entry takes its driver's options (see Device drivers); a driver that lists `port`, `baud` or `address` among its options gives it its own meaning."},
	{path: "devices[].name", typ: tString, required: true, pattern: `[A-Za-z0-9_-]{1,32}`, example: "scale1",
		doc: "Unique name of the device in events and in the rest of this file."},
	{path: "devices[].kind", typ: tString, required: true, enum: devices.Kinds, example: "scale", doc: "Kind of device."},
	{path: "devices[].driver", typ: tString, required: true, example: "mt-sics",
		doc: "Driver, one of those built in for the kind (see Device drivers)."},
	{path: "devices[].port", typ: tString, example: "/dev/ttyUSB0", claim: true,
		doc: "Serial port or device node, for drivers that need one."},
	{path: "devices[].baud", typ: tInt, enum: standardBauds, claim: true,
		doc: "Serial speed, for drivers with a serial port (absent: the driver's default)."},
	{path: "devices[].address", typ: tString, example: "tcp://192.168.10.50:9100", claim: true,
		doc: "Address, for drivers that need one. Printers: `tcp://host:port`, `file:/dev/usb/lp0` or `serial:/dev/ttyUSB1?baud=9600`."},

	{path: "telemetry", typ: tMap, doc: "Events sent for monitoring, beyond the workflows'."},
	{path: "telemetry.scans", typ: tBool, def: "false", live: true, doc: "Publish a `scan` event for every scan."},
	{path: "telemetry.weight_ms", typ: tInt, def: "0", rng: "50..3600000", zero: "off", live: true,
		doc: "Publish a `weight` event at most every this many milliseconds."},

	{path: "log", typ: tMap, doc: "Logging to standard error."},
	{path: "log.level", typ: tString, def: "info", enum: []string{"debug", "info", "warn", "error"}, live: true,
		doc: "Least severe level written."},
	{path: "log.format", typ: tString, def: "text", enum: []string{"text", "json"},
		doc: "`text` (key=value) or `json` (one object a line)."},

	{path: "kpi", typ: tMap, doc: "Station KPIs."},
	{path: "kpi.interval", typ: tDuration, def: "5m", rng: "10s..24h", zero: "off", live: true,
		doc: "Period of the `station.kpi` event."},

	{path: "pack", typ: tMap, doc: "The packing workflow (role `pack`)."},
	{path: "pack.scanner", typ: tString, example: "scanner1",
		doc: "Name of the scanner device the packer scans with; required with role `pack`."},
	{path: "pack.scale", typ: tString, example: "scale1",
		doc: "Name of the scale device parcels are weighed on; required with role `pack`."},
	{path: "pack.printer", typ: tString, example: "printer1",
		doc: "Name of the printer device labels go to; required with role `pack`."},
	{path: "pack.weight_tolerance", typ: tMap,
		doc: "Allowed difference between measured and expected weight: the larger of `grams` and `percent` of the expected weight."},
	{path: "pack.weight_tolerance.grams", typ: tInt, def: "50", rng: "0..100000", live: true, doc: "Tolerance in grams."},
	{path: "pack.weight_tolerance.percent", typ: tNumber, def: "5", rng: "0..100", live: true,
		doc: "Tolerance in percent of the expected weight; may be decimal (2.5)."},
	{path: "pack.boxes", typ: tList, elem: tMap, live: true,
		doc: "Boxes the packer may use; scanning a box id picks it, else the smallest that fits is proposed. Required with role `pack`."},
	{path: "pack.boxes[].id", typ: tString, required: true, pattern: `[A-Za-z0-9_./:-]{1,64}`, example: "BOX-S",
		doc: "Box id, as printed on its barcode; unique."},
	{path: "pack.boxes[].inner_mm", typ: tList, elem: tInt, length: 3, rng: "1..10000", required: true, example: "[250, 200, 100]",
		doc: "Inside length, width and height in millimetres: what fits."},
	{path: "pack.boxes[].outer_mm", typ: tList, elem: tInt, length: 3, rng: "1..10000", required: true, example: "[260, 210, 110]",
		doc: "Outside length, width and height in millimetres, each at least the inside one: what the carrier measures."},
	{path: "pack.boxes[].tare_g", typ: tInt, def: "0", rng: "0..100000", doc: "Weight of the empty box in grams."},
	{path: "pack.carriers", typ: tDict, pattern: `[A-Za-z0-9_-]{1,64}`, live: true,
		doc: "Overrides of the carrier rules shipped in `firmware-config/`, by carrier name as in `pack.order`. An absent key keeps the shipped value."},
	{path: "pack.carriers.<carrier>", typ: tMap, doc: "Overrides for one carrier."},
	{path: "pack.carriers.<carrier>.divisor", typ: tInt, rng: "1..1000000", zero: "billed on actual weight",
		doc: "Volumetric divisor in cm³ per kg (5000: L×W×H mm / 5000 = grams)."},
	{path: "pack.carriers.<carrier>.max_weight_g", typ: tInt, rng: "1..10000000", doc: "Heaviest parcel accepted, in grams."},
	{path: "pack.carriers.<carrier>.max_length_mm", typ: tInt, rng: "1..100000", doc: "Longest side accepted, in millimetres."},
	{path: "pack.carriers.<carrier>.max_sum_sides_mm", typ: tInt, rng: "1..100000",
		doc: "Largest length + width + height accepted, in millimetres."},
	{path: "pack.carriers.<carrier>.max_length_girth_mm", typ: tInt, rng: "1..100000",
		doc: "Largest length + 2 × (width + height) accepted, in millimetres."},
	{path: "pack.carriers.<carrier>.rounding_g", typ: tInt, rng: "1..100000",
		doc: "Billing step in grams (500: billed weight rounded up to the next 500 g), reported apart from the volumetric weight."},
	{path: "pack.auto_start", typ: tBool, def: "false", live: true,
		doc: "Open the oldest waiting order by itself when no pack is open."},
	{path: "pack.supervisor_code_file", typ: tString, file: true, live: true,
		doc: "File holding the supervisor override code (one trailing newline is ignored); should be mode 600. Absent: no override."},
	{path: "pack.order_ttl", typ: tDuration, def: "72h", rng: "1h..8760h", live: true,
		doc: "How long a received order that was never packed is kept."},
	{path: "pack.box_fill_factor", typ: tNumber, def: "0.9", rng: "0.5..1", live: true,
		doc: "Share of a box's inside volume the items may fill when the station proposes a box."},
	{path: "pack.station_light", typ: tString, live: true,
		doc: "Id of a location (see `locations`) that shows the packer the outcome of each scan."},
	{path: "pack.language", typ: tString, def: "en", enum: []string{"en", "fr"}, live: true,
		doc: "Language of the messages shown to the packer."},

	{path: "locations", typ: tList, elem: tMap, live: true,
		doc: "Pick-to-light and put-wall locations: which output of which lights device shows each location."},
	{path: "locations[].id", typ: tString, required: true, pattern: `[A-Za-z0-9_./:-]{1,64}`, example: "A-01-02",
		doc: "Location id as the OMS sends it (`pick.tasks` location, `put.wall` slot); unique."},
	{path: "locations[].device", typ: tString, required: true, example: "lights1", doc: "Name of a `lights` device."},
	{path: "locations[].channel", typ: tInt, rng: "0..", doc: "Output (LED) of the device, from 0; or `pixels`."},
	{path: "locations[].pixels", typ: tList, elem: tInt, length: 2, rng: "0..",
		doc: "First and last pixel of a strip, inclusive, from 0; or `channel`."},
	{path: "locations[].button", typ: tInt, rng: "0..", doc: "Input (confirm button) of the device, from 0."},
	{path: "locations[].display", typ: tInt, rng: "0..", doc: "Quantity display of the device, from 0."},

	{path: "pick", typ: tMap, doc: "The pick-to-light workflow (roles `pick` and `put`)."},
	{path: "pick.long_press", typ: tDuration, def: "800ms", rng: "100ms..10s", live: true,
		doc: "A button held this long reports a short pick (fewer than asked)."},
	{path: "pick.debounce", typ: tDuration, def: "20ms", rng: "1ms..500ms",
		doc: "A button's state must hold this long to count."},
}

// rows indexes keyTable by path; topRows are the rows of the top level.
var (
	rows    = map[string]*row{}
	topRows []*row
)

func init() {
	for _, r := range keyTable {
		if err := r.compile(); err != nil {
			panic(fmt.Sprintf("config: key table: %s: %v", r.path, err))
		}
		rows[r.path] = r
		if r.parent == "" {
			topRows = append(topRows, r)
		} else {
			p := rows[strings.TrimSuffix(r.parent, "[]")]
			if p == nil {
				panic(fmt.Sprintf("config: key table: %s comes before its parent", r.path))
			}
			p.children = append(p.children, r)
		}
	}
}

// compile fills the derived fields of r and checks its own default against its rules.
func (r *row) compile() error {
	i := strings.LastIndexByte(r.path, '.')
	if strings.HasSuffix(r.path, ">") {
		i = strings.LastIndex(r.path, ".<")
	}
	r.parent, r.name = "", r.path
	if i >= 0 {
		r.parent, r.name = r.path[:i], r.path[i+1:]
	}
	if r.pattern != "" {
		re, err := regexp.Compile(`^(?:` + r.pattern + `)$`)
		if err != nil {
			return err
		}
		r.re = re
	}
	if r.rng != "" {
		lo, hi, ok := strings.Cut(r.rng, "..")
		if !ok {
			return fmt.Errorf("range %q: want lo..hi", r.rng)
		}
		var err error
		if lo != "" {
			r.hasLo = true
			if r.lo, err = r.bound(lo); err != nil {
				return err
			}
		}
		if hi != "" {
			r.hasHi = true
			if r.hi, err = r.bound(hi); err != nil {
				return err
			}
		}
	}
	if r.def != "" {
		c := &checker{file: "default"}
		v := c.scalar(&yaml.Node{Kind: yaml.ScalarNode, Tag: "", Value: r.def, Line: 1}, r, r.typ, r.path)
		if len(c.probs) > 0 || v == nil || !v.ok {
			return fmt.Errorf("default %q: %v", r.def, c.probs)
		}
		r.defv = v
	}
	return nil
}

func (r *row) bound(s string) (float64, error) {
	t := r.typ
	if t == tList {
		t = r.elem
	}
	switch t {
	case tDuration:
		d, err := time.ParseDuration(s)
		return float64(d), err
	case tInt:
		n, err := strconv.ParseInt(s, 10, 64)
		return float64(n), err
	case tNumber:
		return strconv.ParseFloat(s, 64)
	}
	return 0, fmt.Errorf("range on a %v", r.typ)
}

// scalarType is the type of r's values, or of its elements for a list.
func (r *row) scalarType() typ {
	if r.typ == tList {
		return r.elem
	}
	return r.typ
}

// allowed says, in a few words, what values r accepts beyond its type; "" when any.
func (r *row) allowed() string {
	var parts []string
	switch {
	case len(r.enum) > 0:
		parts = append(parts, "one of "+strings.Join(r.enum, ", "))
	case r.re != nil:
		parts = append(parts, "matching "+r.pattern)
	}
	if rg := r.rangeText(); rg != "" {
		parts = append(parts, rg)
	}
	return strings.Join(parts, ", ")
}

// rangeText says r's range: "between 1 and 65536", "0 (off) or between 50 and 3600000".
func (r *row) rangeText() string {
	if !r.hasLo && !r.hasHi {
		return ""
	}
	lo, hi := r.rng[:strings.Index(r.rng, "..")], r.rng[strings.Index(r.rng, "..")+2:]
	var s string
	switch {
	case r.hasLo && r.hasHi:
		s = "between " + lo + " and " + hi
	case r.hasLo:
		s = "at least " + lo
	default:
		s = "at most " + hi
	}
	if r.zero != "" {
		s = "0 (" + r.zero + ") or " + s
	}
	return s
}

// checkBroker checks an MQTT broker URL (contract section 2: tcp://, ssl://, ws://, wss://).
func checkBroker(s string) string {
	const want = "write it as scheme://host:port with scheme tcp, ssl, ws or wss, like tcp://127.0.0.1:1883"
	scheme, _, ok := strings.Cut(s, "://")
	if !ok {
		return fmt.Sprintf("%q is not a broker URL: %s", s, want)
	}
	switch scheme {
	case "tcp", "ssl", "ws", "wss":
	case "mqtt":
		return fmt.Sprintf("scheme %q is not accepted: use tcp:// (or ssl:// for TLS)", scheme)
	case "mqtts", "tls":
		return fmt.Sprintf("scheme %q is not accepted: use ssl://", scheme)
	default:
		return fmt.Sprintf("scheme %q is not accepted: must be tcp://, ssl://, ws:// or wss://", scheme)
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Sprintf("%q is not a valid URL (%v): %s", s, unwrapURL(err), want)
	}
	if u.User != nil {
		return "the broker URL must not carry a user or password: use mqtt.username and mqtt.password_file"
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "the broker URL must not have a query or fragment: " + want
	}
	if u.Path != "" && (scheme == "tcp" || scheme == "ssl") {
		return fmt.Sprintf("a %s:// broker URL has no path: write %s://%s", scheme, scheme, u.Host)
	}
	host, port := u.Hostname(), u.Port()
	if host == "" {
		return fmt.Sprintf("%q has no host: %s", s, want)
	}
	if port == "" {
		return fmt.Sprintf("%q has no port: write it, like %s://%s:%s", s, scheme, hostPort(host), defaultPort(scheme))
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Sprintf("port %q must be between 1 and 65535", port)
	}
	return ""
}

func hostPort(host string) string {
	if strings.Contains(host, ":") {
		return "[" + host + "]"
	}
	return host
}

func defaultPort(scheme string) string {
	switch scheme {
	case "ssl":
		return "8883"
	case "ws":
		return "80"
	case "wss":
		return "443"
	}
	return "1883"
}

func unwrapURL(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

// checkTopicPrefix checks mqtt.topic_prefix against MQTT 3.1.1 section 4.7 (topic names carry no
// wildcard; "$" topics belong to the broker) and the station's own layout (no empty level).
func checkTopicPrefix(s string) string {
	switch {
	case s == "":
		return "must not be empty: the default is wh/v1"
	case strings.ContainsAny(s, "+#"):
		return "must not contain the MQTT wildcards + or #"
	case strings.HasPrefix(s, "/") || strings.HasSuffix(s, "/"):
		return fmt.Sprintf("must not start or end with /: write %s", strings.Trim(s, "/"))
	case strings.Contains(s, "//"):
		return "must not contain an empty level (//)"
	case strings.HasPrefix(s, "$"):
		return "must not start with $: such topics belong to the broker"
	case strings.ContainsRune(s, 0) || !utf8.ValidString(s):
		return "must be valid UTF-8 without NUL"
	case len(s) > 1024:
		return "must be at most 1024 bytes"
	}
	return ""
}
