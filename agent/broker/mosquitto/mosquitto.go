// Package mosquitto starts a real Mosquitto 2 broker for interoperability tests, on a free
// 127.0.0.1 port with its own config in a temporary directory. When CI is set and mosquitto is not
// installed the test fails with the command to install it; elsewhere it is skipped with that reason.
package mosquitto

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Broker is a running mosquitto process.
type Broker struct {
	t    testing.TB
	bin  string
	conf string
	Addr string // 127.0.0.1:port
	Dir  string

	mu  sync.Mutex // guards cmd
	cmd *exec.Cmd

	logMu sync.Mutex
	log   strings.Builder
}

// Options adds listener settings; zero value: plain TCP, anonymous allowed.
type Options struct {
	// Extra lines appended to the listener block (e.g. TLS settings).
	Extra []string
	// Scheme of the URL: "tcp" (default) or "ssl".
	Scheme string
}

// Find returns mosquitto's path or fails/skips the test.
func Find(t testing.TB) string {
	t.Helper()
	for _, p := range []string{"mosquitto", "/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	msg := "mosquitto not installed: apt-get install -y mosquitto (Debian), or run .ci/run"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// Start runs mosquitto on a free loopback port and stops it when the test ends.
func Start(t testing.TB, o Options) *Broker {
	t.Helper()
	bin := Find(t)
	// mosquitto started as root drops to its own user, which must be able to reach and write its
	// directory: t.TempDir's parent is private, so the directory sits directly in the temp dir.
	dir, err := os.MkdirTemp("", "stationd-mosquitto-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o777)
	t.Cleanup(func() { os.RemoveAll(dir) })
	port := freePort(t)
	conf := filepath.Join(dir, "mosquitto.conf")
	lines := []string{
		"per_listener_settings false",
		"allow_anonymous true",
		"persistence true",
		"persistence_location " + dir + "/",
		"autosave_interval 1",
		"max_queued_messages 0",
		"max_inflight_messages 0",
		fmt.Sprintf("listener %d 127.0.0.1", port),
	}
	lines = append(lines, o.Extra...)
	if err := os.WriteFile(conf, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	b := &Broker{t: t, bin: bin, conf: conf, Addr: fmt.Sprintf("127.0.0.1:%d", port), Dir: dir}
	b.Restart()
	t.Cleanup(func() {
		b.Stop()
		if t.Failed() {
			b.logMu.Lock()
			t.Logf("mosquitto log:\n%s", b.log.String())
			b.logMu.Unlock()
		}
	})
	return b
}

// URL returns the broker URL for the given scheme ("tcp" when empty).
func (b *Broker) URL(scheme string) string {
	if scheme == "" {
		scheme = "tcp"
	}
	return scheme + "://" + b.Addr
}

// Stop stops the broker (SIGTERM, so that it saves its persistent sessions) and waits for it.
func (b *Broker) Stop() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cmd == nil {
		return
	}
	b.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { b.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		b.cmd.Process.Kill()
		<-done
	}
	b.cmd = nil
}

// Restart starts the broker again on the same port and waits until it accepts connections.
func (b *Broker) Restart() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cmd != nil {
		return
	}
	cmd := exec.Command(b.bin, "-c", b.conf)
	out, _ := cmd.StderrPipe()
	cmd.Stdout = cmd.Stderr
	if err := cmd.Start(); err != nil {
		b.t.Fatalf("start mosquitto: %v", err)
	}
	go func() {
		s := bufio.NewScanner(out)
		for s.Scan() {
			b.logMu.Lock()
			b.log.WriteString(s.Text() + "\n")
			b.logMu.Unlock()
		}
	}()
	b.cmd = cmd
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", b.Addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("mosquitto did not listen on %s within 10 s", b.Addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func freePort(t testing.TB) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
