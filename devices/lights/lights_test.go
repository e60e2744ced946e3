package lights_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stationd/stationd/devices"
	"github.com/stationd/stationd/devices/lights"
)

func TestParseColor(t *testing.T) {
	tests := []struct {
		in   string
		want lights.Color
		err  bool
	}{
		{"green", lights.Green, false},
		{" Green ", lights.Green, false},
		{"OFF", lights.Off, false},
		{"orange", lights.Color{R: 255, G: 165, B: 0}, false},
		{"#00ff00", lights.Green, false},
		{"#00FF00", lights.Green, false},
		{"#123456", lights.Color{R: 0x12, G: 0x34, B: 0x56}, false},
		{"#f80", lights.Color{R: 0xff, G: 0x88, B: 0x00}, false},
		{"", lights.Off, true},
		{"#", lights.Off, true},
		{"#12345", lights.Off, true},
		{"#gg0000", lights.Off, true},
		{"00ff00", lights.Off, true},
		{"purple", lights.Off, true},
		{"#1234567", lights.Off, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := lights.ParseColor(tt.in)
			if tt.err {
				if !errors.Is(err, lights.ErrInvalid) {
					t.Fatalf("ParseColor(%q) = %v, %v; want ErrInvalid", tt.in, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseColor(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestColorStringRoundTrip(t *testing.T) {
	for _, n := range lights.ColorNames() {
		c, err := lights.ParseColor(n)
		if err != nil {
			t.Fatal(err)
		}
		if c.String() != n {
			t.Errorf("%v.String() = %q, want %q", c, c.String(), n)
		}
	}
	c := lights.Color{R: 1, G: 2, B: 3}
	if c.String() != "#010203" {
		t.Errorf("String = %q", c.String())
	}
}

func FuzzParseColor(f *testing.F) {
	for _, s := range []string{"green", "#00ff00", "#abc", "Orange", "#", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := lights.ParseColor(s)
		if err != nil {
			if !errors.Is(err, lights.ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		// Whatever parses prints as something that parses to the same colour.
		back, err := lights.ParseColor(c.String())
		if err != nil || back != c {
			t.Fatalf("%q -> %v -> %q -> %v, %v", s, c, c.String(), back, err)
		}
	})
}

func TestButtonsResolved(t *testing.T) {
	got := lights.Buttons{}.Resolved()
	want := lights.Buttons{Debounce: 20 * time.Millisecond, LongPress: 800 * time.Millisecond, Stuck: 30 * time.Second}
	if got != want {
		t.Errorf("zero resolved to %+v, want %+v", got, want)
	}
	got = lights.Buttons{Debounce: -1, LongPress: -1, Stuck: -1}.Resolved()
	if got != (lights.Buttons{}) {
		t.Errorf("negative resolved to %+v, want all off", got)
	}
	got = lights.Buttons{Debounce: 5 * time.Millisecond}.Resolved()
	if got.Debounce != 5*time.Millisecond {
		t.Errorf("explicit debounce lost: %+v", got)
	}
}

func TestStatusOf(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{nil, devices.StateOK},
		{errors.New("x: " + lights.ErrDisconnected.Error()), devices.StateFault},
		{wrap(lights.ErrDisconnected), devices.StateDisconnected},
		{wrap(lights.ErrStuck), devices.StateFault},
	}
	for _, tt := range tests {
		if got := lights.StatusOf(tt.err); got != tt.want {
			t.Errorf("StatusOf(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

func wrap(err error) error { return errors.Join(errors.New("shelf1"), err) }

func TestTarget(t *testing.T) {
	if n := lights.Channel(3).Len(); n != 1 {
		t.Errorf("Channel(3).Len() = %d", n)
	}
	if n := (lights.Target{First: 4, Last: 9}).Len(); n != 6 {
		t.Errorf("Len = %d", n)
	}
	if n := (lights.Target{First: 4, Last: 3}).Len(); n != 0 {
		t.Errorf("empty Len = %d", n)
	}
}

// fake is a minimal driver for the registry tests.
type fake struct{ lights.Lights }

// fakeOpened counts the opens of the "test-fake" driver, registered once per test binary.
var fakeOpened atomic.Int32

func init() {
	lights.Register("test-fake", lights.Driver{
		Doc:     "registry test",
		Options: []devices.Option{{Key: "n", Type: "int", Default: "1"}},
		Validate: func(s devices.Spec) []devices.FieldError {
			if s.IntOpt("n", 1) < 1 {
				return []devices.FieldError{{Key: "n", Msg: "must be 1 or more"}}
			}
			return nil
		},
		Capacity: func(s devices.Spec) devices.Capacity { return devices.Capacity{Outputs: s.IntOpt("n", 1)} },
		Open: func(ctx context.Context, s devices.Spec, env lights.Env) (lights.Lights, error) {
			fakeOpened.Add(1)
			return fake{}, nil
		},
	})
}

func TestRegistry(t *testing.T) {
	before := fakeOpened.Load()
	opened := func() int32 { return fakeOpened.Load() - before }
	d, ok := devices.Lookup(devices.KindLights, "test-fake")
	if !ok || d.Capacity == nil || d.Capacity(devices.Spec{Options: map[string]any{"n": 7}}).Outputs != 7 {
		t.Fatalf("not recorded in devices: %+v %v", d, ok)
	}
	if _, ok := lights.Lookup("test-fake"); !ok {
		t.Fatal("Lookup failed")
	}
	ctx := context.Background()
	if _, err := lights.Open(ctx, devices.Spec{Name: "l1", Kind: "lights", Driver: "test-fake"}, lights.Env{}); err != nil || opened() != 1 {
		t.Fatalf("Open: %v (opened %d)", err, opened())
	}
	_, err := lights.Open(ctx, devices.Spec{Name: "l1", Driver: "test-fake", Options: map[string]any{"n": 0}}, lights.Env{})
	if !errors.Is(err, lights.ErrInvalid) || !strings.Contains(err.Error(), "n: must be 1 or more") {
		t.Errorf("invalid entry: %v", err)
	}
	_, err = lights.Open(ctx, devices.Spec{Name: "l1", Driver: "nope"}, lights.Env{})
	if !errors.Is(err, lights.ErrInvalid) || !strings.Contains(err.Error(), "test-fake") {
		t.Errorf("unknown driver: %v", err)
	}
	_, err = lights.Open(ctx, devices.Spec{Name: "l1", Kind: "scale", Driver: "test-fake"}, lights.Env{})
	if !errors.Is(err, lights.ErrInvalid) {
		t.Errorf("wrong kind: %v", err)
	}
	if opened() != 1 {
		t.Errorf("invalid entries were opened")
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("duplicate Register did not panic")
			}
		}()
		lights.Register("test-fake", lights.Driver{Capacity: d.Capacity, Open: func(context.Context, devices.Spec, lights.Env) (lights.Lights, error) { return nil, nil }})
	}()
	func() {
		defer func() {
			if recover() == nil {
				t.Error("Register without Open did not panic")
			}
		}()
		lights.Register("test-noopen", lights.Driver{Capacity: d.Capacity})
	}()
}

// TestVectorsCopy checks that testdata/vectors holds the shared vector files unchanged.
func TestVectorsCopy(t *testing.T) {
	for _, name := range []string{"i2c_lights.json", "ws2812.json"} {
		shared := filepath.Join("..", "..", "..", "shared", "vectors", name)
		want, err := os.ReadFile(shared)
		if err != nil {
			t.Skipf("shared vectors not beside the repository: %v", err)
		}
		got, err := os.ReadFile(filepath.Join("testdata", "vectors", name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("testdata/vectors/%s differs from %s: copy the shared file again", name, shared)
		}
	}
}
