package returns

import (
	"strings"
	"testing"
)

// TestShippedRules checks the shipped file: it parses, and it is complete: every reason ×
// condition pair has exactly one rule, every disposition is reachable, every barcode is unique.
func TestShippedRules(t *testing.T) {
	r, err := Default()
	if err != nil {
		t.Fatalf("shipped %s: %v", FileName, err)
	}
	if len(r.Reasons) == 0 || len(r.Conditions) == 0 || len(r.Dispositions) == 0 {
		t.Fatalf("empty sections: %d reasons, %d conditions, %d dispositions", len(r.Reasons), len(r.Conditions), len(r.Dispositions))
	}
	if want := len(r.Reasons) * len(r.Conditions); len(r.Rules) != want {
		t.Errorf("%d rules, want %d (one per reason × condition)", len(r.Rules), want)
	}
	reached := map[string]bool{}
	for _, rs := range r.Reasons {
		for _, cd := range r.Conditions {
			t.Run(rs.Code+"×"+cd.Code, func(t *testing.T) {
				rule, ok := r.Decide(rs.Code, cd.Code)
				if !ok {
					t.Fatalf("no rule")
				}
				if _, ok := r.Disposition(rule.Disposition); !ok {
					t.Fatalf("disposition %q is not defined", rule.Disposition)
				}
				if rule.Why == "" || len(rule.Sources) == 0 {
					t.Errorf("rule at line %d has no why or no sources", rule.Line)
				}
				reached[rule.Disposition] = true
			})
		}
	}
	for _, d := range r.Dispositions {
		if !reached[d.Code] {
			t.Errorf("disposition %s is reached by no rule", d.Code)
		}
	}
	// The vocabulary (#8 item 2) is all there.
	for _, c := range []string{"non_conforming", "damaged", "wrong_size", "changed_mind", "other"} {
		if _, ok := r.Reason(c); !ok {
			t.Errorf("reason %s missing", c)
		}
	}
	for _, c := range []string{"restock", "refurbish", "scrap", "return_to_vendor"} {
		if _, ok := r.Disposition(c); !ok {
			t.Errorf("disposition %s missing", c)
		}
	}
	seen := map[string]string{}
	for _, x := range r.Reasons {
		seen[x.Barcode] = x.Code
		if rr, ok, _, _ := r.ByBarcode(strings.ToLower(x.Barcode)); !ok || rr.Code != x.Code {
			t.Errorf("ByBarcode(%q) = %v, %v: want reason %s", strings.ToLower(x.Barcode), rr.Code, ok, x.Code)
		}
	}
	for _, x := range r.Conditions {
		if prev, dup := seen[x.Barcode]; dup {
			t.Errorf("barcode %s used by %s and %s", x.Barcode, prev, x.Code)
		}
		if _, isR, cc, ok := r.ByBarcode(x.Barcode); isR || !ok || cc.Code != x.Code {
			t.Errorf("ByBarcode(%q): want condition %s", x.Barcode, x.Code)
		}
	}
	if _, isR, _, isC := r.ByBarcode("RSN-NOPE"); isR || isC {
		t.Error("ByBarcode of an unknown code found something")
	}
	if !strings.Contains(string(Shipped()), "version: 1") {
		t.Error("Shipped does not return the file")
	}
}

const minimal = `version: 1
sources:
  - {id: policy, ref: "Site policy"}
reasons:
  - {code: damaged, barcode: RSN-DAMAGED, en: Damaged, fr: Endommagé, default_condition: new}
  - {code: other, barcode: RSN-OTHER, en: Other, fr: Autre, default_condition: new}
conditions:
  - {code: new, barcode: CND-NEW, en: New, fr: Neuf}
dispositions:
  - {code: restock, en: Restock, fr: Remise en stock}
  - {code: scrap, en: Scrap, fr: Rebut}
rules:
  - {reason: damaged, condition: new, disposition: scrap, why: "Broken.", sources: [policy]}
  - {reason: other, condition: new, disposition: restock, why: "As sent.", sources: [policy]}
`

func TestParseErrors(t *testing.T) {
	if _, err := Parse("ok.yaml", []byte(minimal)); err != nil {
		t.Fatalf("minimal file: %v", err)
	}
	cases := []struct {
		name string
		edit func(string) string
		want []string // lines of the error, in order
	}{
		{"unknown key", func(s string) string {
			return strings.Replace(s, "default_condition: new}\n  - {code: other", "default_condition: new, colour: red}\n  - {code: other", 1)
		}, []string{"x.yaml:5: field colour not found in type returns.Reason"}},
		{"not yaml", func(string) string { return "version: [1\n" }, []string{"x.yaml:1: did not find expected ',' or ']'"}},
		{"missing pair", func(s string) string {
			return strings.Replace(s, "  - {reason: other, condition: new, disposition: restock, why: \"As sent.\", sources: [policy]}\n", "", 1)
		}, []string{
			"x.yaml:10: dispositions: restock is used by no rule: remove it or use it",
			"x.yaml:12: rules: no rule for reason other × condition new: add {reason: other, condition: new, disposition: ...}",
		}},
		{"duplicate pair", func(s string) string {
			return s + "  - {reason: other, condition: new, disposition: scrap, why: \"Again.\", sources: [policy]}\n"
		}, []string{"x.yaml:15: rules[2]: other × new is already decided by rules[1] (line 14)"}},
		{"unknown codes", func(s string) string {
			s = strings.Replace(s, "disposition: restock, why", "disposition: restok, why", 1)
			return strings.Replace(s, "{reason: damaged, condition: new", "{reason: broken, condition: neuf", 1)
		}, []string{
			"x.yaml:10: dispositions: restock is used by no rule: remove it or use it",
			"x.yaml:12: rules: no rule for reason damaged × condition new: add {reason: damaged, condition: new, disposition: ...}",
			"x.yaml:13: rules[0].reason: unknown reason \"broken\": want one of damaged, other",
			"x.yaml:13: rules[0].condition: unknown condition \"neuf\": want one of new",
			"x.yaml:14: rules[1].disposition: unknown disposition \"restok\": want one of restock, scrap",
		}},
		{"bad fields", func(s string) string {
			s = strings.Replace(s, "RSN-OTHER", "CND-NEW", 1)
			s = strings.Replace(s, "code: damaged, barcode", "code: Damaged, barcode", 1)
			s = strings.Replace(s, "fr: Neuf}", "fr: \"\"}", 1)
			s = strings.Replace(s, "sources: [policy]}\n  - {reason: other", "sources: [law]}\n  - {reason: other", 1)
			return strings.Replace(s, "version: 1", "version: 2", 1)
		}, []string{
			"x.yaml:1: version: must be 1 (got 2)",
			"x.yaml:5: reasons[0].code: \"Damaged\": must be 1 to 64 lower case letters, digits and '_', starting with a letter",
			"x.yaml:8: conditions[0].barcode: \"CND-NEW\" is also reasons[1].barcode",
			"x.yaml:8: conditions[0].fr: required",
			"x.yaml:13: rules[0].reason: unknown reason \"damaged\": want one of Damaged, other",
			"x.yaml:13: rules[0].sources[0]: unknown source \"law\"",
		}},
		{"lower case barcode and default condition", func(s string) string {
			s = strings.Replace(s, "barcode: RSN-DAMAGED", "barcode: rsn-damaged", 1)
			return strings.Replace(s, "fr: Autre, default_condition: new", "fr: Autre, default_condition: used", 1)
		}, []string{
			"x.yaml:5: reasons[0].barcode: \"rsn-damaged\": must be 1 to 32 of A-Z, 0-9 and '-', starting with a letter or digit",
			"x.yaml:6: reasons[1].default_condition: unknown condition \"used\": want one of new",
		}},
		{"empty", func(string) string { return "version: 1\n" }, []string{
			"x.yaml:1: sources: must list at least one entry",
			"x.yaml:1: reasons: must list at least one entry",
			"x.yaml:1: conditions: must list at least one entry",
			"x.yaml:1: dispositions: must list at least one entry",
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("x.yaml", []byte(c.edit(minimal)))
			if err == nil {
				t.Fatal("no error")
			}
			if got := strings.Split(err.Error(), "\n"); strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("errors:\n%s\nwant:\n%s", err, strings.Join(c.want, "\n"))
			}
		})
	}
}

func TestLoad(t *testing.T) {
	if _, err := Load("testdata/does-not-exist.yaml"); err == nil || !strings.Contains(err.Error(), "does-not-exist.yaml") {
		t.Errorf("Load of a missing file: %v", err)
	}
	r, err := Load(FileName)
	if err != nil || r.File != FileName {
		t.Fatalf("Load(%s) = %v, %v", FileName, r, err)
	}
}

// FuzzParse: no input makes Parse panic, and what parses is complete.
func FuzzParse(f *testing.F) {
	f.Add([]byte(minimal))
	f.Add(shipped)
	f.Add([]byte("version: 1\nrules: [{}]\n"))
	f.Add([]byte("- a\n- b\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := Parse("f.yaml", b)
		if err != nil {
			return
		}
		for _, rs := range r.Reasons {
			for _, cd := range r.Conditions {
				if _, ok := r.Decide(rs.Code, cd.Code); !ok {
					t.Fatalf("parsed but %s × %s has no rule", rs.Code, cd.Code)
				}
			}
		}
	})
}
