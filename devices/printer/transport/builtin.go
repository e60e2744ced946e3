package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/stationd/stationd/devices"
	"github.com/stationd/stationd/devices/serialport"
)

func init() {
	Register("tcp://", Transport{
		Doc:      "tcp://host:port — the printer's raw TCP port (Zebra: 9100)",
		Readable: true,
		Validate: validateTCP,
		Dial:     dialTCP,
	})
	Register("file:", Transport{
		Doc:      "file:/dev/usb/lp0 — a printer device node (USB printers under usblp); answers only if the printer sends them back",
		Readable: false,
		Validate: validateFile,
		Dial:     dialFile,
	})
	Register("serial:", Transport{
		Doc:      "serial:/dev/ttyUSB1?baud=9600&data_bits=8&parity=none&stop_bits=1 — an RS-232 printer",
		Readable: true,
		Validate: validateSerial,
		Dial:     dialSerial,
	})
}

// tcp://

func validateTCP(rest string) error {
	host, port, err := net.SplitHostPort(rest)
	if err != nil {
		return fmt.Errorf("tcp://%s: must be tcp://host:port (tcp://192.168.10.50:9100): %w", rest, err)
	}
	if host == "" {
		return fmt.Errorf("tcp://%s: no host", rest)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("tcp://%s: port %q must be 1 to 65535 (Zebra printers listen on 9100)", rest, port)
	}
	return nil
}

func dialTCP(ctx context.Context, rest string) (Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", rest)
	if err != nil {
		return nil, err
	}
	tc := c.(*net.TCPConn)
	_ = tc.SetKeepAlive(true)
	_ = tc.SetKeepAlivePeriod(15 * time.Second)
	rc, err := tc.SyscallConn()
	if err != nil {
		tc.Close()
		return nil, err
	}
	return &tcpConn{TCPConn: tc, raw: rc}, nil
}

type tcpConn struct {
	*net.TCPConn
	raw syscall.RawConn
}

// Drain reads what is waiting with one non-blocking read per chunk; a read of 0 bytes is the
// printer closing the connection (it drops idle connections, or was switched off and on).
func (c *tcpConn) Drain() (bool, error) {
	// A deadline already passed would fail the raw read before it is tried.
	if err := c.TCPConn.SetReadDeadline(time.Time{}); err != nil {
		return false, err
	}
	return drainRaw(c.raw, true)
}

func drainRaw(rc syscall.RawConn, eofCloses bool) (bool, error) {
	var buf [512]byte
	for {
		var n int
		var rerr error
		err := rc.Read(func(fd uintptr) bool {
			n, rerr = syscall.Read(int(fd), buf[:])
			return true // never wait for data
		})
		if err != nil {
			return false, err
		}
		switch {
		case rerr == syscall.EAGAIN || rerr == syscall.EWOULDBLOCK || rerr == syscall.EINTR:
			return false, nil
		case rerr != nil:
			if errors.Is(rerr, syscall.ECONNRESET) {
				return true, nil
			}
			return false, rerr
		case n == 0:
			return eofCloses, nil
		}
	}
}

// file:

func validateFile(rest string) error {
	if !filepath.IsAbs(rest) {
		return fmt.Errorf("file:%s: must be an absolute path (file:/dev/usb/lp0)", rest)
	}
	return nil
}

func dialFile(_ context.Context, rest string) (Conn, error) {
	// O_APPEND: a regular file (a capture for debugging) grows instead of being overwritten.
	f, err := os.OpenFile(rest, os.O_RDWR|os.O_APPEND, 0)
	if err != nil && (errors.Is(err, os.ErrPermission) || errors.Is(err, syscall.EINVAL)) {
		// A write-only node: the printer can only be written to.
		f, err = os.OpenFile(rest, os.O_WRONLY|os.O_APPEND, 0)
	}
	if err != nil {
		switch {
		case errors.Is(err, os.ErrNotExist):
			return nil, fmt.Errorf("%w: check the USB cable and the path (ls /dev/usb/)", err)
		case errors.Is(err, os.ErrPermission):
			return nil, fmt.Errorf("%w: add the stationd user to the lp group", err)
		}
		return nil, err
	}
	fc := &fileConn{File: f}
	if rc, err := f.SyscallConn(); err == nil {
		fc.raw = rc
	}
	return fc, nil
}

type fileConn struct {
	*os.File
	raw syscall.RawConn
}

func (c *fileConn) SetDeadline(t time.Time) error {
	if err := c.File.SetDeadline(t); err != nil && !errors.Is(err, os.ErrNoDeadline) {
		return err
	}
	return nil
}

// Drain discards waiting answers when the node can be polled (a printer device or a pty);
// for a regular file there is nothing to drain.
func (c *fileConn) Drain() (bool, error) {
	// SetReadDeadline fails with ErrNoDeadline when the file cannot be polled: a read could
	// then block.
	if c.raw == nil || c.File.SetReadDeadline(time.Time{}) != nil {
		return false, nil
	}
	fi, err := c.File.Stat()
	if err != nil || fi.Mode().IsRegular() {
		return false, nil
	}
	return drainRaw(c.raw, false)
}

// serial:

func parseSerial(rest string) (string, serialport.Config, error) {
	path, query, _ := strings.Cut(rest, "?")
	if !filepath.IsAbs(path) {
		return "", serialport.Config{}, fmt.Errorf("serial:%s: must be an absolute device path (serial:/dev/ttyUSB1?baud=9600)", rest)
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return "", serialport.Config{}, fmt.Errorf("serial:%s: %w", rest, err)
	}
	s := devices.Spec{Options: map[string]any{}}
	for k, v := range q {
		switch k {
		case "baud":
			n, err := strconv.Atoi(v[0])
			if err != nil {
				return "", serialport.Config{}, fmt.Errorf("serial:%s: baud %q is not a number", rest, v[0])
			}
			s.Baud = n
		case "data_bits":
			n, err := strconv.Atoi(v[0])
			if err != nil {
				return "", serialport.Config{}, fmt.Errorf("serial:%s: data_bits %q is not a number", rest, v[0])
			}
			s.Options[k] = n
		case "parity", "stop_bits":
			s.Options[k] = v[0]
		default:
			return "", serialport.Config{}, fmt.Errorf("serial:%s: unknown setting %q (known: baud, data_bits, parity, stop_bits)", rest, k)
		}
	}
	if errs := serialport.Validate(s); len(errs) > 0 {
		return "", serialport.Config{}, fmt.Errorf("serial:%s: %v", rest, errs[0])
	}
	return path, serialport.FromSpec(s), nil
}

func validateSerial(rest string) error {
	_, _, err := parseSerial(rest)
	return err
}

func dialSerial(_ context.Context, rest string) (Conn, error) {
	path, cfg, err := parseSerial(rest)
	if err != nil {
		return nil, err
	}
	p, err := serialport.Open(path, cfg)
	if err != nil {
		return nil, err
	}
	return &serialConn{port: p, path: path}, nil
}

// serialConn bounds reads with the port's read timeout. Writes cannot be bounded: the driver
// closes the port to stop one.
type serialConn struct {
	port serialport.Port
	path string
}

func (c *serialConn) Read(b []byte) (int, error) {
	n, err := c.port.Read(b)
	if err != nil {
		return n, serialport.Explain(c.path, err)
	}
	if n == 0 {
		return 0, os.ErrDeadlineExceeded // go.bug.st/serial: (0, nil) is the read timeout
	}
	return n, nil
}

func (c *serialConn) Write(b []byte) (int, error) {
	n, err := c.port.Write(b)
	if err != nil {
		return n, serialport.Explain(c.path, err)
	}
	return n, nil
}

func (c *serialConn) Close() error { return c.port.Close() }

func (c *serialConn) SetDeadline(t time.Time) error {
	d := time.Duration(0)
	if !t.IsZero() {
		d = max(time.Until(t), time.Millisecond)
	}
	return c.port.SetReadTimeout(d)
}

func (c *serialConn) Drain() (bool, error) { return false, c.port.ResetInput() }

var _ io.ReadWriteCloser = (*serialConn)(nil)
