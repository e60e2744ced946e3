package packing

import (
	"math/big"
	"slices"

	"github.com/stationd/stationd/agent/config"
	"github.com/stationd/stationd/agent/packing/carrier"
	"github.com/stationd/stationd/protocol"
	"github.com/stationd/stationd/protocol/units"
)

// chooseBox returns the box the station proposes for the order's items when the packer scanned
// none (contract section 7 step 4): among the configured boxes, the one with the smallest inner
// volume (the first in config order on a tie) such that
//
//   - every unit fits: its dimensions sorted longest first are each at most the box's inner
//     dimensions sorted the same way (a unit may be turned any way but not bent), and
//   - the units' total volume is at most the box's inner volume times pack.box_fill_factor.
//
// Lines without dims_mm take no part in either rule: when no line has dimensions, the smallest
// box is used. ok is false when no box fits (or none is configured).
func chooseBox(boxes []config.Box, lines []protocol.OrderLine, fill float64) (config.Box, bool) {
	if fill <= 0 || fill > 1 {
		fill = 0.9 // pack.box_fill_factor's default
	}
	var (
		longest [3]units.Length // per sorted position, the largest unit dimension
		total   big.Int         // total unit volume, mm³
		v       big.Int
	)
	for i := range lines {
		l := &lines[i]
		if l.DimsMM[0] <= 0 || l.DimsMM[1] <= 0 || l.DimsMM[2] <= 0 {
			continue
		}
		d := carrier.Sort(l.DimsMM)
		for k := range 3 {
			longest[k] = max(longest[k], d[k])
		}
		v.SetInt64(int64(d[0]))
		v.Mul(&v, big.NewInt(int64(d[1])))
		v.Mul(&v, big.NewInt(int64(d[2])))
		v.Mul(&v, big.NewInt(int64(l.Qty)))
		total.Add(&total, &v)
	}
	// total ≤ inner × fill, in integers: total × 1000 ≤ inner × round(fill × 1000).
	need := new(big.Int).Mul(&total, big.NewInt(1000))
	permille := big.NewInt(int64(fill*1000 + 0.5))

	order := make([]int, len(boxes))
	vols := make([]*big.Int, len(boxes))
	for i, b := range boxes {
		order[i] = i
		vols[i] = boxVolume(b.Inner)
	}
	slices.SortStableFunc(order, func(a, b int) int { return vols[a].Cmp(vols[b]) })
	for _, i := range order {
		b := boxes[i]
		in := carrier.Sort(b.Inner)
		if longest[0] > in[0] || longest[1] > in[1] || longest[2] > in[2] {
			continue
		}
		if need.Cmp(new(big.Int).Mul(vols[i], permille)) > 0 {
			continue
		}
		return b, true
	}
	return config.Box{}, false
}

func boxVolume(d [3]units.Length) *big.Int {
	v := big.NewInt(int64(d[0]))
	v.Mul(v, big.NewInt(int64(d[1])))
	return v.Mul(v, big.NewInt(int64(d[2])))
}

// findBox returns the configured box whose id is code.
func findBox(boxes []config.Box, code string) (config.Box, bool) {
	for _, b := range boxes {
		if b.ID == code {
			return b, true
		}
	}
	return config.Box{}, false
}
