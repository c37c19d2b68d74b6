package account_test

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/tuitest"
)

const laptopKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDdZt0AjEg+O2GeBHAt4TNQtTSzRB6vdfwXoa1fLlpbq laptop"

var origin = store.Origin{RemoteAddr: "198.51.100.4:50312", ClientVersion: "SSH-2.0-OpenSSH_9.6"}

// alice makes an account with a linked key and some credits; verified
// says whether its address is.
func alice(t *testing.T, e *tuitest.Env, verified bool) store.User {
	t.Helper()
	ctx := context.Background()
	u, err := e.Store.CreateUser(ctx, "alice@example.com", "correct horse", origin)
	if err != nil {
		t.Fatal(err)
	}
	if verified {
		if _, err := e.Store.MarkEmailVerified(ctx, u.Email, "test"); err != nil {
			t.Fatal(err)
		}
	}
	spec, err := store.ParseAuthorizedKey(laptopKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Store.LinkKey(ctx, u.ID, spec, "", store.Origin{}); err != nil {
		t.Fatal(err)
	}
	e.Store.Move(ctx, store.Movement{UserID: u.ID, AmountCents: 1234, Kind: store.LedgerGrant, Reference: "g"})
	u, _ = e.Store.UserByID(ctx, u.ID)
	e.C.Session.Key = &spec
	return u
}

// mailed takes every mail due as the mail worker would and returns the
// last one of kind (its params hold the code).
func mailed(t *testing.T, st *store.Store, kind store.MailKind) store.Mail {
	t.Helper()
	var last store.Mail
	for {
		m, ok, err := st.ClaimMail(context.Background(), time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		if err := st.MailSent(context.Background(), m.ID, m.Attempt, "subject"); err != nil {
			t.Fatal(err)
		}
		if m.Kind == kind {
			last = m
		}
	}
	if last.ID == 0 {
		t.Fatalf("no %s mail", kind)
	}
	return last
}

func TestViewAccountPane(t *testing.T) {
	e := tuitest.New(t)
	u := alice(t, e, true)
	m := e.Open(&u)
	m = tuitest.Drive(m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'5'}})
	tuitest.Golden(t, "account_80x24", m.View(), 80, 24)
	m = tuitest.Drive(m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'?'}})
	tuitest.Golden(t, "account_help_80x24", m.View(), 80, 24)
	m = tuitest.Drive(m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'?'}})
	m = tuitest.Drive(m, tea.KeyMsg{Type: tea.KeyRight})
	tuitest.Golden(t, "account_activity_80x24", m.View(), 80, 24)
	m = tuitest.Press(m, "right")
	tuitest.Golden(t, "account_mail_80x24", m.View(), 80, 24)
	m = tuitest.Press(m, "right") // API keys: TestAccountAPIKeys
	m = tuitest.Press(m, "right")
	tuitest.Golden(t, "account_webhooks_none_80x24", m.View(), 80, 24)
	m = tuitest.Drive(m, tea.KeyMsg{Type: tea.KeyRight})
	tuitest.Golden(t, "account_data_80x24", m.View(), 80, 24)
	m = tuitest.Drive(m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'D'}})
	tuitest.Golden(t, "account_delete_80x24", m.View(), 80, 24)
	m = tuitest.Press(m, "esc", "right")
	if v := m.View(); !strings.Contains(v, "SSH keys (1)") {
		t.Fatalf("→ from the last page leads back to the first:\n%s", v)
	}
}

// A new account verifies its address in the Account tab: v, the code from
// the mail (a wrong one is refused); the header's "verify your email" goes.
func TestAccountVerifiesTheEmail(t *testing.T) {
	e := tuitest.New(t)
	ctx := context.Background()
	u := alice(t, e, false)
	code := mailed(t, e.Store, store.MailVerify).Params[store.ParamCode]
	m := e.Open(&u)
	m = tuitest.Type(m, "5")
	tuitest.Golden(t, "account_unverified_80x24", m.View(), 80, 24)
	m = tuitest.Type(m, "v")
	m = tuitest.Type(m, "WXYZ-WXYZ")
	m = tuitest.PressAndWait(m, "enter")
	tuitest.Golden(t, "account_verify_wrong_80x24", m.View(), 80, 24)
	m = tuitest.Press(m, "ctrl+u")
	m = tuitest.Type(m, strings.ToLower(strings.ReplaceAll(code, "-", "")))
	m = tuitest.PressAndWait(m, "enter")
	got, _ := e.Store.UserByID(ctx, u.ID)
	if !got.Verified() {
		t.Fatalf("not verified:\n%s", m.View())
	}
	// The store's event reloads the session's account (the shell's
	// subscription delivers it in a real session).
	m = tuitest.Drive(m, kitEvent(u.ID))
	tuitest.Golden(t, "account_verified_80x24", m.View(), 80, 24)
	if strings.Contains(m.View(), "verify your email") {
		t.Fatalf("the header still asks:\n%s", m.View())
	}
}

// A new code on request, and the store's throttle said as it is.
func TestAccountSendsANewCode(t *testing.T) {
	e := tuitest.New(t)
	u := alice(t, e, false)
	mailed(t, e.Store, store.MailVerify)
	m := e.Open(&u)
	m = tuitest.Type(m, "5")
	e.Clock.Advance(time.Minute)
	m = tuitest.Type(m, "s")
	if v := m.View(); !strings.Contains(v, "A new code went to alice@example.com.") {
		t.Fatalf("s:\n%s", v)
	}
	m = tuitest.Type(m, "s")
	if v := m.View(); !strings.Contains(v, "too many attempts: try again in 60 s") {
		t.Fatalf("s again at once:\n%s", v)
	}
	if n := len(mailedAll(t, e.Store, store.MailVerify)); n != 1 {
		t.Fatalf("%d new codes mailed, want 1", n)
	}
}

func mailedAll(t *testing.T, st *store.Store, kind store.MailKind) []store.Mail {
	t.Helper()
	var out []store.Mail
	for {
		m, ok, err := st.ClaimMail(context.Background(), time.Minute)
		if err != nil || !ok {
			return out
		}
		if m.Kind == kind {
			out = append(out, m)
		}
	}
}

// Changing the email only asks: the account keeps its address until the
// code mailed to the new one is typed here; then the old one is told.
func TestAccountChangesTheEmailWithTheCode(t *testing.T) {
	e := tuitest.New(t)
	ctx := context.Background()
	u := alice(t, e, true)
	m := e.Open(&u)
	m = tuitest.Type(m, "5e")
	m = tuitest.Type(m, "Alice@Example.com")
	m = tuitest.Press(m, "tab")
	m = tuitest.Type(m, "correct horse")
	m = tuitest.PressAndWait(m, "enter")
	if v := m.View(); !strings.Contains(v, "this is already your email address") {
		t.Fatalf("the same address:\n%s", v)
	}
	m = tuitest.Press(m, "esc")
	m = tuitest.Type(m, "e")
	m = tuitest.Type(m, "alice@new.example")
	m = tuitest.Press(m, "tab")
	m = tuitest.Type(m, "correct horse")
	m = tuitest.PressAndWait(m, "enter")
	tuitest.Golden(t, "account_email_pending_80x24", m.View(), 80, 24)
	if got, _ := e.Store.UserByID(ctx, u.ID); got.Email != "alice@example.com" {
		t.Fatalf("the email changed before its code: %q", got.Email)
	}
	code := mailed(t, e.Store, store.MailVerify)
	if code.To != "alice@new.example" || code.Params[store.ParamLink] != "" {
		t.Fatalf("the change's mail: %+v", code)
	}
	m = tuitest.Type(m, "v")
	tuitest.Golden(t, "account_email_confirm_80x24", m.View(), 80, 24)
	m = tuitest.Type(m, code.Params[store.ParamCode])
	m = tuitest.PressAndWait(m, "enter")
	if v := m.View(); !strings.Contains(v, "Your email is now alice@new.example. A mail tells alice@example.com.") {
		t.Fatalf("after the code:\n%s", v)
	}
	if got, _ := e.Store.UserByID(ctx, u.ID); got.Email != "alice@new.example" {
		t.Fatalf("email %q", got.Email)
	}
	if told := mailed(t, e.Store, store.MailEmailChanged); told.To != "alice@example.com" {
		t.Fatalf("told %s", told.To)
	}
}

// Notices are turned off and on in the Mail page; security mails cannot
// be, and a notice turned off is not sent.
func TestAccountTurnsNoticesOff(t *testing.T) {
	e := tuitest.New(t)
	ctx := context.Background()
	u := alice(t, e, true)
	m := e.Open(&u)
	m = tuitest.Type(m, "5")
	m = tuitest.Press(m, "right", "right", "down", "enter")
	if v := m.View(); !strings.Contains(v, "Top-up receipts by email: off.") || !strings.Contains(v, "[off] top-up receipts") {
		t.Fatalf("toggle:\n%s", v)
	}
	ns, _ := e.Store.Notices(ctx, u.ID)
	if len(ns) != len(store.NoticeKinds) || !ns[0].On || ns[1].On || ns[1].Kind != store.MailTopupReceipt || !ns[2].On {
		t.Fatalf("notices: %+v", ns)
	}
	m = tuitest.Drive(m, tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}})
	if ns, _ := e.Store.Notices(ctx, u.ID); !ns[1].On {
		t.Fatalf("space did not turn it back on:\n%s", m.View())
	}
}

// Sign-in activity names the reset's steps and shows which keys stayed
// linked, in columns that fit.
func TestViewAccountActivityAfterAReset(t *testing.T) {
	e := tuitest.New(t)
	ctx := context.Background()
	u := alice(t, e, true)
	if err := e.Store.RequestPasswordReset(ctx, u.Email, origin); err != nil {
		t.Fatal(err)
	}
	code := mailed(t, e.Store, store.MailPasswordReset).Params[store.ParamCode]
	if _, _, err := e.Store.ResetPassword(ctx, u.Email, "AAAA-AAAA", "a new password", origin); err == nil {
		t.Fatal("a wrong code reset the password")
	}
	if _, _, err := e.Store.ResetPassword(ctx, u.Email, code, "a new password", origin); err != nil {
		t.Fatal(err)
	}
	if err := e.Store.RequestPasswordReset(ctx, "ALICE@example.com", origin); err != nil {
		t.Fatal(err)
	}
	u, _ = e.Store.UserByID(ctx, u.ID)
	m := e.Open(&u)
	m = tuitest.Type(m, "5")
	m = tuitest.Press(m, "right")
	tuitest.Golden(t, "account_activity_reset_80x24", m.View(), 80, 24)
	for _, want := range []string{"password reset asked", "wrong reset code", "password reset", "signed in by a reset",
		"SSH keys linked: laptop", "SHA256:J2To+V+qVLRP4qJ9BluaNnXPVIoJhja0EJMAE/g+Xus"} {
		if !strings.Contains(m.View(), want) {
			t.Errorf("activity lacks %q", want)
		}
	}
}

// The API keys page: a key is made only with the password, shown once
// with a key that copies it, listed without it after; revoking asks about
// that key by its name and stops it at once. Both are in Sign-in activity.
func TestAccountAPIKeys(t *testing.T) {
	e := tuitest.New(t)
	ctx := context.Background()
	u := alice(t, e, true)
	var emitted []string
	e.C.Emit = func(seq string) { emitted = append(emitted, seq) }
	m := e.Open(&u)
	m = tuitest.Type(m, "5")
	m = tuitest.Press(m, "left", "left", "left") // ← from the first page: Privacy & data, Webhooks, then API keys
	tuitest.Golden(t, "account_apikeys_empty_80x24", m.View(), 80, 24)
	m = tuitest.Type(m, "a")
	m = tuitest.Type(m, "my-bot")
	m = tuitest.Press(m, "tab")
	m = tuitest.Type(m, "wrong")
	m = tuitest.PressAndWait(m, "enter")
	if v := m.View(); !strings.Contains(v, "current password is wrong") && !strings.Contains(v, "password") {
		t.Fatalf("wrong password:\n%s", v)
	}
	if keys, _ := e.Store.APIKeys(ctx, u.ID); len(keys) != 0 {
		t.Fatal("a key was made with a wrong password")
	}
	tuitest.Golden(t, "account_apikeys_new_80x24", m.View(), 80, 24)
	m = tuitest.Type(m, "correct horse")
	m = tuitest.PressAndWait(m, "enter")
	keys, _ := e.Store.APIKeys(ctx, u.ID)
	if len(keys) != 1 || keys[0].Name != "my-bot" {
		t.Fatalf("keys: %+v\n%s", keys, m.View())
	}
	var key string
	for _, f := range strings.Fields(m.View()) {
		if len(f) == store.APIKeyLen {
			key = f
		}
	}
	if got, err := e.Store.ResolveAPIKey(ctx, key); err != nil || got.UserID != u.ID {
		t.Fatalf("the key shown (%q) does not resolve: %v\n%s", key, err, m.View())
	}
	m = tuitest.Type(m, "c")
	if len(emitted) != 1 || !strings.Contains(emitted[0], "52;c;") || !strings.Contains(m.View(), "copied") {
		t.Fatalf("copy: %q\n%s", emitted, m.View())
	}
	m = tuitest.Press(m, "enter")
	if strings.Contains(m.View(), key) {
		t.Fatalf("the key is still on screen after enter:\n%s", m.View())
	}
	// A second key, so the question must be about the one selected.
	if _, _, err := e.Store.CreateAPIKey(ctx, u.ID, "other", origin); err != nil {
		t.Fatal(err)
	}
	m = tuitest.Drive(m, kitEvent(u.ID))
	m = tuitest.Press(m, "x")
	tuitest.Golden(t, "account_apikeys_revoke_80x24", m.View(), 80, 24)
	m = tuitest.Press(m, "n")
	if _, err := e.Store.ResolveAPIKey(ctx, key); err != nil {
		t.Fatalf("n revoked it: %v", err)
	}
	m = tuitest.Press(m, "x", "y")
	if _, err := e.Store.ResolveAPIKey(ctx, key); err == nil {
		t.Fatalf("still works after y:\n%s", m.View())
	}
	tuitest.Golden(t, "account_apikeys_80x24", m.View(), 80, 24)
	m = tuitest.Press(m, "x")
	if !strings.Contains(m.View(), `API key "my-bot" is revoked already.`) {
		t.Fatalf("revoke a revoked key:\n%s", m.View())
	}
	// The question is bound to its key: revoked elsewhere meanwhile, it
	// closes instead of revoking whatever is selected then.
	m = tuitest.Press(m, "down", "x")
	if _, err := e.Store.RevokeAPIKey(ctx, u.ID, "other", origin); err != nil {
		t.Fatal(err)
	}
	m = tuitest.Drive(m, kitEvent(u.ID))
	if !strings.Contains(m.View(), `API key "other" was revoked meanwhile.`) {
		t.Fatalf("question about a key revoked meanwhile:\n%s", m.View())
	}
	m = tuitest.Press(m, "left", "left") // Mail, Sign-in activity
	for _, want := range []string{"API key created", "API key revoked", "my-bot", "wrong password: API key"} {
		if !strings.Contains(m.View(), want) {
			t.Errorf("Sign-in activity lacks %q:\n%s", want, m.View())
		}
	}
}
