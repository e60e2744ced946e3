// Package omssim is a minimal order management system for the demo and the end-to-end tests: it
// sits inside the in-process broker (agent/broker), sends commands to one station, and records
// the station's events and status exactly as they arrive, checking the contract's ordering rules
// on the way (seq from 1 up by one, a re-sent event identical to its first sending).
package omssim

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/stationd/stationd/agent/broker"
	"github.com/stationd/stationd/protocol"
)

// Received is one event as it arrived.
type Received struct {
	Topic string
	Raw   []byte
	Event protocol.Event
	Dup   bool // a re-send of an event already received (same id and seq, same bytes)
}

// OMS is the simulator.
type OMS struct {
	b      *broker.Broker
	prefix string // P = <topic_prefix>/<site>/<station>

	mu       sync.Mutex
	cond     chan struct{} // closed and replaced on every arrival
	events   []Received
	bySeq    map[uint64][]byte
	maxSeq   uint64 // highest seq received
	problems []string
	status   []string
	nextID   int
	// OnEvent, when set, is called for every arrival (in arrival order) outside the lock.
	onEvent func(Received)
	onState func(string)
}

// Options configures the simulator.
type Options struct {
	Prefix, Site, Station string
	OnEvent               func(Received) // called for every event as it arrives
	OnStatus              func(payload string)
}

// Attach subscribes the simulator to the station's events and status on b.
func Attach(b *broker.Broker, o Options) (*OMS, error) {
	if o.Prefix == "" {
		o.Prefix = "wh/v1"
	}
	m := &OMS{b: b, prefix: o.Prefix + "/" + o.Site + "/" + o.Station, cond: make(chan struct{}), bySeq: map[uint64][]byte{}, onEvent: o.OnEvent, onState: o.OnStatus}
	if err := b.Subscribe(m.prefix+"/evt/#", m.event); err != nil {
		return nil, err
	}
	if err := b.Subscribe(m.prefix+"/status", m.statusMsg); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *OMS) wake() {
	close(m.cond)
	m.cond = make(chan struct{})
}

func (m *OMS) event(topic string, payload []byte) {
	var ev protocol.Event
	r := Received{Topic: topic, Raw: payload}
	m.mu.Lock()
	if err := json.Unmarshal(payload, &ev); err != nil {
		m.problems = append(m.problems, fmt.Sprintf("%s: undecodable event: %v", topic, err))
	}
	r.Event = ev
	if !strings.HasSuffix(topic, "/evt/"+ev.Type) {
		m.problems = append(m.problems, fmt.Sprintf("event type %q on topic %s", ev.Type, topic))
	}
	if prev, seen := m.bySeq[ev.Seq]; seen {
		r.Dup = true
		if string(prev) != string(payload) {
			m.problems = append(m.problems, fmt.Sprintf("seq %d sent twice with different content:\n  %s\n  %s", ev.Seq, prev, payload))
		}
	} else {
		if ev.Seq != m.maxSeq+1 {
			m.problems = append(m.problems, fmt.Sprintf("seq %d arrived after %d: a gap or a reordering", ev.Seq, m.maxSeq))
		}
		if ev.Seq > m.maxSeq {
			m.maxSeq = ev.Seq
		}
		m.bySeq[ev.Seq] = payload
	}
	m.events = append(m.events, r)
	m.wake()
	fn := m.onEvent
	m.mu.Unlock()
	if fn != nil {
		fn(r)
	}
}

func (m *OMS) statusMsg(_ string, payload []byte) {
	m.mu.Lock()
	m.status = append(m.status, string(payload))
	m.wake()
	fn := m.onState
	m.mu.Unlock()
	if fn != nil {
		fn(string(payload))
	}
}

// Send publishes a command of type typ with data and returns its id.
func (m *OMS) Send(typ string, data any) (string, error) {
	m.mu.Lock()
	m.nextID++
	id := fmt.Sprintf("oms-%d-%d", time.Now().UnixMilli(), m.nextID)
	m.mu.Unlock()
	return id, m.SendID(id, typ, data)
}

// SendID publishes a command with a given id (to test duplicates).
func (m *OMS) SendID(id, typ string, data any) error {
	d, err := json.Marshal(data)
	if err != nil {
		return err
	}
	cmd := protocol.Command{V: protocol.Version, ID: id, Type: typ, Time: time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), Data: d}
	b, err := json.Marshal(cmd)
	if err != nil {
		return err
	}
	return m.SendRaw(typ, b)
}

// SendRaw publishes a payload as is on P/cmd/<typ>.
func (m *OMS) SendRaw(typ string, payload []byte) error {
	return m.b.Publish(m.prefix+"/cmd/"+typ, payload, false)
}

// Wait returns the first event, in arrival order, for which match is true, waiting until ctx is
// done. Events already received count. match runs with the simulator locked: it must not call
// the simulator's methods.
func (m *OMS) Wait(ctx context.Context, match func(Received) bool) (Received, error) {
	seen := 0
	for {
		m.mu.Lock()
		for ; seen < len(m.events); seen++ {
			if match(m.events[seen]) {
				r := m.events[seen]
				m.mu.Unlock()
				return r, nil
			}
		}
		c := m.cond
		m.mu.Unlock()
		select {
		case <-ctx.Done():
			return Received{}, ctx.Err()
		case <-c:
		}
	}
}

// WaitType waits for the first event of a type whose data satisfies match (nil: any).
func (m *OMS) WaitType(ctx context.Context, typ string, match func(json.RawMessage) bool) (Received, error) {
	r, err := m.Wait(ctx, func(r Received) bool {
		return r.Event.Type == typ && !r.Dup && (match == nil || match(r.Event.Data))
	})
	if err != nil {
		return r, fmt.Errorf("waiting for %s: %w", typ, err)
	}
	return r, nil
}

// Result waits for the command.result of command id.
func (m *OMS) Result(ctx context.Context, id string) (protocol.CommandResult, error) {
	var res protocol.CommandResult
	_, err := m.WaitType(ctx, protocol.EventCommandResult, func(d json.RawMessage) bool {
		var r protocol.CommandResult
		if json.Unmarshal(d, &r) == nil && r.CommandID == id {
			res = r
			return true
		}
		return false
	})
	return res, err
}

// WaitStatus waits for a status payload satisfying match.
func (m *OMS) WaitStatus(ctx context.Context, match func(string) bool) (string, error) {
	seen := 0
	for {
		m.mu.Lock()
		for ; seen < len(m.status); seen++ {
			if match(m.status[seen]) {
				s := m.status[seen]
				m.mu.Unlock()
				return s, nil
			}
		}
		c := m.cond
		m.mu.Unlock()
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("waiting for status: %w", ctx.Err())
		case <-c:
		}
	}
}

// MaxSeq returns the highest seq received.
func (m *OMS) MaxSeq() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.maxSeq
}

// Events returns a copy of every arrival so far.
func (m *OMS) Events() []Received {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Received(nil), m.events...)
}

// Check returns the contract violations seen so far (nil when none).
func (m *OMS) Check() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.problems) == 0 {
		return nil
	}
	return fmt.Errorf("omssim: %s", strings.Join(m.problems, "; "))
}
