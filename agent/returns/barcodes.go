package returns

import (
	"fmt"
	"strings"

	fwreturns "github.com/stationd/stationd/firmware-config/returns"
)

// The control barcodes of the returns station, printed on the sheet (Sheet) as Code 128. They
// are compared without regard to case, like the reason and condition barcodes of the rules.
const (
	CodeDone   = "RET-DONE"   // the return is complete: return.received
	CodeUndo   = "RET-UNDO"   // remove the last unit scanned
	CodeCancel = "RET-CANCEL" // abandon the open return: nothing is recorded
	CodeWeigh  = "RET-WEIGH"  // weigh the parcel (again)
)

// Control is one control barcode and what it does, for the sheet and the manual.
type Control struct {
	Code  string
	Names fwreturns.Names
}

var controls = []Control{
	{CodeDone, fwreturns.Names{EN: "Return complete", FR: "Retour terminé"}},
	{CodeUndo, fwreturns.Names{EN: "Undo last item", FR: "Annuler le dernier article"}},
	{CodeWeigh, fwreturns.Names{EN: "Weigh the parcel", FR: "Peser le colis"}},
	{CodeCancel, fwreturns.Names{EN: "Cancel this return", FR: "Abandonner ce retour"}},
}

// Controls returns the control barcodes in the sheet's order.
func Controls() []Control { return append([]Control(nil), controls...) }

func controlOf(code string) (Control, bool) {
	for _, c := range controls {
		if strings.EqualFold(code, c.Code) {
			return c, true
		}
	}
	return Control{}, false
}

// kind is what a scanned code is to the returns station.
type kind int

const (
	kindOther     kind = iota // an id or an item
	kindControl               // RET-*
	kindReason                // a reason barcode of the rules
	kindCondition             // a condition barcode of the rules
	kindBox                   // a box id of pack.boxes (on the same sheet, for packers)
)

// classified is a scanned code as the station reads it.
type classified struct {
	kind      kind
	control   Control
	reason    fwreturns.Reason
	condition fwreturns.Condition
}

// classify tells the station's own barcodes from ids and items. boxes are pack.boxes' ids.
func classify(rules *fwreturns.Rules, boxes []string, code string) classified {
	if c, ok := controlOf(code); ok {
		return classified{kind: kindControl, control: c}
	}
	if r, isR, c, isC := rules.ByBarcode(code); isR {
		return classified{kind: kindReason, reason: r}
	} else if isC {
		return classified{kind: kindCondition, condition: c}
	}
	for _, b := range boxes {
		if code == b {
			return classified{kind: kindBox}
		}
	}
	return classified{kind: kindOther}
}

// checkRules refuses rules whose reason or condition barcodes collide with a control barcode.
func checkRules(r *fwreturns.Rules) error {
	for _, x := range r.Reasons {
		if _, ok := controlOf(x.Barcode); ok {
			return fmt.Errorf("returns: %s:%d: reason %s: barcode %s is a control barcode of the station: choose another", r.File, x.Line, x.Code, x.Barcode)
		}
	}
	for _, x := range r.Conditions {
		if _, ok := controlOf(x.Barcode); ok {
			return fmt.Errorf("returns: %s:%d: condition %s: barcode %s is a control barcode of the station: choose another", r.File, x.Line, x.Code, x.Barcode)
		}
	}
	return nil
}
