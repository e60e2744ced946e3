package zpl

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// hsVectors is shared/vectors/zpl_hs.json, copied into testdata so that the package tests run
// from a clone; TestVectorsCopy keeps the copy honest.
const hsVectors = "testdata/zpl_hs.json"

type hsFile struct {
	Cases []struct {
		Name   string          `json:"name"`
		Host   string          `json:"host"`
		Input  string          `json:"input"`
		Chunks []string        `json:"chunks"`
		Expect json.RawMessage `json:"expect"`
	} `json:"cases"`
}

type hsExpect struct {
	Kind  string `json:"kind"`
	Error string `json:"error"`
	// host_status
	Communication struct {
		Baud      int    `json:"baud"`
		Handshake string `json:"handshake"`
		Parity    string `json:"parity"`
		StopBits  int    `json:"stop_bits"`
		DataBits  int    `json:"data_bits"`
	} `json:"communication"`
	PaperOut            bool     `json:"paper_out"`
	Paused              bool     `json:"paused"`
	LabelLengthDots     int      `json:"label_length_dots"`
	FormatsInBuffer     int      `json:"formats_in_buffer"`
	BufferFull          bool     `json:"buffer_full"`
	CommDiagnostics     bool     `json:"comm_diagnostics"`
	PartialFormat       bool     `json:"partial_format"`
	CorruptRAM          bool     `json:"corrupt_ram"`
	UnderTemperature    bool     `json:"under_temperature"`
	OverTemperature     bool     `json:"over_temperature"`
	FunctionSettings    int      `json:"function_settings"`
	HeadUp              bool     `json:"head_up"`
	RibbonOut           bool     `json:"ribbon_out"`
	ThermalTransfer     bool     `json:"thermal_transfer"`
	PrintMode           string   `json:"print_mode"`
	PrintWidthMode      int      `json:"print_width_mode"`
	LabelWaiting        bool     `json:"label_waiting"`
	LabelsRemaining     int      `json:"labels_remaining"`
	FormatWhilePrinting bool     `json:"format_while_printing"`
	GraphicsStored      int      `json:"graphics_stored"`
	Password            string   `json:"password"`
	StaticRAM           bool     `json:"static_ram_installed"`
	Problems            []string `json:"problems"`
	Ready               bool     `json:"ready"`
	// error_status
	ErrorFlag   bool     `json:"error_flag"`
	ErrorsHex   string   `json:"errors_hex"`
	Errors      []string `json:"errors"`
	WarningFlag bool     `json:"warning_flag"`
	WarningsHex string   `json:"warnings_hex"`
	Warnings    []string `json:"warnings"`
}

func loadHS(t *testing.T) hsFile {
	t.Helper()
	b, err := os.ReadFile(hsVectors)
	if err != nil {
		t.Fatal(err)
	}
	var f hsFile
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Cases) == 0 {
		t.Fatal("no cases")
	}
	return f
}

func TestVectorsCopy(t *testing.T) {
	shared := filepath.Join("..", "..", "..", "..", "shared", "vectors", "zpl_hs.json")
	want, err := os.ReadFile(shared)
	if err != nil {
		t.Skipf("shared vectors not beside the repository: %v", err)
	}
	got, err := os.ReadFile(hsVectors)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from %s: copy the shared file again", hsVectors, shared)
	}
}

func TestStatusVectors(t *testing.T) {
	for _, c := range loadHS(t).Cases {
		t.Run(c.Name, func(t *testing.T) {
			var want hsExpect
			if err := json.Unmarshal(c.Expect, &want); err != nil {
				t.Fatal(err)
			}
			inputs := [][]byte{[]byte(c.Input)}
			if c.Chunks != nil {
				// Chunks as they arrive: incomplete until the last one.
				var acc []byte
				for i, ch := range c.Chunks {
					acc = append(acc, ch...)
					if i < len(c.Chunks)-1 {
						if _, err := ParseHostStatus(acc); !errors.Is(err, ErrIncomplete) {
							t.Fatalf("after chunk %d: err = %v, want ErrIncomplete", i, err)
						}
					}
				}
				inputs = append(inputs, acc)
			}
			for _, in := range inputs {
				switch want.Kind {
				case "host_status":
					h, err := ParseHostStatus(in)
					if err != nil {
						t.Fatal(err)
					}
					checkHS(t, h, want)
				case "error_status":
					e, err := ParseErrorStatus(in)
					if err != nil {
						t.Fatal(err)
					}
					checkES(t, e, want)
				case "error":
					// "incomplete" and "timeout" (nothing at all): the parser cannot finish;
					// the driver turns the timeout into a ~HQES query (zplprinter tests).
					_, err := ParseHostStatus(in)
					if !errors.Is(err, ErrIncomplete) {
						t.Fatalf("err = %v, want ErrIncomplete (%s)", err, want.Error)
					}
				default:
					t.Fatalf("unknown kind %q", want.Kind)
				}
			}
		})
	}
}

func checkHS(t *testing.T, h HostStatus, w hsExpect) {
	t.Helper()
	got := map[string]any{
		"baud": h.Comm.Baud, "handshake": h.Comm.Handshake, "parity": h.Comm.Parity,
		"stop_bits": h.Comm.StopBits, "data_bits": h.Comm.DataBits,
		"paper_out": h.PaperOut, "paused": h.Paused, "label_length_dots": h.LabelLengthDots,
		"formats_in_buffer": h.FormatsInBuffer, "buffer_full": h.BufferFull,
		"comm_diagnostics": h.CommDiagnostics, "partial_format": h.PartialFormat,
		"corrupt_ram": h.CorruptRAM, "under_temperature": h.UnderTemperature,
		"over_temperature": h.OverTemperature, "function_settings": h.FunctionSettings,
		"head_up": h.HeadUp, "ribbon_out": h.RibbonOut, "thermal_transfer": h.ThermalTransfer,
		"print_mode": h.PrintMode, "print_width_mode": h.PrintWidthMode,
		"label_waiting": h.LabelWaiting, "labels_remaining": h.LabelsRemaining,
		"format_while_printing": h.FormatWhilePrinting, "graphics_stored": h.GraphicsStored,
		"password": h.Password, "static_ram_installed": h.StaticRAM,
		"problems": h.Problems(), "ready": h.Ready(),
	}
	want := map[string]any{
		"baud": w.Communication.Baud, "handshake": w.Communication.Handshake, "parity": w.Communication.Parity,
		"stop_bits": w.Communication.StopBits, "data_bits": w.Communication.DataBits,
		"paper_out": w.PaperOut, "paused": w.Paused, "label_length_dots": w.LabelLengthDots,
		"formats_in_buffer": w.FormatsInBuffer, "buffer_full": w.BufferFull,
		"comm_diagnostics": w.CommDiagnostics, "partial_format": w.PartialFormat,
		"corrupt_ram": w.CorruptRAM, "under_temperature": w.UnderTemperature,
		"over_temperature": w.OverTemperature, "function_settings": w.FunctionSettings,
		"head_up": w.HeadUp, "ribbon_out": w.RibbonOut, "thermal_transfer": w.ThermalTransfer,
		"print_mode": w.PrintMode, "print_width_mode": w.PrintWidthMode,
		"label_waiting": w.LabelWaiting, "labels_remaining": w.LabelsRemaining,
		"format_while_printing": w.FormatWhilePrinting, "graphics_stored": w.GraphicsStored,
		"password": w.Password, "static_ram_installed": w.StaticRAM,
		"problems": w.Problems, "ready": w.Ready,
	}
	for k, v := range want {
		if !reflect.DeepEqual(got[k], v) {
			t.Errorf("%s = %#v, want %#v", k, got[k], v)
		}
	}
}

func checkES(t *testing.T, e ErrorStatus, w hsExpect) {
	t.Helper()
	if e.ErrorFlag != w.ErrorFlag || e.WarningFlag != w.WarningFlag {
		t.Errorf("flags = %v %v, want %v %v", e.ErrorFlag, e.WarningFlag, w.ErrorFlag, w.WarningFlag)
	}
	if got := hex8(e.Errors); got != w.ErrorsHex {
		t.Errorf("errors = %s, want %s", got, w.ErrorsHex)
	}
	if got := hex8(e.Warnings); got != w.WarningsHex {
		t.Errorf("warnings = %s, want %s", got, w.WarningsHex)
	}
	if !reflect.DeepEqual(e.ErrorNames, w.Errors) {
		t.Errorf("error names = %q, want %q", e.ErrorNames, w.Errors)
	}
	if !reflect.DeepEqual(e.WarningNames, w.Warnings) {
		t.Errorf("warning names = %q, want %q", e.WarningNames, w.Warnings)
	}
	if e.Ready() != w.Ready {
		t.Errorf("ready = %v, want %v", e.Ready(), w.Ready)
	}
}

func hex8(v uint64) string {
	const d = "0123456789abcdef"
	b := make([]byte, 8)
	for i := 7; i >= 0; i-- {
		b[i] = d[v&0xF]
		v >>= 4
	}
	return string(b)
}

func TestParseHostStatusMalformed(t *testing.T) {
	good := "\x02030,0,0,1218,000,0,0,0,000,0,0,0\x03\r\n\x02000,0,0,0,1,2,6,0,00000000,1,000\x03\r\n\x021234,0\x03\r\n"
	for _, tc := range []struct{ name, in string }{
		{"short string 1", "\x02030,0,0\x03\x02000,0,0,0,1,2,6,0,00000000,1,000\x03\x021234,0\x03"},
		{"flag not 0/1", "\x02030,2,0,1218,000,0,0,0,000,0,0,0\x03\x02000,0,0,0,1,2,6,0,00000000,1,000\x03\x021234,0\x03"},
		{"aaa over 9 bits", "\x02999,0,0,1218,000,0,0,0,000,0,0,0\x03\x02000,0,0,0,1,2,6,0,00000000,1,000\x03\x021234,0\x03"},
		{"number with letters", "\x02030,0,0,12x8,000,0,0,0,000,0,0,0\x03\x02000,0,0,0,1,2,6,0,00000000,1,000\x03\x021234,0\x03"},
		{"string 3 fields", "\x02030,0,0,1218,000,0,0,0,000,0,0,0\x03\x02000,0,0,0,1,2,6,0,00000000,1,000\x03\x021234\x03"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParseHostStatus([]byte(tc.in)); err == nil || errors.Is(err, ErrIncomplete) {
				t.Errorf("err = %v, want a parse error", err)
			}
		})
	}
	// Noise around the frames (XON/XOFF, stale line ends) is ignored.
	if _, err := ParseHostStatus([]byte("\x11\r\n" + good + "\x13")); err != nil {
		t.Errorf("with noise: %v", err)
	}
}

func TestParseErrorStatusMalformed(t *testing.T) {
	for _, in := range []string{
		"\x02\r\nPRINTER STATUS\r\nERRORS: 1 00000000\r\nWARNINGS: 0 00000000 00000000\r\n\x03",
		"\x02\r\nPRINTER STATUS\r\nERRORS: 1 00000000 0000000G\r\nWARNINGS: 0 00000000 00000000\r\n\x03",
		"\x02\r\nPRINTER STATUS\r\nERRORS: 1 00000000 00000001\r\n\x03",
	} {
		if _, err := ParseErrorStatus([]byte(in)); err == nil || errors.Is(err, ErrIncomplete) {
			t.Errorf("%q: err = %v, want a parse error", in, err)
		}
	}
	if _, err := ParseErrorStatus([]byte("\x02\r\nPRINTER STATUS\r\nERRORS: 1 0")); !errors.Is(err, ErrIncomplete) {
		t.Errorf("no ETX: err = %v, want ErrIncomplete", err)
	}
}

func FuzzParseHostStatus(f *testing.F) {
	f.Add([]byte("\x02030,0,0,1218,000,0,0,0,000,0,0,0\x03\r\n\x02000,0,0,0,1,2,6,0,00000000,1,000\x03\r\n\x021234,0\x03\r\n"))
	f.Add([]byte("\x02174,1,1,0812,005,1,1,1,000,1,1,1\x03\x02255,0,1,1,0,9,6,1,00000012,1,002\x03\x020000,1\x03"))
	f.Add([]byte("\x02\x03\x02\x03\x02\x03"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseHostStatus(b)
		if err != nil {
			return
		}
		if h.Ready() != (len(h.Problems()) == 0) {
			t.Fatalf("Ready %v with problems %v", h.Ready(), h.Problems())
		}
	})
}

func FuzzParseErrorStatus(f *testing.F) {
	f.Add([]byte("\x02\r\n  PRINTER STATUS\r\n    ERRORS:         1 00000000 00000005\r\n    WARNINGS:       0 00000000 00000000\r\n\x03"))
	f.Add([]byte("\x02ERRORS: 1 ffffffffffffffff ffffffffffffffff WARNINGS: 1 0 1\x03"))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := ParseErrorStatus(b)
		if err != nil {
			return
		}
		if e.Errors == 0 && len(e.ErrorNames) != 0 {
			t.Fatalf("names %v without bits", e.ErrorNames)
		}
	})
}
