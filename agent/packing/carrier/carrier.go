// Package carrier holds the carrier rules of the packing workflow and their arithmetic (contract
// section 8): the volumetric weight of a box, the billable weight, a carrier's billing step and
// its size and weight limits.
//
// The rules ship as data, one JSON file per carrier in firmware-config/carriers/ (embedded in the
// binary, see firmwareconfig.Carriers), each figure with the page it was read from and the date.
// A station overrides them per key with pack.carriers in its config (config.Carrier); Resolve
// merges the two. Quote applies a rule to a parcel.
//
// # Arithmetic
//
// Everything is integer. The volumetric weight in grams is ceil(L × W × H / divisor) with the
// dimensions in millimetres and the divisor in cm³ per kg (mm³ / (cm³/kg) = g), taken on the
// box's outer dimensions; a carrier without a divisor bills actual weight (volumetric weight and
// divisor null). Billable = max(measured, volumetric) in whole grams. A carrier's billing step
// (DHL, UPS: the next 500 g) gives BillableRounded = ceil(billable / step) × step, reported apart
// and never folded into the volumetric or billable weight.
//
// Limits are inclusive (equal is allowed) and are checked on the measured weight and the outer
// dimensions sorted longest first: L, W, H, sum of sides L + W + H and length plus girth
// L + 2 × (W + H).
package carrier

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/bits"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/stationd/stationd/agent/config"
	firmwareconfig "github.com/stationd/stationd/firmware-config"
	"github.com/stationd/stationd/protocol/units"
)

// Rule is what the station knows of one carrier. A zero limit is no limit.
type Rule struct {
	Key  string // as pack.order's carrier names it
	Name string // for humans
	// Known is false for a carrier neither shipped nor configured: no divisor, no limits.
	Known bool

	Divisor        int64 // volumetric divisor in cm³ per kg; 0: billed on actual weight
	MaxWeight      units.Mass
	MaxLength      units.Length // longest side
	MaxWidth       units.Length // middle side
	MaxHeight      units.Length // shortest side
	MaxSumSides    units.Length // L + W + H
	MaxLengthGirth units.Length // L + 2 × (W + H)
	Rounding       units.Mass   // billing step; 0: none
	Surcharges     []Surcharge
}

// Surcharge is a fee a carrier adds for a parcel within its limits but above a size: Colissimo's
// non-mechanisable parcels. A zero threshold is not checked.
type Surcharge struct {
	Code          string       `json:"code"`
	AboveLength   units.Length `json:"above_length_mm"`    // longest side
	AboveSumSides units.Length `json:"above_sum_sides_mm"` // L + W + H
}

// Source is where a shipped figure was read.
type Source struct {
	URL   string `json:"url"`
	Title string `json:"title"`
	Found string `json:"found"` // YYYY-MM-DD
}

// File is one carrier file of firmware-config/carriers/ as written.
type File struct {
	Name             string      `json:"name"`
	Divisor          *int64      `json:"divisor"`
	MaxWeightG       int64       `json:"max_weight_g"`
	MaxLengthMM      int64       `json:"max_length_mm"`
	MaxWidthMM       int64       `json:"max_width_mm"`
	MaxHeightMM      int64       `json:"max_height_mm"`
	MaxSumSidesMM    int64       `json:"max_sum_sides_mm"`
	MaxLengthGirthMM int64       `json:"max_length_girth_mm"`
	RoundingG        *int64      `json:"rounding_g"`
	Surcharges       []Surcharge `json:"surcharges"`
	Notes            string      `json:"notes"`
	Confidence       string      `json:"confidence"`
	Sources          []Source    `json:"sources"`
}

var (
	reKey  = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)
	reDate = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
	reCode = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`) // a surcharge code, as pack.completed's surcharges take it
)

// Parse reads one carrier file; key is the carrier key (the file name without .json). Unknown
// fields, negative figures and a rule without a dated source are refused.
func Parse(key string, data []byte) (Rule, File, error) {
	var f File
	if !reKey.MatchString(key) {
		return Rule{}, f, fmt.Errorf("carrier %q: the key (file name) must be 1 to 32 of a-z 0-9 _ -, starting with a letter or digit", key)
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return Rule{}, f, fmt.Errorf("carrier %s: %w", key, err)
	}
	if dec.More() {
		return Rule{}, f, fmt.Errorf("carrier %s: data after the object", key)
	}
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("carrier %s: "+format, append([]any{key}, args...)...))
	}
	if f.Name == "" {
		bad("name is required")
	}
	if f.Divisor != nil && *f.Divisor < 1 {
		bad("divisor %d: must be at least 1, or null for carriers billing actual weight", *f.Divisor)
	}
	if f.RoundingG != nil && *f.RoundingG < 1 {
		bad("rounding_g %d: must be at least 1, or null", *f.RoundingG)
	}
	for _, v := range []struct {
		name string
		v    int64
	}{{"max_weight_g", f.MaxWeightG}, {"max_length_mm", f.MaxLengthMM}, {"max_width_mm", f.MaxWidthMM},
		{"max_height_mm", f.MaxHeightMM}, {"max_sum_sides_mm", f.MaxSumSidesMM}, {"max_length_girth_mm", f.MaxLengthGirthMM}} {
		if v.v < 0 || v.v > 1_000_000_000 {
			bad("%s %d: must be 0 (no limit) to 1000000000", v.name, v.v)
		}
	}
	for i, s := range f.Surcharges {
		if !reCode.MatchString(s.Code) || s.AboveLength < 0 || s.AboveSumSides < 0 || s.AboveLength == 0 && s.AboveSumSides == 0 {
			bad("surcharges[%d]: needs a code and at least one positive above_* threshold", i)
		}
	}
	if len(f.Sources) == 0 {
		bad("sources: every rule says where its figures come from")
	}
	for i, s := range f.Sources {
		if s.URL == "" || !reDate.MatchString(s.Found) {
			bad("sources[%d]: url and found (YYYY-MM-DD) are required", i)
		}
	}
	if len(errs) > 0 {
		return Rule{}, f, errors.Join(errs...)
	}
	r := Rule{
		Key: key, Name: f.Name, Known: true,
		MaxWeight:      units.Mass(f.MaxWeightG) * units.Gram,
		MaxLength:      units.Length(f.MaxLengthMM),
		MaxWidth:       units.Length(f.MaxWidthMM),
		MaxHeight:      units.Length(f.MaxHeightMM),
		MaxSumSides:    units.Length(f.MaxSumSidesMM),
		MaxLengthGirth: units.Length(f.MaxLengthGirthMM),
	}
	if f.Divisor != nil {
		r.Divisor = *f.Divisor
	}
	if f.RoundingG != nil {
		r.Rounding = units.Mass(*f.RoundingG) * units.Gram
	}
	r.Surcharges = f.Surcharges
	return r, f, nil
}

// Load reads every *.json file at the root of fsys as a carrier rule keyed by its file name.
func Load(fsys fs.FS) (map[string]Rule, error) {
	names, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, err
	}
	out := make(map[string]Rule, len(names))
	var errs []error
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		r, _, err := Parse(strings.TrimSuffix(path.Base(n), ".json"), b)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out[r.Key] = r
	}
	return out, errors.Join(errs...)
}

// Shipped returns the rules embedded from firmware-config/carriers/, read once. An error means
// a broken file in the build: the tests of this package catch it.
var Shipped = sync.OnceValues(func() (map[string]Rule, error) {
	return Load(firmwareconfig.Carriers())
})

// Keys returns the keys of the shipped rules, sorted.
func Keys() []string {
	m, _ := Shipped()
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Resolve returns the rule for key: the shipped one with the config's override for key applied
// field by field (pack.carriers.<key>). A key neither shipped nor configured gives a Rule with
// Known false, no divisor and no limits: the caller logs a warning.
func Resolve(key string, overrides map[string]config.Carrier) Rule {
	shipped, _ := Shipped()
	r, ok := shipped[key]
	if ok {
		r.Surcharges = slices.Clone(r.Surcharges)
	} else {
		r = Rule{Key: key, Name: key}
	}
	o, ok := overrides[key]
	if !ok {
		return r
	}
	r.Known = true
	if o.Divisor != nil {
		r.Divisor = max(*o.Divisor, 0)
	}
	if o.MaxWeight != nil {
		r.MaxWeight = *o.MaxWeight
	}
	if o.MaxLength != nil {
		r.MaxLength = *o.MaxLength
	}
	if o.MaxSumSides != nil {
		r.MaxSumSides = *o.MaxSumSides
	}
	if o.MaxLengthGirth != nil {
		r.MaxLengthGirth = *o.MaxLengthGirth
	}
	if o.Rounding != nil {
		r.Rounding = *o.Rounding
	}
	return r
}

// Limit names, in the order Quote lists broken limits (the vocabulary of
// shared/vectors/carriers.json).
const (
	LimitWeight         = "max_weight"
	LimitLength         = "max_length"
	LimitWidth          = "max_width"
	LimitHeight         = "max_height"
	LimitSumOfSides     = "max_sum_of_sides"
	LimitLengthAndGirth = "max_length_plus_girth"
)

// Breach is one limit a parcel breaks. Max and Actual are grams for LimitWeight, millimetres
// otherwise.
type Breach struct {
	Limit       string
	Max, Actual int64
}

func (b Breach) String() string {
	unit := "mm"
	if b.Limit == LimitWeight {
		unit = "g"
	}
	return fmt.Sprintf("%s %d %s > %d %s", b.Limit, b.Actual, unit, b.Max, unit)
}

// Quote is a rule applied to one parcel.
type Quote struct {
	Sorted      [3]units.Length // outer dimensions, longest first
	VolumeMM3   int64
	Divisor     *int64 // nil: billed on actual weight
	VolumetricG *int64 // nil exactly when Divisor is
	MeasuredG   int64  // measured weight in whole grams (half away from zero)
	BillableG   int64
	// BillableRoundedG is BillableG rounded up to the rule's step; 0 when it has none.
	BillableRoundedG int64
	Broken           []Breach // limits exceeded, in the Limit* order; empty when within limits
	Surcharges       []string // surcharge codes, only when within limits
}

// WithinLimits reports whether no limit is broken.
func (q Quote) WithinLimits() bool { return len(q.Broken) == 0 }

// BrokenDetail says which limits are broken, for pack.exception's detail:
// "max_length 1600 mm > 1500 mm; max_weight 31000 g > 30000 g".
func (q Quote) BrokenDetail() string {
	s := make([]string, len(q.Broken))
	for i, b := range q.Broken {
		s[i] = b.String()
	}
	return strings.Join(s, "; ")
}

// Quote applies r to a parcel of outer dimensions outer (any order) weighing measured. It fails
// only on a dimension that is not positive or a volume beyond 64 bits.
func (r Rule) Quote(outer [3]units.Length, measured units.Mass) (Quote, error) {
	q := Quote{Sorted: Sort(outer), MeasuredG: measured.Grams()}
	l, w, h := q.Sorted[0], q.Sorted[1], q.Sorted[2]
	if h <= 0 {
		return q, fmt.Errorf("carrier %s: box of %d × %d × %d mm: every side must be positive", r.Key, outer[0], outer[1], outer[2])
	}
	v, err := volume(l, w, h)
	if err != nil {
		return q, fmt.Errorf("carrier %s: box of %d × %d × %d mm: %w", r.Key, outer[0], outer[1], outer[2], err)
	}
	q.VolumeMM3 = v
	q.BillableG = q.MeasuredG
	if r.Divisor > 0 {
		vol, err := units.VolumetricGrams(l, w, h, r.Divisor)
		if err != nil {
			return q, fmt.Errorf("carrier %s: %w", r.Key, err)
		}
		d := r.Divisor
		q.Divisor, q.VolumetricG = &d, &vol
		q.BillableG = max(q.MeasuredG, vol)
	}
	if r.Rounding > 0 {
		q.BillableRoundedG = roundUp(q.BillableG, r.Rounding.Grams())
	}

	check := func(name string, limit, actual int64) {
		if limit > 0 && actual > limit {
			q.Broken = append(q.Broken, Breach{Limit: name, Max: limit, Actual: actual})
		}
	}
	if r.MaxWeight > 0 && measured > r.MaxWeight {
		q.Broken = append(q.Broken, Breach{Limit: LimitWeight, Max: r.MaxWeight.Grams(), Actual: q.MeasuredG})
	}
	check(LimitLength, int64(r.MaxLength), int64(l))
	check(LimitWidth, int64(r.MaxWidth), int64(w))
	check(LimitHeight, int64(r.MaxHeight), int64(h))
	check(LimitSumOfSides, int64(r.MaxSumSides), int64(l+w+h))
	check(LimitLengthAndGirth, int64(r.MaxLengthGirth), int64(l+2*(w+h)))

	if len(q.Broken) == 0 {
		for _, s := range r.Surcharges {
			if s.AboveLength > 0 && l > s.AboveLength || s.AboveSumSides > 0 && l+w+h > s.AboveSumSides {
				q.Surcharges = append(q.Surcharges, s.Code)
			}
		}
	}
	return q, nil
}

// Sort returns d sorted longest first.
func Sort(d [3]units.Length) [3]units.Length {
	if d[0] < d[1] {
		d[0], d[1] = d[1], d[0]
	}
	if d[1] < d[2] {
		d[1], d[2] = d[2], d[1]
	}
	if d[0] < d[1] {
		d[0], d[1] = d[1], d[0]
	}
	return d
}

func volume(l, w, h units.Length) (int64, error) {
	hi, lw := bits.Mul64(uint64(l), uint64(w))
	if hi != 0 {
		return 0, units.ErrOverflow
	}
	hi, v := bits.Mul64(lw, uint64(h))
	if hi != 0 || v > math.MaxInt64 {
		return 0, units.ErrOverflow
	}
	return int64(v), nil
}

// roundUp returns the smallest multiple of step at or above g (step > 0).
func roundUp(g, step int64) int64 {
	q := g / step
	if g%step != 0 && g > 0 {
		q++
	}
	return q * step
}
