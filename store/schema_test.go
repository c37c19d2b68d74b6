package store

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// schema is every table and column the migrations leave, with what the
// table holds. A migration that adds a table or a column changes it here,
// once someone has checked that it holds nothing the privacy policy
// forbids: no full card number or security code (§6), no private key of
// a wallet (§6), nothing for tracking (§5), and that the export, the
// erasure and the retention purge know about it.
var schema = map[string][]string{
	"users": {"id", "email", "password_hash", "role", "balance_cents", "created_at", "banned_at", "ban_reason",
		"deleted_at", "debt_cents", "policy_version", "email_verified_at", "session_epoch"},
	// Account mail: a code mailed to verify an address or reset a password
	// (only hashes), the outbox and mail log (params emptied once sent;
	// purged after MailLogRetention), the notices a person turned off.
	"email_codes": {"id", "user_id", "purpose", "email", "code_hash", "link_hash", "failures", "created_at",
		"expires_at"},
	"outbox": {"id", "user_id", "kind", "to_addr", "params", "status", "attempts", "next_at", "expires_at",
		"last_error", "subject", "unsubscribe", "created_at", "done_at"},
	"notice_optouts": {"user_id", "kind", "created_at"},
	"ssh_keys":       {"id", "user_id", "fingerprint", "public_key", "name", "added_at", "last_used_at"},
	// Admin use of a linked key, enrolled from the server host: who ran
	// the tool there (an operating-system account), not a person's data.
	"admin_keys": {"key_id", "enrolled_at", "enrolled_by"},
	// A pasted public key waiting for a connection to prove it; it expires.
	"pending_keys":    {"id", "user_id", "fingerprint", "public_key", "name", "added_at", "expires_at"},
	"ledger":          {"id", "user_id", "amount_cents", "kind", "reference", "note", "created_at"},
	"security_events": {"id", "user_id", "kind", "remote_addr", "client_version", "detail", "created_at"},
	"signin_throttle": {"key", "failures", "last_at"},
	"event_relay":     {"id", "user_id", "kind", "ref", "created_at"},
	// operator: the mobile operator asked for; report: why the person
	// reported the number as bad (banned, used, no-sms). Both are the
	// person's own view of the number: kept and deleted with it.
	"reservations": {"id", "user_id", "service", "country", "phone", "provider", "provider_ref", "simulated",
		"cost_micros", "price_cents", "state", "created_at", "expires_at", "cancel_after", "ended_at", "refunded",
		"operator", "report", "again_message_id"},
	// A service+country pair a person starred; deleted with the account.
	"favourites": {"user_id", "service", "country", "created_at"},
	"messages":   {"id", "reservation_id", "provider_id", "sender", "body", "code", "received_at"},
	// Rentals: as reservations (exported, erased, purged alike), with
	// their extensions and SMS.
	"rentals": {"id", "user_id", "service", "country", "phone", "provider", "provider_ref", "simulated",
		"cost_micros", "price_cents", "days", "state", "created_at", "ends_at", "cancel_until", "notice_for",
		"ended_at", "refund_cents"},
	"rental_extensions": {"id", "rental_id", "days", "seconds", "price_cents", "cost_micros", "refunded",
		"created_at"},
	"rental_messages": {"id", "rental_id", "provider_id", "sender", "body", "code", "received_at"},
	// Payment records (§6): our number, status, amounts, timestamps and the
	// processors' references — a Checkout session and payment intent, a
	// Bitcoin address and transactions. Never card details.
	"orders": {"id", "number", "user_id", "processor", "status", "credits", "credited", "amount_cents", "currency",
		"session_id", "checkout_url", "payment_intent", "charged_cents", "charged_currency", "livemode",
		"refunded_cents", "disputed_cents", "reversed", "btc_address", "btc_price_cents", "btc_expected_sats", "btc_received_sats", "note", "created_at",
		"expires_at", "paid_at", "updated_at"},
	"btc_payments": {"txid", "addr", "order_id", "status", "value_sats", "rbf", "credited_cents", "first_seen_at",
		"updated_at"},
	"stripe_events": {"id", "type", "order_id", "received_at"},
	// A Bitcoin transaction a callback named while Blockonomics could not
	// be asked about it: the txid and our address, until looked up.
	"btc_claims":        {"txid", "addr", "order_id", "claimed_at"},
	"support_threads":   {"id", "user_id", "status", "created_at", "updated_at", "user_seen_id"},
	"support_messages":  {"id", "thread_id", "from_staff", "staff_id", "body", "created_at"},
	"admin_audit":       {"id", "actor_id", "action", "target_user_id", "target", "reason", "detail", "remote_addr", "created_at"},
	"price_overrides":   {"service", "country", "markup_bp", "updated_by", "updated_at"},
	"provider_settings": {"name", "enabled", "updated_by", "updated_at"},
	"schema_migrations": {"version", "name", "applied_at"},
	// API keys: a name, dates and the SHA-256 of the key (never the key);
	// exported without the hash, deleted with the account, a revoked one
	// purged after 6 months.
	"api_keys": {"id", "user_id", "name", "key_hash", "created_at", "last_used_at", "revoked_at"},
	// Webhooks to a person's own systems: the URLs, the signing secret
	// (deleted with the last webhook), the delivery queue and log (its
	// payload, which may hold an SMS, emptied once done; purged after
	// WebhookLogRetention). Exported but the secret; erased with the
	// account.
	"webhooks":        {"id", "user_id", "url", "format", "created_at"},
	"webhook_secrets": {"user_id", "secret", "created_at"},
	"webhook_deliveries": {"id", "webhook_id", "user_id", "event_id", "event", "payload", "status", "attempts",
		"next_attempt_at", "last_status", "last_answer", "created_at", "done_at"},
	// The SSH host key instances on one PostgreSQL database share (empty
	// on SQLite): nobody's personal data; a secret of the operator's,
	// never exported.
	"ssh_host_key": {"id", "key_pem", "created_at"},
	// Idempotency keys of the JSON API: the key a program chose, its
	// request (route and a hash of the body), what it created and the
	// answer (a reservation or an order, as the API showed it). Kept 24
	// hours, erased with the account; not exported (what it names is).
	"idempotency_keys": {"id", "user_id", "key", "request", "body_hash", "created_at", "resource", "status",
		"answer", "headers"},
}

// policyProcessors are the payment processors the policy names (§6): Stripe
// for cards, Blockonomics for Bitcoin. A third is a change of the policy.
var policyProcessors = []string{"stripe", "blockonomics"}

// forbiddenColumn matches column names of data the policy says we never
// store: card numbers, security codes, expiry dates, bank accounts, wallet
// keys and seeds.
var forbiddenColumn = regexp.MustCompile(`(?i)card|\bpan\b|^pan_|_pan$|cvc|cvv|csc|security_code|expir(y|ation)_?(month|year|date)|` +
	`exp_(month|year)|iban|account_number|routing|private_key|privkey|xprv|xpriv|seed|mnemonic|wif`)

// The final schema holds exactly the tables and columns listed in schema,
// none named like card data or a wallet's keys, and orders take only the
// policyProcessors the policy names — in the CHECK constraint and in fact.
func TestSchemaHoldsNoCardDataAndOnlyThePolicysProcessors(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	got := tableColumns(t, s)
	for table, cols := range got {
		for _, col := range cols {
			if forbiddenColumn.MatchString(col) {
				t.Errorf("column %s.%s is named like card or wallet-key data, which we never store", table, col)
			}
		}
	}
	for table, cols := range got {
		want, ok := schema[table]
		if ok && onPostgres() { // the same columns; those added later come last
			cols, want = slices.Sorted(slices.Values(cols)), slices.Sorted(slices.Values(want))
		}
		switch {
		case !ok:
			t.Errorf("table %s (%s) is not in the schema guard: check what it holds, then list it", table, strings.Join(cols, ", "))
		case !slices.Equal(cols, want):
			t.Errorf("table %s has columns %v; the guard lists %v: check what changed, then list it", table, cols, want)
		}
	}
	for table := range schema {
		if got[table] == nil {
			t.Errorf("table %s is gone: drop it from the schema guard", table)
		}
	}

	// Every CHECK list that names a processor names exactly ours.
	ddl := schemaDDL(t, s)
	lists := regexp.MustCompile(`(?i)\bIN\s*\(([^()]*)\)`).FindAllStringSubmatch(ddl, -1)
	named := 0
	for _, l := range lists {
		var items []string
		for _, it := range strings.Split(l[1], ",") {
			items = append(items, strings.Trim(strings.TrimSpace(it), `'"`))
		}
		if slices.Contains(items, "stripe") || slices.Contains(items, "blockonomics") {
			named++
			if slices.Sort(items); !slices.Equal(items, []string{"blockonomics", "stripe"}) {
				t.Errorf("a CHECK lists processors %v; the policy names %v", items, policyProcessors)
			}
		}
	}
	if named == 0 {
		t.Error("no CHECK constraint limits the policyProcessors")
	}
	u := newUser(t, s, "payer@example.com")
	for _, p := range append([]string{"paypal", "Stripe", ""}, policyProcessors...) {
		_, err := s.w.ExecContext(ctx, `INSERT INTO orders (number, user_id, processor, credits, amount_cents,
			created_at, updated_at) VALUES (?, ?, ?, 100, 100, 0, 0)`, "guard-"+p, u.ID, p)
		if ours := slices.Contains(policyProcessors, p); (err == nil) != ours {
			t.Errorf("an order paid through %q: %v (want it %s)", p, err, map[bool]string{true: "taken", false: "refused"}[ours])
		}
	}
}
