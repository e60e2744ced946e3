package outbox

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/stationd/stationd/agent/ulid"
)

// MiB is storage.max_outbox_mb's unit.
const MiB = 1 << 20

// Defaults for Options.
const (
	DefaultMaxBytes    = 256 * MiB
	DefaultLockTimeout = time.Second
)

// Errors returned by the Store. Others wrap bbolt's or the operating system's errors.
var (
	// ErrFull is returned by Append (Store or Tx) when an event finds no room under MaxBytes: a
	// critical event that does not fit even after dropping every stored telemetry event, or a
	// telemetry event when older telemetry cannot free enough (see the package documentation).
	// The returned error wraps it with the numbers and the fix.
	ErrFull = errors.New("outbox full")

	// ErrClosed is returned by every method called after Close; requests queued before Close
	// are still committed.
	ErrClosed = errors.New("outbox: store closed")

	// ErrLocked is returned by Open when another process holds the file's lock for longer than
	// Options.LockTimeout: another stationd is running on the same storage.dir.
	ErrLocked = errors.New("file locked by another process")

	// ErrReadOnly is returned by Tx's writing methods inside View.
	ErrReadOnly = errors.New("outbox: write in a read-only transaction (View)")

	// ErrBucketName is returned by Tx.Put and its kin for an empty bucket name.
	ErrBucketName = errors.New("outbox: empty bucket name")
)

// Options configure a Store.
type Options struct {
	Site, Station string // envelope fields; site [A-Za-z0-9_-]{1,32}, station [A-Za-z0-9_-]{1,64}

	// MaxBytes bounds the sum of stored envelope payloads: storage.max_outbox_mb * MiB.
	// Zero means DefaultMaxBytes.
	MaxBytes int64

	Logger *slog.Logger // nil: discard

	// LockTimeout is how long Open waits for another process's lock on the file; zero means
	// DefaultLockTimeout (never "for ever").
	LockTimeout time.Duration

	// Now is the clock for ULIDs and for events without a Time; nil means time.Now.
	Now func() time.Time

	// OnAlarm is called, on a goroutine of the Store and outside any transaction, when the
	// "refuse new work" state changes (see the package documentation), and once after Open when
	// the store opens in that state. Calls are in order; two quick changes may be coalesced into
	// the last. It must not call Close.
	OnAlarm func(full bool)
}

// Stats describes the store. Counters marked "since Open" restart at zero; the others are kept
// in the file.
type Stats struct {
	Events           uint64 // events stored (not yet acknowledged)
	TelemetryEvents  uint64 // of which telemetry
	Bytes            int64  // payload bytes stored
	CriticalBytes    int64  // payload bytes of critical events
	MaxBytes         int64  // Options.MaxBytes
	OldestSeq        uint64 // 0 when empty
	NewestSeq        uint64 // 0 when empty
	LastSeq          uint64 // last seq assigned; the next event gets LastSeq+1
	Acked            uint64 // events deleted by Ack
	TelemetryDropped uint64 // stored telemetry events deleted to make room
	TelemetryRefused uint64 // telemetry appends refused for lack of room (since Open)
	Commits          uint64 // write transactions committed (since Open)
	Requests         uint64 // Append, Update and Ack requests committed (since Open)
	Queued           int    // requests waiting for the committer now
	FileSize         int64  // size of the bbolt file
	Alarm            bool   // refuse new work: critical events fill more than 90 % of MaxBytes
}

// Store is the outbox and key-value store in one bbolt file. Its methods are safe for
// concurrent use.
type Store struct {
	db      *bolt.DB
	path    string
	site    string
	station string
	max     int64
	log     *slog.Logger
	now     func() time.Time
	onAlarm func(bool)
	gen     *ulid.Generator // used by the committer goroutine only (and Open before it starts)

	mu      sync.Mutex
	queue   []*request
	closed  bool
	waiting atomic.Int64
	wake    chan struct{} // cap 1: the queue is not empty
	closing chan struct{} // closed by Close
	done    chan struct{} // closed when the committer has ended

	notify    chan struct{} // cap 1
	alarmCh   chan bool     // cap 1, latest state; nil without OnAlarm
	alarmDone chan struct{}

	statMu   sync.Mutex
	snap     Stats // as of the last commit
	commits  atomic.Uint64
	requests atomic.Uint64
	refused  atomic.Uint64

	closeOnce sync.Once
	closeErr  error
}

// Bucket names. User buckets live inside bucketKV so that they cannot touch the others.
var (
	bucketEvents = []byte("events")
	bucketTele   = []byte("telemetry") // index: seq of every stored telemetry event
	bucketMeta   = []byte("meta")
	bucketKV     = []byte("kv")
)

// formatVersion is the layout of the file, kept in meta "format".
const formatVersion = 1

// Open opens the store at path, creating the file (mode 0600) if needed, and starts its
// committer goroutine; Close stops it. When another process holds the file for LockTimeout, it
// fails with ErrLocked wrapped in "another stationd holds <path>: stop it first". It checks
// only the file's bookkeeping, not every event: see Check.
func Open(path string, o Options) (*Store, error) {
	if !validName(o.Site, 32, false) {
		return nil, fmt.Errorf("outbox: site %q: want 1 to 32 characters of A-Z a-z 0-9 _ -", o.Site)
	}
	if !validName(o.Station, 64, false) {
		return nil, fmt.Errorf("outbox: station %q: want 1 to 64 characters of A-Z a-z 0-9 _ -", o.Station)
	}
	if o.MaxBytes < 0 {
		return nil, fmt.Errorf("outbox: MaxBytes %d is negative", o.MaxBytes)
	}
	if o.MaxBytes == 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.LockTimeout <= 0 {
		o.LockTimeout = DefaultLockTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}

	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout: o.LockTimeout,
		// The hash-map freelist allocates in constant time however fragmented the file gets
		// (etcd's choice); the free list is still written at every commit, so opening needs no
		// scan of the file.
		FreelistType: bolt.FreelistMapType,
	})
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return nil, fmt.Errorf("outbox: another stationd holds %s: stop it first (%w)", path, ErrLocked)
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrVersionMismatch), errors.Is(err, berrors.ErrChecksum):
		return nil, fmt.Errorf("outbox: %s is damaged or not a stationd outbox (%w): move it away to start empty; the events it holds are then lost", path, err)
	case err != nil:
		return nil, fmt.Errorf("outbox: open %s: %w: check that storage.dir exists and that stationd may write it", path, err)
	}

	s := &Store{
		db:      db,
		path:    path,
		site:    o.Site,
		station: o.Station,
		max:     o.MaxBytes,
		log:     o.Logger.With("outbox", path),
		now:     o.Now,
		onAlarm: o.OnAlarm,
		gen:     ulid.NewGenerator(nil),
		wake:    make(chan struct{}, 1),
		closing: make(chan struct{}),
		done:    make(chan struct{}),
		notify:  make(chan struct{}, 1),
	}
	var w *writeState
	err = db.Update(func(btx *bolt.Tx) error {
		if err := initBuckets(btx); err != nil {
			return err
		}
		var err error
		w, err = s.begin(btx)
		if err != nil {
			return err
		}
		// MaxBytes may have changed since the last run: re-evaluate the alarm now.
		return w.finish()
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("outbox: %s: %w", path, err)
	}
	s.snap = w.stats()

	if s.onAlarm != nil {
		s.alarmCh = make(chan bool, 1)
		s.alarmDone = make(chan struct{})
		go s.alarmLoop()
		if w.m.alarm {
			s.alarmCh <- true
		}
	}
	s.log.Info("outbox: opened", "events", w.m.count, "bytes", w.m.bytes, "last_seq", w.m.lastSeq, "max_bytes", s.max)
	if w.m.alarm {
		s.log.Warn("outbox: opened with critical events over 90 % of max_outbox_mb: refusing new work until the broker takes them",
			"critical_bytes", w.m.bytes-w.m.teleBytes, "max_bytes", s.max)
	}
	go s.run()
	return s, nil
}

func initBuckets(btx *bolt.Tx) error {
	for _, name := range [][]byte{bucketEvents, bucketTele, bucketMeta, bucketKV} {
		if _, err := btx.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	mb := btx.Bucket(bucketMeta)
	v := mb.Get(metaFormat)
	switch {
	case v == nil:
		return mb.Put(metaFormat, binary.BigEndian.AppendUint64(nil, formatVersion))
	case len(v) != 8 || binary.BigEndian.Uint64(v) != formatVersion:
		return fmt.Errorf("file format %x, this stationd reads %d: run the stationd version that wrote it, or move the file away (its unsent events are then lost)", v, formatVersion)
	}
	return nil
}

// Close commits the requests already queued, stops the committer and closes the file. Later
// calls return the first call's result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		close(s.closing)
		<-s.done
		if s.alarmCh != nil {
			close(s.alarmCh)
			<-s.alarmDone
		}
		s.closeErr = s.db.Close()
	})
	return s.closeErr
}

// Path returns the file's path.
func (s *Store) Path() string { return s.path }

// Append stores one event durably: when it returns nil the event is on disk with its seq.
// ctx bounds only the wait in the queue: once the committer has taken the request, Append
// reports the transaction's true outcome. ErrFull (wrapped) means there is no room; see the
// package documentation.
func (s *Store) Append(ctx context.Context, ev Event) (Record, error) {
	p, err := prepare(ev)
	if err != nil {
		return Record{}, err
	}
	var rec Record
	err = s.submit(ctx, func(tx *Tx) error {
		var err error
		rec, err = tx.append(p)
		return err
	})
	if err != nil {
		return Record{}, err
	}
	return rec, nil
}

// Update runs fn in a write transaction shared with other queued requests (group commit) and
// returns nil once that transaction is on disk; fn's error, or the commit's, otherwise, with none
// of fn's changes kept.
//
// fn may run more than once: it must be idempotent apart from its Tx (compute everything that is
// random or has effects outside the Store before calling Update; assign results to variables that
// each run overwrites). fn runs on the committer goroutine: it must not call the Store's methods
// (that deadlocks), must not keep tx after returning, and should be quick, since every other
// writer waits for it. A panic in fn is returned as an error. ctx bounds only the wait in the
// queue, as for Append.
func (s *Store) Update(ctx context.Context, fn func(*Tx) error) error {
	return s.submit(ctx, fn)
}

// View runs fn in a read-only transaction. Tx's writing methods fail with ErrReadOnly. Keep it
// short: pages freed while it runs cannot be reused until it returns.
func (s *Store) View(fn func(*Tx) error) error {
	err := s.db.View(func(btx *bolt.Tx) error {
		return fn(&Tx{s: s, btx: btx})
	})
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return err
}

// Pending returns up to max stored events with seq > after, in seq order. The uplink pages
// through a backlog by passing the last seq it received as after.
func (s *Store) Pending(after uint64, max int) ([]Record, error) {
	if max <= 0 || after == ^uint64(0) {
		return nil, nil
	}
	var recs []Record
	err := s.View(func(tx *Tx) error {
		recs = recs[:0]
		c := tx.btx.Bucket(bucketEvents).Cursor()
		for k, v := c.Seek(seqKey(after + 1)); k != nil && len(recs) < max; k, v = c.Next() {
			seq, ok := keySeq(k)
			vv, err := viewValue(v)
			if !ok || err != nil {
				return fmt.Errorf("outbox: %s: event key %x: %w: run Check", s.path, k, errCorrupt)
			}
			recs = append(recs, vv.record(seq))
		}
		return nil
	})
	return recs, err
}

// Ack deletes the events with these seqs, after the broker's PUBACK. An unknown seq (already
// acknowledged, or dropped) is not an error. It is group-committed like Append.
func (s *Store) Ack(seqs ...uint64) error {
	if len(seqs) == 0 {
		return nil
	}
	return s.submit(context.Background(), func(tx *Tx) error {
		return tx.ack(seqs)
	})
}

// Notify returns a channel that receives a value after every commit that added events (it holds
// at most one: a receiver that was busy finds one value for several commits). The uplink waits on
// it when it has sent everything Pending returned.
func (s *Store) Notify() <-chan struct{} { return s.notify }

// Stats returns the store's counters as of the last commit.
func (s *Store) Stats() Stats {
	s.statMu.Lock()
	st := s.snap
	s.statMu.Unlock()
	st.Commits = s.commits.Load()
	st.Requests = s.requests.Load()
	st.TelemetryRefused = s.refused.Load()
	st.Queued = int(s.waiting.Load())
	if fi, err := os.Stat(s.path); err == nil {
		st.FileSize = fi.Size()
	}
	return st
}

func (s *Store) alarmLoop() {
	defer close(s.alarmDone)
	last := false
	for on := range s.alarmCh {
		if on != last {
			last = on
			s.onAlarm(on)
		}
	}
}

// signalAlarm hands the latest alarm state to alarmLoop, replacing one not yet taken. Only the
// committer goroutine calls it.
func (s *Store) signalAlarm(on bool) {
	if s.alarmCh == nil {
		return
	}
	for {
		select {
		case s.alarmCh <- on:
			return
		default:
			select {
			case <-s.alarmCh:
			default:
			}
		}
	}
}

// fullError is ErrFull with the numbers and the fix.
func (s *Store) fullError(critical int64) error {
	return fmt.Errorf("%w (%s of %s MiB): the broker has been unreachable; check the network or raise storage.max_outbox_mb",
		ErrFull, strconv.FormatFloat(float64(critical)/MiB, 'f', 2, 64), strconv.FormatFloat(float64(s.max)/MiB, 'f', -1, 64))
}
