package evdev

import (
	"errors"
	"fmt"
	"strings"

	"github.com/stationd/stationd/devices/scanner/internal/line"
)

// Modifier bits of the keyboard state.
const (
	modLShift = 1 << iota
	modRShift
	modLCtrl
	modRCtrl
	modLAlt
	modRAlt
)

// keyboard turns key events into characters as the host keyboard driver would: Shift, Caps
// Lock, AltGr (French), Ctrl combinations for control characters, and Alt + keypad digits for a
// character by its decimal code.
type keyboard struct {
	layout  *Layout
	mods    uint8
	caps    bool
	altCode int  // decimal code typed on the keypad while Alt is held
	altN    int  // digits typed
	dead    rune // pending dead accent
}

// What a key event produced.
const (
	outNone  = iota
	outChars // out[:n] are characters
	outEnter // Enter or keypad Enter
	outBad   // a key or combination that types no character
)

type keyOut struct {
	kind int
	r    [2]rune
	n    int
	code uint16 // the key, for outBad
}

// ctrlCodes are the control characters typed with Ctrl on keys other than letters, by key
// position (Linux console keymaps and Windows KBDUS/KBDFR agree on these positions): Ctrl+[ ESC,
// Ctrl+\ FS, Ctrl+] GS (the usual wedge encoding of FNC1), Ctrl+6 RS, Ctrl+- US, Ctrl+2 NUL.
var ctrlCodes = map[uint16]rune{keyLeftBrace: 0x1B, keyBackslash: 0x1C, keyRightBrace: 0x1D, 7: 0x1E, keyMinus: 0x1F, 3: 0x00}

var keypadDigits = map[uint16]int{keyKP0: 0, keyKP1: 1, keyKP2: 2, keyKP3: 3, keyKP4: 4, keyKP5: 5, keyKP6: 6, keyKP7: 7, keyKP8: 8, keyKP9: 9}

func (k *keyboard) reset() { *k = keyboard{layout: k.layout} }

func (k *keyboard) alt() bool {
	return k.mods&modLAlt != 0 || k.mods&modRAlt != 0 && !k.layout.altGr
}

func (k *keyboard) altGr() bool { return k.mods&modRAlt != 0 && k.layout.altGr }

// key handles one EV_KEY event: value 1 press, 0 release, 2 autorepeat (ignored: a scanner
// never holds a key long enough for it, and a repeat would double a character).
func (k *keyboard) key(code uint16, value int32) keyOut {
	if bit := modBit(code); bit != 0 {
		switch value {
		case 1:
			k.mods |= bit
		case 0:
			k.mods &^= bit
			if bit == modLAlt || bit == modRAlt && !k.layout.altGr {
				return k.altRelease()
			}
		}
		return keyOut{}
	}
	if value != 1 {
		return keyOut{}
	}
	switch code {
	case keyCapsLock:
		k.caps = !k.caps
		return keyOut{}
	case keyNumLock, keyScrollLock:
		return keyOut{}
	case keyEnter, keyKPEnter:
		return keyOut{kind: outEnter}
	}
	if k.alt() {
		// Alt + keypad digits (Windows "Alt codes"): the character with that decimal code,
		// typed when Alt is released. Scanners use it for characters a layout lacks, GS as 029.
		if d, ok := keypadDigits[code]; ok && k.altN < 3 {
			k.altCode, k.altN = k.altCode*10+d, k.altN+1
			return keyOut{}
		}
		return keyOut{kind: outBad, code: code}
	}
	if k.mods&(modLCtrl|modRCtrl) != 0 && !k.altGr() {
		if int(code) < len(k.layout.keys) {
			if b := k.layout.keys[code].base; b >= 'a' && b <= 'z' {
				return chars(b - 'a' + 1)
			}
		}
		if r, ok := ctrlCodes[code]; ok {
			return chars(r)
		}
		return keyOut{kind: outBad, code: code}
	}
	if int(code) >= len(k.layout.keys) {
		return keyOut{kind: outBad, code: code}
	}
	def := k.layout.keys[code]
	var r rune
	if k.altGr() {
		r = def.altgr
	} else {
		shift := k.mods&(modLShift|modRShift) != 0
		if k.caps && def.caps {
			shift = !shift
		}
		r = def.base
		if shift {
			r = def.shift
		}
		if def.dead && r != 0 {
			if k.dead != 0 { // two dead keys: the first is typed as itself
				prev := k.dead
				k.dead = r
				return chars(prev)
			}
			k.dead = r
			return keyOut{}
		}
	}
	if r == 0 {
		return keyOut{kind: outBad, code: code}
	}
	if a := k.dead; a != 0 {
		k.dead = 0
		if r == ' ' {
			return chars(a)
		}
		if c, ok := compose(a, r); ok {
			return chars(c)
		}
		return keyOut{kind: outChars, r: [2]rune{a, r}, n: 2}
	}
	return chars(r)
}

func (k *keyboard) altRelease() keyOut {
	code, n := k.altCode, k.altN
	k.altCode, k.altN = 0, 0
	switch {
	case n == 0:
		return keyOut{}
	case code == 0 || code > 255 || code >= 0x80 && code < 0xA0:
		// 128-159 depend on the Windows code page (1252 or 437); not supported.
		return keyOut{kind: outBad, code: keyLeftAlt}
	}
	return chars(rune(code)) // ASCII, and Latin-1 from 160 (= Windows-1252 there)
}

func chars(r rune) keyOut { return keyOut{kind: outChars, r: [2]rune{r}, n: 1} }

func modBit(code uint16) uint8 {
	switch code {
	case keyLeftShift:
		return modLShift
	case keyRightShift:
		return modRShift
	case keyLeftCtrl:
		return modLCtrl
	case keyRightCtrl:
		return modRCtrl
	case keyLeftAlt:
		return modLAlt
	case keyRightAlt:
		return modRAlt
	}
	return 0
}

// Reasons a scan is dropped, beyond those of package line.
var (
	// ErrEventsLost: the kernel dropped events (SYN_DROPPED) while the scan was typed.
	ErrEventsLost = errors.New("input events lost by the kernel (SYN_DROPPED)")
)

// UnmappedKeyError says a scan contained a key that types nothing in the layout.
type UnmappedKeyError struct {
	Code   uint16
	Layout string
}

func (e *UnmappedKeyError) Error() string {
	return fmt.Sprintf("key %d types no character in layout %s: check the scanner's keyboard country and layout option", e.Code, e.Layout)
}

// framer assembles scans from events.
type framer struct {
	kb    keyboard
	asm   line.Assembler
	enter bool   // Enter ends a scan
	tab   bool   // Tab ends a scan
	gs    string // stand-in for GS, replaced by 0x1D
	bad   error  // why the scan being typed will be dropped
}

// event handles one event. done reports that a scan ended: data is the scan, or err why it was
// dropped (data "" and err nil: an empty line, ignored).
func (f *framer) event(ev Event) (data string, done bool, err error) {
	switch ev.Type {
	case EvSyn:
		if ev.Code == SynDropped {
			f.kb.reset()
			if f.asm.Pending() {
				f.bad = ErrEventsLost
			}
		}
		return "", false, nil
	case EvKey:
	default:
		return "", false, nil
	}
	out := f.kb.key(ev.Code, ev.Value)
	switch out.kind {
	case outNone:
		return "", false, nil
	case outBad:
		if f.bad == nil {
			f.bad = &UnmappedKeyError{Code: out.code, Layout: f.kb.layout.Name}
		}
		f.asm.Add(0) // the line is pending
		return "", false, nil
	case outEnter:
		if f.enter {
			return f.end()
		}
		return "", false, nil // Enter is not data
	}
	for _, r := range out.r[:out.n] {
		if r == '\t' && f.tab {
			return f.end()
		}
		f.asm.AddRune(r)
	}
	return "", false, nil
}

func (f *framer) end() (string, bool, error) {
	s, ok, err := f.asm.End()
	bad := f.bad
	f.bad = nil
	f.kb.dead = 0
	if bad != nil {
		return "", true, bad
	}
	if err != nil || !ok {
		return "", true, err
	}
	if f.gs != "" {
		s = strings.ReplaceAll(s, f.gs, "\x1d")
	}
	return s, true, nil
}

func (f *framer) pending() bool { return f.asm.Pending() || f.kb.dead != 0 || f.kb.altN > 0 }

func (f *framer) reset() {
	f.asm.Reset()
	f.bad = nil
	f.kb.dead, f.kb.altCode, f.kb.altN = 0, 0, 0
}
