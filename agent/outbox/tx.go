package outbox

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/stationd/stationd/agent/ulid"
)

// Tx is a transaction handed to Update and View functions. Events appended and key-value
// changes made through it commit or roll back together. It is valid only until the function
// returns.
type Tx struct {
	s   *Store
	btx *bolt.Tx
	w   *writeState // nil in View
	req *request    // nil in View
}

// Append adds an event in this transaction, under the capacity policy (see the package
// documentation). The Record's seq and id are final if the transaction commits.
func (tx *Tx) Append(ev Event) (Record, error) {
	p, err := prepare(ev)
	if err != nil {
		return Record{}, err
	}
	return tx.append(p)
}

// Get returns a copy of the value of key in the user bucket, or nil.
func (tx *Tx) Get(bucket, key []byte) []byte {
	b := tx.userBucket(bucket)
	if b == nil {
		return nil
	}
	return bytes.Clone(b.Get(key))
}

// Put sets key to val in the user bucket, creating the bucket on first use. key and val are
// copied. Keys are 1 to 32768 bytes (bbolt's MaxKeySize).
func (tx *Tx) Put(bucket, key, val []byte) error {
	if tx.w == nil {
		return ErrReadOnly
	}
	if len(bucket) == 0 {
		return ErrBucketName
	}
	b, err := tx.btx.Bucket(bucketKV).CreateBucketIfNotExists(bucket)
	if err != nil {
		return fmt.Errorf("outbox: bucket %q: %w", bucket, err)
	}
	if val == nil {
		val = []byte{}
	}
	if err := b.Put(key, bytes.Clone(val)); err != nil {
		return fmt.Errorf("outbox: bucket %q: put %q: %w", bucket, key, err)
	}
	return nil
}

// Delete removes key from the user bucket; a missing key or bucket is not an error.
func (tx *Tx) Delete(bucket, key []byte) error {
	if tx.w == nil {
		return ErrReadOnly
	}
	b := tx.userBucket(bucket)
	if b == nil {
		return nil
	}
	if err := b.Delete(key); err != nil {
		return fmt.Errorf("outbox: bucket %q: delete %q: %w", bucket, key, err)
	}
	return nil
}

// DeleteBucket removes a user bucket and everything in it; a missing bucket is not an error.
func (tx *Tx) DeleteBucket(bucket []byte) error {
	if tx.w == nil {
		return ErrReadOnly
	}
	if tx.userBucket(bucket) == nil {
		return nil
	}
	if err := tx.btx.Bucket(bucketKV).DeleteBucket(bucket); err != nil {
		return fmt.Errorf("outbox: bucket %q: %w", bucket, err)
	}
	return nil
}

// ForEach calls fn for every key of the user bucket in key order, stopping at fn's first
// error. k and v are valid only during the call, and fn must not change the bucket.
func (tx *Tx) ForEach(bucket []byte, fn func(k, v []byte) error) error {
	b := tx.userBucket(bucket)
	if b == nil {
		return nil
	}
	return b.ForEach(fn)
}

func (tx *Tx) userBucket(name []byte) *bolt.Bucket {
	if len(name) == 0 {
		return nil
	}
	return tx.btx.Bucket(bucketKV).Bucket(name)
}

// meta is the bookkeeping kept in the meta bucket, read at the start of every write
// transaction and written at its end.
type meta struct {
	lastSeq   uint64 // last seq assigned
	count     uint64 // events stored
	bytes     int64  // their payload bytes
	teleCount uint64 // telemetry events stored
	teleBytes int64  // their payload bytes
	acked     uint64 // events deleted by Ack, ever
	dropped   uint64 // telemetry events dropped, ever
	alarm     bool
}

var (
	metaFormat = []byte("format")
	metaFields = []struct {
		key []byte
		get func(*meta) *uint64
	}{
		{[]byte("last_seq"), func(m *meta) *uint64 { return &m.lastSeq }},
		{[]byte("count"), func(m *meta) *uint64 { return &m.count }},
		{[]byte("tele_count"), func(m *meta) *uint64 { return &m.teleCount }},
		{[]byte("acked"), func(m *meta) *uint64 { return &m.acked }},
		{[]byte("dropped"), func(m *meta) *uint64 { return &m.dropped }},
	}
	metaBytes     = []byte("bytes")
	metaTeleBytes = []byte("tele_bytes")
	metaAlarm     = []byte("alarm")
)

func readMeta(b *bolt.Bucket) (meta, error) {
	var m meta
	get := func(k []byte) (uint64, error) {
		v := b.Get(k)
		switch len(v) {
		case 0:
			return 0, nil
		case 8:
			return binary.BigEndian.Uint64(v), nil
		}
		return 0, fmt.Errorf("meta %s: %w", k, errCorrupt)
	}
	var err error
	for _, f := range metaFields {
		if *f.get(&m), err = get(f.key); err != nil {
			return m, err
		}
	}
	var n uint64
	if n, err = get(metaBytes); err != nil {
		return m, err
	}
	m.bytes = int64(n)
	if n, err = get(metaTeleBytes); err != nil {
		return m, err
	}
	m.teleBytes = int64(n)
	if n, err = get(metaAlarm); err != nil {
		return m, err
	}
	m.alarm = n != 0
	return m, nil
}

func (m *meta) write(b *bolt.Bucket) error {
	put := func(k []byte, v uint64) error {
		return b.Put(k, binary.BigEndian.AppendUint64(make([]byte, 0, 8), v))
	}
	for _, f := range metaFields {
		if err := put(f.key, *f.get(m)); err != nil {
			return err
		}
	}
	var alarm uint64
	if m.alarm {
		alarm = 1
	}
	if err := put(metaBytes, uint64(m.bytes)); err != nil {
		return err
	}
	if err := put(metaTeleBytes, uint64(m.teleBytes)); err != nil {
		return err
	}
	return put(metaAlarm, alarm)
}

// writeState is one write transaction's view of the outbox, shared by the requests it carries.
type writeState struct {
	s      *Store
	btx    *bolt.Tx
	events *bolt.Bucket
	tele   *bolt.Bucket
	metaB  *bolt.Bucket
	m      meta
	added  int             // events appended
	drops  []droppedNotice // for the log, after commit
	oldest uint64          // set by finish
	newest uint64
}

type droppedNotice struct {
	Dropped
	seq uint64 // the outbox.dropped event's
}

func (s *Store) begin(btx *bolt.Tx) (*writeState, error) {
	w := &writeState{
		s:      s,
		btx:    btx,
		events: btx.Bucket(bucketEvents),
		tele:   btx.Bucket(bucketTele),
		metaB:  btx.Bucket(bucketMeta),
	}
	// Seqs only ever grow, so new keys go to the right-most page: fill pages up instead of
	// splitting them half-full (bbolt's Bucket.FillPercent advice for append-only keys).
	w.events.FillPercent = 1.0
	w.tele.FillPercent = 1.0
	var err error
	if w.m, err = readMeta(w.metaB); err != nil {
		return nil, err
	}
	return w, nil
}

// finish updates the alarm, writes meta and arranges the commit's notification.
func (w *writeState) finish() error {
	crit, limit := w.m.bytes-w.m.teleBytes, w.s.max
	switch {
	case !w.m.alarm && crit*10 > limit*9:
		w.m.alarm = true
	case w.m.alarm && crit*10 < limit*8:
		w.m.alarm = false
	}
	if err := w.m.write(w.metaB); err != nil {
		return err
	}
	c := w.events.Cursor()
	if k, _ := c.First(); k != nil {
		w.oldest, _ = keySeq(k)
		k, _ = c.Last()
		w.newest, _ = keySeq(k)
	}
	if w.added > 0 {
		w.btx.OnCommit(func() {
			select {
			case w.s.notify <- struct{}{}:
			default:
			}
		})
	}
	return nil
}

func (w *writeState) stats() Stats {
	return Stats{
		Events:           w.m.count,
		TelemetryEvents:  w.m.teleCount,
		Bytes:            w.m.bytes,
		CriticalBytes:    w.m.bytes - w.m.teleBytes,
		MaxBytes:         w.s.max,
		OldestSeq:        w.oldest,
		NewestSeq:        w.newest,
		LastSeq:          w.m.lastSeq,
		Acked:            w.m.acked,
		TelemetryDropped: w.m.dropped,
		Alarm:            w.m.alarm,
	}
}

// append assigns the next seq to p and stores it, making room first if it must.
func (tx *Tx) append(p prepared) (Record, error) {
	w := tx.w
	if w == nil {
		return Record{}, ErrReadOnly
	}
	s := tx.s
	if w.m.lastSeq >= ^uint64(0)-1 {
		return Record{}, fmt.Errorf("outbox: %s: seq exhausted", s.path)
	}
	now := s.now()
	if p.time.IsZero() {
		p.time = now
	}
	// The fast path: it fits. The id is generated first so that ids follow seqs.
	id, err := s.gen.New(now)
	if err != nil {
		return Record{}, fmt.Errorf("outbox: event id: %w", err)
	}
	payload := appendEnvelope(nil, id, w.m.lastSeq+1, p.typ, s.site, s.station, p.time, p.data)
	if w.m.bytes+int64(len(payload)) <= s.max {
		return w.put(id, p, payload)
	}

	// Make room by dropping the oldest telemetry events, in one chunk that leaves at least
	// max/dropChunk free besides an outbox.dropped event (seq last+1) and this one (seq
	// last+2), so that drops and their notices stay rare. When the stored telemetry cannot free
	// that much, a critical event takes all of it (if it then fits) and a telemetry event is
	// refused. Nothing changes unless the event is stored.
	size := int64(len(payload) + digits(w.m.lastSeq+2) - digits(w.m.lastSeq+1))
	slack := s.max / dropChunk
	d := Dropped{Types: map[string]int{}}
	var victims [][]byte
	var freed, need int64
	c := w.tele.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		seq, ok := keySeq(k)
		vv, err := viewValue(w.events.Get(k))
		if !ok || err != nil {
			return Record{}, fmt.Errorf("outbox: %s: telemetry index key %x: %w: run Check", s.path, k, errCorrupt)
		}
		if d.Count == 0 {
			d.FromSeq = seq
		}
		d.ToSeq = seq
		d.Count++
		d.Types[string(vv.typ)]++
		freed += int64(len(vv.payload))
		victims = append(victims, bytes.Clone(k))
		notice, err := tx.droppedPayload(ulid.ULID{}, w.m.lastSeq+1, now, d)
		if err != nil {
			return Record{}, err
		}
		if need = w.m.bytes - freed + int64(len(notice)) + size; need <= s.max-slack {
			break
		}
	}
	if d.Count == 0 || need > s.max || (p.tele && need > s.max-slack) {
		if p.tele {
			tx.req.refused++
		}
		return Record{}, s.fullError(w.m.bytes - w.m.teleBytes)
	}

	for _, k := range victims {
		if _, err := w.delete(k); err != nil {
			return Record{}, err
		}
	}
	w.m.dropped += uint64(d.Count)
	noticeID, err := s.gen.New(now)
	if err != nil {
		return Record{}, fmt.Errorf("outbox: event id: %w", err)
	}
	notice, err := tx.droppedPayload(noticeID, w.m.lastSeq+1, now, d)
	if err != nil {
		return Record{}, err
	}
	if _, err := w.put(noticeID, prepared{typ: TypeDropped, time: now}, notice); err != nil {
		return Record{}, err
	}
	w.drops = append(w.drops, droppedNotice{Dropped: d, seq: w.m.lastSeq})

	if id, err = s.gen.New(now); err != nil {
		return Record{}, fmt.Errorf("outbox: event id: %w", err)
	}
	payload = appendEnvelope(payload[:0], id, w.m.lastSeq+1, p.typ, s.site, s.station, p.time, p.data)
	return w.put(id, p, payload)
}

func (tx *Tx) droppedPayload(id ulid.ULID, seq uint64, now time.Time, d Dropped) ([]byte, error) {
	data, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("outbox: %s event: %w", TypeDropped, err)
	}
	return appendEnvelope(nil, id, seq, TypeDropped, tx.s.site, tx.s.station, now, data), nil
}

// put stores an event under the next seq.
func (w *writeState) put(id ulid.ULID, p prepared, payload []byte) (Record, error) {
	seq := w.m.lastSeq + 1
	key := seqKey(seq)
	if err := w.events.Put(key, encodeValue(p.typ, id, p.tele, payload)); err != nil {
		return Record{}, err
	}
	n := int64(len(payload))
	if p.tele {
		if err := w.tele.Put(key, []byte{}); err != nil {
			return Record{}, err
		}
		w.m.teleCount++
		w.m.teleBytes += n
	}
	w.m.lastSeq = seq
	w.m.count++
	w.m.bytes += n
	w.added++
	return Record{Seq: seq, ID: id.String(), Type: p.typ, Telemetry: p.tele, Payload: bytes.Clone(payload)}, nil
}

// delete removes the event under key k, reporting whether there was one.
func (w *writeState) delete(k []byte) (bool, error) {
	v := w.events.Get(k)
	if v == nil {
		return false, nil
	}
	vv, err := viewValue(v)
	if err != nil {
		return false, fmt.Errorf("outbox: %s: event key %x: %w: run Check", w.s.path, k, err)
	}
	n, tele := int64(len(vv.payload)), vv.tele
	if err := w.events.Delete(k); err != nil {
		return false, err
	}
	if tele {
		if err := w.tele.Delete(k); err != nil {
			return false, err
		}
		w.m.teleCount--
		w.m.teleBytes -= n
	}
	w.m.count--
	w.m.bytes -= n
	return true, nil
}

func (tx *Tx) ack(seqs []uint64) error {
	for _, seq := range seqs {
		ok, err := tx.w.delete(seqKey(seq))
		if err != nil {
			return err
		}
		if ok {
			tx.w.m.acked++
		}
	}
	return nil
}

// dropChunk sets the least a drop frees: MaxBytes/dropChunk, or all stored telemetry.
const dropChunk = 16

// digits returns the number of decimal digits of n.
func digits(n uint64) int {
	d := 1
	for n >= 10 {
		n /= 10
		d++
	}
	return d
}
