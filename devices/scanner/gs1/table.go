package gs1

import (
	_ "embed"
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// dictionary is the GS1 Barcode Syntax Dictionary (github.com/gs1/gs1-syntax-dictionary, file
// gs1-syntax-dictionary.txt, commit ff2eb4bfc8f647aa3244626bdb875165d067a3e6 of 2026-07-27, Apache
// License 2.0, maintained by GS1 AISBL): every Application Identifier of the GS1 General
// Specifications section 3 with its format, FNC1 requirement and content rules. It is kept as
// the published text so that a new release is a file replacement; TestTable checks it against
// the AI table of /work/shared/vectors/gs1.json.
//
//go:embed gs1-syntax-dictionary.txt
var dictionary string

// AI describes one GS1 Application Identifier.
type AI struct {
	AI    string // "01", "3103", "8003"
	Title string // the data title of the General Specifications: "GTIN", "NET WEIGHT (kg)"
	// Format is the dictionary's specification of the data field, e.g. "N14,csum,gcppos2" or
	// "N6,yymmdd N4,hhmi": components of type N (digits), X (CSET 82), Y (CSET 39) or Z (CSET 64)
	// with a fixed length (N6) or a maximum (X..20), optional ones in brackets, each followed by
	// the content rules that apply to it.
	Format string
	// Predefined is true for the AIs of the General Specifications figure 7.8.5-2 ("element
	// strings with predefined length"): their field ends after its fixed length and needs no
	// FNC1 (GS) separator. Every other AI runs to the next GS or the end of the data.
	Predefined bool
	// MinLen and MaxLen bound the length of the data field.
	MinLen, MaxLen int

	parts []component
}

// FNC1Required reports whether the AI's field must be followed by GS (FNC1) when another
// element comes after it.
func (a *AI) FNC1Required() bool { return !a.Predefined }

// CheckDigit reports whether a component of the field carries a mod-10 check digit or a check
// character pair.
func (a *AI) CheckDigit() bool {
	for _, p := range a.parts {
		for _, l := range p.lint {
			if l == "csum" || l == "csumalpha" {
				return true
			}
		}
	}
	return false
}

// IsDate reports whether the field starts with a date (AIs 11-17, 7003, 7006, 8008, ...).
func (a *AI) IsDate() bool { return a.dateKind() != "" }

func (a *AI) dateKind() string {
	if len(a.parts) == 0 {
		return ""
	}
	for _, l := range a.parts[0].lint {
		switch l {
		case "yymmd0", "yymmdd", "yyyymmd0", "yyyymmdd", "yymmddhh":
			return l
		}
	}
	return ""
}

// component is one part of a field's format.
type component struct {
	cset     byte // 'N', 'X', 'Y' or 'Z'
	min, max int
	optional bool
	lint     []string
}

type aiTable struct {
	byAI      map[string]*AI
	list      []*AI
	prefixLen [100]uint8 // AI length by its first two digits; 0: no AI starts so
}

// table parses the embedded dictionary on first use. The dictionary is part of the program, so a
// failure to parse it is a bug and panics (TestTable runs it).
var table = sync.OnceValue(func() *aiTable {
	t, err := parseDictionary(dictionary)
	if err != nil {
		panic("gs1: embedded syntax dictionary: " + err.Error())
	}
	return t
})

// Lookup returns the definition of the Application Identifier ai ("01", "3103").
func Lookup(ai string) (*AI, bool) {
	a, ok := table().byAI[ai]
	return a, ok
}

// Table returns every Application Identifier, in the order of the dictionary. The caller must
// not modify the definitions.
func Table() []*AI { return table().list }

func parseDictionary(text string) (*aiTable, error) {
	t := &aiTable{byAI: map[string]*AI{}}
	for n, line := range strings.Split(text, "\n") {
		if line = strings.TrimSpace(line); line == "" || line[0] == '#' {
			continue
		}
		title := ""
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line, title = line[:i], strings.TrimSpace(line[i+1:])
		}
		f := strings.Fields(line)
		if len(f) < 2 {
			return nil, fmt.Errorf("line %d: no format", n+1)
		}
		first, last, err := aiRange(f[0])
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n+1, err)
		}
		f = f[1:]
		flags := ""
		if !isComponent(f[0]) {
			flags, f = f[0], f[1:]
		}
		var parts []component
		var format []string
		for _, tok := range f {
			if !isComponent(tok) {
				break // attributes (req=, ex=, dlpkey) follow the format
			}
			c, err := parseComponent(tok)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", n+1, err)
			}
			parts = append(parts, c)
			format = append(format, tok)
		}
		if len(parts) == 0 {
			return nil, fmt.Errorf("line %d: no format", n+1)
		}
		minLen, maxLen := 0, 0
		for _, p := range parts {
			if !p.optional {
				minLen += p.min
			}
			maxLen += p.max
		}
		for v := first.n; v <= last.n; v++ {
			ai := fmt.Sprintf("%0*d", first.width, v)
			a := &AI{AI: ai, Title: title, Format: strings.Join(format, " "), Predefined: strings.Contains(flags, "*"),
				MinLen: minLen, MaxLen: maxLen, parts: parts}
			if a.Predefined && minLen != maxLen {
				return nil, fmt.Errorf("line %d: AI %s: predefined length but variable format", n+1, ai)
			}
			if _, dup := t.byAI[ai]; dup {
				return nil, fmt.Errorf("line %d: AI %s defined twice", n+1, ai)
			}
			p := int(ai[0]-'0')*10 + int(ai[1]-'0')
			if l := t.prefixLen[p]; l != 0 && int(l) != len(ai) {
				return nil, fmt.Errorf("line %d: AI %s: AIs starting %s have %d digits elsewhere", n+1, ai, ai[:2], l)
			}
			t.prefixLen[p] = uint8(len(ai))
			t.byAI[ai] = a
			t.list = append(t.list, a)
		}
	}
	return t, nil
}

type aiNum struct{ n, width int }

// aiRange reads "01" or a range "3100-3105" / "91-99".
func aiRange(s string) (first, last aiNum, err error) {
	lo, hi, isRange := strings.Cut(s, "-")
	if !isRange {
		hi = lo
	}
	if len(lo) < 2 || len(lo) > 4 || len(hi) != len(lo) {
		return first, last, fmt.Errorf("bad AI %q", s)
	}
	a, err1 := strconv.Atoi(lo)
	b, err2 := strconv.Atoi(hi)
	if err1 != nil || err2 != nil || b < a || strings.Trim(lo+hi, "0123456789") != "" {
		return first, last, fmt.Errorf("bad AI %q", s)
	}
	return aiNum{a, len(lo)}, aiNum{b, len(lo)}, nil
}

// isComponent reports whether tok is a format component such as "N14,csum", "X..20" or "[N2],mi".
func isComponent(tok string) bool {
	tok = strings.TrimPrefix(tok, "[")
	return len(tok) >= 2 && strings.IndexByte("NXYZ", tok[0]) >= 0 && (tok[1] == '.' || tok[1] >= '0' && tok[1] <= '9')
}

func parseComponent(tok string) (component, error) {
	var c component
	spec := tok
	if strings.HasPrefix(spec, "[") {
		end := strings.IndexByte(spec, ']')
		if end < 0 {
			return c, fmt.Errorf("component %q: no closing bracket", tok)
		}
		c.optional = true
		spec = spec[1:end] + spec[end+1:]
	}
	typ, lints, _ := strings.Cut(spec, ",")
	if lints != "" {
		c.lint = strings.Split(lints, ",")
	}
	c.cset = typ[0]
	if l, ok := strings.CutPrefix(typ[1:], ".."); ok {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			return c, fmt.Errorf("component %q: bad length", tok)
		}
		c.min, c.max = 1, n
	} else {
		n, err := strconv.Atoi(typ[1:])
		if err != nil || n < 1 {
			return c, fmt.Errorf("component %q: bad length", tok)
		}
		c.min, c.max = n, n
	}
	return c, nil
}
