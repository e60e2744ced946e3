package scaletest

import (
	"errors"
	"io"
	"os"
	"sync"
	"syscall"
	"testing"

	"github.com/creack/pty"
)

// PTY opens a pseudo-terminal pair for a simulated serial scale. It returns the controlling side,
// where the simulator reads the driver's commands and writes the scale's answers, and the path of
// the terminal side, which the driver opens with devices/serialport like any serial port.
// Closing the controlling side is pulling the cable. Both are closed when the test ends; the
// test is skipped where the system has no pseudo-terminals.
func PTY(t testing.TB) (*os.File, string) {
	t.Helper()
	master, term, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	// creack/pty leaves the controlling side in blocking mode, where Close does not end a pending
	// Read. A non-blocking duplicate goes through the runtime poller, so closing it does.
	ctl, err := pollable(master)
	master.Close()
	if err != nil {
		term.Close()
		t.Fatal(err)
	}
	// Keep the terminal side open until the end, so that the simulator's writes before the
	// driver opens the path are not refused; the driver sets its own line settings.
	t.Cleanup(func() {
		ctl.Close()
		term.Close()
	})
	return ctl, term.Name()
}

// Server is a simulated device on the controlling side of a PTY: it cuts what the driver writes
// into commands with split and writes each chunk respond returns, in order, as a separate write.
type Server struct {
	ctl  *os.File
	done chan struct{}
	once sync.Once
}

// Serve starts a Server on ctl; it stops when ctl is closed (Unplug or the end of the test) and
// the test's cleanup waits for it.
func Serve(t testing.TB, ctl *os.File, split func([]byte) (int, []byte), respond func(cmd []byte) [][]byte) *Server {
	s := &Server{ctl: ctl, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		var buf []byte
		b := make([]byte, 256)
		for {
			n, err := ctl.Read(b)
			buf = append(buf, b[:n]...)
			for len(buf) > 0 {
				adv, cmd := split(buf)
				if adv <= 0 {
					break
				}
				if cmd != nil {
					for _, chunk := range respond(append([]byte(nil), cmd...)) {
						if _, err := ctl.Write(chunk); err != nil {
							return
						}
					}
				}
				buf = buf[adv:]
			}
			if err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, os.ErrClosed) {
					t.Logf("simulator: %v", err)
				}
				return
			}
		}
	}()
	t.Cleanup(s.Unplug)
	return s
}

// Unplug closes the controlling side, as if the cable were pulled, and waits for the Server.
func (s *Server) Unplug() {
	s.once.Do(func() { s.ctl.Close() })
	<-s.done
}

// Write sends b unasked (a streaming scale, or garbage).
func (s *Server) Write(b []byte) error {
	_, err := s.ctl.Write(b)
	return err
}

// SplitBytes cuts commands of one byte each.
func SplitBytes(b []byte) (int, []byte) { return 1, b[:1] }

// SplitCRLF cuts commands ending in LF (CR LF), without the terminator.
func SplitCRLF(b []byte) (int, []byte) {
	for i, c := range b {
		if c == '\n' {
			cmd := b[:i]
			if len(cmd) > 0 && cmd[len(cmd)-1] == '\r' {
				cmd = cmd[:len(cmd)-1]
			}
			return i + 1, cmd
		}
	}
	return 0, nil
}

// pollable returns a non-blocking duplicate of f that the runtime poller serves.
func pollable(f *os.File) (*os.File, error) {
	raw, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	var (
		fd   int
		derr error
	)
	if err := raw.Control(func(old uintptr) { fd, derr = syscall.Dup(int(old)) }); err != nil {
		return nil, err
	}
	if derr != nil {
		return nil, derr
	}
	syscall.CloseOnExec(fd)
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), f.Name()), nil
}
