package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Export is everything WantSMS holds on one person (privacy policy §10,
// "access" and "portability"), read in one snapshot. It is assembled here,
// in one place, from rows selected by the person's account id only, so no
// other person's data can enter it. The password hash is never read.
//
// A feature that adds a table of personal data adds its section here;
// TestExportCoversEveryTableWithUserID fails until it does.
type Export struct {
	At      time.Time // when the snapshot was taken
	Account User
	// PolicyVersion is the privacy policy version accepted at sign-up
	// ("" before versions were recorded).
	PolicyVersion string
	Keys          []Key           // linked keys oldest first, then pending ones (pasted, not proved yet)
	Events        []SecurityEvent // sign-ins, failures and changes, oldest first
	// Reservations are every number the person rented that we still hold
	// (the purge removes them a year after they ended), oldest first, each
	// with its SMS.
	Reservations []Reservation
	// Rentals are every number the person rented for days that we still
	// hold (the purge removes them a year after they ended), oldest
	// first, each with its extensions and SMS.
	Rentals []Rental
	Orders  []ExportOrder // top-ups, the payment records we keep, oldest first
	Ledger  []LedgerEntry // every movement of the balance, oldest first
	Support []SupportThread
	// Mails is the mail log: what was mailed (or is about to be) to the
	// person, when, oldest first; never the codes it carried.
	Mails []MailLogEntry
	// NoticesOff are the kinds of notice the person turned off.
	NoticesOff []MailKind
	// PendingEmail is a new address waiting for its verification code
	// (an email change); "" when none.
	PendingEmail string
	// Favourites are the service+country pairs the person starred, oldest
	// first.
	Favourites []Favourite
	// APIKeys are the account's API keys, live and revoked, oldest first:
	// names and dates, never a key (only its hash is held).
	APIKeys []APIKey
	// Webhooks are the URLs the person's events go to, oldest first, each
	// with every delivery still in its log (Recent, newest first): the
	// event, status and answer, never what was sent. The signing secret
	// is not exported: it is shown once, and a new one can be made.
	Webhooks []Webhook
}

// ExportOrder is an order with the Bitcoin transactions seen paying it.
type ExportOrder struct {
	Order
	BTCPayments []BTCPayment
}

// Export returns everything held on a live account, as of now.
func (s *Store) Export(ctx context.Context, userID int64) (Export, error) {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return Export{}, fmt.Errorf("export: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only: nothing to undo
	e := Export{At: s.now()}
	e.Account, err = scanUser(tx.QueryRowContext(ctx,
		`SELECT `+userColumns+` FROM users WHERE id = ? AND deleted_at IS NULL`, userID))
	if err != nil {
		return Export{}, err
	}
	if err := tx.QueryRowContext(ctx, `SELECT policy_version FROM users WHERE id = ?`, userID).
		Scan(&e.PolicyVersion); err != nil {
		return Export{}, fmt.Errorf("export account %d: policy version: %w", userID, err)
	}
	for _, section := range []func(context.Context, querier, *Export) error{
		exportKeys, exportEvents, exportReservations, exportRentals, exportOrders, exportLedger, exportSupport,
		exportMail, exportFavourites, exportAPIKeys, exportWebhooks,
	} {
		if err := section(ctx, tx, &e); err != nil {
			return Export{}, fmt.Errorf("export account %d: %w", userID, err)
		}
	}
	return e, nil
}

func exportKeys(ctx context.Context, q querier, e *Export) (err error) {
	e.Keys, err = collect(ctx, q, scanKey, `SELECT `+keyColumns+` FROM ssh_keys WHERE user_id = ? ORDER BY id`,
		e.Account.ID)
	if err != nil {
		return err
	}
	pending, err := pendingKeys(ctx, q, e.Account.ID, e.At.Unix())
	e.Keys = append(e.Keys, pending...)
	return err
}

func exportAPIKeys(ctx context.Context, q querier, e *Export) (err error) {
	e.APIKeys, err = apiKeys(ctx, q, e.Account.ID)
	return err
}

func exportEvents(ctx context.Context, q querier, e *Export) (err error) {
	e.Events, err = collect(ctx, q, scanSecurityEvent,
		`SELECT `+securityEventColumns+` FROM security_events WHERE user_id = ? ORDER BY id`, e.Account.ID)
	return err
}

func exportReservations(ctx context.Context, q querier, e *Export) error {
	rs, err := collect(ctx, q, scanReservation,
		`SELECT `+reservationColumns+` FROM reservations WHERE user_id = ? ORDER BY id`, e.Account.ID)
	if err != nil {
		return err
	}
	idx := make(map[int64]int, len(rs))
	for i, r := range rs {
		idx[r.ID] = i
	}
	msgs, err := collect(ctx, q, func(r scanner) (Message, error) {
		var m Message
		var at int64
		err := r.Scan(&m.ID, &m.ReservationID, &m.ProviderID, &m.Sender, &m.Body, &m.Code, &at)
		m.ReceivedAt = time.Unix(at, 0)
		return m, err
	}, `SELECT m.id, m.reservation_id, m.provider_id, m.sender, m.body, m.code, m.received_at
		FROM messages m JOIN reservations r ON r.id = m.reservation_id
		WHERE r.user_id = ? ORDER BY m.received_at, m.id`, e.Account.ID)
	if err != nil {
		return err
	}
	for _, m := range msgs {
		if i, ok := idx[m.ReservationID]; ok {
			rs[i].Messages = append(rs[i].Messages, m)
		}
	}
	e.Reservations = rs
	return nil
}

func exportRentals(ctx context.Context, q querier, e *Export) (err error) {
	e.Rentals, err = collect(ctx, q, scanRental, `SELECT `+rentalColumns+` FROM rentals WHERE user_id = ? ORDER BY id`,
		e.Account.ID)
	if err != nil {
		return err
	}
	return attachRentalDetails(ctx, q, e.Rentals)
}

func exportOrders(ctx context.Context, q querier, e *Export) error {
	orders, err := collect(ctx, q, func(r scanner) (ExportOrder, error) {
		o, err := scanOrder(r)
		return ExportOrder{Order: o}, err
	}, `SELECT `+orderColumns+` FROM orders WHERE user_id = ? ORDER BY id`, e.Account.ID)
	if err != nil {
		return err
	}
	idx := make(map[int64]int, len(orders))
	for i, o := range orders {
		idx[o.ID] = i
	}
	type paymentOf struct {
		order int64
		p     BTCPayment
	}
	pays, err := collect(ctx, q, func(r scanner) (paymentOf, error) {
		var x paymentOf
		var credited sql.NullInt64
		var first, updated int64
		err := r.Scan(&x.order, &x.p.Txid, &x.p.Status, &x.p.ValueSats, &x.p.RBF, &credited, &first, &updated)
		x.p.Credited, x.p.CreditedCents = credited.Valid, credited.Int64
		x.p.FirstSeenAt, x.p.UpdatedAt = time.Unix(first, 0), time.Unix(updated, 0)
		return x, err
	}, `SELECT p.order_id, p.txid, p.status, p.value_sats, p.rbf, p.credited_cents, p.first_seen_at, p.updated_at
		FROM btc_payments p JOIN orders o ON o.id = p.order_id
		WHERE o.user_id = ? ORDER BY p.first_seen_at, p.txid`, e.Account.ID)
	if err != nil {
		return err
	}
	for _, x := range pays {
		if i, ok := idx[x.order]; ok {
			orders[i].BTCPayments = append(orders[i].BTCPayments, x.p)
		}
	}
	e.Orders = orders
	return nil
}

func exportLedger(ctx context.Context, q querier, e *Export) (err error) {
	e.Ledger, err = collect(ctx, q, scanLedgerEntry,
		`SELECT `+ledgerColumns+` FROM ledger WHERE user_id = ? ORDER BY id`, e.Account.ID)
	return err
}

func exportSupport(ctx context.Context, q querier, e *Export) error {
	// Which staff member wrote a reply is theirs, not the person's: only
	// that it came from staff is exported.
	type row struct {
		t SupportThread
		m SupportMessage
	}
	rows, err := collect(ctx, q, func(r scanner) (row, error) {
		var x row
		var status string
		var created, updated, at int64
		err := r.Scan(&x.t.ID, &status, &created, &updated, &x.m.ID, &x.m.FromStaff, &x.m.Body, &at)
		x.t.UserID, x.t.Email, x.t.Open = e.Account.ID, e.Account.Email, status == "open"
		x.t.CreatedAt, x.t.UpdatedAt = time.Unix(created, 0), time.Unix(updated, 0)
		x.m.ThreadID, x.m.At = x.t.ID, time.Unix(at, 0)
		return x, err
	}, `SELECT t.id, t.status, t.created_at, t.updated_at, m.id, m.from_staff, m.body, m.created_at
		FROM support_threads t JOIN support_messages m ON m.thread_id = t.id
		WHERE t.user_id = ? ORDER BY t.id, m.id`, e.Account.ID)
	if err != nil {
		return err
	}
	for _, x := range rows {
		if n := len(e.Support); n == 0 || e.Support[n-1].ID != x.t.ID {
			e.Support = append(e.Support, x.t)
		}
		last := &e.Support[len(e.Support)-1]
		last.Messages = append(last.Messages, x.m)
	}
	return nil
}

func exportFavourites(ctx context.Context, q querier, e *Export) (err error) {
	e.Favourites, err = favourites(ctx, q, e.Account.ID)
	return err
}

func exportWebhooks(ctx context.Context, q querier, e *Export) (err error) {
	if e.Webhooks, err = collect(ctx, q, scanWebhook, `SELECT `+webhookColumns+` FROM webhooks WHERE user_id = ?
		ORDER BY id`, e.Account.ID); err != nil {
		return err
	}
	for i := range e.Webhooks {
		if e.Webhooks[i].Recent, err = collect(ctx, q, scanDelivery, `SELECT `+deliveryColumns+`
			FROM webhook_deliveries WHERE webhook_id = ? AND user_id = ? ORDER BY id DESC`, e.Webhooks[i].ID,
			e.Account.ID); err != nil {
			return err
		}
	}
	return nil
}

func exportMail(ctx context.Context, q querier, e *Export) (err error) {
	if e.Mails, err = collect(ctx, q, scanMailLog, `SELECT `+mailLogColumns+` FROM outbox WHERE user_id = ?
		ORDER BY id`, e.Account.ID); err != nil {
		return err
	}
	if e.NoticesOff, err = noticesOff(ctx, q, e.Account.ID); err != nil {
		return err
	}
	err = q.QueryRowContext(ctx, `SELECT email FROM email_codes WHERE user_id = ? AND purpose = ? AND expires_at > ?
		AND email <> ?`, e.Account.ID, purposeVerify, e.At.Unix(), e.Account.Email).Scan(&e.PendingEmail)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	return err
}
