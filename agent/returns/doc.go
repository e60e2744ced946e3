// Package returns is the returns station's workflow (issue #8 item 2, role returns): it stores
// the OMS's announced returns (return.expect), lets the operator check a parcel in with a
// scanner and a sheet of barcodes, decides where every unit goes from the rules shipped in
// firmware-config/returns/rules.yaml, optionally weighs the parcel, and records the result as
// return.received (contract sections 5 and 6). Sheet renders that barcode sheet as ZPL for
// `stationd sheet`.
//
// One goroutine, Run, owns the state machine (STYLE.md "Lifecycles"): it selects over the
// return.expect commands the intake hands it, the scans, the outcome of a weighing and a purge
// ticker. Every state change is written to the store (and return.received appended) in one
// Update before the operator is told; an Update that fails changes nothing.
//
// # Announced returns: return.expect
//
// return.expect is stored in the bucket returns.expected under its rma_id and survives restarts.
// It is idempotent by rma_id: the same content again is ok and changes nothing; other content is
// a conflict, while the return waits, while it is being received and for storage.command_ttl
// (at least 7 days) after it was received. A return.expect for an rma_id received unannounced in
// that time is ok and stores nothing (its return.received, announced false, stands). Besides the
// protocol's rules, the station refuses (invalid) a GTIN with a wrong check digit and an rma_id
// or order_id that is one of its own barcodes (reason, condition, control or box id), which the
// operator could not open the return with. An announcement never received is forgotten after
// Deps.ExpectTTL (90 days), with a warning in the log.
//
// # The operator's flow
//
//  1. Scan the RMA id (or the order id) on the parcel. An rma_id opens that announced return; an
//     order_id opens the oldest announced return of that order. An id the station does not
//     know opens an unannounced return (below). Items (GS1 element strings, EAN/UPC/ITF, and
//     without an AIM identifier any valid GTIN), the station's own barcodes, box ids, codes
//     with a decoding error and rma_ids received in the last storage.command_ttl are refused
//     while no return is open, each with its message: a parcel is not received twice by
//     mistake. An id must be 1 to 128 characters without control characters.
//  2. Scan each unit: its GTIN in any form (EAN-13, UPC-A, GTIN-14, GS1 with AI 01) or its SKU.
//     One scan is one unit. In an announced return it is matched against the expected lines
//     (the SKU exactly, else the GTIN-14), and the operator is told "2 of 3 expected", "more
//     than expected" or "not in this return": units that are not expected are still recorded
//     (the goods are here); their SKU is their GTIN-14, or the code as scanned when it has no
//     GTIN. An unannounced return's units get their SKU the same way.
//  3. Optionally scan a condition (CND-NEW, CND-OPENED, CND-USED, CND-DAMAGED), then scan the
//     reason (RSN-...). Decision: the reason is given per group of units, not once for the
//     return: a reason scan applies to every unit scanned since the previous reason scan (one
//     scan for five identical units, and a return may mix reasons), a condition scan likewise.
//     A reason or condition scanned when no unit was scanned since the last reason scan
//     corrects that last group. A unit whose condition was not scanned gets its reason's
//     default_condition from the rules (damaged → damaged, wrong_size → new, ...). The
//     operator is then told the disposition, so that the unit goes to the right cart.
//  4. Scan RET-DONE: return.received is recorded, the announcement is removed and the return
//     remembered as received. RET-DONE is refused while units have no reason.
//
// RET-UNDO removes the last unit scanned. RET-CANCEL abandons the open return: nothing is
// recorded, and an announced return waits again. RET-WEIGH weighs the parcel (again). Scanning
// another announced return's id while one is open is refused (finish or abandon it first);
// another unannounced id cannot be told from an item and is counted as one (RET-UNDO removes
// it). Box ids of pack.boxes are on the same sheet for the packers and refused here.
//
// The station's barcodes are fixed strings compared without regard to case (a keyboard wedge
// with caps lock inverts it): the controls RET-DONE, RET-UNDO, RET-WEIGH, RET-CANCEL (Controls),
// and the reason and condition barcodes of the rules file (RSN-NON-CONFORMING, RSN-DAMAGED,
// RSN-WRONG-SIZE, RSN-CHANGED-MIND, RSN-OTHER; CND-NEW, CND-OPENED, CND-USED, CND-DAMAGED). New
// refuses rules whose barcodes collide with a control.
//
// # Dispositions
//
// The disposition (restock, refurbish, scrap, return_to_vendor) is decided from the unit's
// reason and condition by the rules file, which is checked complete when it is parsed: every
// reason × condition pair has exactly one rule, with why and its sources (see
// firmware-config/returns/README.md). It is decided when the reason (or a correcting
// condition) is scanned and stored with the unit, so that a rules change never alters what the
// operator was told.
//
// # return.received and the "announced" extension
//
// Lines are aggregated by SKU, code, reason and condition (the disposition follows from the last
// two), in the order of their first unit; code is the scan's code without AIM identifier, as in
// the scan event. The SKUs are matched again when the return completes, against the
// announcement stored then: a return.expect that arrives while its parcel is being received
// unannounced makes it announced. The event's time is when RET-DONE was scanned.
//
// The contract's return.received has no place to say that nobody announced the return. The
// station adds one field, and only one: "announced", true or false, always present. rma_id is
// the id as scanned for an unannounced return (it may be an order id: the station cannot tell).
// An OMS that ignores unknown fields sees a contract-exact event.
//
// # Weighing
//
// When Deps.Scale gives a scale, the station weighs the parcel as soon as the return opens (the
// operator scans the label on the parcel lying on the scale): the first settled weight of at
// least Deps.MinWeight (10 g; lighter is the empty scale) within Deps.WeighTimeout (60 s)
// becomes weight_g, rounded half away from zero. RET-WEIGH weighs again and replaces it. The
// weighing runs in a goroutine Run starts and waits for; RET-DONE does not wait for a weighing
// in progress (the return is recorded without weight_g), and a weighing is not resumed after a
// restart (scan RET-WEIGH). Without a scale weight_g is absent.
//
// # Restarts and limits
//
// The open return (its units, groups, reasons, conditions, dispositions and weight) is stored
// after every scan in returns.state and resumed by Run. A return holds at most MaxUnits units so
// that return.received keeps within the contract's 1000 lines.
//
// # KPI
//
// KPI returns the return.received lines by reason since its previous call and resets the counts;
// the station's KPI timer puts them in station.kpi's returns object.
//
// # Configuration
//
// The config has no returns keys yet: the optional Deps fields carry their defaults (Rules,
// WeighTimeout, MinWeight, ExpectTTL); the operator's language is pack.language.
package returns
