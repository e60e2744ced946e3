// Package vectors loads the shared byte-exact test vectors of the lights drivers
// (devices/lights/testdata/vectors, copies of shared/vectors/i2c_lights.json and ws2812.json)
// for the drivers' tests, which run from a directory below devices/lights.
package vectors

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"periph.io/x/conn/v3/i2c/i2ctest"
)

// Dir is where the vector files are, seen from a driver package's directory.
var Dir = filepath.Join("..", "testdata", "vectors")

// I2C is i2c_lights.json.
type I2C struct {
	RegisterMaps struct {
		Bank0 map[string]string `json:"mcp23017_bank0"`
		Bank1 map[string]string `json:"mcp23017_bank1"`
	} `json:"register_maps"`
	Cases []I2CCase `json:"cases"`
}

// I2CCase is one case of i2c_lights.json.
type I2CCase struct {
	Name   string `json:"name"`
	Chip   string `json:"chip"`
	Expect struct {
		Ops            []Op              `json:"ops"`
		RegistersAfter map[string]string `json:"registers_after"`
		Pressed        json.RawMessage   `json:"pressed"`
		InterruptPins  []string          `json:"interrupt_pins"`
		CapturedLow    []string          `json:"captured_low"`
	} `json:"expect"`
	Alternatives [][]Op `json:"equivalent_alternatives"`
}

// Op is one I²C transaction: a write, or a write then a read.
type Op struct {
	Addr string `json:"addr"`
	W    string `json:"w"`
	R    string `json:"r"`
}

// IO converts ops to i2ctest.Playback operations.
func IO(t testing.TB, ops []Op) []i2ctest.IO {
	t.Helper()
	io := make([]i2ctest.IO, len(ops))
	for i, o := range ops {
		a, err := strconv.ParseUint(o.Addr, 0, 16)
		if err != nil {
			t.Fatalf("op %d: addr %q: %v", i, o.Addr, err)
		}
		io[i] = i2ctest.IO{Addr: uint16(a), W: Hex(t, o.W)}
		if o.R != "" {
			io[i].R = Hex(t, o.R)
		}
	}
	return io
}

// Hex decodes a hex string of a vector file.
func Hex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.TrimPrefix(s, "0x"))
	if err != nil {
		t.Fatalf("hex %q: %v", s, err)
	}
	return b
}

// LoadI2C reads i2c_lights.json.
func LoadI2C(t testing.TB) *I2C {
	t.Helper()
	var f I2C
	load(t, "i2c_lights.json", &f)
	return &f
}

// WS2812 is ws2812.json.
type WS2812 struct {
	Timings struct {
		Encodings map[string]struct {
			SPIBitNS       float64 `json:"spi_bit_ns"`
			T0H            float64 `json:"T0H_ns"`
			T0L            float64 `json:"T0L_ns"`
			T1H            float64 `json:"T1H_ns"`
			T1L            float64 `json:"T1L_ns"`
			Zero           string  `json:"zero"`
			One            string  `json:"one"`
			SPIBytesPerLED int     `json:"spi_bytes_per_led"`
		} `json:"encodings"`
		ResetZeroBytes300 map[string]int     `json:"reset_zero_bytes_for_300us"`
		Refresh300ms      map[string]float64 `json:"refresh_300_leds_ms"`
	} `json:"timings"`
	Cases []WS2812Case `json:"cases"`
}

// RGB is a colour of a ws2812.json input.
type RGB struct{ R, G, B int }

// WS2812Case is one case of ws2812.json.
type WS2812Case struct {
	Name     string `json:"name"`
	Encoding string `json:"encoding"`
	Input    struct {
		R              *int  `json:"r"`
		G              *int  `json:"g"`
		B              *int  `json:"b"`
		Pixels         []RGB `json:"pixels"`
		ResetZeroBytes int   `json:"reset_zero_bytes"`
	} `json:"input"`
	Expect struct {
		GRB    string `json:"grb"`
		SPIHex string `json:"spi_hex"`
		Length int    `json:"length"`
	} `json:"expect"`
}

// PixelList returns the case's pixels: the list, or the single r, g, b.
func (c *WS2812Case) PixelList() []RGB {
	if len(c.Input.Pixels) > 0 {
		return c.Input.Pixels
	}
	if c.Input.R == nil || c.Input.G == nil || c.Input.B == nil {
		return nil
	}
	return []RGB{{*c.Input.R, *c.Input.G, *c.Input.B}}
}

// LoadWS2812 reads ws2812.json.
func LoadWS2812(t testing.TB) *WS2812 {
	t.Helper()
	var f WS2812
	load(t, "ws2812.json", &f)
	return &f
}

func load(t testing.TB, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(Dir, name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}
