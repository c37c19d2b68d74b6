package e2e

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/wantsms/wantsms/cmd/internal/service"
	"github.com/wantsms/wantsms/cmd/internal/testenv"
	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/store/storetest"
)

// customer is an account with a key, a number that got an SMS, a paid card
// top-up and a support message, each carrying the account's tag.
type customer struct {
	user  store.User
	key   ssh.Signer
	tag   string
	res   store.Reservation
	order store.Order
}

func (c customer) email() string { return c.tag + "@example.com" }

// traces identify the person: none may remain once the account is erased.
func (c customer) traces() []string {
	spec := store.SpecOf(c.key.PublicKey())
	return []string{c.email(), c.tag, spec.Fingerprint, strings.Fields(spec.PublicKey)[1]}
}

func newCustomer(t *testing.T, env *testenv.Env, tag string) customer {
	t.Helper()
	ctx := context.Background()
	st := env.Store()
	c := customer{tag: tag}
	c.user, c.key = env.NewUser(c.email())
	env.Credit(c.user.ID, 500, fmt.Sprintf("grant-%d", c.user.ID))
	var err error
	c.res, err = st.CreateReservation(ctx, store.NewReservation{UserID: c.user.ID, Service: "telegram", Country: "gb",
		Phone: "+447700900123", Provider: "sim", ProviderRef: "ref-" + tag, PriceCents: 50, Lifetime: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddMessage(ctx, c.res.ID, store.NewMessage{ProviderID: "1", Sender: "Telegram",
		Body: "Telegram code 12345 for " + tag, Code: "12345"}); err != nil {
		t.Fatal(err)
	}
	if c.res, err = st.EndReservation(ctx, c.res.ID, store.ResFinished); err != nil {
		t.Fatal(err)
	}
	c.order, err = st.CreateOrder(ctx, store.NewOrder{UserID: c.user.ID, Processor: store.ProcessorStripe, AmountCents: 1000})
	if err != nil {
		t.Fatal(err)
	}
	session := fmt.Sprintf("cs_test_e2e%d", c.user.ID)
	if _, err := st.AttachCheckout(ctx, c.order.Number, store.CheckoutRef{SessionID: session,
		URL: "https://checkout.stripe.com/c/pay/" + session, ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ApplyStripe(ctx, store.StripeUpdate{EventID: fmt.Sprintf("evt_e2e%d", c.user.ID),
		EventType: "checkout.session.completed", Outcome: store.StripePaid, SessionID: session,
		PaymentIntentID: fmt.Sprintf("pi_e2e%d", c.user.ID), AmountTotal: 1000, Currency: "usd"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.WriteSupport(ctx, c.user.ID, "where is my code, "+tag); err != nil {
		t.Fatal(err)
	}
	return c
}

// exported is the part of the export document the tests read.
type exported struct {
	Format     string  `json:"format"`
	Version    int     `json:"version"`
	ExportedAt *string `json:"exported_at"`
	Account    struct {
		ID           int64  `json:"id"`
		Email        string `json:"email"`
		BalanceCents int64  `json:"balance_cents"`
	} `json:"account"`
	Keys []struct {
		Fingerprint string `json:"fingerprint"`
		PublicKey   string `json:"public_key"`
	} `json:"keys"`
	SecurityEvents []struct {
		Kind    string `json:"kind"`
		Address string `json:"address"`
	} `json:"security_events"`
	Reservations []struct {
		ID       int64 `json:"id"`
		Messages []struct {
			Body string `json:"body"`
			Code string `json:"code"`
		} `json:"messages"`
	} `json:"reservations"`
	Orders []struct {
		Number string `json:"number"`
		Status string `json:"status"`
		Card   *struct {
			PaymentIntent string `json:"stripe_payment_intent"`
		} `json:"card"`
	} `json:"orders"`
	Ledger []struct {
		AmountCents int64  `json:"amount_cents"`
		Reference   string `json:"reference"`
	} `json:"ledger"`
	Support []struct {
		Messages []struct {
			From string `json:"from"`
			Body string `json:"body"`
		} `json:"messages"`
	} `json:"support_threads"`
}

// `ssh -T host export > mydata.json`: a versioned document with every
// section of the person's data, nobody else's, never the password hash.
func TestExportOverSSH(t *testing.T) {
	env := testenv.Start(t)
	alice := newCustomer(t, env, "alicetag")
	bob := newCustomer(t, env, "bobtag")
	refused(t, env, testenv.NewKey(t), "export", 1, "not linked to an account")

	raw := ok(t, env, alice.key, "export")
	var doc exported
	if err := json.Unmarshal([]byte(raw), &doc); err != nil || !strings.HasPrefix(raw, "{\n  \"format\"") {
		t.Fatalf("export is not an indented JSON document (%v):\n%s", err, raw)
	}
	spec := store.SpecOf(alice.key.PublicKey())
	switch {
	case doc.Format != "wantsms-export" || doc.Version != 1 || doc.ExportedAt == nil:
		t.Fatalf("header %q %d %v", doc.Format, doc.Version, doc.ExportedAt)
	case doc.Account.ID != alice.user.ID || doc.Account.Email != alice.email() || doc.Account.BalanceCents != 1450:
		t.Fatalf("account %+v", doc.Account)
	case len(doc.Keys) != 1 || doc.Keys[0].Fingerprint != spec.Fingerprint || doc.Keys[0].PublicKey != spec.PublicKey:
		t.Fatalf("keys %+v", doc.Keys)
	case len(doc.Reservations) != 1 || doc.Reservations[0].ID != alice.res.ID ||
		len(doc.Reservations[0].Messages) != 1 || doc.Reservations[0].Messages[0].Body != "Telegram code 12345 for alicetag":
		t.Fatalf("reservations %+v", doc.Reservations)
	case len(doc.Orders) != 1 || doc.Orders[0].Number != alice.order.Number || doc.Orders[0].Status != "paid" ||
		doc.Orders[0].Card == nil || doc.Orders[0].Card.PaymentIntent == "":
		t.Fatalf("orders %+v", doc.Orders)
	case len(doc.Ledger) != 3 || doc.Ledger[1].Reference != store.ResRef(alice.res.ID) || doc.Ledger[2].Reference != alice.order.Number:
		t.Fatalf("ledger %+v", doc.Ledger)
	case len(doc.Support) != 1 || doc.Support[0].Messages[0].Body != "where is my code, alicetag":
		t.Fatalf("support %+v", doc.Support)
	}
	var kinds []string
	for _, e := range doc.SecurityEvents {
		kinds = append(kinds, e.Kind+"@"+e.Address)
	}
	if k := strings.Join(kinds, " "); !strings.HasPrefix(k, "signup@test key_linked@") || !strings.Contains(k, "signin@127.0.0.1:") {
		t.Fatalf("security events %s; want the sign-up and this command's key sign-in", k)
	}

	var hash string
	queryDB(t, env, `SELECT password_hash FROM users WHERE id = ?`, alice.user.ID).Scan(&hash)
	for _, leak := range append(bob.traces(), hash, bob.order.Number, "password_hash", "argon2") {
		if strings.Contains(raw, leak) {
			t.Errorf("the export holds %q", leak)
		}
	}

	var oneLine exported
	okJSON2(t, env, alice.key, "export --json", &oneLine)
	if oneLine.Account.Email != alice.email() || len(oneLine.Reservations) != 1 {
		t.Fatalf("export --json: %+v", oneLine)
	}
}

// okJSON2 is okJSON without strictness: the tests read part of the export.
func okJSON2(t *testing.T, env *testenv.Env, key ssh.Signer, command string, v any) {
	t.Helper()
	out := ok(t, env, key, command)
	if strings.Count(out, "\n") != 1 {
		t.Fatalf("%q: want one line, got %q", command, out)
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("%q: %v", command, err)
	}
}

// An admin deletes an account for a verified request over SSH: refused to
// others, audited, the person's session ends, and nothing identifying the
// person remains in the database while the payment records and ledger
// stay for accounting.
func TestAdminDeleteOverSSH(t *testing.T) {
	env := testenv.Start(t)
	admin, adminKey := env.NewAdmin("boss@example.com")
	alice := newCustomer(t, env, "alicetag")
	bob := newCustomer(t, env, "bobtag")
	ok(t, env, alice.key, "export") // a command sign-in from this address, recorded
	dash := env.Dial(t, alice.key)
	onDashboard(t, dash)

	// A command records its key's sign-in (last use, security event): the
	// rest must not change.
	signins := []string{"ssh_keys", "security_events"}
	before := dumpDB(t, env, signins...)
	refused(t, env, bob.key, "admin delete alicetag@example.com --reason 'I say so'", 1, "needs an admin account")
	refused(t, env, adminKey, "admin delete alicetag@example.com", 1, "--reason")
	if after := dumpDB(t, env, signins...); after != before {
		t.Fatal("a refused deletion changed the database")
	}

	var got struct {
		Email     string  `json:"email"`
		UserID    int64   `json:"user_id"`
		AuditID   int64   `json:"audit_id"`
		Detail    string  `json:"detail"`
		DeletedAt *string `json:"deleted_at"`
	}
	okJSON(t, env, adminKey, "admin delete AliceTag@example.com --reason 'reply from the account email, ticket 9' --json", &got)
	if got.UserID != alice.user.ID || got.AuditID == 0 || got.DeletedAt == nil ||
		got.Detail != "erased 1 keys, 1 numbers, 0 rentals, 1 support threads; kept 3 ledger rows, 1 orders, anonymous" {
		t.Fatalf("admin delete: %+v", got)
	}
	expect(t, dash, "account has been deleted")
	if _, err := dash.Wait(); err != nil {
		t.Fatalf("the person's session did not end: %v", err)
	}
	audit, _ := env.Store().AuditLog(context.Background(), 1)
	if len(audit) != 1 || audit[0].ID != got.AuditID || audit[0].Action != store.AuditDeleteAccount ||
		audit[0].ActorID != admin.ID || audit[0].TargetUserID != alice.user.ID ||
		audit[0].Reason != "reply from the account email, ticket 9" {
		t.Fatalf("audit %+v", audit)
	}

	dump := dumpDB(t, env, "signin_throttle")
	for _, trace := range alice.traces() {
		if strings.Contains(dump, trace) {
			t.Errorf("%q remains in the database", trace)
		}
	}
	var orders, ledger int
	queryDB(t, env, `SELECT (SELECT COUNT(*) FROM orders WHERE user_id = ?1), (SELECT COUNT(*) FROM ledger WHERE user_id = ?1)`,
		alice.user.ID).Scan(&orders, &ledger)
	if orders != 1 || ledger != 3 {
		t.Fatalf("kept %d orders and %d ledger rows, want 1 and 3 for accounting", orders, ledger)
	}
	if rep, err := env.Store().Check(context.Background()); err != nil || !rep.OK() {
		t.Fatalf("check: %+v %v", rep, err)
	}
	refused(t, env, alice.key, "whoami", 1, "not linked to an account")
	var doc exported
	okJSON2(t, env, bob.key, "export --json", &doc)
	if doc.Account.Email != bob.email() || len(doc.Reservations) != 1 || len(doc.Keys) != 1 {
		t.Fatalf("the other account was touched: %+v", doc)
	}
}

// openDB opens the service's database on a connection of the test's own.
func openDB(t *testing.T, env *testenv.Env) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(env.Dir, service.DatabaseFile)+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func queryDB(t *testing.T, env *testenv.Env, q string, args ...any) *sql.Row {
	t.Helper()
	return openDB(t, env).QueryRow(q, args...)
}

// dumpDB is every value of every table but those in skip, as text.
func dumpDB(t *testing.T, env *testenv.Env, skip ...string) string {
	t.Helper()
	dump, err := storetest.Dump(openDB(t, env), skip...)
	if err != nil {
		t.Fatal(err)
	}
	return dump
}
