package evdev

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stationd/stationd/devices"
	"github.com/stationd/stationd/devices/scanner"
	"github.com/stationd/stationd/devices/scanner/internal/line"
	"github.com/stationd/stationd/devices/scanner/scannertest"
)

var update = flag.Bool("update", false, "rewrite the event recordings in testdata/")

func TestDecoderSizes(t *testing.T) {
	evs := []Event{{1, 2, EvKey, 30, 1}, {3, 999999, EvSyn, 0, 0}, {-1, 5, EvMsc, 4, 0x70004}}
	for _, size := range []int{Size32, Size64} {
		var b []byte
		for _, ev := range evs {
			b = Encode(b, ev, size)
		}
		if len(b) != size*len(evs) {
			t.Fatalf("size %d: %d bytes", size, len(b))
		}
		for _, chunk := range []int{1, 5, size, size + 3, len(b)} {
			d := Decoder{Size: size}
			var got []Event
			for i := 0; i < len(b); i += chunk {
				got = d.Decode(got, b[i:min(i+chunk, len(b))])
			}
			if !slices.Equal(got, evs) {
				t.Errorf("size %d, chunks of %d: %v", size, chunk, got)
			}
		}
	}
	if NativeSize != Size32 && NativeSize != Size64 {
		t.Errorf("NativeSize %d", NativeSize)
	}
}

// keys builds events from a compact notation: "+42" press, "-42" release, "=42" repeat,
// "!" SYN_DROPPED.
func keys(spec string) []Event {
	var evs []Event
	for _, f := range strings.Fields(spec) {
		if f == "!" {
			evs = append(evs, Event{Type: EvSyn, Code: SynDropped})
			continue
		}
		code, _ := strconv.Atoi(f[1:])
		v := map[byte]int32{'+': 1, '-': 0, '=': 2}[f[0]]
		evs = append(evs, Event{Type: EvKey, Code: uint16(code), Value: v}, Event{Type: EvSyn})
	}
	return evs
}

// tap is press and release of each code.
func tap(codes ...int) string {
	var b strings.Builder
	for _, c := range codes {
		fmt.Fprintf(&b, "+%d -%d ", c, c)
	}
	return b.String()
}

func decodeAll(cfg Config, evs []Event) (scans []string, drops []error) {
	f := framer{kb: keyboard{layout: cfg.Layout}, enter: cfg.Enter, tab: cfg.Tab, gs: cfg.GS}
	for _, ev := range evs {
		if data, done, err := f.event(ev); done {
			if err != nil {
				drops = append(drops, err)
			} else if data != "" {
				scans = append(scans, data)
			}
		}
	}
	return scans, drops
}

func cfgOf(t *testing.T, opts map[string]any) Config {
	t.Helper()
	c, errs := ConfigFromSpec(devices.Spec{Options: opts})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return c
}

// TestKeys types key sequences written by hand from the layouts (Linux input-event-codes.h
// numbers) and checks the characters.
func TestKeys(t *testing.T) {
	us := map[string]any{"layout": "us"}
	fr := map[string]any{"layout": "fr"}
	for _, c := range []struct {
		name  string
		opts  map[string]any
		keys  string
		scans []string
		drops int
	}{
		{"us letters and digits", us, tap(30, 48, 46, 2, 3, 11, 28), []string{"abc120"}, 0},
		{"us shift", us, "+42 " + tap(30, 27, 2) + "-42 " + tap(27, 28), []string{"A}!]"}, 0},
		{"us right shift", us, "+54 " + tap(46) + "-54 " + tap(28), []string{"C"}, 0},
		{"us caps lock: letters only", us, tap(58, 30, 2) + "+42 " + tap(30) + "-42 " + tap(58, 30, 28), []string{"A1aa"}, 0},
		{"fr digits need shift", fr, tap(2, 3, 11) + "+42 " + tap(2, 3, 11) + "-42 " + tap(28), []string{"&éà120"}, 0},
		{"fr letters", fr, tap(16, 17, 30, 39, 44) + tap(28), []string{"azqmw"}, 0},
		{"fr caps lock: letters and top row", fr, tap(58, 16, 3, 11) + "+42 " + tap(3) + "-42 " + tap(58, 3, 28), []string{"A20éé"}, 0},
		{"fr altgr", fr, "+100 " + tap(11, 12, 4, 9, 18) + "-100 " + tap(28), []string{`@]#\€`}, 0},
		{"fr AIM prefix ]C1", fr, "+100 " + tap(12) + "-100 +42 " + tap(46, 2) + "-42 " + tap(28), []string{"]C1"}, 0},
		{"fr dead circumflex", fr, tap(26, 18, 26, 57, 26, 45, 28), []string{"ê^^x"}, 0},
		{"fr dead diaeresis", fr, "+42 " + tap(26) + "-42 " + tap(22, 28), []string{"ü"}, 0},
		{"fr two dead keys", fr, tap(26, 26, 57, 28), []string{"^^"}, 0},
		{"us ctrl+] is GS", us, tap(2) + "+29 " + tap(27) + "-29 " + tap(3, 28), []string{"1\x1d2"}, 0},
		{"fr ctrl+$ is GS", fr, "+42 " + tap(2) + "-42 +97 " + tap(27) + "-97 +42 " + tap(3) + "-42 " + tap(28), []string{"1\x1d2"}, 0},
		{"alt 029 is GS", fr, "+56 " + tap(82, 80, 73) + "-56 " + tap(28), []string{"\x1d"}, 0},
		{"alt 065 and 233", us, "+56 " + tap(82, 77, 76) + "-56 +56 " + tap(80, 81, 81) + "-56 " + tap(28), []string{"Aé"}, 0},
		{"alt 150 unsupported", us, "+56 " + tap(79, 76, 82) + "-56 " + tap(28), nil, 1},
		{"us right alt is alt", us, "+100 " + tap(82, 80, 73) + "-100 " + tap(28), []string{"\x1d"}, 0},
		{"keypad digits and enter", us, tap(79, 80, 81, 82, 83, 96), []string{"1230."}, 0},
		{"gs stand-in", map[string]any{"gs": "^]"}, tap(2) + "+42 " + tap(7) + "-42 " + tap(27, 3, 28), []string{"1\x1d2"}, 0},
		{"tab terminator", map[string]any{"terminator": "tab"}, tap(30, 15, 48, 28, 15), []string{"a", "b"}, 0},
		{"any terminator", map[string]any{"terminator": "any"}, tap(30, 15, 48, 28), []string{"a", "b"}, 0},
		{"enter terminator keeps tab", us, tap(30, 15, 48, 28), []string{"a\tb"}, 0},
		{"unmapped key drops the scan", us, tap(30, 59, 48, 28, 30, 28), []string{"a"}, 1},
		{"ctrl+f1 unmapped", us, "+29 " + tap(59) + "-29 " + tap(28), nil, 1},
		{"ctrl+a is a control character", us, "+29 " + tap(30) + "-29 " + tap(28), nil, 1},
		{"autorepeat ignored", us, "+30 =30 =30 -30 " + tap(28), []string{"a"}, 0},
		{"events lost", us, tap(30) + "! " + tap(48, 28, 46, 28), []string{"c"}, 1},
		{"empty scan ignored", us, tap(28, 28), nil, 0},
		{"shift released by SYN_DROPPED", us, "+42 " + tap(30) + "! " + tap(28, 30, 28), []string{"a"}, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			scans, drops := decodeAll(cfgOf(t, c.opts), keys(c.keys))
			if !slices.Equal(scans, c.scans) || len(drops) != c.drops {
				t.Errorf("scans %q drops %v; want %q and %d drops", scans, drops, c.scans, c.drops)
			}
		})
	}
}

func TestTooLong(t *testing.T) {
	var b strings.Builder
	for range line.Max + 1 {
		b.WriteString(tap(30))
	}
	scans, drops := decodeAll(cfgOf(t, nil), keys(b.String()+tap(28)+tap(48, 28)))
	if !slices.Equal(scans, []string{"b"}) || len(drops) != 1 || !errors.Is(drops[0], line.ErrTooLong) {
		t.Errorf("scans %q drops %v", scans, drops)
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		opts map[string]any
		keys []string
	}{
		{nil, nil},
		{map[string]any{"layout": "FR", "gs": "{GS}", "terminator": "any", "timeout": "1s", "record_size": "16", "grab": false}, nil},
		{map[string]any{"record_size": 24}, nil},
		{map[string]any{"layout": "de"}, []string{"layout"}},
		{map[string]any{"terminator": "cr"}, []string{"terminator"}},
		{map[string]any{"gs": "a\nb"}, []string{"gs"}},
		{map[string]any{"timeout": "1h"}, []string{"timeout"}},
		{map[string]any{"record_size": "32"}, []string{"record_size"}},
		{map[string]any{"record_size": 8}, []string{"record_size"}},
		{map[string]any{"record_size": true}, []string{"record_size"}},
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

// Recordings are evtest output ("Event: time ..., type 1 (EV_KEY), code 30 (KEY_A), value 1"),
// so that a stream captured from a real scanner with evtest(1) can be dropped into testdata/.
// Lines "# option: key=value" set the device options and "# scan: <Go-quoted string>" give the
// scans expected, in order.

var evtestLine = regexp.MustCompile(`^Event: time (\d+)\.(\d+), (?:type (\d+) \([A-Z_]+\), code (\d+) \([A-Z_0-9]+\), value (-?[0-9a-f]+)|-+ SYN_REPORT -+|\++ SYN_DROPPED \++)`)

type recording struct {
	opts  map[string]any
	evs   []Event
	scans []string
}

func parseRecording(t *testing.T, path string) recording {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := recording{opts: map[string]any{}}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, "# option: "):
			k, v, _ := strings.Cut(strings.TrimPrefix(l, "# option: "), "=")
			r.opts[k] = v
		case strings.HasPrefix(l, "# scan: "):
			s, err := strconv.Unquote(strings.TrimPrefix(l, "# scan: "))
			if err != nil {
				t.Fatalf("%s:%d: %v", path, n, err)
			}
			r.scans = append(r.scans, s)
		case strings.HasPrefix(l, "#"), l == "":
		default:
			m := evtestLine.FindStringSubmatch(l)
			if m == nil {
				t.Fatalf("%s:%d: not an evtest line: %q", path, n, l)
			}
			sec, _ := strconv.ParseInt(m[1], 10, 64)
			usec, _ := strconv.ParseInt(m[2], 10, 64)
			ev := Event{Sec: sec, Usec: usec}
			switch {
			case strings.Contains(l, "SYN_REPORT"):
			case strings.Contains(l, "SYN_DROPPED"):
				ev.Code = SynDropped
			default:
				typ, _ := strconv.Atoi(m[3])
				code, _ := strconv.Atoi(m[4])
				base := 10
				if typ == EvMsc {
					base = 16 // evtest prints MSC_SCAN values in hex
				}
				v, _ := strconv.ParseInt(m[5], base, 32)
				ev.Type, ev.Code, ev.Value = uint16(typ), uint16(code), int32(v)
			}
			r.evs = append(r.evs, ev)
		}
	}
	return r
}

func writeRecording(path, comment string, opts map[string]string, scans []string, evs []Event) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n", comment)
	fmt.Fprintf(&b, "# Synthesized by TestRecordings -update (typing_test.go plays the scanner), in evtest(1) format.\n")
	for _, k := range slices.Sorted(mapsKeys(opts)) {
		fmt.Fprintf(&b, "# option: %s=%s\n", k, opts[k])
	}
	for _, s := range scans {
		fmt.Fprintf(&b, "# scan: %s\n", strconv.Quote(s))
	}
	names := map[uint16]string{EvKey: "EV_KEY", EvMsc: "EV_MSC"}
	for _, ev := range evs {
		ts := fmt.Sprintf("Event: time %d.%06d, ", ev.Sec, ev.Usec)
		switch ev.Type {
		case EvSyn:
			b.WriteString(ts + "-------------- SYN_REPORT ------------\n")
		case EvMsc:
			fmt.Fprintf(&b, "%stype %d (%s), code %d (MSC_SCAN), value %x\n", ts, ev.Type, names[ev.Type], ev.Code, ev.Value)
		default:
			name := keyNames[ev.Code]
			if name == "" {
				name = fmt.Sprintf("KEY_%d", ev.Code)
			}
			fmt.Fprintf(&b, "%stype %d (%s), code %d (%s), value %d\n", ts, ev.Type, names[ev.Type], ev.Code, name, ev.Value)
		}
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

func mapsKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// recordings are the event streams of testdata/, as the scanner typed them.
var recordings = []struct {
	file, comment string
	opts          map[string]string
	layout        map[rune]stroke
	text          string
	gs            func(*typist)
	scans         []string
}{
	{"us-ean13.evtest", "US layout, EAN-13 with AIM identifier, Enter suffix.", map[string]string{"layout": "us"}, usStrokes,
		"]E05901234123457\n", nil, []string{"]E05901234123457"}},
	{"us-gs1-datamatrix-ctrl.evtest", "US layout, GS1 DataMatrix, FNC1 sent as Ctrl+].", map[string]string{"layout": "us"}, usStrokes,
		"]d201059012341234571727123110ABC123\x1d21SN/7-x\n", gsCtrl, []string{"]d201059012341234571727123110ABC123\x1d21SN/7-x"}},
	{"fr-gs1-128-altcode.evtest", "French AZERTY, GS1-128, FNC1 sent as Alt+029 on the keypad.", map[string]string{"layout": "fr"}, frStrokes,
		"]C1010590123412345710LOT-42\x1d17271231\n", gsAltCode, []string{"]C1010590123412345710LOT-42\x1d17271231"}},
	{"fr-gs-standin.evtest", "French AZERTY, FNC1 replaced by the string {GS} in the scanner (option gs).", map[string]string{"layout": "fr", "gs": "{GS}"}, frStrokes,
		"]d20105901234123457{GS}10A@1\n]C0Order #42\n", nil, []string{"]d20105901234123457\x1d10A@1", "]C0Order #42"}},
}

// TestRecordings decodes every recording of testdata/ in both record sizes, through a pipe read by
// a real Scanner (the device node replaced by the pipe, without grab).
func TestRecordings(t *testing.T) {
	if *update {
		for _, r := range recordings {
			var ty typist
			ty.typeText(r.layout, r.text, r.gs)
			if err := writeRecording(filepath.Join("testdata", r.file), r.comment, r.opts, r.scans, ty.evs); err != nil {
				t.Fatal(err)
			}
		}
	}
	files, _ := filepath.Glob("testdata/*.evtest")
	if len(files) < len(recordings) {
		t.Fatalf("%d recordings in testdata/, want at least %d (run go test -update)", len(files), len(recordings))
	}
	for _, file := range files {
		rec := parseRecording(t, file)
		for _, size := range []int{Size32, Size64} {
			t.Run(fmt.Sprintf("%s/%d", filepath.Base(file), size), func(t *testing.T) {
				opts := map[string]any{"record_size": strconv.Itoa(size)}
				for k, v := range rec.opts {
					opts[k] = v
				}
				cfg := cfgOf(t, opts)
				var stream []byte
				for _, ev := range rec.evs {
					stream = Encode(stream, ev, size)
				}
				s, w := pipeScanner(t, cfg)
				go func() {
					// Written in pieces that cut records, as a recording replay may.
					for i := 0; i < len(stream); i += 37 {
						w.Write(stream[i:min(i+37, len(stream))])
					}
				}()
				for _, want := range rec.scans {
					sc, err := readWithin(s, 5*time.Second)
					if err != nil {
						t.Fatal(err)
					}
					if sc.Data != want {
						t.Errorf("scan %q, want %q", sc.Data, want)
					}
				}
			})
		}
	}
}

func pipeScanner(t *testing.T, cfg Config) (*Scanner, *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	s := newScanner(r, "scanner1 (pipe)", cfg, nil)
	s.log = discard
	t.Cleanup(func() { w.Close(); s.Close() })
	return s, w
}

func readWithin(s scanner.Scanner, d time.Duration) (scanner.Scan, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return s.Read(ctx)
}

func TestConformance(t *testing.T) {
	var w *os.File
	scannertest.Run(t, scannertest.Harness{
		Name: "scanner1",
		Open: func(t *testing.T) scanner.Scanner {
			r, wr, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			w = wr
			t.Cleanup(func() { wr.Close() })
			return newScanner(r, "scanner1 (pipe)", cfgOf(t, map[string]any{"record_size": strconv.Itoa(NativeSize)}), discard)
		},
		Feed: func(t *testing.T, data string) {
			var ty typist
			ty.typeText(usStrokes, data+"\n", nil)
			var b []byte
			for _, ev := range ty.evs {
				b = Encode(b, ev, NativeSize)
			}
			if _, err := w.Write(b); err != nil {
				t.Fatal(err)
			}
		},
		Unplug: func(t *testing.T) { w.Close() }, // the reader sees end of file, as ENODEV on a node
	})
}

func TestPartialTimeout(t *testing.T) {
	cfg := cfgOf(t, map[string]any{"timeout": "100ms"})
	s, w := pipeScanner(t, cfg)
	var ty typist
	ty.typeText(usStrokes, "PARTIAL", nil)
	var b []byte
	for _, ev := range ty.evs {
		b = Encode(b, ev, cfg.RecordSize)
	}
	w.Write(b)
	time.Sleep(600 * time.Millisecond)
	ty = typist{}
	ty.typeText(usStrokes, "OK\n", nil)
	b = b[:0]
	for _, ev := range ty.evs {
		b = Encode(b, ev, cfg.RecordSize)
	}
	w.Write(b)
	sc, err := readWithin(s, 5*time.Second)
	if err != nil || sc.Data != "OK" {
		t.Fatalf("%q, %v", sc.Data, err)
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	spec := devices.Spec{Name: "scanner1", Kind: devices.KindScanner, Driver: "evdev", Port: "/dev/input/does-not-exist"}
	_, err := scanner.Open(ctx, spec, devices.Env{})
	if err == nil || !strings.Contains(err.Error(), "scanner1") || !strings.Contains(err.Error(), "by-id") {
		t.Errorf("missing node: %v", err)
	}
	spec.Port = filepath.Join(t.TempDir(), "plain")
	os.WriteFile(spec.Port, nil, 0o600)
	if _, err := scanner.Open(ctx, spec, devices.Env{}); err == nil || !strings.Contains(err.Error(), "input event device") {
		t.Errorf("plain file: %v", err)
	}
	spec.Options = map[string]any{"layout": "xx"}
	if _, err := scanner.Open(ctx, spec, devices.Env{}); err == nil || !strings.Contains(err.Error(), "layout") {
		t.Errorf("bad layout: %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	var ty typist
	ty.typeText(frStrokes, "]C1010590123412345710A\n", gsAltCode)
	var b []byte
	for _, ev := range ty.evs {
		b = Encode(b, ev, Size64)
	}
	f.Add(b, true, false)
	f.Add([]byte{1, 2, 3}, false, true)
	f.Fuzz(func(t *testing.T, stream []byte, small, fr bool) {
		size, layout := Size64, US
		if small {
			size = Size32
		}
		if fr {
			layout = FR
		}
		d := Decoder{Size: size}
		evs := d.Decode(nil, stream)
		if len(evs) != len(stream)/size {
			t.Fatalf("%d events from %d bytes", len(evs), len(stream))
		}
		scans, drops := decodeAll(Config{Layout: layout, Enter: true, Tab: true, GS: "~"}, evs)
		for _, s := range scans {
			if !line.Text([]byte(s)) || len(s) > line.Max {
				t.Fatalf("bad scan %q", s)
			}
		}
		for _, err := range drops {
			var uk *UnmappedKeyError
			if !errors.As(err, &uk) && !errors.Is(err, ErrEventsLost) && !errors.Is(err, line.ErrTooLong) && !errors.Is(err, line.ErrNotText) {
				t.Fatalf("untyped drop %v", err)
			}
		}
	})
}
