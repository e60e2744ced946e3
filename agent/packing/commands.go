package packing

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/stationd/stationd/agent/outbox"
	"github.com/stationd/stationd/agent/packing/carrier"
	"github.com/stationd/stationd/devices/printer/label"
	"github.com/stationd/stationd/devices/printer/zpl"
	"github.com/stationd/stationd/devices/scanner/gtin"
	"github.com/stationd/stationd/protocol"
	"github.com/stationd/stationd/protocol/units"
)

// command executes pack.order or pack.cancel in Run's goroutine.
func (w *Workflow) command(ctx context.Context, c command) *protocol.Error {
	switch d := c.data.(type) {
	case protocol.PackOrder:
		return w.packOrder(ctx, d)
	case *protocol.PackOrder:
		return w.packOrder(ctx, *d)
	case protocol.PackCancel:
		return w.packCancel(ctx, d.OrderID)
	case *protocol.PackCancel:
		return w.packCancel(ctx, d.OrderID)
	}
	return protocol.Errorf(protocol.CodeUnknownType, "%s is not handled by the packing workflow", c.cmd.Type)
}

// packOrder stores an order in the local cache (contract section 7 step 1). The same order_id
// with the same content is accepted again without effect; with other content it is a conflict.
func (w *Workflow) packOrder(ctx context.Context, o protocol.PackOrder) *protocol.Error {
	if perr := w.checkOrder(&o); perr != nil {
		return perr
	}
	if have := w.orders[o.OrderID]; have != nil {
		if sameOrder(&have.Order, &o) {
			return nil
		}
		return protocol.Errorf(protocol.CodeConflict, "order %s is already held with different content: cancel it (pack.cancel) before sending the new version", o.OrderID)
	}
	r := &orderRecord{Order: o, ReceivedAt: w.d.Now(), Arrival: w.arrival + 1}
	err := w.update(ctx, func(tx *outbox.Tx) error {
		if err := putJSON(tx, bucketOrders, []byte(o.OrderID), r); err != nil {
			return err
		}
		return tx.Put(bucketPack, keyArrival, binary.BigEndian.AppendUint64(nil, r.Arrival))
	})
	if err != nil {
		return storeError("store the order", err)
	}
	w.arrival = r.Arrival
	w.addOrder(r)
	w.log.Info("order received", "order_id", o.OrderID, "lines", len(o.Lines), "carrier", o.Carrier)
	return nil
}

// checkOrder refuses, as invalid, what would fail later at the station: a GTIN with a wrong
// check digit, label_zpl the passthrough check refuses, an order the station's label template
// cannot print (a tracking number Code 128 cannot carry).
func (w *Workflow) checkOrder(o *protocol.PackOrder) *protocol.Error {
	for i, l := range o.Lines {
		if l.GTIN == "" {
			continue
		}
		if _, err := gtin.Normalize(l.GTIN); err != nil {
			return protocol.Errorf(protocol.CodeInvalid, "data.lines[%d].gtin: %v", i, err)
		}
	}
	if o.LabelZPL != "" {
		if err := zpl.Check("data.label_zpl", []byte(o.LabelZPL)); err != nil {
			code := protocol.CodeInvalid
			var ce *zpl.CheckError
			if errors.As(err, &ce) && ce.Code == zpl.CodeTooLarge {
				code = protocol.CodeTooLarge
			}
			return protocol.Errorf(code, "%v", err)
		}
	} else if _, err := renderShipping(o, 0, defaultDPI); err != nil {
		var le *label.Error
		if errors.As(err, &le) {
			return protocol.Errorf(protocol.CodeInvalid, "the station's shipping label cannot print this order: %v", err)
		}
		return protocol.Errorf(protocol.CodeInternal, "the station's shipping label template is unusable: %v", err)
	}
	if r := carrier.Resolve(o.Carrier, w.cfg().Pack.Carriers); !r.Known {
		w.log.Warn("order for an unknown carrier accepted: no volumetric divisor and no limits will apply", "order_id", o.OrderID, "carrier", o.Carrier)
	}
	return nil
}

// sameOrder compares two orders as the station stores them.
func sameOrder(a, b *protocol.PackOrder) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

// packCancel withdraws a held order; the open pack of it ends with pack.exception
// order_cancelled.
func (w *Workflow) packCancel(ctx context.Context, id string) *protocol.Error {
	if w.open != nil && w.open.order.OrderID == id {
		return w.abort(ctx)
	}
	if w.orders[id] == nil {
		return protocol.Errorf(protocol.CodeNotFound, "order %s is not held by this station (never received, already packed, cancelled or expired)", id)
	}
	if err := w.update(ctx, func(tx *outbox.Tx) error { return tx.Delete(bucketOrders, []byte(id)) }); err != nil {
		return storeError("forget the order", err)
	}
	w.removeOrder(id)
	w.log.Info("order cancelled before packing", "order_id", id)
	return nil
}

func (w *Workflow) abort(ctx context.Context) *protocol.Error {
	p := w.open
	id := p.order.OrderID
	detail := "cancelled by the OMS (pack.cancel) in phase " + p.rec.Phase
	if p.rec.Label.JobID != "" {
		detail += "; label job " + p.rec.Label.JobID + " was queued and may still print: destroy that label"
	}
	ev := protocol.PackException{OrderID: id, Reason: protocol.ExceptionOrderCancelled, Detail: detail}
	err := w.update(ctx, func(tx *outbox.Tx) error {
		if err := appendEvent(tx, w.d.Now(), ev); err != nil {
			return err
		}
		if err := tx.Delete(bucketPack, keyOpen); err != nil {
			return err
		}
		return tx.Delete(bucketOrders, []byte(id))
	})
	if err != nil {
		return storeError("cancel the open pack", err)
	}
	w.stopWeigh()
	w.removeOrder(id)
	w.open = nil
	w.log.Info("open pack cancelled", "order_id", id)
	w.say(SignalException, msgCancelled, id)
	return nil
}

func storeError(what string, err error) *protocol.Error {
	if errors.Is(err, outbox.ErrFull) {
		return protocol.Errorf(protocol.CodeStorageFull, "the station could not %s: its storage is full", what)
	}
	return protocol.Errorf(protocol.CodeInternal, "the station could not %s: %v", what, err)
}

// labelFor returns the parcel's label: the order's label_zpl byte for byte, else the station's
// shipping template rendered for printer.
func (w *Workflow) labelFor(o *protocol.PackOrder, weight units.Mass, printer string) ([]byte, error) {
	if o.LabelZPL != "" {
		return []byte(o.LabelZPL), nil
	}
	dpi := defaultDPI
	if w.d.DPI != nil {
		if v := w.d.DPI(printer); v > 0 {
			dpi = v
		}
	}
	return renderShipping(o, weight, dpi)
}

// ShippingTemplate is the label template (firmware-config/labels) printed for orders without
// label_zpl.
const ShippingTemplate = "shipping"

// ShippingFields returns the fields of the shipping template for an order and its weight.
func ShippingFields(o *protocol.PackOrder, weight units.Mass) map[string]any {
	return map[string]any{
		"order_id":        o.OrderID,
		"carrier":         o.Carrier,
		"service":         o.Service,
		"tracking_number": o.TrackingNumber,
		"weight_g":        max(weight.Grams(), 0),
		"ship_to": map[string]any{
			"name": o.ShipTo.Name, "company": o.ShipTo.Company, "street": o.ShipTo.Street, "street2": o.ShipTo.Street2,
			"postcode": o.ShipTo.Postcode, "city": o.ShipTo.City, "country": o.ShipTo.Country,
		},
	}
}

func renderShipping(o *protocol.PackOrder, weight units.Mass, dpi int) ([]byte, error) {
	ts, err := label.Templates()
	if err != nil {
		return nil, err
	}
	t := ts[ShippingTemplate]
	if t == nil {
		return nil, fmt.Errorf("no %q template in firmware-config/labels", ShippingTemplate)
	}
	return label.Render(t, ShippingFields(o, weight), dpi)
}
