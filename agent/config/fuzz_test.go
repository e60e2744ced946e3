package config

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that no input makes Parse panic, and that every problem names the file, a line
// within it and a message.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"", "a", "- x", "{", "site: &a [*a]", "x: !!binary aGk=", "? [a]\n: b",
		base + "locations:\n  - {id: A, device: x, pixels: [3, 1]}\n",
		base + "devices:\n  - {name: p, kind: printer, driver: zpl, address: x, extra: {a: [1, {b: c}]}}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("f.yaml", data)
		if err == nil {
			if cfg == nil {
				t.Fatal("nil config without error")
			}
			return
		}
		var errs Errors
		if !errors.As(err, &errs) || len(errs) == 0 {
			t.Fatalf("error %T %v is not a non-empty Errors", err, err)
		}
		// YAML breaks lines at LF, CRLF and a lone CR.
		lines := bytes.Count(bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n")), []byte("\n")) +
			bytes.Count(bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n")), []byte("\r")) + 1
		for _, p := range errs {
			if p.File != "f.yaml" || p.Line < 0 || p.Line > lines || p.Msg == "" {
				t.Errorf("bad problem %#v (file has %d lines)", p, lines)
			}
		}
	})
}
