package engine

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/wantsms/wantsms/provider/sim"
	"github.com/wantsms/wantsms/store"
)

// settingsWait bounds how long a test waits for a setting to take effect:
// a failure's limit, never a measure of speed.
const settingsWait = 20 * time.Second

// waitOffers waits until the engine offers something (want true) or
// nothing (want false).
func (r *rig) waitOffers(want bool) {
	r.t.Helper()
	deadline := time.Now().Add(settingsWait)
	for (len(r.eng.Offers(ctx)) > 0) != want {
		if time.Now().After(deadline) {
			r.t.Fatalf("offers still %v", !want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// An admin's switch and markup made by another process on the same
// database (another instance; here a second store on the SQLite file,
// its events relayed) take effect in the running engine without a
// restart.
func TestSettingsChangedElsewhereTakeEffect(t *testing.T) {
	r := newRig(t, sim.Options{SMSDelay: time.Hour}, Config{SettingsReload: time.Hour})
	admin := r.admin("boss@example.com")
	relayCtx, stop := context.WithCancel(ctx)
	defer stop()
	run, err := r.st.StartRelay(relayCtx, 5*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	go run()
	other, err := store.Open(r.st.Path(), store.Options{Relay: true})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()

	r.waitOffers(true)
	if _, err := other.SetPriceOverride(ctx, admin, "telegram", "", 30_000); err != nil {
		t.Fatal(err)
	}
	if err := other.SetProviderEnabled(ctx, admin, "sim", false); err != nil {
		t.Fatal(err)
	}
	r.waitOffers(false)
	if got := r.router.MarkupFor("telegram", "gb"); got != 30_000 {
		t.Fatalf("markup %d after the override set elsewhere, want 30000", got)
	}
	if err := other.SetProviderEnabled(ctx, admin, "sim", true); err != nil {
		t.Fatal(err)
	}
	r.waitOffers(true)
}

// A setting changed with no event at all (lost with a connection) is
// still read again within SettingsReload.
func TestSettingsReloadedWithoutAnEvent(t *testing.T) {
	r := newRig(t, sim.Options{SMSDelay: time.Hour}, Config{SettingsReload: 20 * time.Millisecond})
	admin := r.admin("boss@example.com")
	r.waitOffers(true)
	db, err := sql.Open("sqlite", r.st.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`INSERT INTO provider_settings (name, enabled, updated_by, updated_at)
		VALUES ('sim', 0, ?, 0)`, admin.UserID); err != nil {
		t.Fatal(err)
	}
	r.waitOffers(false)
}
