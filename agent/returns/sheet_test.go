package returns

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stationd/stationd/devices/printer/zpl"
	fwreturns "github.com/stationd/stationd/firmware-config/returns"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var sheetBoxes = []string{"BOX-S", "BOX-M", "BOX-L"}

// TestSheetGolden compares the sheet's ZPL with testdata; go test -update rewrites them.
func TestSheetGolden(t *testing.T) {
	for _, c := range []struct {
		file  string
		dpi   int
		lang  string
		boxes []string
	}{
		{"sheet.zpl", 203, "en", sheetBoxes},
		{"sheet-fr-300.zpl", 300, "fr", []string{"BOX-XS", "BOX-S", "BOX-M", "BOX-L", "BOX-XL", "BOX-XXL", "BOX-^~_1"}},
	} {
		t.Run(c.file, func(t *testing.T) {
			got, err := Sheet(c.dpi, c.lang, c.boxes)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", c.file)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Sheet(%d, %s) differs from %s (go test -update rewrites it):\n%s", c.dpi, c.lang, path, got)
			}
		})
	}
}

// TestSheetContent checks what the sheet must hold, whatever its layout: every barcode of the
// station once, as Code 128, fields escaped, labels that pass the ZPL checker.
func TestSheetContent(t *testing.T) {
	rules, _ := fwreturns.Default()
	for _, lang := range []string{"en", "fr", ""} {
		for _, dpi := range zpl.DPIs {
			t.Run(fmt.Sprintf("%q/%d", lang, dpi), func(t *testing.T) {
				boxes := append(slices.Clone(sheetBoxes), "BOX-^~_1")
				b, err := Sheet(dpi, lang, boxes)
				if err != nil {
					t.Fatal(err)
				}
				pages := splitLabels(b)
				if len(pages) != 2 {
					t.Errorf("%d labels, want 2", len(pages))
				}
				for i, p := range pages {
					if err := zpl.Check("sheet", p); err != nil {
						t.Errorf("label %d: %v", i+1, err)
					}
				}
				for _, code := range sheetCodes(rules, boxes) {
					fd := "^FH_^FD>:" + code + "^FS" // started in subset B
					if code == "BOX-^~_1" {
						// ^ and ~ as Code 128 invocations (>< and >=), then _ escaped by ^FH.
						fd = "^FH_^FD>:BOX-><>=_5F1^FS"
					}
					if n := bytes.Count(b, []byte(fd)); n != 1 {
						t.Errorf("%q appears %d times as a Code 128 field %s, want once", code, n, fd)
					}
				}
				if n, want := bytes.Count(b, []byte("^BCN,")), len(sheetCodes(rules, boxes)); n != want {
					t.Errorf("%d Code 128 symbols, want %d", n, want)
				}
				if bytes.Contains(b, []byte("BOX-^")) || bytes.Contains(b, []byte("^~")) {
					t.Error("a box id reached the ZPL unescaped")
				}
			})
		}
	}
}

func TestSheetErrors(t *testing.T) {
	for _, c := range []struct {
		dpi   int
		lang  string
		boxes []string
		want  string
	}{
		{200, "en", nil, "returns: sheet: 200 dpi: must be 203, 300 or 600"},
		{203, "de", nil, `returns: sheet: language "de": must be en or fr`},
		{203, "en", []string{"CARTON-É"}, "not ASCII: Code 128 cannot carry it"},
	} {
		_, err := Sheet(c.dpi, c.lang, c.boxes)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Sheet(%d, %q, %q) error %v, want %q", c.dpi, c.lang, c.boxes, err, c.want)
		}
	}
	// Many boxes flow onto more labels, each heading repeated.
	var many []string
	for i := range 30 {
		many = append(many, fmt.Sprintf("BOX-%02d", i))
	}
	b, err := Sheet(203, "en", many)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(splitLabels(b)); n != 5 {
		t.Errorf("%d labels for 30 boxes, want 5", n)
	}
	if n := bytes.Count(b, []byte("Boxes (packing) (continued)")); n != 3 {
		t.Errorf("continued heading %d times, want 3", n)
	}
}

// sheetCodes returns every code the sheet must carry.
func sheetCodes(r *fwreturns.Rules, boxes []string) []string {
	var out []string
	for _, x := range r.Reasons {
		out = append(out, x.Barcode)
	}
	for _, x := range r.Conditions {
		out = append(out, x.Barcode)
	}
	for _, c := range Controls() {
		out = append(out, c.Code)
	}
	return append(out, boxes...)
}

// splitLabels cuts ZPL into its ^XA ... ^XZ formats.
func splitLabels(b []byte) [][]byte {
	var out [][]byte
	for len(b) > 0 {
		i := bytes.Index(b, []byte("^XZ"))
		if i < 0 {
			break
		}
		end := i + 3
		if end < len(b) && b[end] == '\n' {
			end++
		}
		out = append(out, b[:end])
		b = b[end:]
	}
	return out
}

// TestSheetDecodes renders every label of the sheet with the shared zplcheck tool (an
// independent renderer and zbar) and checks that each barcode decodes to its code, at every
// resolution. It is skipped, with the reason, when the tool cannot run, and fails then under CI.
func TestSheetDecodes(t *testing.T) {
	tool := zplcheckTool(t)
	rules, _ := fwreturns.Default()
	boxes := append(slices.Clone(sheetBoxes), "BOX-^~_1")
	want := sheetCodes(rules, boxes)
	slices.Sort(want)
	for _, dpi := range zpl.DPIs {
		t.Run(fmt.Sprint(dpi), func(t *testing.T) {
			b, err := Sheet(dpi, "en", boxes)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for i, p := range splitLabels(b) {
				for _, s := range renderZPL(t, tool, p, zpl.DotsPerMM(dpi), fmt.Sprintf("sheet-%d-%d", dpi, i+1)) {
					typ, data, _ := strings.Cut(s, ":")
					if typ != "CODE-128" {
						t.Errorf("label %d: decoded %s, want CODE-128 only", i+1, s)
					}
					got = append(got, data)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("decoded:\n %q\nwant:\n %q", got, want)
			}
		})
	}
}

// zplcheckTool returns the path of /work/shared/tools/zplcheck (beside the module), skipping the
// test when it is missing, or failing it when CI is set.
func zplcheckTool(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		zplcheckUnavailable(t, "go env GOMOD: %v", err)
	}
	p := filepath.Join(filepath.Dir(strings.TrimSpace(string(out))), "..", "shared", "tools", "zplcheck")
	if _, err := os.Stat(p); err != nil {
		zplcheckUnavailable(t, "%v", err)
	}
	return p
}

func zplcheckUnavailable(t *testing.T, format string, a ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, a...)
	if os.Getenv("CI") != "" {
		t.Fatalf("zplcheck is required when CI is set: %s", msg)
	}
	t.Skipf("zplcheck unavailable, skipping: %s", msg)
}

// renderZPL renders one 4 × 6 in label and returns the decoded symbols as SYMBOLOGY:DATA.
func renderZPL(t *testing.T, tool string, label []byte, dpmm int, name string) []string {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, name+".zpl")
	if err := os.WriteFile(in, label, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(tool, in, filepath.Join(dir, name+".png"), fmt.Sprint(SheetWidthMM), fmt.Sprint(SheetHeightMM), fmt.Sprint(dpmm))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() == 3 {
			zplcheckUnavailable(t, "%s", strings.TrimSpace(stderr.String()))
		}
		t.Fatalf("zplcheck %s: %v\n%s", in, err, stderr.String())
	}
	var out []string
	for _, l := range strings.Split(stdout.String(), "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}
