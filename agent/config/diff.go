package config

import (
	"fmt"
	"sort"
	"strings"
)

// setting is one key of a Config as Diff compares it.
type setting struct {
	key   string // "mqtt.keepalive", "devices[scale1]", "pack.carriers.chronopost"
	row   string // the key table row that says whether it applies live
	value string
}

// Diff names the keys that differ between the running config old and the reloaded config
// updated, split into those a reload (SIGHUP) applies live and those that take effect only after a
// restart. Entries of devices and locations are named by name or id ("devices[scale1]",
// "locations[A-01-02]"), carriers by name ("pack.carriers.chronopost"); an added or removed entry
// counts as changed. Both lists follow the order of the reference.
func Diff(old, updated *Config) (live, restart []string) {
	a, b := index(settings(old)), settings(updated)
	seen := map[string]bool{}
	report := func(s setting) {
		if seen[s.key] {
			return
		}
		seen[s.key] = true
		if rows[s.row].live {
			live = append(live, s.key)
		} else {
			restart = append(restart, s.key)
		}
	}
	for _, s := range b {
		if o, ok := a[s.key]; !ok || o.value != s.value {
			report(s)
		}
	}
	bi := index(b)
	for _, s := range settings(old) {
		if _, ok := bi[s.key]; !ok {
			report(s)
		}
	}
	order := map[string]int{}
	for i, r := range keyTable {
		order[r.path] = i
	}
	for _, l := range [][]string{live, restart} {
		sort.SliceStable(l, func(i, j int) bool { return order[rowOf(l[i])] < order[rowOf(l[j])] })
	}
	return live, restart
}

func index(ss []setting) map[string]setting {
	m := make(map[string]setting, len(ss))
	for _, s := range ss {
		m[s.key] = s
	}
	return m
}

// rowOf returns the table row of a Diff key.
func rowOf(key string) string {
	if i := strings.IndexByte(key, '['); i >= 0 {
		return key[:i]
	}
	if strings.HasPrefix(key, "pack.carriers.") {
		return "pack.carriers"
	}
	return key
}

// settings flattens c into the keys Diff compares. Every row of the key table that is not inside a
// list or carrier entry appears here (a test checks it).
func settings(c *Config) []setting {
	if c == nil {
		return nil
	}
	var out []setting
	add := func(key string, v any) {
		out = append(out, setting{key: key, row: rowOf(key), value: fmt.Sprintf("%v", v)})
	}
	add("site", c.Site)
	add("station", c.Station)
	add("roles", c.Roles)
	m := c.MQTT
	add("mqtt.broker", m.Broker)
	add("mqtt.topic_prefix", m.TopicPrefix)
	add("mqtt.client_id", m.ClientID)
	add("mqtt.username", m.Username)
	add("mqtt.password_file", m.PasswordFile)
	add("mqtt.tls.ca_file", m.TLS.CAFile)
	add("mqtt.tls.cert_file", m.TLS.CertFile)
	add("mqtt.tls.key_file", m.TLS.KeyFile)
	add("mqtt.tls.server_name", m.TLS.ServerName)
	add("mqtt.keepalive", m.Keepalive)
	add("mqtt.window", m.Window)
	add("mqtt.reconnect_max", m.ReconnectMax)
	add("storage.dir", c.Storage.Dir)
	add("storage.max_outbox_mb", c.Storage.MaxOutboxMB)
	add("storage.command_ttl", c.Storage.CommandTTL)
	for _, d := range c.Devices {
		// Spec has a String method: compare its fields.
		add("devices["+d.Name+"]", fmt.Sprintf("%q %q %q %q %d %q %v", d.Name, d.Kind, d.Driver, d.Port, d.Baud, d.Address, d.Options))
	}
	add("telemetry.scans", c.Telemetry.Scans)
	add("telemetry.weight_ms", c.Telemetry.WeightEvery)
	add("log.level", c.Log.Level)
	add("log.format", c.Log.Format)
	add("kpi.interval", c.KPI.Interval)
	p := c.Pack
	add("pack.scanner", p.Scanner)
	add("pack.scale", p.Scale)
	add("pack.printer", p.Printer)
	add("pack.weight_tolerance.grams", p.Tolerance.Mass)
	add("pack.weight_tolerance.percent", p.Tolerance.Percent)
	add("pack.boxes", p.Boxes)
	names := make([]string, 0, len(p.Carriers))
	for n := range p.Carriers {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		add("pack.carriers."+n, carrierString(p.Carriers[n]))
	}
	add("pack.auto_start", p.AutoStart)
	add("pack.supervisor_code_file", p.SupervisorCodeFile)
	add("pack.order_ttl", p.OrderTTL)
	add("pack.box_fill_factor", p.BoxFillFactor)
	add("pack.station_light", p.StationLight)
	add("pack.language", p.Language)
	for _, l := range c.Locations {
		add("locations["+l.ID+"]", fmt.Sprintf("%+v", l))
	}
	add("pick.long_press", c.Pick.LongPress)
	add("pick.debounce", c.Pick.Debounce)
	return out
}

func carrierString(c Carrier) string {
	return fmt.Sprint(deref(c.Divisor), deref(c.MaxWeight), deref(c.MaxLength), deref(c.MaxSumSides),
		deref(c.MaxLengthGirth), deref(c.Rounding))
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}
