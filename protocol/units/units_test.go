package units

import (
	"errors"
	"math"
	"testing"
)

func TestGrams(t *testing.T) {
	for _, c := range []struct {
		m    Mass
		want int64
	}{
		{0, 0}, {12500 * Milligram, 13}, {-12500 * Milligram, -13}, {12499, 12}, {-8, 0},
		{1500 * Gram, 1500}, {-499, 0}, {-500, -1},
	} {
		if got := c.m.Grams(); got != c.want {
			t.Errorf("Mass(%d).Grams() = %d, want %d", int64(c.m), got, c.want)
		}
	}
}

func TestMassString(t *testing.T) {
	for _, c := range []struct {
		m    Mass
		want string
	}{
		{1234 * Gram, "1234 g"}, {12500, "12.5 g"}, {-12500, "-12.5 g"}, {1, "0.001 g"}, {0, "0 g"},
	} {
		if got := c.m.String(); got != c.want {
			t.Errorf("Mass(%d).String() = %q, want %q", int64(c.m), got, c.want)
		}
	}
}

func TestVolumetricGrams(t *testing.T) {
	for _, c := range []struct {
		l, w, h Length
		div     int64
		want    int64
	}{
		{360, 260, 160, 5000, 2996}, // 14 976 000 mm³ / 5000 = 2995.2 -> 2996
		{400, 300, 200, 6000, 4000},
		{1, 1, 1, 5000, 1},
	} {
		got, err := VolumetricGrams(c.l, c.w, c.h, c.div)
		if err != nil || got != c.want {
			t.Errorf("VolumetricGrams(%d,%d,%d,%d) = %d, %v; want %d", c.l, c.w, c.h, c.div, got, err, c.want)
		}
	}
	if _, err := VolumetricGrams(math.MaxInt64, 2, 1, 5000); !errors.Is(err, ErrOverflow) {
		t.Errorf("overflow: err = %v, want ErrOverflow", err)
	}
	if _, err := VolumetricGrams(1, 1, 1, 0); err == nil {
		t.Error("divisor 0: no error")
	}
	if _, err := VolumetricGrams(0, 1, 1, 5000); err == nil {
		t.Error("zero length: no error")
	}
}
