package store

import (
	"context"
	"fmt"
	"strings"
)

// MaxOrdersPage caps one page of the admin order list.
const MaxOrdersPage = 500

// maxOrderRefLen bounds a reference to look up: a Checkout Session id is
// about 66 characters, a txid 64.
const maxOrderRefLen = 128

// ErrBadOrderQuery refuses an unknown status or processor, or a garbled
// reference.
var ErrBadOrderQuery error = userErr("unknown order status or processor, or a reference that is not one")

// OrderQuery selects orders for admins, newest first.
type OrderQuery struct {
	Status    OrderStatus // "" for any
	Processor Processor   // "" for any
	// Ref finds the order by its number, its Checkout Session id, its
	// PaymentIntent id, its Bitcoin address or the txid of a payment to it.
	Ref   string
	Limit int // 1 to MaxOrdersPage; default 50
}

var (
	orderStatuses = map[OrderStatus]bool{"": true, OrderCreated: true, OrderPending: true, OrderPaid: true,
		OrderFailed: true, OrderExpired: true, OrderReview: true, OrderRefunded: true, OrderDisputed: true}
	processors = map[Processor]bool{"": true, ProcessorStripe: true, ProcessorBlockonomics: true}
)

// AdminOrders lists orders by status and processor, or looks one up by a
// reference. A lookup is audited (a reference leads to one person); the
// list names accounts by id only.
func (s *Store) AdminOrders(ctx context.Context, a Actor, q OrderQuery) ([]Order, error) {
	q.Ref = strings.TrimSpace(q.Ref)
	if q.Limit == 0 {
		q.Limit = 50
	}
	if !orderStatuses[q.Status] || !processors[q.Processor] || q.Limit < 1 || q.Limit > MaxOrdersPage ||
		(q.Ref != "" && !printable(q.Ref, maxOrderRefLen)) {
		return nil, ErrBadOrderQuery
	}
	if err := s.CheckActor(ctx, a); err != nil {
		return nil, err
	}
	if q.Ref == "" {
		return s.queryOrders(ctx, `SELECT `+orderColumns+` FROM orders WHERE (? = '' OR status = ?)
			AND (? = '' OR processor = ?) ORDER BY id DESC LIMIT ?`,
			q.Status, q.Status, q.Processor, q.Processor, q.Limit)
	}
	// Order numbers and txids are lower case; Stripe ids are not.
	lower := strings.ToLower(q.Ref)
	found, err := s.queryOrders(ctx, `SELECT `+orderColumns+` FROM orders WHERE number = ? OR session_id = ?
		OR payment_intent = ? OR btc_address = ?
		OR id IN (SELECT order_id FROM btc_payments WHERE txid = ?) ORDER BY id DESC LIMIT ?`,
		lower, q.Ref, q.Ref, q.Ref, lower, q.Limit)
	if err != nil {
		return nil, err
	}
	var target int64
	if len(found) > 0 {
		target = found[0].UserID
	}
	err = s.write(ctx, func(tx *Tx) error {
		if err := tx.requireAdmin(ctx, a); err != nil {
			return err
		}
		_, err := tx.audit(ctx, a, AuditEntry{Action: AuditOrderSearch, TargetUserID: target, Target: q.Ref})
		return err
	})
	if err != nil {
		return nil, err
	}
	return found, nil
}

func (s *Store) queryOrders(ctx context.Context, q string, args ...any) ([]Order, error) {
	orders, err := collect(ctx, s.r, scanOrder, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list orders: %w", err)
	}
	return orders, nil
}
