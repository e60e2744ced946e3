// Package intake receives the OMS's commands: it decodes and validates them, answers each with
// exactly one command.result event, remembers every handled command id durably (for
// storage.command_ttl, at least 7 days) so that a command delivered twice is never executed twice,
// and dispatches the rest to the handler registered for their type.
//
// A duplicate's earlier result is published again as a new command.result event (new id and seq,
// same data). The result and the "handled" record are written in one transaction, so a crash
// leaves either both or neither; in the second case the broker delivers the command again (it is
// acknowledged only after that transaction) and the handler runs again: handlers are idempotent
// by the business key they carry (an order id, a batch id).
package intake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/stationd/stationd/agent/outbox"
	"github.com/stationd/stationd/protocol"
)

// Handler executes one valid command of a type the station has the role for. It returns nil on
// success or a result error (protocol.Errorf(protocol.CodeInvalid, "...")). It runs in the intake's
// goroutine: long work (printing) is queued, not awaited.
type Handler func(ctx context.Context, cmd protocol.Command, data protocol.CommandData) *protocol.Error

// Store is the part of the outbox the intake uses.
type Store interface {
	Update(ctx context.Context, fn func(*outbox.Tx) error) error
	View(fn func(*outbox.Tx) error) error
}

// Message is one command as received: its topic and payload, and Done to call once the result
// is durable.
type Message struct {
	Topic   string
	Payload []byte
	Done    func()
}

var bucket = []byte("commands")

// Intake processes commands one at a time.
type Intake struct {
	store    Store
	roles    []string
	handlers map[string]Handler
	ttl      time.Duration
	now      func() time.Time
	log      *slog.Logger
	// refuse, when it returns true, makes commands that create work fail with storage_full.
	refuse func() bool
}

// Options configures an Intake.
type Options struct {
	Roles  []string      // the station's roles
	TTL    time.Duration // how long handled ids are kept; at least 7 days
	Now    func() time.Time
	Logger *slog.Logger
	// Refuse reports whether the station refuses new work (outbox alarm).
	Refuse func() bool
}

// New returns an Intake with station.ping handled.
func New(store Store, o Options) *Intake {
	if o.TTL < 7*24*time.Hour {
		o.TTL = 7 * 24 * time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Refuse == nil {
		o.Refuse = func() bool { return false }
	}
	in := &Intake{store: store, roles: o.Roles, handlers: map[string]Handler{}, ttl: o.TTL, now: o.Now, log: o.Logger, refuse: o.Refuse}
	in.Handle(protocol.CommandStationPing, func(context.Context, protocol.Command, protocol.CommandData) *protocol.Error { return nil })
	return in
}

// Handle registers h for a command type. It must be called before Run; a second handler for the
// same type replaces nothing and panics (a wiring bug).
func (in *Intake) Handle(cmdType string, h Handler) {
	if _, dup := in.handlers[cmdType]; dup {
		panic("intake: second handler for " + cmdType)
	}
	in.handlers[cmdType] = h
}

// Run processes messages until ctx is done or msgs is closed, and purges expired command ids
// every hour.
func (in *Intake) Run(ctx context.Context, msgs <-chan Message) error {
	purge := time.NewTicker(time.Hour)
	defer purge.Stop()
	in.purge(ctx)
	for {
		select {
		case <-ctx.Done():
			return nil
		case m, ok := <-msgs:
			if !ok {
				return nil
			}
			if _, err := in.Process(ctx, m.Topic, m.Payload); err != nil {
				// Not durable: leave it unacknowledged, the broker delivers it again.
				in.log.Error("command not recorded: "+err.Error(), "topic", m.Topic)
				continue
			}
			if m.Done != nil {
				m.Done()
			}
		case <-purge.C:
			in.purge(ctx)
		}
	}
}

type record struct {
	At     int64                  `json:"at"` // unix seconds when handled
	Result protocol.CommandResult `json:"result"`
}

// Process handles one command and records its result durably. The error is non-nil only when
// the result could not be recorded (the store failed): the command must then be delivered again.
func (in *Intake) Process(ctx context.Context, topic string, payload []byte) (protocol.CommandResult, error) {
	typ := topic
	if i := strings.LastIndex(topic, "/cmd/"); i >= 0 {
		typ = topic[i+len("/cmd/"):]
	}
	cmd, perr := protocol.ParseCommand(typ, payload)
	res := protocol.CommandResult{CommandID: cmd.ID, CommandType: cmd.Type}
	log := in.log.With("command_id", cmd.ID, "command_type", cmd.Type)

	if perr == nil && cmd.ID != "" {
		var prev []byte
		if err := in.store.View(func(tx *outbox.Tx) error {
			prev = tx.Get(bucket, []byte(cmd.ID))
			return nil
		}); err != nil {
			return res, fmt.Errorf("look up command %q: %w", cmd.ID, err)
		}
		if prev != nil {
			var r record
			if err := json.Unmarshal(prev, &r); err == nil {
				log.Info("duplicate command: its earlier result is published again")
				return r.Result, in.store.Update(ctx, func(tx *outbox.Tx) error {
					_, err := tx.Append(outbox.Event{Type: protocol.EventCommandResult, Time: in.now(), Data: r.Result})
					return err
				})
			}
		}
	}

	var data protocol.CommandData
	if perr == nil {
		perr = protocol.CheckRole(cmd.Type, in.roles)
	}
	if perr == nil {
		data, perr = cmd.DecodeData()
	}
	switch {
	case perr != nil:
	case in.handlers[cmd.Type] == nil:
		perr = protocol.Errorf(protocol.CodeUnknownType, "%s is not handled by this station's version", cmd.Type)
	case createsWork(cmd.Type) && in.refuse():
		perr = protocol.Errorf(protocol.CodeStorageFull, "the station's outbox is nearly full (broker unreachable for long): new work is refused until it drains")
	default:
		perr = in.call(ctx, cmd, data)
	}
	res = cmd.Result(perr)
	if perr != nil {
		log.Warn("command refused: "+perr.Error(), "code", perr.Code)
	} else {
		log.Info("command handled")
	}
	err := in.store.Update(ctx, func(tx *outbox.Tx) error {
		if cmd.ID != "" && !transient(perr) {
			b, err := json.Marshal(record{At: in.now().Unix(), Result: res})
			if err != nil {
				return err
			}
			if err := tx.Put(bucket, []byte(cmd.ID), b); err != nil {
				return err
			}
		}
		_, err := tx.Append(outbox.Event{Type: protocol.EventCommandResult, Time: in.now(), Data: res})
		return err
	})
	return res, err
}

// call runs the handler, turning a panic into an internal error: a bug in one handler must not
// take the station down or leave the command unanswered.
func (in *Intake) call(ctx context.Context, cmd protocol.Command, data protocol.CommandData) (perr *protocol.Error) {
	defer func() {
		if r := recover(); r != nil {
			in.log.Error("command handler panicked", "command_type", cmd.Type, "command_id", cmd.ID, "panic", fmt.Sprint(r))
			perr = protocol.Errorf(protocol.CodeInternal, "the station failed executing %s; this is a bug, please report it", cmd.Type)
		}
	}()
	return in.handlers[cmd.Type](ctx, cmd, data)
}

// createsWork lists the commands refused while the outbox is nearly full.
func createsWork(t string) bool {
	switch t {
	case protocol.CommandPackOrder, protocol.CommandPickTasks, protocol.CommandPutWall,
		protocol.CommandReturnExpect, protocol.CommandLabelPrint:
		return true
	}
	return false
}

// transient results are not remembered: the same command id sent again later is executed then.
func transient(e *protocol.Error) bool {
	return e != nil && (e.Code == protocol.CodeStorageFull || e.Code == protocol.CodeInternal || e.Code == protocol.CodeBusy)
}

// purge forgets command ids handled longer ago than the TTL.
func (in *Intake) purge(ctx context.Context) {
	cutoff := in.now().Add(-in.ttl).Unix()
	var old [][]byte
	in.store.View(func(tx *outbox.Tx) error {
		return tx.ForEach(bucket, func(k, v []byte) error {
			var r record
			if json.Unmarshal(v, &r) != nil || r.At < cutoff {
				old = append(old, append([]byte(nil), k...))
			}
			return nil
		})
	})
	if len(old) == 0 {
		return
	}
	err := in.store.Update(ctx, func(tx *outbox.Tx) error {
		for _, k := range old {
			if err := tx.Delete(bucket, k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		in.log.Warn("purge handled command ids: "+err.Error(), "count", len(old))
	} else if err == nil {
		in.log.Debug("forgot handled command ids", "count", len(old))
	}
}
