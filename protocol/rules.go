package protocol

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file holds the rule engine. Every command and event is described once, declaratively, by
// a rule (registry.go, envelope.go); validate below checks a decoded payload against it, and the
// JSON Schemas under schema/ are generated from the same rules (schemagen_test.go, go test
// -update). Go and schema cannot drift: one rule produces both, and schema_test.go checks on
// thousands of mutated payloads that both give the same verdict.

// MaxSafeInt is the largest integer every JSON implementation holds exactly (2^53-1,
// JavaScript's Number.MAX_SAFE_INTEGER). No integer on the wire exceeds it, seq included.
const MaxSafeInt = 1<<53 - 1

type kind uint8

const (
	kString kind = iota + 1
	kInteger
	kBoolean
	kObject
	kArray
	kMap    // an object with free keys (gs1, fields, mismatches)
	kLineID // a string or an integer: an order line identifier, echoed unchanged
	kAny    // any JSON value, kept as is (the data of an envelope whose type is not known yet)
)

// A rule describes one JSON value.
type rule struct {
	kind kind
	doc  string
	// nullable makes null a value of its own (pack.completed volumetric_g). Otherwise, in
	// commands, an optional field set to null counts as absent.
	nullable bool
	// scalar makes a string rule also take a number or a boolean, kept as written, as the
	// string (label.print template fields: "weight_g": 1234).
	scalar bool

	minLen, maxLen int   // strings and line ids: characters; arrays: items; maps: entries. maxLen 0: no limit
	min, max       int64 // integers and integer line ids, inclusive

	pattern    *regexp.Regexp // strings, line ids, map keys
	patternMsg string         // what the pattern means, for the error message
	enum       []string
	constant   any // bool, int64 or string

	fields []field // objects, in wire order
	items  *rule   // array items, map values
	keys   *rule   // map keys

	checks []check
}

type field struct {
	name     string
	required bool
	rule     rule
}

// A check is a rule about several fields together (exactly one of zpl and template) or one
// JSON Schema cannot say (unique line identifiers). Its fn sees the value already validated and
// cleaned (see validate).
type check struct {
	doc    string                               // said in the schema's description
	fn     func(v any, path string) *fieldError // nil error when the rule holds
	schema []kv                                 // JSON Schema keywords saying the same, nil when it cannot
}

// fieldError is one broken rule, located by its path from the message root: "data.lines[1].qty".
type fieldError struct {
	path, msg string
	goOnly    bool // the broken rule has no JSON Schema counterpart (a check with schema nil)
}

func (e *fieldError) Error() string {
	if e.path == "" {
		return "payload: " + e.msg
	}
	return e.path + ": " + e.msg
}

func (e *fieldError) invalid() *Error { return &Error{Code: CodeInvalid, Message: e.Error()} }

// kv is one key of an ordered JSON object; only the schema generator reads these.
type kv struct {
	k string
	v any
}

// Patterns, written so that Go's regexp and ECMA 262 (JSON Schema) read them alike.
var (
	rePrintable  = regexp.MustCompile(`^[^\x00-\x1f\x7f]*$`)
	reCountry    = regexp.MustCompile(`^[A-Z]{2}$`)
	reCarrier    = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	reGTIN       = regexp.MustCompile(`^([0-9]{8}|[0-9]{12,14})$`)
	reGTIN14     = regexp.MustCompile(`^[0-9]{14}$`)
	reAI         = regexp.MustCompile(`^[0-9]{2,4}$`)
	reAIM        = regexp.MustCompile(`^\][A-Za-z][0-9A-Za-z]$`)
	reDate       = regexp.MustCompile(`^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$`)
	reWireTime   = regexp.MustCompile(`^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\.[0-9]{3}Z$`)
	reULID       = regexp.MustCompile(`^[0-7][0-9A-HJKMNP-TV-Z]{25}$`)
	reSite       = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)
	reStation    = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	reCode       = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	reName       = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	reFieldName  = regexp.MustCompile(`^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$`)
	reColor      = regexp.MustCompile(`^(red|green|blue|yellow|cyan|magenta|white|orange|#[0-9a-fA-F]{6})$`)
	reLightColor = regexp.MustCompile(`^(off|red|green|blue|yellow|cyan|magenta|white|orange|#[0-9a-fA-F]{6})$`)
	reTypeName   = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$`)
	reResultType = regexp.MustCompile(`^([a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*)?$`)
)

// Rule constructors. Each takes the doc that becomes the field's schema description.

func str(minLen, maxLen int, doc string) rule {
	return rule{kind: kString, doc: doc, minLen: minLen, maxLen: maxLen,
		pattern: rePrintable, patternMsg: "must not contain control characters"}
}

// ident is a business identifier (order, SKU, location, ...): 1 to 128 printable characters.
func ident(doc string) rule { return str(1, 128, doc) }

func integer(min, max int64, doc string) rule {
	return rule{kind: kInteger, doc: doc, min: min, max: max}
}

func boolean(doc string) rule { return rule{kind: kBoolean, doc: doc} }

func enumOf(doc string, values ...string) rule {
	return rule{kind: kString, doc: doc, enum: values}
}

func object(doc string, fields ...field) rule {
	return rule{kind: kObject, doc: doc, fields: fields}
}

func arrayOf(minLen, maxLen int, item rule, doc string) rule {
	return rule{kind: kArray, doc: doc, minLen: minLen, maxLen: maxLen, items: &item}
}

func mapOf(keys, values rule, doc string) rule {
	return rule{kind: kMap, doc: doc, keys: &keys, items: &values}
}

func lineID(doc string) rule {
	return rule{kind: kLineID, doc: doc, minLen: 1, maxLen: 64, min: 0, max: MaxSafeInt,
		pattern: rePrintable, patternMsg: "must not contain control characters"}
}

func req(name string, r rule) field { return field{name: name, required: true, rule: r} }
func opt(name string, r rule) field { return field{name: name, rule: r} }

// match returns r with a pattern replacing the printable-characters one.
func (r rule) match(re *regexp.Regexp, msg string) rule {
	r.pattern, r.patternMsg = re, msg
	return r
}

func (r rule) orNull() rule { r.nullable = true; return r }

func (r rule) with(c check) rule {
	r.checks = append(slices.Clip(r.checks), c)
	return r
}

func (r rule) is(v any) rule { r.constant = v; return r }

func (r rule) orScalar() rule { r.scalar = true; return r }

func (r *rule) typeName() string {
	switch r.kind {
	case kString:
		if r.scalar {
			return "a string, a number or a boolean"
		}
		return "a string"
	case kInteger:
		return "an integer"
	case kBoolean:
		return "a boolean"
	case kObject, kMap:
		return "an object"
	case kArray:
		return "an array"
	case kLineID:
		return "a string or an integer"
	}
	return "a JSON value"
}

// validate checks v, a tree decoded by encoding/json with UseNumber, against r and returns its
// clean form: objects keep only the fields r knows (unknown fields are tolerated and dropped,
// for forward compatibility), integers are written canonically (1.0 and 1e2 become 1 and 100)
// and, when lenient, optional fields set to null are dropped. Encoding the clean form and
// decoding it into the Go type cannot fail and cannot be fooled by encoding/json's
// case-insensitive field matching.
//
// lenient is for commands, what the station reads: an optional field may be null, meaning
// absent, as many OMS serialisers write it. Events, what the station writes, are strict.
func (r *rule) validate(v any, path string, lenient bool) (any, *fieldError) {
	if v == nil {
		if r.nullable {
			return nil, nil
		}
		return nil, &fieldError{path: path, msg: "must be " + r.typeName() + ", not null"}
	}
	var out any
	switch r.kind {
	case kString:
		s, ok := v.(string)
		if !ok && r.scalar {
			switch x := v.(type) {
			case json.Number:
				s, ok = string(x), true
			case bool:
				s, ok = strconv.FormatBool(x), true
			}
		}
		if !ok {
			return nil, r.typeErr(path)
		}
		if err := r.checkString(s, path); err != nil {
			return nil, err
		}
		out = s
	case kInteger:
		n, ok := v.(json.Number)
		if !ok {
			return nil, r.typeErr(path)
		}
		i, err := r.checkInt(n, path)
		if err != nil {
			return nil, err
		}
		out = json.Number(strconv.FormatInt(i, 10))
	case kBoolean:
		b, ok := v.(bool)
		if !ok {
			return nil, r.typeErr(path)
		}
		if r.constant != nil && r.constant != b {
			return nil, &fieldError{path: path, msg: fmt.Sprintf("must be %v", r.constant)}
		}
		out = b
	case kLineID:
		switch x := v.(type) {
		case string:
			if err := r.checkString(x, path); err != nil {
				return nil, err
			}
			out = x
		case json.Number:
			i, err := r.checkInt(x, path)
			if err != nil {
				return nil, err
			}
			out = json.Number(strconv.FormatInt(i, 10))
		default:
			return nil, r.typeErr(path)
		}
	case kObject:
		m, ok := v.(map[string]any)
		if !ok {
			return nil, r.typeErr(path)
		}
		clean := make(map[string]any, len(r.fields))
		for i := range r.fields {
			f := &r.fields[i]
			fv, present := m[f.name]
			if present && fv == nil && lenient && !f.rule.nullable {
				present = false // null means absent in what the station reads
			}
			if !present {
				if f.required {
					return nil, &fieldError{path: join(path, f.name), msg: "required"}
				}
				continue
			}
			c, err := f.rule.validate(fv, join(path, f.name), lenient)
			if err != nil {
				return nil, err
			}
			clean[f.name] = c
		}
		out = clean
	case kArray:
		a, ok := v.([]any)
		if !ok {
			return nil, r.typeErr(path)
		}
		if err := r.checkLen(len(a), path, "item"); err != nil {
			return nil, err
		}
		clean := make([]any, len(a))
		for i, x := range a {
			c, err := r.items.validate(x, path+"["+strconv.Itoa(i)+"]", lenient)
			if err != nil {
				return nil, err
			}
			clean[i] = c
		}
		out = clean
	case kMap:
		m, ok := v.(map[string]any)
		if !ok {
			return nil, r.typeErr(path)
		}
		if err := r.checkLen(len(m), path, "entry"); err != nil {
			return nil, err
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys) // the first error found does not depend on map order
		clean := make(map[string]any, len(m))
		for _, k := range keys {
			p := path + "[" + strconv.Quote(shorten(k)) + "]"
			if err := r.keys.checkString(k, p); err != nil {
				err.msg = "key " + err.msg
				return nil, err
			}
			c, err := r.items.validate(m[k], p, lenient)
			if err != nil {
				return nil, err
			}
			clean[k] = c
		}
		out = clean
	case kAny:
		out = v
	default:
		return nil, &fieldError{path: path, msg: "has no rule"}
	}
	for _, c := range r.checks {
		if err := c.fn(out, path); err != nil {
			err.goOnly = c.schema == nil
			return nil, err
		}
	}
	return out, nil
}

func (r *rule) typeErr(path string) *fieldError {
	return &fieldError{path: path, msg: "must be " + r.typeName()}
}

func (r *rule) checkString(s string, path string) *fieldError {
	n := utf8.RuneCountInString(s)
	switch {
	case n < r.minLen && r.minLen == 1:
		return &fieldError{path: path, msg: "must not be empty"}
	case n < r.minLen:
		return &fieldError{path: path, msg: fmt.Sprintf("must be at least %d characters", r.minLen)}
	case r.maxLen > 0 && n > r.maxLen:
		return &fieldError{path: path, msg: fmt.Sprintf("must be at most %d characters", r.maxLen)}
	}
	if r.constant != nil && r.constant != s {
		return &fieldError{path: path, msg: fmt.Sprintf("must be %q", r.constant)}
	}
	if r.enum != nil && !slices.Contains(r.enum, s) {
		return &fieldError{path: path, msg: "must be one of " + quoteList(r.enum)}
	}
	if r.pattern != nil && !matches(r.pattern, s) {
		msg := r.patternMsg
		if msg == "" {
			msg = "must match " + r.pattern.String()
		}
		return &fieldError{path: path, msg: msg}
	}
	return nil
}

// matches is re.MatchString, with a fast path for the most common pattern, rePrintable.
func matches(re *regexp.Regexp, s string) bool {
	if re != rePrintable {
		return re.MatchString(s)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}

func (r *rule) checkInt(n json.Number, path string) (int64, *fieldError) {
	i, integral, overflow := jsonInt(string(n))
	switch {
	case !integral:
		return 0, &fieldError{path: path, msg: "must be an integer"}
	case overflow < 0 || (overflow == 0 && i < r.min):
		return 0, &fieldError{path: path, msg: fmt.Sprintf("must be at least %d", r.min)}
	case overflow > 0 || i > r.max:
		return 0, &fieldError{path: path, msg: fmt.Sprintf("must be at most %d", r.max)}
	}
	if r.constant != nil && r.constant != i {
		return 0, &fieldError{path: path, msg: fmt.Sprintf("must be %v", r.constant)}
	}
	return i, nil
}

func (r *rule) checkLen(n int, path, what string) *fieldError {
	plural := func(k int) string {
		if k == 1 {
			return what
		}
		if what == "entry" {
			return "entries"
		}
		return what + "s"
	}
	switch {
	case r.maxLen > 0 && r.minLen == r.maxLen && n != r.minLen:
		return &fieldError{path: path, msg: fmt.Sprintf("must have exactly %d %s", r.minLen, plural(r.minLen))}
	case n < r.minLen:
		return &fieldError{path: path, msg: fmt.Sprintf("must have at least %d %s", r.minLen, plural(r.minLen))}
	case r.maxLen > 0 && n > r.maxLen:
		return &fieldError{path: path, msg: fmt.Sprintf("must have at most %d %s", r.maxLen, plural(r.maxLen))}
	}
	return nil
}

// shorten cuts s, taken from input, to 64 characters for an error message.
func shorten(s string) string {
	if utf8.RuneCountInString(s) <= 64 {
		return s
	}
	return string([]rune(s)[:63]) + "…"
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func quoteList(s []string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = strconv.Quote(v)
	}
	return strings.Join(q, ", ")
}

// jsonInt reads a JSON number literal (as json.Number holds it) as an integer, exactly, by its
// digits: integral is false when the value has a non-zero fraction ("1.5"); "1.0", "1e2" and
// "-0" are the integers 1, 100 and 0. When an integral value does not fit in an int64, overflow
// is +1 or -1 and v is 0. Work is linear in the literal's length, whatever its exponent.
func jsonInt(s string) (v int64, integral bool, overflow int) {
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	mant, exp := s, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant = s[:i]
		e, err := strconv.Atoi(s[i+1:])
		switch {
		case err == nil && e > -1<<30 && e < 1<<30:
			exp = e
		case strings.HasPrefix(s[i+1:], "-"):
			exp = -1 << 30
		default:
			exp = 1 << 30
		}
	}
	intPart, frac := mant, ""
	if i := strings.IndexByte(mant, '.'); i >= 0 {
		intPart, frac = mant[:i], mant[i+1:]
	}
	digits := intPart + frac
	point := len(intPart) + exp // the decimal point sits before digits[point]

	if start := max(point, 0); start < len(digits) {
		if strings.Trim(digits[start:], "0") != "" {
			return 0, false, 0
		}
	}
	var whole string
	pad := 0
	switch {
	case point <= 0:
		whole = ""
	case point <= len(digits):
		whole = digits[:point]
	default:
		whole, pad = digits, point-len(digits)
	}
	whole = strings.TrimLeft(whole, "0")
	if whole == "" {
		return 0, true, 0
	}
	sign := 1
	if neg {
		sign = -1
	}
	if len(whole)+pad > 19 {
		return 0, true, sign
	}
	u, err := strconv.ParseUint(whole+strings.Repeat("0", pad), 10, 64)
	if err != nil {
		return 0, true, sign
	}
	if neg {
		if u > 1<<63 {
			return 0, true, -1
		}
		return int64(-u), true, 0 // u <= 1<<63: -u wraps to the two's complement value
	}
	if u > 1<<63-1 {
		return 0, true, 1
	}
	return int64(u), true, 0
}

// Checks shared by several messages.

// unique requires the named field of an array of objects to differ between items.
func unique(name string) check {
	return check{
		doc: "`" + name + "` values are unique within the array.",
		fn: func(v any, path string) *fieldError {
			seen := map[string]int{}
			for i, item := range v.([]any) {
				x, ok := item.(map[string]any)[name]
				if !ok {
					continue
				}
				key := fmt.Sprintf("%T:%v", x, x)
				if j, dup := seen[key]; dup {
					return &fieldError{
						path: fmt.Sprintf("%s[%d].%s", path, i, name),
						msg:  fmt.Sprintf("duplicates %s[%d].%s", path, j, name),
					}
				}
				seen[key] = i
			}
			return nil
		},
	}
}

// uniqueItems requires the items of an array of scalars to differ.
func uniqueItems() check {
	return check{
		doc: "Items are unique.",
		fn: func(v any, path string) *fieldError {
			seen := map[string]int{}
			for i, x := range v.([]any) {
				key := fmt.Sprintf("%T:%v", x, x)
				if j, dup := seen[key]; dup {
					return &fieldError{path: fmt.Sprintf("%s[%d]", path, i), msg: fmt.Sprintf("duplicates %s[%d]", path, j)}
				}
				seen[key] = i
			}
			return nil
		},
		schema: []kv{{"uniqueItems", true}},
	}
}
