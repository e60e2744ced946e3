package printer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stationd/stationd/devices"
)

func TestStatusErr(t *testing.T) {
	for _, tc := range []struct {
		name   string
		s      Status
		reason string
		detail string
	}{
		{"ready", Status{}, "", ""},
		{"unknown", Status{Unknown: true}, "", ""},
		{"paper out", Status{PaperOut: true}, ReasonPaperOut, "out of labels"},
		{"paper out and paused", Status{PaperOut: true, Paused: true}, ReasonPaperOut, "press PAUSE"},
		{"paused", Status{Paused: true}, ReasonPaused, "press PAUSE"},
		{"head open", Status{HeadOpen: true, Paused: true}, ReasonHeadOpen, "close the head"},
		{"ribbon", Status{RibbonOut: true}, ReasonRibbonOut, "load a ribbon"},
		{"buffer", Status{BufferFull: true}, ReasonBufferFull, "wait"},
		{"hot", Status{HeadTooHot: true}, ReasonHeadTooHot, "cool"},
		{"cold", Status{HeadTooCold: true}, ReasonHeadTooCold, "warm"},
		{"ram", Status{CorruptRAM: true}, ReasonCorruptRAM, "off and on"},
		{"cutter", Status{Faults: []string{"cutter_fault"}}, ReasonFault, "cutter_fault"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.s.Err()
			if tc.reason == "" {
				if err != nil {
					t.Fatalf("Err() = %v, want nil", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Err() = %v, want *Error", err)
			}
			if e.Reason != tc.reason || !strings.Contains(e.Detail, tc.detail) {
				t.Errorf("Err() = %q / %q, want %q containing %q", e.Reason, e.Detail, tc.reason, tc.detail)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		err       error
		reason    string
		retryable bool
		sent      bool
	}{
		{nil, "", false, false},
		{&Error{Reason: ReasonOffline}, ReasonOffline, true, false},
		{&Error{Reason: ReasonPaperOut, Sent: true}, ReasonPaperOut, true, true},
		{fmt.Errorf("queue: %w", &Error{Reason: ReasonHeadOpen}), ReasonHeadOpen, true, false},
		{&Error{Reason: ReasonPaused}, ReasonPaused, true, false},
		{&Error{Reason: ReasonRibbonOut}, ReasonRibbonOut, true, false},
		{&Error{Reason: ReasonBufferFull}, ReasonBufferFull, true, false},
		{&Error{Reason: ReasonInvalid}, ReasonInvalid, false, false},
		{errors.New("connection reset"), ReasonOffline, true, false},
		{context.Canceled, ReasonOffline, true, false},
	} {
		if got := Reason(tc.err); got != tc.reason {
			t.Errorf("Reason(%v) = %q, want %q", tc.err, got, tc.reason)
		}
		if got := Retryable(tc.err); got != tc.retryable {
			t.Errorf("Retryable(%v) = %v, want %v", tc.err, got, tc.retryable)
		}
		if got := Sent(tc.err); got != tc.sent {
			t.Errorf("Sent(%v) = %v, want %v", tc.err, got, tc.sent)
		}
	}
}

func TestDeviceState(t *testing.T) {
	for _, tc := range []struct {
		st            Status
		err           error
		state, detail string
	}{
		{Status{}, nil, devices.StateOK, ""},
		{Status{Unknown: true}, nil, devices.StateOK, ""},
		{Status{PaperOut: true}, nil, devices.StateFault, "paper_out: out of labels: load labels and close the head"},
		{Status{}, &Error{Reason: ReasonOffline, Detail: "cannot connect"}, devices.StateDisconnected, "offline: cannot connect"},
		{Status{}, &Error{Reason: ReasonNotReady, Detail: "see its display"}, devices.StateFault, "not_ready: see its display"},
		{Status{}, errors.New("boom"), devices.StateDisconnected, "boom"},
	} {
		state, detail := DeviceState(tc.st, tc.err)
		if state != tc.state || detail != tc.detail {
			t.Errorf("DeviceState(%+v, %v) = %q, %q, want %q, %q", tc.st, tc.err, state, detail, tc.state, tc.detail)
		}
	}
}

func TestErrorMessage(t *testing.T) {
	e := &Error{Device: "printer1 (tcp://10.0.0.5:9100)", Reason: ReasonOffline, Detail: "cannot connect: check power", Err: errors.New("connection refused")}
	want := "printer1 (tcp://10.0.0.5:9100): offline: cannot connect: check power: connection refused"
	if e.Error() != want {
		t.Errorf("got  %q\nwant %q", e.Error(), want)
	}
}

type nopPrinter struct{ name string }

func (p nopPrinter) Print(context.Context, []byte) error    { return nil }
func (p nopPrinter) Status(context.Context) (Status, error) { return Status{}, nil }
func (p nopPrinter) DPI() int                               { return 203 }
func (p nopPrinter) String() string                         { return p.name }
func (p nopPrinter) Halt() error                            { return nil }
func (p nopPrinter) Close() error                           { return nil }

func TestRegistry(t *testing.T) {
	Register("test-nop", Driver{
		Doc: "test driver",
		Open: func(_ context.Context, s devices.Spec, _ devices.Env) (Printer, error) {
			return nopPrinter{s.Name}, nil
		},
	})
	if _, ok := devices.Lookup(devices.KindPrinter, "test-nop"); !ok {
		t.Error("not recorded in the devices registry")
	}
	p, err := Open(context.Background(), devices.Spec{Name: "p1", Kind: devices.KindPrinter, Driver: "test-nop"}, devices.Env{})
	if err != nil || p.String() != "p1" {
		t.Fatalf("Open = %v, %v", p, err)
	}
	if _, err := Open(context.Background(), devices.Spec{Name: "p2", Driver: "nope"}, devices.Env{}); err == nil || !strings.Contains(err.Error(), "test-nop") {
		t.Errorf("unknown driver: err = %v, want the known drivers listed", err)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("duplicate Register did not panic")
			}
		}()
		Register("test-nop", Driver{Open: func(context.Context, devices.Spec, devices.Env) (Printer, error) { return nil, nil }})
	}()
}
