// Package label renders the station's label templates to ZPL. A template is data, not code: a
// YAML file (firmware-config/labels/*.yaml) naming its fields and listing elements — text,
// address lines, boxes, Code 128, GS1-128, QR Code and Data Matrix — placed in millimetres, with
// field references such as {{ship_to.name}} or {{weight_g | kg}}. Render fills it for a printer
// resolution through the zpl builder, so every field is escaped (^FH) and can never become a
// command, and refuses missing required fields by name.
//
// # Template format
//
//	name: shipping                  # the name label.print's "template" uses
//	description: one line
//	size_mm: [101.6, 152.4]         # the label the elements are laid out on
//	fields:                         # every field the elements use, documented
//	  - {name: ship_to.name, required: true, doc: "...", example: "Hélène Dupré"}
//	elements:
//	  - {type: text, x: 4, y: 30, size: 6, text: "{{ship_to.name}}", width: 92, lines: 2}
//	  - {type: lines, x: 4, y: 40, size: 5, pitch: 6, texts: ["{{ship_to.street}}", "{{ship_to.street2}}"]}
//	  - {type: box, x: 2, y: 2, w: 97.6, h: 148.4, thickness: 0.5}
//	  - {type: fill, x: 60, y: 3, w: 38, h: 12}
//	  - {type: code128, x: 8, y: 106, height: 25, module: 0.375, max_width: 90, hri: true, data: "{{tracking_number}}", if: tracking_number}
//	  - {type: gs1-128, x: 8, y: 115, height: 25, module: 0.5, elements: [{ai: "00", value: "{{sscc | sscc}}"}]}
//	  - {type: qr, x: 70, y: 110, module: 0.5, ecc: M, data: "{{rma_id}}"}
//	  - {type: datamatrix, x: 70, y: 110, module: 0.5, data: "..."}  # or elements: [...] for GS1 DataMatrix
//
// Element keys: x, y (top-left corner, mm); text: size (character height, mm), reverse (white on
// black), width and lines (wrap in a block of that width, at most that many lines), align (L, C,
// R, J); lines: like text, one line per entry of texts, empty lines dropped and the rest moved
// up by pitch mm; box: w, h, thickness; fill: w, h; barcodes: height (bars, mm), module (narrow
// bar, mm), max_width (mm, narrows the module to fit), hri (print the interpretation line); qr:
// module, ecc (L, M, Q, H); any element: if / unless (a field: drawn only when it is set / not
// set).
//
// Field references: {{path}} takes the value of path in the fields given to Render: nested
// objects ({"ship_to": {"name": ...}}) or dotted keys ({"ship_to.name": ...}); strings as they
// are, numbers in decimal. Filters: | upper (upper case), | kg (grams as "1.234 kg"), | sscc (17
// digits get their check digit, 18 are verified). A field that is not required and not given
// renders as "".
package label

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/stationd/stationd/devices/printer/zpl"
	firmwareconfig "github.com/stationd/stationd/firmware-config"
)

// Template is a parsed label template.
type Template struct {
	Name        string
	Description string
	SizeMM      [2]float64 // width, height
	Fields      []Field

	elements []element
	fieldSet map[string]Field
}

// Field documents one field of a template.
type Field struct {
	Name     string `yaml:"name"`
	Required bool   `yaml:"required"`
	Doc      string `yaml:"doc"`
	Example  any    `yaml:"example"`
}

// Error is a template that cannot be rendered with the fields given (a missing required field,
// a value a barcode cannot carry, a wrong check digit). For label.print it is the command's
// "invalid" error; for a pack it is a permanent label failure.
type Error struct {
	Template string
	Fields   []string // the fields at fault
	Msg      string
}

func (e *Error) Error() string {
	return "label " + e.Template + ": " + e.Msg
}

// Code is the command.result error code for e: "invalid".
func (e *Error) Code() string { return zpl.CodeInvalid }

type file struct {
	Name        string     `yaml:"name"`
	Description string     `yaml:"description"`
	SizeMM      []float64  `yaml:"size_mm"`
	Fields      []Field    `yaml:"fields"`
	Elements    []elemSpec `yaml:"elements"`
}

type elemSpec struct {
	Type      string   `yaml:"type"`
	X         float64  `yaml:"x"`
	Y         float64  `yaml:"y"`
	W         float64  `yaml:"w"`
	H         float64  `yaml:"h"`
	Thickness float64  `yaml:"thickness"`
	Size      float64  `yaml:"size"`
	Reverse   bool     `yaml:"reverse"`
	Width     float64  `yaml:"width"`
	Lines     int      `yaml:"lines"`
	Align     string   `yaml:"align"`
	Pitch     float64  `yaml:"pitch"`
	Text      string   `yaml:"text"`
	Texts     []string `yaml:"texts"`
	Height    float64  `yaml:"height"`
	Module    float64  `yaml:"module"`
	MaxWidth  float64  `yaml:"max_width"`
	HRI       bool     `yaml:"hri"`
	ECC       string   `yaml:"ecc"`
	Data      string   `yaml:"data"`
	Elements  []aiSpec `yaml:"elements"`
	If        string   `yaml:"if"`
	Unless    string   `yaml:"unless"`
}

type aiSpec struct {
	AI    string `yaml:"ai"`
	Value string `yaml:"value"`
}

type element struct {
	elemSpec
	text   tmpl
	texts  []tmpl
	data   tmpl
	ais    []aiTmpl
	fields []string // fields the element uses, for errors
}

type aiTmpl struct {
	ai    string
	value tmpl
}

// Parse parses one template file; name is used in errors.
func Parse(name string, data []byte) (*Template, error) {
	var f file
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	t := &Template{Name: f.Name, Description: f.Description, Fields: f.Fields, fieldSet: map[string]Field{}}
	if t.Name == "" {
		return nil, fmt.Errorf("%s: no name", name)
	}
	if len(f.SizeMM) != 2 || f.SizeMM[0] <= 0 || f.SizeMM[1] <= 0 {
		return nil, fmt.Errorf("%s: size_mm must be [width, height] in mm", name)
	}
	t.SizeMM = [2]float64{f.SizeMM[0], f.SizeMM[1]}
	for _, fd := range f.Fields {
		if fd.Name == "" {
			return nil, fmt.Errorf("%s: a field has no name", name)
		}
		if _, dup := t.fieldSet[fd.Name]; dup {
			return nil, fmt.Errorf("%s: field %s declared twice", name, fd.Name)
		}
		t.fieldSet[fd.Name] = fd
	}
	for i, es := range f.Elements {
		e, err := t.compile(es)
		if err != nil {
			return nil, fmt.Errorf("%s: elements[%d] (%s): %w", name, i, es.Type, err)
		}
		t.elements = append(t.elements, e)
	}
	if len(t.elements) == 0 {
		return nil, fmt.Errorf("%s: no elements", name)
	}
	return t, nil
}

func (t *Template) compile(es elemSpec) (element, error) {
	e := element{elemSpec: es}
	used := map[string]bool{}
	parse := func(s string) (tmpl, error) {
		p, err := parseTmpl(s)
		if err != nil {
			return nil, err
		}
		for _, r := range p.refs() {
			if _, ok := t.fieldSet[r]; !ok {
				return nil, fmt.Errorf("field %s is not declared in fields", r)
			}
			used[r] = true
		}
		return p, nil
	}
	for _, c := range []string{es.If, es.Unless} {
		if c == "" {
			continue
		}
		if _, ok := t.fieldSet[c]; !ok {
			return e, fmt.Errorf("if/unless field %s is not declared in fields", c)
		}
	}
	if es.X < 0 || es.Y < 0 || es.X > t.SizeMM[0] || es.Y > t.SizeMM[1] {
		return e, fmt.Errorf("position %v, %v is off the %v × %v mm label", es.X, es.Y, t.SizeMM[0], t.SizeMM[1])
	}
	var err error
	switch es.Type {
	case "text":
		if es.Size <= 0 {
			return e, errors.New("size (character height, mm) is required")
		}
		if e.text, err = parse(es.Text); err != nil {
			return e, err
		}
	case "lines":
		if es.Size <= 0 || es.Pitch <= 0 {
			return e, errors.New("size and pitch (mm) are required")
		}
		for _, s := range es.Texts {
			p, err := parse(s)
			if err != nil {
				return e, err
			}
			e.texts = append(e.texts, p)
		}
	case "box", "fill":
		if es.W <= 0 || es.H <= 0 {
			return e, errors.New("w and h (mm) are required")
		}
		if es.Type == "box" && es.Thickness <= 0 {
			return e, errors.New("thickness (mm) is required")
		}
	case "code128", "qr", "datamatrix", "gs1-128":
		if es.Module <= 0 {
			return e, errors.New("module (mm) is required")
		}
		if es.Type == "code128" || es.Type == "gs1-128" {
			if es.Height <= 0 {
				return e, errors.New("height (mm) is required")
			}
		}
		if es.Type == "gs1-128" || (es.Type == "datamatrix" && len(es.Elements) > 0) {
			if len(es.Elements) == 0 {
				return e, errors.New("elements (GS1 application identifiers and values) are required")
			}
			for _, a := range es.Elements {
				v, err := parse(a.Value)
				if err != nil {
					return e, err
				}
				e.ais = append(e.ais, aiTmpl{ai: a.AI, value: v})
			}
		} else if e.data, err = parse(es.Data); err != nil {
			return e, err
		}
		if es.Type == "qr" && es.ECC != "" && (len(es.ECC) != 1 || !strings.Contains("LMQH", es.ECC)) {
			return e, fmt.Errorf("ecc %q: must be L, M, Q or H", es.ECC)
		}
	default:
		return e, fmt.Errorf("unknown type %q (text, lines, box, fill, code128, gs1-128, qr, datamatrix)", es.Type)
	}
	switch es.Align {
	case "", "L", "C", "R", "J":
	default:
		return e, fmt.Errorf("align %q: must be L, C, R or J", es.Align)
	}
	for r := range used {
		e.fields = append(e.fields, r)
	}
	sort.Strings(e.fields)
	return e, nil
}

// Load parses every *.yaml file at the root of fsys into templates by name.
func Load(fsys fs.FS) (map[string]*Template, error) {
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, err
	}
	out := map[string]*Template{}
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		t, err := Parse(n, b)
		if err != nil {
			return nil, err
		}
		if want := strings.TrimSuffix(path.Base(n), ".yaml"); t.Name != want {
			return nil, fmt.Errorf("%s: name %q must match the file name %q", n, t.Name, want)
		}
		out[t.Name] = t
	}
	return out, nil
}

var (
	builtinOnce sync.Once
	builtin     map[string]*Template
	builtinErr  error
)

// Templates returns the templates shipped in firmware-config/labels (embedded in the binary),
// parsed once. Use Load(os.DirFS(dir)) to read them from a directory instead.
func Templates() (map[string]*Template, error) {
	builtinOnce.Do(func() { builtin, builtinErr = Load(firmwareconfig.Labels()) })
	return builtin, builtinErr
}

// Fields turns v (a struct with json tags, such as the pack.order's ship_to, or a map) into
// fields for Render by a JSON round trip: {"ship_to": order.ShipTo} gives ship_to.name, ...
func Fields(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("label fields: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("label fields: %T is not an object: %w", v, err)
	}
	return m, nil
}

// Examples returns the example value of every field that has one, as Render takes them.
func (t *Template) Examples() map[string]any {
	m := map[string]any{}
	for _, f := range t.Fields {
		if f.Example != nil {
			m[f.Name] = f.Example
		}
	}
	return m
}

// Render fills t with fields for a printer of dpi dots per inch and returns one ZPL format.
// Errors are *Error naming the fields at fault.
func Render(t *Template, fields map[string]any, dpi int) ([]byte, error) {
	var missing []string
	for _, f := range t.Fields {
		if f.Required {
			if v, _ := lookup(fields, f.Name); v == "" {
				missing = append(missing, f.Name)
			}
		}
	}
	if len(missing) > 0 {
		msg := "field " + missing[0] + " is required"
		if len(missing) > 1 {
			msg = "fields " + strings.Join(missing, ", ") + " are required"
		}
		return nil, &Error{Template: t.Name, Fields: missing, Msg: msg}
	}
	l, err := zpl.NewLabel(dpi)
	if err != nil {
		return nil, &Error{Template: t.Name, Msg: err.Error()}
	}
	r := renderer{t: t, fields: fields, l: l}
	for i := range t.elements {
		if err := r.element(&t.elements[i]); err != nil {
			return nil, err
		}
	}
	b, err := l.Bytes()
	if err != nil {
		return nil, &Error{Template: t.Name, Msg: err.Error()}
	}
	return bytes.Clone(b), nil
}

type renderer struct {
	t      *Template
	fields map[string]any
	l      *zpl.Label
	buf    []byte
}

func (r *renderer) fail(e *element, err error) error {
	msg := err.Error()
	if len(e.fields) > 0 {
		msg = strings.Join(e.fields, ", ") + ": " + msg
	}
	return &Error{Template: r.t.Name, Fields: e.fields, Msg: msg}
}

func (r *renderer) expand(e *element, p tmpl) (string, error) {
	s, err := p.expand(r.buf[:0], r.fields)
	if err != nil {
		return "", r.fail(e, err)
	}
	r.buf = s[:0]
	return string(s), nil
}

func (r *renderer) element(e *element) error {
	if e.If != "" {
		if v, _ := lookup(r.fields, e.If); v == "" {
			return nil
		}
	}
	if e.Unless != "" {
		if v, _ := lookup(r.fields, e.Unless); v != "" {
			return nil
		}
	}
	l := r.l
	font := zpl.Font{Height: e.Size, Reverse: e.Reverse}
	align := zpl.Left
	if e.Align != "" {
		align = zpl.Align(e.Align[0])
	}
	bar := zpl.Bar{Height: e.Height, Module: e.Module, HRI: e.HRI, MaxWidth: e.MaxWidth}
	switch e.Type {
	case "text":
		s, err := r.expand(e, e.text)
		if err != nil {
			return err
		}
		if s == "" {
			return nil
		}
		if e.Width > 0 {
			l.TextBlock(e.X, e.Y, e.Width, max(e.Lines, 1), align, font, s)
		} else {
			l.Text(e.X, e.Y, font, s)
		}
	case "lines":
		y := e.Y
		for _, p := range e.texts {
			s, err := r.expand(e, p)
			if err != nil {
				return err
			}
			if strings.TrimSpace(s) == "" {
				continue
			}
			if e.Width > 0 {
				l.TextBlock(e.X, y, e.Width, 1, align, font, s)
			} else {
				l.Text(e.X, y, font, s)
			}
			y += e.Pitch
		}
	case "box":
		l.Box(e.X, e.Y, e.W, e.H, e.Thickness)
	case "fill":
		l.Fill(e.X, e.Y, e.W, e.H)
	case "code128":
		s, err := r.expand(e, e.data)
		if err != nil {
			return err
		}
		l.Code128(e.X, e.Y, bar, s)
	case "gs1-128", "datamatrix", "qr":
		if len(e.ais) > 0 {
			els := make([]zpl.GS1Element, len(e.ais))
			for i, a := range e.ais {
				v, err := r.expand(e, a.value)
				if err != nil {
					return err
				}
				els[i] = zpl.GS1Element{AI: a.ai, Value: v}
			}
			if e.Type == "gs1-128" {
				l.GS1128(e.X, e.Y, bar, els...)
			} else {
				l.GS1DataMatrix(e.X, e.Y, e.Module, els...)
			}
			break
		}
		s, err := r.expand(e, e.data)
		if err != nil {
			return err
		}
		if e.Type == "qr" {
			var ecc byte
			if e.ECC != "" {
				ecc = e.ECC[0]
			}
			l.QR(e.X, e.Y, e.Module, ecc, s)
		} else {
			l.DataMatrix(e.X, e.Y, e.Module, s)
		}
	}
	if err := l.Err(); err != nil {
		return r.fail(e, err)
	}
	return nil
}

// lookup finds path in fields: as a key itself, else through nested maps. It returns the value
// formatted as text ("" when absent or null) and whether it was found.
func lookup(fields map[string]any, p string) (string, bool) {
	v, ok := fields[p]
	if !ok {
		var m any = fields
		for part := range strings.SplitSeq(p, ".") {
			mm, isMap := m.(map[string]any)
			if !isMap {
				return "", false
			}
			if m, ok = mm[part]; !ok {
				return "", false
			}
		}
		v = m
	}
	s, err := format(v)
	if err != nil {
		return "", false
	}
	return s, true
}

// format writes a field value as text.
func format(v any) (string, error) {
	switch v := v.(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case bool:
		return strconv.FormatBool(v), nil
	case int:
		return strconv.Itoa(v), nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
			return strconv.FormatInt(int64(v), 10), nil
		}
		return strconv.FormatFloat(v, 'f', -1, 64), nil
	case fmt.Stringer:
		return v.String(), nil
	}
	return "", fmt.Errorf("value of type %T is not text or a number", v)
}
