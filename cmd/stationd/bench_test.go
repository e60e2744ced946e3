package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stationd/stationd/agent/broker/mosquitto"
)

// BenchmarkStartToBirth measures from starting the binary to its retained birth on Mosquitto.
func BenchmarkStartToBirth(b *testing.B) {
	bin := binary(b)
	m := mosquitto.Start(b, mosquitto.Options{})
	cfg := writeConfig(b, m.URL("tcp"), b.TempDir(), "")
	var total time.Duration
	for i := 0; i < b.N; i++ {
		o := newOMSID(b, m.URL("tcp"), fmt.Sprintf("oms-birth-%d", i))
		// Clear the retained status so that only this run's birth counts.
		o.c.Publish(prefix+"/status", 1, true, []byte{}).Wait()
		startAt := time.Now()
		p := start(b, bin, cfg)
		for !strings.Contains(o.lastStatus(), `"online":true`) {
			if time.Since(startAt) > 10*time.Second {
				b.Fatal("no birth within 10 s")
			}
			time.Sleep(time.Millisecond)
		}
		total += time.Since(startAt)
		p.cmd.Process.Signal(syscall.SIGTERM)
		<-p.done
		o.c.Disconnect(0)
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms-to-birth")
}

// BenchmarkSteadyState runs the binary with simulated devices and one event per second (a ping
// answered by a command.result) and reports its resident memory and CPU use.
func BenchmarkSteadyState(b *testing.B) {
	bin := binary(b)
	m := mosquitto.Start(b, mosquitto.Options{})
	cfg := writeConfig(b, m.URL("tcp"), b.TempDir(), "")
	o := newOMSID(b, m.URL("tcp"), "oms-steady")
	p := start(b, bin, cfg)
	defer func() { p.cmd.Process.Signal(syscall.SIGTERM); <-p.done }()
	for !strings.Contains(o.lastStatus(), `"online":true`) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(2 * time.Second) // settle
	pid := p.cmd.Process.Pid
	cpu0, at0 := cpuTicks(pid), time.Now()
	secs := 20
	if testing.Short() {
		secs = 5
	}
	for i := 0; i < b.N*secs; i++ {
		o.ping(fmt.Sprintf("steady-%d", i))
		time.Sleep(time.Second)
	}
	cpu := float64(cpuTicks(pid)-cpu0) / 100 / time.Since(at0).Seconds() * 100 // USER_HZ = 100
	b.ReportMetric(float64(rssKB(pid))/1024, "MB-rss")
	b.ReportMetric(cpu, "%cpu")
}

func cpuTicks(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return u + s
}

func rssKB(pid int) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			return n
		}
	}
	return 0
}
