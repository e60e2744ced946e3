package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
)

// maxSecret bounds a secret file.
const maxSecret = 64 << 10

// ReadSecret reads a secret (the broker password, the supervisor code) from the file at path,
// without one trailing newline ("\n" or "\r\n"). A file that group or others may read is still
// read, with a warning naming the fix ("chmod 600 <file>") for the caller to log. A missing,
// empty or unreadable file is an error that says what to do.
func ReadSecret(path string) (secret, warning string, err error) {
	f, err := os.Open(path)
	if err != nil {
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return "", "", fmt.Errorf("secret file %s does not exist: create it (readable only by stationd: chmod 600) or remove the key that names it", path)
		case errors.Is(err, fs.ErrPermission):
			return "", "", fmt.Errorf("secret file %s: %w: make it readable by the user stationd runs as (chown, then chmod 600)", path, err)
		}
		return "", "", fmt.Errorf("secret file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", "", fmt.Errorf("secret file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return "", "", fmt.Errorf("secret file %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		warning = fmt.Sprintf("secret file %s can be read by other users (mode %04o): chmod 600 %s", path, perm, path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxSecret+1))
	if err != nil {
		return "", "", fmt.Errorf("secret file %s: %w", path, err)
	}
	if len(data) > maxSecret {
		return "", "", fmt.Errorf("secret file %s is larger than %d bytes: is it the right file?", path, maxSecret)
	}
	s := string(data)
	if t, ok := strings.CutSuffix(s, "\n"); ok {
		s, _ = strings.CutSuffix(t, "\r")
	}
	if s == "" {
		return "", "", fmt.Errorf("secret file %s is empty: write the secret in it", path)
	}
	return s, warning, nil
}
