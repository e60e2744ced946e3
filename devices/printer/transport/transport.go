// Package transport carries bytes to and from label printers, chosen by the prefix of a device
// entry's address the way Tailscale chooses a state store: tcp://host:port (a network printer's
// raw port, usually 9100), file:/dev/usb/lp0 (a USB printer through the kernel's usblp driver)
// and serial:/dev/ttyUSB1?baud=9600 (RS-232). Other prefixes can be registered from init().
//
// A transport knows nothing of ZPL. It says whether it can carry the printer's answers
// (Transport.Readable): a USB printer under usblp may or may not send them back, so file: does
// not by default and the driver skips its status checks (see zplprinter's status_check option).
package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"
)

// Conn is an open connection to a printer. The caller owns it and closes it; Close unblocks a
// Read or Write in progress.
type Conn interface {
	io.ReadWriteCloser
	// SetDeadline sets the deadline of reads and writes; the zero time means none. A Read or
	// Write past it fails with an error matching os.ErrDeadlineExceeded. A transport that
	// cannot bound writes (serial) bounds reads only.
	SetDeadline(t time.Time) error
	// Drain discards what the printer sent and nobody read (a late answer) without blocking,
	// and reports whether the printer has closed the connection.
	Drain() (closed bool, err error)
}

// Transport opens connections for addresses with one prefix.
type Transport struct {
	Doc string // one line for the README: the address form and an example
	// Readable says whether connections carry the printer's answers by default.
	Readable bool
	// Validate checks the address after the prefix, touching nothing.
	Validate func(rest string) error
	// Dial connects to the address after the prefix.
	Dial func(ctx context.Context, rest string) (Conn, error)
}

var (
	mu         sync.Mutex
	transports = map[string]Transport{}
)

// Register records t for addresses starting with prefix ("tcp://", "file:"). It is called from
// init(); a duplicate prefix panics.
func Register(prefix string, t Transport) {
	mu.Lock()
	defer mu.Unlock()
	if prefix == "" || t.Dial == nil || t.Validate == nil {
		panic(fmt.Sprintf("transport: %q registered without a prefix, Dial or Validate", prefix))
	}
	if _, dup := transports[prefix]; dup {
		panic(fmt.Sprintf("transport: prefix %q registered twice", prefix))
	}
	transports[prefix] = t
}

// Prefixes returns the registered prefixes, sorted.
func Prefixes() []string {
	mu.Lock()
	defer mu.Unlock()
	p := make([]string, 0, len(transports))
	for k := range transports {
		p = append(p, k)
	}
	sort.Strings(p)
	return p
}

// Lookup returns the transport for address (the longest registered prefix it starts with) and
// the rest of the address.
func Lookup(address string) (Transport, string, error) {
	mu.Lock()
	defer mu.Unlock()
	best := ""
	for p := range transports {
		if strings.HasPrefix(address, p) && len(p) > len(best) {
			best = p
		}
	}
	if best == "" {
		return Transport{}, "", fmt.Errorf("address %q: must start with one of %s (tcp://192.168.10.50:9100, file:/dev/usb/lp0, serial:/dev/ttyUSB1?baud=9600)", address, strings.Join(prefixesLocked(), ", "))
	}
	return transports[best], address[len(best):], nil
}

func prefixesLocked() []string {
	p := make([]string, 0, len(transports))
	for k := range transports {
		p = append(p, k)
	}
	sort.Strings(p)
	return p
}

// Validate checks address without touching anything.
func Validate(address string) error {
	t, rest, err := Lookup(address)
	if err != nil {
		return err
	}
	return t.Validate(rest)
}

// IsTimeout reports whether err is a deadline passing.
func IsTimeout(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }
