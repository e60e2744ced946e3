package cas

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stationd/stationd/devices"
	"github.com/stationd/stationd/devices/scale"
	"github.com/stationd/stationd/devices/scale/scaletest"
	"github.com/stationd/stationd/protocol/units"
)

const vectorFile = "../testdata/vectors/cas.json"

// pd2Frame returns the frame of a layout C case: the input of its DC1 step.
func pd2Frame(v scaletest.Vector) []byte { return scaletest.MustHex(v.Steps[len(v.Steps)-1].InputHex) }

func checkFrame(t *testing.T, v scaletest.Vector, f Frame, err error) {
	t.Helper()
	if v.Str("kind") == "error" {
		if got := scale.Code(err); got != v.Str("error") {
			t.Fatalf("error %v (code %q), want %q", err, got, v.Str("error"))
		}
		if f != (Frame{}) {
			t.Errorf("error with frame %+v", f)
		}
		return
	}
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	v.CheckMass(t, f.Mass)
	if st, ok := v.Bool("stable"); ok && f.Stable != st {
		t.Errorf("stable %v, want %v", f.Stable, st)
	}
	if net, ok := v.Bool("net"); ok && f.Net != net {
		t.Errorf("net %v, want %v", f.Net, net)
	}
	if id := v.Str("device_id"); id != "" && string(f.DeviceID) != id {
		t.Errorf("device id %q, want %q", f.DeviceID, id)
	}
	if lb := v.Str("lamp_byte"); lb != "" && f.Lamp.String() != lb {
		t.Errorf("lamp byte %v, want %s", f.Lamp, lb)
	}
	for key, got := range map[string]bool{"lamp_stable": f.Lamp.Stable(), "lamp_hold": f.Lamp.Hold(),
		"lamp_printer": f.Lamp.Printer(), "lamp_gross": f.Lamp.Gross(), "lamp_tare": f.Lamp.Tare(), "lamp_zero": f.Lamp.Zero()} {
		if want, ok := v.Bool(key); ok && got != want {
			t.Errorf("%s = %v, want %v", key, got, want)
		}
	}
	if bcc := v.Str("bcc"); bcc != "" && fmt.Sprintf("0x%02x", f.BCC) != bcc {
		t.Errorf("bcc 0x%02x, want %s", f.BCC, bcc)
	}
}

// TestVectors runs every case of cas.json through the parsers; stream cases go through the
// driver's line framing (a Scale on a pipe), which drops a partial first line.
func TestVectors(t *testing.T) {
	for _, v := range scaletest.LoadVectors(t, vectorFile) {
		t.Run(v.Name, func(t *testing.T) {
			if v.Format == "C" {
				f, err := ParsePD2(pd2Frame(v))
				checkFrame(t, v, f, err)
				if rcv := v.Str("bcc_received"); rcv != "" {
					fr := pd2Frame(v)
					if fmt.Sprintf("0x%02x", fr[12]) != rcv || fmt.Sprintf("0x%02x", BCC(fr)) != v.Str("bcc_computed") {
						t.Errorf("bcc received 0x%02x computed 0x%02x", fr[12], BCC(fr))
					}
				}
				return
			}
			if v.Str("kind") != "stream" {
				f, err := ParseLine(v.Bytes())
				checkFrame(t, v, f, err)
				return
			}
			// Frame the stream as the driver does, every line in order.
			s := &Scale{}
			data := v.Bytes()
			var got []scaletest.Vector
			dropped := 0
			for len(data) > 0 {
				adv, line := s.splitLine(data)
				if adv == 0 {
					t.Fatalf("unframed tail %q", data)
				}
				if line == nil {
					dropped++
				} else {
					f, err := ParseLine(line)
					if err != nil {
						t.Fatal(err)
					}
					got = append(got, scaletest.Vector{Expect: map[string]any{"mg": float64(f.Mass), "stable": f.Stable}})
				}
				data = data[adv:]
			}
			want := v.Readings()
			if len(got) != len(want) {
				t.Fatalf("%d readings, want %d", len(got), len(want))
			}
			for i := range want {
				mg, _ := got[i].Int("mg")
				st, _ := got[i].Bool("stable")
				checkFrame(t, want[i], Frame{Mass: units.Mass(mg), Stable: st}, nil)
			}
			if n, ok := v.Int("dropped_partial"); ok && int64(dropped) != n {
				t.Errorf("dropped %d partial lines, want %d", dropped, n)
			}
		})
	}
}

// TestVectorsOnPTY replays every case against the driver on a pseudo-terminal: stream cases are
// written unasked, PD-II cases answer ENQ and DC1 step by step; once whole, once in chunks.
func TestVectorsOnPTY(t *testing.T) {
	for _, v := range scaletest.LoadVectors(t, vectorFile) {
		for _, mode := range []string{"whole", "chunks"} {
			t.Run(v.Name+"/"+mode, func(t *testing.T) {
				t.Parallel()
				ctl, path := scaletest.PTY(t)
				format := FormatStream
				var srv *scaletest.Server
				if v.Format == "C" {
					format = FormatPD2
					step := 0
					srv = scaletest.Serve(t, ctl, scaletest.SplitBytes, func(cmd []byte) [][]byte {
						if step >= len(v.Steps) {
							t.Errorf("unexpected command %x", cmd)
							return nil
						}
						st := v.Steps[step]
						step++
						if hex.EncodeToString(cmd) != st.HostHex {
							t.Errorf("driver sent %x, want %s", cmd, st.HostHex)
						}
						in := scaletest.MustHex(st.InputHex)
						if mode == "chunks" {
							return scaletest.Vector{InputHex: st.InputHex}.ChunkBytes(4)
						}
						return [][]byte{in}
					})
				} else {
					srv = scaletest.Serve(t, ctl, scaletest.SplitBytes, func([]byte) [][]byte { return nil })
				}
				sc, err := scale.Open(t.Context(), devices.Spec{Name: "scale1", Kind: devices.KindScale, Driver: "cas",
					Port: path, Options: map[string]any{"format": format, "timeout_ms": 2000}}, devices.Env{})
				if err != nil {
					t.Fatal(err)
				}
				defer sc.Close()
				if v.Format != "C" {
					chunks := [][]byte{v.Bytes()}
					if mode == "chunks" {
						chunks = v.ChunkBytes(5)
					}
					for _, c := range chunks {
						if err := srv.Write(c); err != nil {
							t.Fatal(err)
						}
					}
				}
				if v.Str("kind") == "stream" {
					scaletest.CheckStream(t, func() (units.Mass, bool, error) {
						r, err := sc.Read(t.Context())
						return r.Mass, r.Stable, err
					}, v.Readings())
					return
				}
				r, err := sc.Read(t.Context())
				var f Frame
				if err == nil {
					f = Frame{Mass: r.Mass, Stable: r.Stable, Net: v.Expect["net"] == true,
						DeviceID: idOf(v), Lamp: lampOf(v), BCC: bccOf(v)}
				}
				checkFrame(t, v, f, err)
			})
		}
	}
}

// idOf, lampOf and bccOf echo a case's fields that Read does not return, so that checkFrame
// compares only what the driver gives.
func idOf(v scaletest.Vector) byte {
	if s := v.Str("device_id"); s != "" {
		return s[0]
	}
	return 0
}

func lampOf(v scaletest.Vector) Lamp {
	var b byte
	fmt.Sscanf(v.Str("lamp_byte"), "0x%02x", &b)
	return Lamp(b)
}

func bccOf(v scaletest.Vector) byte {
	var b byte
	fmt.Sscanf(v.Str("bcc"), "0x%02x", &b)
	return b
}

// indicator simulates a streaming CAS indicator (layout A or B) or a PD-II scale.
type indicator struct {
	ctl    *os.File
	layout byte
	mu     sync.Mutex
	m      units.Mass
	stable bool
	fault  string
	srv    *scaletest.Server
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once
}

func (d *indicator) Set(m units.Mass, stable bool) {
	d.mu.Lock()
	d.m, d.stable, d.fault = m, stable, ""
	d.mu.Unlock()
}
func (d *indicator) Fault(code string) { d.mu.Lock(); d.fault = code; d.mu.Unlock() }

func (d *indicator) Unplug() {
	if d.srv != nil {
		d.srv.Unplug()
		return
	}
	d.once.Do(func() {
		close(d.stop)
		d.ctl.Close()
	})
	<-d.done
}

func kg(m units.Mass) string {
	g := m.Grams()
	if g < 0 {
		g = -g
	}
	return fmt.Sprintf("%d.%03d", g/1000, g%1000)
}

func (d *indicator) line() []byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch d.fault {
	case scale.CodeTimeout:
		return nil
	case scale.CodeParse:
		return []byte("ST,GS,+  1.2x4kg\r\n")
	case scale.CodeOverload:
		return []byte("OL,GS,+ 99.999kg\r\n")
	}
	hdr := "ST"
	if !d.stable {
		hdr = "US"
	}
	if d.layout == LayoutB {
		lamp := byte(0xa4)
		if d.stable {
			lamp |= 0x40
		}
		l := []byte(hdr + ",GS,1")
		l = append(l, lamp)
		return append(l, fmt.Sprintf(",%08s kg\r\n", kg(d.m))...)
	}
	sign := '+'
	if d.m < 0 {
		sign = '-'
	}
	return []byte(fmt.Sprintf("%s,GS,%c%7skg\r\n", hdr, sign, kg(d.m)))
}

// stream writes the current line every 5 ms until Unplug or the end of the test.
func (d *indicator) stream() {
	defer close(d.done)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-d.stop:
			return
		case <-tick.C:
		}
		if l := d.line(); l != nil {
			if _, err := d.ctl.Write(l); err != nil {
				return
			}
		}
	}
}

func (d *indicator) respondPD2(cmd []byte) [][]byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fault == scale.CodeTimeout {
		return nil
	}
	switch cmd[0] {
	case ENQ:
		return [][]byte{{ACK}}
	case DC1:
	default:
		return nil
	}
	if d.fault == scale.CodeParse {
		return [][]byte{[]byte("garbage\r\n")}
	}
	sta, sign := byte('S'), byte(' ')
	if !d.stable {
		sta = 'U'
	}
	if d.fault == scale.CodeFault {
		sta = 'F'
	}
	if d.m < 0 {
		sign = '-'
	}
	f := []byte(fmt.Sprintf("\x01\x02%c%c%6sKG\x00\x03\x04", sta, sign, kg(d.m)))
	f[12] = BCC(f)
	if d.fault == scale.CodeChecksum {
		f[12] ^= 0x01
	}
	return [][]byte{f}
}

func harness(layout byte) scaletest.Harness {
	caps := scaletest.Caps{Motion: true, Negative: layout != LayoutB,
		Faults: []string{scale.CodeOverload, scale.CodeTimeout, scale.CodeParse}}
	format := FormatStream
	if layout == LayoutC {
		format = FormatPD2
		caps.Faults = []string{scale.CodeFault, scale.CodeChecksum, scale.CodeTimeout, scale.CodeParse}
	}
	return scaletest.Harness{
		Caps: caps,
		Open: func(t *testing.T) (scale.Scale, scaletest.Device) {
			ctl, path := scaletest.PTY(t)
			d := &indicator{ctl: ctl, layout: layout, stable: true, stop: make(chan struct{}), done: make(chan struct{})}
			if layout == LayoutC {
				d.srv = scaletest.Serve(t, ctl, scaletest.SplitBytes, d.respondPD2)
			} else {
				go d.stream()
				t.Cleanup(d.Unplug)
			}
			sc, err := scale.Open(t.Context(), devices.Spec{Name: "scale1", Kind: devices.KindScale, Driver: "cas",
				Port: path, Options: map[string]any{"format": format, "timeout_ms": 150}}, devices.Env{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { sc.Close() })
			return sc, d
		},
	}
}

func TestConformance(t *testing.T) {
	t.Run("A", func(t *testing.T) { scaletest.Run(t, harness(LayoutA)) })
	t.Run("B", func(t *testing.T) { scaletest.Run(t, harness(LayoutB)) })
	t.Run("PD-II", func(t *testing.T) { scaletest.Run(t, harness(LayoutC)) })
}

func TestGarbageStreamIsParseError(t *testing.T) {
	ctl, path := scaletest.PTY(t)
	srv := scaletest.Serve(t, ctl, scaletest.SplitBytes, func([]byte) [][]byte { return nil })
	sc, err := scale.Open(t.Context(), devices.Spec{Name: "scale1", Kind: devices.KindScale, Driver: "cas",
		Port: path, Options: map[string]any{"timeout_ms": 100}}, devices.Env{})
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	// A wrong baud rate: bytes and line ends, never a valid header.
	srv.Write(bytes.Repeat([]byte("\xf3\x9e\x00\xfe\r\n"), 10))
	if _, err := sc.Read(t.Context()); scale.Code(err) != scale.CodeParse {
		t.Fatalf("Read = %v, want parse_error", err)
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		opts map[string]any
		keys string
	}{
		{nil, ""},
		{map[string]any{"format": "pd-ii", "data_bits": 7, "parity": "even"}, ""},
		{map[string]any{"format": "C", "timeout_ms": 0}, "format,timeout_ms"},
	} {
		var keys []string
		for _, e := range scale.Validate(devices.Spec{Name: "s", Kind: "scale", Driver: "cas", Port: "/dev/null", Options: c.opts}) {
			keys = append(keys, e.Key)
		}
		if got := strings.Join(keys, ","); got != c.keys {
			t.Errorf("%v: errors on %q, want %q", c.opts, got, c.keys)
		}
	}
}

func FuzzParseLine(f *testing.F) {
	for _, v := range scaletest.LoadVectors(f, vectorFile) {
		if v.Format != "C" {
			f.Add(v.Bytes())
		}
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		fr, err := ParseLine(line)
		if err != nil {
			if scale.Code(err) == "" || fr != (Frame{}) {
				t.Fatalf("error %v with frame %+v", err, fr)
			}
			return
		}
		if bytes.HasPrefix(line, []byte("OL")) {
			t.Fatalf("overload %q gave a weight", line)
		}
	})
}

func FuzzParsePD2(f *testing.F) {
	for _, v := range scaletest.LoadVectors(f, vectorFile) {
		if v.Format == "C" {
			f.Add(pd2Frame(v))
		}
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		fr, err := ParsePD2(frame)
		if err != nil {
			if scale.Code(err) == "" || fr != (Frame{}) {
				t.Fatalf("error %v with frame %+v", err, fr)
			}
			return
		}
		if BCC(frame) != frame[12] {
			t.Fatalf("accepted a bad BCC: %x", frame)
		}
	})
}

func BenchmarkParseLine(b *testing.B) {
	line := []byte("ST,GS,+  1.234kg\r\n")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseLine(line); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParsePD2(b *testing.B) {
	frame := scaletest.MustHex("0102532020302e3331364b47750304")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParsePD2(frame); err != nil {
			b.Fatal(err)
		}
	}
}

// TestOwnCases: lines beyond the vectors, from the CI-400 appendix and the EXCELL AM4 manual.
func TestOwnCases(t *testing.T) {
	for _, c := range []struct {
		line string
		mg   int64
		net  bool
		err  string
	}{
		{"ST,NT,-  0.500lb\r\n", -226796, true, ""},
		{"ST,GS,   1.234kg\r\n", 1234000, false, ""}, // no sign
		{"US,GS,+ 0.0012 t\r\n", 1200000, false, ""},
		{"ST,GS,+  1.234\r\n", 0, false, scale.CodeParse},
		{"ST,GS,+  1.234xy\r\n", 0, false, scale.CodeUnknownUnit},
		{"XX,GS,+  1.234kg\r\n", 0, false, scale.CodeParse},
		{"ST,GS,1\x24,00013.5 kg\r\n", 0, false, scale.CodeParse}, // lamp byte without bit 7
		{"OL,NT,1\xe4,00013.5 kg\r\n", 0, false, scale.CodeOverload},
	} {
		t.Run(fmt.Sprintf("%q", c.line), func(t *testing.T) {
			f, err := ParseLine([]byte(c.line))
			if scale.Code(err) != c.err || int64(f.Mass) != c.mg || (err == nil && f.Net != c.net) {
				t.Fatalf("= %+v, %v; want %d mg, %q", f, err, c.mg, c.err)
			}
		})
	}
}
