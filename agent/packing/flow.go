package packing

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stationd/stationd/agent"
	"github.com/stationd/stationd/agent/config"
	"github.com/stationd/stationd/agent/outbox"
	"github.com/stationd/stationd/agent/packing/carrier"
	"github.com/stationd/stationd/devices/scale"
	"github.com/stationd/stationd/devices/scanner/barcode"
	"github.com/stationd/stationd/protocol"
	"github.com/stationd/stationd/protocol/units"
)

// scan handles one scan: the supervisor code, an order id, a box id or an item, in that order.
func (w *Workflow) scan(ctx context.Context, s agent.Scan) {
	cfg := w.cfg()
	if cfg.Pack.Scanner != "" && s.Device != "" && s.Device != cfg.Pack.Scanner {
		return
	}
	d := s.Decoded
	if d.Code == "" && s.Data != "" {
		d = barcode.Decode(s.Data)
	}
	code := d.Code
	if code == "" {
		return
	}
	if w.isSupervisor(cfg, code) {
		w.supervisor(ctx)
		return
	}
	p := w.open
	if p == nil {
		if r := w.orders[code]; r != nil {
			w.openOrder(ctx, r)
			return
		}
		w.log.Info("scan ignored: no open pack", "code", code)
		w.say(SignalIdle, msgNoOrder)
		return
	}
	if b, ok := findBox(cfg.Pack.Boxes, code); ok {
		w.scanBox(ctx, b)
		return
	}
	switch {
	case code == p.order.OrderID:
		w.say(SignalOK, msgAlreadyOpen, code)
		return
	case w.orders[code] != nil:
		w.say(SignalMismatch, msgOtherOpen, p.order.OrderID)
		return
	}
	w.scanItem(ctx, code, &d)
}

// openOrder opens r: pack.started.
func (w *Workflow) openOrder(ctx context.Context, r *orderRecord) {
	o := &r.Order
	rec := &packRecord{OrderID: o.OrderID, Phase: phaseScanning, StartedAt: w.d.Now(), Lines: make([]lineRecord, len(o.Lines))}
	err := w.update(ctx, func(tx *outbox.Tx) error {
		if err := appendEvent(tx, rec.StartedAt, protocol.PackStarted{OrderID: o.OrderID}); err != nil {
			return err
		}
		return putJSON(tx, bucketPack, keyOpen, rec)
	})
	if err != nil {
		w.failed(err)
		return
	}
	w.open = newPack(o, rec)
	w.log.Info("pack started", "order_id", o.OrderID, "lines", len(o.Lines))
	w.say(SignalOK, msgOpened, o.OrderID, w.open.units())
}

// scanItem matches an item scan: pack.item or pack.mismatch.
func (w *Workflow) scanItem(ctx context.Context, code string, d *barcode.Result) {
	p := w.open
	now := w.d.Now()
	m := p.matchItem(code, d, now, w.isKnown)
	if m.reason != "" {
		ev := protocol.PackMismatch{OrderID: p.order.OrderID, Code: code, Reason: m.reason}
		if err := w.update(ctx, func(tx *outbox.Tx) error { return appendEvent(tx, now, ev) }); err != nil {
			w.failed(err)
			return
		}
		w.kpi.add(func(k *kpis) { k.mismatches[m.reason]++ })
		what := code
		if m.lineSeen >= 0 {
			what = p.order.Lines[m.lineSeen].SKU
		}
		w.say(SignalMismatch, mismatchText[m.reason], what)
		return
	}
	l := &p.order.Lines[m.line]
	nr := p.rec.clone()
	lr := &nr.Lines[m.line]
	lr.Qty++
	if m.lot != "" && !slices.Contains(lr.Lots, m.lot) {
		lr.Lots = append(slices.Clip(lr.Lots), m.lot)
	}
	if m.serial != "" {
		lr.Serials = append(slices.Clip(lr.Serials), m.serial)
	}
	ev := protocol.PackItem{OrderID: p.order.OrderID, Line: l.Line, SKU: l.SKU, Code: code, QtyScanned: lr.Qty,
		QtyExpected: l.Qty, Lot: m.lot, Serial: m.serial, Expiry: m.expiry}
	err := w.update(ctx, func(tx *outbox.Tx) error {
		if err := appendEvent(tx, now, ev); err != nil {
			return err
		}
		return putJSON(tx, bucketPack, keyOpen, nr)
	})
	if err != nil {
		w.failed(err)
		return
	}
	p.rec = nr
	if m.serial != "" {
		p.serials[serialKey{l.SKU, m.serial}] = true
	}
	w.kpi.add(func(k *kpis) { k.items++ })
	w.say(SignalOK, msgItem, l.SKU, lr.Qty, l.Qty)
	if p.complete() {
		w.linesComplete(ctx)
	}
}

// linesComplete follows the last item: the box scanned, else the smallest that fits, else
// pack.exception no_box_fits; then the weighing.
func (w *Workflow) linesComplete(ctx context.Context) {
	cfg, p := w.cfg(), w.open
	nr := p.rec.clone()
	proposed := false
	if nr.Box == nil {
		b, ok := chooseBox(cfg.Pack.Boxes, p.order.Lines, cfg.Pack.BoxFillFactor)
		if !ok {
			nr.Phase = phaseNeedBox
			ev := protocol.PackException{OrderID: p.order.OrderID, Reason: protocol.ExceptionNoBoxFits, Detail: noBoxDetail(cfg, p.order)}
			err := w.update(ctx, func(tx *outbox.Tx) error {
				if err := appendEvent(tx, w.d.Now(), ev); err != nil {
					return err
				}
				return putJSON(tx, bucketPack, keyOpen, nr)
			})
			if err != nil {
				w.failed(err)
				return
			}
			p.rec = nr
			w.say(SignalException, msgNoBoxFits)
			return
		}
		nr.Box, proposed = newBoxRecord(b, false), true
	}
	nr.Phase = phaseWeighing
	if err := w.update(ctx, func(tx *outbox.Tx) error { return putJSON(tx, bucketPack, keyOpen, nr) }); err != nil {
		w.failed(err)
		return
	}
	p.rec = nr
	if proposed {
		w.say(SignalWaitingWeight, msgUseBox, nr.Box.ID)
	} else {
		w.say(SignalWaitingWeight, msgPutOnScale, nr.Box.ID)
	}
	w.startWeigh(ctx, false)
}

func noBoxDetail(cfg *config.Config, o *protocol.PackOrder) string {
	ids := make([]string, len(cfg.Pack.Boxes))
	for i, b := range cfg.Pack.Boxes {
		ids[i] = b.ID
	}
	var longest [3]units.Length
	for _, l := range o.Lines {
		d := carrier.Sort(l.DimsMM)
		for k := range 3 {
			longest[k] = max(longest[k], d[k])
		}
	}
	return fmt.Sprintf("no box of pack.boxes (%s) holds the items (largest unit sides %d × %d × %d mm, box_fill_factor %.2f): the packer is asked to scan the box used",
		strings.Join(ids, ", "), longest[0], longest[1], longest[2], cfg.Pack.BoxFillFactor)
}

// scanBox picks box b: before the weight is taken, or to weigh again after a failed weight.
func (w *Workflow) scanBox(ctx context.Context, b config.Box) {
	p := w.open
	switch p.rec.Phase {
	case phaseLabelling, phaseLabelFailed:
		w.say(SignalMismatch, msgBoxLate)
		return
	}
	nr := p.rec.clone()
	nr.Box = newBoxRecord(b, true)
	weigh := nr.Phase != phaseScanning
	if weigh {
		nr.Phase, nr.Quote = phaseWeighing, nil
	}
	if err := w.update(ctx, func(tx *outbox.Tx) error { return putJSON(tx, bucketPack, keyOpen, nr) }); err != nil {
		w.failed(err)
		return
	}
	p.rec = nr
	w.log.Info("box scanned", "order_id", p.order.OrderID, "box", b.ID)
	if !weigh {
		w.say(SignalOK, msgBox, b.ID)
		return
	}
	w.say(SignalWaitingWeight, msgPutOnScale, b.ID)
	w.startWeigh(ctx, false)
}

// expected returns the parcel's expected weight: Σ qty × unit_weight_g plus the box tare.
func (p *pack) expected() units.Mass {
	var e units.Mass
	for _, l := range p.order.Lines {
		e += units.Mass(l.UnitWeightG) * units.Gram * units.Mass(l.Qty)
	}
	if p.rec.Box != nil {
		e += p.rec.Box.Tare
	}
	return e
}

// nearZero is how close to zero the scale must come for the parcel to count as lifted, and how
// far from zero a weight must be to count as a parcel: a quarter of the expected weight, between
// 2 g and 20 g.
func nearZero(expected units.Mass) units.Mass {
	return min(max(expected/4, 2*units.Gram), 20*units.Gram)
}

// startWeigh starts a goroutine waiting for a weight (it replaces any other): a stable weight
// now, or with reweigh the parcel lifted and put back. A stable weight near zero (nothing on the
// scale yet) waits for the parcel to be put on.
func (w *Workflow) startWeigh(ctx context.Context, reweigh bool) {
	w.stopWeigh()
	p := w.open
	src := w.d.Scale()
	if src == nil {
		if !p.scaleSaid {
			p.scaleSaid = true
			w.log.Warn("waiting for the scale: not open", "order_id", p.order.OrderID, "scale", w.cfg().Pack.Scale)
			w.say(SignalException, msgNoScale)
		}
		w.retry.Reset(retryEvery)
		return
	}
	p.scaleSaid = false
	w.weighID++
	id, settle, near := w.weighID, w.d.Settle, nearZero(p.expected())
	wctx, cancel := context.WithCancel(ctx)
	w.weighCancel = cancel
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		var (
			r   scale.Reading
			err error
		)
		if reweigh {
			r, err = src.WaitReweigh(wctx, near)
		} else if r, err = src.WaitStable(wctx, settle); err == nil && abs(r.Mass) <= near {
			r, err = src.WaitReweigh(wctx, near)
		}
		select {
		case w.weighed <- weighResult{id: id, r: r, err: err}:
		case <-wctx.Done():
		}
	}()
}

// stopWeigh cancels the weighing in progress, if any; its result will be ignored.
func (w *Workflow) stopWeigh() {
	if w.weighCancel != nil {
		w.weighCancel()
		w.weighCancel = nil
	}
	w.weighID++
	if w.retry != nil {
		w.retry.Stop()
	}
}

func abs(m units.Mass) units.Mass {
	if m < 0 {
		return -m
	}
	return m
}

func (w *Workflow) weighResult(ctx context.Context, r weighResult) {
	p := w.open
	if r.id != w.weighID || p == nil {
		return
	}
	if w.weighCancel != nil {
		w.weighCancel()
		w.weighCancel = nil
	}
	reweigh := p.rec.Phase == phaseWeightFailed
	if r.err != nil {
		if ctx.Err() != nil {
			return
		}
		if !p.unstableSaid {
			p.unstableSaid = true
			ev := protocol.PackException{OrderID: p.order.OrderID, Reason: ExceptionScaleUnstable, Detail: r.err.Error()}
			if err := w.update(ctx, func(tx *outbox.Tx) error { return appendEvent(tx, w.d.Now(), ev) }); err != nil {
				w.failed(err)
			}
			w.say(SignalException, msgUnstable)
		}
		if scale.Code(r.err) == scale.CodeSettleTimeout {
			w.startWeigh(ctx, reweigh)
		} else {
			w.log.Warn("weighing failed: "+r.err.Error(), "order_id", p.order.OrderID)
			w.retry.Reset(retryEvery)
		}
		return
	}
	p.unstableSaid = false
	w.weight(ctx, r.r.Mass)
}

// weight judges a stable weight: pack.weighed, and on ok the carrier checks and the label; out
// of tolerance pack.exception and a re-weigh.
func (w *Workflow) weight(ctx context.Context, measured units.Mass) {
	cfg, p := w.cfg(), w.open
	nr := p.rec.clone()
	expected := p.expected()
	// The check is made on the event's own whole grams, the tolerance rounded down, so that the
	// OMS can verify it: ok exactly when |measured_g - expected_g| <= tolerance_g (5 % of
	// 1370 g is 68.5 g: tolerance_g 68, and a 69 g difference is out).
	tol := cfg.Pack.Tolerance.Allowed(expected) / units.Gram * units.Gram
	diff := units.Mass(measured.Grams()-expected.Grams()) * units.Gram
	nr.Weight = &weightRecord{Measured: measured, Expected: expected, Tolerance: tol, OK: abs(diff) <= tol}
	ev := protocol.PackWeighed{OrderID: p.order.OrderID, MeasuredG: measured.Grams(), ExpectedG: expected.Grams(),
		ToleranceG: tol.Grams(), OK: nr.Weight.OK}
	w.log.Info("parcel weighed", "order_id", p.order.OrderID, "measured", measured, "expected", expected, "tolerance", tol, "ok", ev.OK)
	if ev.OK {
		w.afterWeight(ctx, nr, &ev, false)
		return
	}
	nr.Phase = phaseWeightFailed
	exc := protocol.PackException{OrderID: p.order.OrderID, Reason: protocol.ExceptionWeightOutOfTolerance,
		Detail: fmt.Sprintf("measured %d g, expected %d g ± %d g (box %s): %+d g", ev.MeasuredG, ev.ExpectedG, ev.ToleranceG, nr.Box.ID, diff.Grams())}
	now := w.d.Now()
	err := w.update(ctx, func(tx *outbox.Tx) error {
		if err := appendEvent(tx, now, ev); err != nil {
			return err
		}
		if err := appendEvent(tx, now, exc); err != nil {
			return err
		}
		return putJSON(tx, bucketPack, keyOpen, nr)
	})
	if err != nil {
		w.failed(err)
		w.retry.Reset(retryEvery) // weigh again
		return
	}
	p.rec = nr
	w.kpi.add(func(k *kpis) { k.weightExc++ })
	w.say(SignalException, msgWeightBad, measured, expected, tol)
	w.startWeigh(ctx, true)
}

// afterWeight goes on from an accepted weight (nr.Weight, in tolerance or overridden): carrier
// limits, then the label, queued in the transaction that records the state. weighed is the
// pack.weighed event to append with it, nil when it was appended before. carrierOverridden skips
// the limits.
func (w *Workflow) afterWeight(ctx context.Context, nr *packRecord, weighed *protocol.PackWeighed, carrierOverridden bool) {
	cfg, p := w.cfg(), w.open
	o := p.order
	rule := carrier.Resolve(o.Carrier, cfg.Pack.Carriers)
	if !rule.Known && !w.warned[o.Carrier] {
		w.warned[o.Carrier] = true
		w.log.Warn("unknown carrier: no volumetric divisor and no limits applied; add it to pack.carriers or firmware-config/carriers",
			"carrier", o.Carrier, "order_id", o.OrderID)
	}
	q, qerr := rule.Quote(nr.Box.Outer, nr.Weight.Measured)
	nr.Quote = &quoteRecord{Carrier: o.Carrier, Divisor: q.Divisor, VolumetricG: q.VolumetricG, BillableG: q.BillableG,
		BillableRoundedG: q.BillableRoundedG, Surcharges: q.Surcharges, Broken: q.BrokenDetail()}
	if qerr != nil { // a box the config check lets through cannot get here; refuse to guess
		nr.Quote = &quoteRecord{Carrier: o.Carrier, BillableG: nr.Weight.Measured.Grams(), Broken: qerr.Error()}
	}
	now := w.d.Now()
	var events []protocol.EventData
	if weighed != nil {
		events = append(events, *weighed)
	}
	if nr.Quote.Broken != "" && !carrierOverridden {
		nr.Phase = phaseCarrierFailed
		events = append(events, protocol.PackException{OrderID: o.OrderID, Reason: protocol.ExceptionCarrierLimit,
			Detail: fmt.Sprintf("%s: %s (box %s %d × %d × %d mm, %d g)", o.Carrier, nr.Quote.Broken, nr.Box.ID,
				nr.Box.Outer[0], nr.Box.Outer[1], nr.Box.Outer[2], nr.Weight.Measured.Grams())})
		if w.commit(ctx, now, events, nr, nil) {
			w.say(SignalException, msgCarrierLimit, o.Carrier, nr.Quote.Broken)
		}
		return
	}
	printer := cfg.Pack.Printer
	zplData, err := w.labelFor(o, nr.Weight.Measured, printer)
	if err != nil {
		nr.Phase, nr.Label = phaseLabelFailed, labelRecord{Printer: printer, Error: err.Error()}
		events = append(events, protocol.PackException{OrderID: o.OrderID, Reason: ExceptionLabelFailed, Detail: "label not rendered: " + err.Error()})
		if w.commit(ctx, now, events, nr, nil) {
			w.say(SignalException, msgLabelFailed, err)
		}
		return
	}
	id, err := w.ids.New(now)
	if err != nil {
		w.failed(err)
		return
	}
	job := LabelJob{ID: id.String(), Printer: printer, Origin: originPrefix + o.OrderID, ZPL: zplData, Copies: 1}
	nr.Phase, nr.Label = phaseLabelling, labelRecord{JobID: job.ID, Printer: printer}
	if !w.commit(ctx, now, events, nr, func(tx *outbox.Tx) error { return w.d.Labels.Enqueue(tx, job) }) {
		return
	}
	w.d.Labels.Kick()
	w.log.Info("label queued", "order_id", o.OrderID, "job_id", job.ID, "printer", printer)
	w.say(SignalOK, msgPrinting, nr.Weight.Measured)
}

// commit appends events, runs also (when not nil) and stores nr as the open pack in one
// transaction; on success nr becomes the open pack's record. It reports success.
func (w *Workflow) commit(ctx context.Context, at time.Time, events []protocol.EventData, nr *packRecord, also func(*outbox.Tx) error) bool {
	err := w.update(ctx, func(tx *outbox.Tx) error {
		for _, ev := range events {
			if err := appendEvent(tx, at, ev); err != nil {
				return err
			}
		}
		if also != nil {
			if err := also(tx); err != nil {
				return err
			}
		}
		return putJSON(tx, bucketPack, keyOpen, nr)
	})
	if err != nil {
		w.failed(err)
		return false
	}
	w.open.rec = nr
	return true
}

// labelOutcome takes the print queue's outcome for the open pack's label.
func (w *Workflow) labelOutcome(ctx context.Context, o LabelOutcome) {
	p := w.open
	if !strings.HasPrefix(o.Origin, originPrefix) {
		return
	}
	if p == nil || o.JobID == "" || o.JobID != p.rec.Label.JobID || (p.rec.Phase != phaseLabelling && p.rec.Phase != phaseLabelFailed) {
		w.log.Debug("label outcome of no open pack ignored", "job_id", o.JobID, "origin", o.Origin, "ok", o.OK)
		return
	}
	if o.OK {
		w.complete(ctx, true, o.Printer, nil)
		return
	}
	nr := p.rec.clone()
	nr.Phase, nr.Label.Error = phaseLabelFailed, o.Reason
	if w.commit(ctx, w.d.Now(), nil, nr, nil) {
		w.log.Warn("label failed, the queue retries", "order_id", p.order.OrderID, "job_id", o.JobID, "reason", o.Reason)
		w.say(SignalException, msgLabelFailed, o.Reason)
	}
}

// complete ends the open pack: pack.completed, and the order leaves the cache.
func (w *Workflow) complete(ctx context.Context, labelOK bool, printer string, ov *protocol.Override) {
	p := w.open
	rec, o := p.rec, p.order
	now := w.d.Now()
	overrides := slices.Clone(rec.Overrides)
	if ov != nil {
		overrides = append(overrides, *ov)
	}
	if printer == "" {
		printer = rec.Label.Printer
	}
	lines := make([]protocol.PackedLine, len(o.Lines))
	for i, l := range o.Lines {
		lines[i] = protocol.PackedLine{Line: l.Line, SKU: l.SKU, Qty: rec.Lines[i].Qty, Lots: rec.Lines[i].Lots, Serials: rec.Lines[i].Serials}
	}
	dur := max(now.Sub(rec.StartedAt), 0)
	ev := protocol.PackCompleted{
		OrderID: o.OrderID, Lines: lines,
		Box:       protocol.PackedBox{ID: rec.Box.ID, OuterMM: rec.Box.Outer},
		MeasuredG: rec.Weight.Measured.Grams(), ExpectedG: rec.Weight.Expected.Grams(),
		VolumetricG: rec.Quote.VolumetricG, BillableG: rec.Quote.BillableG, Divisor: rec.Quote.Divisor,
		Carrier: o.Carrier, TrackingNumber: o.TrackingNumber,
		Label:      protocol.PackedLabel{Printer: printer, OK: labelOK},
		DurationMS: dur.Milliseconds(), Overrides: overrides,
		BillableRoundedG: rec.Quote.BillableRoundedG, Surcharges: rec.Quote.Surcharges,
	}
	err := w.update(ctx, func(tx *outbox.Tx) error {
		if err := appendEvent(tx, now, ev); err != nil {
			return err
		}
		if err := tx.Delete(bucketPack, keyOpen); err != nil {
			return err
		}
		return tx.Delete(bucketOrders, []byte(o.OrderID))
	})
	if err != nil {
		w.failed(err)
		return
	}
	w.stopWeigh()
	w.removeOrder(o.OrderID)
	w.open = nil
	w.kpi.packed(dur)
	w.log.Info("pack completed", "order_id", o.OrderID, "measured_g", ev.MeasuredG, "billable_g", ev.BillableG, "duration", dur, "label_ok", labelOK)
	w.say(SignalDone, msgDone, o.OrderID)
}

// supervisor applies the supervisor code to the open pack's exception, if it has one that can be
// overridden: a weight out of tolerance, a carrier limit, a label that does not print.
func (w *Workflow) supervisor(ctx context.Context) {
	p := w.open
	if p == nil {
		w.say(SignalIdle, msgNothingOverride)
		return
	}
	rec := p.rec
	switch rec.Phase {
	case phaseWeightFailed:
		w.stopWeigh()
		nr := rec.clone()
		ov := protocol.Override{Reason: protocol.ExceptionWeightOutOfTolerance,
			Detail: fmt.Sprintf("measured %d g, expected %d g ± %d g", rec.Weight.Measured.Grams(), rec.Weight.Expected.Grams(), rec.Weight.Tolerance.Grams())}
		nr.Overrides = append(nr.Overrides, ov)
		w.log.Info("supervisor override", "order_id", p.order.OrderID, "reason", ov.Reason, "detail", ov.Detail)
		w.say(SignalOK, msgOverride, ov.Detail)
		w.afterWeight(ctx, nr, nil, false)
	case phaseCarrierFailed:
		nr := rec.clone()
		ov := protocol.Override{Reason: protocol.ExceptionCarrierLimit, Detail: p.order.Carrier + ": " + rec.Quote.Broken}
		nr.Overrides = append(nr.Overrides, ov)
		w.log.Info("supervisor override", "order_id", p.order.OrderID, "reason", ov.Reason, "detail", ov.Detail)
		w.say(SignalOK, msgOverride, ov.Detail)
		w.afterWeight(ctx, nr, nil, true)
	case phaseLabelFailed:
		detail := "completed without a printed label"
		if rec.Label.Error != "" {
			detail += ": " + rec.Label.Error
		}
		if rec.Label.JobID != "" {
			detail += " (job " + rec.Label.JobID + " stays queued and may print later)"
		}
		ov := protocol.Override{Reason: OverrideLabel, Detail: detail}
		w.log.Info("supervisor override", "order_id", p.order.OrderID, "reason", ov.Reason, "detail", ov.Detail)
		w.complete(ctx, false, "", &ov)
	default:
		w.say(SignalMismatch, msgNothingOverride)
	}
}

// secretCache holds the digest of the supervisor code of one configuration.
type secretCache struct {
	cfg *config.Config
	sum [sha256.Size]byte
	ok  bool
}

// isSupervisor reports whether code is the supervisor code of pack.supervisor_code_file. The
// file is read again when the configuration changes. Digests are compared in constant time, so
// that neither the code nor its length shows in the timing; the code is never logged.
func (w *Workflow) isSupervisor(cfg *config.Config, code string) bool {
	if w.secret.cfg != cfg {
		w.secret = secretCache{cfg: cfg}
		if path := cfg.Pack.SupervisorCodeFile; path != "" {
			s, warn, err := config.ReadSecret(path)
			switch {
			case err != nil:
				w.log.Error("supervisor overrides are off: "+err.Error(), "key", "pack.supervisor_code_file")
			default:
				if warn != "" {
					w.log.Warn(warn, "key", "pack.supervisor_code_file")
				}
				w.secret.sum, w.secret.ok = sha256.Sum256([]byte(s)), true
			}
		}
	}
	if !w.secret.ok {
		return false
	}
	h := sha256.Sum256([]byte(code))
	return subtle.ConstantTimeCompare(h[:], w.secret.sum[:]) == 1
}
