package auth_test

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui"
	"github.com/wantsms/wantsms/tui/tuitest"
)

var (
	ctrlR = tea.KeyMsg{Type: tea.KeyCtrlR}
	ctrlT = tea.KeyMsg{Type: tea.KeyCtrlT}
)

// mailedCode takes the newest mail due as the mail worker would, and
// returns its code (its kind must be kind).
func mailedCode(t *testing.T, st *store.Store, kind store.MailKind) string {
	t.Helper()
	var code string
	for {
		m, ok, err := st.ClaimMail(context.Background(), time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		if m.Kind == kind {
			code = m.Params[store.ParamCode]
		}
	}
	if code == "" {
		t.Fatalf("no %s mail", kind)
	}
	return code
}

// Forgot password, as a person does it on the sign-in screen: ctrl+r,
// the email, the code from the mail and a new password sign in; the new
// password works, the old one no more.
func TestForgotPasswordSignsIn(t *testing.T) {
	e := tuitest.New(t)
	ctx := context.Background()
	u := e.Account("alice@example.com", 0)
	m := e.Open(nil)
	m = tuitest.Type(m, "alice@example.com")
	m = tuitest.Drive(m, ctrlR)
	if v := m.View(); !strings.Contains(v, "Forgot your password?") || !strings.Contains(v, "alice@example.com") {
		t.Fatalf("ctrl+r:\n%s", v)
	}
	m = tuitest.PressAndWait(m, "enter")
	if v := m.View(); !strings.Contains(v, "If an account uses this address, a code is on its way to it.") {
		t.Fatalf("after asking:\n%s", v)
	}
	code := mailedCode(t, e.Store, store.MailPasswordReset)

	// A wrong code is refused; the screen stays.
	m = tuitest.Type(m, "AAAA-AAAA")
	m = tuitest.Press(m, "tab")
	m = tuitest.Type(m, "a new password")
	m = tuitest.Press(m, "tab")
	m = tuitest.Type(m, "a new password")
	m = tuitest.PressAndWait(m, "enter")
	if v := m.View(); !strings.Contains(v, "wrong or expired code") {
		t.Fatalf("a wrong code:\n%s", v)
	}
	m = tuitest.Press(m, "ctrl+u")
	m = tuitest.Type(m, strings.ToLower(code))
	m = tuitest.PressAndWait(m, "enter")
	v := m.View()
	if !strings.Contains(v, "Password reset: every other session of the account has ended.") ||
		!strings.Contains(v, "alice@example.com") || len(m.(*tui.Model).Panes()) == 0 {
		t.Fatalf("not signed in by the reset:\n%s", v)
	}
	got, _ := e.Store.UserByID(ctx, u.ID)
	if e.C.Standing.Epoch != got.SessionEpoch || e.C.Standing.Epoch == u.SessionEpoch || e.C.Standing.Password == "" {
		t.Fatalf("standing %+v, account epoch %d (was %d)", e.C.Standing, got.SessionEpoch, u.SessionEpoch)
	}
	if _, _, err := e.Store.SignInWithPassword(ctx, "alice@example.com", "a new password", store.Origin{}); err != nil {
		t.Fatalf("the new password: %v", err)
	}
	if _, _, err := e.Store.SignInWithPassword(ctx, "alice@example.com", "correct horse", store.Origin{}); err == nil {
		t.Fatal("the old password still works")
	}
}

// The answer to a reset request is the same screen whether the address
// has an account or not, and an unknown address is mailed nothing.
func TestForgotPasswordSameAnswerForAnyAddress(t *testing.T) {
	ask := func(email string) (string, *store.Store) {
		e := tuitest.New(t)
		e.Account("known@example.com", 0)
		m := e.Open(nil)
		m = tuitest.Drive(m, ctrlR)
		m = tuitest.Type(m, email)
		m = tuitest.PressAndWait(m, "enter")
		return strings.ReplaceAll(m.View(), email, "EMAIL"), e.Store
	}
	known, _ := ask("known@example.com")
	unknown, st := ask("ghost@example.com")
	if known != unknown {
		t.Fatalf("the answers differ:\n%s\n---\n%s", known, unknown)
	}
	for {
		m, ok, err := st.ClaimMail(context.Background(), time.Minute)
		if err != nil || !ok {
			break
		}
		if m.Kind == store.MailPasswordReset {
			t.Fatalf("a reset code went to %s", m.To)
		}
	}
}

// esc goes back: from the code to the address, from the address to the
// sign-in screen with the email kept; ctrl+t types a code mailed earlier.
func TestForgotPasswordWayBack(t *testing.T) {
	e := tuitest.New(t)
	m := e.Open(nil)
	m = tuitest.Drive(m, ctrlR)
	m = tuitest.Type(m, "bob@example.com")
	m = tuitest.Drive(m, ctrlT)
	if v := m.View(); !strings.Contains(v, "Type the code mailed to this address") {
		t.Fatalf("ctrl+t:\n%s", v)
	}
	m = tuitest.Press(m, "esc")
	if v := m.View(); !strings.Contains(v, "Forgot your password?") || !strings.Contains(v, "bob@example.com") {
		t.Fatalf("esc from the code:\n%s", v)
	}
	m = tuitest.Press(m, "esc")
	if v := m.View(); !strings.Contains(v, "Sign in") || !strings.Contains(v, "bob@example.com") {
		t.Fatalf("esc from the address:\n%s", v)
	}
}
