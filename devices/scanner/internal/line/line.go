// Package line assembles the lines of a scanner, byte by byte, for the serial and evdev drivers:
// it bounds their length, checks that they are text, and strips a configured prefix and suffix.
// Framing (which bytes end a line) is the driver's; what makes a line acceptable is shared here so
// that both drivers drop the same things with the same log messages.
package line

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Max is the longest line passed on, in bytes (issue #4: lines over 4 KiB are dropped). The
// largest 2D codes a packing station sees (GS1 DataMatrix, QR with a Digital Link URL) stay well
// under it.
const Max = 4096

// Reasons a line is dropped.
var (
	ErrTooLong = errors.New("line longer than 4096 bytes")
	ErrNotText = errors.New("line is not text (invalid UTF-8 or a control character other than GS, RS, EOT or TAB)")
)

// Assembler collects one line. The zero value is ready to use.
type Assembler struct {
	Prefix, Suffix string // stripped from a line that starts or ends with them

	buf     []byte
	tooLong bool
}

// Add appends b to the line being assembled.
func (a *Assembler) Add(b ...byte) {
	if a.tooLong {
		return
	}
	if len(a.buf)+len(b) > Max {
		a.tooLong = true
		a.buf = a.buf[:0]
		return
	}
	a.buf = append(a.buf, b...)
}

// AddRune appends the UTF-8 encoding of r.
func (a *Assembler) AddRune(r rune) {
	var b [utf8.UTFMax]byte
	a.Add(b[:utf8.EncodeRune(b[:], r)]...)
}

// Pending reports whether a line has been started.
func (a *Assembler) Pending() bool { return len(a.buf) > 0 || a.tooLong }

// Len returns the number of bytes held (0 once the line is too long).
func (a *Assembler) Len() int { return len(a.buf) }

// Peek returns the bytes held, for a log line; valid until the next call.
func (a *Assembler) Peek() []byte { return a.buf }

// Reset discards the line being assembled.
func (a *Assembler) Reset() { a.buf, a.tooLong = a.buf[:0], false }

// End finishes the line. It returns the line with prefix and suffix stripped, ok false for an
// empty line (nothing to pass on, nothing to report), or ErrTooLong / ErrNotText.
func (a *Assembler) End() (data string, ok bool, err error) {
	defer a.Reset()
	if a.tooLong {
		return "", false, ErrTooLong
	}
	if len(a.buf) == 0 {
		return "", false, nil
	}
	if !Text(a.buf) {
		return "", false, ErrNotText
	}
	s := string(a.buf)
	s = strings.TrimPrefix(s, a.Prefix)
	s = strings.TrimSuffix(s, a.Suffix)
	return s, s != "", nil
}

// Text reports whether b is valid UTF-8 without control characters other than TAB, GS (FNC1),
// RS and EOT (the separators of ISO/IEC 15434 messages).
func Text(b []byte) bool {
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != 0x1D && c != 0x1E && c != 0x04 || c == 0x7F {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 || r >= 0x80 && r < 0xA0 {
			return false
		}
		i += n
	}
	return true
}

// Quote shows at most the first 40 bytes of b for a log line.
func Quote(b []byte) string {
	const n = 40
	if len(b) > n {
		return strconv.Quote(string(b[:n])) + "..."
	}
	return strconv.Quote(string(b))
}
