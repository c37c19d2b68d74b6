package sshterm

import (
	"unicode"

	"github.com/charmbracelet/x/vt"
)

// Key is a key press. The emulator encodes it as xterm does in its current
// mode: Enter is "\r", Backspace "\x7f", ShiftTab "\x1b[Z", Up "\x1b[A"
// (or "\x1bOA" once the application asked for cursor-key mode).
type Key struct{ ev vt.KeyPressEvent }

// Named keys.
var (
	Enter     = Key{vt.KeyPressEvent{Code: vt.KeyEnter}}
	Tab       = Key{vt.KeyPressEvent{Code: vt.KeyTab}}
	ShiftTab  = Key{vt.KeyPressEvent{Code: vt.KeyTab, Mod: vt.ModShift}}
	Esc       = Key{vt.KeyPressEvent{Code: vt.KeyEscape}}
	Up        = Key{vt.KeyPressEvent{Code: vt.KeyUp}}
	Down      = Key{vt.KeyPressEvent{Code: vt.KeyDown}}
	Left      = Key{vt.KeyPressEvent{Code: vt.KeyLeft}}
	Right     = Key{vt.KeyPressEvent{Code: vt.KeyRight}}
	Backspace = Key{vt.KeyPressEvent{Code: vt.KeyBackspace}}
	Delete    = Key{vt.KeyPressEvent{Code: vt.KeyDelete}}
	Home      = Key{vt.KeyPressEvent{Code: vt.KeyHome}}
	End       = Key{vt.KeyPressEvent{Code: vt.KeyEnd}}
	PgUp      = Key{vt.KeyPressEvent{Code: vt.KeyPgUp}}
	PgDown    = Key{vt.KeyPressEvent{Code: vt.KeyPgDown}}
	CtrlC     = Ctrl('c')
)

// Ctrl returns Ctrl plus r, for a letter or one of @ [ \ ] ^ _ (sent as
// the bytes 0x00 to 0x1f). Other runes send nothing, as on a real xterm.
func Ctrl(r rune) Key {
	if r == '@' {
		r = vt.KeySpace // Ctrl+@ and Ctrl+Space both send NUL
	}
	return Key{vt.KeyPressEvent{Code: unicode.ToLower(r), Mod: vt.ModCtrl}}
}

// Type sends s as typed text, byte for byte.
func (t *Term) Type(s string) error {
	if t.ended() {
		return ErrEnded
	}
	t.emu.SendText(s)
	return nil
}

// Paste sends s as a paste: wrapped in bracketed-paste markers when the
// application enabled that mode, as terminals do.
func (t *Term) Paste(s string) error {
	if t.ended() {
		return ErrEnded
	}
	t.emu.Paste(s)
	return nil
}

// Press sends the keys in order.
func (t *Term) Press(keys ...Key) error {
	if t.ended() {
		return ErrEnded
	}
	for _, k := range keys {
		t.emu.SendKey(k.ev)
	}
	return nil
}
