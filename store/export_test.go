package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// The export holds every section of the person's data, and nothing of
// anybody else's, and never the password hash.
func TestExportHoldsThePersonOnly(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	alice := newPerson(t, s, "alicetag", "203.0.113.10")
	bob := newPerson(t, s, "bobtag", "203.0.113.20")

	e, err := s.Export(ctx, alice.User.ID)
	if err != nil {
		t.Fatal(err)
	}
	if e.Account.ID != alice.User.ID || e.Account.Email != alice.Email() || e.At.IsZero() {
		t.Fatalf("account %+v at %v", e.Account, e.At)
	}
	if len(e.Keys) != 1 || e.Keys[0].Fingerprint != alice.Key.Fingerprint || e.Keys[0].Name != "laptop-alicetag" {
		t.Fatalf("keys %+v", e.Keys)
	}
	var kinds []string
	for _, ev := range e.Events {
		kinds = append(kinds, string(ev.Kind))
		if ev.RemoteAddr != alice.Origin.RemoteAddr {
			t.Errorf("event %+v from another address", ev)
		}
	}
	if strings.Join(kinds, ",") != "signup,key_linked,webhook_added,signin_failed,signin" {
		t.Fatalf("events %v, oldest first", kinds)
	}
	// The webhook, with a delivery of each event: two top-ups, an SMS,
	// a number ended; newest first.
	if len(e.Webhooks) != 1 || e.Webhooks[0].URL != "https://8.8.8.8/hook-alicetag" {
		t.Fatalf("webhooks %+v", e.Webhooks)
	}
	var events []string
	for _, d := range e.Webhooks[0].Recent {
		events = append(events, string(d.Event))
	}
	if strings.Join(events, ",") != "reservation.ended,sms.received,topup.credited,topup.credited" {
		t.Fatalf("webhook deliveries %v, newest first", events)
	}
	if len(e.Reservations) != 2 || e.Reservations[0].ID != alice.Ended.ID || e.Reservations[1].ID != alice.Open.ID {
		t.Fatalf("reservations %+v", e.Reservations)
	}
	if m := e.Reservations[0].Messages; len(m) != 1 || m[0].Body != "Your code is 4242, alicetag" || m[0].Code != "4242" {
		t.Fatalf("messages %+v", m)
	}
	if len(e.Orders) != 2 || e.Orders[0].Number != alice.Card.Number || e.Orders[0].Status != OrderPaid ||
		e.Orders[0].ChargedCents != 1000 || e.Orders[0].ChargedCurrency != "usd" {
		t.Fatalf("orders %+v", e.Orders)
	}
	if p := e.Orders[1].BTCPayments; len(p) != 1 || !p[0].Credited || p[0].CreditedCents != 500 {
		t.Fatalf("bitcoin payments %+v", p)
	}
	var refs []string
	for _, l := range e.Ledger {
		refs = append(refs, string(l.Kind)+":"+l.Reference)
	}
	want := fmt.Sprintf("grant:grant-%d,topup:%s,topup:%s:%s,reserve:%s,reserve:%s", alice.User.ID, alice.Card.Number,
		alice.BTC.Number, strings.Repeat("ab", 32), ResRef(alice.Ended.ID), ResRef(alice.Open.ID))
	if strings.Join(refs, ",") != want {
		t.Fatalf("ledger %v\nwant %s", refs, want)
	}
	if len(e.Support) != 1 || len(e.Support[0].Messages) != 2 || !e.Support[0].Messages[1].FromStaff ||
		e.Support[0].Messages[1].Body != "answered for alicetag" {
		t.Fatalf("support %+v", e.Support)
	}

	dump := fmt.Sprintf("%+v", e)
	var hash string
	s.r.QueryRow(`SELECT password_hash FROM users WHERE id = ?`, alice.User.ID).Scan(&hash)
	for _, leak := range append(bob.traces(), hash, bob.Card.Number, bob.BTC.Number) {
		if strings.Contains(dump, leak) {
			t.Errorf("the export holds %q", leak)
		}
	}

	if err := s.DeleteAccount(ctx, alice.User.ID, "correct horse", origin); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Export(ctx, alice.User.ID); !errors.Is(err, ErrNoUser) {
		t.Fatalf("export of a deleted account: %v", err)
	}
}

// Every table that refers to an account is either in the export or has a
// stated reason not to be: a feature adding personal data cannot forget
// the export silently.
func TestExportCoversEveryTableWithUserID(t *testing.T) {
	s, _ := openTest(t)
	known := map[string]string{
		"users":             "Export.Account",
		"ssh_keys":          "Export.Keys",
		"pending_keys":      "Export.Keys (pending ones)",
		"security_events":   "Export.Events",
		"reservations":      "Export.Reservations",
		"rentals":           "Export.Rentals (with their extensions and SMS)",
		"orders":            "Export.Orders",
		"ledger":            "Export.Ledger",
		"support_threads":   "Export.Support",
		"support_messages":  "Export.Support; staff_id names the staff member who answered: theirs, not exported",
		"admin_audit":       "not exported: the admins' record of their own actions; its effects are in the ledger and the account",
		"event_relay":       "not exported: notifications in flight between processes, kept an hour",
		"price_overrides":   "not exported: business settings; updated_by is the admin who set them (their action is in the audit trail)",
		"provider_settings": "not exported: business settings; updated_by is the admin who set them (their action is in the audit trail)",
		"outbox":            "Export.Mails (the mail log: never its params, which may hold a code)",
		"email_codes":       "Export.PendingEmail (a new address waiting); the codes themselves are only hashes, never exported",
		"notice_optouts":    "Export.NoticesOff",
		"favourites":        "Export.Favourites",
		"api_keys":          "Export.APIKeys (names and dates; never the hash)",
		"webhooks":          "Export.Webhooks",
		"webhook_deliveries": "Export.Webhooks (each with its delivery log: event, status, answer; never the " +
			"payload, emptied once done)",
		"webhook_secrets": "not exported: the signing secret is shown once; a new one can be made at any time",
		"idempotency_keys": "not exported: a 24-hour record of API requests and their answers, so a retry " +
			"does not buy twice; what they created is in Export.Reservations and Export.Orders",
	}
	for _, table := range tablesReferringToUsers(t, s) {
		if known[table] == "" {
			t.Errorf("table %s refers to accounts: add it to Store.Export (or say here why not)", table)
		}
	}
}
