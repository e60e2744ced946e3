// Package ulid generates and parses ULIDs, the station's event ids: 128-bit identifiers made of a
// 48-bit Unix time in milliseconds and 80 random bits, written as 26 characters of Crockford
// base32 so that their text sorts like their time (https://github.com/ulid/spec).
//
// A Generator makes ids that strictly increase, even within one millisecond (the spec's
// "monotonicity": the random part of the previous id plus one) and even when the wall clock steps
// back, which a Raspberry Pi without a real-time clock does at boot.
package ulid

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
)

// ULID is one identifier: bytes 0-5 the big-endian Unix time in milliseconds, bytes 6-15 the
// random part (spec "Binary Layout and Byte Order").
type ULID [16]byte

// EncodedLen is the length of a ULID's text form.
const EncodedLen = 26

// MaxTime is the largest time a ULID can hold, in Unix milliseconds (year 10889).
const MaxTime = 1<<48 - 1

// Errors returned by New, Generator.New and Parse.
var (
	// ErrTime is returned when a time is before the Unix epoch or after MaxTime.
	ErrTime = errors.New("ulid: time outside 1970-01-01 .. year 10889")
	// ErrLength is returned by Parse for a string that is not 26 characters long.
	ErrLength = errors.New("ulid: text is not 26 characters long")
	// ErrCharacter is returned by Parse for a character outside Crockford's base32 alphabet.
	ErrCharacter = errors.New("ulid: character outside Crockford base32")
	// ErrOverflow is returned by Parse when the text encodes more than 128 bits (first
	// character above '7').
	ErrOverflow = errors.New("ulid: value larger than 128 bits")
	// ErrMonotonicOverflow is returned by Generator.New after 2^80 ids in one millisecond.
	ErrMonotonicOverflow = errors.New("ulid: random part overflow within one millisecond")
)

// encoding is Crockford's base32 alphabet (spec "Encoding"): no I, L, O or U.
const encoding = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// decoding maps a character to its 5-bit value, 0xFF where invalid; lower case is accepted.
var decoding = func() [256]byte {
	var d [256]byte
	for i := range d {
		d[i] = 0xFF
	}
	for i := 0; i < len(encoding); i++ {
		c := encoding[i]
		d[c] = byte(i)
		if 'A' <= c && c <= 'Z' {
			d[c+'a'-'A'] = byte(i)
		}
	}
	return d
}()

// Timestamp returns t as Unix milliseconds, or ErrTime when a ULID cannot hold it.
func Timestamp(t time.Time) (uint64, error) {
	ms := t.UnixMilli()
	if ms < 0 || ms > MaxTime {
		return 0, fmt.Errorf("%w: %s", ErrTime, t.Format(time.RFC3339))
	}
	return uint64(ms), nil
}

// New returns a ULID for time t with 10 bytes of randomness read from r (crypto/rand.Reader when
// r is nil). It is not monotonic: use a Generator for ids that must increase.
func New(t time.Time, r io.Reader) (ULID, error) {
	var u ULID
	ms, err := Timestamp(t)
	if err != nil {
		return u, err
	}
	u.setTime(ms)
	if r == nil {
		r = rand.Reader
	}
	if _, err := io.ReadFull(r, u[6:]); err != nil {
		return ULID{}, fmt.Errorf("ulid: read randomness: %w", err)
	}
	return u, nil
}

func (u *ULID) setTime(ms uint64) {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], ms)
	copy(u[:6], b[2:])
}

// Time returns the ULID's time in Unix milliseconds.
func (u ULID) Time() uint64 {
	var b [8]byte
	copy(b[2:], u[:6])
	return binary.BigEndian.Uint64(b[:])
}

// Timestamp returns the ULID's time.
func (u ULID) Timestamp() time.Time { return time.UnixMilli(int64(u.Time())) }

// Compare returns -1, 0 or +1 as u sorts before, with or after v; text forms sort the same way.
func (u ULID) Compare(v ULID) int { return bytes.Compare(u[:], v[:]) }

// String returns the 26-character canonical (upper case) text form.
func (u ULID) String() string {
	b := u.AppendText(make([]byte, 0, EncodedLen))
	return string(b)
}

// AppendText appends the text form to b.
func (u ULID) AppendText(b []byte) []byte {
	// The 128 bits are read as a 130-bit big-endian number with two leading zero bits, 5 bits per
	// character (spec "Encoding"): the first character is therefore 0-7.
	hi := binary.BigEndian.Uint64(u[:8])
	lo := binary.BigEndian.Uint64(u[8:])
	var out [EncodedLen]byte
	for i := EncodedLen - 1; i >= 0; i-- {
		out[i] = encoding[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return append(b, out[:]...)
}

// MarshalText implements encoding.TextMarshaler.
func (u ULID) MarshalText() ([]byte, error) { return u.AppendText(nil), nil }

// UnmarshalText implements encoding.TextUnmarshaler with Parse's rules.
func (u *ULID) UnmarshalText(b []byte) error {
	v, err := parse(b)
	if err != nil {
		return err
	}
	*u = v
	return nil
}

// Parse decodes a ULID's text form. Upper and lower case are accepted; Crockford's substitutions
// (I and L for 1, O for 0) are not, because an id is compared as text by the OMS.
func Parse(s string) (ULID, error) { return parse([]byte(s)) }

func parse(s []byte) (ULID, error) {
	if len(s) != EncodedLen {
		return ULID{}, fmt.Errorf("%w: got %d", ErrLength, len(s))
	}
	var hi, lo uint64
	for i, c := range s {
		v := decoding[c]
		if v == 0xFF {
			return ULID{}, fmt.Errorf("%w: %q at %d", ErrCharacter, c, i)
		}
		if i == 0 && v > 7 {
			return ULID{}, ErrOverflow
		}
		hi = hi<<5 | lo>>59
		lo = lo<<5 | uint64(v)
	}
	var u ULID
	binary.BigEndian.PutUint64(u[:8], hi)
	binary.BigEndian.PutUint64(u[8:], lo)
	return u, nil
}

// Generator makes strictly increasing ULIDs. Within one millisecond, and whenever the clock reads
// earlier than the previous id, the next id keeps the previous time and adds one to its random
// part (spec "Monotonicity"). A Generator is not safe for concurrent use.
type Generator struct {
	r    io.Reader
	last ULID
	have bool
}

// NewGenerator returns a Generator reading randomness from r (crypto/rand.Reader when nil).
func NewGenerator(r io.Reader) *Generator {
	if r == nil {
		r = rand.Reader
	}
	return &Generator{r: r}
}

// New returns the next id for time t.
func (g *Generator) New(t time.Time) (ULID, error) {
	ms, err := Timestamp(t)
	if err != nil {
		return ULID{}, err
	}
	if g.have && ms <= g.last.Time() {
		u := g.last
		// Add one to the 80-bit random part (bytes 6-15), carrying towards byte 6.
		for i := len(u) - 1; i >= 6; i-- {
			u[i]++
			if u[i] != 0 {
				g.last = u
				return u, nil
			}
		}
		return ULID{}, ErrMonotonicOverflow
	}
	u, err := New(t, g.r)
	if err != nil {
		return ULID{}, err
	}
	g.last, g.have = u, true
	return u, nil
}
