package commands

import (
	"encoding/json"
	"io"
	"time"

	"github.com/wantsms/wantsms/store"
)

// Export document identity: a reader checks both before it reads the
// rest. The version changes only when a field changes meaning or goes
// away; new fields may appear within a version.
const (
	exportFormat  = "wantsms-export"
	exportVersion = 1
)

// exportDoc is everything we hold on the person (privacy policy §10,
// access and portability), as one JSON document. The shape is documented
// by its tags and by the example in the reference (README.md).
type exportDoc struct {
	Format         string          `json:"format"`  // always "wantsms-export"
	Version        int             `json:"version"` // 1
	ExportedAt     Timestamp       `json:"exported_at"`
	Account        exportAccount   `json:"account"`
	Keys           []exportKey     `json:"keys"`            // oldest first
	SecurityEvents []exportEvent   `json:"security_events"` // oldest first; kept 180 days
	Reservations   []exportNumber  `json:"reservations"`    // oldest first; kept 1 year after they ended
	Rentals        []exportRental  `json:"rentals"`         // numbers rented for days, oldest first; kept 1 year after they ended
	Orders         []exportOrder   `json:"orders"`          // top-ups: the payment records we keep
	Ledger         []exportMove    `json:"ledger"`          // every change of the balance, oldest first
	Support        []exportThread  `json:"support_threads"` // conversations with us, oldest first
	Mails          []exportMail    `json:"mails"`           // what we mailed you, oldest first; never a code
	NoticesOff     []string        `json:"notices_off"`     // kinds of notice you turned off: support_reply, topup_receipt, rental_ending
	Favourites     []exportFav     `json:"favourites"`      // the service+country pairs you starred, oldest first
	APIKeys        []exportAPIKey  `json:"api_keys"`        // your API keys, live and revoked, oldest first; never a key
	Webhooks       []webhookJSON   `json:"webhooks"`        // oldest first, each with every delivery kept (30 days), newest first; never the secret
	Retention      exportRetention `json:"retention"`       // how long we keep what, as the policy says
}

type exportAccount struct {
	ID           int64     `json:"id"`
	Email        Untrusted `json:"email"`
	Role         string    `json:"role"` // "user" or "admin"
	BalanceCents int64     `json:"balance_cents"`
	DebtCents    int64     `json:"debt_cents"` // owed after a card payment was taken back; paid by the next top-up
	Currency     string    `json:"currency"`
	CreatedAt    Timestamp `json:"created_at"`
	BannedAt     Timestamp `json:"banned_at"` // null unless suspended
	BanReason    Untrusted `json:"ban_reason"`
	// PrivacyPolicy is the version ("Last updated" date) of the privacy
	// policy accepted at sign-up; "" for accounts older than versions.
	PrivacyPolicy string `json:"privacy_policy_accepted"`
	// EmailVerifiedAt is when a mailed code or link proved the address
	// yours; null until then.
	EmailVerifiedAt Timestamp `json:"email_verified_at"`
	// PendingEmail is a new address waiting for its code (an email
	// change); "" when none.
	PendingEmail Untrusted `json:"pending_email"`
}

type exportFav struct {
	Service string    `json:"service"`
	Country string    `json:"country"`
	AddedAt Timestamp `json:"added_at"`
}

type exportAPIKey struct {
	Name       Untrusted `json:"name"`
	CreatedAt  Timestamp `json:"created_at"`
	LastUsedAt Timestamp `json:"last_used_at"` // null if never used
	RevokedAt  Timestamp `json:"revoked_at"`   // null while live; a revoked key is kept 6 months
}

type exportMail struct {
	Kind     string    `json:"kind"`    // verify, email_changed, password_reset, password_changed, key_linked, support_reply, topup_receipt, rental_ending
	To       Untrusted `json:"to"`      // the address it went to
	Subject  Untrusted `json:"subject"` // "" until sent
	Status   string    `json:"status"`  // queued, sending, sent, failed (given up), dropped (its code expired or was replaced)
	QueuedAt Timestamp `json:"queued_at"`
	DoneAt   Timestamp `json:"done_at"` // sent, given up or dropped; null before
}

type exportKey struct {
	Name         Untrusted `json:"name"`
	Fingerprint  string    `json:"fingerprint"`
	PublicKey    string    `json:"public_key"`
	AddedAt      Timestamp `json:"added_at"`
	LastUsedAt   Timestamp `json:"last_used_at"`
	AdminSince   Timestamp `json:"admin_since"`   // null unless enrolled for admin use on the server host
	PendingUntil Timestamp `json:"pending_until"` // null unless pasted and not proved yet: it expires then
}

type exportEvent struct {
	Kind    string    `json:"kind"` // signup, signin, signin_failed, key_linked, password_changed, …
	At      Timestamp `json:"at"`
	Address string    `json:"address"` // where the connection came from
	Client  Untrusted `json:"client"`  // the SSH client's version string
	Detail  Untrusted `json:"detail"`
}

type exportNumber struct {
	ID         int64       `json:"id"`
	Service    string      `json:"service"`
	Country    string      `json:"country"`
	Phone      string      `json:"phone"`
	State      string      `json:"state"` // active, received, finished, cancelled, expired, failed
	PriceCents int64       `json:"price_cents"`
	Refunded   bool        `json:"refunded"`
	Simulated  bool        `json:"simulated"`
	Operator   string      `json:"operator"`     // the mobile operator asked for; "" for any
	Report     string      `json:"report"`       // why you reported the number as bad (banned, used, no-sms); "" if not
	Provider   string      `json:"provider"`     // "" once the details are removed, 6 months after the end
	Reference  string      `json:"provider_ref"` // the provider's activation id; "" likewise
	CreatedAt  Timestamp   `json:"created_at"`
	ExpiresAt  Timestamp   `json:"expires_at"`
	EndedAt    Timestamp   `json:"ended_at"` // null while open
	Messages   []exportSMS `json:"messages"`
}

// exportRental is a rental: a number rented for days, with its
// extensions and every SMS. Its details (provider, reference) go 6 months
// after it ended, the rest a year after, as for reservations.
type exportRental struct {
	ID          int64             `json:"id"` // R<id> in commands and the dashboard
	Service     string            `json:"service"`
	Country     string            `json:"country"`
	Phone       string            `json:"phone"`
	State       string            `json:"state"` // active, ended, cancelled, failed
	Days        int               `json:"days"`  // the first period
	PriceCents  int64             `json:"price_cents"`
	RefundCents int64             `json:"refund_cents"` // given back: cancelled, or ended early by its provider
	Simulated   bool              `json:"simulated"`
	Provider    string            `json:"provider"`     // "" once the details are removed, 6 months after the end
	Reference   string            `json:"provider_ref"` // the provider's rental id; "" likewise
	CreatedAt   Timestamp         `json:"created_at"`
	EndsAt      Timestamp         `json:"ends_at"`
	EndedAt     Timestamp         `json:"ended_at"` // null while active
	Extensions  []exportExtension `json:"extensions"`
	Messages    []exportSMS       `json:"messages"`
}

type exportExtension struct {
	Days       int       `json:"days"`
	PriceCents int64     `json:"price_cents"`
	Refunded   bool      `json:"refunded"` // the provider refused it: paid back
	CreatedAt  Timestamp `json:"created_at"`
}

type exportSMS struct {
	Sender     Untrusted     `json:"sender"`
	Body       UntrustedText `json:"body"`
	Code       Untrusted     `json:"code"`
	ReceivedAt Timestamp     `json:"received_at"`
}

// Orders carry what the payment processors said (ids, addresses, the
// currency charged, notes quoting them): all of it passes the one
// sanitizer, like everything else that came from outside.
type exportOrder struct {
	Number      string         `json:"number"`
	Processor   string         `json:"processor"` // "stripe" or "blockonomics"
	Status      string         `json:"status"`    // created, pending, paid, failed, expired, review, refunded, disputed
	AmountCents int64          `json:"amount_cents"`
	Currency    Untrusted      `json:"currency"`
	Credits     int64          `json:"credits"`
	Credited    int64          `json:"credited"`
	Reversed    int64          `json:"reversed"` // credits taken back: the payment was refunded or disputed
	Note        Untrusted      `json:"note"`
	CreatedAt   Timestamp      `json:"created_at"`
	PaidAt      Timestamp      `json:"paid_at"`
	Card        *exportCard    `json:"card"`    // null unless paid by card
	Bitcoin     *exportBitcoin `json:"bitcoin"` // null unless paid in Bitcoin
}

type exportCard struct {
	SessionID       Untrusted `json:"stripe_session"`
	PaymentIntent   Untrusted `json:"stripe_payment_intent"`
	ChargedCents    int64     `json:"charged_cents"`
	ChargedCurrency Untrusted `json:"charged_currency"`
}

type exportBitcoin struct {
	Address      Untrusted  `json:"address"`
	PriceCents   int64      `json:"price_cents_per_btc"` // the locked price
	ExpectedSats int64      `json:"expected_sats"`
	ReceivedSats int64      `json:"received_sats"` // confirmed
	Transactions []exportTx `json:"transactions"`
}

type exportTx struct {
	Txid          Untrusted `json:"txid"`
	Status        int       `json:"status"` // 0 unconfirmed, 1 one confirmation, 2 confirmed
	ValueSats     int64     `json:"value_sats"`
	CreditedCents int64     `json:"credited_cents"`
	FirstSeenAt   Timestamp `json:"first_seen_at"`
}

type exportMove struct {
	AmountCents int64     `json:"amount_cents"` // positive credits, negative debits
	Kind        string    `json:"kind"`         // grant, topup, reserve, refund, adjust, reversal, rent, rent_extend, rent_refund
	Reference   Untrusted `json:"reference"`    // an order number, "res:<reservation id>", "rent:<rental id>", "rentext:<extension id>", …
	Note        Untrusted `json:"note"`
	At          Timestamp `json:"at"`
}

type exportThread struct {
	Open      bool               `json:"open"`
	CreatedAt Timestamp          `json:"created_at"`
	Messages  []exportSupportMsg `json:"messages"`
}

type exportSupportMsg struct {
	From string        `json:"from"` // "you" or "staff"
	Body UntrustedText `json:"body"`
	At   Timestamp     `json:"at"`
}

type exportRetention struct {
	ReservationDetailsDays int `json:"reservation_details_days"`
	HistoryDays            int `json:"history_days"`
	SecurityEventsDays     int `json:"security_events_days"`
	SupportClosedDays      int `json:"support_days_after_closed"`
	OrdersClosedDays       int `json:"orders_days_after_closed"`
	AdminAuditDays         int `json:"admin_audit_days"`
	MailLogDays            int `json:"mail_log_days"`
	WebhookLogDays         int `json:"webhook_log_days"` // after a delivery was done
}

// WriteText writes the document indented, for `export > mydata.json`.
func (d exportDoc) WriteText(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(d)
}

func exportCommand() *Command {
	return &Command{
		Name:    "export",
		Summary: "everything we hold on you, as one JSON document",
		Help: "Your account, keys, sign-in records, numbers and rentals with their SMS, top-ups, ledger, support " +
			"conversations, the mails we sent you and your webhooks with their deliveries, read in one snapshot: ssh -T HOST export > mydata.json. Never anybody else's data, " +
			"never your password (only its hash is stored, and that is not exported either). Without --json the " +
			"document is indented; with it, it is on one line.",
		Example: exampleExport(),
		Run: func(c *Call) error {
			e, err := c.Deps.Store.Export(c.Ctx, c.User.ID)
			if err != nil {
				return err
			}
			return c.Print(newExportDoc(e))
		},
	}
}

// retention is the store's retention periods, in whole days.
func retention() exportRetention {
	days := func(d time.Duration) int { return int(d / (24 * time.Hour)) }
	return exportRetention{ReservationDetailsDays: days(store.ReservationDetailRetention),
		HistoryDays: days(store.HistoryRetention), SecurityEventsDays: days(store.SecurityEventRetention),
		SupportClosedDays: days(store.SupportRetention), OrdersClosedDays: days(store.OrderRetention),
		AdminAuditDays: days(store.AuditRetention), MailLogDays: days(store.MailLogRetention),
		WebhookLogDays: days(store.WebhookLogRetention)}
}

func newExportDoc(e store.Export) exportDoc {
	a := e.Account
	d := exportDoc{Format: exportFormat, Version: exportVersion, ExportedAt: Timestamp(e.At),
		Account: exportAccount{ID: a.ID, Email: Untrusted(a.Email), Role: string(a.Role), BalanceCents: a.BalanceCents,
			DebtCents: a.DebtCents, Currency: currency, CreatedAt: Timestamp(a.CreatedAt), BannedAt: Timestamp(a.BannedAt),
			BanReason: Untrusted(a.BanReason), PrivacyPolicy: e.PolicyVersion, EmailVerifiedAt: Timestamp(a.EmailVerifiedAt),
			PendingEmail: Untrusted(e.PendingEmail)},
		Keys: make([]exportKey, 0, len(e.Keys)), SecurityEvents: make([]exportEvent, 0, len(e.Events)),
		Reservations: make([]exportNumber, 0, len(e.Reservations)), Rentals: make([]exportRental, 0, len(e.Rentals)),
		Orders: make([]exportOrder, 0, len(e.Orders)),
		Ledger: make([]exportMove, 0, len(e.Ledger)), Support: make([]exportThread, 0, len(e.Support)),
		Mails: make([]exportMail, 0, len(e.Mails)), NoticesOff: make([]string, 0, len(e.NoticesOff)),
		Favourites: make([]exportFav, 0, len(e.Favourites)), APIKeys: make([]exportAPIKey, 0, len(e.APIKeys)),
		Webhooks: make([]webhookJSON, 0, len(e.Webhooks)), Retention: retention(),
	}
	for _, k := range e.APIKeys {
		d.APIKeys = append(d.APIKeys, exportAPIKey{Name: Untrusted(k.Name), CreatedAt: Timestamp(k.CreatedAt),
			LastUsedAt: Timestamp(k.LastUsedAt), RevokedAt: Timestamp(k.RevokedAt)})
	}
	for _, w := range e.Webhooks {
		d.Webhooks = append(d.Webhooks, newWebhookJSON(w))
	}
	for _, f := range e.Favourites {
		d.Favourites = append(d.Favourites, exportFav{Service: f.Service, Country: f.Country,
			AddedAt: Timestamp(f.CreatedAt)})
	}
	for _, m := range e.Mails {
		d.Mails = append(d.Mails, exportMail{Kind: string(m.Kind), To: Untrusted(m.To), Subject: Untrusted(m.Subject),
			Status: string(m.Status), QueuedAt: Timestamp(m.CreatedAt), DoneAt: Timestamp(m.DoneAt)})
	}
	for _, k := range e.NoticesOff {
		d.NoticesOff = append(d.NoticesOff, string(k))
	}
	for _, k := range e.Keys {
		d.Keys = append(d.Keys, exportKey{Name: Untrusted(k.Name), Fingerprint: k.Fingerprint, PublicKey: k.PublicKey,
			AddedAt: Timestamp(k.AddedAt), LastUsedAt: Timestamp(k.LastUsedAt), AdminSince: Timestamp(k.AdminSince),
			PendingUntil: Timestamp(k.PendingUntil)})
	}
	for _, ev := range e.Events {
		d.SecurityEvents = append(d.SecurityEvents, exportEvent{Kind: string(ev.Kind), At: Timestamp(ev.At),
			Address: ev.RemoteAddr, Client: Untrusted(ev.ClientVersion), Detail: Untrusted(ev.Detail)})
	}
	for _, r := range e.Reservations {
		d.Reservations = append(d.Reservations, newExportNumber(r))
	}
	for _, r := range e.Rentals {
		d.Rentals = append(d.Rentals, newExportRental(r))
	}
	for _, o := range e.Orders {
		d.Orders = append(d.Orders, newExportOrder(o))
	}
	for _, l := range e.Ledger {
		d.Ledger = append(d.Ledger, exportMove{AmountCents: l.AmountCents, Kind: string(l.Kind),
			Reference: Untrusted(l.Reference), Note: Untrusted(l.Note), At: Timestamp(l.At)})
	}
	for _, t := range e.Support {
		d.Support = append(d.Support, newExportThread(t))
	}
	return d
}

func newExportNumber(r store.Reservation) exportNumber {
	n := exportNumber{ID: r.ID, Service: r.Service, Country: r.Country, Phone: r.Phone, State: string(r.State),
		PriceCents: r.PriceCents, Refunded: r.Refunded, Simulated: r.Simulated, Operator: r.Operator,
		Report: string(r.Report), Provider: r.Provider,
		Reference: r.ProviderRef, CreatedAt: Timestamp(r.CreatedAt), ExpiresAt: Timestamp(r.ExpiresAt),
		EndedAt: Timestamp(r.EndedAt), Messages: make([]exportSMS, 0, len(r.Messages))}
	for _, m := range r.Messages {
		n.Messages = append(n.Messages, exportSMS{Sender: Untrusted(m.Sender), Body: UntrustedText(m.Body),
			Code: Untrusted(m.Code), ReceivedAt: Timestamp(m.ReceivedAt)})
	}
	return n
}

func newExportRental(r store.Rental) exportRental {
	out := exportRental{ID: r.ID, Service: r.Service, Country: r.Country, Phone: r.Phone, State: string(r.State),
		Days: r.Days, PriceCents: r.PriceCents, RefundCents: r.RefundCents, Simulated: r.Simulated, Provider: r.Provider,
		Reference: r.ProviderRef, CreatedAt: Timestamp(r.CreatedAt), EndsAt: Timestamp(r.EndsAt),
		EndedAt: Timestamp(r.EndedAt), Extensions: make([]exportExtension, 0, len(r.Extensions)),
		Messages: make([]exportSMS, 0, len(r.Messages))}
	for _, e := range r.Extensions {
		out.Extensions = append(out.Extensions, exportExtension{Days: e.Days, PriceCents: e.PriceCents,
			Refunded: e.Refunded, CreatedAt: Timestamp(e.CreatedAt)})
	}
	for _, m := range r.Messages {
		out.Messages = append(out.Messages, exportSMS{Sender: Untrusted(m.Sender), Body: UntrustedText(m.Body),
			Code: Untrusted(m.Code), ReceivedAt: Timestamp(m.ReceivedAt)})
	}
	return out
}

func newExportOrder(o store.ExportOrder) exportOrder {
	out := exportOrder{Number: o.Number, Processor: string(o.Processor), Status: string(o.Status),
		AmountCents: o.AmountCents, Currency: Untrusted(o.Currency), Credits: o.Credits, Credited: o.Credited,
		Reversed: o.Reversed, Note: Untrusted(o.Note), CreatedAt: Timestamp(o.CreatedAt), PaidAt: Timestamp(o.PaidAt)}
	switch o.Processor {
	case store.ProcessorStripe:
		out.Card = &exportCard{SessionID: Untrusted(o.SessionID), PaymentIntent: Untrusted(o.PaymentIntentID),
			ChargedCents: o.ChargedCents, ChargedCurrency: Untrusted(o.ChargedCurrency)}
	case store.ProcessorBlockonomics:
		b := &exportBitcoin{Address: Untrusted(o.BTCAddress), PriceCents: o.BTCPriceCents,
			ExpectedSats: o.BTCExpectedSats, ReceivedSats: o.BTCReceivedSats,
			Transactions: make([]exportTx, 0, len(o.BTCPayments))}
		for _, p := range o.BTCPayments {
			b.Transactions = append(b.Transactions, exportTx{Txid: Untrusted(p.Txid), Status: p.Status,
				ValueSats: p.ValueSats, CreditedCents: p.CreditedCents, FirstSeenAt: Timestamp(p.FirstSeenAt)})
		}
		out.Bitcoin = b
	}
	return out
}

func newExportThread(t store.SupportThread) exportThread {
	out := exportThread{Open: t.Open, CreatedAt: Timestamp(t.CreatedAt),
		Messages: make([]exportSupportMsg, 0, len(t.Messages))}
	for _, m := range t.Messages {
		from := "you"
		if m.FromStaff {
			from = "staff"
		}
		out.Messages = append(out.Messages, exportSupportMsg{From: from, Body: UntrustedText(m.Body), At: Timestamp(m.At)})
	}
	return out
}
