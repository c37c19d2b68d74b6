package account_test

import (
	"context"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/tuitest"
)

func TestViewAccountPane(t *testing.T) {
	e := tuitest.New(t)
	ctx := context.Background()
	u, err := e.Store.CreateUser(ctx, "alice@example.com", "correct horse",
		store.Origin{RemoteAddr: "198.51.100.4:50312", ClientVersion: "SSH-2.0-OpenSSH_9.6"})
	if err != nil {
		t.Fatal(err)
	}
	spec, err := store.ParseAuthorizedKey("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDdZt0AjEg+O2GeBHAt4TNQtTSzRB6vdfwXoa1fLlpbq laptop")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Store.LinkKey(ctx, u.ID, spec, "", store.Origin{}); err != nil {
		t.Fatal(err)
	}
	e.Store.Move(ctx, store.Movement{UserID: u.ID, AmountCents: 1234, Kind: store.LedgerGrant, Reference: "g"})
	u, _ = e.Store.UserByID(ctx, u.ID)
	e.C.Session.Key = &spec
	m := e.Open(&u)
	m = tuitest.Drive(m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'5'}})
	tuitest.Golden(t, "account_80x24", m.View(), 80, 24)
	m = tuitest.Drive(m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'?'}})
	tuitest.Golden(t, "account_help_80x24", m.View(), 80, 24)
	m = tuitest.Drive(m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'?'}})
	m = tuitest.Drive(m, tea.KeyMsg{Type: tea.KeyRight})
	tuitest.Golden(t, "account_activity_80x24", m.View(), 80, 24)
	m = tuitest.Drive(m, tea.KeyMsg{Type: tea.KeyRight})
	tuitest.Golden(t, "account_data_80x24", m.View(), 80, 24)
	m = tuitest.Drive(m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'D'}})
	tuitest.Golden(t, "account_delete_80x24", m.View(), 80, 24)
}
