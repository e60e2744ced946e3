package zpl

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// DPIs are the printer resolutions a Label accepts.
var DPIs = []int{203, 300, 600}

// DotsPerMM returns the dots per millimetre Zebra uses for dpi (ZPL guide, ^JM and ^MU: 203 dpi
// is 8 dots/mm, 300 is 12, 600 is 24), or 0 for any other resolution.
func DotsPerMM(dpi int) int {
	switch dpi {
	case 203:
		return 8
	case 300:
		return 12
	case 600:
		return 24
	}
	return 0
}

// Dots converts mm to dots at dpi, rounded to the nearest dot.
func Dots(mm float64, dpi int) int { return int(math.Round(mm * float64(DotsPerMM(dpi)))) }

// maxDots is the largest coordinate ^FO and ^GB accept (ZPL guide, ^FO: 0 to 32000).
const maxDots = 32000

// Preamble is what every Label writes after ^XA, so that a label prints the same whatever the
// formats sent before it changed for the session (ZPL passed through from the OMS may): UTF-8
// (^CI28), label home at the corner (^LH), dots as the unit (^MU), normal field orientation
// (^FW), print orientation (^PO) and no mirroring (^PM). Label top and label shift are left
// alone: they belong to the printer's calibration.
const Preamble = "^CI28^LH0,0^MUD^FWN^PON^PMN"

// Font is the size of text in millimetres, printed with the printer's scalable font 0
// (^A0: CG Triumvirate Bold Condensed on Zebra printers, with Latin-1 glyphs for ^CI28).
type Font struct {
	Height float64 // character height, mm
	Width  float64 // character width, mm; 0 means the same as Height (the font's proportions)
	// Reverse prints the text white on whatever is under it (^FR), for text on a filled box.
	Reverse bool
}

// Align is the justification of a text block.
type Align byte

// Justifications of ^FB.
const (
	Left    Align = 'L'
	Center  Align = 'C'
	Right   Align = 'R'
	Justify Align = 'J'
)

// Bar sets the size of a Code 128 symbol.
type Bar struct {
	Height float64 // bar height, mm
	Module float64 // narrow bar width (X dimension), mm; rounded to 1..10 dots (^BY)
	// HRI prints the printer's interpretation line under the bars. For GS1-128 the printer
	// shows the raw digits; print HRI(elements) as text instead.
	HRI bool
	// MaxWidth, when not 0, narrows the module (down to one dot) until the symbol, quiet zones
	// of ten modules included, fits in MaxWidth mm: long data stays scannable on the label
	// instead of running off its edge.
	MaxWidth float64
}

// Label builds one ZPL format (^XA ... ^XZ). Methods record the first error and do nothing
// after it; Bytes returns it. A Label is not safe for concurrent use.
type Label struct {
	dpi, dpmm int
	buf       []byte
	err       error
	done      bool
}

// NewLabel starts a label for a printer of dpi dots per inch (203, 300 or 600).
func NewLabel(dpi int) (*Label, error) {
	l := &Label{buf: make([]byte, 0, 2048)}
	return l, l.Reset(dpi)
}

// Reset empties l and starts a new label at dpi, keeping l's buffer.
func (l *Label) Reset(dpi int) error {
	l.dpi, l.dpmm, l.err, l.done = dpi, DotsPerMM(dpi), nil, false
	l.buf = append(l.buf[:0], "^XA"...)
	l.buf = append(l.buf, Preamble...)
	if l.dpmm == 0 {
		l.err = fmt.Errorf("zpl: %d dpi: must be 203, 300 or 600", dpi)
	}
	return l.err
}

// DPI returns the resolution l was started with.
func (l *Label) DPI() int { return l.dpi }

// Err returns the first error met while building l.
func (l *Label) Err() error { return l.err }

// Bytes ends the format with ^XZ (once) and returns it, or the first error met. The slice is
// l's buffer: it is valid until the next Reset.
func (l *Label) Bytes() ([]byte, error) {
	if l.err != nil {
		return nil, l.err
	}
	if !l.done {
		l.buf = append(l.buf, "^XZ\n"...)
		l.done = true
	}
	return l.buf, nil
}

func (l *Label) ok() bool {
	if l.done && l.err == nil {
		l.err = errors.New("zpl: label already ended")
	}
	return l.err == nil
}

func (l *Label) fail(err error) { l.err = err }

// dots converts a length in mm, refusing negative, huge and NaN values.
func (l *Label) dots(what string, mm float64) int {
	if l.err != nil {
		return 0
	}
	if math.IsNaN(mm) || mm < 0 || mm*float64(l.dpmm) > maxDots {
		l.fail(fmt.Errorf("zpl: %s %v mm: must be between 0 and %d dots", what, mm, maxDots))
		return 0
	}
	return int(math.Round(mm * float64(l.dpmm)))
}

func (l *Label) origin(x, y float64) {
	dx, dy := l.dots("x", x), l.dots("y", y)
	l.buf = append(l.buf, "^FO"...)
	l.buf = strconv.AppendInt(l.buf, int64(dx), 10)
	l.buf = append(l.buf, ',')
	l.buf = strconv.AppendInt(l.buf, int64(dy), 10)
}

func (l *Label) font(f Font) {
	h := max(l.dots("font height", f.Height), 1)
	w := h
	if f.Width != 0 {
		w = max(l.dots("font width", f.Width), 1)
	}
	l.buf = append(l.buf, "^A0N,"...)
	l.buf = strconv.AppendInt(l.buf, int64(h), 10)
	l.buf = append(l.buf, ',')
	l.buf = strconv.AppendInt(l.buf, int64(w), 10)
	if f.Reverse {
		l.buf = append(l.buf, "^FR"...)
	}
}

func (l *Label) field(data string) {
	l.buf = append(l.buf, "^FH_^FD"...)
	l.buf = AppendEscaped(l.buf, data)
	l.buf = append(l.buf, "^FS\n"...)
}

// Text prints s on one line with its top-left corner at x, y (mm).
func (l *Label) Text(x, y float64, f Font, s string) {
	if !l.ok() {
		return
	}
	l.origin(x, y)
	l.font(f)
	l.field(s)
}

// TextBlock prints s in a block width mm wide, wrapped on up to lines lines (^FB). Text that
// does not fit in lines lines is printed over the last one by the printer: size blocks for the
// longest data. A backslash in s is written \\ (^FB reads \& as a line break).
func (l *Label) TextBlock(x, y, width float64, lines int, align Align, f Font, s string) {
	if !l.ok() {
		return
	}
	if lines < 1 || lines > 9999 {
		l.fail(fmt.Errorf("zpl: text block of %d lines: must be 1 to 9999", lines))
		return
	}
	switch align {
	case Left, Center, Right, Justify:
	default:
		l.fail(fmt.Errorf("zpl: text block alignment %q: must be L, C, R or J", align))
		return
	}
	l.origin(x, y)
	l.font(f)
	l.buf = append(l.buf, "^FB"...)
	l.buf = strconv.AppendInt(l.buf, int64(max(l.dots("block width", width), 1)), 10)
	l.buf = append(l.buf, ',')
	l.buf = strconv.AppendInt(l.buf, int64(lines), 10)
	l.buf = append(l.buf, ",0,"...)
	l.buf = append(l.buf, byte(align))
	l.buf = append(l.buf, ",0"...)
	if strings.IndexByte(s, '\\') >= 0 {
		s = strings.ReplaceAll(s, `\`, `\\`) // ZPL guide, ^FB: "\\ = backslash"
	}
	l.field(s)
}

// Box draws a rectangle w × h mm with lines t mm thick (^GB). A thickness of at least half the
// smaller side fills it.
func (l *Label) Box(x, y, w, h, t float64) {
	if !l.ok() {
		return
	}
	dw, dh, dt := l.dots("box width", w), l.dots("box height", h), max(l.dots("line thickness", t), 1)
	l.origin(x, y)
	// ^GB: width and height are at least the thickness.
	dw, dh = max(dw, dt), max(dh, dt)
	l.buf = append(l.buf, "^GB"...)
	l.buf = strconv.AppendInt(l.buf, int64(dw), 10)
	l.buf = append(l.buf, ',')
	l.buf = strconv.AppendInt(l.buf, int64(dh), 10)
	l.buf = append(l.buf, ',')
	l.buf = strconv.AppendInt(l.buf, int64(dt), 10)
	l.buf = append(l.buf, "^FS\n"...)
}

// Fill draws a solid black rectangle, for lines and for reverse-printed headings.
func (l *Label) Fill(x, y, w, h float64) {
	l.Box(x, y, w, h, math.Min(w, h))
}

func (l *Label) barDefaults(b Bar) (module, height int) {
	module = min(max(l.dots("module", b.Module), 1), 10)
	height = max(l.dots("bar height", b.Height), 1)
	return module, height
}

func (l *Label) code128(x, y float64, b Bar, toks []int) {
	module, height := l.barDefaults(b)
	if l.err != nil {
		return
	}
	data, symbols, err := encode128(make([]byte, 0, 2*len(toks)+2), toks)
	if err != nil {
		l.fail(fmt.Errorf("zpl: %w", err))
		return
	}
	if b.MaxWidth > 0 {
		// Symbol characters are 11 modules, the stop pattern 13; a check character is added;
		// quiet zones are 10 modules each side (ISO/IEC 15417).
		modules := (symbols+1)*11 + 13 + 20
		limit := l.dots("bar max width", b.MaxWidth)
		for module > 1 && modules*module > limit {
			module--
		}
	}
	l.origin(x, y)
	l.buf = append(l.buf, "^BY"...)
	l.buf = strconv.AppendInt(l.buf, int64(module), 10)
	l.buf = append(l.buf, "^BCN,"...)
	l.buf = strconv.AppendInt(l.buf, int64(height), 10)
	if b.HRI {
		l.buf = append(l.buf, ",Y,N,N,N"...)
	} else {
		l.buf = append(l.buf, ",N,N,N,N"...)
	}
	l.field(string(data))
}

// Code128 prints data (ASCII) as a Code 128 symbol with the fewest symbol characters: the
// subsets and the switches between them are chosen here and written with ZPL's invocation
// characters (^BC mode N), so the printer encodes exactly data.
func (l *Label) Code128(x, y float64, b Bar, data string) {
	if !l.ok() {
		return
	}
	for i, r := range data {
		if r >= utf8.RuneSelf {
			l.fail(fmt.Errorf("zpl: code 128 %q: %q at %d is not ASCII: Code 128 cannot carry it", data, r, i))
			return
		}
	}
	l.code128(x, y, b, code128Tokens(data))
}

// GS1128 prints elements as a GS1-128 symbol: FNC1 first, then the element strings, with FNC1
// after each variable-length one but the last. Elements are validated (check digits of SSCC and
// GTIN included).
func (l *Label) GS1128(x, y float64, b Bar, elements ...GS1Element) {
	if !l.ok() {
		return
	}
	toks, err := gs1Tokens(elements)
	if err != nil {
		l.fail(fmt.Errorf("zpl: %w", err))
		return
	}
	l.code128(x, y, b, toks)
}

// QR prints data as a QR Code, model 2, with modules of module mm (rounded to 1..10 dots, the
// ^BQ magnification) and error correction ecc: 'L', 'M', 'Q' or 'H' (0 means 'M').
func (l *Label) QR(x, y, module float64, ecc byte, data string) {
	if !l.ok() {
		return
	}
	if ecc == 0 {
		ecc = 'M'
	}
	if strings.IndexByte("LMQH", ecc) < 0 {
		l.fail(fmt.Errorf("zpl: qr error correction %q: must be L, M, Q or H", ecc))
		return
	}
	if data == "" || len(data) > 2048 {
		l.fail(fmt.Errorf("zpl: qr data of %d bytes: must be 1 to 2048", len(data)))
		return
	}
	mag := min(max(l.dots("module", module), 1), 10)
	l.origin(x, y)
	l.buf = append(l.buf, "^BQN,2,"...)
	l.buf = strconv.AppendInt(l.buf, int64(mag), 10)
	// ^BQ field data: error correction, input mode (A: automatic), comma, data.
	l.buf = append(l.buf, "^FH_^FD"...)
	l.buf = append(l.buf, ecc, 'A', ',')
	l.buf = AppendEscaped(l.buf, data)
	l.buf = append(l.buf, "^FS\n"...)
}

// dmEscapes are the escape characters a Data Matrix field may declare (^BX g); none is in GS1
// character set 82 nor is the ^FH indicator.
const dmEscapes = "`#$@|{}[]"

// DataMatrix prints data as an ECC 200 Data Matrix with modules of module mm.
func (l *Label) DataMatrix(x, y, module float64, data string) {
	if !l.ok() {
		return
	}
	if data == "" || len(data) > 2048 {
		l.fail(fmt.Errorf("zpl: data matrix data of %d bytes: must be 1 to 2048", len(data)))
		return
	}
	esc := byte(0)
	for i := 0; i < len(dmEscapes); i++ {
		if strings.IndexByte(data, dmEscapes[i]) < 0 {
			esc = dmEscapes[i]
			break
		}
	}
	if esc == 0 {
		l.fail(fmt.Errorf("zpl: data matrix data uses every one of %s: no escape character left for ^BX", dmEscapes))
		return
	}
	l.dataMatrix(x, y, module, esc, data)
}

// GS1DataMatrix prints elements as a GS1 DataMatrix: FNC1 first, FNC1 after each
// variable-length element but the last (^BX escape sequence <esc>1).
func (l *Label) GS1DataMatrix(x, y, module float64, elements ...GS1Element) {
	if !l.ok() {
		return
	}
	toks, err := gs1Tokens(elements)
	if err != nil {
		l.fail(fmt.Errorf("zpl: %w", err))
		return
	}
	const esc = '#' // not in GS1 character set 82
	var b strings.Builder
	for _, t := range toks {
		if t == fnc1 {
			b.WriteString("#1")
		} else {
			b.WriteByte(byte(t))
		}
	}
	l.dataMatrix(x, y, module, esc, b.String())
}

func (l *Label) dataMatrix(x, y, module float64, esc byte, data string) {
	h := max(l.dots("module", module), 1)
	l.origin(x, y)
	// ^BXo,h,s,c,r,f,g: normal, module height, ECC 200, columns and rows chosen by the
	// printer, format (unused by ECC 200), escape character.
	l.buf = append(l.buf, "^BXN,"...)
	l.buf = strconv.AppendInt(l.buf, int64(h), 10)
	l.buf = append(l.buf, ",200,0,0,6,"...)
	l.buf = append(l.buf, esc)
	l.field(data)
}

// Copies makes the printer print the label n times (^PQ), 1 to 99999.
func (l *Label) Copies(n int) {
	if !l.ok() {
		return
	}
	if n < 1 || n > 99999 {
		l.fail(fmt.Errorf("zpl: %d copies: must be 1 to 99999", n))
		return
	}
	l.buf = append(l.buf, "^PQ"...)
	l.buf = strconv.AppendInt(l.buf, int64(n), 10)
	l.buf = append(l.buf, '\n')
}
