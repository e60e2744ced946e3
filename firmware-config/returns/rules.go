// Package returns holds the returns station's rules as data (rules.yaml, embedded): the return
// reasons, the conditions of returned goods and the dispositions, their barcodes and their texts
// in English and French, and the disposition of every reason × condition pair with why and its
// sources. agent/returns applies them; keeping them in a reviewed YAML file lets a site read and
// change its policy without reading Go.
//
// Parse checks a rules file completely and reports every problem with its line
// ("rules.yaml:120: rules[3].disposition: unknown disposition "restok""): a file that parses
// gives a disposition for every reason × condition pair, so the station never meets a pair
// without one.
package returns

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// FileName is the name of the shipped rules file in this directory.
const FileName = "rules.yaml"

//go:embed rules.yaml
var shipped []byte

// Shipped returns the shipped rules file as bytes (for `stationd` to print or a site to copy).
func Shipped() []byte { return slices.Clone(shipped) }

var defaultRules = sync.OnceValues(func() (*Rules, error) { return Parse(FileName, shipped) })

// Default returns the shipped rules, parsed once. The error is never nil only if the embedded
// file is broken, which TestShippedRules prevents; callers report it rather than panic.
func Default() (*Rules, error) { return defaultRules() }

// Load reads and parses a rules file, for a site that replaces the shipped policy.
func Load(path string) (*Rules, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("returns rules: %w", err)
	}
	return Parse(filepath.Base(path), b)
}

// Names are the texts of an entry for operators and the barcode sheet.
type Names struct {
	EN string `yaml:"en"`
	FR string `yaml:"fr"`
}

// In returns the text in lang: "fr" for French, anything else English.
func (n Names) In(lang string) string {
	if lang == "fr" {
		return n.FR
	}
	return n.EN
}

// Source is a document a rule's choice rests on.
type Source struct {
	ID   string `yaml:"id"`
	Ref  string `yaml:"ref"`
	Line int    `yaml:"-"`
}

// Reason is why the customer returned the goods (return.received lines[].reason).
type Reason struct {
	Code             string `yaml:"code"`
	Barcode          string `yaml:"barcode"` // what the sheet prints and the operator scans
	Names            `yaml:",inline"`
	DefaultCondition string `yaml:"default_condition"` // the condition of a unit when none is scanned
	Doc              string `yaml:"doc"`
	Line             int    `yaml:"-"`
}

// Condition is the state the goods arrive in (lines[].condition).
type Condition struct {
	Code    string `yaml:"code"`
	Barcode string `yaml:"barcode"`
	Names   `yaml:",inline"`
	Doc     string `yaml:"doc"`
	Line    int    `yaml:"-"`
}

// Disposition is where the goods go next (lines[].disposition). It is decided, never scanned.
type Disposition struct {
	Code  string `yaml:"code"`
	Names `yaml:",inline"`
	Doc   string `yaml:"doc"`
	Line  int    `yaml:"-"`
}

// Rule gives the disposition of one reason × condition pair.
type Rule struct {
	Reason      string   `yaml:"reason"`
	Condition   string   `yaml:"condition"`
	Disposition string   `yaml:"disposition"`
	Why         string   `yaml:"why"`
	Sources     []string `yaml:"sources"` // Source ids
	Line        int      `yaml:"-"`
}

// Rules is a checked rules file. Its slices keep the file's order (the sheet's order); do not
// change them: look entries up with the methods.
type Rules struct {
	File         string // the name given to Parse
	Version      int
	Sources      []Source
	Reasons      []Reason
	Conditions   []Condition
	Dispositions []Disposition
	Rules        []Rule

	reasons, conditions, dispositions map[string]int // code → index
	barcodes                          map[string]int // upper-case barcode → reason index, or -1-condition index
	rules                             map[[2]string]int
}

// Reason returns the reason with code.
func (r *Rules) Reason(code string) (Reason, bool) { return get(r.Reasons, r.reasons, code) }

// Condition returns the condition with code.
func (r *Rules) Condition(code string) (Condition, bool) {
	return get(r.Conditions, r.conditions, code)
}

// Disposition returns the disposition with code.
func (r *Rules) Disposition(code string) (Disposition, bool) {
	return get(r.Dispositions, r.dispositions, code)
}

// Decide returns the rule of a reason × condition pair; ok is false only for codes the rules do
// not define (a parsed file has a rule for every pair).
func (r *Rules) Decide(reason, condition string) (Rule, bool) {
	i, ok := r.rules[[2]string{reason, condition}]
	if !ok {
		return Rule{}, false
	}
	return r.Rules[i], true
}

// ByBarcode returns the reason or the condition whose barcode is code, compared without regard
// to case (a keyboard-wedge scanner with caps lock on inverts it). At most one of isReason and
// isCondition is true.
func (r *Rules) ByBarcode(code string) (reason Reason, isReason bool, cond Condition, isCondition bool) {
	i, ok := r.barcodes[strings.ToUpper(code)]
	switch {
	case !ok:
	case i >= 0:
		return r.Reasons[i], true, Condition{}, false
	default:
		return Reason{}, false, r.Conditions[-1-i], true
	}
	return Reason{}, false, Condition{}, false
}

func get[T any](s []T, idx map[string]int, code string) (T, bool) {
	i, ok := idx[code]
	if !ok {
		var zero T
		return zero, false
	}
	return s[i], true
}

// The rules of the file's fields.
var (
	reCode    = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)                          // the protocol's reason codes
	reBarcode = regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]{0,31}$`)                       // Code 128 subset B, short, case-proof
	reID      = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)                      // source ids
	maxText   = 40                                                                    // runes of an en/fr text: two sheet lines
	maxProse  = 400                                                                   // runes of doc, why, ref
	fileKeys  = []string{"sources", "reasons", "conditions", "dispositions", "rules"} // the listed sections
)

// file is the document as decoded.
type file struct {
	Version      int           `yaml:"version"`
	Sources      []Source      `yaml:"sources"`
	Reasons      []Reason      `yaml:"reasons"`
	Conditions   []Condition   `yaml:"conditions"`
	Dispositions []Disposition `yaml:"dispositions"`
	Rules        []Rule        `yaml:"rules"`
}

// Parse decodes and checks a rules file; name prefixes the errors. Every problem found is
// reported, one per line of the returned error, as "name:line: path: what".
func Parse(name string, data []byte) (*Rules, error) {
	var f file
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, yamlError(name, err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlError(name, err)
	}
	lines := itemLines(&root)
	setLines(f.Sources, lines["sources"], func(s *Source, l int) { s.Line = l })
	setLines(f.Reasons, lines["reasons"], func(s *Reason, l int) { s.Line = l })
	setLines(f.Conditions, lines["conditions"], func(s *Condition, l int) { s.Line = l })
	setLines(f.Dispositions, lines["dispositions"], func(s *Disposition, l int) { s.Line = l })
	setLines(f.Rules, lines["rules"], func(s *Rule, l int) { s.Line = l })

	c := &checker{name: name, docLine: lines[""][0]}
	r := &Rules{
		File: name, Version: f.Version, Sources: f.Sources, Reasons: f.Reasons, Conditions: f.Conditions,
		Dispositions: f.Dispositions, Rules: f.Rules,
		reasons: map[string]int{}, conditions: map[string]int{}, dispositions: map[string]int{},
		barcodes: map[string]int{}, rules: map[[2]string]int{},
	}
	if f.Version != 1 {
		c.errf(c.docLine, "version", "must be 1 (got %d)", f.Version)
	}
	c.section("sources", len(f.Sources))
	c.section("reasons", len(f.Reasons))
	c.section("conditions", len(f.Conditions))
	c.section("dispositions", len(f.Dispositions))

	sources := map[string]bool{}
	for i, s := range f.Sources {
		p := fmt.Sprintf("sources[%d]", i)
		if c.match(s.Line, p+".id", s.ID, reID, "lower case letters, digits, '_' and '-'") {
			if sources[s.ID] {
				c.errf(s.Line, p+".id", "%q is defined twice", s.ID)
			}
			sources[s.ID] = true
		}
		c.prose(s.Line, p+".ref", s.Ref, true)
	}
	barcodeOwner := map[string]string{}
	barcode := func(line int, path, bc string, idx int) {
		if !c.match(line, path, bc, reBarcode, "1 to 32 of A-Z, 0-9 and '-', starting with a letter or digit") {
			return
		}
		if prev, dup := barcodeOwner[bc]; dup {
			c.errf(line, path, "%q is also %s", bc, prev)
			return
		}
		barcodeOwner[bc] = path
		r.barcodes[bc] = idx
	}
	for i, x := range f.Reasons {
		p := fmt.Sprintf("reasons[%d]", i)
		c.code(x.Line, p, x.Code, r.reasons, i)
		barcode(x.Line, p+".barcode", x.Barcode, i)
		c.names(x.Line, p, x.Names)
		c.prose(x.Line, p+".doc", x.Doc, false)
	}
	for i, x := range f.Conditions {
		p := fmt.Sprintf("conditions[%d]", i)
		c.code(x.Line, p, x.Code, r.conditions, i)
		barcode(x.Line, p+".barcode", x.Barcode, -1-i)
		c.names(x.Line, p, x.Names)
		c.prose(x.Line, p+".doc", x.Doc, false)
	}
	for i, x := range f.Dispositions {
		p := fmt.Sprintf("dispositions[%d]", i)
		c.code(x.Line, p, x.Code, r.dispositions, i)
		c.names(x.Line, p, x.Names)
		c.prose(x.Line, p+".doc", x.Doc, false)
	}
	for i, x := range f.Reasons {
		if _, ok := r.conditions[x.DefaultCondition]; !ok {
			c.errf(x.Line, fmt.Sprintf("reasons[%d].default_condition", i), "unknown condition %q: want one of %s", x.DefaultCondition, codes(f.Conditions, func(c Condition) string { return c.Code }))
		}
	}
	used := map[string]bool{}
	for i, x := range f.Rules {
		p := fmt.Sprintf("rules[%d]", i)
		ok := true
		if _, known := r.reasons[x.Reason]; !known {
			c.errf(x.Line, p+".reason", "unknown reason %q: want one of %s", x.Reason, codes(f.Reasons, func(r Reason) string { return r.Code }))
			ok = false
		}
		if _, known := r.conditions[x.Condition]; !known {
			c.errf(x.Line, p+".condition", "unknown condition %q: want one of %s", x.Condition, codes(f.Conditions, func(c Condition) string { return c.Code }))
			ok = false
		}
		if _, known := r.dispositions[x.Disposition]; !known {
			c.errf(x.Line, p+".disposition", "unknown disposition %q: want one of %s", x.Disposition, codes(f.Dispositions, func(d Disposition) string { return d.Code }))
		} else {
			used[x.Disposition] = true
		}
		c.prose(x.Line, p+".why", x.Why, true)
		if len(x.Sources) == 0 {
			c.errf(x.Line, p+".sources", "must name at least one source")
		}
		for j, s := range x.Sources {
			if !sources[s] {
				c.errf(x.Line, fmt.Sprintf("%s.sources[%d]", p, j), "unknown source %q", s)
			}
		}
		if !ok {
			continue
		}
		k := [2]string{x.Reason, x.Condition}
		if j, dup := r.rules[k]; dup {
			c.errf(x.Line, p, "%s × %s is already decided by rules[%d] (line %d)", x.Reason, x.Condition, j, f.Rules[j].Line)
			continue
		}
		r.rules[k] = i
	}
	// Completeness: every pair decided, so that the station never meets one without a rule.
	for i, rs := range f.Reasons {
		for j, cd := range f.Conditions {
			if ri, ok := r.reasons[rs.Code]; !ok || ri != i {
				continue // a bad or duplicate code, reported already
			}
			if ci, ok := r.conditions[cd.Code]; !ok || ci != j {
				continue // a bad or duplicate code, reported already
			}
			if _, ok := r.rules[[2]string{rs.Code, cd.Code}]; !ok {
				c.errf(lines["rules"][0], "rules", "no rule for reason %s × condition %s: add {reason: %s, condition: %s, disposition: ...}", rs.Code, cd.Code, rs.Code, cd.Code)
			}
		}
	}
	for _, d := range f.Dispositions {
		if !used[d.Code] && d.Code != "" {
			c.errf(d.Line, "dispositions", "%s is used by no rule: remove it or use it", d.Code)
		}
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	return r, nil
}

// itemLines returns, for each listed section, the line of the section key followed by the line
// of each item; "" holds the document's first line.
func itemLines(root *yaml.Node) map[string][]int {
	out := map[string][]int{"": {1}}
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 {
		return out
	}
	m := root.Content[0]
	out[""] = []int{m.Line}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if !slices.Contains(fileKeys, k.Value) {
			continue
		}
		ls := []int{k.Line}
		for _, item := range v.Content {
			ls = append(ls, item.Line)
		}
		out[k.Value] = ls
	}
	for _, k := range fileKeys {
		if _, ok := out[k]; !ok {
			out[k] = []int{m.Line}
		}
	}
	return out
}

func setLines[T any](s []T, lines []int, set func(*T, int)) {
	for i := range s {
		if i+1 < len(lines) {
			set(&s[i], lines[i+1])
		}
	}
}

var reYAMLLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// yamlError rewrites yaml.v3's errors as "name:line: what", one a line.
func yamlError(name string, err error) error {
	var te *yaml.TypeError
	var msgs []string
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	out := make([]string, 0, len(msgs))
	for _, m := range msgs {
		if sm := reYAMLLine.FindStringSubmatch(m); sm != nil {
			out = append(out, name+":"+sm[1]+": "+sm[2])
			continue
		}
		out = append(out, name+": "+strings.TrimPrefix(m, "yaml: "))
	}
	return errors.New(strings.Join(out, "\n"))
}

type checker struct {
	name    string
	docLine int
	errs    []lineError
}

type lineError struct {
	line int
	msg  string
}

func (c *checker) errf(line int, path, format string, a ...any) {
	c.errs = append(c.errs, lineError{line, c.name + ":" + strconv.Itoa(line) + ": " + path + ": " + fmt.Sprintf(format, a...)})
}

// err returns the problems found, ordered by line (in the order found on one line).
func (c *checker) err() error {
	if len(c.errs) == 0 {
		return nil
	}
	slices.SortStableFunc(c.errs, func(a, b lineError) int { return a.line - b.line })
	msgs := make([]string, len(c.errs))
	for i, e := range c.errs {
		msgs[i] = e.msg
	}
	return errors.New(strings.Join(msgs, "\n"))
}

func (c *checker) section(key string, n int) {
	if n == 0 {
		c.errf(c.docLine, key, "must list at least one entry")
	}
}

func (c *checker) match(line int, path, s string, re *regexp.Regexp, want string) bool {
	if !re.MatchString(s) {
		c.errf(line, path, "%q: must be %s", s, want)
		return false
	}
	return true
}

func (c *checker) code(line int, path, code string, idx map[string]int, i int) {
	if !c.match(line, path+".code", code, reCode, "1 to 64 lower case letters, digits and '_', starting with a letter") {
		return
	}
	if _, dup := idx[code]; dup {
		c.errf(line, path+".code", "%q is defined twice", code)
		return
	}
	idx[code] = i
}

func (c *checker) names(line int, path string, n Names) {
	for _, t := range []struct{ key, s string }{{"en", n.EN}, {"fr", n.FR}} {
		switch k := utf8.RuneCountInString(t.s); {
		case k == 0:
			c.errf(line, path+"."+t.key, "required")
		case k > maxText || !printable(t.s):
			c.errf(line, path+"."+t.key, "must be at most %d printable characters (it is printed on the barcode sheet)", maxText)
		}
	}
}

func (c *checker) prose(line int, path, s string, required bool) {
	switch k := utf8.RuneCountInString(s); {
	case k == 0 && required:
		c.errf(line, path, "required")
	case k > maxProse || !printable(s):
		c.errf(line, path, "must be at most %d printable characters", maxProse)
	}
}

func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

func codes[T any](s []T, code func(T) string) string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = code(x)
	}
	return strings.Join(out, ", ")
}
