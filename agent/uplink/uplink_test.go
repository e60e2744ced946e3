package uplink

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/stationd/stationd/agent/broker"
	"github.com/stationd/stationd/agent/broker/mosquitto"
)

// memSource is an in-memory outbox.
type memSource struct {
	mu     sync.Mutex
	events map[uint64]Event
	next   uint64
	notify chan struct{}
	acks   int
}

func newMemSource() *memSource {
	return &memSource{events: map[uint64]Event{}, next: 1, notify: make(chan struct{}, 1)}
}

func (m *memSource) add(n int) {
	m.mu.Lock()
	for i := 0; i < n; i++ {
		seq := m.next
		m.next++
		m.events[seq] = Event{Seq: seq, Type: "test.event", Payload: []byte(fmt.Sprintf(`{"seq":%d,"id":"id-%d"}`, seq, seq))}
	}
	m.mu.Unlock()
	select {
	case m.notify <- struct{}{}:
	default:
	}
}

func (m *memSource) Pending(after uint64, max int) ([]Event, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var seqs []uint64
	for s := range m.events {
		if s > after {
			seqs = append(seqs, s)
		}
	}
	sort.Slice(seqs, func(i, j int) bool { return seqs[i] < seqs[j] })
	if len(seqs) > max {
		seqs = seqs[:max]
	}
	out := make([]Event, len(seqs))
	for i, s := range seqs {
		out[i] = m.events[s]
	}
	return out, nil
}

func (m *memSource) Ack(seqs ...uint64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, s := range seqs {
		delete(m.events, s)
		m.acks++
	}
	return nil
}

func (m *memSource) Notify() <-chan struct{} { return m.notify }

func (m *memSource) left() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.events)
}

// subscriber records what reaches the broker.
type subscriber struct {
	mu     sync.Mutex
	seqs   []uint64
	status []string
	cmds   mqtt.Client
}

func subscribe(t *testing.T, url string) *subscriber {
	t.Helper()
	s := &subscriber{}
	opts := mqtt.NewClientOptions().AddBroker(url).SetClientID(fmt.Sprintf("oms-%d", time.Now().UnixNano())).
		SetCleanSession(false).SetAutoReconnect(true).SetConnectRetry(true).SetConnectRetryInterval(50 * time.Millisecond).
		SetMaxReconnectInterval(100 * time.Millisecond).
		SetOnConnectHandler(func(c mqtt.Client) {
			c.Subscribe("wh/v1/T/s1/evt/#", 1, func(_ mqtt.Client, m mqtt.Message) {
				var v struct{ Seq uint64 }
				json.Unmarshal(m.Payload(), &v)
				s.mu.Lock()
				s.seqs = append(s.seqs, v.Seq)
				s.mu.Unlock()
			})
			c.Subscribe("wh/v1/T/s1/status", 1, func(_ mqtt.Client, m mqtt.Message) {
				s.mu.Lock()
				s.status = append(s.status, string(m.Payload()))
				s.mu.Unlock()
			})
		})
	c := mqtt.NewClient(opts)
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscriber connect: %v", tok.Error())
	}
	s.cmds = c
	t.Cleanup(func() { c.Disconnect(0) })
	return s
}

// check asserts that the subscriber saw 1..n in order, where any repetition is a re-send of a
// suffix (after a reconnect), never a gap or a reordering of first deliveries.
func (s *subscriber) check(t *testing.T, n uint64) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var max uint64
	for _, q := range s.seqs {
		if q > max+1 {
			t.Fatalf("gap: got seq %d after highest %d (sequence %v)", q, max, s.seqs)
		}
		if q == max+1 {
			max = q
		}
	}
	if max != n {
		t.Fatalf("highest contiguous seq %d, want %d", max, n)
	}
}

func (s *subscriber) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.seqs)
}

func newTestUplink(t *testing.T, url string, src Source) *Uplink {
	u, err := New(Config{
		Broker: url, ClientID: "T-s1", Window: 8,
		ReconnectMin: 20 * time.Millisecond, ReconnectMax: 100 * time.Millisecond,
		StatusTopic:   "wh/v1/T/s1/status",
		EventTopic:    func(typ string) string { return "wh/v1/T/s1/evt/" + typ },
		CommandFilter: "wh/v1/T/s1/cmd/+",
		Birth:         func() []byte { return []byte(`{"online":true}`) },
		Will:          []byte(`{"online":false,"reason":"lost"}`),
		Shutdown:      []byte(`{"online":false,"reason":"shutdown"}`),
	}, src)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func eventually(t *testing.T, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func runUplink(t *testing.T, u *Uplink) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- u.Run(ctx) }()
	var once sync.Once
	return func() {
		once.Do(func() { stopRun(t, cancel, done) })
	}
}

func stopRun(t *testing.T, cancel func(), done chan error) {
	{
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Run did not return within 5 s of cancel")
		}
	}
}

func TestPublishInOrderInProcess(t *testing.T) {
	b, err := broker.Start("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	sub := subscribe(t, b.URL())
	src := newMemSource()
	src.add(100)
	u := newTestUplink(t, b.URL(), src)
	stop := runUplink(t, u)
	eventually(t, "all acked", func() bool { return src.left() == 0 })
	src.add(50)
	eventually(t, "second batch acked", func() bool { return src.left() == 0 })
	eventually(t, "150 received", func() bool { return sub.count() >= 150 })
	stop()
	sub.check(t, 150)
	eventually(t, "shutdown status", func() bool {
		sub.mu.Lock()
		defer sub.mu.Unlock()
		return len(sub.status) > 0 && sub.status[len(sub.status)-1] == `{"online":false,"reason":"shutdown"}`
	})
}

func TestBrokerRestartMosquitto(t *testing.T) {
	m := mosquitto.Start(t, mosquitto.Options{})
	sub := subscribe(t, m.URL("tcp"))
	src := newMemSource()
	u := newTestUplink(t, m.URL("tcp"), src)
	stop := runUplink(t, u)
	defer stop()
	src.add(200)
	eventually(t, "first batch acked", func() bool { return src.left() == 0 })

	m.Stop()
	src.add(300) // waits in the outbox
	time.Sleep(200 * time.Millisecond)
	if src.left() != 300 {
		t.Fatalf("%d events left with the broker down, want 300", src.left())
	}
	m.Restart()
	eventually(t, "backlog acked", func() bool { return src.left() == 0 })
	eventually(t, "500 received", func() bool { return sub.count() >= 500 })
	sub.check(t, 500)
}

func TestCommandsAckedAfterDone(t *testing.T) {
	m := mosquitto.Start(t, mosquitto.Options{})
	src := newMemSource()
	u := newTestUplink(t, m.URL("tcp"), src)
	stop := runUplink(t, u)
	eventually(t, "connected", u.Connected)
	pub := subscribe(t, m.URL("tcp")).cmds
	pub.Publish("wh/v1/T/s1/cmd/station.ping", 1, false, `{"id":"c1"}`).Wait()
	var c Command
	select {
	case c = <-u.Commands():
	case <-time.After(10 * time.Second):
		t.Fatal("no command")
	}
	if c.Topic != "wh/v1/T/s1/cmd/station.ping" || string(c.Payload) != `{"id":"c1"}` {
		t.Fatalf("command %q %q", c.Topic, c.Payload)
	}
	// Not marked done: after a restart of the station, the broker delivers it again.
	stop()
	u2 := newTestUplink(t, m.URL("tcp"), src)
	stop2 := runUplink(t, u2)
	defer stop2()
	select {
	case c = <-u2.Commands():
		c.Done()
	case <-time.After(10 * time.Second):
		t.Fatal("command not redelivered after the station came back")
	}
	// Queued while offline: delivered after reconnect.
	stop2()
	pub.Publish("wh/v1/T/s1/cmd/station.ping", 1, false, `{"id":"c2"}`).Wait()
	u3 := newTestUplink(t, m.URL("tcp"), src)
	stop3 := runUplink(t, u3)
	defer stop3()
	// c1's acknowledgement may still have been on its way when the station stopped: the broker
	// may deliver it once more (the intake de-duplicates by id); c2 must come.
	for got := ""; got != `{"id":"c2"}`; {
		select {
		case c = <-u3.Commands():
			got = string(c.Payload)
			if got != `{"id":"c1"}` && got != `{"id":"c2"}` {
				t.Fatalf("got %s, want c2", got)
			}
			c.Done()
		case <-time.After(10 * time.Second):
			t.Fatal("command queued while offline not delivered")
		}
	}
}
