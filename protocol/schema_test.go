package protocol

import (
	"bytes"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

const schemaBase = "file:///stationd/protocol/schema/"

// compileSchemas compiles every file of Schemas, by name.
func compileSchemas(t *testing.T) map[string]*jsonschema.Schema {
	t.Helper()
	names, err := fs.Glob(Schemas, "*.json")
	if err != nil || len(names) == 0 {
		t.Fatalf("no schema embedded: %v", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	for _, n := range names {
		b, err := fs.ReadFile(Schemas, n)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		if err := c.AddResource(schemaBase+n, doc); err != nil {
			t.Fatalf("%s: %v", n, err)
		}
	}
	out := map[string]*jsonschema.Schema{}
	for _, n := range names {
		s, err := c.Compile(schemaBase + n)
		if err != nil {
			t.Fatalf("%s does not compile: %v", n, err)
		}
		out[n] = s
	}
	return out
}

func instance(t *testing.T, b []byte) any {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return v
}

func TestSchemasCompileAndExamplesValidate(t *testing.T) {
	schemas := compileSchemas(t)
	for _, n := range slices.Sorted(maps.Keys(schemas)) {
		t.Run(n, func(t *testing.T) {
			b, _ := fs.ReadFile(Schemas, n)
			var doc struct {
				Schema   string            `json:"$schema"`
				Examples []json.RawMessage `json:"examples"`
			}
			if err := json.Unmarshal(b, &doc); err != nil {
				t.Fatal(err)
			}
			if doc.Schema != draft2020 {
				t.Errorf("$schema = %q, want %q", doc.Schema, draft2020)
			}
			if len(doc.Examples) == 0 {
				t.Fatal("no examples")
			}
			for i, ex := range doc.Examples {
				if err := schemas[n].Validate(instance(t, ex)); err != nil {
					t.Errorf("example %d: %v", i, err)
				}
				// The Go side accepts every example too.
				var err error
				switch {
				case strings.HasPrefix(n, "cmd."), n == "envelope.command.json":
					_, _, perr := DecodeCommand("", ex)
					if perr != nil {
						err = perr
					}
				case strings.HasPrefix(n, "evt."), n == "envelope.event.json":
					_, _, err = DecodeEvent(ex)
				case n == "status.json":
					_, err = DecodeStatus(ex)
				}
				if err != nil {
					t.Errorf("example %d refused by Go: %v", i, err)
				}
			}
		})
	}
}

// TestGoValuesValidate marshals every sample Go value, in its envelope, and validates it against
// its schema and the envelope schema.
func TestGoValuesValidate(t *testing.T) {
	schemas := compileSchemas(t)
	for typ, samples := range commandSamples() {
		for i, d := range samples {
			b := mustJSON(t, sampleCommand(t, i+1, d))
			for _, n := range []string{CommandSchema(typ), "envelope.command.json"} {
				if err := schemas[n].Validate(instance(t, b)); err != nil {
					t.Errorf("%s sample %d against %s: %v", typ, i, n, err)
				}
			}
		}
	}
	for typ, samples := range eventSamples() {
		for i, d := range samples {
			b := mustJSON(t, sampleEvent(t, i+1, d))
			for _, n := range []string{EventSchema(typ), "envelope.event.json"} {
				if err := schemas[n].Validate(instance(t, b)); err != nil {
					t.Errorf("%s sample %d against %s: %v", typ, i, n, err)
				}
			}
		}
	}
	for i, s := range []interface{ Payload() ([]byte, error) }{sampleBirth(), sampleBirthAlarm(), Offline{Reason: OfflineLost}, Offline{Reason: OfflineShutdown}, Birth{Version: "dev", StartedAt: NewTime(sampleTime)}} {
		b, err := s.Payload()
		if err != nil {
			t.Fatalf("status %d: %v", i, err)
		}
		if err := schemas["status.json"].Validate(instance(t, b)); err != nil {
			t.Errorf("status %d: %v", i, err)
		}
	}
}

// typeConstants returns the string constants of the file's const blocks whose names start with
// prefix, as the source declares them.
func typeConstants(t *testing.T, file, prefix string) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			for i, name := range vs.Names {
				if !strings.HasPrefix(name.Name, prefix) || i >= len(vs.Values) {
					continue
				}
				if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					v, _ := strconv.Unquote(lit.Value)
					out = append(out, v)
				}
			}
		}
	}
	return out
}

// TestTypesHaveSchemas checks that every command and event type constant is registered, has a
// schema file and samples, and that every schema file belongs to a type.
func TestTypesHaveSchemas(t *testing.T) {
	files := map[string]bool{}
	names, _ := fs.Glob(Schemas, "*.json")
	for _, n := range names {
		files[n] = true
	}
	check := func(kind string, consts, registered []string, schema func(string) string, samples map[string]int) {
		if !slices.Equal(slices.Sorted(slices.Values(consts)), slices.Sorted(slices.Values(registered))) {
			t.Errorf("%s constants %v differ from the registry %v", kind, consts, registered)
		}
		for _, typ := range consts {
			if !files[schema(typ)] {
				t.Errorf("%s %s: no schema file %s", kind, typ, schema(typ))
			}
			delete(files, schema(typ))
			if samples[typ] == 0 {
				t.Errorf("%s %s: no sample value", kind, typ)
			}
		}
	}
	cs := map[string]int{}
	for k, v := range commandSamples() {
		cs[k] = len(v)
	}
	es := map[string]int{}
	for k, v := range eventSamples() {
		es[k] = len(v)
	}
	check("command", typeConstants(t, "commands.go", "Command"), commandOrder, CommandSchema, cs)
	check("event", typeConstants(t, "events.go", "Event"), eventOrder, EventSchema, es)
	for _, n := range []string{"envelope.command.json", "envelope.event.json", "status.json"} {
		if !files[n] {
			t.Errorf("no %s", n)
		}
		delete(files, n)
	}
	for n := range files {
		t.Errorf("schema %s belongs to no command or event type", n)
	}
	// Every sample decodes to its own Go type.
	for typ, samples := range eventSamples() {
		for _, d := range samples {
			if d.EventType() != typ {
				t.Errorf("sample %T listed under %s", d, typ)
			}
		}
	}
	for typ, samples := range commandSamples() {
		for _, d := range samples {
			if d.CommandType() != typ {
				t.Errorf("sample %T listed under %s", d, typ)
			}
		}
	}
}

// mutants returns variants of tree (decoded with UseNumber), each breaking or bending one
// place: a field removed, a value replaced by one of another type or out of range, an array
// item removed or duplicated, an unknown field added.
func mutants(tree any) []any {
	replacements := []any{
		nil, "", "x", "a\x01b", strings.Repeat("a", 300), true, false,
		json.Number("0"), json.Number("-1"), json.Number("1"), json.Number("2"), json.Number("1.0"),
		json.Number("1.5"), json.Number("1e20"), json.Number("-1e20"), json.Number("5000"),
		map[string]any{}, []any{}, []any{"x"}, []any{json.Number("1"), json.Number("2"), json.Number("3")},
	}
	var out []any
	// at calls fn with a setter for every place in v; set(nil, true) deletes an object key.
	var walk func(v any, set func(any) any)
	walk = func(v any, set func(any) any) {
		for _, r := range replacements {
			out = append(out, set(r))
		}
		switch x := v.(type) {
		case map[string]any:
			out = append(out, set(withKey(x, "x_unknown", json.Number("1"))))
			for _, k := range slices.Sorted(maps.Keys(x)) {
				out = append(out, set(withoutKey(x, k)))
				walk(x[k], func(nv any) any { return set(withKey(x, k, nv)) })
			}
		case []any:
			if len(x) > 0 {
				out = append(out, set(slices.Clone(x[1:])), set(append(slices.Clone(x), deepCopy(x[0]))))
			}
			for i := range x {
				walk(x[i], func(nv any) any {
					c := slices.Clone(x)
					c[i] = nv
					return set(c)
				})
			}
		}
	}
	walk(tree, func(nv any) any { return nv })
	return out
}

func withKey(m map[string]any, k string, v any) map[string]any {
	c := maps.Clone(m)
	c[k] = v
	return c
}

func withoutKey(m map[string]any, k string) map[string]any {
	c := maps.Clone(m)
	delete(c, k)
	return c
}

func deepCopy(v any) any {
	b, _ := json.Marshal(v)
	c, _ := decodeTree(b)
	return c
}

// goVerdict says whether the Go side accepts payload as the message of schema file n, and
// whether a refusal comes from a rule JSON Schema cannot express.
func goVerdict(t *testing.T, n string, payload []byte) (ok, goOnly bool, msg string) {
	t.Helper()
	switch {
	case n == "envelope.command.json":
		_, err := ParseCommand("", payload)
		if err != nil && err.Code != CodeUnknownType { // the envelope schema does not list types
			return false, false, err.Error()
		}
		return true, false, ""
	case strings.HasPrefix(n, "cmd."):
		c, err := ParseCommand("", payload)
		if err != nil {
			return false, false, err.Error()
		}
		spec := commandSpecs[c.Type]
		tree, perr := parseJSON(c.Data)
		if perr != nil {
			t.Fatalf("%s: data of an accepted envelope is not JSON: %v", n, perr)
		}
		_, ferr := spec.rule.validate(tree, "data", true)
		_, _, derr := DecodeCommand("", payload)
		if (ferr == nil) != (derr == nil) {
			t.Errorf("%s: DecodeCommand says %v, the data rule says %v: %s", n, derr, ferr, payload)
		}
		if ferr != nil {
			return false, ferr.goOnly, ferr.Error()
		}
		return true, false, ""
	case n == "envelope.event.json":
		tree, perr := parseJSON(payload)
		if perr != nil {
			return false, false, perr.Error()
		}
		if _, ferr := eventEnvelope.validate(tree, "", false); ferr != nil {
			return false, ferr.goOnly, ferr.Error()
		}
		return true, false, ""
	case strings.HasPrefix(n, "evt."):
		typ := strings.TrimSuffix(strings.TrimPrefix(n, "evt."), ".json")
		tree, perr := parseJSON(payload)
		if perr != nil {
			return false, false, perr.Error()
		}
		_, ferr := eventSpecs[typ].envelope.validate(tree, "", false)
		_, _, derr := DecodeEvent(payload)
		if m, _ := tree.(map[string]any); m != nil && m["type"] == typ && (ferr == nil) != (derr == nil) {
			t.Errorf("%s: DecodeEvent says %v, the envelope rule says %v: %s", n, derr, ferr, payload)
		}
		if ferr != nil {
			return false, ferr.goOnly, ferr.Error()
		}
		return true, false, ""
	case n == "status.json":
		_, err := DecodeStatus(payload)
		if err != nil {
			return false, false, err.Error()
		}
		return true, false, ""
	}
	t.Fatalf("no Go decoder for %s", n)
	return false, false, ""
}

// TestSchemaAgreesWithGo feeds thousands of mutated examples to both the JSON Schema and the
// Go decoder: both must accept or both refuse, except where Go applies a rule JSON Schema
// cannot say (unique line ids, billable_g arithmetic, seq order), which the schema's
// description states.
func TestSchemaAgreesWithGo(t *testing.T) {
	schemas := compileSchemas(t)
	total, goOnly := 0, 0
	for _, n := range slices.Sorted(maps.Keys(schemas)) {
		t.Run(n, func(t *testing.T) {
			b, _ := fs.ReadFile(Schemas, n)
			var doc struct {
				Examples []json.RawMessage `json:"examples"`
			}
			if err := json.Unmarshal(b, &doc); err != nil {
				t.Fatal(err)
			}
			failures := 0
			for _, ex := range doc.Examples {
				tree, err := decodeTree(ex)
				if err != nil {
					t.Fatal(err)
				}
				for _, m := range mutants(tree) {
					payload, err := json.Marshal(m)
					if err != nil {
						t.Fatal(err)
					}
					total++
					schemaErr := schemas[n].Validate(instance(t, payload))
					ok, only, msg := goVerdict(t, n, payload)
					if ok == (schemaErr == nil) {
						continue
					}
					if !ok && only {
						goOnly++
						continue
					}
					if failures++; failures <= 10 {
						t.Errorf("schema valid=%v (%v), Go valid=%v (%s):\n%s", schemaErr == nil, schemaErr, ok, msg, payload)
					}
				}
			}
		})
	}
	t.Logf("%d mutated payloads, %d refused by a Go-only rule", total, goOnly)
}
