package serialscan

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/creack/pty"

	"github.com/stationd/stationd/devices"
	"github.com/stationd/stationd/devices/scanner"
	"github.com/stationd/stationd/devices/scanner/internal/line"
	"github.com/stationd/stationd/devices/scanner/scannertest"
)

// frame runs the framer over chunks and returns the lines and the drop reasons.
func frame(cfg Config, chunks ...string) (lines []string, drops []error) {
	f := framer{term: cfg.Terminator}
	f.asm.Prefix, f.asm.Suffix = cfg.Prefix, cfg.Suffix
	for _, c := range chunks {
		for i := 0; i < len(c); i++ {
			if f.push(c[i]) {
				s, ok, err := f.asm.End()
				switch {
				case err != nil:
					drops = append(drops, err)
				case ok:
					lines = append(lines, s)
				}
			}
		}
	}
	return lines, drops
}

func TestFramer(t *testing.T) {
	long := strings.Repeat("A", line.Max+1)
	for _, c := range []struct {
		name   string
		cfg    Config
		chunks []string
		lines  []string
		drops  int
	}{
		{"any: CR, LF, CRLF", Config{}, []string{"a\rb\nc\r\nd\n\r"}, []string{"a", "b", "c", "d"}, 0},
		{"cr with CRLF input", Config{Terminator: "\r"}, []string{"a\r\nb\r\n"}, []string{"a", "b"}, 0},
		{"lf with CRLF input", Config{Terminator: "\n"}, []string{"a\r\nb\r\n"}, []string{"a", "b"}, 0},
		{"crlf", Config{Terminator: "\r\n"}, []string{"a\r", "\nb\r\n"}, []string{"a", "b"}, 0},
		{"crlf, bare CR is dropped", Config{Terminator: "\r\n"}, []string{"a\rb\r\n"}, []string{"ab"}, 0},
		{"tab", Config{Terminator: "\t"}, []string{"]C0XYZ\t", "12\t"}, []string{"]C0XYZ", "12"}, 0},
		{"literal ETX", Config{Terminator: "\x03"}, []string{"\x02abc\x03"}, nil, 1}, // STX is not text
		{"literal ETX with STX prefix", Config{Terminator: "\x03", Prefix: "\x02"}, []string{"\x02abc\x03"}, nil, 1},
		{"two-byte literal, partial match is data", Config{Terminator: "#!"}, []string{"a#b#!c#", "!"}, []string{"a#b", "c"}, 0},
		{"prefix and suffix", Config{Prefix: "<", Suffix: ">"}, []string{"<a>\r", "b>\r", "<c\r"}, []string{"a", "b", "c"}, 0},
		{"prefix is the whole line", Config{Prefix: "X"}, []string{"X\r"}, nil, 0},
		{"GS kept", Config{}, []string{"]d201059012341234571727123110LOT42\x1d21SN7\r\n"}, []string{"]d201059012341234571727123110LOT42\x1d21SN7"}, 0},
		{"garbage bytes", Config{}, []string{"\xff\xfe\x00\r", "ok\r"}, []string{"ok"}, 1},
		{"control character", Config{}, []string{"a\x07b\r", "ok\r"}, []string{"ok"}, 1},
		{"UTF-8 kept", Config{}, []string{"Crème brûlée\r"}, []string{"Crème brûlée"}, 0},
		{"over-long line", Config{}, []string{long, "\r", "ok\r"}, []string{"ok"}, 1},
		{"4096 bytes pass", Config{}, []string{long[1:] + "\r"}, []string{long[1:]}, 0},
		{"empty lines ignored", Config{Terminator: "\r"}, []string{"\r\r\r"}, nil, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			lines, drops := frame(c.cfg, c.chunks...)
			if !slices.Equal(lines, c.lines) || len(drops) != c.drops {
				t.Errorf("lines %q drops %v; want %q and %d drops", lines, drops, c.lines, c.drops)
			}
			// Byte by byte gives the same.
			one := strings.Join(c.chunks, "")
			var split []string
			for i := range len(one) {
				split = append(split, one[i:i+1])
			}
			if l2, d2 := frame(c.cfg, split...); !slices.Equal(l2, lines) || len(d2) != len(drops) {
				t.Errorf("byte by byte: %q %v", l2, d2)
			}
		})
	}
}

// TestAIMVectorsFraming frames every aim.json input with its terminator, in one piece and split.
func TestAIMVectorsFraming(t *testing.T) {
	b, err := os.ReadFile("../testdata/vectors/aim.json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Cases []struct{ Name, Input, Terminator string }
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	names := map[string]string{"\r": "cr", "\n": "lf", "\r\n": "crlf", "\t": "tab"}
	for _, c := range v.Cases {
		t.Run(c.Name, func(t *testing.T) {
			spec := devices.Spec{Options: map[string]any{"terminator": names[c.Terminator]}}
			cfg, errs := ConfigFromSpec(spec)
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			want := []string{strings.TrimSuffix(c.Input, c.Terminator)}
			for _, chunks := range [][]string{{c.Input}, {c.Input[:2], c.Input[2:]}} {
				if lines, drops := frame(cfg, chunks...); !slices.Equal(lines, want) || drops != nil {
					t.Errorf("%q: %q %v", chunks, lines, drops)
				}
			}
		})
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		name string
		opts map[string]any
		keys []string
	}{
		{"defaults", nil, nil},
		{"named terminators", map[string]any{"terminator": "CRLF", "timeout": "1s"}, nil},
		{"literal terminator", map[string]any{"terminator": "\x03", "prefix": "\x02"}, nil},
		{"bad terminator", map[string]any{"terminator": "carriage"}, []string{"terminator"}},
		{"empty terminator", map[string]any{"terminator": ""}, []string{"terminator"}},
		{"bad timeout", map[string]any{"timeout": "5ms"}, []string{"timeout"}},
		{"timeout not a string", map[string]any{"timeout": 500}, []string{"timeout"}},
		{"long prefix", map[string]any{"prefix": strings.Repeat("x", 33)}, []string{"prefix"}},
		{"serial settings", map[string]any{"parity": "x"}, []string{"parity"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var keys []string
			for _, e := range Validate(devices.Spec{Name: "s", Port: "/dev/x", Options: c.opts}) {
				keys = append(keys, e.Key)
			}
			if !slices.Equal(keys, c.keys) {
				t.Errorf("errors on %v, want %v", keys, c.keys)
			}
		})
	}
}

// recorder is a slog handler that keeps the messages.
type recorder struct {
	mu   sync.Mutex
	msgs []string
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, rec.Message)
	return nil
}
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *recorder) WithGroup(string) slog.Handler      { return r }
func (r *recorder) messages() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.msgs)
}

// device is a scanner on a pseudo-terminal: the test writes to master what the scanner sends.
type device struct {
	master *os.File
	spec   devices.Spec
}

func newDevice(t testing.TB, opts map[string]any) *device {
	t.Helper()
	master, slave, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	name := slave.Name()
	slave.Close()
	t.Cleanup(func() { master.Close() })
	return &device{master: master, spec: devices.Spec{Name: "scanner1", Kind: devices.KindScanner, Driver: "serial", Port: name, Baud: 9600, Options: opts}}
}

func (d *device) open(t testing.TB, log *slog.Logger) scanner.Scanner {
	t.Helper()
	s, err := scanner.Open(context.Background(), d.spec, devices.Env{Log: log})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (d *device) send(t testing.TB, s string) {
	t.Helper()
	if _, err := d.master.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
}

func readCtx(t testing.TB, s scanner.Scanner) (scanner.Scan, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.Read(ctx)
}

func TestConformance(t *testing.T) {
	var d *device
	scannertest.Run(t, scannertest.Harness{
		Name: "scanner1",
		Open: func(t *testing.T) scanner.Scanner {
			d = newDevice(t, map[string]any{"terminator": "cr"})
			return d.open(t, nil)
		},
		Feed:   func(t *testing.T, data string) { d.send(t, data+"\r") },
		Unplug: func(t *testing.T) { d.master.Close() },
	})
}

// TestPTY sends what real scanners and real lines do through a pseudo-terminal: garbage, split
// writes, over-long lines and partial lines, each dropped with exactly one log line.
func TestPTY(t *testing.T) {
	d := newDevice(t, map[string]any{"terminator": "crlf", "timeout": "250ms"})
	rec := &recorder{}
	s := d.open(t, slog.New(rec))
	defer s.Close()
	expect := func(want string) {
		t.Helper()
		sc, err := readCtx(t, s)
		if err != nil {
			t.Fatal(err)
		}
		if sc.Data != want {
			t.Fatalf("scan %q, want %q", sc.Data, want)
		}
	}

	d.send(t, "]E05901234123457\r\n")
	expect("]E05901234123457")

	// Split writes, with pauses shorter than the timeout.
	for _, part := range []string{"]d20105", "9012341234571727", "123110LOT42\x1d21SN7\r", "\n"} {
		d.send(t, part)
		time.Sleep(10 * time.Millisecond)
	}
	expect("]d201059012341234571727123110LOT42\x1d21SN7")

	// Garbage (a wrong baud rate gives such bytes) is dropped; the next scan passes.
	d.send(t, "\xff\xf0\x80\x00\x13\r\n]C0OK1\r\n")
	expect("]C0OK1")

	// An over-long line is dropped, written in pieces.
	big := bytes.Repeat([]byte("0123456789"), 500)
	d.send(t, string(big[:3000]))
	d.send(t, string(big[3000:])+"\r\n]C0OK2\r\n")
	expect("]C0OK2")

	// A partial line left for longer than the timeout is dropped.
	d.send(t, "]C0PARTIAL")
	time.Sleep(time.Second)
	d.send(t, "]C0OK3\r\n")
	expect("]C0OK3")

	msgs := rec.messages()
	want := []string{"scan dropped", "scan dropped", "partial scan dropped: no terminator"}
	if !slices.Equal(msgs, want) {
		t.Errorf("log lines %q, want %q", msgs, want)
	}
}

// TestUnplugAndReopen pulls the scanner (closes the pty master) and plugs another in.
func TestUnplugAndReopen(t *testing.T) {
	d := newDevice(t, nil)
	s := d.open(t, nil)
	d.send(t, "]C0BEFORE\r")
	if sc, err := readCtx(t, s); err != nil || sc.Data != "]C0BEFORE" {
		t.Fatalf("%q, %v", sc.Data, err)
	}
	d.master.Close()
	_, err := readCtx(t, s)
	if !errors.Is(err, scanner.ErrDisconnected) || !strings.Contains(err.Error(), "scanner1 (") {
		t.Fatalf("after unplug: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close after unplug: %v", err)
	}
	// The old node is gone: Open fails, as it does while the scanner is unplugged.
	if _, err := scanner.Open(context.Background(), d.spec, devices.Env{}); err == nil {
		t.Error("Open of the unplugged pty succeeded")
	}
	d2 := newDevice(t, nil)
	s2 := d2.open(t, nil)
	defer s2.Close()
	d2.send(t, "]C0AFTER\r")
	if sc, err := readCtx(t, s2); err != nil || sc.Data != "]C0AFTER" {
		t.Fatalf("after reopen: %q, %v", sc.Data, err)
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	spec := devices.Spec{Name: "scanner1", Kind: devices.KindScanner, Driver: "serial", Port: "/dev/does-not-exist-stationd"}
	if _, err := scanner.Open(ctx, spec, devices.Env{}); err == nil || !strings.Contains(err.Error(), "scanner1") || !strings.Contains(err.Error(), "/dev/serial/by-id") {
		t.Errorf("missing port: %v", err)
	}
	spec.Options = map[string]any{"terminator": "carriage"}
	if _, err := scanner.Open(ctx, spec, devices.Env{}); err == nil || !strings.Contains(err.Error(), "terminator") {
		t.Errorf("bad option: %v", err)
	}
	spec.Options, spec.Port = nil, ""
	if _, err := scanner.Open(ctx, spec, devices.Env{}); err == nil || !strings.Contains(err.Error(), "by-id") {
		t.Errorf("no port: %v", err)
	}
	spec.Driver = "nope"
	if _, err := scanner.Open(ctx, spec, devices.Env{}); err == nil || !strings.Contains(err.Error(), "serial") {
		t.Errorf("unknown driver: %v", err)
	}
}

func TestHaltDiscards(t *testing.T) {
	d := newDevice(t, nil)
	s := d.open(t, nil)
	defer s.Close()
	d.send(t, "]C0QUEUED\r")
	time.Sleep(50 * time.Millisecond) // let it reach the queue
	if err := s.Halt(); err != nil {
		t.Fatal(err)
	}
	d.send(t, "]C0NEXT\r")
	if sc, err := readCtx(t, s); err != nil || sc.Data != "]C0NEXT" {
		t.Fatalf("after Halt: %q, %v", sc.Data, err)
	}
}

func FuzzFramer(f *testing.F) {
	f.Add("\r\n", "]E05901234123457\r\n\xff\r\n")
	f.Add("any", "a\rb\n\r\nc")
	f.Add("#!", "a#b#!#!!")
	f.Fuzz(func(t *testing.T, term, in string) {
		cfg, errs := ConfigFromSpec(devices.Spec{Options: map[string]any{"terminator": term}})
		if len(errs) > 0 {
			return
		}
		lines, drops := frame(cfg, in)
		for _, l := range lines {
			if len(l) == 0 || len(l) > line.Max || !utf8.ValidString(l) || !line.Text([]byte(l)) || strings.ContainsAny(l, "\r\n") {
				t.Fatalf("bad line %q", l)
			}
		}
		for _, err := range drops {
			if !errors.Is(err, line.ErrTooLong) && !errors.Is(err, line.ErrNotText) {
				t.Fatalf("untyped drop %v", err)
			}
		}
	})
}

// BenchmarkLatency measures, through a real pseudo-terminal, the time from the terminator byte
// read on the pty (Scan.At) to the scan returned by Read, and from the write of the terminator on
// the master side to the return of Read. Issue #4 asks for a p99 under 1 ms.
func BenchmarkLatency(b *testing.B) {
	d := newDevice(b, map[string]any{"terminator": "cr"})
	s := d.open(b, nil)
	defer s.Close()
	msg := []byte("]C1010590123412345710ABC123\x1d17271231\r")
	var atLat, wrLat []time.Duration
	ctx := context.Background()
	for b.Loop() {
		t0 := time.Now()
		if _, err := d.master.Write(msg); err != nil {
			b.Fatal(err)
		}
		sc, err := s.Read(ctx)
		t1 := time.Now()
		if err != nil {
			b.Fatal(err)
		}
		atLat = append(atLat, t1.Sub(sc.At))
		wrLat = append(wrLat, t1.Sub(t0))
	}
	report(b, "at", atLat)
	report(b, "write", wrLat)
}

func report(b *testing.B, name string, d []time.Duration) {
	slices.Sort(d)
	q := func(p float64) float64 { return float64(d[int(p*float64(len(d)-1))]) / 1e3 }
	b.ReportMetric(q(0.50), name+"-p50-µs")
	b.ReportMetric(q(0.99), name+"-p99-µs")
}
