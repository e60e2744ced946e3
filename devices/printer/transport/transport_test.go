package transport

import (
	"context"
	"strings"
	"testing"
)

func TestLookup(t *testing.T) {
	for _, tc := range []struct{ addr, rest, err string }{
		{"tcp://10.0.0.5:9100", "10.0.0.5:9100", ""},
		{"file:/dev/usb/lp0", "/dev/usb/lp0", ""},
		{"serial:/dev/ttyUSB1?baud=9600", "/dev/ttyUSB1?baud=9600", ""},
		{"lpd://10.0.0.5", "", "must start with one of file:, serial:, tcp://"},
		{"/dev/usb/lp0", "", "must start with one of"},
	} {
		_, rest, err := Lookup(tc.addr)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Lookup(%q) = %v, want %q", tc.addr, err, tc.err)
			}
			continue
		}
		if err != nil || rest != tc.rest {
			t.Errorf("Lookup(%q) = %q, %v, want %q", tc.addr, rest, err, tc.rest)
		}
	}
}

func TestValidate(t *testing.T) {
	for addr, want := range map[string]string{
		"tcp://printer.local:9100":         "",
		"tcp://[::1]:9100":                 "",
		"tcp://printer.local":              "must be tcp://host:port",
		"tcp://:9100":                      "no host",
		"tcp://h:0":                        "port",
		"file:/dev/usb/lp0":                "",
		"file:dev/usb/lp0":                 "absolute path",
		"serial:/dev/ttyUSB0":              "",
		"serial:/dev/ttyUSB0?baud=115200":  "",
		"serial:/dev/ttyUSB0?baud=fast":    "not a number",
		"serial:/dev/ttyUSB0?baud=1000":    "baud: must be one of",
		"serial:/dev/ttyUSB0?parity=maybe": "parity",
		"serial:/dev/ttyUSB0?flow=rts":     `unknown setting "flow"`,
		"serial:ttyUSB0":                   "absolute device path",
	} {
		err := Validate(addr)
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("Validate(%q) = %v, want %q", addr, err, want)
		}
	}
}

func TestRegisterDuplicate(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("duplicate prefix did not panic")
		}
	}()
	Register("tcp://", Transport{Validate: func(string) error { return nil }, Dial: func(context.Context, string) (Conn, error) { return nil, nil }})
}

func TestDialErrors(t *testing.T) {
	if _, err := dialFile(context.Background(), "/nonexistent/lp0"); err == nil || !strings.Contains(err.Error(), "check the USB cable") {
		t.Errorf("dialFile = %v, want a hint", err)
	}
	if _, err := dialSerial(context.Background(), "/nonexistent/ttyUSB9"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("dialSerial = %v, want not found", err)
	}
}
