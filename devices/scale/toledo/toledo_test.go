package toledo

import (
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

const vectorFile = "../testdata/vectors/toledo.json"

func unitOf(v scaletest.Vector) scale.Unit {
	if v.Mode == "lb" {
		return scale.Pound
	}
	return scale.Kilogram
}

// checkFlags compares the status flags a case lists with the reply's.
func checkFlags(t *testing.T, v scaletest.Vector, st Status) {
	t.Helper()
	for key, got := range map[string]bool{
		"motion": st.Motion(), "over_capacity": st.OverCapacity(), "under_zero": st.UnderZero(),
		"outside_zero_capture": st.OutsideZeroCapture(), "center_of_zero": st.CenterOfZero(),
	} {
		if want, ok := v.Bool(key); ok && got != want {
			t.Errorf("%s = %v, want %v", key, got, want)
		}
	}
}

// TestVectors runs every case of toledo.json through Parse and the result functions.
func TestVectors(t *testing.T) {
	for _, v := range scaletest.LoadVectors(t, vectorFile) {
		t.Run(v.Name, func(t *testing.T) {
			if v.Str("kind") == "echo" {
				in := v.Bytes()
				if !strings.HasPrefix(string(in), "\x02E\r") || string(in[3:]) != v.Str("echoed") {
					t.Fatalf("echo input %q", in)
				}
				return
			}
			r, err := Parse(v.Bytes(), unitOf(v))
			if err == nil && r.IsStatus {
				if sb := v.Str("status_byte"); sb != "" && r.Status.String() != sb {
					t.Errorf("status byte %v, want %s", r.Status, sb)
				}
				checkFlags(t, v, r.Status)
				if net, ok := v.Bool("net"); ok && v.Protocol == Protocol8217 && r.Status.Net() != net {
					t.Errorf("net %v, want %v", r.Status.Net(), net)
				}
			}
			if err == nil {
				switch strings.TrimRight(v.Host, "\r") {
				case "W":
					var rd scale.Reading
					rd, err = WeightResult(r)
					if err == nil {
						v.CheckMass(t, rd.Mass)
						if st, _ := v.Bool("stable"); rd.Stable != st {
							t.Errorf("stable %v, want %v", rd.Stable, st)
						}
						if net, _ := v.Bool("net"); r.Net != net {
							t.Errorf("net %v, want %v", r.Net, net)
						}
						if val := v.Str("value"); r.Value != val {
							t.Errorf("value %q, want %q", r.Value, val)
						}
					}
				case "Z":
					err = ZeroResult(r)
				case "T":
					err = TareResult(r, v.Protocol)
				case "C":
					err = ClearResult(r)
				}
			}
			checkErr(t, v, err)
		})
	}
}

func checkErr(t *testing.T, v scaletest.Vector, err error) {
	t.Helper()
	switch v.Str("kind") {
	case "error":
		if got := scale.Code(err); got != v.Str("error") {
			t.Fatalf("error %v (code %q), want %q", err, got, v.Str("error"))
		}
	default:
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
	}
}

// TestVectorsOnPTY replays every case against the driver on a pseudo-terminal opened 7E1, the
// answer in one write and then in chunks.
func TestVectorsOnPTY(t *testing.T) {
	for _, v := range scaletest.LoadVectors(t, vectorFile) {
		for _, mode := range []string{"whole", "chunks"} {
			t.Run(v.Name+"/"+mode, func(t *testing.T) {
				t.Parallel()
				answer := [][]byte{v.Bytes()}
				if mode == "chunks" {
					answer = v.ChunkBytes(2)
				}
				sc := openReplay(t, v, answer)
				ctx := t.Context()
				var err error
				switch v.Host {
				case "W":
					var rd scale.Reading
					rd, err = sc.Read(ctx)
					if err == nil {
						v.CheckMass(t, rd.Mass)
						if !rd.Stable {
							t.Error("weight not stable")
						}
					} else if rd != (scale.Reading{}) {
						t.Errorf("error %v with reading %+v", err, rd)
					}
				case "Z":
					err = sc.Zero(ctx)
				case "T\r":
					err = sc.Tare(ctx)
				case "C":
					err = sc.ClearTare(ctx)
				case "Ehello":
					var echo string
					echo, err = sc.Echo(ctx, "hello")
					if err == nil && echo != v.Str("echoed") {
						t.Errorf("echo %q, want %q", echo, v.Str("echoed"))
					}
				default:
					t.Fatalf("no driver call for host %q", v.Host)
				}
				checkErr(t, v, err)
			})
		}
	}
}

func openReplay(t *testing.T, v scaletest.Vector, answer [][]byte) *Scale {
	ctl, path := scaletest.PTY(t)
	host := v.Host
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
	mode := v.Mode
	if mode == "" {
		mode = "kg"
	}
	protocol := v.Protocol
	if protocol == "" {
		protocol = Protocol8217
	}
	sc, err := scale.Open(t.Context(), devices.Spec{Name: "scale1", Kind: devices.KindScale, Driver: "toledo",
		Port: path, Baud: 9600, Options: map[string]any{"unit": mode, "protocol": protocol, "timeout_ms": 2000}}, devices.Env{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sc.Close() })
	return sc.(*Scale)
}

// posScale simulates an 8217 scale in kg for the conformance suite.
type posScale struct {
	srv    *scaletest.Server
	mu     sync.Mutex
	m      units.Mass
	stable bool
	fault  string
}

func (p *posScale) Set(m units.Mass, stable bool) {
	p.mu.Lock()
	p.m, p.stable, p.fault = m, stable, ""
	p.mu.Unlock()
}
func (p *posScale) Fault(code string) { p.mu.Lock(); p.fault = code; p.mu.Unlock() }
func (p *posScale) Unplug()           { p.srv.Unplug() }

func splitCommand(b []byte) (int, []byte) {
	if b[0] != 'T' {
		return 1, b[:1]
	}
	for i, c := range b {
		if c == '\r' {
			return i + 1, b[:i+1]
		}
	}
	return 0, nil
}

func (p *posScale) respond(cmd []byte) [][]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	frame := func(s string) [][]byte { return [][]byte{[]byte("\x02" + s + "\r")} }
	switch p.fault {
	case scale.CodeTimeout:
		return nil
	case scale.CodeParse:
		return frame("0A.2B4")
	}
	switch string(cmd) {
	case "W":
		switch {
		case p.fault == scale.CodeOverload:
			return frame("?B")
		case p.fault == scale.CodeUnderload:
			return frame("?D")
		case p.fault == scale.CodeZeroRange:
			return frame("?H")
		case !p.stable:
			return frame("?A")
		}
		g := p.m.Grams()
		return frame(fmt.Sprintf("%02d.%03d", g/1000, g%1000))
	case "Z":
		p.m = 0
		return frame("?P")
	case "T\r":
		p.m = 0
		return frame("?p")
	case "C":
		return frame("?P")
	}
	return nil
}

func TestConformance(t *testing.T) {
	scaletest.Run(t, scaletest.Harness{
		Caps: scaletest.Caps{
			Zero: true, Tare: true,
			Faults: []string{scale.CodeOverload, scale.CodeUnderload, scale.CodeZeroRange, scale.CodeTimeout, scale.CodeParse},
		},
		Open: func(t *testing.T) (scale.Scale, scaletest.Device) {
			ctl, path := scaletest.PTY(t)
			p := &posScale{stable: true}
			p.srv = scaletest.Serve(t, ctl, splitCommand, p.respond)
			sc, err := scale.Open(t.Context(), devices.Spec{Name: "scale1", Kind: devices.KindScale, Driver: "toledo",
				Port: path, Baud: 9600, Options: map[string]any{"unit": "kg", "timeout_ms": 150, "command_gap_ms": 0}}, devices.Env{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { sc.Close() })
			return sc, p
		},
	})
}

func TestPresetTareDigits(t *testing.T) {
	for _, c := range []struct {
		m    units.Mass
		u    scale.Unit
		want string
		err  string
	}{
		{1234 * units.Gram, scale.Kilogram, "01234", ""},
		{5597330 * units.Milligram, scale.Pound, "01234", ""}, // 12.34 lb
		{453592370 * units.Milligram, scale.Pound, "", scale.CodeParameter},
		{-1, scale.Kilogram, "", scale.CodeParameter},
	} {
		got, err := tareDigits(c.m, c.u)
		if got != c.want || scale.Code(err) != c.err {
			t.Errorf("tareDigits(%v, %v) = %q, %v; want %q, %q", c.m, c.u, got, err, c.want, c.err)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		name string
		opts map[string]any
		keys string
	}{
		{"minimal", map[string]any{"unit": "kg"}, ""},
		{"unit missing", nil, "unit"},
		{"bad", map[string]any{"unit": "g", "protocol": "8200", "command_gap_ms": -1}, "unit,protocol,command_gap_ms"},
		{"8213 lb 8N1", map[string]any{"unit": "lb", "protocol": 8213, "data_bits": 8, "parity": "none"}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			var keys []string
			for _, e := range scale.Validate(devices.Spec{Name: "s", Kind: "scale", Driver: "toledo", Port: "/dev/null", Options: c.opts}) {
				keys = append(keys, e.Key)
			}
			if got := strings.Join(keys, ","); got != c.keys {
				t.Errorf("errors on %q, want %q", got, c.keys)
			}
		})
	}
}

func TestMotionIsNeverAWeight(t *testing.T) {
	_, err := WeightResult(Reply{IsStatus: true, Status: 'a'})
	if !errors.Is(err, scale.ErrUnstable) {
		t.Fatal(err)
	}
}

func FuzzParse(f *testing.F) {
	for _, v := range scaletest.LoadVectors(f, vectorFile) {
		f.Add(v.Bytes(), v.Mode == "lb")
	}
	f.Fuzz(func(t *testing.T, frame []byte, lb bool) {
		u := scale.Kilogram
		if lb {
			u = scale.Pound
		}
		r, err := Parse(frame, u)
		if err != nil {
			if scale.Code(err) == "" {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		rd, err := WeightResult(r)
		if err == nil && (r.IsStatus || rd.Mass < 0) {
			t.Fatalf("weight %+v from %q", rd, frame)
		}
		ZeroResult(r)
		TareResult(r, Protocol8217)
	})
}

func BenchmarkParse(b *testing.B) {
	frame := []byte("\x0201.234\r")
	b.ReportAllocs()
	for b.Loop() {
		r, err := Parse(frame, scale.Kilogram)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := WeightResult(r); err != nil {
			b.Fatal(err)
		}
	}
}

// TestOwnCases: cases beyond the vectors, from DIVA §6.1.4.2-3 and Odoo's framing.
func TestOwnCases(t *testing.T) {
	for _, c := range []struct {
		frame string
		unit  scale.Unit
		mg    int64
		err   string
	}{
		{"\x02 01.234\r", scale.Kilogram, 1234000, ""}, // leading blank (Odoo's \s*)
		{"\x02?@\r", scale.Kilogram, 0, scale.CodeFault},
		{"\x02?H\r", scale.Kilogram, 0, scale.CodeZeroRange},
		{"\x02?F\r", scale.Kilogram, 0, scale.CodeOverload}, // over capacity wins over under zero
		{"\x02?\x01\r", scale.Kilogram, 0, scale.CodeParse}, // bit 6 missing
		{"\x02-1.000\r", scale.Kilogram, 0, scale.CodeParse},
		{"\x0201.2.3\r", scale.Kilogram, 0, scale.CodeParse},
		{"\x02N\r", scale.Kilogram, 0, scale.CodeParse},
		{"01.234\r", scale.Kilogram, 0, scale.CodeParse},
		{"\x0201.234\r", scale.UnitNone, 0, scale.CodeUnknownUnit},
	} {
		t.Run(fmt.Sprintf("%q", c.frame), func(t *testing.T) {
			r, err := Parse([]byte(c.frame), c.unit)
			var rd scale.Reading
			if err == nil {
				rd, err = WeightResult(r)
			}
			if scale.Code(err) != c.err || int64(rd.Mass) != c.mg {
				t.Fatalf("= %+v, %v; want %d mg, %q", rd, err, c.mg, c.err)
			}
		})
	}
}
