package kit

import "github.com/charmbracelet/bubbles/key"

// KeyMap is the one keymap of the dashboard: global keys first, then the
// keys panes share. Panes list the ones they use in their help.
type KeyMap struct {
	Quit     key.Binding
	ForceQ   key.Binding
	Help     key.Binding
	NextTab  key.Binding
	PrevTab  key.Binding
	TabIndex key.Binding

	Up       key.Binding
	Down     key.Binding
	PageUp   key.Binding
	PageDown key.Binding
	Enter    key.Binding
	Back     key.Binding
	NextIn   key.Binding
	PrevIn   key.Binding
	Yes      key.Binding
	No       key.Binding

	SwitchMode key.Binding
	Add        key.Binding
	Rename     key.Binding
	Remove     key.Binding
	Password   key.Binding
	Email      key.Binding
	Privacy    key.Binding
	Delete     key.Binding
	Write      key.Binding
	Left       key.Binding
	Right      key.Binding
	ShowQR     key.Binding
	Copy       key.Binding

	CopyCode   key.Binding
	CopyNumber key.Binding
	CancelRes  key.Binding
	FinishRes  key.Binding
	AgainRes   key.Binding
	Filter     key.Binding
	NewNumber  key.Binding
	Star       key.Binding
	Operator   key.Binding
	ReportRes  key.Binding
	// The reasons a report gives, asked after ReportRes.
	ReportBanned key.Binding
	ReportUsed   key.Binding
	ReportNoSMS  key.Binding

	// The Rentals pane's keys.
	RentNew    key.Binding
	RentExtend key.Binding
	RentCancel key.Binding
	RentDays   key.Binding
	RentScroll key.Binding

	// The Admin pane's keys.
	AdminBan      key.Binding
	AdminUnban    key.Binding
	AdminAdjust   key.Binding
	AdminCancel   key.Binding
	AdminToggle   key.Binding
	AdminRefresh  key.Binding
	AdminMarkup   key.Binding
	AdminClear    key.Binding
	AdminStatus   key.Binding
	AdminProc     key.Binding
	AdminReply    key.Binding
	AdminClose    key.Binding
	AdminView     key.Binding
	AdminSearch   key.Binding
	AdminOpenUser key.Binding
	AdminSettle   key.Binding

	// Account mail: a forgotten password, codes, notices.
	Forgot     key.Binding
	HaveCode   key.Binding
	VerifyCode key.Binding
	NewCode    key.Binding
	Toggle     key.Binding

	// The Account pane's API keys page.
	APIKeyNew    key.Binding
	APIKeyRevoke key.Binding
	// Account → Webhooks (removing one is Remove).
	HookAdd    key.Binding
	HookTest   key.Binding
	HookSecret key.Binding
}

// DefaultKeys returns the keymap. Every session shares it, so it is never
// changed after this.
func DefaultKeys() *KeyMap { return defaultKeys }

var defaultKeys = newKeyMap()

func newKeyMap() *KeyMap {
	b := func(keys []string, k, help string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(k, help))
	}
	return &KeyMap{
		Quit:     b([]string{"q", "ctrl+c"}, "q", "quit"),
		ForceQ:   b([]string{"ctrl+c"}, "ctrl+c", "quit"),
		Help:     b([]string{"?"}, "?", "help"),
		NextTab:  b([]string{"tab"}, "tab", "next pane"),
		PrevTab:  b([]string{"shift+tab"}, "shift+tab", "previous pane"),
		TabIndex: b([]string{"1", "2", "3", "4", "5", "6", "7", "8", "9"}, "1-9", "go to pane"),

		Up:       b([]string{"up", "k"}, "↑/k", "up"),
		Down:     b([]string{"down", "j"}, "↓/j", "down"),
		PageUp:   b([]string{"pgup", "b"}, "pgup", "page up"),
		PageDown: b([]string{"pgdown", "f", " "}, "pgdn", "page down"),
		Enter:    b([]string{"enter"}, "enter", "choose"),
		Back:     b([]string{"esc"}, "esc", "back"),
		NextIn:   b([]string{"tab", "down"}, "tab", "next field"),
		PrevIn:   b([]string{"shift+tab", "up"}, "shift+tab", "previous field"),
		Yes:      b([]string{"y", "Y"}, "y", "yes"),
		No:       b([]string{"n", "N", "esc"}, "n", "no"),

		SwitchMode: b([]string{"ctrl+n"}, "ctrl+n", "sign up instead"),
		Add:        b([]string{"a"}, "a", "add key"),
		Rename:     b([]string{"r"}, "r", "rename"),
		Remove:     b([]string{"x", "delete"}, "x", "remove"),
		Password:   b([]string{"p"}, "p", "password"),
		Email:      b([]string{"e"}, "e", "email"),
		Privacy:    b([]string{"ctrl+p"}, "ctrl+p", "privacy policy"),
		Delete:     b([]string{"D"}, "D", "delete account"),
		Write:      b([]string{"w"}, "w", "write"),
		Left:       b([]string{"left", "h"}, "←/→", "section"),
		Right:      b([]string{"right", "l"}, "→", "next section"),
		ShowQR:     b([]string{"v"}, "v", "show/hide QR code"),
		Copy:       b([]string{"c"}, "c", "copy"),

		CopyCode:   b([]string{"c"}, "c", "copy code"),
		CopyNumber: b([]string{"n"}, "n", "copy number"),
		CancelRes:  b([]string{"x"}, "x", "cancel number"),
		FinishRes:  b([]string{"f"}, "f", "finish"),
		AgainRes:   b([]string{"a"}, "a", "another SMS"),
		Filter:     b([]string{"/"}, "/", "filter"),
		NewNumber:  b([]string{"enter", "esc"}, "enter", "another number"),
		Star:       b([]string{"*"}, "*", "star/unstar"),
		Operator:   b([]string{"o"}, "o", "operator"),
		ReportRes:  b([]string{"r"}, "r", "report bad number"),

		ReportBanned: b([]string{"b"}, "b", "banned"),
		ReportUsed:   b([]string{"u"}, "u", "already used"),
		ReportNoSMS:  b([]string{"s"}, "s", "no SMS came"),

		RentNew:    b([]string{"r"}, "r", "rent a number"),
		RentExtend: b([]string{"e"}, "e", "extend"),
		RentCancel: b([]string{"x"}, "x", "cancel rental"),
		RentDays:   b([]string{"left", "right", "h", "l"}, "←/→", "days"),
		RentScroll: b([]string{"pgup", "pgdown"}, "pgup/pgdn", "older/newer SMS"),

		AdminBan:      b([]string{"b"}, "b", "ban"),
		AdminUnban:    b([]string{"u"}, "u", "unban"),
		AdminAdjust:   b([]string{"c"}, "c", "credit/debit"),
		AdminCancel:   b([]string{"x"}, "x", "force-cancel"),
		AdminToggle:   b([]string{"e"}, "e", "enable/disable"),
		AdminRefresh:  b([]string{"r"}, "r", "refresh"),
		AdminMarkup:   b([]string{"m"}, "m", "set markup"),
		AdminClear:    b([]string{"x"}, "x", "clear override"),
		AdminStatus:   b([]string{"s"}, "s", "status"),
		AdminProc:     b([]string{"p"}, "p", "processor"),
		AdminReply:    b([]string{"w"}, "w", "reply"),
		AdminClose:    b([]string{"c"}, "c", "close thread"),
		AdminView:     b([]string{"[", "]"}, "[/]", "page"),
		AdminSearch:   b([]string{"/"}, "/", "search"),
		AdminOpenUser: b([]string{"enter"}, "enter", "account"),
		AdminSettle:   b([]string{"v"}, "v", "settle"),

		Forgot:     b([]string{"ctrl+r"}, "ctrl+r", "forgot password"),
		HaveCode:   b([]string{"ctrl+t"}, "ctrl+t", "I have a code"),
		VerifyCode: b([]string{"v"}, "v", "verify email"),
		NewCode:    b([]string{"s"}, "s", "new code"),
		Toggle:     b([]string{"enter", " "}, "enter", "on/off"),

		APIKeyNew:    b([]string{"a"}, "a", "new API key"),
		APIKeyRevoke: b([]string{"x", "delete"}, "x", "revoke"),
		HookAdd:      b([]string{"a"}, "a", "add webhook"),
		HookTest:     b([]string{"t"}, "t", "send a test"),
		HookSecret:   b([]string{"R"}, "R", "new secret"),
	}
}
