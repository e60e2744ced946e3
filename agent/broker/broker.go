// Package broker runs an MQTT broker inside the process, on a loopback port: the demo's broker and
// the fast tests' broker. It wraps github.com/mochi-mqtt/server/v2, which only this package
// imports, and gives in-process subscribers (the OMS simulator) a way in without an MQTT client.
// It is not meant for production traffic: stations talk to the site's broker.
package broker

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"
)

// Handler receives a message delivered to an in-process subscription. It runs in the publishing
// client's goroutine: it must not block.
type Handler func(topic string, payload []byte)

type sub struct {
	filter string
	fn     Handler
}

// Broker is an in-process MQTT broker that can be stopped and started again on the same port.
type Broker struct {
	addr string
	log  *slog.Logger

	mu   sync.Mutex
	srv  *mqtt.Server // nil while stopped
	subs []sub
}

// Start listens on addr ("127.0.0.1:0" picks a free port) and serves until Close. Sessions and
// retained messages live in memory: a restarted Broker starts empty, like a broker that lost its
// state.
func Start(addr string, log *slog.Logger) (*Broker, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ln, err := net.Listen("tcp", addr) // resolve ":0" to a known port
	if err != nil {
		return nil, fmt.Errorf("broker: listen %s: %w", addr, err)
	}
	addr = ln.Addr().String()
	ln.Close()
	b := &Broker{addr: addr, log: log}
	if err := b.Restart(); err != nil {
		return nil, err
	}
	return b, nil
}

// Addr returns host:port.
func (b *Broker) Addr() string { return b.addr }

// URL returns the tcp:// URL clients connect to.
func (b *Broker) URL() string { return "tcp://" + b.addr }

// Restart starts a stopped broker again on the same address, with the in-process subscriptions.
func (b *Broker) Restart() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.srv != nil {
		return nil
	}
	srv := mqtt.New(&mqtt.Options{Logger: b.log, InlineClient: true})
	if err := srv.AddHook(new(auth.AllowHook), nil); err != nil {
		return fmt.Errorf("broker: %w", err)
	}
	if err := srv.AddListener(listeners.NewTCP(listeners.Config{ID: "tcp", Address: b.addr})); err != nil {
		return fmt.Errorf("broker: listen %s: %w", b.addr, err)
	}
	if err := srv.Serve(); err != nil {
		return fmt.Errorf("broker: serve %s: %w", b.addr, err)
	}
	for i, s := range b.subs {
		if err := subscribe(srv, i+1, s); err != nil {
			srv.Close()
			return err
		}
	}
	b.srv = srv
	return nil
}

// Stop stops the broker and drops every client; Restart brings it back.
func (b *Broker) Stop() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.srv == nil {
		return nil
	}
	err := b.srv.Close()
	b.srv = nil
	return err
}

// Close stops the broker for good.
func (b *Broker) Close() error { return b.Stop() }

// Subscribe adds an in-process subscription, kept across restarts.
func (b *Broker) Subscribe(filter string, fn Handler) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := sub{filter, fn}
	b.subs = append(b.subs, s)
	if b.srv != nil {
		return subscribe(b.srv, len(b.subs), s)
	}
	return nil
}

func subscribe(srv *mqtt.Server, id int, s sub) error {
	err := srv.Subscribe(s.filter, id, func(_ *mqtt.Client, _ packets.Subscription, pk packets.Packet) {
		s.fn(pk.TopicName, append([]byte(nil), pk.Payload...))
	})
	if err != nil {
		return fmt.Errorf("broker: subscribe %s: %w", s.filter, err)
	}
	return nil
}

// ErrStopped is returned by Publish while the broker is stopped.
var ErrStopped = errors.New("broker: stopped")

// Publish sends a message from the in-process client at QoS 1.
func (b *Broker) Publish(topic string, payload []byte, retain bool) error {
	b.mu.Lock()
	srv := b.srv
	b.mu.Unlock()
	if srv == nil {
		return ErrStopped
	}
	return srv.Publish(topic, payload, retain, 1)
}
