package config

import (
	"fmt"
	"strings"

	"github.com/stationd/stationd/devices"
)

// Reference returns the configuration reference in Markdown: a table of every key (path, type,
// default, description) and, for each driver registered when it is called, what a device entry
// with that driver takes. It is generated from the table the checks use, so the README that
// embeds it cannot drift from what stationd accepts.
func Reference() string {
	var b strings.Builder
	b.WriteString("An empty string is the same as an absent key. Durations are Go duration strings (`800ms`, `30s`, `5m`, `72h`). ")
	b.WriteString("Relative file paths are taken from the config file's directory. ")
	b.WriteString("Keys marked *live* take effect on a reload (SIGHUP); others need a restart.\n\n")
	b.WriteString("| key | type | default | description |\n| --- | --- | --- | --- |\n")
	for _, r := range keyTable {
		if r.typ == tRefused {
			continue
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", r.path, cell(typeText(r)), cell(defaultText(r)), cell(description(r)))
	}
	var refused []string
	for _, r := range keyTable {
		if r.typ == tRefused {
			refused = append(refused, fmt.Sprintf("- `%s`: %s.\n", r.path, r.refused))
		}
	}
	if len(refused) > 0 {
		b.WriteString("\nKeys refused on purpose:\n\n")
		b.WriteString(strings.Join(refused, ""))
	}

	b.WriteString("\n### Device drivers\n")
	for _, kind := range devices.Kinds {
		for _, name := range devices.Names(kind) {
			d, _ := devices.Lookup(kind, name)
			fmt.Fprintf(&b, "\n#### %s `%s`\n\n", kind, name)
			var needs []string
			if d.Doc != "" {
				needs = append(needs, strings.TrimSuffix(d.Doc, ".")+".")
			}
			switch {
			case d.Port && d.Address:
				needs = append(needs, "Needs `port` and `address`.")
			case d.Port:
				needs = append(needs, "Needs `port`.")
			case d.Address:
				needs = append(needs, "Needs `address`.")
			}
			if len(needs) > 0 {
				b.WriteString(strings.Join(needs, " ") + "\n\n")
			}
			if len(d.Options) == 0 {
				b.WriteString("No options.\n")
				continue
			}
			b.WriteString("| option | type | default | description |\n| --- | --- | --- | --- |\n")
			for _, o := range d.Options {
				def := "—"
				if o.Default != "" {
					def = "`" + o.Default + "`"
				}
				fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", o.Key, cell(o.Type), cell(def), cell(o.Doc))
			}
		}
	}
	return b.String()
}

func typeText(r *row) string {
	switch r.typ {
	case tList:
		s := "list of " + r.elem.String()
		if r.elem == tMap {
			s = "list of mappings"
		}
		if r.length > 0 {
			s = fmt.Sprintf("list of %d %ss", r.length, r.elem)
		}
		return s
	case tDict:
		return "mapping of names"
	}
	return r.typ.String()
}

func defaultText(r *row) string {
	switch {
	case r.required:
		return "required"
	case r.defDoc != "":
		return r.defDoc
	case r.def != "":
		return "`" + r.def + "`"
	}
	return "—"
}

func description(r *row) string {
	parts := []string{r.doc}
	var allowed []string
	switch {
	case len(r.enum) > 0:
		allowed = append(allowed, "One of `"+strings.Join(r.enum, "`, `")+"`")
	case r.re != nil && r.typ == tDict:
		allowed = append(allowed, "Names match `"+r.pattern+"`")
	case r.re != nil:
		allowed = append(allowed, "Matches `"+r.pattern+"`")
	}
	if t := r.rangeText(); t != "" {
		if r.typ == tList {
			t = "each " + t
		}
		allowed = append(allowed, strings.ToUpper(t[:1])+t[1:])
	}
	if r.minItems > 0 {
		allowed = append(allowed, fmt.Sprintf("At least %d", r.minItems))
	}
	if r.unique {
		allowed = append(allowed, "No duplicates")
	}
	for _, a := range allowed {
		parts = append(parts, a+".")
	}
	if r.file {
		parts = append(parts, "A relative path is taken from the config file's directory.")
	}
	if r.live && r.typ != tMap {
		parts = append(parts, "*live*")
	}
	return strings.Join(parts, " ")
}

// cell escapes text for a Markdown table cell.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}
