package config

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// TestGolden checks what check-config prints for each testdata/*.yaml that has a .golden beside it.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.golden")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, golden := range files {
		name := strings.TrimSuffix(filepath.Base(golden), ".golden")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", name+".yaml"))
			if err != nil {
				t.Fatal(err)
			}
			_, err = Parse("station.yaml", data)
			if err == nil {
				t.Fatal("no problems found")
			}
			got := err.Error() + "\n"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("got:\n%s\nwant:\n%s\n(go test -update rewrites the golden file)", got, want)
			}
		})
	}
}

// TestTenMistakes checks that the golden file shows ten distinct mistakes, one per key.
func TestTenMistakes(t *testing.T) {
	data, err := os.ReadFile("testdata/ten-mistakes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Parse("station.yaml", data)
	errs, _ := err.(Errors)
	keys := map[string]bool{}
	for _, p := range errs {
		keys[p.Path] = true
	}
	if len(errs) != 10 || len(keys) != 10 {
		t.Errorf("%d problems on %d keys, want 10 on 10:\n%v", len(errs), len(keys), err)
	}
}
