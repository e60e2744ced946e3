// Package scannertest is the conformance suite every scanner driver runs: scans come out in
// order with their time, Read honours its context, Close unblocks a pending Read, Halt leaves the
// scanner usable, and an unplugged device gives ErrDisconnected. A driver's test supplies a
// Harness that opens the device and makes it send scans.
package scannertest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stationd/stationd/devices/scanner"
)

// Harness drives one scanner driver under test.
type Harness struct {
	// Name is the device name the scanner's String must contain.
	Name string
	// Open opens a fresh scanner; Run closes it.
	Open func(t *testing.T) scanner.Scanner
	// Feed makes the device send one scan carrying data (without terminator).
	Feed func(t *testing.T, data string)
	// Unplug makes the device go away; nil when the driver cannot simulate it.
	Unplug func(t *testing.T)
}

// wait bounds every wait of the suite, generous for a loaded CI machine.
const wait = 5 * time.Second

// Run runs the suite, each check in a subtest with a freshly opened scanner.
func Run(t *testing.T, h Harness) {
	t.Run("ScansInOrder", func(t *testing.T) {
		s := open(t, h)
		var last time.Time
		for i := range 3 {
			want := fmt.Sprintf("]C0SCAN-%d", i)
			h.Feed(t, want)
			sc := read(t, s)
			if sc.Data != want {
				t.Fatalf("scan %d: %q, want %q", i, sc.Data, want)
			}
			if sc.At.IsZero() || sc.At.Before(last) {
				t.Errorf("scan %d: At %v (previous %v)", i, sc.At, last)
			}
			last = sc.At
		}
	})
	t.Run("String", func(t *testing.T) {
		s := open(t, h)
		if str := s.String(); h.Name != "" && !strings.Contains(str, h.Name) {
			t.Errorf("String() = %q, want it to name %q", str, h.Name)
		}
	})
	t.Run("ContextEnds", func(t *testing.T) {
		s := open(t, h)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := s.Read(ctx); !errors.Is(err, context.Canceled) {
			t.Errorf("Read with a cancelled context: %v", err)
		}
		ctx, cancel = context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		if _, err := s.Read(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Read past its deadline: %v", err)
		}
		// The scanner still works afterwards.
		h.Feed(t, "AFTER")
		if sc := read(t, s); sc.Data != "AFTER" {
			t.Errorf("scan after a cancelled Read: %q", sc.Data)
		}
	})
	t.Run("CloseUnblocksRead", func(t *testing.T) {
		s := h.Open(t)
		errc := make(chan error, 1)
		go func() {
			_, err := s.Read(context.Background())
			errc <- err
		}()
		time.Sleep(20 * time.Millisecond) // let Read block
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		select {
		case err := <-errc:
			if !errors.Is(err, scanner.ErrClosed) {
				t.Errorf("pending Read after Close: %v, want ErrClosed", err)
			}
		case <-time.After(wait):
			t.Fatal("Close did not unblock Read")
		}
		if _, err := s.Read(context.Background()); !errors.Is(err, scanner.ErrClosed) {
			t.Errorf("Read after Close: %v, want ErrClosed", err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
	})
	t.Run("Halt", func(t *testing.T) {
		s := open(t, h)
		if err := s.Halt(); err != nil {
			t.Fatalf("Halt: %v", err)
		}
		h.Feed(t, "AFTER-HALT")
		if sc := read(t, s); sc.Data != "AFTER-HALT" {
			t.Errorf("scan after Halt: %q", sc.Data)
		}
	})
	if h.Unplug != nil {
		t.Run("Unplug", func(t *testing.T) {
			s := open(t, h)
			h.Unplug(t)
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			_, err := s.Read(ctx)
			if !errors.Is(err, scanner.ErrDisconnected) {
				t.Fatalf("Read after unplug: %v, want ErrDisconnected", err)
			}
			if !strings.Contains(err.Error(), h.Name) {
				t.Errorf("error %q does not name the device", err)
			}
		})
	}
}

func open(t *testing.T, h Harness) scanner.Scanner {
	t.Helper()
	s := h.Open(t)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func read(t *testing.T, s scanner.Scanner) scanner.Scan {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	sc, err := s.Read(ctx)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return sc
}
