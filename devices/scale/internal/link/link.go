// Package link is the byte-stream plumbing the serial scale drivers share: one goroutine reads
// the port into a bounded buffer, and the driver takes frames out of it with a deadline, a
// context and a framing function, one command exchange at a time. Closing the port ends the
// goroutine; Close waits for it.
//
// It also holds the line-setting options of serial scale drivers, whose defaults differ per
// protocol (Toledo is 7E1, MT-SICS 8N1).
package link

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"
)

// Errors from Next and Latest; a lost port is a *GoneError.
var (
	ErrTimeout = errors.New("no complete frame in time")
	ErrClosed  = errors.New("link closed")
)

// GoneError reports that reading the port failed: the device is unplugged or the port closed
// under us. Err is the read error.
type GoneError struct{ Err error }

func (e *GoneError) Error() string { return "port gone: " + e.Err.Error() }
func (e *GoneError) Unwrap() error { return e.Err }

// Split finds the first frame in data. It returns how many bytes to consume and the frame
// (a sub-slice of data); a positive advance with a nil frame drops junk; (0, nil) asks for more
// bytes.
type Split func(data []byte) (advance int, frame []byte)

// MaxBuffer bounds the bytes kept unread; past it the oldest half is dropped and the framing
// resynchronises.
const MaxBuffer = 4096

// Link reads rw in its own goroutine.
type Link struct {
	rw     io.ReadWriter
	closer io.Closer
	lock   chan struct{}

	mu     sync.Mutex
	buf    []byte
	rerr   error
	closed bool
	wake   chan struct{}
	done   chan struct{}
}

// New starts reading rw. When closer is not nil, Close closes it and waits for the reading
// goroutine to end; otherwise the goroutine ends when rw.Read fails, which the owner of rw
// brings about by closing it.
func New(rw io.ReadWriter, closer io.Closer) *Link {
	l := &Link{
		rw:     rw,
		closer: closer,
		lock:   make(chan struct{}, 1),
		wake:   make(chan struct{}, 1),
		done:   make(chan struct{}),
	}
	go l.read()
	return l
}

func (l *Link) read() {
	defer close(l.done)
	b := make([]byte, 512)
	for {
		n, err := l.rw.Read(b)
		l.mu.Lock()
		if n > 0 {
			l.buf = append(l.buf, b[:n]...)
			if len(l.buf) > MaxBuffer {
				k := copy(l.buf, l.buf[len(l.buf)-MaxBuffer/2:])
				l.buf = l.buf[:k]
			}
		}
		if err != nil {
			l.rerr = err
		}
		l.mu.Unlock()
		l.signal()
		if err != nil {
			return
		}
	}
}

func (l *Link) signal() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// Lock takes the exchange lock (one command and its answer at a time), or returns ctx's error.
func (l *Link) Lock(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case l.lock <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Unlock releases the exchange lock.
func (l *Link) Unlock() { <-l.lock }

// Discard drops the bytes received and not yet taken: stale answers before a new command.
func (l *Link) Discard() {
	l.mu.Lock()
	l.buf = l.buf[:0]
	l.mu.Unlock()
}

// Buffered returns the number of bytes received and not yet taken.
func (l *Link) Buffered() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buf)
}

// Write sends p.
func (l *Link) Write(p []byte) error {
	_, err := l.rw.Write(p)
	if err == nil {
		return nil
	}
	l.mu.Lock()
	closed := l.closed
	l.mu.Unlock()
	if closed {
		return ErrClosed
	}
	return &GoneError{err}
}

// Next returns the first frame split finds, waiting up to timeout (0 or less: no limit) for it.
// The frame is a copy.
func (l *Link) Next(ctx context.Context, timeout time.Duration, split Split) ([]byte, error) {
	return l.take(ctx, timeout, split, false)
}

// Latest returns the newest frame split finds among the bytes received, consuming the older
// ones, or waits up to timeout for one: for scales that send continuously.
func (l *Link) Latest(ctx context.Context, timeout time.Duration, split Split) ([]byte, error) {
	return l.take(ctx, timeout, split, true)
}

func (l *Link) take(ctx context.Context, timeout time.Duration, split Split, latest bool) ([]byte, error) {
	var expire <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expire = t.C
	}
	for {
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			return nil, ErrClosed
		}
		var found []byte
		for len(l.buf) > 0 {
			adv, frame := split(l.buf)
			if adv <= 0 {
				break
			}
			if frame != nil {
				found = append(found[:0], frame...)
			}
			k := copy(l.buf, l.buf[min(adv, len(l.buf)):])
			l.buf = l.buf[:k]
			if frame != nil && !latest {
				break
			}
		}
		rerr := l.rerr
		l.mu.Unlock()
		if found != nil {
			return found, nil
		}
		if rerr != nil {
			return nil, &GoneError{rerr}
		}
		select {
		case <-l.wake:
		case <-expire:
			return nil, ErrTimeout
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Close marks the link closed, so that a pending Next returns ErrClosed, closes the closer given
// to New, if any, and then waits for the reading goroutine to end.
func (l *Link) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	l.mu.Unlock()
	l.signal()
	if l.closer == nil {
		return nil
	}
	err := l.closer.Close()
	<-l.done
	return err
}

// Done is closed when the reading goroutine has ended.
func (l *Link) Done() <-chan struct{} { return l.done }
