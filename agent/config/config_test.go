package config

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stationd/stationd/devices"
	"github.com/stationd/stationd/protocol/units"
)

// base is a valid config of five lines; cases append to it from line 6.
const base = `site: PAR1
station: pick-01
roles: [pick]
mqtt:
  broker: tcp://127.0.0.1:1883
`

// problems formats an error from Parse as "line: path: msg" lines.
func problems(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("error is %T, not Errors: %v", err, err)
	}
	var out []string
	for _, p := range errs {
		if p.File != "station.yaml" {
			t.Errorf("problem %v: file %q", p, p.File)
		}
		s := fmt.Sprintf("%d: %s", p.Line, p.Msg)
		if p.Path != "" {
			s = fmt.Sprintf("%d: %s: %s", p.Line, p.Path, p.Msg)
		}
		out = append(out, s)
	}
	return out
}

func check(t *testing.T, yaml string, want ...string) *Config {
	t.Helper()
	cfg, err := Parse("station.yaml", []byte(yaml))
	got := problems(t, err)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if err == nil && cfg == nil {
		t.Error("no error and no config")
	}
	return cfg
}

func TestRules(t *testing.T) {
	for _, tc := range []struct {
		name string
		yaml string
		want []string
	}{
		// YAML itself.
		{"empty file", "", []string{
			`1: site: required, like site: PAR1`,
			`1: station: required, like station: pack-07`,
			`1: roles: required, like roles: [pack]`,
			`1: mqtt.broker: required, like broker: tcp://127.0.0.1:1883`,
		}},
		{"syntax error", base + "log:\n  level: info\n format: json\n", []string{
			`8: YAML syntax: did not find expected key`}},
		{"syntax error on line 1", "site: a: b\n", []string{
			`1: YAML syntax: mapping values are not allowed in this context`}},
		{"syntax error after CR line ends", strings.ReplaceAll(base, "\n", "\r") + "log:\r  level: info\r format: json\r", []string{
			`8: YAML syntax: did not find expected key`}},
		{"syntax error after CRLF line ends", strings.ReplaceAll(base, "\n", "\r\n") + "log:\r\n  level: info\r\n format: json\r\n", []string{
			`8: YAML syntax: did not find expected key`}},
		{"tab", base + "log:\n\tlevel: info\n", []string{
			`7: YAML syntax: found character that cannot start any token`}},
		{"not a mapping", "- site\n", []string{`1: the file must be a mapping of keys (site:, station:, ...), not a list`}},
		{"two documents", base + "---\nsite: X\n", []string{
			`6: the file holds more than one YAML document (---): keep one`}},
		{"duplicate key", base + "log: {level: info}\nlog: {level: debug}\n", []string{
			`7: log: duplicate key: already set at line 6; keep one`}},
		{"merge key", base + "log:\n  <<: {level: info}\n", []string{
			`7: log: YAML merge keys (<<) are not supported: write the keys out`}},
		{"key not a name", base + "[a]: 1\n", []string{`6: keys must be plain names, not lists or mappings`}},
		{"unknown key with hint", base + "sitee: X\n", []string{
			`6: sitee: unknown key "sitee": did you mean "site"?`}},
		{"unknown key without hint", base + "colour: red\n", []string{
			`6: colour: unknown key "colour": this is either a typo or a key this version does not know`}},
		{"key at the wrong level", base + "topic_prefix: wh/v2\n", []string{
			`6: topic_prefix: unknown key "topic_prefix" here: did you mean mqtt.topic_prefix (under mqtt:)?`}},
		{"section not a mapping", base + "log: debug\n", []string{
			`6: log: must be a mapping of keys (key: value), not the string "debug"`}},
		{"null section", base + "log:\n", nil},
		{"null section with a required key", "site: A\nstation: B\nroles: [put]\nmqtt:\nlog: {}\n", []string{
			`4: mqtt.broker: required, like broker: tcp://127.0.0.1:1883`}},
		{"null required key", "site:\nstation: B\nroles: [put]\nmqtt: {broker: ~}\n", []string{
			`1: site: required, like site: PAR1`,
			`4: mqtt.broker: required, like broker: tcp://127.0.0.1:1883`}},
		{"aliases", base + "pack:\n  boxes:\n    - {id: A, inner_mm: &d [1, 2, 3], outer_mm: *d}\n", nil},

		// site, station, roles.
		{"site pattern", strings.Replace(base, "PAR1", "PAR 1", 1), []string{
			`1: site: must match [A-Za-z0-9_-]{1,32} (got "PAR 1")`}},
		{"site too long", strings.Replace(base, "PAR1", strings.Repeat("A", 33), 1), []string{
			`1: site: must match [A-Za-z0-9_-]{1,32} (got "` + strings.Repeat("A", 33) + `")`}},
		{"site empty", strings.Replace(base, "PAR1", `""`, 1), []string{`1: site: required, like site: PAR1`}},
		{"site null", strings.Replace(base, "PAR1", ``, 1), []string{`1: site: required, like site: PAR1`}},
		{"site bool", strings.Replace(base, "PAR1", `true`, 1), []string{`1: site: must be a string, not true (quote it)`}},
		{"site number kept as written", strings.Replace(base, "PAR1", `0042`, 1), nil},
		{"station too long", strings.Replace(base, "pick-01", strings.Repeat("s", 65), 1), []string{
			`2: station: must match [A-Za-z0-9_-]{1,64} (got "` + strings.Repeat("s", 65) + `")`}},
		{"roles empty", strings.Replace(base, "[pick]", "[]", 1), []string{
			`3: roles: must list at least 1 value: one of pack, pick, put, returns`}},
		{"roles twice", strings.Replace(base, "[pick]", "[pick, put, pick]", 1), []string{
			`3: roles[2]: "pick" is listed twice (first at line 3): list it once`}},
		{"roles unknown", strings.Replace(base, "[pick]", "[picking]", 1), []string{
			`3: roles[0]: must be one of pack, pick, put, returns (got "picking"): did you mean "pick"?`}},
		{"roles scalar", strings.Replace(base, "[pick]", "pick", 1), []string{
			`3: roles: must be a list, not the string "pick", like [pack]`}},

		// mqtt.
		{"mqtt missing", "site: A\nstation: B\nroles: [put]\n", []string{
			`1: mqtt.broker: required, like broker: tcp://127.0.0.1:1883`}},
		{"broker missing", "site: A\nstation: B\nroles: [put]\nmqtt:\n  username: u\n", []string{
			`4: mqtt.broker: required, like broker: tcp://127.0.0.1:1883`}},
		{"broker scheme mqtt", strings.Replace(base, "tcp://", "mqtt://", 1), []string{
			`5: mqtt.broker: scheme "mqtt" is not accepted: use tcp:// (or ssl:// for TLS)`}},
		{"broker scheme http", strings.Replace(base, "tcp://", "http://", 1), []string{
			`5: mqtt.broker: scheme "http" is not accepted: must be tcp://, ssl://, ws:// or wss://`}},
		{"broker no scheme", strings.Replace(base, "tcp://", "", 1), []string{
			`5: mqtt.broker: "127.0.0.1:1883" is not a broker URL: write it as scheme://host:port with scheme tcp, ssl, ws or wss, like tcp://127.0.0.1:1883`}},
		{"broker no port", strings.Replace(base, ":1883", "", 1), []string{
			`5: mqtt.broker: "tcp://127.0.0.1" has no port: write it, like tcp://127.0.0.1:1883`}},
		{"broker ssl no port", strings.Replace(base, "tcp://127.0.0.1:1883", "ssl://broker.example", 1), []string{
			`5: mqtt.broker: "ssl://broker.example" has no port: write it, like ssl://broker.example:8883`}},
		{"broker no host", strings.Replace(base, "127.0.0.1", "", 1), []string{
			`5: mqtt.broker: "tcp://:1883" has no host: write it as scheme://host:port with scheme tcp, ssl, ws or wss, like tcp://127.0.0.1:1883`}},
		{"broker bad port", strings.Replace(base, "1883", "70000", 1), []string{
			`5: mqtt.broker: port "70000" must be between 1 and 65535`}},
		{"broker credentials", strings.Replace(base, "tcp://", "tcp://u:secret@", 1), []string{
			`5: mqtt.broker: the broker URL must not carry a user or password: use mqtt.username and mqtt.password_file`}},
		{"broker tcp path", strings.Replace(base, "1883", "1883/mqtt", 1), []string{
			`5: mqtt.broker: a tcp:// broker URL has no path: write tcp://127.0.0.1:1883`}},
		{"broker wss path", strings.Replace(base, "tcp://127.0.0.1:1883", "wss://[::1]:443/mqtt", 1), nil},
		{"topic wildcard", base + "  topic_prefix: wh/+/v1\n", []string{
			`6: mqtt.topic_prefix: must not contain the MQTT wildcards + or #`}},
		{"topic slash", base + "  topic_prefix: /wh/v1/\n", []string{
			`6: mqtt.topic_prefix: must not start or end with /: write wh/v1`}},
		{"topic empty level", base + "  topic_prefix: wh//v1\n", []string{
			`6: mqtt.topic_prefix: must not contain an empty level (//)`}},
		{"topic dollar", base + "  topic_prefix: $SYS\n", []string{
			`6: mqtt.topic_prefix: must not start with $: such topics belong to the broker`}},
		{"inline password", base + "  username: u\n  password: hunter2\n", []string{
			`7: mqtt.password: an inline password is not accepted: put it in a file only stationd can read (chmod 600) and set password_file`}},
		{"password without user", base + "  password_file: /etc/stationd/mqtt.pw\n", []string{
			`4: mqtt.username: required with password_file: MQTT sends a password only with a user name`}},
		{"cert without key", strings.Replace(base, "tcp://127.0.0.1:1883", "ssl://b:8883", 1) + "  tls: {cert_file: c.pem}\n", []string{
			`6: mqtt.tls.key_file: required with cert_file: the client certificate's private key (PEM)`}},
		{"key without cert", strings.Replace(base, "tcp://127.0.0.1:1883", "ssl://b:8883", 1) + "  tls:\n    key_file: k.pem\n", []string{
			`6: mqtt.tls.cert_file: required with key_file: the client certificate (PEM)`}},
		{"tls with tcp", base + "  tls:\n    ca_file: ca.pem\n", []string{
			`7: mqtt.tls.ca_file: set, but a tcp:// broker does not use TLS: write the broker as ssl://127.0.0.1:8883, or remove the tls keys`}},
		{"tls with ws", strings.Replace(base, "tcp://127.0.0.1:1883", "ws://h:80/mqtt", 1) + "  tls: {server_name: b}\n", []string{
			`6: mqtt.tls.server_name: set, but a ws:// broker does not use TLS: write the broker as wss://h:80/mqtt, or remove the tls keys`}},
		{"tls empty strings with tcp", base + "  tls: {ca_file: \"\", cert_file: \"\", key_file: \"\"}\n", nil},
		{"tls with ssl", strings.Replace(base, "tcp://127.0.0.1:1883", "ssl://b:8883", 1) +
			"  tls: {ca_file: ca.pem, cert_file: c.pem, key_file: k.pem, server_name: broker}\n", nil},
		{"skip verify", base + "  tls:\n    insecure_skip_verify: true\n", []string{
			`7: mqtt.tls.insecure_skip_verify: certificate verification cannot be turned off: put the CA that signs the broker's certificate in ca_file, and set server_name when the certificate names another host`}},
		{"keepalive no unit", base + "  keepalive: 30\n", []string{
			`6: mqtt.keepalive: must be a duration between 5s and 10m, written like "30s", "800ms" or "72h" (units ms, s, m, h), not 30`}},
		{"keepalive range", base + "  keepalive: 2s\n", []string{
			`6: mqtt.keepalive: must be between 5s and 10m (got 2s)`}},
		{"window zero", base + "  window: 0\n", []string{`6: mqtt.window: must be between 1 and 1024 (got 0)`}},
		{"window string", base + "  window: \"32\"\n", []string{
			`6: mqtt.window: must be an integer between 1 and 1024, not the string "32"`}},
		{"window float", base + "  window: 1.5\n", []string{
			`6: mqtt.window: must be an integer between 1 and 1024, not 1.5`}},
		{"window list", base + "  window: [1]\n", []string{
			`6: mqtt.window: must be an integer, not a list`}},
		{"reconnect_max", base + "  reconnect_max: 2h\n", []string{
			`6: mqtt.reconnect_max: must be between 1s and 1h (got 2h)`}},

		// storage.
		{"outbox zero", base + "storage: {max_outbox_mb: 0}\n", []string{
			`6: storage.max_outbox_mb: must be between 1 and 65536 (got 0)`}},
		{"outbox big", base + "storage: {max_outbox_mb: 65537}\n", []string{
			`6: storage.max_outbox_mb: must be between 1 and 65536 (got 65537)`}},
		{"command_ttl", base + "storage:\n  command_ttl: 24h\n", []string{
			`7: storage.command_ttl: must be at least 168h (got 24h)`}},
		{"negative duration", base + "pick: {debounce: -5ms}\n", []string{
			`6: pick.debounce: must be between 1ms and 500ms (got -5ms)`}},

		// devices.
		{"baud", base + "devices:\n  - {name: s1, kind: scanner, driver: serial, port: /dev/ttyACM0, baud: 9600}\n" +
			"  - {name: s2, kind: scanner, driver: serial, port: /dev/ttyACM1, baud: 9601}\n", []string{
			`8: devices[1].baud: must be one of 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200 (got 9601)`}},
		{"baud hex is fine", base + "devices:\n  - {name: s1, kind: scanner, driver: serial, port: /dev/ttyACM0, baud: 0x2580}\n", nil},
		{"unknown common key", base + "devices:\n  - name: s1\n    kind: scanner\n    driver: serial\n    port: /dev/ttyACM0\n    baudrate: 9600\n", []string{
			`11: devices[0].baudrate: unknown key "baudrate": did you mean "baud"?`}},
		{"unknown option", base + "devices:\n  - {name: s1, kind: scanner, driver: serial, port: /dev/ttyACM0, prefix: X}\n", []string{
			`7: devices[0].prefix: unknown key "prefix": this is either a typo or a key this version does not know (the scanner driver serial takes terminator, aim)`}},
		{"unknown option hint", base + "devices:\n  - {name: s1, kind: scanner, driver: serial, port: /dev/ttyACM0, terminater: \"\\n\"}\n", []string{
			`7: devices[0].terminater: unknown key "terminater": did you mean "terminator"?`}},
		{"unknown option no options", base + "devices:\n  - {name: s1, kind: scanner, driver: evdev, port: /dev/input/event3, grab: true}\n", []string{
			`7: devices[0].grab: unknown key "grab": this is either a typo or a key this version does not know (the scanner driver evdev takes no options)`}},
		{"unknown driver", base + "devices:\n  - {name: s1, kind: scanner, driver: serail, port: /dev/ttyACM0}\n", []string{
			`7: devices[0].driver: must be one of evdev, serial for kind scanner (got "serail"): did you mean "serial"?`}},
		{"no drivers of kind", base + "devices:\n  - {name: s1, kind: scale, driver: cas, port: /dev/ttyS0}\n", []string{
			`7: devices[0].driver: must be one of mt-sics, toledo for kind scale (got "cas")`}},
		{"unknown kind", base + "devices:\n  - {name: s1, kind: scaner, driver: serial, port: /dev/ttyACM0}\n", []string{
			`7: devices[0].kind: must be one of scanner, scale, printer, lights (got "scaner"): did you mean "scanner"?`}},
		{"entry missing keys", base + "devices:\n  - port: /dev/ttyACM0\n", []string{
			`7: devices[0].name: required, like name: scale1`,
			`7: devices[0].kind: required, like kind: scale`,
			`7: devices[0].driver: required, like driver: mt-sics`,
		}},
		{"entry not a mapping", base + "devices:\n  - scanner1\n", []string{
			`7: devices[0]: must be a mapping of keys (key: value), not the string "scanner1"`}},
		{"empty entry", base + "devices:\n  -\n", []string{`7: devices[0]: empty entry: remove the lone -`}},
		{"duplicate names", base + "devices:\n  - {name: s1, kind: scanner, driver: serial, port: /dev/ttyACM0}\n" +
			"  - {name: s1, kind: scale, driver: mt-sics, port: /dev/ttyUSB0}\n", []string{
			`8: devices[1].name: "s1" is already the name of devices[0] (line 7): device names must be unique`}},
		{"port missing", base + "devices:\n  - {name: s1, kind: scanner, driver: serial}\n", []string{
			`7: devices[0].port: required by the scanner driver serial: the serial port or device node, like port: /dev/ttyUSB0`}},
		{"address on a port driver", base + "devices:\n  - {name: s1, kind: scanner, driver: serial, port: /dev/ttyACM0, address: \"tcp://x:1\"}\n", []string{
			`7: devices[0].address: the scanner driver serial takes no address: set port instead`}},
		{"address missing", base + "devices:\n  - name: p1\n    kind: printer\n    driver: zpl\n", []string{
			`7: devices[0].address: required by the printer driver zpl: tcp://host:port, file:/dev/usb/lp0 or serial:/dev/ttyUSB1?baud=9600`}},
		{"port and baud on an address driver", base + "devices:\n  - {name: p1, kind: printer, driver: zpl, address: \"tcp://p:9100\", port: /dev/ttyUSB1, baud: 9600}\n", []string{
			`7: devices[0].port: the printer driver zpl takes no port: set address instead`,
			`7: devices[0].baud: the printer driver zpl takes no baud: it has no serial port (a serial printer takes its speed in the address: serial:/dev/ttyUSB1?baud=9600)`,
		}},
		{"option type", base + "devices:\n  - {name: p1, kind: printer, driver: zpl, address: \"tcp://p:9100\", dpi: high}\n", []string{
			`7: devices[0].dpi: must be an integer, not the string "high"`}},
		{"option list type", base + "devices:\n  - {name: p1, kind: printer, driver: zpl, address: \"tcp://p:9100\", fonts: A}\n", []string{
			`7: devices[0].fonts: must be a list, not the string "A"`}},
		{"option duration", base + "devices:\n  - {name: w1, kind: scale, driver: mt-sics, port: /dev/ttyUSB0, poll: 200}\n", []string{
			`7: devices[0].poll: must be a duration, written like "30s", "800ms" or "72h" (units ms, s, m, h), not 200`}},
		{"driver validator", base + "devices:\n  - name: p1\n    kind: printer\n    driver: zpl\n    address: \"tcp://p:9100\"\n    dpi: 250\n", []string{
			`11: devices[0].dpi: must be 203, 300 or 600`}},
		{"driver validator missing key at entry line", base + "devices:\n  - name: w1\n    kind: scale\n    driver: toledo\n    port: /dev/ttyS0\n", []string{
			`7: devices[0].unit: required: kg or lb, as set on the scale`}},
		{"validator skipped on a broken entry", base + "devices:\n  - {name: w1, kind: scale, driver: toledo, port: /dev/ttyS0, baud: 1}\n", []string{
			`7: devices[0].baud: must be one of 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200 (got 1)`}},
		{"validator panic", base + "devices:\n  - {name: p1, kind: printer, driver: test-panic, address: x}\n", []string{
			`7: devices[0]: the printer driver test-panic failed to check this entry (boom): report this bug`}},
		{"baud checked with an unknown driver", base + "devices:\n  - {name: s1, kind: scanner, driver: usb, port: /dev/ttyACM0, baud: 9601}\n", []string{
			`7: devices[0].driver: must be one of evdev, serial for kind scanner (got "usb")`,
			`7: devices[0].baud: must be one of 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200 (got 9601)`,
		}},
		{"address claimed by a driver", base + "devices:\n  - {name: l1, kind: lights, driver: test-i2c, address: 0x71}\n", nil},
		{"address claimed by a driver, wrong type", base + "devices:\n  - {name: l1, kind: lights, driver: test-i2c, address: \"tcp://x:1\"}\n", []string{
			`7: devices[0].address: must be an integer, not the string "tcp://x:1"`}},
		{"port on a driver with neither", base + "devices:\n  - {name: l1, kind: lights, driver: test-i2c, port: /dev/i2c-1}\n", []string{
			`7: devices[0].port: the lights driver test-i2c takes no port`}},
		{"option map duplicate", base + "devices:\n  - {name: p1, kind: printer, driver: zpl, address: x, extra: {a: 1, a: 2}}\n", []string{
			`7: devices[0].extra.a: duplicate key: already set at line 7; keep one`}},

		// telemetry, log, kpi.
		{"weight_ms small", base + "telemetry: {weight_ms: 20}\n", []string{
			`6: telemetry.weight_ms: must be 0 (off) or between 50 and 3600000 (got 20)`}},
		{"scans yes", base + "telemetry: {scans: yes}\n", []string{
			`6: telemetry.scans: must be true or false, not the string "yes"`}},
		{"log level", base + "log: {level: verbose}\n", []string{
			`6: log.level: must be one of debug, info, warn, error (got "verbose")`}},
		{"log format", base + "log: {format: jsn}\n", []string{
			`6: log.format: must be one of text, json (got "jsn"): did you mean "json"?`}},
		{"kpi off", base + "kpi: {interval: 0}\n", nil},
		{"kpi short", base + "kpi: {interval: 5s}\n", []string{
			`6: kpi.interval: must be 0 (off) or between 10s and 24h (got 5s)`}},

		// pack.
		{"pack role needs devices and boxes", strings.Replace(base, "[pick]", "[pack]", 1), []string{
			`1: pack.scanner: required with role pack: the name of the scanner device, like scanner: scanner1`,
			`1: pack.scale: required with role pack: the name of the scale device, like scale: scale1`,
			`1: pack.printer: required with role pack: the name of the printer device, like printer: printer1`,
			`1: pack.boxes: required with role pack: at least one box, like - {id: BOX-S, inner_mm: [250, 200, 100], outer_mm: [260, 210, 110], tare_g: 120}`,
		}},
		{"pack role with an empty pack", strings.Replace(base, "[pick]", "[pick, pack]", 1) + "log: {}\npack:\n", []string{
			`7: pack.scanner: required with role pack: the name of the scanner device, like scanner: scanner1`,
			`7: pack.scale: required with role pack: the name of the scale device, like scale: scale1`,
			`7: pack.printer: required with role pack: the name of the printer device, like printer: printer1`,
			`7: pack.boxes: required with role pack: at least one box, like - {id: BOX-S, inner_mm: [250, 200, 100], outer_mm: [260, 210, 110], tare_g: 120}`,
		}},
		{"pack references", base + "devices:\n  - {name: scanner1, kind: scanner, driver: serial, port: /dev/ttyACM0}\n" +
			"  - {name: scale1, kind: scale, driver: mt-sics, port: /dev/ttyUSB0}\n" +
			"pack:\n  scanner: scanner2\n  scale: scanner1\n  printer: printer1\n", []string{
			`10: pack.scanner: no device is named "scanner2": did you mean "scanner1"?`,
			`11: pack.scale: "scanner1" is a scanner, not a scale: name a device of kind scale`,
			`12: pack.printer: no device is named "printer1": add a printer device to devices`,
		}},
		{"tolerance", base + "pack:\n  weight_tolerance: {grams: -1, percent: 100.5}\n", []string{
			`7: pack.weight_tolerance.grams: must be between 0 and 100000 (got -1)`,
			`7: pack.weight_tolerance.percent: must be between 0 and 100 (got 100.5)`,
		}},
		{"tolerance nan", base + "pack:\n  weight_tolerance: {percent: .nan}\n", []string{
			`7: pack.weight_tolerance.percent: must be a number between 0 and 100, not .nan`}},
		{"boxes", base + "pack:\n  boxes:\n" +
			"    - {id: A, inner_mm: [10, 20], outer_mm: [1, 2, 3]}\n" +
			"    - {id: A, inner_mm: [10, 20, 30], outer_mm: [11, 19, 31], tare_g: -1}\n" +
			"    - {id: B, inner_mm: [0, 1, 2], outer_mm: [1, 2, 3]}\n" +
			"    - {id: C}\n", []string{
			`8: pack.boxes[0].inner_mm: must have exactly 3 values, not 2, like [250, 200, 100]`,
			`9: pack.boxes[1].tare_g: must be between 0 and 100000 (got -1)`,
			`9: pack.boxes[1].id: box "A" is already defined at line 8: ids must be unique`,
			`9: pack.boxes[1].outer_mm[1]: must be at least inner_mm[1] (20): outer dimensions include the walls (got 19)`,
			`10: pack.boxes[2].inner_mm[0]: must be between 1 and 10000 (got 0)`,
			`11: pack.boxes[3].inner_mm: required, like inner_mm: [250, 200, 100]`,
			`11: pack.boxes[3].outer_mm: required, like outer_mm: [260, 210, 110]`,
		}},
		{"carriers", base + "pack:\n  carriers:\n    DHL Express: {}\n    gls: {divisor: -1, max_sum_of_sides_mm: 1500}\n    dpd: x\n", []string{
			`8: pack.carriers.DHL Express: name "DHL Express" must match [A-Za-z0-9_-]{1,64}`,
			`9: pack.carriers.gls.divisor: must be 0 (billed on actual weight) or between 1 and 1000000 (got -1)`,
			`9: pack.carriers.gls.max_sum_of_sides_mm: unknown key "max_sum_of_sides_mm": did you mean "max_sum_sides_mm"?`,
			`10: pack.carriers.dpd: must be a mapping of keys (key: value), not the string "x"`,
		}},
		{"carriers not a mapping", base + "pack:\n  carriers: [a]\n", []string{
			`7: pack.carriers: must be a mapping of names to entries, not a list`}},
		{"station light", base + "pack:\n  station_light: L1\n", []string{
			`7: pack.station_light: no location has id "L1": add it to locations`}},
		{"language", base + "pack:\n  language: de\n  box_fill_factor: 0.4\n  order_ttl: 30m\n", []string{
			`7: pack.language: must be one of en, fr (got "de")`,
			`8: pack.box_fill_factor: must be between 0.5 and 1 (got 0.4)`,
			`9: pack.order_ttl: must be between 1h and 8760h (got 30m)`,
		}},

		// locations.
		{"locations", base + "devices:\n" +
			"  - {name: panel, kind: lights, driver: test-panel, port: /dev/i2c-1, leds: 8}\n" + // 7
			"  - {name: strip, kind: lights, driver: test-strip, port: /dev/spidev0.0}\n" + //    8
			"  - {name: w1, kind: scale, driver: mt-sics, port: /dev/ttyUSB0}\n" + //               9
			"locations:\n" + //                                                                     10
			"  - {id: A, device: panel, channel: 0, button: 0, display: 0}\n" + //                   11
			"  - {id: B, device: panel, channel: 0}\n" + //                                          12
			"  - {id: C, device: panel, channel: 8}\n" + //                                          13
			"  - {id: D, device: panel, channel: 1, button: 0, display: 1}\n" + //                   14
			"  - {id: E, device: panel, channel: 2, button: 4, display: 2}\n" + //                   15
			"  - {id: F, device: strip, pixels: [0, 9]}\n" + //                                      16
			"  - {id: G, device: strip, pixels: [5, 12]}\n" + //                                     17
			"  - {id: H, device: strip, pixels: [12, 10]}\n" + //                                    18
			"  - {id: I, device: strip, pixels: [50, 60], display: 0}\n" + //                        19
			"  - {id: J, device: strip, channel: 30, pixels: [30, 31]}\n" + //                       20
			"  - {id: K, device: strip}\n" + //                                                      21
			"  - {id: L, device: w1, channel: 0}\n" + //                                             22
			"  - {id: M, device: lamp, channel: 0}\n" + //                                           23
			"  - {id: A, device: panel, channel: 3}\n" + //                                          24
			"  - {id: N, device: panel, channel: -1}\n", //                                          25
			[]string{
				`12: locations[1].channel: output 0 of panel already lit by location "A" (line 11): each output belongs to one location`,
				`13: locations[2].channel: output 8 is out of range: panel has outputs 0..7`,
				`14: locations[3].button: button 0 of panel is already used by location "A" (line 11): each belongs to one location`,
				`15: locations[4].button: button 4 is out of range: panel has button inputs 0..3`,
				`15: locations[4].display: display 2 is out of range: panel has displays 0..1`,
				`17: locations[6].pixels: pixels 5..12 of strip already lit by location "F" (line 16): each output belongs to one location`,
				`18: locations[7].pixels: first pixel 12 is after last pixel 10: write [10, 12]`,
				`19: locations[8].pixels: pixel 60 is out of range: strip has pixels 0..59`,
				`19: locations[8].display: display 0 is out of range: strip has no displays`,
				`20: locations[9].pixels: set either channel (one output) or pixels ([first, last] of a strip), not both`,
				`21: locations[10].channel: required: the output that lights this location, like channel: 3, or pixels: [first, last] for a strip`,
				`22: locations[11].device: "w1" is a scale, not a lights device`,
				`23: locations[12].device: no device is named "lamp": the lights devices are panel, strip`,
				`24: locations[13].id: location "A" is already defined at line 11: ids must be unique`,
				`25: locations[14].channel: must be at least 0 (got -1)`,
			}},
	} {
		t.Run(tc.name, func(t *testing.T) { check(t, tc.yaml, tc.want...) })
	}
}

func TestContractExample(t *testing.T) {
	cfg, err := Load("testdata/contract.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := cfg.ClientID(), "PAR1-pack-07"; got != want {
		t.Errorf("ClientID() = %q, want %q", got, want)
	}
	if got, want := cfg.Prefix(), "wh/v1/PAR1/pack-07"; got != want {
		t.Errorf("Prefix() = %q, want %q", got, want)
	}
	if !cfg.HasRole(RolePack) || cfg.HasRole(RolePick) {
		t.Errorf("roles %v", cfg.Roles)
	}
	d, ok := cfg.Device("printer1")
	if !ok || d.Kind != devices.KindPrinter || d.Driver != "zpl" || d.Address != "tcp://192.168.10.50:9100" {
		t.Errorf("printer1 = %+v, %v", d, ok)
	}
	if d, _ := cfg.Device("scale1"); d.Port != "/dev/ttyUSB0" || d.Baud != 9600 {
		t.Errorf("scale1 = %+v", d)
	}
	if _, ok := cfg.Device("nope"); ok {
		t.Error("Device(nope) found")
	}
	ch := cfg.Pack.Carriers["chronopost"]
	if ch.Divisor == nil || *ch.Divisor != 5000 || ch.MaxWeight == nil || *ch.MaxWeight != 30*units.Kilogram {
		t.Errorf("chronopost = %+v", ch)
	}
	if co := cfg.Pack.Carriers["colissimo"]; co.Divisor != nil || co.MaxLength != nil {
		t.Errorf("colissimo = %+v", co)
	}
	if b := cfg.Pack.Boxes[1]; b.ID != "BOX-M" || b.Outer != [3]units.Length{360, 260, 160} || b.Tare != 210*units.Gram {
		t.Errorf("BOX-M = %+v", b)
	}
	if cfg.Pack.Tolerance != (Tolerance{Mass: 50 * units.Gram, Percent: 5}) {
		t.Errorf("tolerance = %+v", cfg.Pack.Tolerance)
	}
}

func TestDefaults(t *testing.T) {
	cfg := check(t, base)
	want := &Config{
		File: "station.yaml", Site: "PAR1", Station: "pick-01", Roles: []string{"pick"},
		MQTT: MQTT{Broker: "tcp://127.0.0.1:1883", TopicPrefix: "wh/v1", Keepalive: 30 * time.Second, Window: 32,
			ReconnectMax: 30 * time.Second},
		Storage: Storage{Dir: "/var/lib/stationd", MaxOutboxMB: 256, CommandTTL: 168 * time.Hour},
		Log:     Log{Level: slog.LevelInfo, Format: "text"},
		KPI:     KPI{Interval: 5 * time.Minute},
		Pack: Pack{Tolerance: Tolerance{Mass: 50 * units.Gram, Percent: 5}, OrderTTL: 72 * time.Hour,
			BoxFillFactor: 0.9, Language: "en"},
		Pick: Pick{LongPress: 800 * time.Millisecond, Debounce: 20 * time.Millisecond},
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("defaults:\n got %+v\nwant %+v", cfg, want)
	}
}

func TestFull(t *testing.T) {
	cfg, err := Load("testdata/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := filepath.Abs("testdata")
	_ = dir
	if got, want := cfg.MQTT.PasswordFile, filepath.Join("testdata", "secrets/mqtt.pw"); got != want {
		t.Errorf("password_file = %q, want %q (relative to the config file)", got, want)
	}
	if cfg.MQTT.TLS.CAFile != "/etc/stationd/ca.pem" {
		t.Errorf("ca_file = %q", cfg.MQTT.TLS.CAFile)
	}
	if cfg.Log.Level != slog.LevelDebug || cfg.Log.Format != "json" || cfg.KPI.Interval != time.Minute {
		t.Errorf("log %+v, kpi %+v", cfg.Log, cfg.KPI)
	}
	if cfg.Telemetry != (Telemetry{Scans: true, WeightEvery: 250 * time.Millisecond}) {
		t.Errorf("telemetry = %+v", cfg.Telemetry)
	}
	if got, want := cfg.ClientID(), "par1-pack07"; got != want {
		t.Errorf("ClientID() = %q, want %q", got, want)
	}
	if got, want := cfg.Prefix(), "acme/wh/PAR1/pack-07"; got != want {
		t.Errorf("Prefix() = %q, want %q", got, want)
	}
	scanner, _ := cfg.Device("scanner1")
	if want := map[string]any{"terminator": "\r\n", "aim": false}; !reflect.DeepEqual(scanner.Options, want) {
		t.Errorf("scanner1 options = %#v, want %#v", scanner.Options, want)
	}
	printer, _ := cfg.Device("printer1")
	wantOpts := map[string]any{"dpi": 300, "fonts": []any{"0", "A"}, "extra": map[string]any{"speed": 4, "ratio": 0.5, "on": true, "name": "x"}}
	if !reflect.DeepEqual(printer.Options, wantOpts) {
		t.Errorf("printer1 options = %#v, want %#v", printer.Options, wantOpts)
	}
	if l, _ := cfg.Device("chip"); l.Address != "" || !reflect.DeepEqual(l.Options, map[string]any{"address": 0x71}) {
		t.Errorf("chip = %#v: address must be the driver's int option", l)
	}
	if w, _ := cfg.Device("scale1"); w.StringOpt("poll", "") != "100ms" {
		t.Errorf("scale1 options = %#v", w.Options)
	}
	wantLocs := []Location{
		{ID: "PACK", Device: "panel", First: 7, Last: 7, Button: -1, Display: -1},
		{ID: "A-01-01", Device: "panel", First: 0, Last: 0, Button: 0, Display: 0},
		{ID: "A-01-02", Device: "panel", First: 1, Last: 1, Button: 1, Display: 1},
		{ID: "WALL-1", Device: "strip", First: 0, Last: 9, Pixels: true, Button: -1, Display: -1},
		{ID: "WALL-2", Device: "strip", First: 10, Last: 19, Pixels: true, Button: -1, Display: -1},
	}
	if !reflect.DeepEqual(cfg.Locations, wantLocs) {
		t.Errorf("locations:\n got %+v\nwant %+v", cfg.Locations, wantLocs)
	}
	if l, ok := cfg.Location("WALL-2"); !ok || l.Last != 19 {
		t.Errorf("Location(WALL-2) = %+v, %v", l, ok)
	}
	gls := cfg.Pack.Carriers["gls"]
	if gls.Divisor == nil || *gls.Divisor != 0 || *gls.MaxSumSides != 3000 || *gls.MaxLengthGirth != 3000 ||
		*gls.MaxLength != 2000 || *gls.Rounding != 500*units.Gram {
		t.Errorf("gls = %+v", gls)
	}
	if cfg.Pack.Tolerance.Percent != 2.5 || cfg.Pack.BoxFillFactor != 0.8 || cfg.Pack.Language != "fr" ||
		cfg.Pack.StationLight != "PACK" || !cfg.Pack.AutoStart || cfg.Pack.OrderTTL != 48*time.Hour {
		t.Errorf("pack = %+v", cfg.Pack)
	}
}

// TestEveryKeyReachesConfig proves that full.yaml sets every key of the table and that building a
// Config reads every one, and that Diff compares every key outside list and carrier entries.
func TestEveryKeyReachesConfig(t *testing.T) {
	data, err := os.ReadFile("testdata/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	root, err := decode(data)
	if err != nil {
		t.Fatal(err)
	}
	c := &checker{file: "full.yaml"}
	cfg, seen := build(c, root, "full.yaml")
	if len(c.probs) > 0 {
		t.Fatal(c.probs)
	}
	inSettings := map[string]bool{}
	for _, s := range settings(cfg) {
		inSettings[s.row] = true
		if rows[s.row] == nil {
			t.Errorf("Diff key %s has no row %s", s.key, s.row)
		}
	}
	for _, r := range keyTable {
		if r.typ == tRefused {
			continue
		}
		if !seen[r.path] {
			t.Errorf("key %s is never read into the Config (or full.yaml lacks it)", r.path)
		}
		inside := strings.Contains(r.path, "[]") || strings.Contains(r.path, "<")
		if r.typ != tMap && !inside && !inSettings[r.path] {
			t.Errorf("key %s is not compared by Diff", r.path)
		}
	}
}

func TestTable(t *testing.T) {
	for _, r := range keyTable {
		if r.doc == "" && r.typ != tRefused {
			t.Errorf("%s: no doc", r.path)
		}
		if r.required && r.def != "" {
			t.Errorf("%s: required with a default", r.path)
		}
		if r.rng != "" && r.scalarType() != tInt && r.scalarType() != tNumber && r.scalarType() != tDuration {
			t.Errorf("%s: range on a %v", r.path, r.typ)
		}
		if r.live && r.parent != "" && rows[strings.TrimSuffix(r.parent, "[]")].typ != tMap {
			t.Errorf("%s: live inside a list or dict: mark the list", r.path)
		}
	}
}

func TestDiff(t *testing.T) {
	old, err := Load("testdata/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile("testdata/full.yaml")
	edit := strings.NewReplacer(
		"level: debug", "level: warn",
		"grams: 40", "grams: 60",
		"keepalive: 20s", "keepalive: 25s",
		"baud: 115200", "baud: 9600",
		"{divisor: 6000}", "{divisor: 5000}",
		"  - {id: WALL-2, device: strip, pixels: [10, 19]}\n", "",
		"debounce: 30ms", "debounce: 40ms",
	).Replace(string(data))
	nu, err := Parse("testdata/full.yaml", []byte(edit))
	if err != nil {
		t.Fatal(err)
	}
	live, restart := Diff(old, nu)
	wantLive := []string{"log.level", "pack.weight_tolerance.grams", "pack.carriers.chronopost", "locations[WALL-2]"}
	wantRestart := []string{"mqtt.keepalive", "devices[scanner1]", "pick.debounce"}
	if !reflect.DeepEqual(live, wantLive) || !reflect.DeepEqual(restart, wantRestart) {
		t.Errorf("Diff = %q, %q\nwant %q, %q", live, restart, wantLive, wantRestart)
	}
	if l, r := Diff(old, old); l != nil || r != nil {
		t.Errorf("Diff(same) = %q, %q", l, r)
	}
	if l, r := Diff(nu, old); !reflect.DeepEqual(l, wantLive) || !reflect.DeepEqual(r, wantRestart) {
		t.Errorf("Diff(reverse) = %q, %q", l, r)
	}
}

func TestLoad(t *testing.T) {
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml")); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing) = %v", err)
	}
	big := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(big, []byte(base+"# "+strings.Repeat("x", MaxFileSize)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(big)
	if err == nil || !strings.Contains(err.Error(), "big.yaml: the file is larger than") {
		t.Errorf("Load(big) = %v", err)
	}
}

func TestAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString(base + "devices:\n  - {name: p1, kind: printer, driver: zpl, address: x, fonts: &a0 [x, x, x, x, x, x, x, x, x, x]}\n")
	for i := 1; i < 12; i++ {
		fmt.Fprintf(&b, "  - {name: p%d, kind: printer, driver: zpl, address: x, fonts: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]}\n",
			i+1, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	_, err := Parse("station.yaml", []byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "expands to more than") {
		t.Errorf("err = %v", err)
	}
}

func TestAliasCycle(t *testing.T) {
	_, err := Parse("station.yaml", []byte(base+"devices:\n  - {name: p1, kind: printer, driver: zpl, address: x, extra: &a {b: *a}}\n"))
	if err == nil || !strings.Contains(err.Error(), "nested more than") {
		t.Errorf("err = %v", err)
	}
}

func TestTolerance(t *testing.T) {
	tol := Tolerance{Mass: 50 * units.Gram, Percent: 2.5}
	for _, tc := range []struct{ expected, want units.Mass }{
		{0, 50 * units.Gram},
		{1000 * units.Gram, 50 * units.Gram},
		{4000 * units.Gram, 100 * units.Gram},
		{4001 * units.Gram, 100025 * units.Milligram},
		{1, 50 * units.Gram},
	} {
		if got := tol.Allowed(tc.expected); got != tc.want {
			t.Errorf("Allowed(%v) = %v, want %v", tc.expected, got, tc.want)
		}
	}
}

func TestSuggest(t *testing.T) {
	names := []string{"name", "kind", "driver", "port", "baud", "address"}
	for _, tc := range []struct{ in, want string }{
		{"baudrate", "baud"},
		{"Baud", "baud"},
		{"drvier", "driver"},
		{"adress", "address"},
		{"prot", "port"},
		{"colour", ""},
		{"x", ""},
		{"", ""},
	} {
		if got := suggest(tc.in, names); got != tc.want {
			t.Errorf("suggest(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestProblemString(t *testing.T) {
	for _, tc := range []struct {
		p    Problem
		want string
	}{
		{Problem{"station.yaml", 24, "devices[1].baud", "must be one of 1200"}, "station.yaml:24: devices[1].baud: must be one of 1200"},
		{Problem{"station.yaml", 3, "", "YAML syntax: x"}, "station.yaml:3: YAML syntax: x"},
		{Problem{"station.yaml", 0, "", "too big"}, "station.yaml: too big"},
	} {
		if got := tc.p.String(); got != tc.want {
			t.Errorf("%q, want %q", got, tc.want)
		}
	}
	e := Errors{{"a.yaml", 1, "site", "x"}, {"a.yaml", 2, "station", "y"}}
	if got, want := e.Error(), "a.yaml:1: site: x\na.yaml:2: station: y"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}

// TestParseConcurrent lets the race detector see Parse called from several goroutines, as a
// SIGHUP reload may run beside a check.
func TestParseConcurrent(t *testing.T) {
	data, err := os.ReadFile("testdata/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	for range 4 {
		go func() {
			_, err := Parse("full.yaml", data)
			done <- err
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
