package carrier

import (
	"encoding/json"
	"io/fs"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
	"testing/fstest"

	"github.com/stationd/stationd/agent/config"
	firmwareconfig "github.com/stationd/stationd/firmware-config"
	"github.com/stationd/stationd/protocol/units"
)

// vectors is shared/vectors/carriers.json (a byte-identical copy in testdata/vectors).
type vectors struct {
	Carriers map[string]struct {
		Divisor          *int64 `json:"divisor"`
		MaxWeightG       int64  `json:"max_weight_g"`
		MaxLengthMM      int64  `json:"max_length_mm"`
		MaxWidthMM       int64  `json:"max_width_mm"`
		MaxHeightMM      int64  `json:"max_height_mm"`
		MaxSumOfSidesMM  int64  `json:"max_sum_of_sides_mm"`
		MaxLengthGirthMM int64  `json:"max_length_plus_girth_mm"`
		SurchargeAbove   *struct {
			LengthMM     int64  `json:"length_mm"`
			SumOfSidesMM int64  `json:"sum_of_sides_mm"`
			Name         string `json:"name"`
		} `json:"surcharge_above"`
		BillingRounding *struct {
			StepG int64  `json:"step_g"`
			Mode  string `json:"mode"`
		} `json:"billing_rounding"`
		Sources []struct {
			URL   string `json:"url"`
			Found string `json:"found"`
		} `json:"sources"`
	} `json:"carriers"`
	Cases []struct {
		Name    string `json:"name"`
		Carrier string `json:"carrier"`
		Input   struct {
			OuterMM   [3]units.Length `json:"outer_mm"`
			MeasuredG int64           `json:"measured_g"`
			Divisor   *int64          `json:"divisor"`
		} `json:"input"`
		Expect struct {
			VolumeMM3        int64     `json:"volume_mm3"`
			Divisor          *int64    `json:"divisor"`
			VolumetricG      *int64    `json:"volumetric_g"`
			BillableG        int64     `json:"billable_g"`
			BillableRoundedG *int64    `json:"billable_rounded_g"`
			WithinLimits     bool      `json:"within_limits"`
			Broken           []string  `json:"broken"`
			Surcharge        *[]string `json:"surcharge"`
		} `json:"expect"`
	} `json:"cases"`
}

func loadVectors(t *testing.T) vectors {
	t.Helper()
	b, err := os.ReadFile("testdata/vectors/carriers.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func ptrEq(a, b *int64) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }

func fmtPtr(p *int64) any {
	if p == nil {
		return "null"
	}
	return *p
}

// TestVectors runs every case of shared/vectors/carriers.json through the shipped rules, with the
// case's divisor as a config override when it gives one.
func TestVectors(t *testing.T) {
	v := loadVectors(t)
	for _, c := range v.Cases {
		t.Run(c.Name, func(t *testing.T) {
			var over map[string]config.Carrier
			if c.Input.Divisor != nil {
				over = map[string]config.Carrier{c.Carrier: {Divisor: c.Input.Divisor}}
			}
			r := Resolve(c.Carrier, over)
			if !r.Known {
				t.Fatalf("carrier %s is not shipped", c.Carrier)
			}
			q, err := r.Quote(c.Input.OuterMM, units.Mass(c.Input.MeasuredG)*units.Gram)
			if err != nil {
				t.Fatal(err)
			}
			e := c.Expect
			if q.VolumeMM3 != e.VolumeMM3 {
				t.Errorf("volume %d mm³, want %d", q.VolumeMM3, e.VolumeMM3)
			}
			if !ptrEq(q.Divisor, e.Divisor) {
				t.Errorf("divisor %v, want %v", fmtPtr(q.Divisor), fmtPtr(e.Divisor))
			}
			if !ptrEq(q.VolumetricG, e.VolumetricG) {
				t.Errorf("volumetric %v g, want %v", fmtPtr(q.VolumetricG), fmtPtr(e.VolumetricG))
			}
			if q.BillableG != e.BillableG {
				t.Errorf("billable %d g, want %d", q.BillableG, e.BillableG)
			}
			wantRounded := int64(0)
			if e.BillableRoundedG != nil {
				wantRounded = *e.BillableRoundedG
			}
			if q.BillableRoundedG != wantRounded {
				t.Errorf("billable rounded %d g, want %d (0: no step)", q.BillableRoundedG, wantRounded)
			}
			if q.WithinLimits() != e.WithinLimits {
				t.Errorf("within limits %v, want %v", q.WithinLimits(), e.WithinLimits)
			}
			var broken []string
			for _, b := range q.Broken {
				broken = append(broken, b.Limit)
			}
			if !slices.Equal(broken, e.Broken) && !(len(broken) == 0 && len(e.Broken) == 0) {
				t.Errorf("broken %v, want %v", broken, e.Broken)
			}
			if e.Surcharge != nil && !slices.Equal(q.Surcharges, *e.Surcharge) && !(len(q.Surcharges) == 0 && len(*e.Surcharge) == 0) {
				t.Errorf("surcharges %v, want %v", q.Surcharges, *e.Surcharge)
			}
		})
	}
}

// TestShippedMatchesVectors checks every figure of the shipped files against the carriers table
// of the vectors, where the figures and their sources were collected.
func TestShippedMatchesVectors(t *testing.T) {
	v := loadVectors(t)
	shipped, err := Shipped()
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range v.Carriers {
		t.Run(key, func(t *testing.T) {
			r, ok := shipped[key]
			if !ok {
				t.Fatalf("no firmware-config/carriers/%s.json", key)
			}
			var div *int64
			if r.Divisor != 0 {
				div = &r.Divisor
			}
			if !ptrEq(div, want.Divisor) {
				t.Errorf("divisor %v, want %v", fmtPtr(div), fmtPtr(want.Divisor))
			}
			for _, f := range []struct {
				name      string
				got, want int64
			}{
				{"max_weight_g", r.MaxWeight.Grams(), want.MaxWeightG},
				{"max_length_mm", int64(r.MaxLength), want.MaxLengthMM},
				{"max_width_mm", int64(r.MaxWidth), want.MaxWidthMM},
				{"max_height_mm", int64(r.MaxHeight), want.MaxHeightMM},
				{"max_sum_sides_mm", int64(r.MaxSumSides), want.MaxSumOfSidesMM},
				{"max_length_girth_mm", int64(r.MaxLengthGirth), want.MaxLengthGirthMM},
			} {
				if f.got != f.want {
					t.Errorf("%s %d, want %d", f.name, f.got, f.want)
				}
			}
			step := int64(0)
			if want.BillingRounding != nil {
				step = want.BillingRounding.StepG
				if want.BillingRounding.Mode != "ceil" {
					t.Errorf("rounding mode %q: only ceil is implemented", want.BillingRounding.Mode)
				}
			}
			if r.Rounding.Grams() != step {
				t.Errorf("rounding %d g, want %d", r.Rounding.Grams(), step)
			}
			if want.SurchargeAbove != nil {
				s := want.SurchargeAbove
				if len(r.Surcharges) != 1 || r.Surcharges[0].Code != s.Name ||
					int64(r.Surcharges[0].AboveLength) != s.LengthMM || int64(r.Surcharges[0].AboveSumSides) != s.SumOfSidesMM {
					t.Errorf("surcharges %+v, want %+v", r.Surcharges, *s)
				}
			} else if len(r.Surcharges) != 0 {
				t.Errorf("surcharges %+v, want none", r.Surcharges)
			}
		})
	}
	// The seven carriers of issue #8 are shipped.
	for _, k := range []string{"colissimo", "chronopost", "mondial_relay", "dhl_express", "ups", "dpd", "gls"} {
		if _, ok := shipped[k]; !ok {
			t.Errorf("carrier %s is not shipped", k)
		}
	}
}

func TestResolve(t *testing.T) {
	p := func(v int64) *int64 { return &v }
	m := func(g int64) *units.Mass { v := units.Mass(g) * units.Gram; return &v }
	l := func(mm int64) *units.Length { v := units.Length(mm); return &v }
	for _, c := range []struct {
		name  string
		key   string
		over  map[string]config.Carrier
		check func(t *testing.T, r Rule)
	}{
		{"shipped as is", "chronopost", nil, func(t *testing.T, r Rule) {
			if !r.Known || r.Divisor != 5000 || r.MaxWeight != 30*units.Kilogram || r.MaxLength != 1500 {
				t.Errorf("%+v", r)
			}
		}},
		{"override keeps the rest", "chronopost", map[string]config.Carrier{"chronopost": {MaxWeight: m(25000)}}, func(t *testing.T, r Rule) {
			if r.Divisor != 5000 || r.MaxWeight != 25*units.Kilogram || r.MaxLength != 1500 || r.MaxLengthGirth != 3000 {
				t.Errorf("%+v", r)
			}
		}},
		{"divisor 0 means actual weight", "ups", map[string]config.Carrier{"ups": {Divisor: p(0)}}, func(t *testing.T, r Rule) {
			if r.Divisor != 0 || r.Rounding != 500*units.Gram {
				t.Errorf("%+v", r)
			}
		}},
		{"every override field", "gls", map[string]config.Carrier{"gls": {Divisor: p(6000), MaxWeight: m(1), MaxLength: l(2),
			MaxSumSides: l(3), MaxLengthGirth: l(4), Rounding: m(100)}}, func(t *testing.T, r Rule) {
			want := Rule{Key: "gls", Name: r.Name, Known: true, Divisor: 6000, MaxWeight: units.Gram, MaxLength: 2, MaxWidth: 800,
				MaxHeight: 600, MaxSumSides: 3, MaxLengthGirth: 4, Rounding: 100 * units.Gram}
			if !equalRule(r, want) {
				t.Errorf("%+v\nwant %+v", r, want)
			}
		}},
		{"unknown carrier", "acme", nil, func(t *testing.T, r Rule) {
			if r.Known || r.Divisor != 0 || r.MaxWeight != 0 {
				t.Errorf("%+v", r)
			}
			q, err := r.Quote([3]units.Length{3000, 2000, 1000}, 99*units.Kilogram)
			if err != nil || q.Divisor != nil || q.BillableG != 99000 || len(q.Broken) != 0 {
				t.Errorf("%+v %v", q, err)
			}
		}},
		{"carrier known from the config only", "acme", map[string]config.Carrier{"acme": {Divisor: p(4000)}}, func(t *testing.T, r Rule) {
			if !r.Known || r.Divisor != 4000 {
				t.Errorf("%+v", r)
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) { c.check(t, Resolve(c.key, c.over)) })
	}
}

func equalRule(a, b Rule) bool {
	return a.Key == b.Key && a.Name == b.Name && a.Known == b.Known && a.Divisor == b.Divisor && a.MaxWeight == b.MaxWeight &&
		a.MaxLength == b.MaxLength && a.MaxWidth == b.MaxWidth && a.MaxHeight == b.MaxHeight && a.MaxSumSides == b.MaxSumSides &&
		a.MaxLengthGirth == b.MaxLengthGirth && a.Rounding == b.Rounding
}

func TestParseRejects(t *testing.T) {
	src := `"sources":[{"url":"https://example.com","title":"t","found":"2026-11-23"}]`
	for _, c := range []struct{ name, key, data string }{
		{"bad key", "Acme!", `{"name":"x",` + src + `}`},
		{"unknown field", "acme", `{"name":"x","max_weight":1,` + src + `}`},
		{"no name", "acme", `{` + src + `}`},
		{"zero divisor", "acme", `{"name":"x","divisor":0,` + src + `}`},
		{"negative limit", "acme", `{"name":"x","max_length_mm":-1,` + src + `}`},
		{"no source", "acme", `{"name":"x"}`},
		{"undated source", "acme", `{"name":"x","sources":[{"url":"u","title":"t","found":"yesterday"}]}`},
		{"surcharge without threshold", "acme", `{"name":"x","surcharges":[{"code":"big"}],` + src + `}`},
		{"surcharge code", "acme", `{"name":"x","surcharges":[{"code":"Big!","above_length_mm":1}],` + src + `}`},
		{"trailing data", "acme", `{"name":"x",` + src + `} {}`},
		{"not json", "acme", `name: x`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, _, err := Parse(c.key, []byte(c.data)); err == nil {
				t.Error("accepted")
			}
		})
	}
	t.Run("load reports the file", func(t *testing.T) {
		_, err := Load(fstest.MapFS{"ok.json": {Data: []byte(`{"name":"x",` + src + `}`)}, "bad.json": {Data: []byte(`{}`)}})
		if err == nil {
			t.Error("accepted")
		}
	})
}

// TestArithmeticProperties checks contract section 8 on random parcels: the volumetric weight is
// the smallest whole gram at or above volume/divisor, billable is the larger of measured and
// volumetric, the billing step rounds up by less than one step, and the order of the dimensions
// changes nothing.
func TestArithmeticProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 2026))
	for i := range 20000 {
		r := Rule{Key: "p", Known: true, Divisor: rng.Int64N(10000) + 1}
		if rng.IntN(4) == 0 {
			r.Divisor = 0
		}
		if rng.IntN(2) == 0 {
			r.Rounding = units.Mass(rng.Int64N(1000)+1) * units.Gram
		}
		r.MaxWeight = units.Mass(rng.Int64N(40000)) * units.Gram
		r.MaxLength = units.Length(rng.Int64N(3000))
		r.MaxSumSides = units.Length(rng.Int64N(5000))
		r.MaxLengthGirth = units.Length(rng.Int64N(8000))
		outer := [3]units.Length{units.Length(rng.Int64N(3000) + 1), units.Length(rng.Int64N(3000) + 1), units.Length(rng.Int64N(3000) + 1)}
		measured := units.Mass(rng.Int64N(50_000_000))
		q, err := r.Quote(outer, measured)
		if err != nil {
			t.Fatal(err)
		}
		vol := int64(outer[0]) * int64(outer[1]) * int64(outer[2])
		if q.VolumeMM3 != vol {
			t.Fatalf("case %d: volume %d, want %d", i, q.VolumeMM3, vol)
		}
		if q.MeasuredG != measured.Grams() {
			t.Fatalf("case %d: measured %d g from %v", i, q.MeasuredG, measured)
		}
		if r.Divisor == 0 {
			if q.Divisor != nil || q.VolumetricG != nil || q.BillableG != q.MeasuredG {
				t.Fatalf("case %d: no divisor: %+v", i, q)
			}
		} else {
			g := *q.VolumetricG
			if g*r.Divisor < vol || (g-1)*r.Divisor >= vol {
				t.Fatalf("case %d: volumetric %d g is not ceil(%d / %d)", i, g, vol, r.Divisor)
			}
			if q.BillableG != max(q.MeasuredG, g) {
				t.Fatalf("case %d: billable %d, measured %d, volumetric %d", i, q.BillableG, q.MeasuredG, g)
			}
		}
		if r.Rounding > 0 {
			step := r.Rounding.Grams()
			if q.BillableRoundedG%step != 0 || q.BillableRoundedG < q.BillableG || q.BillableRoundedG-q.BillableG >= step {
				t.Fatalf("case %d: %d rounded to %d with step %d", i, q.BillableG, q.BillableRoundedG, step)
			}
		} else if q.BillableRoundedG != 0 {
			t.Fatalf("case %d: rounded %d without a step", i, q.BillableRoundedG)
		}
		// Limits: inclusive, on the sorted dimensions.
		s := q.Sorted
		if s[0] < s[1] || s[1] < s[2] {
			t.Fatalf("case %d: not sorted: %v", i, s)
		}
		broken := map[string]bool{}
		for _, b := range q.Broken {
			broken[b.Limit] = true
			if b.Actual <= b.Max {
				t.Fatalf("case %d: %v is not a breach", i, b)
			}
		}
		if want := r.MaxWeight > 0 && measured > r.MaxWeight; broken[LimitWeight] != want {
			t.Fatalf("case %d: weight %v max %v broken %v", i, measured, r.MaxWeight, broken)
		}
		if want := r.MaxLength > 0 && s[0] > r.MaxLength; broken[LimitLength] != want {
			t.Fatalf("case %d: length %v max %v broken %v", i, s[0], r.MaxLength, broken)
		}
		if want := r.MaxSumSides > 0 && s[0]+s[1]+s[2] > r.MaxSumSides; broken[LimitSumOfSides] != want {
			t.Fatalf("case %d: sum %v max %v broken %v", i, s, r.MaxSumSides, broken)
		}
		if want := r.MaxLengthGirth > 0 && s[0]+2*(s[1]+s[2]) > r.MaxLengthGirth; broken[LimitLengthAndGirth] != want {
			t.Fatalf("case %d: girth %v max %v broken %v", i, s, r.MaxLengthGirth, broken)
		}
		// Any permutation gives the same quote.
		perm := [3]units.Length{outer[2], outer[0], outer[1]}
		q2, _ := r.Quote(perm, measured)
		if q2.BillableG != q.BillableG || len(q2.Broken) != len(q.Broken) || q2.Sorted != q.Sorted {
			t.Fatalf("case %d: permutation changed the quote: %+v vs %+v", i, q, q2)
		}
	}
}

func TestQuoteEdges(t *testing.T) {
	r := Resolve("chronopost", nil)
	t.Run("limits are inclusive", func(t *testing.T) {
		// 1500 long, girth 1500 + 2 × (400 + 350) = 3000, 30 kg: every limit reached, none broken.
		q, err := r.Quote([3]units.Length{400, 1500, 350}, 30*units.Kilogram)
		if err != nil || !q.WithinLimits() {
			t.Fatalf("%+v %v", q, err)
		}
		q, _ = r.Quote([3]units.Length{400, 1501, 350}, 30*units.Kilogram+units.Milligram)
		if got := q.BrokenDetail(); got != "max_weight 30000 g > 30000 g; max_length 1501 mm > 1500 mm; max_length_plus_girth 3001 mm > 3000 mm" {
			t.Errorf("detail %q", got)
		}
	})
	t.Run("zero side", func(t *testing.T) {
		if _, err := r.Quote([3]units.Length{0, 10, 10}, units.Gram); err == nil {
			t.Error("accepted")
		}
	})
	t.Run("overflow", func(t *testing.T) {
		if _, err := r.Quote([3]units.Length{1 << 30, 1 << 30, 1 << 30}, units.Gram); err == nil {
			t.Error("accepted")
		}
	})
	t.Run("rounding of negative weight", func(t *testing.T) {
		if g := roundUp(-700, 500); g != -500 {
			t.Errorf("roundUp(-700, 500) = %d", g)
		}
	})
	t.Run("keys", func(t *testing.T) {
		if k := Keys(); !slices.Contains(k, "colissimo") || !slices.IsSorted(k) {
			t.Errorf("%v", k)
		}
	})
}

// FuzzParse: a carrier file never panics the loader, and an accepted one quotes any parcel.
func FuzzParse(f *testing.F) {
	for _, k := range Keys() {
		b, err := fs.ReadFile(firmwareconfig.Carriers(), k+".json")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(k, b)
	}
	f.Add("acme", []byte(`{"name":"x","divisor":1,"max_weight_g":1,"sources":[{"url":"u","found":"2026-01-01"}]}`))
	f.Fuzz(func(t *testing.T, key string, data []byte) {
		r, _, err := Parse(key, data)
		if err != nil {
			return
		}
		if _, err := r.Quote([3]units.Length{300, 200, 100}, 1500*units.Gram); err != nil {
			t.Fatalf("%+v: %v", r, err)
		}
	})
}
