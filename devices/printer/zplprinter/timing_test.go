package zplprinter

import (
	"context"
	"errors"
	"net"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stationd/stationd/devices/printer"
	"github.com/stationd/stationd/devices/printer/printertest"
	"github.com/stationd/stationd/devices/printer/transport"
)

// pipeConn is a transport.Conn over net.Pipe, so that the status timeouts run on synctest's
// fake clock: a goroutine blocked on a pipe is durably blocked, one blocked on a socket is not.
type pipeConn struct{ net.Conn }

// Drain reads whatever the printer is offering within a millisecond (of fake time).
func (c pipeConn) Drain() (bool, error) {
	buf := make([]byte, 512)
	for {
		c.SetReadDeadline(time.Now().Add(time.Millisecond))
		_, err := c.Read(buf)
		if err != nil {
			if transport.IsTimeout(err) {
				return false, nil
			}
			return true, nil
		}
	}
}

// pipes hands the test each printer end of the connections the driver dials.
var pipes = struct {
	sync.Mutex
	serve func(net.Conn)
}{}

func init() {
	transport.Register("pipe:", transport.Transport{
		Readable: true,
		Validate: func(string) error { return nil },
		Dial: func(context.Context, string) (transport.Conn, error) {
			a, b := net.Pipe()
			pipes.Lock()
			serve := pipes.serve
			pipes.Unlock()
			if serve == nil {
				return nil, errors.New("no pipe printer")
			}
			serve(b)
			return pipeConn{a}, nil
		},
	})
}

// TestStatusTimeouts checks, on a fake clock, that a printer that keeps quiet to ~HS is asked
// ~HQES once status_timeout has passed, and that a silent one is reported offline after
// status_timeout twice, never treated as ready.
func TestStatusTimeouts(t *testing.T) {
	for _, tc := range []struct {
		name   string
		state  printertest.State
		reason string
		after  time.Duration
	}{
		{"answers", printertest.State{}, "", 0},
		{"head open, recent firmware", printertest.State{HeadOpen: true, QuietWhenFaulted: true}, printer.ReasonHeadOpen, time.Second},
		{"silent", printertest.State{Silent: true}, printer.ReasonOffline, 2 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				fake := printertest.New()
				fake.SetState(func(s *printertest.State) { *s = tc.state })
				var wg sync.WaitGroup
				var conns []net.Conn
				pipes.Lock()
				pipes.serve = func(c net.Conn) {
					conns = append(conns, c)
					wg.Add(1)
					go func() {
						defer wg.Done()
						fake.Serve(c)
					}()
				}
				pipes.Unlock()
				p := open(t, "pipe:printer", map[string]any{"status_timeout": "1s"})
				start := time.Now()
				err := p.Print(context.Background(), []byte(job))
				elapsed := time.Since(start)
				if printer.Reason(err) != tc.reason {
					t.Errorf("Print = %v, want %q", err, tc.reason)
				}
				// The drains before each query take a millisecond each.
				if elapsed < tc.after || elapsed > tc.after+10*time.Millisecond {
					t.Errorf("Print took %v, want %v", elapsed, tc.after)
				}
				want := map[string][]string{
					"":                     {"~HS", "~HS"},
					printer.ReasonHeadOpen: {"~HS", "~HQES"},
					printer.ReasonOffline:  {"~HS", "~HQES"},
				}[tc.reason]
				if got := fake.Commands(); !slices.Equal(got, want) {
					t.Errorf("commands %v, want %v", got, want)
				}
				p.Close()
				for _, c := range conns {
					c.Close()
				}
				wg.Wait()
			})
		})
	}
	pipes.Lock()
	pipes.serve = nil
	pipes.Unlock()
}
