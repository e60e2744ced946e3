package evdev

// Key codes of linux/input-event-codes.h used by the keymaps and the decoder.
const (
	key1          = 2
	key0          = 11
	keyMinus      = 12
	keyTab        = 15
	keyLeftBrace  = 26
	keyRightBrace = 27
	keyEnter      = 28
	keyLeftCtrl   = 29
	keyLeftShift  = 42
	keyBackslash  = 43
	keyRightShift = 54
	keyLeftAlt    = 56
	keyCapsLock   = 58
	keyNumLock    = 69
	keyScrollLock = 70
	keyKP7        = 71
	keyKP8        = 72
	keyKP9        = 73
	keyKP4        = 75
	keyKP5        = 76
	keyKP6        = 77
	keyKP1        = 79
	keyKP2        = 80
	keyKP3        = 81
	keyKP0        = 82
	keyKPEnter    = 96
	keyRightCtrl  = 97
	keyRightAlt   = 100
)

// keyDef is what one key types: alone, with Shift, with AltGr (0: nothing). caps says whether
// Caps Lock acts on it as Shift does.
type keyDef struct {
	base, shift, altgr rune
	caps               bool
	dead               bool // base and shift are dead accents (French ^ and ¨)
}

// Layout maps key codes to characters, the way the host would if the scanner were typing into it.
type Layout struct {
	Name  string
	keys  [128]keyDef
	altGr bool // the right Alt key is AltGr (else it is Alt)
}

func letters(l *Layout, codes []uint16, chars string) {
	for i, c := range codes {
		r := rune(chars[i])
		l.keys[c] = keyDef{base: r, shift: r - 'a' + 'A', caps: true}
	}
}

// common fills what US and French keyboards share: keypad, space, tab.
func common(l *Layout) {
	for c, r := range map[uint16]rune{71: '7', 72: '8', 73: '9', 74: '-', 75: '4', 76: '5', 77: '6', 78: '+',
		79: '1', 80: '2', 81: '3', 82: '0', 83: '.', 55: '*', 98: '/', 57: ' ', keyTab: '\t'} {
		l.keys[c] = keyDef{base: r, shift: r}
	}
}

// US is the United States layout (Linux kbd "us", Windows KBDUS).
var US = func() *Layout {
	l := &Layout{Name: "us"}
	common(l)
	letters(l, []uint16{16, 17, 18, 19, 20, 21, 22, 23, 24, 25}, "qwertyuiop")
	letters(l, []uint16{30, 31, 32, 33, 34, 35, 36, 37, 38}, "asdfghjkl")
	letters(l, []uint16{44, 45, 46, 47, 48, 49, 50}, "zxcvbnm")
	for i, p := range []string{"1!", "2@", "3#", "4$", "5%", "6^", "7&", "8*", "9(", "0)", "-_", "=+"} {
		r := []rune(p)
		l.keys[key1+i] = keyDef{base: r[0], shift: r[1]}
	}
	for c, p := range map[uint16]string{26: "[{", 27: "]}", 39: ";:", 40: "'\"", 41: "`~", 43: `\|`,
		51: ",<", 52: ".>", 53: "/?", 86: "<>"} {
		r := []rune(p)
		l.keys[c] = keyDef{base: r[0], shift: r[1]}
	}
	return l
}()

// FR is the French AZERTY layout as Windows (KBDFR) and Linux (kbd "fr", xkb "fr") define it:
// digits with Shift on the top row, AltGr (right Alt) for ~ # { [ | ` \ ^ @ ] } €, ^ and ¨ as
// dead keys. Caps Lock acts on the letters and, as on Windows, on the top row (it then types
// digits), which is the host French scanners are set up against.
var FR = func() *Layout {
	l := &Layout{Name: "fr", altGr: true}
	common(l)
	letters(l, []uint16{16, 17, 18, 19, 20, 21, 22, 23, 24, 25}, "azertyuiop")
	letters(l, []uint16{30, 31, 32, 33, 34, 35, 36, 37, 38, 39}, "qsdfghjklm")
	letters(l, []uint16{44, 45, 46, 47, 48, 49}, "wxcvbn")
	l.keys[18].altgr = '€'
	top := []struct {
		base, shift, altgr rune
	}{
		{'&', '1', 0}, {'é', '2', '~'}, {'"', '3', '#'}, {'\'', '4', '{'}, {'(', '5', '['},
		{'-', '6', '|'}, {'è', '7', '`'}, {'_', '8', '\\'}, {'ç', '9', '^'}, {'à', '0', '@'},
	}
	for i, k := range top {
		l.keys[key1+i] = keyDef{base: k.base, shift: k.shift, altgr: k.altgr, caps: true}
	}
	l.keys[12] = keyDef{base: ')', shift: '°', altgr: ']'}
	l.keys[13] = keyDef{base: '=', shift: '+', altgr: '}'}
	l.keys[26] = keyDef{base: '^', shift: '¨', dead: true}
	l.keys[27] = keyDef{base: '$', shift: '£', altgr: '¤'}
	l.keys[40] = keyDef{base: 'ù', shift: '%'}
	l.keys[41] = keyDef{base: '²'}
	l.keys[43] = keyDef{base: '*', shift: 'µ'}
	l.keys[50] = keyDef{base: ',', shift: '?'}
	l.keys[51] = keyDef{base: ';', shift: '.'}
	l.keys[52] = keyDef{base: ':', shift: '/'}
	l.keys[53] = keyDef{base: '!', shift: '§'}
	l.keys[86] = keyDef{base: '<', shift: '>'}
	return l
}()

// Layouts lists the layouts by their option value.
var Layouts = map[string]*Layout{"us": US, "fr": FR}

// compose joins a dead accent and the next character (French layout: ^ and ¨ on vowels).
func compose(accent, r rune) (rune, bool) {
	const vowels = "aeiouAEIOU"
	circ := []rune("âêîôûÂÊÎÔÛ")
	diaer := []rune("äëïöüÄËÏÖÜ")
	for i, v := range vowels {
		if r == v {
			if accent == '^' {
				return circ[i], true
			}
			return diaer[i], true
		}
	}
	if accent == '¨' && r == 'y' {
		return 'ÿ', true
	}
	return 0, false
}
