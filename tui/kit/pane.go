package kit

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/wantsms/wantsms/store"
)

// Pane is one tab of the dashboard: all the shell knows of it. The shell
// gives the active pane the keys, and every pane every other message
// (sizes, the account's events, each pane's own replies).
type Pane interface {
	Init() tea.Cmd
	Update(tea.Msg) (Pane, tea.Cmd)
	View() string
	// Title is the pane's tab label.
	Title() string
	ShortHelp() []key.Binding
	FullHelp() [][]key.Binding
	SetSize(width, height int)
	// Capturing is true while a text field has focus: then keys that are
	// global elsewhere (q, digits, ?) are typed into the field.
	Capturing() bool
}

// Closer is a pane that holds something until the session ends (the
// Admin pane's subscription to everyone's events).
type Closer interface{ Close() }

// ActivatedMsg tells a pane it came into view, so it can refresh;
// DeactivatedMsg that it left the view.
type (
	ActivatedMsg   struct{}
	DeactivatedMsg struct{}
)

// EventMsg is a change to the signed-in account, from the store's hub.
type EventMsg struct {
	Event  store.Event
	Missed bool // events were dropped: reload everything
}

// StandingChangedMsg asks the shell to check the session's standing again
// (after the session changed it itself: its own password change).
type StandingChangedMsg struct{}

// AccountDeletedGoodbye ends every session of a deleted account, the one
// that deleted it included.
const AccountDeletedGoodbye = "This WantSMS account has been deleted. Goodbye."
