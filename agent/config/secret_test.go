package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadSecret(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil { // umask
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name, content string
		mode          os.FileMode
		want, warn    string
		err           string
	}{
		{name: "plain", content: "s3cret", mode: 0o600, want: "s3cret"},
		{name: "newline", content: "s3cret\n", mode: 0o400, want: "s3cret"},
		{name: "crlf", content: "s3cret\r\n", mode: 0o600, want: "s3cret"},
		{name: "one newline only", content: "s3cret\n\n", mode: 0o600, want: "s3cret\n"},
		{name: "spaces kept", content: " s3 cret \n", mode: 0o600, want: " s3 cret "},
		{name: "group readable", content: "s3cret\n", mode: 0o640, want: "s3cret", warn: "chmod 600 "},
		{name: "world readable", content: "s3cret\n", mode: 0o604, want: "s3cret", warn: "(mode 0604): chmod 600 "},
		{name: "empty", content: "\n", mode: 0o600, err: "is empty: write the secret in it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := write(strings.ReplaceAll(tc.name, " ", "_"), tc.content, tc.mode)
			got, warn, err := ReadSecret(p)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("secret = %q, want %q", got, tc.want)
			}
			if tc.warn == "" && warn != "" || !strings.Contains(warn, tc.warn) || (tc.warn != "" && !strings.HasSuffix(warn, p)) {
				t.Errorf("warning = %q, want one with %q and the file", warn, tc.warn)
			}
		})
	}
	t.Run("missing", func(t *testing.T) {
		_, _, err := ReadSecret(filepath.Join(dir, "nope"))
		if err == nil || !strings.Contains(err.Error(), "does not exist: create it") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("directory", func(t *testing.T) {
		_, _, err := ReadSecret(dir)
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("err = %v", err)
		}
	})
}
