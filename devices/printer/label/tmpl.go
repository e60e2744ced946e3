package label

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/stationd/stationd/devices/printer/zpl"
)

// tmpl is a parsed template string: literal text and field references.
type tmpl []segment

type segment struct {
	lit    string // literal text, when field is ""
	field  string
	filter string // "", "upper", "kg", "sscc"
}

var filters = map[string]bool{"upper": true, "kg": true, "sscc": true}

func parseTmpl(s string) (tmpl, error) {
	var t tmpl
	for s != "" {
		i := strings.Index(s, "{{")
		if i < 0 {
			t = append(t, segment{lit: s})
			break
		}
		if i > 0 {
			t = append(t, segment{lit: s[:i]})
		}
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			return nil, fmt.Errorf("%q: {{ without }}", s)
		}
		ref := s[i+2 : i+j]
		name, filter, _ := strings.Cut(ref, "|")
		name, filter = strings.TrimSpace(name), strings.TrimSpace(filter)
		if name == "" || strings.ContainsAny(name, " {}") {
			return nil, fmt.Errorf("%q: bad field reference {{%s}}", s, ref)
		}
		if filter != "" && !filters[filter] {
			return nil, fmt.Errorf("%q: unknown filter %q (upper, kg, sscc)", s, filter)
		}
		t = append(t, segment{field: name, filter: filter})
		s = s[i+j+2:]
	}
	return t, nil
}

func (t tmpl) refs() []string {
	var r []string
	for _, s := range t {
		if s.field != "" {
			r = append(r, s.field)
		}
	}
	return r
}

// expand appends t filled from fields to dst.
func (t tmpl) expand(dst []byte, fields map[string]any) ([]byte, error) {
	for _, s := range t {
		if s.field == "" {
			dst = append(dst, s.lit...)
			continue
		}
		v, _ := lookup(fields, s.field)
		if v == "" {
			continue
		}
		switch s.filter {
		case "upper":
			v = strings.ToUpper(v)
		case "kg":
			g, err := strconv.ParseFloat(v, 64)
			if err != nil || g < 0 || g > 1e9 {
				return dst, fmt.Errorf("%q is not a weight in grams", v)
			}
			n := int64(g + 0.5)
			dst = strconv.AppendInt(dst, n/1000, 10)
			dst = append(dst, '.')
			frac := n % 1000
			dst = append(dst, byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
			dst = append(dst, " kg"...)
			continue
		case "sscc":
			sscc, err := zpl.SSCC(v)
			if err != nil {
				return dst, err
			}
			v = sscc
		}
		dst = append(dst, v...)
	}
	return dst, nil
}
