// Package zplcheck runs the shared zplcheck tool (an independent ZPL renderer followed by a
// barcode decoder) from tests, so that labels are checked by something other than the code that
// wrote them.
//
// The tool lives beside the repository, at <repo root>/../shared/tools/zplcheck. When it is
// missing or cannot install its renderer, tests are skipped with the reason, except under CI
// (the CI environment variable set), where they fail: a CI run must not pass without the check.
package zplcheck

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Symbol is one barcode decoded from a rendered label.
type Symbol struct {
	Type string // zbar's symbology name: CODE-128, QR-Code, ...
	Data string // decoded data; a GS1 FNC1 separator shows as 0x1D, the leading FNC1 not at all
}

var (
	once     sync.Once
	toolPath string
	toolErr  error
)

// Tool returns the path of the zplcheck script, found from the module root.
func Tool() (string, error) {
	once.Do(func() {
		out, err := exec.Command("go", "env", "GOMOD").Output()
		if err != nil {
			toolErr = fmt.Errorf("go env GOMOD: %w", err)
			return
		}
		mod := strings.TrimSpace(string(out))
		if mod == "" || mod == os.DevNull {
			toolErr = errors.New("not inside a Go module")
			return
		}
		p := filepath.Join(filepath.Dir(mod), "..", "shared", "tools", "zplcheck")
		if _, err := os.Stat(p); err != nil {
			toolErr = fmt.Errorf("zplcheck not found at %s: %w", p, err)
			return
		}
		toolPath = p
	})
	return toolPath, toolErr
}

// unavailable skips the test, or fails it under CI.
func unavailable(t testing.TB, format string, a ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, a...)
	if os.Getenv("CI") != "" {
		t.Fatalf("zplcheck is required when CI is set: %s", msg)
	}
	t.Skipf("zplcheck unavailable, skipping: %s", msg)
}

// Render renders zpl with zplcheck for a label widthMM × heightMM at dpmm dots per millimetre,
// writes the picture to png (a temporary file when empty) and returns the decoded symbols.
func Render(t testing.TB, zpl []byte, png string, widthMM, heightMM float64, dpmm int) []Symbol {
	t.Helper()
	tool, err := Tool()
	if err != nil {
		unavailable(t, "%v", err)
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "label.zpl")
	if err := os.WriteFile(in, zpl, 0o644); err != nil {
		t.Fatal(err)
	}
	if png == "" {
		png = filepath.Join(dir, "label.png")
	}
	cmd := exec.Command(tool, in, png, fmt.Sprint(widthMM), fmt.Sprint(heightMM), fmt.Sprint(dpmm))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() == 3 {
			unavailable(t, "%s", strings.TrimSpace(stderr.String()))
		}
		t.Fatalf("zplcheck %s: %v\n%s", in, err, stderr.String())
	}
	var syms []Symbol
	for _, line := range strings.Split(stdout.String(), "\n") {
		if line == "" {
			continue
		}
		typ, data, ok := strings.Cut(line, ":")
		if !ok {
			t.Fatalf("zplcheck: unexpected output line %q", line)
		}
		syms = append(syms, Symbol{Type: typ, Data: data})
	}
	return syms
}
