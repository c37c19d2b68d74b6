package store

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"time"
)

// Processor is who takes the money for an order.
type Processor string

// The payment processors.
const (
	ProcessorStripe       Processor = "stripe"       // card, Stripe Checkout
	ProcessorBlockonomics Processor = "blockonomics" // Bitcoin
)

// OrderStatus is where an order is in its life. Paid, failed and expired
// are final for Stripe; a Bitcoin order that expired unpaid still turns
// paid if coins arrive later (the money is there). A card order in review
// waits for an admin; a paid card order turns refunded or disputed when
// Stripe takes its money back.
type OrderStatus string

// The order statuses.
const (
	OrderCreated OrderStatus = "created" // opened, nothing received yet
	OrderPending OrderStatus = "pending" // payment on its way (delayed method, unconfirmed BTC)
	OrderPaid    OrderStatus = "paid"    // credited
	OrderFailed  OrderStatus = "failed"  // the payment failed or the order could not be opened
	OrderExpired OrderStatus = "expired" // the page closed or the price lock ended unpaid
	// OrderReview: paid, but not as ordered (amount, currency, or a test
	// payment on a live key): nothing credited until an admin settles it.
	OrderReview   OrderStatus = "review"
	OrderRefunded OrderStatus = "refunded" // Stripe refunded the payment: its credits were taken back
	OrderDisputed OrderStatus = "disputed" // the payer disputed it: its credits were taken back
)

// Order limits.
const (
	// OrderNumberLen is the length of an order number: 16 characters of a
	// 32-letter alphabet are 80 random bits, far beyond guessing, and short
	// enough for a payment link that fits a small QR code.
	OrderNumberLen = 16
	// maxOrdersPerHour caps the orders an account opens in an hour: enough
	// for retries and changed minds, not for filling a wallet's address gap
	// limit or the table.
	maxOrdersPerHour = 10
	// orderSetupTimeout is how long an order may wait for its processor
	// reference (a Checkout session, an address): opening one takes seconds,
	// so an order still bare after this was abandoned by a crash.
	orderSetupTimeout = 10 * time.Minute
)

// orderAlphabet has no 0/o nor 1/l: an order number read aloud to support
// or typed from a screenshot is unambiguous. 32 letters: a random byte
// masked to 5 bits picks one without bias.
const orderAlphabet = "abcdefghijkmnpqrstuvwxyz23456789"

// Errors about orders.
var (
	ErrNoOrder         error = userErr("no such order")
	ErrTooManyOrders   error = userErr(fmt.Sprintf("you opened %d top-ups in the last hour: please wait a little", maxOrdersPerHour))
	ErrUnknownAddress        = fmt.Errorf("no order has this bitcoin address")
	ErrOrderNotCreated       = fmt.Errorf("order already has its processor reference or is closed")
)

// OpenOrderError refuses a second Bitcoin order while one is waiting for
// coins: every order takes a fresh address, and a wallet stops seeing
// payments after a run of unused ones (its gap limit).
type OpenOrderError struct{ Number string }

func (e *OpenOrderError) Error() string {
	return "you already have a Bitcoin top-up waiting (order " + e.Number +
		"): pay it, or wait until its price lock ends"
}

// UserFacing tells the person.
func (e *OpenOrderError) UserFacing() string { return e.Error() }

// Order is one top-up attempt. These are the payment records the privacy
// policy lists; nothing here identifies a card or a person but the account.
type Order struct {
	ID          int64
	Number      string
	UserID      int64
	Processor   Processor
	Status      OrderStatus
	Credits     int64 // credits ordered
	Credited    int64 // credits added so far
	AmountCents int64
	Currency    string

	SessionID       string
	CheckoutURL     string
	PaymentIntentID string
	ChargedCents    int64  // what Stripe says it charged (0 when unknown)
	ChargedCurrency string // its currency ("" when unknown)
	// Reversed is the credits taken back because Stripe refunded the
	// payment or the payer disputed it.
	Reversed int64

	BTCAddress      string
	BTCPriceCents   int64 // locked price, US cents per BTC
	BTCExpectedSats int64
	BTCReceivedSats int64 // confirmed so far

	Note      string
	CreatedAt time.Time
	ExpiresAt time.Time // zero until the processor reference is attached
	PaidAt    time.Time
	UpdatedAt time.Time
}

// Open reports whether the order still waits for a payment at now: created
// and its page or price lock not over.
func (o Order) Open(now time.Time) bool {
	return o.Status == OrderCreated && !o.ExpiresAt.IsZero() && now.Before(o.ExpiresAt)
}

// newOrderNumber draws a fresh random order number.
func (s *Store) newOrderNumber() (string, error) {
	b := make([]byte, OrderNumberLen)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return "", fmt.Errorf("draw order number: %w", err)
	}
	for i := range b {
		b[i] = orderAlphabet[b[i]&31]
	}
	return string(b), nil
}

const orderColumns = `id, number, user_id, processor, status, credits, credited, amount_cents, currency,
	COALESCE(session_id, ''), COALESCE(checkout_url, ''), COALESCE(payment_intent, ''),
	COALESCE(charged_cents, 0), COALESCE(charged_currency, ''), reversed, COALESCE(btc_address, ''), COALESCE(btc_price_cents, 0), COALESCE(btc_expected_sats, 0), btc_received_sats,
	note, created_at, expires_at, paid_at, updated_at`

func scanOrder(row scanner) (Order, error) {
	var o Order
	var created, updated int64
	var expires, paid sql.NullInt64
	err := row.Scan(&o.ID, &o.Number, &o.UserID, &o.Processor, &o.Status, &o.Credits, &o.Credited,
		&o.AmountCents, &o.Currency, &o.SessionID, &o.CheckoutURL, &o.PaymentIntentID,
		&o.ChargedCents, &o.ChargedCurrency, &o.Reversed, &o.BTCAddress, &o.BTCPriceCents, &o.BTCExpectedSats, &o.BTCReceivedSats,
		&o.Note, &created, &expires, &paid, &updated)
	if err != nil {
		return Order{}, fmt.Errorf("scan order: %w", noRows(err, ErrNoOrder))
	}
	o.CreatedAt, o.UpdatedAt = time.Unix(created, 0), time.Unix(updated, 0)
	o.ExpiresAt, o.PaidAt = timeOrZero(expires), timeOrZero(paid)
	return o, nil
}

// NewOrder is what a person asks for: credits for an amount in US cents.
type NewOrder struct {
	UserID      int64
	Processor   Processor
	AmountCents int64 // also the credits: one credit is one cent
	// CapUnverified limits an account whose email is not verified to
	// UnverifiedMaxCents of top-ups in all (*UnverifiedCapError beyond):
	// credits bought before anybody could reach the person stay small.
	// The payment desk sets it; the host's tools and tests may not.
	CapUnverified      bool
	UnverifiedMaxCents int64
}

// UnverifiedCapError refuses a top-up that would take an account whose
// email is not verified beyond what such an account may top up.
type UnverifiedCapError struct {
	MaxCents  int64 // what an unverified account may top up in all
	UsedCents int64 // already open, pending or paid
}

func (e *UnverifiedCapError) Error() string {
	if e.MaxCents <= 0 {
		return "verify your email address first: until then you cannot top up"
	}
	msg := "verify your email address to top up more: until then top-ups are limited to " +
		FormatCents(e.MaxCents) + " in all"
	if e.UsedCents > 0 {
		msg += " (" + FormatCents(e.UsedCents) + " used)"
	}
	return msg
}

// UserFacing tells the person.
func (e *UnverifiedCapError) UserFacing() string { return e.Error() }

// OrderRef names an order as what an idempotency key created.
func OrderRef(number string) string { return "order:" + number }

// CreateOrder opens an order with a fresh number, status created. A banned
// account is refused (*BannedError), so is one that opened too many orders
// lately or, for Bitcoin, still has one waiting for coins. Opened for a
// request with an idempotency key (WithIdemClaim), it is linked to the key
// in the same transaction.
func (s *Store) CreateOrder(ctx context.Context, n NewOrder) (Order, error) {
	if n.Processor != ProcessorStripe && n.Processor != ProcessorBlockonomics {
		return Order{}, fmt.Errorf("create order: unknown processor %q", n.Processor)
	}
	if n.AmountCents <= 0 {
		return Order{}, fmt.Errorf("create order: amount %d", n.AmountCents)
	}
	number, err := s.newOrderNumber()
	if err != nil {
		return Order{}, err
	}
	var o Order
	err = s.write(ctx, func(tx *Tx) error {
		if err := tx.checkMayOrder(ctx, n); err != nil {
			return err
		}
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO orders (number, user_id, processor, credits, amount_cents,
			created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			number, n.UserID, n.Processor, n.AmountCents, n.AmountCents, tx.now, tx.now).Scan(&id); err != nil {
			return fmt.Errorf("insert order: %w", err)
		}
		var err error
		if o, err = tx.order(ctx, `id = ?`, id); err != nil {
			return err
		}
		if err := tx.linkIdem(ctx, n.UserID, OrderRef(number)); err != nil {
			return err
		}
		tx.notify(Event{UserID: n.UserID, Kind: EventOrder, Ref: id})
		return nil
	})
	return o, err
}

// checkMayOrder applies the rules of CreateOrder inside its transaction.
func (tx *Tx) checkMayOrder(ctx context.Context, n NewOrder) error {
	u, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ? AND deleted_at IS NULL`,
		n.UserID))
	if err != nil {
		return err
	}
	if err := u.CheckNotBanned(); err != nil {
		return err
	}
	var recent int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM orders WHERE user_id = ? AND created_at > ?`,
		n.UserID, tx.now-int64(time.Hour/time.Second)).Scan(&recent); err != nil {
		return fmt.Errorf("count recent orders: %w", err)
	}
	if recent >= maxOrdersPerHour {
		return ErrTooManyOrders
	}
	if n.CapUnverified && !u.Verified() {
		// Every order that may still bring or brought money counts: open
		// ones too, or a few open pages at once would pass the cap.
		var used int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(amount_cents), 0) FROM orders WHERE user_id = ?
			AND status NOT IN ('failed', 'expired')`, n.UserID).Scan(&used); err != nil {
			return fmt.Errorf("sum top-ups: %w", err)
		}
		if used+n.AmountCents > n.UnverifiedMaxCents {
			return &UnverifiedCapError{MaxCents: n.UnverifiedMaxCents, UsedCents: used}
		}
	}
	if n.Processor != ProcessorBlockonomics {
		return nil
	}
	var open string
	err = tx.QueryRowContext(ctx, `SELECT number FROM orders WHERE user_id = ? AND processor = 'blockonomics'
		AND status = 'created' AND (expires_at IS NULL OR expires_at > ?) LIMIT 1`, n.UserID, tx.now).Scan(&open)
	switch {
	case err == sql.ErrNoRows:
		return nil
	case err != nil:
		return fmt.Errorf("find open bitcoin order: %w", err)
	}
	return &OpenOrderError{Number: open}
}

// order reads one order inside a transaction.
func (tx *Tx) order(ctx context.Context, where string, args ...any) (Order, error) {
	return scanOrder(tx.QueryRowContext(ctx, `SELECT `+orderColumns+` FROM orders WHERE `+where, args...))
}

// CheckoutRef is what Stripe gave for an order's Checkout session.
type CheckoutRef struct {
	SessionID       string
	URL             string
	PaymentIntentID string // usually empty until paid
	ExpiresAt       time.Time
}

// AttachCheckout records the Checkout session of a created Stripe order.
// Repeating it with the same session is harmless (an idempotent retry).
func (s *Store) AttachCheckout(ctx context.Context, number string, c CheckoutRef) (Order, error) {
	return s.attach(ctx, number, ProcessorStripe, `session_id = ?, checkout_url = ?,
		payment_intent = COALESCE(NULLIF(?, ''), payment_intent), expires_at = ?`, "session_id",
		[]any{c.SessionID, c.URL, c.PaymentIntentID, c.ExpiresAt.Unix()}, c.SessionID)
}

// BitcoinRef is a Bitcoin order's address and locked quote.
type BitcoinRef struct {
	Address      string
	PriceCents   int64 // US cents per BTC
	ExpectedSats int64
	ExpiresAt    time.Time // the price lock ends
}

// AttachBitcoin records the address and locked quote of a created
// Bitcoin order.
func (s *Store) AttachBitcoin(ctx context.Context, number string, b BitcoinRef) (Order, error) {
	return s.attach(ctx, number, ProcessorBlockonomics, `btc_address = ?, btc_price_cents = ?,
		btc_expected_sats = ?, expires_at = ?`, "btc_address",
		[]any{b.Address, b.PriceCents, b.ExpectedSats, b.ExpiresAt.Unix()}, b.Address)
}

// attach sets the processor reference column refCol (and others, in set)
// of a created order; a repeat with the same reference is accepted at any
// status, since a webhook may have found the order by number first.
func (s *Store) attach(ctx context.Context, number string, p Processor, set, refCol string, args []any, ref string) (Order, error) {
	var o Order
	err := s.write(ctx, func(tx *Tx) error {
		q := `UPDATE orders SET ` + set + `, updated_at = ? WHERE number = ? AND processor = ?
			AND ((` + refCol + ` IS NULL AND status = 'created') OR ` + refCol + ` = ?)`
		res, err := tx.ExecContext(ctx, q, append(args, tx.now, number, p, ref)...)
		if err != nil {
			return fmt.Errorf("attach to order %s: %w", number, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("attach to order %s: %w", number, ErrOrderNotCreated)
		}
		if o, err = tx.order(ctx, `number = ?`, number); err != nil {
			return err
		}
		tx.notify(Event{UserID: o.UserID, Kind: EventOrder, Ref: o.ID})
		return nil
	})
	return o, err
}

// FailOrder closes a created order that could not be opened at the
// processor (an API error), with a note saying why.
func (s *Store) FailOrder(ctx context.Context, number, note string) error {
	return s.write(ctx, func(tx *Tx) error {
		o, err := tx.order(ctx, `number = ?`, number)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE orders SET status = 'failed', note = ?, updated_at = ?
			WHERE id = ? AND status = 'created'`, note, tx.now, o.ID)
		if err != nil {
			return fmt.Errorf("fail order %s: %w", number, err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			tx.notify(Event{UserID: o.UserID, Kind: EventOrder, Ref: o.ID})
		}
		return nil
	})
}

// OrderByNumber returns an order by its number.
func (s *Store) OrderByNumber(ctx context.Context, number string) (Order, error) {
	return scanOrder(s.r.QueryRowContext(ctx, `SELECT `+orderColumns+` FROM orders WHERE number = ?`, number))
}

// UserOrder returns one of an account's orders by its number; another
// account's is ErrNoOrder, like one that never was.
func (s *Store) UserOrder(ctx context.Context, userID int64, number string) (Order, error) {
	return scanOrder(s.r.QueryRowContext(ctx, `SELECT `+orderColumns+` FROM orders WHERE number = ? AND user_id = ?`,
		number, userID))
}

// Orders lists an account's most recent orders, newest first.
func (s *Store) Orders(ctx context.Context, userID int64, limit int) ([]Order, error) {
	return s.queryOrders(ctx, `SELECT `+orderColumns+` FROM orders WHERE user_id = ? ORDER BY id DESC LIMIT ?`,
		userID, limit)
}
