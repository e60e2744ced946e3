package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/stationd/stationd/agent/broker/mosquitto"
)

// These tests drive the built binary the way the acceptance suite does: a real Mosquitto on a
// free loopback port, the contract's topics, signals.

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

func binary(t testing.TB) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "stationd-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "stationd")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

func writeConfig(t testing.TB, broker, dir string, extra string) string {
	t.Helper()
	cfg := fmt.Sprintf(`site: E2E
station: st-1
roles: [pack]
mqtt:
  broker: %s
  reconnect_max: 1s
storage:
  dir: %s
devices:
  - {name: scanner1, kind: scanner, driver: sim}
  - {name: scale1, kind: scale, driver: sim}
  - {name: printer1, kind: printer, driver: sim}
pack:
  scanner: scanner1
  scale: scale1
  printer: printer1
  boxes:
    - {id: BOX-S, inner_mm: [250, 200, 100], outer_mm: [260, 210, 110], tare_g: 120}
%s`, broker, filepath.Join(dir, "state"), extra)
	p := filepath.Join(dir, "station.yaml")
	if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// oms is a paho client standing in for the OMS.
type oms struct {
	c      mqtt.Client
	mu     sync.Mutex
	bySeq  map[uint64]string
	order  []uint64
	status []string
}

const prefix = "wh/v1/E2E/st-1"

func newOMS(t testing.TB, url string) *oms { return newOMSID(t, url, "oms-e2e") }

func newOMSID(t testing.TB, url, id string) *oms {
	t.Helper()
	o := &oms{bySeq: map[uint64]string{}}
	c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(url).SetClientID(id).SetCleanSession(false).
		SetAutoReconnect(true).SetOrderMatters(true))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("oms connect: %v", tok.Error())
	}
	c.Subscribe(prefix+"/evt/+", 1, func(_ mqtt.Client, m mqtt.Message) {
		var ev struct{ Seq uint64 }
		json.Unmarshal(m.Payload(), &ev)
		o.mu.Lock()
		defer o.mu.Unlock()
		if prev, ok := o.bySeq[ev.Seq]; ok {
			if prev != string(m.Payload()) {
				t.Errorf("seq %d re-sent with different content:\n%s\n%s", ev.Seq, prev, m.Payload())
			}
			return
		}
		o.bySeq[ev.Seq] = string(m.Payload())
		o.order = append(o.order, ev.Seq)
	}).Wait()
	c.Subscribe(prefix+"/status", 1, func(_ mqtt.Client, m mqtt.Message) {
		o.mu.Lock()
		o.status = append(o.status, string(m.Payload()))
		o.mu.Unlock()
	}).Wait()
	o.c = c
	t.Cleanup(func() { c.Disconnect(0) })
	return o
}

func (o *oms) lastStatus() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.status) == 0 {
		return ""
	}
	return o.status[len(o.status)-1]
}

func (o *oms) maxSeq() uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	var m uint64
	for s := range o.bySeq {
		m = max(m, s)
	}
	return m
}

// checkSeq asserts that seq 1..n all arrived and first arrivals were in increasing order.
func (o *oms) checkSeq(t *testing.T) uint64 {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	var n uint64
	for _, s := range o.order {
		if s != n+1 {
			t.Fatalf("first arrival of seq %d after %d: gap or reordering (%d events)", s, n, len(o.order))
		}
		n = s
	}
	return n
}

func (o *oms) ping(id string) {
	o.c.Publish(prefix+"/cmd/station.ping", 1, false, fmt.Sprintf(`{"v":1,"id":%q,"type":"station.ping","data":{}}`, id))
}

func waitFor(t testing.TB, what string, d time.Duration, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type proc struct {
	cmd    *exec.Cmd
	stderr *lockedWriter
	done   chan error
}

func start(t testing.TB, bin, cfg string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(bin, "run", "--config", cfg), stderr: &lockedWriter{w: &bytes.Buffer{}}, done: make(chan error, 1)}
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		if t.Failed() {
			t.Logf("stationd stderr:\n%s", p.stderr.String())
		}
	})
	return p
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.String()
}

// TestMain removes the binary built for the end-to-end tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

func TestE2ESigtermPublishesOfflineAndExits(t *testing.T) {
	bin := binary(t)
	m := mosquitto.Start(t, mosquitto.Options{})
	o := newOMS(t, m.URL("tcp"))
	cfg := writeConfig(t, m.URL("tcp"), t.TempDir(), "")
	p := start(t, bin, cfg)
	waitFor(t, "birth", 10*time.Second, func() bool { return strings.Contains(o.lastStatus(), `"online":true`) })
	o.ping("e2e-ping-1")
	waitFor(t, "command.result", 10*time.Second, func() bool { return o.maxSeq() >= 1 })

	at := time.Now()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
		if el := time.Since(at); el > 5*time.Second {
			t.Errorf("exit took %v, want under 5 s", el)
		}
	case <-time.After(6 * time.Second):
		t.Fatal("no exit within 6 s of SIGTERM")
	}
	waitFor(t, "offline status", 5*time.Second, func() bool {
		return o.lastStatus() == `{"online":false,"reason":"shutdown"}`
	})
}

func TestE2EKillNineNeverLosesOrInvents(t *testing.T) {
	if testing.Short() {
		t.Skip("kill -9 rounds take a while")
	}
	bin := binary(t)
	m := mosquitto.Start(t, mosquitto.Options{})
	o := newOMS(t, m.URL("tcp"))
	dir := t.TempDir()
	cfg := writeConfig(t, m.URL("tcp"), dir, "")

	// Commands flow all along; each gets a command.result event.
	stop := make(chan struct{})
	var pingers sync.WaitGroup
	pingers.Add(1)
	go func() {
		defer pingers.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(3 * time.Millisecond):
				o.ping(fmt.Sprintf("k9-%d", i))
			}
		}
	}()
	for round := 0; round < 10; round++ {
		p := start(t, bin, cfg)
		time.Sleep(time.Duration(150+rand.IntN(450)) * time.Millisecond)
		p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
	}
	close(stop)
	pingers.Wait()
	// A last, clean run delivers whatever the killed ones left in the outbox.
	p := start(t, bin, cfg)
	time.Sleep(500 * time.Millisecond)
	p.cmd.Process.Signal(syscall.SIGTERM)
	<-p.done
	n := o.checkSeq(t)
	if n < 20 {
		t.Fatalf("only %d events in 10 rounds: the test did not exercise anything", n)
	}
	t.Logf("%d events over 11 runs, seq 1..%d without a gap", n, n)
}

func TestE2EBadConfigTouchesNothing(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	cfg := writeConfig(t, "tcp://127.0.0.1:1", dir, "telemetry: {scans: maybe}\n")
	out, err := exec.Command(bin, "run", "--config", cfg).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() == 0 {
		t.Fatalf("exit: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "station.yaml:") || !strings.Contains(string(out), "telemetry.scans") {
		t.Errorf("output:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "state")); err == nil {
		t.Error("storage dir created despite a bad config")
	}
}
