package outbox

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// crashEnv names the file TestCrashChild works on; set only in TestCrash's children.
const crashEnv = "OUTBOX_CRASH_CHILD"

var crashBucket = []byte("crash")

// TestCrash kills a process that is appending, updating and acking with SIGKILL at random
// moments, and after each kill reopens the file and checks it: Check passes (intact envelopes,
// totals, LastSeq = stored + acked), every append the child saw succeed is there unless it was
// acked, every seq up to LastSeq is stored or was acked, and every Update's key-value write
// agrees with its event.
func TestCrash(t *testing.T) {
	rounds := 12
	if testing.Short() {
		rounds = 3
	}
	path := tempPath(t)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0))
	ackedEver := map[uint64]bool{} // seqs a child was about to ack, all rounds

	for round := range rounds {
		killAfter := 0 // appends seen before the kill; 0: right after start
		if round > 0 {
			killAfter = 1 + rng.IntN(400)
		}
		start := time.Now()
		appended, err := crashRound(t, path, killAfter, ackedEver)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}

		s, err := Open(path, testOptions())
		if err != nil {
			t.Fatalf("round %d: reopen after kill: %v", round, err)
		}
		if err := s.Check(); err != nil {
			t.Errorf("round %d: %v", round, err)
		}
		st := s.Stats()
		stored := map[uint64]Record{}
		for _, r := range pendingAll(t, s) {
			stored[r.Seq] = r
		}
		for _, seq := range appended {
			if seq > st.LastSeq {
				t.Errorf("round %d: append of seq %d returned nil but last seq is %d", round, seq, st.LastSeq)
			}
			if _, ok := stored[seq]; !ok && !ackedEver[seq] {
				t.Errorf("round %d: seq %d, durably appended and never acked, is gone", round, seq)
			}
		}
		for seq := uint64(1); seq <= st.LastSeq; seq++ {
			if _, ok := stored[seq]; !ok && !ackedEver[seq] {
				t.Errorf("round %d: seq %d neither stored nor acked", round, seq)
			}
		}
		err = s.View(func(tx *Tx) error {
			for seq, r := range stored {
				if r.Type != "crash.kv" {
					continue
				}
				if v := tx.Get(crashBucket, binary.BigEndian.AppendUint64(nil, seq)); string(v) != r.ID {
					t.Errorf("round %d: event %d committed without its key-value write (%q)", round, seq, v)
				}
			}
			return tx.ForEach(crashBucket, func(k, v []byte) error {
				seq := binary.BigEndian.Uint64(k)
				r, ok := stored[seq]
				if ok && (r.Type != "crash.kv" || r.ID != string(v)) {
					t.Errorf("round %d: key-value write for seq %d names %s, the event is %s %s", round, seq, v, r.Type, r.ID)
				}
				if !ok && !ackedEver[seq] {
					t.Errorf("round %d: key-value write for seq %d without its event", round, seq)
				}
				return nil
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("round %d (%v): killed after %d appends seen; last seq %d, %d stored, %d acked", round, time.Since(start).Round(time.Millisecond), len(appended), st.LastSeq, st.Events, st.Acked)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// crashRound runs one child on path and kills it once it has reported killAfter appends. It
// returns the seqs of the appends the child saw succeed and adds to acked the seqs it was about
// to ack.
func crashRound(t *testing.T, path string, killAfter int, acked map[uint64]bool) ([]uint64, error) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1", "-test.timeout=0")
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe() // the child exits when this closes, should the test die
	if err != nil {
		return nil, err
	}
	defer stdin.Close()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	var once sync.Once
	kill := func() { once.Do(func() { cmd.Process.Kill() }) } // SIGKILL
	if killAfter == 0 {
		kill()
	}
	// Past killAfter, the kill comes at a random moment of the next few commits.
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	var appended []uint64
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 1 {
			continue
		}
		switch f[0] {
		case "A", "K":
			seq, err := strconv.ParseUint(f[1], 10, 64)
			if err != nil {
				kill()
				return nil, fmt.Errorf("child said %q", sc.Text())
			}
			if f[0] == "A" {
				appended = append(appended, seq)
			} else {
				acked[seq] = true
			}
		case "E":
			kill()
			return nil, fmt.Errorf("child: %s", sc.Text())
		}
		if len(appended) >= killAfter && timer == nil {
			timer = time.AfterFunc(time.Duration(rand.IntN(3000))*time.Microsecond, kill)
		}
	}
	kill()
	err = cmd.Wait()
	if err == nil || !strings.Contains(err.Error(), "killed") {
		return nil, fmt.Errorf("child ended by itself: %v\n%s", err, stderr.Bytes())
	}
	return appended, nil
}

// TestCrashChild is TestCrash's child: four goroutines append, update and ack until the process
// is killed. It writes "A seq" after each append returns nil and "K seq" before acking seq.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("run by TestCrash")
	}
	o := testOptions()
	o.LockTimeout = 10 * time.Second
	s, err := Open(path, o)
	if err != nil {
		fmt.Printf("E %v\n", err)
		os.Exit(1)
	}
	var mu sync.Mutex
	say := func(format string, args ...any) {
		mu.Lock()
		fmt.Fprintf(os.Stdout, format+"\n", args...)
		mu.Unlock()
	}
	fail := func(err error) {
		say("E %v", err)
		os.Exit(1)
	}
	ctx := context.Background()
	for g := range 4 {
		go func() {
			rng := rand.New(rand.NewPCG(uint64(g), uint64(time.Now().UnixNano())))
			for i := 0; ; i++ {
				switch r := rng.IntN(100); {
				case r < 60:
					rec, err := s.Append(ctx, Event{Type: "crash.evt", Telemetry: r < 20,
						Data: map[string]any{"g": g, "i": i, "pad": strings.Repeat("c", rng.IntN(400))}})
					if err != nil {
						fail(err)
					}
					say("A %d", rec.Seq)
				case r < 85:
					var rec Record
					err := s.Update(ctx, func(tx *Tx) error {
						var err error
						if rec, err = tx.Append(Event{Type: "crash.kv", Data: map[string]int{"g": g, "i": i}}); err != nil {
							return err
						}
						return tx.Put(crashBucket, binary.BigEndian.AppendUint64(nil, rec.Seq), []byte(rec.ID))
					})
					if err != nil {
						fail(err)
					}
					say("A %d", rec.Seq)
				default:
					recs, err := s.Pending(uint64(rng.IntN(50)), 1+rng.IntN(20))
					if err != nil {
						fail(err)
					}
					var seqs []uint64
					for _, r := range recs {
						if rng.IntN(2) == 0 {
							say("K %d", r.Seq)
							seqs = append(seqs, r.Seq)
						}
					}
					if err := s.Ack(seqs...); err != nil {
						fail(err)
					}
				}
			}
		}()
	}
	io.Copy(io.Discard, os.Stdin) // until the parent goes away
	os.Exit(3)
}
