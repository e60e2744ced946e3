package link

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stationd/stationd/devices"
	"github.com/stationd/stationd/devices/scale"
)

func splitLF(b []byte) (int, []byte) {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return i + 1, b[:i+1]
	}
	return 0, nil
}

// pipe gives a Link over one end of net.Pipe and the other end to play the device.
func pipe(t *testing.T) (*Link, net.Conn) {
	host, dev := net.Pipe()
	l := New(host, host)
	t.Cleanup(func() { l.Close(); dev.Close() })
	return l, dev
}

// TestChunks: with io.Pipe every Write arrives as a separate Read, exactly as the chunks of the
// vectors; the frame comes out whole.
func TestChunks(t *testing.T) {
	pr, pw := io.Pipe()
	l := New(struct {
		io.Reader
		io.Writer
	}{pr, io.Discard}, pr)
	defer l.Close()
	go func() {
		for _, c := range []string{"S S   ", "   42.10 g\r", "\n", "Z A\r\n"} {
			pw.Write([]byte(c))
		}
	}()
	for _, want := range []string{"S S      42.10 g\r\n", "Z A\r\n"} {
		got, err := l.Next(context.Background(), time.Second, splitLF)
		if err != nil || string(got) != want {
			t.Fatalf("Next = %q, %v; want %q", got, err, want)
		}
	}
}

func TestTimeoutAndPending(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l, dev := pipe(t)
		start := time.Now()
		if _, err := l.Next(t.Context(), time.Second, splitLF); !errors.Is(err, ErrTimeout) || time.Since(start) != time.Second {
			t.Fatalf("Next = %v after %v", err, time.Since(start))
		}
		go dev.Write([]byte("half a li"))
		synctest.Wait()
		if _, err := l.Next(t.Context(), time.Second, splitLF); !errors.Is(err, ErrTimeout) || l.Buffered() != 9 {
			t.Fatalf("Next = %v with %d bytes pending", err, l.Buffered())
		}
		err := ScaleError(ErrTimeout, "scale1", "SI", time.Second, l.Buffered())
		if !errors.Is(err, scale.ErrParse) {
			t.Errorf("a timeout with bytes pending is garbage: %v", err)
		}
		if err := ScaleError(ErrTimeout, "scale1", "SI", time.Second, 0); !errors.Is(err, scale.ErrTimeout) {
			t.Errorf("a timeout without bytes: %v", err)
		}
		l.Discard()
		if l.Buffered() != 0 {
			t.Error("Discard kept bytes")
		}
		ctx, cancel := context.WithCancel(t.Context())
		go func() { time.Sleep(time.Millisecond); cancel() }()
		if _, err := l.Next(ctx, 0, splitLF); !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled Next = %v", err)
		}
	})
}

func TestLatest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l, dev := pipe(t)
		go dev.Write([]byte("one\ntwo\nthree\nfo"))
		synctest.Wait()
		got, err := l.Latest(t.Context(), time.Second, splitLF)
		if err != nil || string(got) != "three\n" {
			t.Fatalf("Latest = %q, %v", got, err)
		}
		go dev.Write([]byte("ur\n"))
		if got, err := l.Latest(t.Context(), time.Second, splitLF); err != nil || string(got) != "four\n" {
			t.Fatalf("Latest = %q, %v", got, err)
		}
	})
}

func TestCloseAndGone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l, _ := pipe(t)
		errc := make(chan error)
		go func() {
			_, err := l.Next(context.Background(), 0, splitLF)
			errc <- err
		}()
		synctest.Wait()
		l.Close()
		if err := <-errc; !errors.Is(err, ErrClosed) {
			t.Fatalf("Next pending at Close = %v", err)
		}
		<-l.Done()
		if err := ScaleError(ErrClosed, "scale1", "SI", 0, 0); !errors.Is(err, scale.ErrClosed) {
			t.Errorf("closed: %v", err)
		}

		l2, dev := pipe(t)
		go dev.Write([]byte("last words\n"))
		synctest.Wait()
		dev.Close()
		<-l2.Done()
		// What arrived before the loss is still delivered, then the loss.
		if got, err := l2.Next(t.Context(), 0, splitLF); err != nil || string(got) != "last words\n" {
			t.Fatalf("Next = %q, %v", got, err)
		}
		_, err := l2.Next(t.Context(), 0, splitLF)
		var gone *GoneError
		if !errors.As(err, &gone) || !errors.Is(ScaleError(err, "scale1", "SI", 0, 0), scale.ErrDisconnected) {
			t.Fatalf("after the peer closed: %v", err)
		}
		if err := l2.Write([]byte("SI\r\n")); !errors.As(err, &gone) {
			t.Errorf("Write after loss = %v", err)
		}
	})
}

func TestBufferBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l, dev := pipe(t)
		go dev.Write(bytes.Repeat([]byte{'x'}, 3*MaxBuffer))
		synctest.Wait()
		if n := l.Buffered(); n > MaxBuffer {
			t.Fatalf("%d bytes buffered, bound %d", n, MaxBuffer)
		}
	})
}

func TestLockHonoursContext(t *testing.T) {
	l, _ := pipe(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.Lock(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Lock with a cancelled context = %v", err)
	}
	if err := l.Lock(context.Background()); err != nil {
		t.Fatal(err)
	}
	l.Unlock()
}

func TestLineDefaults(t *testing.T) {
	line := Line{DataBits: 7, Parity: "even", StopBits: "1"}
	c := line.Config(devices.Spec{})
	if c.DataBits != 7 || c.Parity != "even" || c.Baud != 9600 {
		t.Errorf("Config = %+v", c)
	}
	c = line.Config(devices.Spec{Baud: 19200, Options: map[string]any{"data_bits": 8, "parity": "none"}})
	if c.DataBits != 8 || c.Parity != "none" || c.Baud != 19200 {
		t.Errorf("Config with keys = %+v", c)
	}
	for _, o := range line.Options() {
		if o.Key == "parity" && o.Default != "even" {
			t.Errorf("parity default %q", o.Default)
		}
	}
	if errs := line.Validate(devices.Spec{Options: map[string]any{"parity": "x"}}); len(errs) != 1 {
		t.Errorf("Validate = %v", errs)
	}
}
