// Package config loads and checks the station's YAML configuration (contract section 2).
//
// Parse reports every problem of a file at once, each with the file, the line and the key
// ("station.yaml:24: devices[1].baud: must be one of 1200, ..."), before anything touches a
// device: stationd run and stationd check-config share it. Device entries are checked against the
// registered drivers (devices.Lookup): their port or address, their options and the driver's own
// validator, and pick-to-light locations against the lights driver's Capacity.
//
// One table of keys drives the checks, the defaults, the reference documentation (Reference) and
// which changes a SIGHUP can apply without a restart (Diff), so that none of them can drift.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/stationd/stationd/devices"
	"github.com/stationd/stationd/protocol/units"
)

// Roles a station can have (roles in the config).
const (
	RolePack    = "pack"
	RolePick    = "pick"
	RolePut     = "put"
	RoleReturns = "returns"
)

// Config is a checked station configuration with every default applied.
type Config struct {
	File      string   // the file it was read from, as given to Load or Parse
	Site      string   // site
	Station   string   // station
	Roles     []string // roles, in file order
	MQTT      MQTT
	Storage   Storage
	Devices   []devices.Spec // devices, in file order
	Telemetry Telemetry
	Log       Log
	KPI       KPI
	Pack      Pack
	Locations []Location // locations, in file order
	Pick      Pick
}

// MQTT is the broker connection (mqtt).
type MQTT struct {
	Broker       string // tcp://, ssl://, ws:// or wss:// URL with host and port
	TopicPrefix  string // topic_prefix, default "wh/v1"; see Config.Prefix for the station's own
	ClientID     string // client_id as written ("" for the default); see Config.ClientID
	Username     string
	PasswordFile string // read it with ReadSecret; "" when none
	TLS          TLS
	Keepalive    time.Duration // default 30s
	Window       int           // events in flight, default 32
	ReconnectMax time.Duration // backoff cap, default 30s
}

// TLS holds the broker's TLS files. Certificate verification is always on.
type TLS struct {
	CAFile     string // "" for the system's roots
	CertFile   string // client certificate, with KeyFile
	KeyFile    string
	ServerName string // name to verify instead of the URL's host; "" for the host
}

// Storage is the local storage (storage).
type Storage struct {
	Dir         string        // default /var/lib/stationd
	MaxOutboxMB int           // default 256
	CommandTTL  time.Duration // how long handled command ids are remembered, default and minimum 168h
}

// Telemetry says which monitoring events are sent (telemetry).
type Telemetry struct {
	Scans bool // a scan event for every scan
	// WeightEvery is the shortest interval between weight events (telemetry.weight_ms); 0 is off.
	WeightEvery time.Duration
}

// Log is the logging setup (log).
type Log struct {
	Level  slog.Level // default info
	Format string     // "text" (default) or "json"
}

// KPI is the station.kpi event setup (kpi).
type KPI struct {
	Interval time.Duration // default 5m; 0 is off
}

// Pack is the packing workflow (pack).
type Pack struct {
	Scanner, Scale, Printer string // device names; set when the station has the pack role
	Tolerance               Tolerance
	Boxes                   []Box              // in file order
	Carriers                map[string]Carrier // overrides of the shipped carrier rules, by carrier name
	AutoStart               bool
	SupervisorCodeFile      string // read it with ReadSecret; "" when overrides are off
	OrderTTL                time.Duration
	BoxFillFactor           float64 // 0.5..1
	StationLight            string  // a location id, or ""
	Language                string  // "en" or "fr"
}

// Tolerance is the allowed weight difference: the larger of Mass and Percent of the expected weight.
type Tolerance struct {
	Mass    units.Mass // pack.weight_tolerance.grams
	Percent float64
}

// Allowed returns the tolerance for an expected weight, rounded up to the milligram.
func (t Tolerance) Allowed(expected units.Mass) units.Mass {
	e := expected
	if e < 0 {
		e = -e
	}
	p := units.Mass(math.Ceil(float64(e) * t.Percent / 100))
	return max(t.Mass, p)
}

// Box is one entry of pack.boxes.
type Box struct {
	ID    string
	Inner [3]units.Length // length, width, height as written
	Outer [3]units.Length
	Tare  units.Mass
}

// Carrier overrides the shipped rules of one carrier; nil fields keep the shipped value.
type Carrier struct {
	// Divisor is the volumetric divisor in cm³/kg; a pointer to 0 means billed on actual weight.
	Divisor        *int64
	MaxWeight      *units.Mass
	MaxLength      *units.Length
	MaxSumSides    *units.Length
	MaxLengthGirth *units.Length // length + 2 × (width + height)
	Rounding       *units.Mass   // billing step
}

// Location is one entry of locations: where a lights device shows a pick-to-light location.
type Location struct {
	ID     string
	Device string // a lights device
	// First and Last are the outputs (LED channel or strip pixels) that light, inclusive: a
	// channel N gives First = Last = N.
	First, Last int
	Pixels      bool // written as pixels, not channel
	Button      int  // input index, or -1 without a button
	Display     int  // display index, or -1 without a display
}

// Pick is the pick-to-light workflow (pick).
type Pick struct {
	LongPress time.Duration // default 800ms
	Debounce  time.Duration // default 20ms
}

// Device returns the device named name.
func (c *Config) Device(name string) (devices.Spec, bool) {
	for _, d := range c.Devices {
		if d.Name == name {
			return d, true
		}
	}
	return devices.Spec{}, false
}

// Location returns the location with id.
func (c *Config) Location(id string) (Location, bool) {
	for _, l := range c.Locations {
		if l.ID == id {
			return l, true
		}
	}
	return Location{}, false
}

// HasRole says whether the station has role r (RolePack, ...).
func (c *Config) HasRole(r string) bool {
	for _, x := range c.Roles {
		if x == r {
			return true
		}
	}
	return false
}

// ClientID returns the MQTT client id: mqtt.client_id, or "<site>-<station>" when it is empty.
func (c *Config) ClientID() string {
	if c.MQTT.ClientID != "" {
		return c.MQTT.ClientID
	}
	return c.Site + "-" + c.Station
}

// Prefix returns the station's topic prefix P = "<topic_prefix>/<site>/<station>" (contract
// section 3): topics are P + "/status", P + "/evt/<type>" and P + "/cmd/<type>".
func (c *Config) Prefix() string {
	return c.MQTT.TopicPrefix + "/" + c.Site + "/" + c.Station
}

// MaxFileSize is the largest config file accepted.
const MaxFileSize = 1 << 20

// Load reads and checks the config file at path. A file with problems gives an Errors listing
// all of them; a file that cannot be read gives the read error.
func Load(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("config: read %s: %w", path, err)
	}
	return Parse(path, data)
}

// Parse checks data, the contents of the file name. name prefixes every problem, and relative
// file paths in the config are taken from its directory. A config with problems gives an Errors
// listing all of them, in line order.
func Parse(name string, data []byte) (*Config, error) {
	c := &checker{file: name}
	if len(data) > MaxFileSize {
		c.addf(0, "", "the file is larger than %d bytes: is it the right file?", MaxFileSize)
		return nil, c.probs
	}
	root, err := decode(data)
	if err != nil {
		c.add(syntaxLine(data, err), "", syntaxMsg(err))
		return nil, c.probs
	}
	cfg, _ := build(c, root, name)
	if len(c.probs) > 0 {
		sort.SliceStable(c.probs, func(i, j int) bool { return c.probs[i].Line < c.probs[j].Line })
		return nil, c.probs
	}
	return cfg, nil
}

// errMultiDoc reports a file holding more than one YAML document.
var errMultiDoc = errors.New("yaml: the file holds more than one YAML document (---): keep one")

// decode parses data into the node of its document (nil for an empty file). A panic of the YAML
// parser on hostile input is turned into an error.
func decode(data []byte) (root *yaml.Node, err error) {
	defer func() {
		if v := recover(); v != nil {
			root, err = nil, fmt.Errorf("yaml: the parser failed on this file (%v)", v)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			return nil, nil
		}
		return nil, err
	}
	var more yaml.Node
	switch err := dec.Decode(&more); {
	case err == io.EOF:
	case err != nil:
		return nil, err
	default:
		return nil, multiDoc{line: more.Line}
	}
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		return doc.Content[0], nil
	}
	return nil, nil
}

type multiDoc struct{ line int }

func (m multiDoc) Error() string { return errMultiDoc.Error() }

// lineEnd returns the index just after the line that starts at i: YAML breaks lines at LF, CRLF
// and a lone CR (YAML 1.2 section 5.4).
func lineEnd(data []byte, i int) int {
	j := bytes.IndexAny(data[i:], "\r\n")
	if j < 0 {
		return len(data)
	}
	j += i
	if data[j] == '\r' && j+1 < len(data) && data[j+1] == '\n' {
		j++
	}
	return j + 1
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// syntaxMsg turns a yaml.v3 error into a message without its "yaml: line N:" prefix.
func syntaxMsg(err error) string {
	s := err.Error()
	if m := yamlLine.FindString(s); m != "" {
		s = s[len(m):]
	}
	s = strings.TrimPrefix(s, "yaml: ")
	if _, ok := err.(multiDoc); ok {
		return s
	}
	return "YAML syntax: " + s
}

// maxSyntaxScan bounds the bytes syntaxLine re-parses in all.
const maxSyntaxScan = 8 << 20

// syntaxLine finds the line of a YAML syntax error. yaml.v3 reports the line where the enclosing
// construct starts, counted from 0 for some errors, and no line at all on the first line; the
// first whole-line prefix of the file that fails with the same message is where the problem is.
func syntaxLine(data []byte, err error) int {
	if m, ok := err.(multiDoc); ok {
		return m.line
	}
	msg := syntaxMsg(err)
	line, spent := 0, 0
	for end := 0; end < len(data); {
		end = lineEnd(data, end)
		line++
		if spent += end; spent > maxSyntaxScan {
			break
		}
		if _, e := decode(data[:end]); e != nil && syntaxMsg(e) == msg {
			return line
		}
	}
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 1
}
