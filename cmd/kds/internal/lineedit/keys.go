package lineedit

import "unicode/utf8"

type keyCode int

const (
	keyNone keyCode = iota
	keyRune
	keyEnter
	keyInterrupt
	keyEOF
	keyBackspace
	keyDelete
	keyLeft
	keyRight
	keyHome
	keyEnd
	keyUp
	keyDown
	keyKillStart
	keyKillEnd
	keyKillWord
	keyClear
)

const keyCtrlC = 3

type key struct {
	code keyCode
	r    rune
}

// controls are the control characters that edit.
var controls = map[byte]keyCode{
	'\r': keyEnter, '\n': keyEnter,
	keyCtrlC: keyInterrupt,
	4:        keyEOF,       // Ctrl-D
	0x7f:     keyBackspace, // what Backspace sends
	8:        keyBackspace, // Ctrl-H
	1:        keyHome,      // Ctrl-A
	5:        keyEnd,       // Ctrl-E
	2:        keyLeft,      // Ctrl-B
	6:        keyRight,     // Ctrl-F
	0x10:     keyUp,        // Ctrl-P
	0x0e:     keyDown,      // Ctrl-N
	0x15:     keyKillStart, // Ctrl-U
	0x0b:     keyKillEnd,   // Ctrl-K
	0x17:     keyKillWord,  // Ctrl-W
	0x0c:     keyClear,     // Ctrl-L
}

// escapes are the escape sequences of the keys that edit, as terminals
// send them, after ESC [ or ESC O.
var escapes = map[string]keyCode{
	"A": keyUp, "B": keyDown, "C": keyRight, "D": keyLeft,
	"H": keyHome, "F": keyEnd, "1~": keyHome, "7~": keyHome, "4~": keyEnd, "8~": keyEnd,
	"3~": keyDelete,
}

// nextKey decodes the key at the start of b and how many bytes it takes;
// 0 bytes when b holds only the start of a key. Keys kds does not edit
// with decode as keyNone.
func nextKey(b []byte) (key, int) {
	c := b[0]
	switch {
	case c == '\r' && len(b) > 1 && b[1] == '\n':
		return key{code: keyEnter}, 2
	case c == 0x1b:
		return escapeKey(b)
	case c == '\t':
		return key{code: keyRune, r: '\t'}, 1
	case c < 0x20 || c == 0x7f:
		return key{code: controls[c]}, 1
	case !utf8.FullRune(b):
		return key{}, 0
	}
	r, size := utf8.DecodeRune(b)
	return key{code: keyRune, r: r}, size
}

// escapeKey decodes ESC [ ... and ESC O ...: CSI sequences end at a byte
// from @ to ~.
func escapeKey(b []byte) (key, int) {
	if len(b) < 2 {
		return key{}, 0
	}
	if b[1] != '[' && b[1] != 'O' {
		return key{}, 1 // a lone Escape
	}
	for i := 2; i < len(b); i++ {
		if b[i] >= 0x40 && b[i] <= 0x7e {
			return key{code: escapes[string(b[2:i+1])]}, i + 1
		}
	}
	return key{}, 0
}
