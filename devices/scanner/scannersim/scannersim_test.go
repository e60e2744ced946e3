package scannersim

import (
	"context"
	"errors"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stationd/stationd/devices"
	"github.com/stationd/stationd/devices/scanner"
	"github.com/stationd/stationd/devices/scanner/scannertest"
)

func TestConformance(t *testing.T) {
	var sim *Sim
	scannertest.Run(t, scannertest.Harness{
		Name: "scanner1",
		Open: func(t *testing.T) scanner.Scanner {
			s, err := scanner.Open(context.Background(), devices.Spec{Name: "scanner1", Kind: devices.KindScanner, Driver: "sim"},
				devices.Env{Attach: func(name string, v any) { sim = v.(*Sim) }})
			if err != nil {
				t.Fatal(err)
			}
			if sim == nil || sim != s {
				t.Fatal("Open did not attach the Sim it returned")
			}
			return s
		},
		Feed:   func(t *testing.T, data string) { sim.Feed(data) },
		Unplug: func(t *testing.T) { sim.Unplug() },
	})
}

func TestScript(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg, errs := ConfigFromSpec(devices.Spec{Options: map[string]any{
			"script": []any{"]E05901234123457", "]C0ORD-1"}, "interval": "2s", "repeat": true}})
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		start := time.Now()
		s := New("scanner1", cfg)
		var got []string
		var at []time.Duration
		for range 3 {
			sc, err := s.Read(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, sc.Data)
			at = append(at, sc.At.Sub(start))
		}
		if !slices.Equal(got, []string{"]E05901234123457", "]C0ORD-1", "]E05901234123457"}) {
			t.Errorf("scans %q", got)
		}
		if !slices.Equal(at, []time.Duration{2 * time.Second, 4 * time.Second, 6 * time.Second}) {
			t.Errorf("at %v", at)
		}
		// A fed scan comes before the next scripted one.
		time.Sleep(500 * time.Millisecond)
		s.Feed("]C0FED")
		if sc, _ := s.Read(context.Background()); sc.Data != "]C0FED" || sc.At.Sub(start) != 6500*time.Millisecond {
			t.Errorf("fed scan %q at %v", sc.Data, sc.At.Sub(start))
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if _, err := s.Read(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("before the next scripted scan: %v", err)
		}
		if sc, _ := s.Read(context.Background()); sc.Data != "]C0ORD-1" || sc.At.Sub(start) != 8*time.Second {
			t.Errorf("scan %q at %v", sc.Data, sc.At.Sub(start))
		}
	})
}

func TestScriptEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := New("scanner1", Config{Script: []string{"A"}, Interval: time.Second})
		if sc, _ := s.Read(context.Background()); sc.Data != "A" {
			t.Fatalf("%q", sc.Data)
		}
		errc := make(chan error)
		go func() {
			_, err := s.Read(context.Background())
			errc <- err
		}()
		time.Sleep(time.Hour)
		synctest.Wait()
		select {
		case err := <-errc:
			t.Fatalf("Read returned %v after the script ended", err)
		default:
		}
		s.Close()
		if err := <-errc; !errors.Is(err, scanner.ErrClosed) {
			t.Errorf("Read after Close: %v", err)
		}
	})
}

func TestHaltAndUnplug(t *testing.T) {
	s := New("scanner1 (sim)", Config{})
	s.Feed("X")
	s.Halt()
	s.Feed("Y")
	if sc, _ := s.Read(context.Background()); sc.Data != "Y" {
		t.Errorf("after Halt: %q", sc.Data)
	}
	s.Unplug()
	s.Feed("Z")
	if _, err := s.Read(context.Background()); !errors.Is(err, scanner.ErrDisconnected) {
		t.Errorf("after Unplug: %v", err)
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		opts map[string]any
		keys []string
	}{
		{nil, nil},
		{map[string]any{"script": []any{"a", "b"}, "interval": "100ms", "repeat": true}, nil},
		{map[string]any{"script": "a"}, []string{"script"}},
		{map[string]any{"script": []any{"a", 3, ""}}, []string{"script[1]", "script[2]"}},
		{map[string]any{"interval": "1ms"}, []string{"interval"}},
	} {
		var keys []string
		for _, e := range Validate(devices.Spec{Options: c.opts}) {
			keys = append(keys, e.Key)
		}
		if !slices.Equal(keys, c.keys) {
			t.Errorf("%v: errors on %v, want %v", c.opts, keys, c.keys)
		}
	}
}
