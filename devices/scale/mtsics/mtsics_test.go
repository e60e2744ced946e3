package mtsics

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stationd/stationd/devices"
	"github.com/stationd/stationd/devices/scale"
	"github.com/stationd/stationd/devices/scale/scaletest"
	"github.com/stationd/stationd/protocol/units"
)

const vectorFile = "../testdata/vectors/mtsics.json"

// hostCommand is the case's command without CR LF.
func hostCommand(v scaletest.Vector) string { return strings.TrimRight(v.Host, "\r\n") }

// checkResult compares what the parser or the driver made of a case with its expectation.
func checkResult(t *testing.T, v scaletest.Vector, res Result, err error) {
	t.Helper()
	kind := v.Str("kind")
	if kind == "error" {
		if got := scale.Code(err); got != v.Str("error") {
			t.Fatalf("error %v (code %q), want code %q", err, got, v.Str("error"))
		}
		if res != (Result{}) {
			t.Errorf("error case gave result %+v", res)
		}
		return
	}
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	if res.Kind != kind {
		t.Fatalf("kind %q, want %q", res.Kind, kind)
	}
	switch kind {
	case KindWeight:
		v.CheckMass(t, res.Reading.Mass)
		if st, ok := v.Bool("stable"); ok && res.Reading.Stable != st {
			t.Errorf("stable %v, want %v", res.Reading.Stable, st)
		}
	case KindTare:
		v.CheckMass(t, res.Tare)
		if st, ok := v.Bool("stable"); ok && res.Stable != st {
			t.Errorf("stable %v, want %v", res.Stable, st)
		}
	case KindInfo:
		if res.Text != v.Str("serial_number") {
			t.Errorf("serial number %q, want %q", res.Text, v.Str("serial_number"))
		}
	}
}

func parseLine(cmd string, line []byte) (Response, Result, error) {
	r, err := Parse(line)
	if err != nil {
		return r, Result{}, err
	}
	res, err := Interpret(cmd, r)
	return r, res, err
}

// TestVectors runs every case of mtsics.json through Parse and Interpret.
func TestVectors(t *testing.T) {
	for _, v := range scaletest.LoadVectors(t, vectorFile) {
		t.Run(v.Name, func(t *testing.T) {
			cmd := hostCommand(v)
			if v.Str("kind") == "stream" {
				lines := bytes.SplitAfter(bytes.TrimSuffix(v.Bytes(), []byte("\n")), []byte("\n"))
				want := v.Readings()
				if len(lines) != len(want) {
					t.Fatalf("%d lines, %d readings expected", len(lines), len(want))
				}
				for i, w := range want {
					_, res, err := parseLine(cmd, lines[i])
					checkResult(t, w, res, err)
				}
				return
			}
			r, res, err := parseLine(cmd, v.Bytes())
			checkResult(t, v, res, err)
			if val := v.Str("value"); val != "" && r.Value != val {
				t.Errorf("value %q, want %q", r.Value, val)
			}
			if u := v.Str("unit"); u != "" && r.Unit.String() != u {
				t.Errorf("unit %q, want %q", r.Unit, u)
			}
		})
	}
}

// TestVectorsOnPTY replays every case against the driver on a pseudo-terminal: the simulator
// checks the bytes the driver sends and answers the case's input in one write, then in chunks.
func TestVectorsOnPTY(t *testing.T) {
	for _, v := range scaletest.LoadVectors(t, vectorFile) {
		for _, mode := range []string{"whole", "chunks"} {
			t.Run(v.Name+"/"+mode, func(t *testing.T) {
				t.Parallel()
				answer := [][]byte{v.Bytes()}
				if mode == "chunks" {
					answer = v.ChunkBytes(4)
				}
				cmd := hostCommand(v)
				command := "SI"
				if cmd == "S" || cmd == "SIR" {
					command = cmd
				}
				sc := openReplay(t, v.Host, answer, command)
				ctx := t.Context()
				var (
					res Result
					err error
				)
				switch {
				case cmd == "S" || cmd == "SI":
					res.Kind = KindWeight
					res.Reading, err = sc.Read(ctx)
				case cmd == "SIR":
					readStream(t, sc, v)
					return
				case cmd == "Z":
					res.Kind = KindAck
					err = sc.Zero(ctx)
				case cmd == "T":
					res.Kind, res.Stable = KindTare, true
					res.Tare, err = sc.TareWeight(ctx)
				case cmd == "TA":
					res.Kind = KindTare
					res.Tare, err = sc.TareValue(ctx)
				case strings.HasPrefix(cmd, "TA "):
					var m units.Mass
					fmt.Sscanf(cmd, "TA %d", &m)
					res.Kind = KindTare
					res.Tare, err = sc.PresetTare(ctx, m*units.Gram)
				case cmd == "@":
					res.Kind = KindInfo
					res.Text, err = sc.Reset(ctx)
				case cmd == "I4":
					res.Kind = KindInfo
					res.Text, err = sc.SerialNumber(ctx)
				default:
					_, err = sc.Command(ctx, cmd)
				}
				if err != nil {
					res = Result{}
					var e *scale.Error
					if !errors.As(err, &e) || !strings.HasPrefix(e.Device, "scale1 (") {
						t.Errorf("error %v does not name the device", err)
					}
				}
				checkResult(t, v, res, err)
			})
		}
	}
}

// readStream reads a SIR stream with scaletest.CheckStream.
func readStream(t *testing.T, sc *Scale, v scaletest.Vector) {
	scaletest.CheckStream(t, func() (units.Mass, bool, error) {
		r, err := sc.Read(t.Context())
		return r.Mass, r.Stable, err
	}, v.Readings())
}

// openReplay opens the registered driver on a pty whose simulator expects host and answers with
// the chunks.
func openReplay(t *testing.T, host string, answer [][]byte, command string) *Scale {
	ctl, path := scaletest.PTY(t)
	split := func(b []byte) (int, []byte) {
		if len(b) < len(host) {
			return 0, nil
		}
		return len(host), b[:len(host)]
	}
	var once sync.Once
	scaletest.Serve(t, ctl, split, func(cmd []byte) [][]byte {
		var out [][]byte
		once.Do(func() {
			if string(cmd) != host {
				t.Errorf("driver sent %q, want %q", cmd, host)
			}
			out = answer
		})
		return out
	})
	sc, err := scale.Open(t.Context(), devices.Spec{Name: "scale1", Kind: devices.KindScale, Driver: "mt-sics",
		Port: path, Baud: 9600, Options: map[string]any{"command": command, "timeout_ms": 2000, "command_timeout_ms": 2000}}, devices.Env{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sc.Close() })
	return sc.(*Scale)
}

// balance simulates an MT-SICS balance for the conformance suite.
type balance struct {
	srv    *scaletest.Server
	mu     sync.Mutex
	m      units.Mass
	stable bool
	fault  string
}

func (b *balance) Set(m units.Mass, stable bool) {
	b.mu.Lock()
	b.m, b.stable, b.fault = m, stable, ""
	b.mu.Unlock()
}

func (b *balance) Fault(code string) { b.mu.Lock(); b.fault = code; b.mu.Unlock() }
func (b *balance) Unplug()           { b.srv.Unplug() }

func (b *balance) respond(cmd []byte) [][]byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	line := func(s string) [][]byte { return [][]byte{[]byte(s + "\r\n")} }
	switch b.fault {
	case scale.CodeTimeout:
		return nil
	case scale.CodeParse:
		return line("S S   12x.4 g")
	case scale.CodeSyntax:
		return line("ES")
	case scale.CodeTransmission:
		return line("ET")
	}
	weight := func(id string) [][]byte {
		switch b.fault {
		case scale.CodeOverload:
			return line(id + " +")
		case scale.CodeUnderload:
			return line(id + " -")
		case scale.CodeBusy:
			return line(id + " I")
		}
		st := 'S'
		if !b.stable {
			st = 'D'
		}
		return line(fmt.Sprintf("S %c %10s g", st, FormatGrams(b.m)))
	}
	switch string(cmd) {
	case "SI":
		return weight("S")
	case "S":
		if !b.stable && b.fault == "" {
			return line("S I")
		}
		return weight("S")
	case "Z":
		b.m = 0
		return line("Z A")
	case "T":
		t := b.m
		b.m = 0
		return line(fmt.Sprintf("T S %10s g", FormatGrams(t)))
	}
	return line("ES")
}

func TestConformance(t *testing.T) {
	scaletest.Run(t, scaletest.Harness{
		Caps: scaletest.Caps{
			Zero: true, Tare: true, Motion: true, Negative: true,
			Faults: []string{scale.CodeOverload, scale.CodeUnderload, scale.CodeBusy, scale.CodeSyntax,
				scale.CodeTransmission, scale.CodeTimeout, scale.CodeParse},
		},
		Open: func(t *testing.T) (scale.Scale, scaletest.Device) {
			ctl, path := scaletest.PTY(t)
			b := &balance{stable: true}
			b.srv = scaletest.Serve(t, ctl, scaletest.SplitCRLF, b.respond)
			sc, err := scale.Open(t.Context(), devices.Spec{Name: "scale1", Kind: devices.KindScale, Driver: "mt-sics",
				Port: path, Baud: 9600, Options: map[string]any{"timeout_ms": 150, "command_timeout_ms": 500}}, devices.Env{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { sc.Close() })
			return sc, b
		},
	})
}

// TestLateAnswerSkipped: a line answering another command is not taken for the weight.
func TestLateAnswerSkipped(t *testing.T) {
	ctl, path := scaletest.PTY(t)
	scaletest.Serve(t, ctl, scaletest.SplitCRLF, func(cmd []byte) [][]byte {
		// A late answer to an earlier Z comes before the weight.
		return [][]byte{[]byte("Z A\r\nS S     42.10 g\r\n")}
	})
	sc, err := scale.Open(t.Context(), devices.Spec{Name: "scale1", Kind: devices.KindScale, Driver: "mt-sics",
		Port: path, Options: map[string]any{"timeout_ms": 1000}}, devices.Env{})
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	r, err := sc.Read(t.Context())
	if err != nil || r.Mass != 42100*units.Milligram || !r.Stable {
		t.Fatalf("Read = %+v, %v", r, err)
	}
}

func TestGarbageWithoutEndIsParseError(t *testing.T) {
	ctl, path := scaletest.PTY(t)
	scaletest.Serve(t, ctl, scaletest.SplitCRLF, func(cmd []byte) [][]byte {
		return [][]byte{[]byte("\xfe\xff\x80 noise without an end")} // wrong baud rate looks like this
	})
	sc, err := scale.Open(t.Context(), devices.Spec{Name: "scale1", Kind: devices.KindScale, Driver: "mt-sics",
		Port: path, Options: map[string]any{"timeout_ms": 100}}, devices.Env{})
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	if _, err := sc.Read(t.Context()); !errors.Is(err, scale.ErrParse) {
		t.Fatalf("Read = %v, want parse_error", err)
	}
}

func TestFormatGrams(t *testing.T) {
	for _, c := range []struct {
		m    units.Mass
		want string
	}{
		{250 * units.Gram, "250.00"},
		{12345 * units.Milligram, "12.345"},
		{100 * units.Milligram, "0.10"},
		{-1500 * units.Milligram, "-1.50"},
	} {
		if got := FormatGrams(c.m); got != c.want {
			t.Errorf("FormatGrams(%d mg) = %q, want %q", int64(c.m), got, c.want)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		name string
		opts map[string]any
		keys string
	}{
		{"defaults", nil, ""},
		{"all set", map[string]any{"command": "SIR", "timeout_ms": 500, "command_timeout_ms": 20000, "parity": "even", "data_bits": 7}, ""},
		{"bad", map[string]any{"command": "W", "timeout_ms": 5, "command_timeout_ms": 0, "parity": "x", "poll_ms": 1}, "parity,command,timeout_ms,command_timeout_ms,poll_ms"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var keys []string
			for _, e := range scale.Validate(devices.Spec{Name: "s", Kind: "scale", Driver: "mt-sics", Port: "/dev/null", Options: c.opts}) {
				keys = append(keys, e.Key)
			}
			if got := strings.Join(keys, ","); got != c.keys {
				t.Errorf("errors on %q, want %q", got, c.keys)
			}
		})
	}
}

func TestOpenMissingPort(t *testing.T) {
	_, err := scale.Open(context.Background(), devices.Spec{Name: "scale1", Kind: "scale", Driver: "mt-sics", Port: "/dev/does-not-exist-stationd"}, devices.Env{})
	if err == nil || !strings.Contains(err.Error(), "scale1") || !strings.Contains(err.Error(), "/dev/serial/by-id") {
		t.Fatalf("Open = %v, want an error naming the device with a hint", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, v := range scaletest.LoadVectors(f, vectorFile) {
		f.Add(v.Bytes())
	}
	f.Add([]byte(`I2 A "PG5002-S 5100.00 g"` + "\r\n"))
	f.Add([]byte("S S 1.5 %\r\n"))
	f.Fuzz(func(t *testing.T, line []byte) {
		r, err := Parse(line)
		if err != nil {
			if scale.Code(err) == "" {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		for _, cmd := range []string{"SI", "Z", "T", "TA", "I4"} {
			res, err := Interpret(cmd, r)
			if err != nil && res != (Result{}) {
				t.Fatalf("error with a result: %+v %v", res, err)
			}
			if err == nil && res.Kind == KindWeight && r.Value == "" {
				t.Fatalf("weight without a value from %q", line)
			}
		}
	})
}

func BenchmarkParse(b *testing.B) {
	line := []byte("S S      100.00 g\r\n")
	b.ReportAllocs()
	for b.Loop() {
		r, err := Parse(line)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Interpret("SI", r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseLb(b *testing.B) {
	line := []byte("S D     2.2046 lb\r\n")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(line); err != nil {
			b.Fatal(err)
		}
	}
}

// TestOwnCases: cases beyond the vectors, from the same manual sections.
func TestOwnCases(t *testing.T) {
	for _, c := range []struct {
		cmd, line string
		kind      string
		mg        int64
		stable    bool
		text      string
		err       string
	}{
		{"I2", `I2 A "PG5002-S 5100.00 g"` + "\r\n", KindInfo, 0, false, "PG5002-S 5100.00 g", ""},
		{"SI", "S S        1.5 %\r\n", "", 0, false, "", scale.CodeUnknownUnit},
		{"SI", "S S     12.5 GN\r\n", KindWeight, 810, true, "", ""}, // 12.5 × 64.79891 mg
		{"SI", "S D    -3.25 oz\r\n", KindWeight, -92136, false, "", ""},
		{"ZI", "ZI D\r\n", KindAck, 0, false, "", ""},
		{"T", "T -\r\n", "", 0, false, "", scale.CodeLowerLimit},
		{"SI", "S S\r\n", "", 0, false, "", scale.CodeParse},
		{"SI", "Z A\r\n", "", 0, false, "", scale.CodeParse},
		{"SI", "ES extra\r\n", "", 0, false, "", scale.CodeParse},
		{"SI", "s s 1.0 g\r\n", "", 0, false, "", scale.CodeParse},
	} {
		t.Run(c.line, func(t *testing.T) {
			_, res, err := parseLine(c.cmd, []byte(c.line))
			if scale.Code(err) != c.err {
				t.Fatalf("error %v, want %q", err, c.err)
			}
			if err != nil {
				return
			}
			if res.Kind != c.kind || res.Text != c.text || int64(res.Reading.Mass) != c.mg ||
				(c.kind == KindWeight && res.Reading.Stable != c.stable) || (c.kind == KindAck && res.Stable != c.stable) {
				t.Errorf("result %+v", res)
			}
		})
	}
}
