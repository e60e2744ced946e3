package label

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stationd/stationd/devices/printer/internal/zplcheck"
	"github.com/stationd/stationd/devices/printer/zpl"
)

var update = flag.Bool("update", false, "rewrite testdata/*.zpl and docs/label-shipping.png")

func templates(t testing.TB) map[string]*Template {
	t.Helper()
	ts, err := Templates()
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// want lists, per template, the barcodes a scanner must read from its example label.
var wantSymbols = map[string][]string{
	"shipping":     {"CODE-128:6A12345678901", "QR-Code:PAR1-2026-000042"},
	"gs1-logistic": {"CODE-128:00376104250021234569", "CODE-128:02030123456789023712"},
	"returns":      {"CODE-128:RMA-2026-00017", "QR-Code:RMA-2026-00017"},
}

func TestTemplatesShipped(t *testing.T) {
	ts := templates(t)
	var names []string
	for n := range ts {
		names = append(names, n)
	}
	slices.Sort(names)
	if want := []string{"gs1-logistic", "returns", "shipping"}; !slices.Equal(names, want) {
		t.Errorf("templates = %v, want %v", names, want)
	}
	for n := range wantSymbols {
		if ts[n] == nil {
			t.Errorf("template %s missing", n)
		}
	}
}

// TestGolden renders every template with its example fields at each resolution and compares
// with testdata/<template>-<dpi>.zpl (go test -update rewrites them). Every label passes the
// passthrough check, and zplcheck reads back the barcodes.
func TestGolden(t *testing.T) {
	for name, tmpl := range templates(t) {
		for _, dpi := range zpl.DPIs {
			t.Run(fmt.Sprintf("%s-%d", name, dpi), func(t *testing.T) {
				got, err := Render(tmpl, tmpl.Examples(), dpi)
				if err != nil {
					t.Fatal(err)
				}
				golden := filepath.Join("testdata", fmt.Sprintf("%s-%d.zpl", name, dpi))
				if *update {
					if err := os.WriteFile(golden, got, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run go test -update)", err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s differs from the rendering (go test -update rewrites it):\ngot:\n%s", golden, got)
				}
				if err := zpl.Check("", got); err != nil {
					t.Errorf("template output fails the passthrough check: %v", err)
				}
			})
		}
	}
}

// TestGoldenDecode renders every golden label with zplcheck and compares the barcodes decoded
// with the data put in.
func TestGoldenDecode(t *testing.T) {
	for name := range templates(t) {
		for _, dpi := range zpl.DPIs {
			t.Run(fmt.Sprintf("%s-%d", name, dpi), func(t *testing.T) {
				b, err := os.ReadFile(filepath.Join("testdata", fmt.Sprintf("%s-%d.zpl", name, dpi)))
				if err != nil {
					t.Fatal(err)
				}
				png := ""
				if *update && name == "shipping" && dpi == 203 {
					png, _ = filepath.Abs(filepath.Join("..", "..", "..", "docs", "label-shipping.png"))
				}
				syms := zplcheck.Render(t, b, png, 101.6, 152.4, zpl.DotsPerMM(dpi))
				assertSymbols(t, syms, wantSymbols[name])
			})
		}
	}
}

func assertSymbols(t *testing.T, syms []zplcheck.Symbol, want []string) {
	t.Helper()
	var got []string
	for _, s := range syms {
		got = append(got, s.Type+":"+s.Data)
	}
	slices.Sort(got)
	want = slices.Clone(want)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("decoded %q, want %q", got, want)
	} else {
		t.Logf("zplcheck decoded %q", got)
	}
}

// TestInjection puts command sequences in every kind of field: they are escaped (text,
// Code 128 invocation characters, QR data), the label still passes the passthrough check, and
// the barcodes decode to exactly the data given.
func TestInjection(t *testing.T) {
	tmpl := templates(t)["shipping"]
	f := tmpl.Examples()
	evil := "^XZ^XA^JUS~JR~JA_5E"
	f["ship_to.name"] = "Bob " + evil
	f["ship_to.company"] = `back\slash \& ` + evil
	f["service"] = "\r\n^FS" + evil
	f["tracking_number"] = "TRK>^~_" + "123"
	f["order_id"] = "PAR1^XZ~JA"
	b, err := Render(tmpl, f, 203)
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(b, []byte("^XA")); n != 1 {
		t.Errorf("%d ^XA in the label, want 1:\n%s", n, b)
	}
	if bytes.Contains(b, []byte("~")) || bytes.Contains(b, []byte("^JU")) {
		t.Errorf("a command leaked into the label:\n%s", b)
	}
	if err := zpl.Check("", b); err != nil {
		t.Errorf("passthrough check: %v", err)
	}
	syms := zplcheck.Render(t, b, "", 101.6, 152.4, 8)
	assertSymbols(t, syms, []string{"CODE-128:TRK>^~_123", "QR-Code:PAR1^XZ~JA"})
}

func TestNoTrackingNumber(t *testing.T) {
	tmpl := templates(t)["shipping"]
	f := tmpl.Examples()
	delete(f, "tracking_number")
	delete(f, "service")
	b, err := Render(tmpl, f, 203)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte("ORDER (NO TRACKING NUMBER)")) {
		t.Errorf("no fallback caption:\n%s", b)
	}
	syms := zplcheck.Render(t, b, "", 101.6, 152.4, 8)
	assertSymbols(t, syms, []string{"CODE-128:PAR1-2026-000042", "QR-Code:PAR1-2026-000042"})
}

func TestNestedAndDottedFields(t *testing.T) {
	tmpl := templates(t)["shipping"]
	flat := tmpl.Examples()
	nested := map[string]any{}
	for k, v := range flat {
		parts := strings.Split(k, ".")
		m := nested
		for _, p := range parts[:len(parts)-1] {
			if m[p] == nil {
				m[p] = map[string]any{}
			}
			m = m[p].(map[string]any)
		}
		m[parts[len(parts)-1]] = v
	}
	a, err := Render(tmpl, flat, 203)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Render(tmpl, nested, 203)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("nested fields render differently from dotted keys")
	}
}

func TestFields(t *testing.T) {
	type address struct {
		Name    string `json:"name"`
		Street  string `json:"street"`
		Street2 string `json:"street2,omitempty"`
	}
	f, err := Fields(struct {
		ShipTo  address `json:"ship_to"`
		Weight  int64   `json:"weight_g"`
		OrderID string  `json:"order_id"`
	}{address{"Hélène", "12 rue", ""}, 1234, "A-1"})
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{"ship_to.name": "Hélène", "ship_to.street2": "", "weight_g": "1234", "order_id": "A-1"} {
		if got, _ := lookup(f, path); got != want {
			t.Errorf("%s = %q, want %q", path, got, want)
		}
	}
	if _, err := Fields(42); err == nil {
		t.Error("Fields(42): no error")
	}
}

func TestRenderErrors(t *testing.T) {
	ts := templates(t)
	for _, tc := range []struct {
		tmpl   string
		edit   func(map[string]any)
		fields []string
		msg    string
	}{
		{"shipping", func(f map[string]any) { delete(f, "ship_to.postcode") }, []string{"ship_to.postcode"},
			"label shipping: field ship_to.postcode is required"},
		{"shipping", func(f map[string]any) { f["ship_to.postcode"] = ""; delete(f, "weight_g") }, []string{"weight_g", "ship_to.postcode"},
			"label shipping: fields weight_g, ship_to.postcode are required"},
		{"shipping", func(f map[string]any) { f["tracking_number"] = "TRAÇKING" }, []string{"tracking_number"},
			"label shipping: tracking_number: zpl: code 128 \"TRAÇKING\": 'Ç' at 3 is not ASCII: Code 128 cannot carry it"},
		{"shipping", func(f map[string]any) { f["weight_g"] = "heavy" }, []string{"weight_g"},
			`label shipping: weight_g: "heavy" is not a weight in grams`},
		{"gs1-logistic", func(f map[string]any) { f["sscc"] = "376104250021234560" }, []string{"sscc"},
			"label gs1-logistic: sscc: sscc 376104250021234560: check digit 0 is wrong, expected 9"},
		{"gs1-logistic", func(f map[string]any) { delete(f, "count") }, []string{"content_gtin", "count"},
			"label gs1-logistic: content_gtin, count: zpl: gs1 (37): no data"},
		{"gs1-logistic", func(f map[string]any) { f["content_gtin"] = "03012345678901" }, []string{"content_gtin", "count"},
			"label gs1-logistic: content_gtin, count: zpl: gs1 (02) 03012345678901: check digit 1 is wrong, expected 2"},
		{"returns", func(f map[string]any) { f["rma_id"] = map[string]any{"x": 1} }, []string{"rma_id"},
			"label returns: field rma_id is required"},
	} {
		t.Run(tc.msg, func(t *testing.T) {
			tmpl := ts[tc.tmpl]
			f := tmpl.Examples()
			tc.edit(f)
			_, err := Render(tmpl, f, 203)
			var le *Error
			if !errors.As(err, &le) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if err.Error() != tc.msg {
				t.Errorf("message = %q\nwant      %q", err, tc.msg)
			}
			if !slices.Equal(le.Fields, tc.fields) {
				t.Errorf("fields = %q, want %q", le.Fields, tc.fields)
			}
			if le.Code() != "invalid" {
				t.Errorf("code = %q", le.Code())
			}
		})
	}
	if _, err := Render(ts["shipping"], ts["shipping"].Examples(), 250); err == nil {
		t.Error("250 dpi: no error")
	}
}

func TestParseErrors(t *testing.T) {
	head := "name: t\nsize_mm: [100, 150]\nfields: [{name: a}]\n"
	for _, tc := range []struct{ body, want string }{
		{"name: t\nsize_mm: [100]\nelements: []\n", "size_mm"},
		{head + "elements: []\n", "no elements"},
		{head + "elements: [{type: text, x: 1, y: 1, size: 3, text: '{{b}}'}]\n", "field b is not declared"},
		{head + "elements: [{type: text, x: 1, y: 1, size: 3, text: '{{a | shout}}'}]\n", `unknown filter "shout"`},
		{head + "elements: [{type: text, x: 1, y: 1, size: 3, text: '{{a'}]\n", "without }}"},
		{head + "elements: [{type: txt, x: 1, y: 1}]\n", `unknown type "txt"`},
		{head + "elements: [{type: text, x: 1, y: 1, size: 3, colour: red}]\n", "field colour not found"},
		{head + "elements: [{type: text, x: 200, y: 1, size: 3}]\n", "off the 100 × 150 mm label"},
		{head + "elements: [{type: code128, x: 1, y: 1, module: 0.3, data: x}]\n", "height (mm) is required"},
		{head + "elements: [{type: qr, x: 1, y: 1, module: 0.3, ecc: Z, data: x}]\n", `ecc "Z"`},
		{head + "elements: [{type: text, x: 1, y: 1, size: 3, if: b}]\n", "if/unless field b"},
	} {
		if _, err := Parse("t.yaml", []byte(tc.body)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %v, want an error containing %q", tc.body, err, tc.want)
		}
	}
	_, err := Load(fstest.MapFS{"other.yaml": {Data: []byte(head + "elements: [{type: text, x: 1, y: 1, size: 3, text: x}]\n")}})
	if err == nil || !strings.Contains(err.Error(), "must match the file name") {
		t.Errorf("Load with a mismatched name: %v", err)
	}
}

func TestKgFilter(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want string
	}{{1234, "1.234 kg"}, {float64(50), "0.050 kg"}, {"30000", "30.000 kg"}, {1234.6, "1.235 kg"}, {0, "0.000 kg"}} {
		p, _ := parseTmpl("{{w | kg}}")
		got, err := p.expand(nil, map[string]any{"w": tc.v})
		if err != nil || string(got) != tc.want {
			t.Errorf("kg(%v) = %q, %v, want %q", tc.v, got, err, tc.want)
		}
	}
}

// BenchmarkRenderShipping builds the shipping label from its template (issue #6: under 50 µs).
func BenchmarkRenderShipping(b *testing.B) {
	tmpl := templates(b)["shipping"]
	f := tmpl.Examples()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Render(tmpl, f, 203); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, n := range []string{"shipping.yaml", "gs1-logistic.yaml", "returns.yaml"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "..", "firmware-config", "labels", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, "x")
	}
	f.Fuzz(func(t *testing.T, b []byte, value string) {
		tmpl, err := Parse("fuzz.yaml", b)
		if err != nil {
			return
		}
		fields := tmpl.Examples()
		for _, fd := range tmpl.Fields {
			fields[fd.Name] = value
		}
		out, err := Render(tmpl, fields, 203)
		if err != nil {
			var le *Error
			if !errors.As(err, &le) {
				t.Fatalf("Render error %v is not a *label.Error", err)
			}
			return
		}
		if err := zpl.Check("", out); err != nil {
			t.Fatalf("rendered label fails the passthrough check: %v\n%s", err, out)
		}
	})
}
