package v1api

import (
	"time"

	"github.com/wantsms/wantsms/billing"
	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/sanitize"
	"github.com/wantsms/wantsms/tui/wording"
)

// The JSON shapes of the answers, described for clients in openapi.json.
// Money is whole US cents in *_cents fields; times are RFC 3339 in UTC,
// null when unknown. Text that came from outside (numbers, SMS, notes)
// is cleaned by the one sanitizer before it leaves, as the commands do:
// a client that prints a field on a terminal prints nothing that acts on
// it.

// currency is the only one WantSMS counts in.
const currency = "USD"

// errorBody is every error answer.
type errorBody struct {
	Error errorJSON `json:"error"`
}

type errorJSON struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
	// RetryAfterSeconds repeats the Retry-After header where there is one.
	RetryAfterSeconds *int64 `json:"retry_after_seconds,omitempty"`
}

// at is a moment as JSON: UTC, null when zero.
func at(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// optLine is untrusted one-line text, null when empty.
func optLine(s string) *string {
	if s == "" {
		return nil
	}
	clean := sanitize.Line(s)
	return &clean
}

type balanceJSON struct {
	BalanceCents int64  `json:"balance_cents"`
	DebtCents    int64  `json:"debt_cents"`
	Currency     string `json:"currency"`
}

type serviceJSON struct {
	Code      string `json:"code"`
	Name      string `json:"name"`
	FromCents int64  `json:"from_cents"`
	Stock     int    `json:"stock"`
	Countries int    `json:"countries"`
}

type countryJSON struct {
	Code        string `json:"code"`
	Name        string `json:"name"`
	CallingCode string `json:"calling_code"`
	FromCents   int64  `json:"from_cents"`
	Stock       int    `json:"stock"`
	Services    int    `json:"services"`
}

type priceJSON struct {
	Service    string   `json:"service"`
	Country    string   `json:"country"`
	PriceCents int64    `json:"price_cents"`
	Stock      int      `json:"stock"`
	Simulated  bool     `json:"simulated"`
	Success24h rateJSON `json:"success_24h"`
	Success7d  rateJSON `json:"success_7d"`
}

type rateJSON struct {
	Numbers int64 `json:"numbers"`
	WithSMS int64 `json:"with_sms"`
	Percent *int  `json:"percent"`
}

func rateOf(t store.Tally) rateJSON {
	r := rateJSON{Numbers: t.Numbers, WithSMS: t.WithSMS}
	if pct, ok := t.Percent(); ok {
		r.Percent = &pct
	}
	return r
}

type operatorJSON struct {
	Operator   string `json:"operator"`
	PriceCents int64  `json:"price_cents"`
	Stock      int    `json:"stock"`
}

type reservationJSON struct {
	ID          int64         `json:"id"`
	Service     string        `json:"service"`
	Country     string        `json:"country"`
	Phone       string        `json:"phone"`
	PriceCents  int64         `json:"price_cents"`
	State       string        `json:"state"`
	Refunded    bool          `json:"refunded"`
	Simulated   bool          `json:"simulated"`
	CreatedAt   *time.Time    `json:"created_at"`
	ExpiresAt   *time.Time    `json:"expires_at"`
	CancelAfter *time.Time    `json:"cancel_after"`
	EndedAt     *time.Time    `json:"ended_at"`
	Code        *string       `json:"code"`
	Operator    string        `json:"operator"`
	Report      string        `json:"report"`
	Messages    []messageJSON `json:"messages"`
}

type messageJSON struct {
	Sender     string     `json:"sender"`
	Text       string     `json:"text"`
	Code       *string    `json:"code"`
	ReceivedAt *time.Time `json:"received_at"`
}

func reservationOf(r store.Reservation) reservationJSON {
	return reservationJSON{ID: r.ID, Service: r.Service, Country: r.Country, Phone: sanitize.Line(r.Phone),
		PriceCents: r.PriceCents, State: string(r.State), Refunded: r.Refunded, Simulated: r.Simulated,
		CreatedAt: at(r.CreatedAt), ExpiresAt: at(r.ExpiresAt), CancelAfter: at(r.CancelAfter),
		EndedAt: at(r.EndedAt), Code: optLine(r.LatestCode()), Operator: sanitize.Line(r.Operator),
		Report: string(r.Report), Messages: messagesOf(r.Messages)}
}

// messagesOf is SMS as the API gives them, cleaned, oldest first.
func messagesOf(ms []store.Message) []messageJSON {
	out := make([]messageJSON, 0, len(ms))
	for _, m := range ms {
		out = append(out, messageJSON{Sender: sanitize.Line(m.Sender), Text: sanitize.Text(m.Body),
			Code: optLine(m.Code), ReceivedAt: at(m.ReceivedAt)})
	}
	return out
}

type reservationsJSON struct {
	Reservations []reservationJSON `json:"reservations"`
}

type historyJSON struct {
	Reservations []reservationJSON `json:"reservations"`
	More         bool              `json:"more"`
}

func reservationsOf(rs []store.Reservation) []reservationJSON {
	out := make([]reservationJSON, 0, len(rs))
	for _, r := range rs {
		out = append(out, reservationOf(r))
	}
	return out
}

// The payment methods of a top-up, as the commands name them.
const (
	methodCard = "card"
	methodBTC  = "btc"
)

type orderJSON struct {
	Order         string     `json:"order"`
	Method        string     `json:"method"`
	Status        string     `json:"status"`
	Open          bool       `json:"open"`
	AmountCents   int64      `json:"amount_cents"`
	CreditedCents int64      `json:"credited_cents"`
	ReversedCents int64      `json:"reversed_cents"`
	CreatedAt     *time.Time `json:"created_at"`
	ExpiresAt     *time.Time `json:"expires_at"`
	PaidAt        *time.Time `json:"paid_at"`
	Note          string     `json:"note"`
	Card          *cardJSON  `json:"card"`
	BTC           *btcJSON   `json:"btc"`
}

type cardJSON struct {
	PayLink     string `json:"pay_link"`
	CheckoutURL string `json:"checkout_url"`
}

type btcJSON struct {
	Address          string `json:"address"`
	AmountBTC        string `json:"amount_btc"`
	AmountSats       int64  `json:"amount_sats"`
	PriceCentsPerBTC int64  `json:"price_cents_per_btc"`
	PaymentURI       string `json:"payment_uri"`
}

type ordersJSON struct {
	Orders []orderJSON `json:"orders"`
}

// orderOf is an order as the Wallet shows it: while it waits for its
// payment, with the card link (our short link and Stripe's page) or the
// Bitcoin address, amount and wallet link.
func orderOf(o store.Order, now time.Time, payLink func(number string) string) orderJSON {
	j := orderJSON{Order: o.Number, Method: methodCard, Status: string(o.Status), Open: o.Open(now),
		AmountCents: o.AmountCents, CreditedCents: o.Credited, ReversedCents: o.Reversed,
		CreatedAt: at(o.CreatedAt), ExpiresAt: at(o.ExpiresAt), PaidAt: at(o.PaidAt), Note: sanitize.Line(o.Note)}
	if o.Processor == store.ProcessorBlockonomics {
		j.Method = methodBTC
	}
	switch {
	case !j.Open:
	case j.Method == methodBTC:
		j.BTC = &btcJSON{Address: o.BTCAddress, AmountBTC: billing.FormatBTC(o.BTCExpectedSats),
			AmountSats: o.BTCExpectedSats, PriceCentsPerBTC: o.BTCPriceCents,
			PaymentURI: billing.PaymentURI(o.BTCAddress, o.BTCExpectedSats)}
	default:
		j.Card = &cardJSON{PayLink: payLink(o.Number), CheckoutURL: o.CheckoutURL}
	}
	return j
}

// serviceName and countryName are the names the dashboard shows.
func serviceName(code string) string { return wording.Service(code) }

func countryOf(code string) (name, calling string) {
	c, _ := provider.LookupCountry(code)
	return wording.Country(code), c.CallingCode
}
