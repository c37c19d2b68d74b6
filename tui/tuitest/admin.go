package tuitest

import (
	"context"
	mathrand "math/rand/v2"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/wantsms/wantsms/provider/engine"
	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/store/testdb"
	"github.com/wantsms/wantsms/tui"
)

// Fixed keys, so that fingerprints in golden files do not change.
const (
	BossKeyLine = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDdZt0AjEg+O2GeBHAt4TNQtTSzRB6vdfwXoa1fLlpbq boss"
	BobKeyLine  = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINFJ8rAy0QnhoYqRIcM/BQtOAwaRS4zbXy0RsgyDJf0q bob"
)

// AdminEnv is an Env with the engine, an admin (the boss) who proved a
// linked key the host enrolled for admin use, and Bob, a customer with
// some history: two open numbers (the second with its code), an order
// waiting for payment and a support thread.
type AdminEnv struct {
	*Env
	Eng      *engine.Engine
	Boss     store.User
	BossKey  store.KeySpec
	Bob      store.User
	BobRes   []store.Reservation
	BobOrder store.Order
	Thread   int64
}

// NewAdminEnv makes the AdminEnv.
func NewAdminEnv(t testing.TB) *AdminEnv {
	t.Helper()
	e := &AdminEnv{Env: New(t)}
	// Order numbers drawn from a fixed source: screens are reproducible.
	st, err := store.Open(testdb.Path(t), store.Options{Clock: e.Store.Now,
		Rand: mathrand.NewChaCha8([32]byte{'a', 'd', 'm', 'i', 'n'})})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e.UseStore(st)
	e.Eng = e.WithNumbers()
	e.Deps.Operations = e.Eng
	ctx := context.Background()
	o := store.Origin{RemoteAddr: "198.51.100.4:50312", ClientVersion: "SSH-2.0-OpenSSH_9.6"}
	e.Boss, e.BossKey = e.account("boss@example.com", BossKeyLine, o)
	if _, _, err := st.GrantAdmin(ctx, "boss@example.com", store.KeySpec{Fingerprint: e.BossKey.Fingerprint}, "test"); err != nil {
		t.Fatal(err)
	}
	e.Boss, _ = st.UserByID(ctx, e.Boss.ID)
	e.Bob, _ = e.account("bob@example.com", BobKeyLine, o)
	if _, err := st.Move(ctx, store.Movement{UserID: e.Bob.ID, AmountCents: 1000, Kind: store.LedgerGrant,
		Reference: "g-bob", Note: "welcome"}); err != nil {
		t.Fatal(err)
	}
	for _, p := range [][2]string{{"telegram", "gb"}, {"whatsapp", "br"}} {
		r, err := e.Eng.Reserve(ctx, e.Bob.ID, p[0], p[1], 300)
		if err != nil {
			t.Fatal(err)
		}
		e.BobRes = append(e.BobRes, r)
	}
	if _, err := st.AddMessage(ctx, e.BobRes[1].ID, store.NewMessage{ProviderID: "1", Sender: "WhatsApp",
		Body: "Your WhatsApp code: 482-913", Code: "482913"}); err != nil {
		t.Fatal(err)
	}
	e.BobOrder, err = st.CreateOrder(ctx, store.NewOrder{UserID: e.Bob.ID, Processor: store.ProcessorStripe,
		AmountCents: 500})
	if err != nil {
		t.Fatal(err)
	}
	if e.BobOrder, err = st.AttachCheckout(ctx, e.BobOrder.Number, store.CheckoutRef{SessionID: "cs_test_a1B2c3",
		URL: "https://checkout.stripe.com/c/pay/cs_test_a1B2c3", ExpiresAt: st.Now().Add(30 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	m, err := st.WriteSupport(ctx, e.Bob.ID, "My Telegram number never got its code. Can I have my credits back?")
	if err != nil {
		t.Fatal(err)
	}
	e.Thread = m.ThreadID
	return e
}

func (e *AdminEnv) account(email, keyLine string, o store.Origin) (store.User, store.KeySpec) {
	e.T.Helper()
	ctx := context.Background()
	u, err := e.Store.CreateUser(ctx, email, "correct horse", o)
	if err != nil {
		e.T.Fatal(err)
	}
	if _, err := e.Store.MarkEmailVerified(ctx, email, "test"); err != nil {
		e.T.Fatal(err)
	}
	spec, err := store.ParseAuthorizedKey(keyLine)
	if err != nil {
		e.T.Fatal(err)
	}
	if _, err := e.Store.LinkKey(ctx, u.ID, spec, "", o); err != nil {
		e.T.Fatal(err)
	}
	return u, spec
}

// Dashboard opens the boss's dashboard as a session that proved the key.
func (e *AdminEnv) Dashboard() tea.Model {
	e.T.Helper()
	e.C.Session.Key, e.C.Session.AdminKey = &e.BossKey, true
	e.C.Session.Origin = store.Origin{RemoteAddr: "203.0.113.8:41000"}
	u := e.Boss
	m := tui.New(e.C, e.Deps, &u)
	e.T.Cleanup(m.Close)
	var tm tea.Model = m
	tm = Drive(tm, m.Init()())
	return Drive(tm, tea.WindowSizeMsg{Width: 80, Height: 24})
}
