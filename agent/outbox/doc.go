// Package outbox is the station's durable store: the outbox of events waiting for the broker's
// PUBACK, and small key-value buckets in which the agent's workflows keep their state, so that a
// state change and the events it causes commit in one transaction. It is the only package of
// stationd that uses bbolt (go.etcd.io/bbolt).
//
// # Events and seq
//
// Every event gets the contract's envelope (section 4):
//
//	{"v":1,"id":"<ULID>","seq":42,"type":"pack.completed","site":"PAR1","station":"pack-07","time":"2026-11-22T15:37:19.123Z","data":{...}}
//
// seq starts at 1 and grows by exactly one per event, for ever: it is assigned in the bbolt
// transaction that stores the event, and the last one assigned is kept in the same file, so that
// neither a restart nor a power cut can reuse or skip one. id is a ULID from a monotonic
// generator. An event is deleted only by Ack, which the uplink calls on the broker's PUBACK.
// Append, Update and Ack return nil only once their transaction is on disk (bbolt's fdatasync;
// NoSync is never used).
//
// # Group commit
//
// One committer goroutine, owned by the Store, applies every Append, Update and Ack queued while
// the previous transaction was committing in one bbolt transaction, so that concurrent writers
// share one fsync; a lone writer commits at once, without any delay. If one request's function
// fails, the transaction is rolled back, that request gets its error, and the others run again
// without it (as bbolt's DB.Batch does): an Update function may therefore run more than once,
// and must have no effect besides its Tx.
//
// # Capacity
//
// Options.MaxBytes bounds the sum of stored envelope payloads (storage.max_outbox_mb). When an
// append would exceed it, the oldest telemetry events (Event.Telemetry: scan, weight,
// station.kpi) are deleted, and a critical outbox.dropped event (see Dropped) records the drop in
// the same transaction, just before the event that caused it, so that the OMS sees a documented
// gap in seq rather than a silent one. A drop frees at least MaxBytes/16 besides the two events,
// or takes all stored telemetry if there is less, so that drops, and their notices, stay rare.
// When the stored telemetry cannot free that much, a telemetry append is refused instead: it
// returns ErrFull, takes no seq and is counted in Stats.TelemetryRefused.
//
// A dropped telemetry event may have been in flight to the broker already: the OMS then receives
// it as well as its mention in outbox.dropped (it deduplicates by id), and the uplink's Ack of it
// finds nothing to delete, which is not an error.
//
// Critical events are never dropped. When they alone fill more than 90 % of MaxBytes the alarm
// turns on (Options.OnAlarm, Stats.Alarm): the agent must refuse new work. Critical appends still
// succeed up to 100 %, then fail with ErrFull; the alarm turns off when acks bring critical events
// under 80 %.
//
// # File size
//
// bbolt never shrinks its file, but it reuses the pages freed by acks and drops: the file grows to
// the outbox's high-water mark and then stays there (TestFileSizeBounded,
// TestFileSizeFullOutbox). A full outbox takes about 1.5 times max_outbox_mb on disk (measured
// at 256 MiB with 300-byte events: 401 MB, 420 MB after churning through telemetry drops).
// Keep read transactions (View, Pending) short: pages freed while one is open cannot be reused
// until it ends.
//
// bbolt maps the whole file into memory, in a window up to twice its size: on 32-bit boards
// (armv6, armv7) keep storage.max_outbox_mb at 256 or less.
//
// A second process opening the same file fails after Options.LockTimeout with ErrLocked.
package outbox
