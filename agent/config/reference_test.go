package config

import (
	"strings"
	"testing"
)

func TestReference(t *testing.T) {
	ref := Reference()
	for _, r := range keyTable {
		want := "| `" + r.path + "` |"
		if r.typ == tRefused {
			want = "- `" + r.path + "`: " + r.refused
		}
		if !strings.Contains(ref, want) {
			t.Errorf("reference lacks %s", want)
		}
	}
	for _, want := range []string{
		"| `mqtt.keepalive` | duration | `30s` | MQTT keep-alive: a dead connection is noticed within 1.5 times this. Between 5s and 10m. |",
		"| `mqtt.client_id` | string | `<site>-<station>` |",
		"| `site` | string | required |",
		"| `telemetry.weight_ms` | int | `0` | Publish a `weight` event at most every this many milliseconds. 0 (off) or between 50 and 3600000. *live* |",
		"#### scanner `serial`\n\nSerial (USB CDC) scanner. Needs `port`.\n\n| option | type | default | description |",
		"| `terminator` | string | `\\r` | Line end the scanner sends: \\r, \\n or \\r\\n. |",
		"#### printer `zpl`\n\nZebra ZPL printer. Needs `address`.",
		"#### scanner `evdev`\n\nHID keyboard-wedge scanner read from /dev/input. Needs `port`.\n\nNo options.\n",
	} {
		if !strings.Contains(ref, want) {
			t.Errorf("reference lacks %q", want)
		}
	}
	// Rows are one line each and every table row has four cells.
	for _, line := range strings.Split(ref, "\n") {
		if strings.HasPrefix(line, "| ") && strings.Count(strings.ReplaceAll(line, `\|`, ""), "|") != 5 {
			t.Errorf("malformed row %q", line)
		}
	}
	if Reference() != ref {
		t.Error("Reference is not deterministic")
	}
}
