package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/wantsms/wantsms/cmd/internal/service"
	"github.com/wantsms/wantsms/cmd/internal/sshterm"
	"github.com/wantsms/wantsms/cmd/internal/testenv"
	"github.com/wantsms/wantsms/provider/smsactivate/fake"
	"github.com/wantsms/wantsms/store"
)

// deleteFromDashboard erases the account of key from its dashboard
// (Account → data page → D, password), waiting until the session says so.
func deleteFromDashboard(t *testing.T, env *testenv.Env, key ssh.Signer) {
	t.Helper()
	term := env.Dial(t, key)
	openPane(t, term, "Account", "Profile & keys")
	term.Press(sshterm.Left)
	expect(t, term, "Export my data")
	term.Type("D")
	expect(t, term, "Delete your account")
	term.Type(testenv.Password)
	term.Press(sshterm.Enter)
	expect(t, term, "account has been deleted")
}

// A person erases their account right after reserving a number; the next
// person to reserve is debited as usual (the erased number's id, which
// the ledger still names, is not handed out again).
func TestReserveAfterAnErasureIsPaid(t *testing.T) {
	env := testenv.Start(t, testenv.SimNumbers(time.Hour, true, time.Hour))
	alice, aliceKey := env.NewUser("alice@example.com")
	bob, bobKey := env.NewUser("bob@example.com")
	env.Credit(alice.ID, 500, "g-alice")
	env.Credit(bob.ID, 500, "g-bob")
	reserveByCommand(t, env, aliceKey, "telegram")
	bobs := reserveByCommand(t, env, bobKey, "telegram")
	deleteFromDashboard(t, env, bobKey)

	before := env.Balance(alice.ID)
	r := reserveByCommand(t, env, aliceKey, "telegram")
	if r.ID <= bobs.ID {
		t.Errorf("alice's number got id %d, which bob's erased number %d had or preceded", r.ID, bobs.ID)
	}
	if after := env.Balance(alice.ID); after != before-r.PriceCents {
		t.Fatalf("alice's balance %d → %d after reserving at %d: the number was not paid", before, after, r.PriceCents)
	}
	checkLedgerOf(t, env)
}

// Erasing an account, by the person or by an admin, gives its open
// numbers back to the upstream first (SMS-Activate's setStatus 8), as a
// cancel does; another person's numbers stay.
func TestErasureCancelsOpenNumbersUpstream(t *testing.T) {
	up := fake.New(fake.Options{})
	defer up.Close()
	up.SetPrice("tg", "16", "0.50", 10)
	up.SetScript(fake.Script{Never: true})
	env := testenv.Start(t, func(c *service.Config) {
		c.Numbers.Providers = []string{"smsactivate"}
		c.Numbers.SMSActivateURL, c.Numbers.SMSActivateKey = up.URL, up.APIKey()
	})
	_, adminKey := env.NewAdmin("boss@example.com")
	reserveTwo := func(email string) (ssh.Signer, []store.Reservation) {
		u, key := env.NewUser(email)
		env.Credit(u.ID, 500, "g-"+email)
		reserveByCommand(t, env, key, "telegram")
		reserveByCommand(t, env, key, "telegram")
		return key, env.Reservations(u.ID)
	}
	selfKey, selfs := reserveTwo("self@example.com")
	_, erased := reserveTwo("erased@example.com")
	_, kept := reserveTwo("kept@example.com")

	deleteFromDashboard(t, env, selfKey)
	ok(t, env, adminKey, "admin delete erased@example.com --reason 'signed request, ticket 4'")
	for _, list := range []struct {
		rs   []store.Reservation
		want string
	}{{selfs, "cancel"}, {erased, "cancel"}, {kept, "wait"}} {
		for _, r := range list.rs {
			if state, _, _ := up.Status(r.ProviderRef); state != list.want {
				t.Errorf("activation %s upstream: %q, want %q", r.ProviderRef, state, list.want)
			}
		}
	}
	checkLedgerOf(t, env)
}

// dataFiles is the database, its write-ahead log and its shared-memory
// index, as bytes.
func dataFiles(t *testing.T, env *testenv.Env) string {
	t.Helper()
	var b strings.Builder
	db := filepath.Join(env.Dir, service.DatabaseFile)
	for _, p := range []string{db, db + "-wal", db + "-shm"} {
		raw, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		b.Write(raw)
	}
	return b.String()
}

// Right after an erasure returns, by the person or by an admin, neither
// the email nor a support message is readable in any of the database's
// files, however the sessions around it read the database meanwhile. The
// sign-in throttle kept under the email is gone too.
func TestErasureLeavesNothingInTheFiles(t *testing.T) {
	env := testenv.Start(t)
	_, adminKey := env.NewAdmin("boss@example.com")
	_, watcherKey := env.NewUser("watcher@example.com")
	onDashboard(t, env.Dial(t, watcherKey))
	// Another process reads all the while, each read holding the snapshot
	// of its moment for a while, as a slow report would.
	ctx, stop := context.WithCancel(context.Background())
	reader := openDB(t, env)
	done := make(chan struct{})
	defer func() { stop(); <-done }()
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			tx, err := reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
			if err != nil {
				continue
			}
			var n int
			_ = tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n)
			select {
			case <-ctx.Done():
			case <-time.After(250 * time.Millisecond):
			}
			_ = tx.Rollback()
		}
	}()
	const rounds = 10
	for i := range rounds {
		email := fmt.Sprintf("leaving%02d@example.com", i)
		secret := fmt.Sprintf("my question %02d-qz7", i)
		u, key := env.NewUser(email)
		if _, err := env.Store().WriteSupport(ctx, u.ID, secret); err != nil {
			t.Fatal(err)
		}
		if _, err := env.Store().SignIn(ctx, email, "wrong", store.Origin{RemoteAddr: "192.0.2.1:1"}); err == nil {
			t.Fatal("a wrong password signed in")
		}
		if files := dataFiles(t, env); !strings.Contains(files, email) || !strings.Contains(files, secret) {
			t.Fatal("the files do not hold the person's data before the erasure: the search below proves nothing")
		}
		dash := env.Dial(t, key) // the person's own session, ended by the erasure
		onDashboard(t, dash)
		how := "by the person"
		if i%2 == 0 {
			deleteFromDashboard(t, env, key)
		} else {
			how = "by an admin"
			ok(t, env, adminKey, "admin delete "+email+" --reason 'signed request'")
		}
		files := dataFiles(t, env)
		for _, trace := range []string{email, secret} {
			if strings.Contains(files, trace) {
				t.Errorf("round %d, erased %s: %q is in the database files", i, how, trace)
			}
		}
		var throttles int
		queryDB(t, env, `SELECT COUNT(*) FROM signin_throttle WHERE key = ?`, "email:"+email).Scan(&throttles)
		if throttles != 0 {
			t.Errorf("round %d, erased %s: the sign-in throttle of the email is left", i, how)
		}
		expect(t, dash, "account has been deleted")
	}
}
