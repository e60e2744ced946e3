package printq

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/stationd/stationd/agent"
	"github.com/stationd/stationd/agent/outbox"
	"github.com/stationd/stationd/devices/printer/zpl"
	"github.com/stationd/stationd/protocol"
)

// Register registers the label.print handler (contract section 5). Its command.result ok means
// the job is queued; label.printed or label.failed follow with the job's id.
func (q *Queue) Register(h agent.Handlers) {
	h.Handle(protocol.CommandLabelPrint, q.handleLabelPrint)
}

// handleLabelPrint runs in the intake's goroutine: it checks, renders and queues, and never
// waits for the printer.
func (q *Queue) handleLabelPrint(ctx context.Context, cmd protocol.Command, data protocol.CommandData) *protocol.Error {
	var lp protocol.LabelPrint
	switch v := data.(type) {
	case protocol.LabelPrint:
		lp = v
	case *protocol.LabelPrint:
		if v != nil {
			lp = *v
		}
	default:
		return protocol.Errorf(protocol.CodeInternal, "label.print handler got %T", data)
	}
	job, perr := q.prepare(lp)
	if perr != nil {
		return perr
	}
	job.ID = q.NewID() // before Update, whose function may run more than once
	job.Origin = originCmd + cmd.ID
	at := q.d.Now()
	dup := ""
	err := q.d.Store.Update(ctx, func(tx *outbox.Tx) error {
		dup = ""
		if cmd.ID != "" {
			if v := tx.Get(bucketCmds, []byte(cmd.ID)); v != nil {
				// Redelivered after a crash that came between this commit and the intake's
				// result: the job exists (or existed) already.
				var c cmdRecord
				_ = json.Unmarshal(v, &c)
				dup = c.JobID
				if dup == "" {
					dup = "?"
				}
				return nil
			}
		}
		if err := q.Enqueue(tx, job); err != nil {
			return err
		}
		if cmd.ID == "" {
			return nil
		}
		b, err := json.Marshal(cmdRecord{JobID: job.ID, At: at})
		if err != nil {
			return err
		}
		return tx.Put(bucketCmds, []byte(cmd.ID), b)
	})
	switch {
	case errors.Is(err, outbox.ErrFull):
		return protocol.Errorf(protocol.CodeStorageFull, "the station's store is full (broker unreachable for long): the label was not queued; send it again once the station has caught up")
	case err != nil:
		q.log.Error("label.print: queue the job: "+err.Error(), "command_id", cmd.ID, "err", err)
		return protocol.Errorf(protocol.CodeInternal, "the label could not be queued: %v", err)
	case dup != "":
		q.log.Info("label.print delivered again: its job was queued already", "command_id", cmd.ID, "job_id", dup)
		return nil
	}
	q.log.Info("label queued", "command_id", cmd.ID, "job_id", job.ID, "printer", job.Printer, "copies", job.Copies)
	q.Kick()
	return nil
}

// prepare checks a label.print and returns its job (without ID and Origin).
func (q *Queue) prepare(lp protocol.LabelPrint) (LabelJob, *protocol.Error) {
	switch {
	case lp.ZPL == "" && lp.Template == "":
		return LabelJob{}, protocol.Errorf(protocol.CodeInvalid, "data: exactly one of zpl and template is required (neither is given)")
	case lp.ZPL != "" && lp.Template != "":
		return LabelJob{}, protocol.Errorf(protocol.CodeInvalid, "data.template: exactly one of zpl and template is required (both are given)")
	}
	n := lp.Copies
	if n == 0 {
		n = 1
	}
	if n < 1 || n > MaxCopies {
		return LabelJob{}, protocol.Errorf(protocol.CodeInvalid, "data.copies: must be 1 to %d", MaxCopies)
	}
	name, ok := q.resolve(lp.Printer)
	switch {
	case !ok && lp.Printer == "":
		return LabelJob{}, protocol.Errorf(protocol.CodeNotFound, "data.printer: not given, and the station has no default printer (pack.printer): name one of %s", q.known())
	case !ok:
		return LabelJob{}, protocol.Errorf(protocol.CodeNotFound, "data.printer: %q is not a printer of this station (printers: %s)", lp.Printer, q.known())
	}

	var body []byte
	if lp.ZPL != "" {
		body = []byte(lp.ZPL)
		if err := zpl.Check("data.zpl", body); err != nil {
			var ce *zpl.CheckError
			if errors.As(err, &ce) && ce.Code == zpl.CodeTooLarge {
				return LabelJob{}, protocol.Errorf(protocol.CodeTooLarge, "%s", err)
			}
			return LabelJob{}, protocol.Errorf(protocol.CodeInvalid, "%s", err)
		}
	} else {
		if q.d.Render == nil {
			return LabelJob{}, protocol.Errorf(protocol.CodeNotFound, "data.template: %q: this station has no label templates", lp.Template)
		}
		var err error
		body, err = q.d.Render(name, lp.Template, lp.Fields)
		var fe *FieldError
		switch {
		case errors.Is(err, ErrUnknownTemplate):
			return LabelJob{}, protocol.Errorf(protocol.CodeNotFound, "data.template: %q is not a label template of this station", lp.Template)
		case errors.As(err, &fe):
			return LabelJob{}, protocol.Errorf(protocol.CodeInvalid, "data.fields.%s: %s", fe.Field, fe.Msg)
		case err != nil:
			return LabelJob{}, protocol.Errorf(protocol.CodeInternal, "data.template: %q could not be rendered for %s: %v", lp.Template, name, err)
		case len(body) == 0:
			return LabelJob{}, protocol.Errorf(protocol.CodeInternal, "data.template: %q rendered nothing for %s", lp.Template, name)
		}
	}
	if len(body)*n > MaxJobBytes {
		return LabelJob{}, protocol.Errorf(protocol.CodeInvalid, "data.copies: %d copies of a %d-byte label is over the %d bytes a job may hold: send fewer copies per command", n, len(body), MaxJobBytes)
	}
	return LabelJob{Printer: name, ZPL: body, Copies: n}, nil
}
