package hidpos

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/stationd/stationd/devices"
	"github.com/stationd/stationd/devices/scale"
	"github.com/stationd/stationd/devices/scale/scaletest"
	"github.com/stationd/stationd/protocol/units"
)

const vectorFile = "../testdata/vectors/hidpos.json"

// TestVectors runs every case of hidpos.json through ParseReport.
func TestVectors(t *testing.T) {
	for _, v := range scaletest.LoadVectors(t, vectorFile) {
		t.Run(v.Name, func(t *testing.T) {
			r, err := ParseReport(v.Bytes())
			checkReport(t, v, r, err)
		})
	}
}

func checkReport(t *testing.T, v scaletest.Vector, r Report, err error) {
	t.Helper()
	switch v.Str("kind") {
	case "ignored":
		if !errors.Is(err, ErrNotData) {
			t.Fatalf("error %v, want ErrNotData", err)
		}
		return
	case "error":
		if got := scale.Code(err); got != v.Str("error") {
			t.Fatalf("error %v (code %q), want %q", err, got, v.Str("error"))
		}
		if r != (Report{}) {
			t.Errorf("error with report %+v", r)
		}
		return
	}
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	v.CheckMass(t, r.Mass)
	if st, _ := v.Bool("stable"); r.Stable != st {
		t.Errorf("stable %v, want %v", r.Stable, st)
	}
	if u := v.Str("unit"); u != "" && r.Unit.String() != u {
		t.Errorf("unit %q, want %q", r.Unit, u)
	}
	if raw, ok := v.Int("raw"); ok && int64(r.Raw) != raw {
		t.Errorf("raw %d, want %d", r.Raw, raw)
	}
	if e, ok := v.Int("exponent"); ok && int64(r.Exponent) != e {
		t.Errorf("exponent %d, want %d", r.Exponent, e)
	}
	if val := v.Str("value"); val != "" && r.Value() != val {
		t.Errorf("value %q, want %q", r.Value(), val)
	}
	if sc, ok := v.Int("status_code"); ok && int64(r.Status) != sc {
		t.Errorf("status %d, want %d", r.Status, sc)
	}
}

// fakeHidraw makes a FIFO standing for /dev/hidrawN and keeps it open for writing (so that the
// driver's read-only open does not wait). Each Write is one report; closing it is unplugging.
type fakeHidraw struct {
	path string
	w    *os.File
	once sync.Once
}

func newFakeHidraw(t *testing.T) *fakeHidraw {
	path := filepath.Join(t.TempDir(), "hidraw0")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	w, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeHidraw{path: path, w: w}
	t.Cleanup(f.Unplug)
	return f
}

// report writes one report and waits until the driver has read it from the FIFO, so that two
// reports never reach the driver in one read (a real hidraw node never merges them).
func (f *fakeHidraw) report(t testing.TB, b []byte) {
	if _, err := f.w.Write(b); err != nil {
		t.Fatal(err)
	}
	raw, err := f.w.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		var n int
		var ierr error
		raw.Control(func(fd uintptr) { n, ierr = unix.IoctlGetInt(int(fd), unix.TIOCINQ) })
		if ierr != nil || n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the driver did not read the report %x", b)
		}
		runtime.Gosched()
	}
}

func (f *fakeHidraw) Unplug() { f.once.Do(func() { f.w.Close() }) }

func openFake(t *testing.T, f *fakeHidraw, timeoutMS int) scale.Scale {
	sc, err := scale.Open(t.Context(), devices.Spec{Name: "scale1", Kind: devices.KindScale, Driver: "hid-pos",
		Port: f.path, Options: map[string]any{"timeout_ms": timeoutMS}}, devices.Env{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sc.Close() })
	return sc
}

// TestVectorsOnFakeHidraw writes every case's report into a fake hidraw node and reads it back
// through the registered driver.
func TestVectorsOnFakeHidraw(t *testing.T) {
	for _, v := range scaletest.LoadVectors(t, vectorFile) {
		t.Run(v.Name, func(t *testing.T) {
			t.Parallel()
			f := newFakeHidraw(t)
			sc := openFake(t, f, 100)
			f.report(t, v.Bytes())
			r, err := sc.Read(t.Context())
			if v.Str("kind") == "ignored" {
				// Not a data report: no weight, so the first Read times out.
				if !errors.Is(err, scale.ErrTimeout) {
					t.Fatalf("Read = %+v, %v; want a timeout", r, err)
				}
				return
			}
			var rep Report
			if err == nil {
				rep = Report{Mass: r.Mass, Stable: r.Stable}
				if full, perr := ParseReport(v.Bytes()); perr == nil {
					rep.Status, rep.UnitCode, rep.Exponent, rep.Raw, rep.Unit = full.Status, full.UnitCode, full.Exponent, full.Raw, full.Unit
				}
			}
			checkReport(t, v, rep, err)
		})
	}
}

func report(status, unit byte, exp int8, raw uint16) []byte {
	return []byte{ReportID, status, unit, byte(exp), byte(raw), byte(raw >> 8)}
}

// hidScale simulates a HID POS scale behind a fake hidraw node for the conformance suite.
type hidScale struct {
	t *testing.T
	f *fakeHidraw
}

func (h *hidScale) Set(m units.Mass, stable bool) {
	st := byte(StatusStable)
	if !stable {
		st = StatusInMotion
	}
	neg := m < 0
	if neg {
		m = -m
	}
	if neg {
		st = StatusUnderZero
	}
	exp, raw := int8(-1), int64(m/(100*units.Milligram)) // tenths of a gram
	if raw > 0xffff {
		exp, raw = 0, int64(m/units.Gram)
	}
	h.f.report(h.t, report(st, 2, exp, uint16(raw)))
}

func (h *hidScale) Fault(code string) {
	status := map[string]byte{scale.CodeFault: StatusFault, scale.CodeUnderload: StatusUnderZero,
		scale.CodeOverload: StatusOverWeight, scale.CodeCalibration: StatusNeedsCalibration, scale.CodeRezero: StatusNeedsRezero}
	switch st, ok := status[code]; {
	case ok:
		h.f.report(h.t, report(st, 2, 0, 0))
	case code == scale.CodeParse:
		h.f.report(h.t, []byte{ReportID, StatusStable, 2})
	}
}

func (h *hidScale) Unplug() { h.f.Unplug() }

func TestConformance(t *testing.T) {
	scaletest.Run(t, scaletest.Harness{
		Caps: scaletest.Caps{
			Motion: true,
			Faults: []string{scale.CodeOverload, scale.CodeUnderload, scale.CodeFault, scale.CodeCalibration,
				scale.CodeRezero, scale.CodeParse},
			GarbageCode: scale.CodeShortReport,
		},
		Open: func(t *testing.T) (scale.Scale, scaletest.Device) {
			f := newFakeHidraw(t)
			h := &hidScale{t: t, f: f}
			sc := openFake(t, f, 200)
			h.Set(0, true)
			return sc, h
		},
	})
}

func TestOpenErrors(t *testing.T) {
	_, err := scale.Open(t.Context(), devices.Spec{Name: "scale1", Kind: "scale", Driver: "hid-pos", Port: "/dev/hidraw-does-not-exist"}, devices.Env{})
	if err == nil || !strings.Contains(err.Error(), "scale1") || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("Open = %v", err)
	}
}

func TestValue(t *testing.T) {
	for _, c := range []struct {
		raw  uint16
		exp  int8
		want string
	}{{5, -3, "0.005"}, {6452, -1, "645.2"}, {123, 1, "1230"}, {0, -2, "0.00"}} {
		if got := (Report{Raw: c.raw, Exponent: c.exp}).Value(); got != c.want {
			t.Errorf("%d e%d = %q, want %q", c.raw, c.exp, got, c.want)
		}
	}
}

func FuzzParseReport(f *testing.F) {
	for _, v := range scaletest.LoadVectors(f, vectorFile) {
		f.Add(v.Bytes())
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseReport(b)
		if err != nil {
			if !errors.Is(err, ErrNotData) && scale.Code(err) == "" {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if r.Mass < 0 || (r.Status != StatusStable && r.Status != StatusStableAtZero && r.Status != StatusInMotion) {
			t.Fatalf("weight %+v from %x", r, b)
		}
	})
}

func BenchmarkParseReport(b *testing.B) {
	rep := scaletest.MustHex("03040bff3419")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseReport(rep); err != nil {
			b.Fatal(err)
		}
	}
}
