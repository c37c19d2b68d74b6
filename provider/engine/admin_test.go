package engine

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/provider/sim"
	"github.com/wantsms/wantsms/store"
)

// admin makes an admin account with a key enrolled for admin use, as a
// session that proved the key would act.
func (r *rig) admin(email string) store.Actor {
	r.t.Helper()
	u := r.user(email, 0)
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		r.t.Fatal(err)
	}
	k, err := ssh.NewPublicKey(pub)
	if err != nil {
		r.t.Fatal(err)
	}
	if _, err := r.st.MarkEmailVerified(ctx, email, "test"); err != nil {
		r.t.Fatal(err)
	}
	_, key, err := r.st.GrantAdmin(ctx, email, store.SpecOf(k), "test")
	if err != nil {
		r.t.Fatal(err)
	}
	return store.Actor{UserID: u.ID, Key: key.Fingerprint}
}

func (r *rig) upstreamState(ref string) provider.State {
	r.t.Helper()
	st, err := r.sim.Check(ctx, ref)
	if err != nil {
		r.t.Fatal(err)
	}
	return st.State
}

func TestForceCancelGivesTheNumberBackAndRefunds(t *testing.T) {
	r := newRig(t, sim.Options{SMSDelay: time.Hour}, Config{})
	admin := r.admin("boss@example.com")
	u := r.user("a@example.com", 500)
	res, err := r.reserve(u)
	if err != nil {
		t.Fatal(err)
	}
	// A non-admin (here: the owner, with a made-up key) is refused before
	// anything happens upstream.
	if _, err := r.eng.ForceCancel(ctx, store.Actor{UserID: u.ID, Key: "SHA256:x"}, res.ID, "x"); !errors.Is(err, store.ErrNotAdmin) {
		t.Fatalf("non-admin: %v", err)
	}
	if st := r.upstreamState(res.ProviderRef); st != provider.Waiting {
		t.Fatalf("upstream after a refused force-cancel: %s", st)
	}
	if _, err := r.eng.ForceCancel(ctx, admin, res.ID, " "); !errors.Is(err, store.ErrBadReason) {
		t.Fatalf("no reason: %v", err)
	}
	// Within the early-cancel guard too: support is not bound by it.
	got, err := r.eng.ForceCancel(ctx, admin, res.ID, "customer reported a dead number")
	if err != nil || got.State != store.ResCancelled || !got.Refunded {
		t.Fatalf("force cancel: %+v %v", got, err)
	}
	if st := r.upstreamState(res.ProviderRef); st != provider.Cancelled {
		t.Fatalf("upstream after force-cancel: %s", st)
	}
	if b := r.balance(u); b != 500 {
		t.Fatalf("balance %d, want 500", b)
	}
	log, _ := r.st.AuditLog(ctx, 1)
	if log[0].Action != store.AuditForceCancel || log[0].Detail != fmt.Sprintf("was active; refunded %d cents; upstream: cancelled", res.PriceCents) {
		t.Fatalf("audit %+v", log[0])
	}
	if _, err := r.eng.ForceCancel(ctx, admin, res.ID, "again"); !errors.Is(err, store.ErrNotOpen) {
		t.Fatalf("twice: %v", err)
	}
	// The expiry later finds it ended: no second refund.
	r.clock.Advance(DefaultLifetime + time.Minute)
	r.checkLedger()
	if b := r.balance(u); b != 500 {
		t.Fatalf("balance %d after the expiry time, want 500", b)
	}
}

func TestMarkupOverrideAppliesToNewReservationsOnly(t *testing.T) {
	r := newRig(t, sim.Options{SMSDelay: time.Hour}, Config{MaxOpen: 5})
	admin := r.admin("boss@example.com")
	u := r.user("a@example.com", 10_000)
	oldPrice := r.price("telegram", "gb")
	old, err := r.reserve(u)
	if err != nil || old.PriceCents != oldPrice {
		t.Fatalf("first: %+v %v", old, err)
	}
	cost := provider.Micros(old.CostMicros)
	if err := r.eng.SetMarkup(ctx, admin, "telegram", "", 30_000); err != nil {
		t.Fatal(err)
	}
	newPrice := provider.SellPrice(cost, 30_000)
	if got := r.price("telegram", "gb"); got != newPrice || newPrice <= oldPrice {
		t.Fatalf("offer after the override: %d, want %d (was %d)", got, newPrice, oldPrice)
	}
	if other := r.price("whatsapp", "gb"); other != provider.SellPrice(r.costOf("whatsapp", "gb"), 15_000) {
		t.Fatalf("another service changed price: %d", other)
	}
	// Someone who saw the old price is not charged the new one.
	if _, err := r.eng.Reserve(ctx, u.ID, "telegram", "gb", oldPrice); !errors.Is(err, ErrPriceChanged) {
		t.Fatalf("reserve at the old price: %v", err)
	}
	fresh, err := r.reserve(u)
	if err != nil || fresh.PriceCents != provider.SellPrice(provider.Micros(fresh.CostMicros), 30_000) {
		t.Fatalf("new reservation: %+v %v", fresh, err)
	}
	// The number sold before keeps its price, and its refund gives back
	// exactly that.
	if got := r.res(old.ID); got.PriceCents != oldPrice {
		t.Fatalf("old reservation repriced: %+v", got)
	}
	before := r.balance(u)
	if _, err := r.eng.ForceCancel(ctx, admin, old.ID, "test"); err != nil {
		t.Fatal(err)
	}
	if b := r.balance(u); b != before+oldPrice {
		t.Fatalf("refund %d, want %d", b-before, oldPrice)
	}
	// Overrides outlive a restart; cleared, the configured markup is back.
	r.stopEngine()
	r.startEngine()
	if got := r.price("telegram", "gb"); got != newPrice {
		t.Fatalf("after restart: %d, want %d", got, newPrice)
	}
	if err := r.eng.SetMarkup(ctx, admin, "narnia", "", 30_000); !errors.Is(err, ErrUnknownScope) {
		t.Fatalf("unknown service: %v", err)
	}
	if err := r.eng.ClearMarkup(ctx, admin, "telegram", ""); err != nil {
		t.Fatal(err)
	}
	if got := r.price("telegram", "gb"); got != oldPrice {
		t.Fatalf("after clearing: %d, want %d", got, oldPrice)
	}
	rows, overrides, err := r.eng.PriceList(ctx, admin)
	if err != nil || len(rows) == 0 || len(overrides) != 0 || rows[0].Markup != 15_000 {
		t.Fatalf("price list %d rows %+v %v", len(rows), overrides, err)
	}
	r.checkLedger()
}

func (r *rig) costOf(service, country string) provider.Micros {
	for _, o := range r.eng.Offers(ctx) {
		if o.Service == service && o.Country == country {
			return o.Cost
		}
	}
	r.t.Fatalf("no offer for %s/%s", service, country)
	return 0
}

func TestProviderSwitchAndReports(t *testing.T) {
	r := newRig(t, sim.Options{SMSDelay: time.Hour}, Config{})
	admin := r.admin("boss@example.com")
	u := r.user("a@example.com", 10_000)
	if _, err := r.reserve(u); err != nil {
		t.Fatal(err)
	}
	reps, err := r.eng.ProviderReports(ctx, admin)
	if err != nil || len(reps) != 1 {
		t.Fatalf("reports %+v %v", reps, err)
	}
	rep := reps[0]
	if rep.Provider != "sim" || !rep.Enabled || rep.Balance <= 0 || rep.BalanceErr != "" ||
		rep.SMSHour.Reservations != 1 || rep.Hour.Calls < 2 {
		t.Fatalf("report %+v", rep)
	}
	if err := r.eng.SetProviderEnabled(ctx, admin, "nosuch", false); !errors.Is(err, store.ErrBadProvider) {
		t.Fatalf("unknown provider: %v", err)
	}
	if err := r.eng.SetProviderEnabled(ctx, store.Actor{UserID: u.ID}, "sim", false); !errors.Is(err, store.ErrNotAdmin) {
		t.Fatalf("non-admin: %v", err)
	}
	if err := r.eng.SetProviderEnabled(ctx, admin, "sim", false); err != nil {
		t.Fatal(err)
	}
	if len(r.eng.Offers(ctx)) != 0 {
		t.Fatal("offers from a disabled provider")
	}
	if _, err := r.eng.Reserve(ctx, u.ID, "telegram", "gb", 0); !errors.Is(err, ErrNoNumbers) {
		t.Fatalf("reserve with the only provider off: %v", err)
	}
	r.stopEngine()
	r.startEngine()
	if len(r.eng.Offers(ctx)) != 0 {
		t.Fatal("the switch did not outlive a restart")
	}
	if err := r.eng.SetProviderEnabled(ctx, admin, "sim", true); err != nil {
		t.Fatal(err)
	}
	if _, err := r.reserve(u); err != nil {
		t.Fatalf("reserve after switching back on: %v", err)
	}
	if _, err := r.eng.ProviderReports(ctx, store.Actor{UserID: u.ID}); !errors.Is(err, store.ErrNotAdmin) {
		t.Fatalf("reports to a non-admin: %v", err)
	}
}

// A market alias ("tg") reserves and prices the canonical service: the
// reservation, and the override, are Telegram's.
func TestAliasesReachTheCanonicalService(t *testing.T) {
	r := newRig(t, sim.Options{SMSDelay: time.Hour}, Config{})
	admin := r.admin("boss@example.com")
	u := r.user("a@example.com", 10_000)
	if err := r.eng.SetMarkup(ctx, admin, "tg", "", 30_000); err != nil {
		t.Fatal(err)
	}
	if got := r.eng.router.MarkupFor("telegram", "gb"); got != 30_000 {
		t.Fatalf("markup for telegram after an override on tg: %d", got)
	}
	res, err := r.eng.Reserve(ctx, u.ID, "tg", "gb", r.price("telegram", "gb"))
	if err != nil || res.Service != "telegram" {
		t.Fatalf("reserve tg: %+v %v", res, err)
	}
}
