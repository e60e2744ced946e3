package agent

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

// TestDependencyRules keeps the layering of STYLE.md true (after Tailscale's deptest): the wire
// contract depends on nothing, devices never on the agent, and each third-party library stays in
// the one package that owns it, so that a new import of it is a visible decision.
func TestDependencyRules(t *testing.T) {
	out, err := exec.Command("go", "list", "-e", "-json", "github.com/stationd/stationd/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const mod = "github.com/stationd/stationd/"
	// owner: third-party import path prefix -> package prefixes allowed to import it, and why.
	owners := []struct {
		dep     string
		allowed []string
		why     string
	}{
		{"go.etcd.io/bbolt", []string{"agent/outbox"}, "the outbox owns the store; others use its Tx"},
		{"github.com/eclipse/paho.mqtt.golang", []string{"agent/uplink"}, "the uplink owns the MQTT client"},
		{"go.bug.st/serial", []string{"devices/serialport"}, "serial ports open through devices/serialport (error hints in one place)"},
		{"github.com/mochi-mqtt/server", []string{"agent/broker"}, "the in-process broker is for the demo and tests only"},
		{"periph.io/x/host", []string{"devices/lights"}, "only lights drivers touch the board's buses"},
		{"gopkg.in/yaml.v3", []string{"agent/config", "devices/", "firmware-config"}, "YAML is config and profile data"},
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		rel := strings.TrimPrefix(p.ImportPath, mod)
		for _, imp := range p.Imports {
			switch {
			case strings.HasPrefix(rel, "protocol") && strings.Contains(imp, ".") && !strings.HasPrefix(imp, mod+"protocol"):
				t.Errorf("%s imports %s: protocol/ depends on the standard library only (it is the wire contract)", rel, imp)
			case strings.HasPrefix(rel, "devices") && strings.HasPrefix(imp, mod+"agent"):
				t.Errorf("%s imports %s: devices never import the agent", rel, imp)
			}
			for _, o := range owners {
				if !strings.HasPrefix(imp, o.dep) {
					continue
				}
				ok := false
				for _, a := range o.allowed {
					ok = ok || strings.HasPrefix(rel, a)
				}
				if !ok {
					t.Errorf("%s imports %s: %s", rel, imp, o.why)
				}
			}
		}
	}
}
