package protocol

import (
	"io/fs"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestAsyncAPI(t *testing.T) {
	var doc map[string]any
	if err := yaml.Unmarshal(AsyncAPI, &doc); err != nil {
		t.Fatalf("asyncapi.yaml: %v", err)
	}
	if v, _ := doc["asyncapi"].(string); !strings.HasPrefix(v, "3.") {
		t.Fatalf("asyncapi version %q, want 3.x", v)
	}

	// Every $ref resolves: files in Schemas, pointers in the document.
	refs := 0
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if k == "$ref" {
					refs++
					checkRef(t, doc, e.(string))
				}
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(doc)
	if refs == 0 {
		t.Fatal("no $ref")
	}

	// One channel per command and event type, with the contract's address; QoS 1 everywhere,
	// status alone retained; the station sends events and status and receives commands.
	channels := doc["channels"].(map[string]any)
	addresses := map[string]string{}
	for name, c := range channels {
		addresses[c.(map[string]any)["address"].(string)] = name
	}
	want := map[string]string{"wh/v1/{site}/{station}/status": "send"}
	for _, typ := range eventOrder {
		want["wh/v1/{site}/{station}/evt/"+typ] = "send"
	}
	for _, typ := range commandOrder {
		want["wh/v1/{site}/{station}/cmd/"+typ] = "receive"
	}
	if len(addresses) != len(want) {
		t.Errorf("%d channels, want %d", len(addresses), len(want))
	}
	for addr := range want {
		if _, ok := addresses[addr]; !ok {
			t.Errorf("no channel for %s", addr)
		}
	}
	seen := map[string]bool{}
	for name, o := range doc["operations"].(map[string]any) {
		op := o.(map[string]any)
		ref := op["channel"].(map[string]any)["$ref"].(string)
		ch := channels[strings.TrimPrefix(ref, "#/channels/")].(map[string]any)
		addr := ch["address"].(string)
		seen[addr] = true
		if op["action"] != want[addr] {
			t.Errorf("%s: action %v on %s, want %s", name, op["action"], addr, want[addr])
		}
		mqtt := op["bindings"].(map[string]any)["mqtt"].(map[string]any)
		retained := strings.HasSuffix(addr, "/status")
		if mqtt["qos"] != 1 || mqtt["retain"] != retained {
			t.Errorf("%s: qos %v retain %v", name, mqtt["qos"], mqtt["retain"])
		}
		params := ch["parameters"].(map[string]any)
		if params["site"] == nil || params["station"] == nil {
			t.Errorf("%s: parameters %v", name, params)
		}
	}
	if len(seen) != len(want) {
		t.Errorf("operations cover %d channels, want %d", len(seen), len(want))
	}
}

func checkRef(t *testing.T, doc map[string]any, ref string) {
	t.Helper()
	if file, ok := strings.CutPrefix(ref, "./schema/"); ok {
		if _, err := fs.Stat(Schemas, file); err != nil {
			t.Errorf("$ref %s: %v", ref, err)
		}
		return
	}
	ptr, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		t.Errorf("$ref %s: neither ./schema/ nor #/", ref)
		return
	}
	var cur any = doc
	for _, part := range strings.Split(ptr, "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		switch c := cur.(type) {
		case map[string]any:
			cur = c[part]
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i >= len(c) {
				cur = nil
			} else {
				cur = c[i]
			}
		default:
			cur = nil
		}
		if cur == nil {
			t.Errorf("$ref %s does not resolve", ref)
			return
		}
	}
}
