package account_test

import (
	tea "github.com/charmbracelet/bubbletea"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/kit"
)

// kitEvent is a change to the account, as the shell's subscription
// delivers it.
func kitEvent(userID int64) tea.Msg {
	return kit.EventMsg{Event: store.Event{UserID: userID, Kind: store.EventAccount}}
}
