// Package pump is the hand-off between a scanner driver's reader goroutine and Read, shared by
// the serial and evdev drivers: a small queue of scans, the reader's final error, Halt's request
// to drop a partial line, and a Close that stops the reader and waits for it.
package pump

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/stationd/stationd/devices/scanner"
)

// Pump carries scans from one reader goroutine to Read.
type Pump struct {
	where string
	scans chan scanner.Scan
	stop  chan struct{} // closed by Close: the reader gives up delivering
	done  chan struct{} // closed when the reader has returned; err is set before
	err   error
	halt  atomic.Bool
	once  sync.Once
}

// New returns a Pump for the device named where ("scanner1 (/dev/ttyACM0)"). The caller starts
// its reader goroutine, which must call Finish when it returns.
func New(where string) *Pump {
	return &Pump{where: where, scans: make(chan scanner.Scan, 16), stop: make(chan struct{}), done: make(chan struct{})}
}

func (p *Pump) String() string { return p.where }

// Read returns the next scan, ctx.Err(), or the reader's final error once the scans read
// before it are taken.
func (p *Pump) Read(ctx context.Context) (scanner.Scan, error) {
	select {
	case sc := <-p.scans:
		return sc, nil
	default:
	}
	select {
	case sc := <-p.scans:
		return sc, nil
	case <-ctx.Done():
		return scanner.Scan{}, ctx.Err()
	case <-p.done:
		select {
		case sc := <-p.scans:
			return sc, nil
		default:
		}
		return scanner.Scan{}, p.err
	}
}

// Deliver queues a scan for Read. It returns false when the Pump is closing: the reader then
// returns.
func (p *Pump) Deliver(sc scanner.Scan) bool {
	select {
	case p.scans <- sc:
		return true
	case <-p.stop:
		return false
	}
}

// Halt drops the scans not read yet and asks the reader to drop its partial line (see Halted).
func (p *Pump) Halt() {
	p.halt.Store(true)
	for {
		select {
		case <-p.scans:
		default:
			return
		}
	}
}

// Halted reports, once, that Halt was called since the last call: the reader drops its
// partial line.
func (p *Pump) Halted() bool { return p.halt.Swap(false) }

// Finish records why the reader returned and releases Read. The reader calls it last, with
// the read error that ended it (nil when Deliver refused): after Close the error becomes
// scanner.ErrClosed, otherwise it is taken as the device going away, scanner.ErrDisconnected.
func (p *Pump) Finish(readErr error) {
	select {
	case <-p.stop:
		p.err = fmt.Errorf("%s: %w", p.where, scanner.ErrClosed)
	default:
		p.err = fmt.Errorf("%s: %w (%w): check the USB cable; the station reopens it when it is back", p.where, scanner.ErrDisconnected, readErr)
	}
	close(p.done)
}

// Close stops the reader: it marks the Pump closing, calls release (which must make the
// reader's pending read return, by closing the port or file) and waits for the reader to
// Finish. Later calls do nothing and return nil.
func (p *Pump) Close(release func() error) error {
	var err error
	p.once.Do(func() {
		close(p.stop)
		err = release()
		<-p.done
	})
	return err
}
