package evdev

import (
	"fmt"
	"log/slog"
	"strings"
)

// This file plays the scanner: it types text as a USB HID keyboard wedge set to a layout would,
// producing the key events the kernel's HID driver generates (MSC_SCAN with the HID usage, the
// key, SYN_REPORT; Shift or AltGr held around a character). The tables are written from the
// scanner's side (character -> keys), apart from the decoder's tables (keys -> character).

type stroke struct {
	mods []uint16
	key  uint16
}

func strokes(rows ...string) map[rune]stroke {
	m := map[rune]stroke{}
	for _, row := range rows {
		// "mods:code:chars": chars typed by consecutive key codes from code, with mods held.
		parts := strings.SplitN(row, ":", 3)
		var mods []uint16
		switch parts[0] {
		case "shift":
			mods = []uint16{keyLeftShift}
		case "altgr":
			mods = []uint16{keyRightAlt}
		}
		var code uint16
		fmt.Sscan(parts[1], &code)
		for i, r := range []rune(parts[2]) {
			m[r] = stroke{mods, code + uint16(i)}
		}
	}
	return m
}

var usStrokes = strokes(
	":16:qwertyuiop[]", "shift:16:QWERTYUIOP{}", ":30:asdfghjkl;'`", "shift:30:ASDFGHJKL:\"~",
	":44:zxcvbnm,./", "shift:44:ZXCVBNM<>?", ":2:1234567890-=", "shift:2:!@#$%^&*()_+",
	`:43:\`, "shift:43:|", ":57: ",
)

var frStrokes = strokes(
	":16:azertyuiop^$", "shift:16:AZERTYUIOP", ":30:qsdfghjklmù", "shift:30:QSDFGHJKLM%",
	":44:wxcvbn,;:!", "shift:44:WXCVBN?./§", ":2:&é\"'(-è_çà)=", "shift:2:1234567890°+",
	"altgr:3:~#{[|`\\^@]}", ":43:*", "shift:43:µ", ":86:<", "shift:86:>", ":57: ",
)

// hidUsage gives the HID keyboard usage (page 7) of a key code, for the MSC_SCAN events.
func hidUsage(code uint16) int32 {
	const letters = "\x1e\x30\x2e\x20\x12\x21\x22\x23\x17\x24\x25\x26\x32\x31\x18\x19\x10\x13\x1f\x14\x16\x2f\x11\x2d\x15\x2c"
	if i := strings.IndexByte(letters, byte(code)); i >= 0 && code < 0x40 {
		return 0x70004 + int32(i)
	}
	if u, ok := otherUsages[code]; ok {
		return u
	}
	switch {
	case code >= key1 && code <= key0:
		return 0x7001e + int32(code-key1)
	case code == keyEnter:
		return 0x70028
	case code == keyLeftShift:
		return 0x700e1
	case code == keyRightAlt:
		return 0x700e6
	case code == keyLeftCtrl:
		return 0x700e0
	case code == keyLeftAlt:
		return 0x700e2
	}
	return 0
}

type typist struct {
	evs  []Event
	usec int64
}

func (t *typist) report(code uint16, value int32) {
	t.usec += 1000 // one HID report per USB frame (1 ms)
	if u := hidUsage(code); u != 0 {
		t.evs = append(t.evs, Event{Sec: 1732370000 + t.usec/1e6, Usec: t.usec % 1e6, Type: EvMsc, Code: 4, Value: u})
	}
	t.evs = append(t.evs, Event{Sec: 1732370000 + t.usec/1e6, Usec: t.usec % 1e6, Type: EvKey, Code: code, Value: value})
	t.evs = append(t.evs, Event{Sec: 1732370000 + t.usec/1e6, Usec: t.usec % 1e6, Type: EvSyn, Code: SynReport})
}

func (t *typist) tap(mods []uint16, key uint16) {
	for _, m := range mods {
		t.report(m, 1)
	}
	t.report(key, 1)
	t.report(key, 0)
	for _, m := range mods {
		t.report(m, 0)
	}
}

// typeText types s with the layout's strokes; "\x1d" is typed as seq (a key sequence for GS),
// "\n" as Enter.
func (t *typist) typeText(table map[rune]stroke, s string, gs func(*typist)) {
	for _, r := range s {
		switch r {
		case '\n':
			t.tap(nil, keyEnter)
		case 0x1d:
			gs(t)
		default:
			st, ok := table[r]
			if !ok {
				panic(fmt.Sprintf("no stroke for %q", r))
			}
			t.tap(st.mods, st.key)
		}
	}
}

// GS key sequences a wedge can be programmed to send.
func gsCtrl(t *typist) { t.tap([]uint16{keyLeftCtrl}, keyRightBrace) }

func gsAltCode(t *typist) {
	t.report(keyLeftAlt, 1)
	for _, k := range []uint16{keyKP0, keyKP2, keyKP9} {
		t.report(k, 1)
		t.report(k, 0)
	}
	t.report(keyLeftAlt, 0)
}

var discard = slog.New(slog.DiscardHandler)

// otherUsages are the HID usages (HID Usage Tables, keyboard page 0x07) of the other keys typed.
var otherUsages = map[uint16]int32{12: 0x7002d, 13: 0x7002e, 26: 0x7002f, 27: 0x70030, 43: 0x70031,
	39: 0x70033, 40: 0x70034, 41: 0x70035, 51: 0x70036, 52: 0x70037, 53: 0x70038, 57: 0x7002c,
	86: 0x70064, keyKP0: 0x70062, keyKP2: 0x7005a, keyKP9: 0x70061, keyRightCtrl: 0x700e4}

// keyNames are evtest's names of the keys typed.
var keyNames = map[uint16]string{keyEnter: "KEY_ENTER", keyLeftShift: "KEY_LEFTSHIFT", keyRightAlt: "KEY_RIGHTALT",
	keyLeftCtrl: "KEY_LEFTCTRL", keyLeftAlt: "KEY_LEFTALT", keyKP0: "KEY_KP0", keyKP2: "KEY_KP2", keyKP9: "KEY_KP9",
	keyRightBrace: "KEY_RIGHTBRACE", keyMinus: "KEY_MINUS", 57: "KEY_SPACE"}
