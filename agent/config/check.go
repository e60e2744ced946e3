package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// maxVisits bounds the YAML values one check visits, so that aliases that expand exponentially
// ("billion laughs") cost a bounded time.
const maxVisits = 100000

// checker walks the YAML tree along the key table, collecting every problem.
type checker struct {
	file   string
	probs  Errors
	visits int
	over   bool
}

func (c *checker) add(line int, path, msg string) {
	c.probs = append(c.probs, Problem{File: c.file, Line: line, Path: path, Msg: msg})
}

func (c *checker) addf(line int, path, format string, a ...any) {
	c.add(line, path, fmt.Sprintf(format, a...))
}

// visit counts one value and says whether the walk may go on.
func (c *checker) visit(line int) bool {
	if c.over {
		return false
	}
	c.visits++
	if c.visits > maxVisits {
		c.over = true
		c.addf(line, "", "the file expands to more than %d values (through YAML aliases?): write it out plainly", maxVisits)
		return false
	}
	return true
}

// val is one checked value.
type val struct {
	n    *yaml.Node // the value, aliases resolved
	line int        // line of the value
	path string     // "devices[1].baud"
	row  *row
	ok   bool // of the right type and within its rules

	s    string
	i    int64
	f    float64
	b    bool
	d    time.Duration
	list []*val
	obj  *obj // tMap and tDict
}

// obj is one checked mapping.
type obj struct {
	row   *row   // nil for the top level
	path  string // "mqtt", "devices[1]"; "" at the top level
	line  int    // where a key missing from it is reported: the line of the key that holds it
	vals  map[string]*val
	lines map[string]int // line of each key
	keys  []string       // in file order
	extra []pair         // keys of an open mapping that the table does not list
	bad   bool           // a problem was found inside
}

type pair struct {
	key  string
	line int
	n    *yaml.Node
}

// get returns the value of key, or nil when absent or null.
func (o *obj) get(key string) *val {
	if o == nil {
		return nil
	}
	return o.vals[key]
}

// lineOf returns the line of key in o, or o's own line when key is absent.
func (o *obj) lineOf(key string) int {
	if l, ok := o.lines[key]; ok {
		return l
	}
	return o.line
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// resolve follows an alias.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 8; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// mapping checks a mapping against the rows below r (the top level when r is nil). line is where a
// missing key is reported.
func (c *checker) mapping(n *yaml.Node, r *row, path string, line int) *obj {
	o := &obj{row: r, path: path, line: line, vals: map[string]*val{}, lines: map[string]int{}}
	start := len(c.probs)
	defer func() { o.bad = len(c.probs) > start }()
	n = resolve(n)
	if !isNull(n) {
		if !c.visit(n.Line) {
			return o
		}
		if n.Kind != yaml.MappingNode {
			c.addf(n.Line, path, "must be a mapping of keys (key: value), not %s", describe(n))
			return o
		}
		c.pairs(n, path, func(key string, keyLine int, v *yaml.Node) {
			o.keys = append(o.keys, key)
			o.lines[key] = keyLine
			cr := childRow(r, key)
			switch {
			case r != nil && r.open && (cr == nil || cr.claim):
				o.extra = append(o.extra, pair{key, keyLine, v})
			case cr == nil:
				c.add(keyLine, join(path, key), unknownKey(key, r))
			case cr.typ == tRefused:
				c.add(keyLine, join(path, key), cr.refused)
			default:
				if x := c.value(v, cr, join(path, key), keyLine); x != nil {
					o.vals[key] = x
				}
			}
		})
	}
	for _, cr := range childrenOf(r) {
		if kl, ok := o.lines[cr.name]; !ok {
			c.missing(cr, join(path, cr.name), line)
		} else if o.vals[cr.name] == nil && cr.typ != tRefused {
			c.missing(cr, join(path, cr.name), kl) // written without a value
		}
	}
	return o
}

// missing reports r, absent from its mapping, when it is required, or the required keys below it
// when it is a mapping, at line: a missing key is reported at its parent's line.
func (c *checker) missing(r *row, path string, line int) {
	if c.over {
		return
	}
	if r.required {
		c.add(line, path, requiredMsg(r))
		return
	}
	if r.typ == tMap {
		for _, cr := range r.children {
			c.missing(cr, join(path, cr.name), line)
		}
	}
}

func requiredMsg(r *row) string {
	var hint string
	switch {
	case r.example != "":
		hint = ", like " + r.name + ": " + r.example
	case len(r.enum) > 0:
		hint = ": one of " + strings.Join(r.enum, ", ")
	}
	return "required" + hint
}

// pairs calls f for each key of mapping n, reporting keys that are not plain names, merge keys and
// duplicates.
func (c *checker) pairs(n *yaml.Node, path string, f func(key string, line int, v *yaml.Node)) {
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), n.Content[i+1]
		if k == nil || k.Kind != yaml.ScalarNode {
			line := n.Line
			if k != nil {
				line = k.Line
			}
			c.add(line, path, "keys must be plain names, not lists or mappings")
			continue
		}
		if k.ShortTag() == "!!merge" {
			c.add(k.Line, path, "YAML merge keys (<<) are not supported: write the keys out")
			continue
		}
		key := k.Value
		if first, dup := seen[key]; dup {
			c.addf(k.Line, join(path, key), "duplicate key: already set at line %d; keep one", first)
			continue
		}
		seen[key] = k.Line
		f(key, k.Line, v)
	}
}

func childRow(r *row, key string) *row {
	for _, cr := range childrenOf(r) {
		if cr.name == key {
			return cr
		}
	}
	return nil
}

// childrenOf returns the rows below r, or the top-level rows when r is nil.
func childrenOf(r *row) []*row {
	if r == nil {
		return topRows
	}
	return r.children
}

// unknownKey says what to do about a key r does not list.
func unknownKey(key string, r *row) string {
	var names []string
	for _, cr := range childrenOf(r) {
		names = append(names, cr.name)
	}
	if s := suggest(key, names); s != "" {
		return fmt.Sprintf("unknown key %q: did you mean %q?", key, s)
	}
	// A key written at the wrong level: name where it belongs.
	for _, x := range keyTable {
		if x.name == key && x.typ != tRefused && !strings.Contains(x.path, "[]") && !strings.Contains(x.path, "<") {
			return fmt.Sprintf("unknown key %q here: did you mean %s (under %s:)?", key, x.path, x.parent)
		}
	}
	return fmt.Sprintf("unknown key %q: this is either a typo or a key this version does not know", key)
}

// value checks n against r. line is the line of its key.
func (c *checker) value(n *yaml.Node, r *row, path string, line int) *val {
	n = resolve(n)
	if isNull(n) {
		return nil
	}
	if !c.visit(n.Line) {
		return nil
	}
	switch r.typ {
	case tMap:
		o := c.mapping(n, r, path, line)
		return &val{n: n, line: n.Line, path: path, row: r, ok: !o.bad, obj: o}
	case tDict:
		return c.dict(n, r, path, line)
	case tList:
		return c.list(n, r, path)
	}
	return c.scalar(n, r, r.typ, path)
}

// dict checks a mapping of free names (the row's pattern) to entries of the one row below r.
func (c *checker) dict(n *yaml.Node, r *row, path string, line int) *val {
	v := &val{n: n, line: n.Line, path: path, row: r}
	o := &obj{row: r, path: path, line: line, vals: map[string]*val{}, lines: map[string]int{}}
	v.obj = o
	if n.Kind != yaml.MappingNode {
		c.addf(n.Line, path, "must be a mapping of names to entries, not %s", describe(n))
		return v
	}
	start := len(c.probs)
	er := r.children[0]
	c.pairs(n, path, func(key string, keyLine int, x *yaml.Node) {
		o.keys = append(o.keys, key)
		o.lines[key] = keyLine
		if !r.re.MatchString(key) {
			c.addf(keyLine, join(path, key), "name %q must match %s", key, r.pattern)
			return
		}
		if e := c.value(x, er, join(path, key), keyLine); e != nil {
			o.vals[key] = e
		} else {
			o.vals[key] = &val{line: keyLine, path: join(path, key), row: er, ok: true,
				obj: &obj{row: er, path: join(path, key), line: keyLine, vals: map[string]*val{}, lines: map[string]int{}}}
		}
	})
	o.bad = len(c.probs) > start
	v.ok = !o.bad
	return v
}

// list checks a sequence against r.
func (c *checker) list(n *yaml.Node, r *row, path string) *val {
	v := &val{n: n, line: n.Line, path: path, row: r}
	if n.Kind != yaml.SequenceNode {
		c.addf(n.Line, path, "must be a list, not %s%s", describe(n), listHint(r))
		return v
	}
	start := len(c.probs)
	seen := map[string]int{}
	for i, e := range n.Content {
		ep := fmt.Sprintf("%s[%d]", path, i)
		e = resolve(e)
		line := n.Line
		if e != nil {
			line = e.Line
		}
		var x *val
		if r.elem == tMap {
			if isNull(e) {
				c.add(line, ep, "empty entry: remove the lone -")
				continue
			}
			o := c.mapping(e, r, ep, line)
			x = &val{n: e, line: line, path: ep, row: r, ok: !o.bad, obj: o}
		} else {
			if isNull(e) {
				c.addf(line, ep, "must not be empty: %s", typeWant(r.elem))
				continue
			}
			if !c.visit(line) {
				break
			}
			x = c.scalar(e, r, r.elem, ep)
			if x.ok && r.unique {
				if first, dup := seen[e.Value]; dup {
					c.addf(line, ep, "%q is listed twice (first at line %d): list it once", e.Value, first)
				}
				seen[e.Value] = line
			}
		}
		v.list = append(v.list, x)
	}
	switch {
	case r.length > 0 && len(n.Content) != r.length:
		c.addf(n.Line, path, "must have exactly %d values, not %d%s", r.length, len(n.Content), listHint(r))
	case len(n.Content) < r.minItems:
		c.addf(n.Line, path, "must list at least %d value: %s", r.minItems, r.allowed())
	}
	v.ok = len(c.probs) == start
	return v
}

func listHint(r *row) string {
	if r.example != "" {
		return ", like " + r.example
	}
	return ""
}

// scalar checks one scalar of type t against r's rules.
func (c *checker) scalar(n *yaml.Node, r *row, t typ, path string) *val {
	v := &val{n: n, line: n.Line, path: path, row: r}
	if n.Kind != yaml.ScalarNode {
		c.addf(n.Line, path, "%s, not %s", typeWant(t), describe(n))
		return v
	}
	tag := n.ShortTag()
	switch t {
	case tString:
		switch tag {
		case "!!str", "!!int", "!!float", "!!timestamp":
			v.s = n.Value
		default:
			c.addf(n.Line, path, "must be a string, not %s (quote it)", describe(n))
			return v
		}
	case tBool:
		if tag != "!!bool" || n.Decode(&v.b) != nil {
			c.addf(n.Line, path, "must be true or false, not %s", describe(n))
			return v
		}
	case tInt:
		if tag != "!!int" || n.Decode(&v.i) != nil {
			c.addf(n.Line, path, "must be an integer%s, not %s", suffix(r.allowed()), describe(n))
			return v
		}
	case tNumber:
		if (tag != "!!int" && tag != "!!float") || n.Decode(&v.f) != nil || math.IsNaN(v.f) || math.IsInf(v.f, 0) {
			c.addf(n.Line, path, "must be a number%s, not %s", suffix(r.allowed()), describe(n))
			return v
		}
	case tDuration:
		d, err := time.ParseDuration(n.Value)
		if tag == "!!bool" || err != nil {
			c.addf(n.Line, path, "must be a duration%s, written like \"30s\", \"800ms\" or \"72h\" (units ms, s, m, h), not %s",
				suffix(r.allowed()), describe(n))
			return v
		}
		v.d, v.s = d, n.Value
	}
	if msg := c.rules(v, r, t); msg != "" {
		c.add(n.Line, path, msg)
		return v
	}
	v.ok = true
	return v
}

func suffix(s string) string {
	if s == "" {
		return ""
	}
	return " " + s
}

// rules checks v against r's enum, pattern, range and check function.
func (c *checker) rules(v *val, r *row, t typ) string {
	if t == tString && v.s == "" && r.typ != tList {
		if r.required {
			return requiredMsg(r)
		}
		return "" // an empty string is the same as an absent key
	}
	switch {
	case len(r.enum) > 0:
		text := v.n.Value
		if t == tInt {
			text = strconv.FormatInt(v.i, 10)
		}
		for _, e := range r.enum {
			if e == text {
				return ""
			}
		}
		msg := "must be one of " + strings.Join(r.enum, ", ") + " (got " + strconv.Quote(text) + ")"
		if t == tInt {
			msg = "must be one of " + strings.Join(r.enum, ", ") + " (got " + text + ")"
		}
		if s := suggest(text, r.enum); s != "" && t == tString {
			msg += ": did you mean " + strconv.Quote(s) + "?"
		}
		return msg
	case r.re != nil && t == tString && !r.re.MatchString(v.s):
		return fmt.Sprintf("must match %s (got %q)", r.pattern, v.s)
	}
	if r.hasLo || r.hasHi {
		var x float64
		switch t {
		case tInt:
			x = float64(v.i)
		case tNumber:
			x = v.f
		case tDuration:
			x = float64(v.d)
		}
		if (r.zero != "" && x == 0) || ((!r.hasLo || x >= r.lo) && (!r.hasHi || x <= r.hi)) {
			return ""
		}
		return fmt.Sprintf("must be %s (got %s)", r.rangeText(), v.n.Value)
	}
	if t == tDuration && v.d < 0 {
		return fmt.Sprintf("must not be negative (got %s)", v.n.Value)
	}
	if r.check != nil && t == tString {
		return r.check(v.s)
	}
	return ""
}

func typeWant(t typ) string {
	switch t {
	case tString:
		return "must be a string"
	case tInt:
		return "must be an integer"
	case tNumber:
		return "must be a number"
	case tBool:
		return "must be true or false"
	case tDuration:
		return "must be a duration like \"30s\""
	case tMap, tDict:
		return "must be a mapping of keys (key: value)"
	case tList:
		return "must be a list"
	}
	return "must be absent"
}

// describe names what a node holds, for messages: `the string "9600"`, `a list`, `1.5`.
func describe(n *yaml.Node) string {
	if n == nil {
		return "nothing"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
	default:
		return "an unsupported YAML node"
	}
	v := n.Value
	if len(v) > 40 {
		v = v[:37] + "..."
	}
	switch n.ShortTag() {
	case "!!str":
		return "the string " + strconv.Quote(v)
	case "!!null":
		return "null"
	case "!!int", "!!float", "!!bool":
		return v
	}
	return fmt.Sprintf("%s %q", n.ShortTag(), v)
}
