package scaletest

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"

	"github.com/stationd/stationd/devices/scale"
	"github.com/stationd/stationd/protocol/units"
)

// fakeDevice drives a Fake as the suite's Device, so that the suite runs on the Fake too
// (Telegraf's buffer suite runs on every buffer).
type fakeDevice struct{ f *Fake }

func (d fakeDevice) Set(m units.Mass, stable bool) { d.f.Set(m, stable) }
func (d fakeDevice) Fault(code string) {
	if code == "" {
		return
	}
	d.f.Fail(scale.NewError(d.f.String(), code, "injected"))
}
func (d fakeDevice) Unplug() {
	d.f.Fail(scale.NewError(d.f.String(), scale.CodeDisconnected, "injected"))
}

func TestFakeConformance(t *testing.T) {
	Run(t, Harness{
		Caps: Caps{Motion: true, Negative: true, Zero: true, Tare: true,
			Faults: []string{scale.CodeOverload, scale.CodeUnderload, scale.CodeParse, scale.CodeFault}},
		Open: func(t *testing.T) (scale.Scale, Device) {
			f := NewFake("scale1 (fake)")
			return f, fakeDevice{f}
		},
	})
}

func TestFakeHang(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := NewFake("scale1")
		f.Hang()
		got := make(chan error, 1)
		go func() {
			_, err := f.Read(context.Background())
			got <- err
		}()
		synctest.Wait()
		select {
		case err := <-got:
			t.Fatalf("Read returned %v while hanging", err)
		default:
		}
		f.Set(5*units.Gram, true)
		if err := <-got; err != nil {
			t.Fatal(err)
		}
		f.Hang()
		go func() {
			_, err := f.Read(context.Background())
			got <- err
		}()
		synctest.Wait()
		f.Close()
		if err := <-got; !errors.Is(err, scale.ErrClosed) {
			t.Fatalf("Read pending at Close = %v", err)
		}
		if f.Reads() != 2 {
			t.Errorf("Reads = %d", f.Reads())
		}
	})
}
