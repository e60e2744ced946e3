// Package uplink carries the station's events to the OMS over MQTT and its commands back: the
// only package that imports paho.
//
// The outbox is the only truth. Events are read from it in seq order, published at QoS 1 with a
// window of messages in flight, and acknowledged back to it (deleted) only on a PUBACK that came
// over the connection that carried them. paho is used one connection at a time: every session
// gets a fresh client with an empty in-memory store and no automatic reconnect, so that paho never
// re-sends or completes anything on its own across a reconnect (paho README: a completed token is
// not a delivery; #563, #613). After a reconnect everything not acknowledged is sent again from the
// oldest, keeping its id and seq; the OMS de-duplicates by id.
//
// Per connection: connect with a persistent session (clean session off, stable client id) and a
// retained last will {"online":false,"reason":"lost"}, subscribe to the command filter, publish the
// retained birth, then pump events. Commands are handed to the consumer of Commands() and
// acknowledged to the broker only after the consumer has handled them durably, so a command the
// broker delivered is never lost to a crash.
package uplink

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

// Event is one outbox record as the uplink publishes it.
type Event struct {
	Seq     uint64
	Type    string
	Payload []byte
}

// Source is the outbox as the uplink consumes it.
type Source interface {
	// Pending returns stored events with seq > after, in seq order, at most max.
	Pending(after uint64, max int) ([]Event, error)
	// Ack deletes events whose PUBACK arrived.
	Ack(seqs ...uint64) error
	// Notify receives a value after new events were committed.
	Notify() <-chan struct{}
}

// Config configures an Uplink. Broker, ClientID and the topics are required.
type Config struct {
	Broker   string // tcp://, ssl://, ws://, wss://
	ClientID string
	Username string
	Password string
	TLS      *tls.Config // used for ssl:// and wss://; nil means the system roots

	KeepAlive    time.Duration // default 30 s
	Window       int           // QoS 1 publishes in flight; default 32
	ReconnectMin time.Duration // first backoff; default 500 ms
	ReconnectMax time.Duration // backoff cap; default 30 s
	AckTimeout   time.Duration // a PUBACK slower than this means a dead connection; default 30 s

	StatusTopic   string
	EventTopic    func(eventType string) string
	CommandFilter string

	Birth    func() []byte // the retained birth, built at each connect and on StatusChanged
	Will     []byte        // retained last will: offline, reason lost
	Shutdown []byte        // retained status published on a clean shutdown: offline, reason shutdown

	Logger *slog.Logger
}

// Command is one command message from the broker. The consumer must call Done once it has
// handled it (durably); only then is it acknowledged to the broker.
type Command struct {
	Topic   string
	Payload []byte
	done    chan struct{} // closed by Done
	acked   chan struct{} // closed by the handler once the PUBACK is queued or the session ended
	once    *sync.Once
}

// Done marks the command handled and waits (briefly) until its acknowledgement is on its way to
// the broker. Calling it more than once is harmless.
func (c Command) Done() {
	if c.done == nil {
		return
	}
	c.once.Do(func() { close(c.done) })
	t := time.NewTimer(2 * time.Second)
	defer t.Stop()
	select {
	case <-c.acked:
	case <-t.C:
	}
}

// Stats are counters for logs, status and benchmarks.
type Stats struct {
	Connected   bool
	Connects    uint64
	Published   uint64 // publishes handed to the connection, re-sends included
	Acked       uint64 // events acknowledged by the broker
	LastAckSeq  uint64
	LastConnErr string
}

// Uplink publishes events from a Source and receives commands. Run drives it.
type Uplink struct {
	cfg  Config
	src  Source
	log  *slog.Logger
	cmds chan Command

	statusDirty chan struct{}

	connected   atomic.Bool
	connects    atomic.Uint64
	published   atomic.Uint64
	acked       atomic.Uint64
	lastAckSeq  atomic.Uint64
	mu          sync.Mutex
	lastConnErr string

	// ackedUpTo is the highest seq of the acknowledged prefix: sending resumes after it.
	ackedUpTo uint64
}

// New checks cfg and returns an Uplink that does nothing until Run.
func New(cfg Config, src Source) (*Uplink, error) {
	if cfg.Broker == "" || cfg.ClientID == "" || cfg.StatusTopic == "" || cfg.EventTopic == nil || cfg.CommandFilter == "" {
		return nil, errors.New("uplink: Broker, ClientID, StatusTopic, EventTopic and CommandFilter are required")
	}
	if _, err := url.Parse(cfg.Broker); err != nil {
		return nil, fmt.Errorf("uplink: broker %q: %w", cfg.Broker, err)
	}
	if cfg.KeepAlive <= 0 {
		cfg.KeepAlive = 30 * time.Second
	}
	if cfg.Window <= 0 {
		cfg.Window = 32
	}
	if cfg.ReconnectMin <= 0 {
		cfg.ReconnectMin = 500 * time.Millisecond
	}
	if cfg.ReconnectMax < cfg.ReconnectMin {
		cfg.ReconnectMax = 30 * time.Second
	}
	if cfg.AckTimeout <= 0 {
		cfg.AckTimeout = 30 * time.Second
	}
	if cfg.Birth == nil {
		cfg.Birth = func() []byte { return []byte(`{"online":true}`) }
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Uplink{
		cfg:         cfg,
		src:         src,
		log:         log.With("broker", cfg.Broker),
		cmds:        make(chan Command, 16),
		statusDirty: make(chan struct{}, 1),
	}, nil
}

// Commands delivers command messages; the consumer calls Done on each.
func (u *Uplink) Commands() <-chan Command { return u.cmds }

// StatusChanged asks for the retained birth to be published again (device states changed).
func (u *Uplink) StatusChanged() {
	select {
	case u.statusDirty <- struct{}{}:
	default:
	}
}

// Connected reports whether a session is up.
func (u *Uplink) Connected() bool { return u.connected.Load() }

// Stats returns the counters.
func (u *Uplink) Stats() Stats {
	u.mu.Lock()
	last := u.lastConnErr
	u.mu.Unlock()
	return Stats{
		Connected: u.connected.Load(), Connects: u.connects.Load(), Published: u.published.Load(),
		Acked: u.acked.Load(), LastAckSeq: u.lastAckSeq.Load(), LastConnErr: last,
	}
}

// Run connects, publishes and reconnects with jittered exponential backoff until ctx is done.
// On ctx done it waits briefly for the PUBACKs of what is in flight, publishes the shutdown status
// and disconnects; it returns nil then. Run must not be called twice.
func (u *Uplink) Run(ctx context.Context) error {
	backoff := u.cfg.ReconnectMin
	for {
		up, err := u.session(ctx)
		u.connected.Store(false)
		if ctx.Err() != nil {
			return nil
		}
		if up {
			backoff = u.cfg.ReconnectMin
		}
		u.mu.Lock()
		u.lastConnErr = err.Error()
		u.mu.Unlock()
		// Full jitter: a fleet of stations that lost the same broker does not come back in step.
		wait := backoff/2 + rand.N(backoff/2+1)
		u.log.Warn("broker connection: "+err.Error(), "retry_in", wait.Round(time.Millisecond))
		backoff = min(backoff*2, u.cfg.ReconnectMax)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// session runs one connection. up reports whether it got as far as publishing the birth.
func (u *Uplink) session(ctx context.Context) (up bool, err error) {
	lost := make(chan error, 1)
	stop := make(chan struct{}) // closed when the session ends: releases blocked handlers
	var handlers sync.WaitGroup
	handler := func(_ mqtt.Client, m mqtt.Message) {
		handlers.Add(1)
		defer handlers.Done()
		c := Command{Topic: m.Topic(), Payload: m.Payload(), done: make(chan struct{}), acked: make(chan struct{}), once: new(sync.Once)}
		defer close(c.acked)
		select {
		case u.cmds <- c:
		case <-stop:
			return
		}
		// Wait for the consumer: the command is acknowledged only once it was handled durably. A
		// session that ends first leaves it unacknowledged, and the broker delivers it again (the
		// intake de-duplicates by id). Acking from the handler, in paho's router goroutine, is
		// what paho's own auto-ack does.
		select {
		case <-c.done:
			m.Ack()
		case <-stop:
			select {
			case <-c.done: // handled just as the session ended: still worth acknowledging
				m.Ack()
			default:
			}
		}
	}

	opts := mqtt.NewClientOptions().
		AddBroker(u.cfg.Broker).
		SetClientID(u.cfg.ClientID).
		SetCleanSession(false).
		SetAutoReconnect(false).
		SetConnectRetry(false).
		SetResumeSubs(false).
		SetKeepAlive(u.cfg.KeepAlive).
		SetPingTimeout(10 * time.Second).
		SetConnectTimeout(10 * time.Second).
		SetWriteTimeout(10 * time.Second).
		SetStore(mqtt.NewMemoryStore()).
		SetOrderMatters(true).
		SetAutoAckDisabled(true).
		SetDefaultPublishHandler(handler).
		SetConnectionLostHandler(func(_ mqtt.Client, err error) {
			select {
			case lost <- err:
			default:
			}
		})
	if u.cfg.Will != nil {
		opts.SetBinaryWill(u.cfg.StatusTopic, u.cfg.Will, 1, true)
	}
	if u.cfg.Username != "" {
		opts.SetUsername(u.cfg.Username)
		opts.SetPassword(u.cfg.Password)
	}
	if u.cfg.TLS != nil {
		opts.SetTLSConfig(u.cfg.TLS)
	}
	client := mqtt.NewClient(opts)
	var once sync.Once
	release := func() { once.Do(func() { close(stop) }) } // before any Disconnect: a handler blocks paho's router
	defer func() {
		release()
		client.Disconnect(0)
		handlers.Wait()
	}()

	if err := wait(ctx, client.Connect(), 15*time.Second); err != nil {
		return false, fmt.Errorf("connect %s: %w", u.cfg.Broker, explain(err))
	}
	u.connects.Add(1)
	sub := client.Subscribe(u.cfg.CommandFilter, 1, handler)
	if err := wait(ctx, sub, 15*time.Second); err != nil {
		return false, fmt.Errorf("subscribe %s: %w", u.cfg.CommandFilter, err)
	}
	if st, ok := sub.(*mqtt.SubscribeToken); ok {
		for topic, code := range st.Result() {
			if code >= 0x80 {
				return false, fmt.Errorf("subscribe %s: refused by the broker (code %#x): check the broker's ACL for this station's user", topic, code)
			}
		}
	}
	if err := wait(ctx, client.Publish(u.cfg.StatusTopic, 1, true, u.cfg.Birth()), 15*time.Second); err != nil {
		return false, fmt.Errorf("publish birth on %s: %w", u.cfg.StatusTopic, err)
	}
	u.connected.Store(true)
	u.log.Info("connected to broker", "client_id", u.cfg.ClientID)
	err = u.pump(ctx, client, lost)
	if ctx.Err() != nil {
		// Clean shutdown: the offline status replaces the birth, and no will is sent.
		release()
		if u.cfg.Shutdown != nil {
			t := client.Publish(u.cfg.StatusTopic, 1, true, u.cfg.Shutdown)
			if !t.WaitTimeout(time.Second) || t.Error() != nil {
				u.log.Warn("shutdown status not acknowledged by the broker; the will may report the station lost")
			}
		}
		client.Disconnect(250)
		return true, ctx.Err()
	}
	return true, err
}

// statusDelay is how long the pump gathers status changes before publishing the status again.
const statusDelay = 100 * time.Millisecond

// readAhead is how many events the pump reads from the source at once.
const readAhead = 256

type flight struct {
	seq uint64
	tok mqtt.Token
	at  time.Time
}

// pump publishes events in seq order with a window in flight and acknowledges them to the Source
// as their PUBACKs arrive, in order. It returns when the connection is lost or ctx is done.
func (u *Uplink) pump(ctx context.Context, client mqtt.Client, lost <-chan error) error {
	acks := make(chan []uint64, 64)
	ackerDone := make(chan struct{})
	go u.acker(acks, ackerDone)
	defer func() {
		close(acks)
		<-ackerDone
	}()

	cursor := u.ackedUpTo // the highest seq read from the source
	var ahead []Event     // read ahead of the window: one read serves many publishes
	inflight := make([]flight, 0, u.cfg.Window)
	ackTimer := time.NewTimer(u.cfg.AckTimeout)
	defer ackTimer.Stop()
	statusTimer := time.NewTimer(statusDelay)
	statusTimer.Stop()
	defer statusTimer.Stop()
	var statusC <-chan time.Time // statusTimer.C while a status change waits to be published
	for {
		// Fill the window.
		for len(inflight) < u.cfg.Window {
			if len(ahead) == 0 {
				evs, err := u.src.Pending(cursor, max(readAhead, u.cfg.Window))
				if err != nil {
					return fmt.Errorf("read outbox: %w", err)
				}
				if len(evs) == 0 {
					break
				}
				ahead = evs
				cursor = evs[len(evs)-1].Seq
			}
			e := ahead[0]
			ahead = ahead[1:]
			tok := client.Publish(u.cfg.EventTopic(e.Type), 1, false, e.Payload)
			inflight = append(inflight, flight{seq: e.Seq, tok: tok, at: time.Now()})
			u.published.Add(1)
		}
		var head <-chan struct{}
		if len(inflight) > 0 {
			head = inflight[0].tok.Done()
			resetTimer(ackTimer, u.cfg.AckTimeout-time.Since(inflight[0].at))
		}
		select {
		case <-ctx.Done():
			u.settle(client, inflight, acks)
			return ctx.Err()
		case err := <-lost:
			return fmt.Errorf("connection lost: %w", explain(err))
		case <-u.src.Notify():
		case <-u.statusDirty:
			// Coalesce a burst of changes (every device opening at start) into one status.
			if statusC == nil {
				statusTimer.Reset(statusDelay)
				statusC = statusTimer.C
			}
		case <-statusC:
			statusC = nil
			// The retained status is not an event: no need to wait for its PUBACK.
			client.Publish(u.cfg.StatusTopic, 1, true, u.cfg.Birth())
		case <-ackTimer.C:
			if len(inflight) > 0 && time.Since(inflight[0].at) >= u.cfg.AckTimeout {
				return fmt.Errorf("no PUBACK for seq %d within %v: reconnecting", inflight[0].seq, u.cfg.AckTimeout)
			}
		case <-head:
			var done []uint64
			for len(inflight) > 0 && isDone(inflight[0].tok) {
				if err := inflight[0].tok.Error(); err != nil {
					u.sendAcks(acks, done)
					return fmt.Errorf("publish seq %d: %w", inflight[0].seq, err)
				}
				// A nil error on a live connection is a real PUBACK: with a clean session off
				// and no auto-reconnect, paho completes tokens without one only with an error.
				if !client.IsConnectionOpen() {
					u.sendAcks(acks, done)
					return errors.New("connection closed")
				}
				done = append(done, inflight[0].seq)
				inflight = inflight[1:]
			}
			u.sendAcks(acks, done)
		}
	}
}

// settle gives the events in flight a moment to be acknowledged before a clean shutdown, so that
// they are not sent again at the next start.
func (u *Uplink) settle(client mqtt.Client, inflight []flight, acks chan<- []uint64) {
	deadline := time.Now().Add(500 * time.Millisecond)
	var done []uint64
	for _, f := range inflight {
		if !f.tok.WaitTimeout(time.Until(deadline)) || f.tok.Error() != nil || !client.IsConnectionOpen() {
			break
		}
		done = append(done, f.seq)
	}
	u.sendAcks(acks, done)
}

func (u *Uplink) sendAcks(acks chan<- []uint64, seqs []uint64) {
	if len(seqs) == 0 {
		return
	}
	u.ackedUpTo = seqs[len(seqs)-1]
	u.acked.Add(uint64(len(seqs)))
	u.lastAckSeq.Store(u.ackedUpTo)
	acks <- seqs
}

// acker deletes acknowledged events, batching whatever queued up while the previous delete was
// being committed. A failed delete is logged: the event is then sent again (a duplicate the OMS
// drops by id), never lost.
func (u *Uplink) acker(acks <-chan []uint64, done chan<- struct{}) {
	defer close(done)
	for seqs := range acks {
	more:
		for {
			select {
			case s, ok := <-acks:
				if !ok {
					break more
				}
				seqs = append(seqs, s...)
			default:
				break more
			}
		}
		if err := u.src.Ack(seqs...); err != nil {
			u.log.Error("delete acknowledged events from the outbox: "+err.Error(), "first_seq", seqs[0], "count", len(seqs))
		}
	}
}

func isDone(t mqtt.Token) bool {
	select {
	case <-t.Done():
		return true
	default:
		return false
	}
}

func resetTimer(t *time.Timer, d time.Duration) {
	if d < time.Millisecond {
		d = time.Millisecond
	}
	t.Reset(d)
}

// wait waits for a token, ctx or a timeout.
func wait(ctx context.Context, t mqtt.Token, timeout time.Duration) error {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-t.Done():
		return t.Error()
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return fmt.Errorf("no answer within %v", timeout)
	}
}

// explain adds the fix to the connection errors a technician meets.
func explain(err error) error {
	if err == nil {
		return nil
	}
	s := err.Error()
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var ci x509.CertificateInvalidError
	switch {
	case errors.As(err, &ua) || strings.Contains(s, "certificate signed by unknown authority"):
		return fmt.Errorf("%w: the broker's certificate is not signed by a trusted CA: set mqtt.tls.ca_file to the CA that signed it", err)
	case errors.As(err, &hn) || strings.Contains(s, "certificate is valid for"):
		return fmt.Errorf("%w: the broker's certificate does not name this host: use the name it was issued for in mqtt.broker, or set mqtt.tls.server_name", err)
	case errors.As(err, &ci) || strings.Contains(s, "certificate has expired"):
		return fmt.Errorf("%w: the broker's certificate is invalid or expired: renew it", err)
	case strings.Contains(s, "connection refused"):
		return fmt.Errorf("%w: is the broker running and listening on that port? check mqtt.broker", err)
	case strings.Contains(s, "not Authorized") || strings.Contains(s, "bad user name or password"):
		return fmt.Errorf("%w: check mqtt.username and the password in mqtt.password_file", err)
	case strings.Contains(s, "identifier rejected"):
		return fmt.Errorf("%w: the broker refused the client id: check mqtt.client_id", err)
	case strings.Contains(s, "no such host"):
		return fmt.Errorf("%w: the broker's host name does not resolve: check mqtt.broker and DNS", err)
	}
	return err
}

// TLSConfig builds a client TLS configuration with verification on: caFile adds the CA that
// signed the broker's certificate (else the system roots), certFile and keyFile give a client
// certificate for mutual TLS, serverName overrides the name checked in the broker's certificate.
// There is deliberately no way to turn verification off.
func TLSConfig(caFile, certFile, keyFile, serverName string) (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: serverName}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("mqtt.tls.ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("mqtt.tls.ca_file %s: no PEM certificate in it", caFile)
		}
		c.RootCAs = pool
	}
	if certFile != "" || keyFile != "" {
		if certFile == "" || keyFile == "" {
			return nil, errors.New("mqtt.tls: cert_file and key_file go together")
		}
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("mqtt.tls.cert_file/key_file: %w", err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}
