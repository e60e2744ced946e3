package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"strings"
	"testing"
)

func padded(typ string, tele bool, n int) Event {
	return Event{Type: typ, Telemetry: tele, Data: map[string]string{"pad": strings.Repeat("x", n)}}
}

// teleTracker follows the telemetry a test has stored, oldest first, and checks each drop
// against it.
type teleTracker struct {
	t      *testing.T
	s      *Store
	stored []Record // telemetry still stored, oldest first
	last   uint64   // last seq seen
	drops  int
	freed  int64 // payload bytes dropped
}

// appended checks a record returned by Append: either the next seq, or a drop notice before it
// that names exactly the oldest tracked telemetry events.
func (tr *teleTracker) appended(rec Record) {
	t := tr.t
	t.Helper()
	switch rec.Seq {
	case tr.last + 1:
	case tr.last + 2:
		tr.drops++
		recs, err := tr.s.Pending(tr.last, 1)
		if err != nil || len(recs) != 1 || recs[0].Seq != tr.last+1 {
			t.Fatalf("no notice at seq %d: %v %v", tr.last+1, recs, err)
		}
		notice := recs[0]
		if notice.Type != TypeDropped || notice.Telemetry {
			t.Fatalf("seq %d is %s (telemetry %v), want a critical %s", notice.Seq, notice.Type, notice.Telemetry, TypeDropped)
		}
		var env struct{ Data Dropped }
		if err := json.Unmarshal(notice.Payload, &env); err != nil {
			t.Fatal(err)
		}
		d := env.Data
		if d.Count < 1 || d.Count > len(tr.stored) {
			t.Fatalf("notice %s: count %d, %d telemetry stored", notice.Payload, d.Count, len(tr.stored))
		}
		victims := tr.stored[:d.Count]
		types := map[string]int{}
		var freed int
		for _, v := range victims {
			types[v.Type]++
			freed += len(v.Payload)
		}
		if d.FromSeq != victims[0].Seq || d.ToSeq != victims[len(victims)-1].Seq || !maps.Equal(d.Types, types) {
			t.Fatalf("notice %s; the oldest %d telemetry are %d..%d %v", notice.Payload, d.Count, victims[0].Seq, victims[len(victims)-1].Seq, types)
		}
		if d.Count < len(tr.stored) && int64(freed) < tr.s.max/dropChunk {
			t.Errorf("drop freed %d bytes, less than the chunk %d, and left telemetry", freed, tr.s.max/dropChunk)
		}
		tr.stored = tr.stored[d.Count:]
		tr.freed += int64(freed)
		for _, v := range victims {
			if got, _ := tr.s.Pending(v.Seq-1, 1); len(got) > 0 && got[0].Seq == v.Seq {
				t.Fatalf("dropped seq %d still stored", v.Seq)
			}
		}
	default:
		t.Fatalf("seq %d after %d", rec.Seq, tr.last)
	}
	tr.last = rec.Seq
	if rec.Telemetry {
		tr.stored = append(tr.stored, rec)
	}
	if st := tr.s.Stats(); st.Bytes > st.MaxBytes {
		t.Fatalf("stored %d bytes, over the bound %d", st.Bytes, st.MaxBytes)
	}
}

func TestCapacityPolicy(t *testing.T) {
	const max = 16000
	alarms := make(chan bool, 16)
	o := testOptions()
	o.MaxBytes = max
	o.OnAlarm = func(full bool) { alarms <- full }
	s := openStore(t, tempPath(t), o)
	tr := &teleTracker{t: t, s: s}

	// Telemetry up to 75 %: no drop.
	for i := 0; s.Stats().Bytes < max*3/4; i++ {
		typ := "scan"
		if i%3 == 2 {
			typ = "weight"
		}
		tr.appended(mustAppend(t, s, padded(typ, true, 70)))
	}
	if tr.drops != 0 {
		t.Fatal("dropped below the bound")
	}

	// Critical events push the telemetry out, oldest first, until they alone fill the store.
	var critical []Record
	alarmOn := false
	for {
		rec, err := s.Append(context.Background(), padded("pack.item", false, 120))
		if errors.Is(err, ErrFull) {
			if !strings.Contains(err.Error(), "outbox full (0.") || !strings.Contains(err.Error(), " of 0.0152587890625 MiB): the broker has been unreachable; check the network or raise storage.max_outbox_mb") {
				t.Errorf("ErrFull message: %v", err)
			}
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if rec.Seq == tr.last+2 {
			critical = append(critical, Record{Seq: rec.Seq - 1, Type: TypeDropped})
		}
		tr.appended(rec)
		critical = append(critical, rec)

		st := s.Stats()
		if want := st.CriticalBytes*10 > max*9; st.Alarm != want {
			t.Fatalf("alarm %v at %d critical bytes of %d", st.Alarm, st.CriticalBytes, max)
		}
		if st.Alarm && !alarmOn {
			if on := <-alarms; !on {
				t.Fatal("OnAlarm(false) when the alarm turned on")
			}
			alarmOn = true
		}
	}
	if !alarmOn {
		t.Fatal("the alarm never turned on")
	}
	if len(tr.stored) != 0 {
		t.Errorf("%d telemetry events left when critical events were refused", len(tr.stored))
	}
	st := s.Stats()
	if st.LastSeq != tr.last || st.TelemetryEvents != 0 || st.TelemetryDropped == 0 {
		t.Errorf("stats after ErrFull: %+v", st)
	}
	t.Logf("%d drops, %d telemetry dropped; full at %d of %d bytes", tr.drops, st.TelemetryDropped, st.Bytes, max)

	// Telemetry now has no room: refused, counted, no seq.
	if _, err := s.Append(context.Background(), padded("scan", true, 10)); !errors.Is(err, ErrFull) {
		t.Fatalf("telemetry into a store full of critical events: %v", err)
	}
	if st := s.Stats(); st.TelemetryRefused != 1 || st.LastSeq != tr.last {
		t.Errorf("after the refused telemetry: %+v", st)
	}

	// Critical events are never dropped: every one is still there.
	stored := map[uint64]bool{}
	for _, r := range pendingAll(t, s) {
		stored[r.Seq] = true
	}
	for _, r := range critical {
		if !stored[r.Seq] {
			t.Errorf("critical event %d (%s) is gone", r.Seq, r.Type)
		}
	}

	// Acks: the alarm stays on down to 80 %, then clears.
	for i := 0; s.Stats().Alarm; i++ {
		before := s.Stats()
		if err := s.Ack(critical[i].Seq); err != nil {
			t.Fatal(err)
		}
		after := s.Stats()
		if !after.Alarm && after.CriticalBytes*10 >= max*8 {
			t.Fatalf("alarm cleared at %d of %d bytes", after.CriticalBytes, max)
		}
		if after.Alarm && before.CriticalBytes*10 < max*8 {
			t.Fatalf("alarm still on at %d of %d bytes", before.CriticalBytes, max)
		}
	}
	if off := <-alarms; off {
		t.Error("OnAlarm(true) when the alarm cleared")
	}
	mustAppend(t, s, padded("scan", true, 70))
}

func TestTelemetryStream(t *testing.T) {
	// A broker down for long while only telemetry flows: drops come in chunks of at least
	// MaxBytes/16, so their notices stay few.
	const max = 64 << 10
	o := testOptions()
	o.MaxBytes = max
	s := openStore(t, tempPath(t), o)
	tr := &teleTracker{t: t, s: s}
	for i := 0; i < 3000; i += 20 {
		var recs []Record
		err := s.Update(context.Background(), func(tx *Tx) error {
			recs = recs[:0]
			for j := range 20 {
				rec, err := tx.Append(padded("weight", true, 40+(i+j)%50))
				if err != nil {
					return err
				}
				recs = append(recs, rec)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, rec := range recs {
			tr.appended(rec)
		}
	}
	st := s.Stats()
	t.Logf("3000 telemetry appends into %d bytes: %d drops, %d dropped (%d bytes), %d bytes of notices",
		max, tr.drops, st.TelemetryDropped, tr.freed, st.CriticalBytes)
	if tr.drops == 0 || st.TelemetryRefused != 0 || st.Alarm {
		t.Errorf("stats %+v", st)
	}
	if int64(tr.drops-1)*(max/dropChunk) > tr.freed {
		t.Errorf("%d drops freed only %d bytes: not chunked", tr.drops, tr.freed)
	}
}

func TestCapacityEdges(t *testing.T) {
	const max = 4000
	o := testOptions()
	o.MaxBytes = max

	t.Run("event larger than the bound", func(t *testing.T) {
		s := openStore(t, tempPath(t), o)
		for _, tele := range []bool{false, true} {
			if _, err := s.Append(context.Background(), padded("pack.completed", tele, max)); !errors.Is(err, ErrFull) {
				t.Errorf("telemetry %v: %v", tele, err)
			}
		}
		if st := s.Stats(); st.LastSeq != 0 || st.TelemetryRefused != 1 {
			t.Errorf("%+v", st)
		}
	})

	t.Run("drop rolled back with its Update", func(t *testing.T) {
		s := openStore(t, tempPath(t), o)
		for s.Stats().Bytes < max-300 {
			mustAppend(t, s, padded("scan", true, 50))
		}
		before := s.Stats()
		boom := errors.New("boom")
		err := s.Update(context.Background(), func(tx *Tx) error {
			rec, err := tx.Append(padded("pack.completed", false, 300))
			if err != nil {
				return err
			}
			if rec.Seq != before.LastSeq+2 {
				t.Errorf("seq %d: no drop inside the transaction", rec.Seq)
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		if after := s.Stats(); persistent(after) != persistent(before) {
			t.Errorf("failed Update changed the store:\n%+v\n%+v", before, after)
		}
	})

	t.Run("a telemetry error swallowed by fn", func(t *testing.T) {
		s := openStore(t, tempPath(t), o)
		for {
			if _, err := s.Append(context.Background(), padded("pack.item", false, 100)); err != nil {
				break
			}
		}
		err := s.Update(context.Background(), func(tx *Tx) error {
			if _, err := tx.Append(padded("scan", true, 110)); !errors.Is(err, ErrFull) {
				t.Errorf("telemetry into a full store: %v", err)
			}
			return tx.Put([]byte("b"), []byte("k"), []byte("v"))
		})
		if err != nil {
			t.Fatal(err)
		}
		if st := s.Stats(); st.TelemetryRefused != 1 {
			t.Errorf("refused %d", st.TelemetryRefused)
		}
	})
}

func TestAlarmAtOpen(t *testing.T) {
	const max = 4000
	path := tempPath(t)
	o := testOptions()
	o.MaxBytes = max
	s := openStore(t, path, o)
	for s.Stats().CriticalBytes*10 <= max*9 {
		mustAppend(t, s, padded("pack.item", false, 100))
	}
	if !s.Stats().Alarm {
		t.Fatal("no alarm over 90 %")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	alarms := make(chan bool, 4)
	o.OnAlarm = func(full bool) { alarms <- full }
	s = openStore(t, path, o)
	if on := <-alarms; !on || !s.Stats().Alarm {
		t.Errorf("reopened full store: OnAlarm(%v), Stats().Alarm %v", on, s.Stats().Alarm)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// storage.max_outbox_mb raised: the alarm clears at open, silently.
	o.MaxBytes = 2 * max
	s = openStore(t, path, o)
	if s.Stats().Alarm {
		t.Error("alarm still on after raising MaxBytes")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case v := <-alarms:
		t.Errorf("OnAlarm(%v) called for a store that opened without alarm", v)
	default:
	}
}
