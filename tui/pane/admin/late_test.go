package admin

import (
	"context"
	"io"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/kit"
)

// testEnv is a session's Common for sections driven on their own; their
// replies are made up by the test, so they need no store.
func testEnv() *env {
	return &env{Common: &kit.Common{Ctx: context.Background(), Session: &kit.Session{ID: "test"},
		Styles: kit.NewStyles(lipgloss.NewRenderer(io.Discard)), Keys: kit.DefaultKeys()}}
}

// A live refresh that lands after the admin left a conversation or an
// account's page does not bring it back.
func TestAdminLateReloadsDoNotReopen(t *testing.T) {
	e, thread, bob := testEnv(), int64(1), store.User{ID: 2, Email: "bob@example.com"}
	s := newAdminSupport(e)
	s.update(adminThreadMsg{thread: store.SupportThread{ID: thread}}) // opened
	s.update(tea.KeyMsg{Type: tea.KeyEsc})
	s.update(adminThreadMsg{thread: store.SupportThread{ID: thread}, reload: true})
	if s.thread != nil {
		t.Fatal("a late refresh reopened the conversation")
	}
	u := newAdminUsers(e)
	u.update(adminPageMsg{page: store.UserPage{User: bob}})
	u.update(tea.KeyMsg{Type: tea.KeyEsc})
	u.update(adminPageMsg{page: store.UserPage{User: bob}, reload: true})
	if u.page != nil {
		t.Fatal("a late refresh reopened the page")
	}
}
