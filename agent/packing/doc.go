// Package packing is the station's packing workflow (contract section 7, issue #8): it holds the
// orders the OMS sends (pack.order, pack.cancel), opens one when the packer scans its id, checks
// every item scan against it (GTIN in any form, GS1 AIs 01/10/17/21, aliases, SKU), picks or
// proposes the box, weighs the parcel against the expected weight, checks the carrier's limits,
// queues the label and reports pack.started, pack.item, pack.mismatch, pack.weighed,
// pack.exception and pack.completed.
//
// # One goroutine, durable state
//
// Run is the only goroutine that reads or changes the workflow's state: it selects over the
// scans, the commands (handed over by the intake's handlers, which wait for the answer), the
// print queue's outcomes, the weighing results and its timers. Waiting for the scale happens in
// a short-lived goroutine that Run starts, cancels and waits for, and that only sends a reading
// back. The open pack and the held orders live in the store (buckets "pack" and "orders"), and
// every change is written in the same transaction as the events it causes: after a restart the
// pack resumes in the same phase with the items already scanned, and no event is lost or doubled.
//
// # The state machine
//
// No pack open: a scan of a held order id opens it (pack.started); with pack.auto_start the
// oldest held order opens by itself (at start-up, after an order arrives, after a pack ends, and
// every minute). Any other scan is ignored and the packer told "no open order".
//
//	scanning --(every line complete; box scanned or one fits)--> weighing
//	scanning --(every line complete; no box fits: pack.exception no_box_fits)--> need_box
//	need_box --(box scanned)--> weighing
//	weighing --(stable weight in tolerance, within carrier limits: label queued)--> labelling
//	weighing --(out of tolerance: pack.weighed ok:false, pack.exception)--> weight_failed
//	weighing --(beyond carrier limits: pack.exception carrier_limit_exceeded)--> carrier_failed
//	weight_failed --(parcel lifted and put back, or box scanned)--> weighing
//	weight_failed --(supervisor code)--> carrier check, then labelling
//	carrier_failed --(box scanned)--> weighing; --(supervisor code)--> labelling
//	labelling --(label printed)--> pack.completed, no pack open
//	labelling --(label failed: the queue retries)--> label_failed
//	label_failed --(label printed)--> pack.completed; --(supervisor code)--> pack.completed with label ok false
//	any phase --(pack.cancel)--> pack.exception order_cancelled, no pack open
//
// In the scanning phase a box scan picks the box for later. While weighing, a box scan changes
// the box and weighs again. Once the label is queued the box can no longer change. A scan of
// another held order's id while a pack is open is refused with a message (finish or cancel the
// open one first); a scan of the open order's id says it is open.
//
// # Items
//
// An item scan counts for a line when its code is the line's SKU or one of its barcodes exactly,
// else when its GTIN-14 (from a GTIN-8/12/13/14 in any symbology, or GS1 AI 01, normalised by
// devices/scanner/gtin) is the line's gtin or an alias that is a GTIN. The line must not be
// complete (over_quantity), must get a lot (AI 10) if lot_required (lot_missing), a serial (AI 21)
// if serial_required (serial_missing) that was not scanned before for the same SKU in this pack
// (duplicate_serial), and an expiry (AI 17; day 00 is the month's last day) at least
// min_expiry_days after today in the station's time zone (expiry_too_short). A unit scanned
// without AI 17 on a line with min_expiry_days is accepted: the contract has no reason for a
// missing expiry. A code matching no line is not_in_order when it is a valid GTIN or GS1 string,
// or a SKU, alias or GTIN of another held order; bad_check_digit when it claims to be a GTIN or
// GS1 string and its check digit is wrong; unknown_barcode otherwise. Nothing is counted on a
// mismatch, and the packer is told at once (Feedback).
//
// # Choosing a box
//
// When the packer scanned no box, the smallest box of pack.boxes (by inner volume, the first in
// config order on a tie) is proposed such that every unit fits (its sides sorted longest first
// are each at most the box's inner sides sorted the same way) and the units' total volume is at
// most the inner volume × pack.box_fill_factor. Lines without dims_mm take no part: when no line
// has dimensions, the smallest box is used. See chooseBox.
//
// # Weighing
//
// expected = Σ qty × unit_weight_g + the box's tare_g; allowed = pack.weight_tolerance
// (config.Tolerance.Allowed). The workflow waits for a stable weight (Deps.Settle, 10 s by
// default, then pack.exception scale_unstable once and it keeps waiting); a stable weight within
// nearZero of zero is an empty scale, and the workflow waits for the parcel to be put on. Out of
// tolerance, it waits for the parcel to be lifted (within nearZero of zero) and put back, or for
// the box id to be scanned again, and weighs again; or the supervisor code (read from
// pack.supervisor_code_file, compared in constant time, never logged) accepts the weight,
// recorded in pack.completed overrides as {"reason":"weight_out_of_tolerance","detail":...}.
// The weight taken is the scale's settled weight once every line is complete and the box is
// known: the previous order's parcel must be off the scale by then (the packer is told "scan the
// next order" when a pack completes). A parcel still handled on the scale may not settle within
// Deps.Settle: scale_unstable is reported once per weighing, not at every retry.
//
// # Carrier
//
// The order's carrier rule (agent/packing/carrier: firmware-config/carriers/ with pack.carriers
// overrides) gives the volumetric weight on the box's outer dimensions, the billable weight and
// the billing step (billable_rounded_g), and its limits are checked on the measured weight and
// the outer dimensions. A broken limit gives pack.exception carrier_limit_exceeded naming the
// limits; the packer scans another box or the supervisor overrides. An unknown carrier is
// accepted with a warning in the log: no divisor (volumetric_g and divisor null) and no limits.
//
// # Label
//
// The order's label_zpl is printed byte for byte (checked by zpl.Check when the order arrives:
// pack.order is refused invalid or too_large otherwise); else the "shipping" template of
// firmware-config/labels is rendered (devices/printer/label, every field escaped with ^FH) with
// ship-to, carrier, service, tracking number, order id and the measured weight, for the printer's
// resolution (Deps.DPI). The job is queued (Labels.Enqueue) in the transaction that records the
// accepted weight and the labelling phase, and the queue is kicked after it commits.
// pack.completed waits for the queue's OK outcome. A failed attempt (the queue reports
// label.failed and retries) moves the pack to label_failed and tells the packer; the pack
// completes when a retry prints, or at once with the supervisor code: label ok false and an
// override {"reason":"label_failed"}; the queued job is not withdrawn and may still print.
//
// # KPIs
//
// The workflow counts orders packed, units counted (pack.item), mismatches by reason, weights
// out of tolerance and pack durations (pack.started to pack.completed). TakeKPI returns the
// counters since New or the previous TakeKPI, with pack_ms_p50 and pack_ms_p95 as nearest-rank
// percentiles of the packs completed in that period (0 when none), and starts a new period: the
// station calls it every kpi.interval and appends the result as station.kpi. Counters live in
// memory only; a restart starts a new period.
//
// # Configuration read
//
// pack.scanner (scans of other devices are ignored), pack.printer, pack.weight_tolerance,
// pack.boxes, pack.box_fill_factor, pack.carriers, pack.auto_start, pack.supervisor_code_file,
// pack.order_ttl (held orders never opened are forgotten after it, with a warning in the log),
// pack.language (en, fr: the Feedback texts). pack.scale and pack.station_light are the
// station's to wire (Deps.Scale, Deps.Feedback). The configuration is read at every decision, so
// a reload applies to the next scan; the supervisor code file is read again on a reload.
//
// Returns (return.expect) are not handled by this package.
package packing
