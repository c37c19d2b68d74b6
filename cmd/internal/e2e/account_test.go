package e2e

import (
	"context"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/wantsms/wantsms/cmd/internal/sshterm"
	"github.com/wantsms/wantsms/cmd/internal/testenv"
)

func authorizedLine(k ssh.Signer, comment string) string {
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k.PublicKey()))) + " " + comment
}

// The Account pane: add a key by pasting it, rename it, remove it, change
// the password — each checked in the store and by signing in with it.
func TestAccountKeysAndPassword(t *testing.T) {
	env := testenv.Start(t)
	u, key := env.NewUser("acct@example.com")
	term := env.Dial(t, key)
	openPane(t, term, "Account", "SSH keys (1)")

	// A bad line gets a clear message.
	term.Type("a")
	expect(t, term, "Add a key")
	term.Paste("ssh-ed25519 not-a-key")
	term.Press(sshterm.Enter, sshterm.Enter)
	expect(t, term, "not a public key line")

	// A real one waits until a connection with it signs in, then works.
	phone := testenv.NewKey(t)
	term.Press(sshterm.ShiftTab)
	for range 30 {
		term.Press(sshterm.Backspace)
	}
	term.Paste(authorizedLine(phone, "phone"))
	term.Press(sshterm.Enter, sshterm.Enter)
	expect(t, term, `Key "phone" added, pending`)
	expect(t, term, "SSH keys (2)")
	fromPhone := env.Dial(t, phone)
	signIn(t, fromPhone, "acct@example.com", testenv.Password)
	openPane(t, fromPhone, "Account", "SSH keys (2)")
	fromPhone.Type("q")
	openPane(t, env.Dial(t, phone), "Account", "SSH keys (2)")
	expect(t, term, "SSH keys (2)")

	// Rename the second key.
	term.Press(sshterm.Down)
	term.Type("r")
	expect(t, term, "Rename phone")
	for range 10 {
		term.Press(sshterm.Backspace)
	}
	term.Type("pixel")
	term.Press(sshterm.Enter)
	expect(t, term, "Key renamed")
	expect(t, term, "pixel")

	// Remove it: it no longer signs in.
	term.Type("x")
	expect(t, term, `Remove key "pixel"?`)
	term.Type("y")
	expect(t, term, `Key "pixel" removed`)
	expect(t, term, "SSH keys (1)")
	expect(t, env.Dial(t, phone), "Sign in")

	// Change the password: wrong current one refused, then done.
	term.Type("p")
	expect(t, term, "Change password")
	term.Type("not the password")
	term.Press(sshterm.Tab)
	term.Type("brand new secret")
	term.Press(sshterm.Tab)
	term.Type("brand new secret")
	term.Press(sshterm.Enter)
	expect(t, term, "the current password is wrong")
	term.Type(testenv.Password)
	term.Press(sshterm.Tab)
	term.Type("brand new secret")
	term.Press(sshterm.Tab)
	term.Type("brand new secret")
	term.Press(sshterm.Enter)
	expect(t, term, "Password changed")
	if _, err := env.Store().SignIn(context.Background(), "acct@example.com", "brand new secret",
		originForTest); err != nil {
		t.Fatalf("new password refused: %v", err)
	}
	keys, _ := env.Store().Keys(context.Background(), u.ID)
	if len(keys) != 1 {
		t.Fatalf("%d keys in the store, want 1", len(keys))
	}
}

// One account's keys are invisible to another.
func TestAccountShowsOnlyOwnKeys(t *testing.T) {
	env := testenv.Start(t)
	_, a := env.NewUser("a@example.com")
	_, b := env.NewUser("b@example.com")
	termA := env.Dial(t, a)
	openPane(t, termA, "Account", "SSH keys (1)")
	fpB := ssh.FingerprintSHA256(b.PublicKey())[:19]
	if strings.Contains(termA.Screen(), fpB) {
		t.Fatal("another account's key is listed")
	}
}
