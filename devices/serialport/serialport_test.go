package serialport

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/stationd/stationd/devices"
)

func TestOpenPTY(t *testing.T) {
	master, slave, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	defer master.Close()
	name := slave.Name()
	slave.Close()

	p, err := Open(name, Config{Baud: 9600})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := master.Write([]byte("hello\r")); err != nil {
		t.Fatal(err)
	}
	if err := p.SetReadTimeout(2 * time.Second); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	var got []byte
	for len(got) < 6 {
		n, err := p.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Fatalf("read timed out after %q", got)
		}
		got = append(got, buf[:n]...)
	}
	if !bytes.Equal(got, []byte("hello\r")) {
		t.Errorf("read %q", got)
	}
	// Unplug: closing the master makes Read fail with an error IsClosed recognises.
	master.Close()
	p.SetReadTimeout(0)
	_, err = p.Read(buf)
	if err == nil || !IsClosed(err) {
		t.Errorf("after unplug: Read error %v, want one IsClosed accepts", err)
	}
}

func TestCloseUnblocksRead(t *testing.T) {
	master, slave, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	defer master.Close()
	name := slave.Name()
	slave.Close()
	p, err := Open(name, Config{})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := p.Read(make([]byte, 8))
		done <- err
	}()
	p.Close()
	if err := <-done; !IsClosed(err) {
		t.Errorf("Read after Close: %v, want closed", err)
	}
}

func TestOpenErrors(t *testing.T) {
	_, err := Open("/dev/does-not-exist-stationd", Config{})
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "/dev/serial/by-id") {
		t.Errorf("missing port: %v", err)
	}
	f := filepath.Join(t.TempDir(), "plain")
	os.WriteFile(f, nil, 0o600)
	if _, err := Open(f, Config{}); err == nil || !strings.Contains(err.Error(), f) {
		t.Errorf("plain file: %v", err)
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		name string
		spec devices.Spec
		keys []string
	}{
		{"defaults", devices.Spec{Baud: 9600}, nil},
		{"bad baud", devices.Spec{Baud: 9601}, []string{"baud"}},
		{"bad everything", devices.Spec{Options: map[string]any{"data_bits": 9, "parity": "x", "stop_bits": "3"}}, []string{"data_bits", "parity", "stop_bits"}},
		{"numeric stop bits", devices.Spec{Options: map[string]any{"stop_bits": 2, "parity": "even", "data_bits": 7}}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			var keys []string
			for _, e := range Validate(c.spec) {
				keys = append(keys, e.Key)
			}
			if strings.Join(keys, ",") != strings.Join(c.keys, ",") {
				t.Errorf("keys with errors %v, want %v", keys, c.keys)
			}
		})
	}
}
