package e2e

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/wantsms/wantsms/cmd/internal/sshterm"
	"github.com/wantsms/wantsms/cmd/internal/testenv"
	"github.com/wantsms/wantsms/store"
)

// pasteKey adds a key line in Account → keys and returns the answer shown.
func pasteKey(t *testing.T, term *sshterm.Term, line string) string {
	t.Helper()
	term.Type("a")
	expect(t, term, "Add a key")
	term.Paste(line)
	term.Press(sshterm.Enter, sshterm.Enter)
	m, err := term.WaitForMatch(testenv.Wait,
		regexp.MustCompile(`(Key "[^"]*" (?:added|linked)[^\n]*|this key is already linked[^\n]*)`))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(m[1])
}

// pendingJSON is one entry of `keys --json`, as much as these tests read.
type pendingJSON struct {
	ID           int64   `json:"id"`
	Name         string  `json:"name"`
	Fingerprint  string  `json:"fingerprint"`
	PublicKey    string  `json:"public_key"`
	AddedAt      string  `json:"added_at"`
	LastUsedAt   *string `json:"last_used_at"`
	Current      bool    `json:"current"`
	Admin        bool    `json:"admin"`
	Pending      bool    `json:"pending"`
	PendingUntil *string `json:"pending_until"`
}

// Mallory pastes Bob's public key (anyone may have it) and one that no
// account links: both wait, pending, with the same answer, and identify
// nobody: Bob still lands in his own account, and the other key's holder
// gets the sign-in screen and no commands, instead of Mallory's account
// (and the codes a `reserve --wait` would bring her). Signing in to
// another account with that key does not prove it for Mallory either.
func TestPastedKeysOfOthersReachNobody(t *testing.T) {
	env := testenv.Start(t)
	_, malloryKey := env.NewUser("mallory@example.com")
	_, bobKey := env.NewUser("bob@example.com")
	carol, _ := env.NewUser("carol@example.com")
	loose := testenv.NewKey(t) // Carol's new key: linked nowhere yet

	term := env.Dial(t, malloryKey)
	openPane(t, term, "Account", "SSH keys (1)")
	dated := regexp.MustCompile(`by \d+ \w+ \d\d:\d\d UTC`)
	linkedAnswer := dated.ReplaceAllString(pasteKey(t, term, authorizedLine(bobKey, "laptop")), "by DATE")
	expect(t, term, "SSH keys (2)")
	looseAnswer := dated.ReplaceAllString(pasteKey(t, term, authorizedLine(loose, "laptop")), "by DATE")
	expect(t, term, "SSH keys (3)")
	if linkedAnswer != looseAnswer || !strings.Contains(linkedAnswer, "pending") {
		t.Fatalf("the answers tell a linked key from a free one: %q vs %q", linkedAnswer, looseAnswer)
	}
	expect(t, term, "pending until")
	// Only a key of one's own account is "already linked".
	if own := pasteKey(t, term, authorizedLine(malloryKey, "me")); !strings.Contains(own, "already linked to your account") {
		t.Fatalf("pasting one's own key: %q", own)
	}

	var keys struct{ Keys []pendingJSON }
	okJSON(t, env, malloryKey, "keys --json", &keys)
	if len(keys.Keys) != 3 || !keys.Keys[0].Current || keys.Keys[1].ID != 0 || !keys.Keys[1].Pending ||
		keys.Keys[1].PendingUntil == nil || !keys.Keys[2].Pending || keys.Keys[0].Pending {
		t.Fatalf("keys --json: %+v", keys.Keys)
	}

	// Bob's key still takes him to his own account.
	bob := env.Dial(t, bobKey)
	onDashboard(t, bob)
	if s := bob.Screen(); !strings.Contains(s, "bob@example.com") || strings.Contains(s, "mallory") {
		t.Fatalf("bob's key after mallory pasted it:\n%s", s)
	}
	// The free key's holder is not let into Mallory's account, nor are
	// their commands.
	refused(t, env, loose, "reserve telegram --wait 30s", 1, "not linked to an account")
	stranger := env.Dial(t, loose)
	signIn(t, stranger, "carol@example.com", testenv.Password)
	expect(t, stranger, "Remember this key?") // Carol's own choice, on her account
	stranger.Type("y")
	expect(t, stranger, "Key linked")
	if got := ok(t, env, loose, "whoami"); !strings.Contains(got, "carol@example.com") {
		t.Fatalf("carol's key signs in as: %q", got)
	}
	if ks, _ := env.Store().Keys(context.Background(), carol.ID); len(ks) != 2 {
		t.Fatalf("carol's keys: %+v", ks)
	}
}

// The owner's way: paste the new key, connect with it (not recognised
// yet), sign in with the password; the connection proved the key, so it
// is linked, recorded, and the next connection goes straight in.
func TestPastedKeyLinkedOnceItsConnectionSignsIn(t *testing.T) {
	env := testenv.Start(t)
	u, key := env.NewUser("owner@example.com")
	phone := testenv.NewKey(t)
	term := env.Dial(t, key)
	openPane(t, term, "Account", "SSH keys (1)")
	if got := pasteKey(t, term, authorizedLine(phone, "phone")); !strings.Contains(got, "pending") {
		t.Fatalf("paste: %q", got)
	}
	refused(t, env, phone, "whoami", 1, "not linked to an account")

	fromPhone := env.Dial(t, phone)
	signIn(t, fromPhone, "owner@example.com", testenv.Password)
	expect(t, fromPhone, "it was waiting for this connection")
	openPane(t, fromPhone, "Account", "SSH keys (2)")
	if strings.Contains(fromPhone.Screen(), "pending until") {
		t.Fatalf("the proved key is still pending:\n%s", fromPhone.Screen())
	}
	if got := ok(t, env, phone, "whoami"); !strings.Contains(got, "owner@example.com") {
		t.Fatalf("whoami with the proved key: %q", got)
	}
	events, _ := env.Store().SecurityEvents(context.Background(), u.ID, 20)
	var pending, linked bool
	fp := ssh.FingerprintSHA256(phone.PublicKey())
	for _, e := range events {
		pending = pending || (e.Kind == store.SecurityKeyPending && e.Detail == fp)
		linked = linked || (e.Kind == store.SecurityKeyLinked && strings.HasPrefix(e.Detail, fp+" (added pending on ") &&
			strings.HasPrefix(e.RemoteAddr, "127.0.0.1:"))
	}
	if !pending || !linked {
		t.Fatalf("events: %+v", events)
	}
	onDashboard(t, env.Dial(t, phone))
}
