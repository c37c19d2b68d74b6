package store

import (
	"context"
	"fmt"
	"time"
)

// Outcome counts what became of the reservations one provider handed out
// in a window of time.
type Outcome struct {
	Reservations int64 // created in the window
	WithSMS      int64 // of those, the ones that received at least one SMS
	NoSMS        int64 // of those, the ones that ended without any
}

// SuccessPercent is the share of decided reservations (those that got an
// SMS or ended without one) that received an SMS, in whole percent
// rounded down; ok is false while none is decided.
func (o Outcome) SuccessPercent() (pct int64, ok bool) {
	decided := o.WithSMS + o.NoSMS
	if decided == 0 {
		return 0, false
	}
	return o.WithSMS * 100 / decided, true
}

// ProviderOutcomes counts, per provider, the reservations created in the
// hour and the day before now, from the database.
func (s *Store) ProviderOutcomes(ctx context.Context, now time.Time) (hour, day map[string]Outcome, err error) {
	h, d := now.Add(-time.Hour).Unix(), now.Add(-24*time.Hour).Unix()
	rows, err := s.r.QueryContext(ctx, `SELECT provider,
		COUNT(*) FILTER (WHERE created_at >= ?), COUNT(*) FILTER (WHERE created_at >= ? AND got),
		COUNT(*) FILTER (WHERE created_at >= ? AND ended AND NOT got),
		COUNT(*), COUNT(*) FILTER (WHERE got), COUNT(*) FILTER (WHERE ended AND NOT got)
		FROM (SELECT provider, created_at, ended_at IS NOT NULL AS ended,
			EXISTS (SELECT 1 FROM messages m WHERE m.reservation_id = r.id) AS got
			FROM reservations r WHERE created_at >= ?) AS o
		GROUP BY provider`, h, h, h, d)
	if err != nil {
		return nil, nil, fmt.Errorf("provider outcomes: %w", err)
	}
	defer rows.Close()
	hour, day = map[string]Outcome{}, map[string]Outcome{}
	for rows.Next() {
		var name string
		var ho, do Outcome
		if err := rows.Scan(&name, &ho.Reservations, &ho.WithSMS, &ho.NoSMS, &do.Reservations, &do.WithSMS,
			&do.NoSMS); err != nil {
			return nil, nil, fmt.Errorf("scan provider outcome: %w", err)
		}
		hour[name], day[name] = ho, do
	}
	return hour, day, rows.Err()
}

// Gauges are counts read from the database at a /metrics scrape.
type Gauges struct {
	ReservationsByState map[ReservationState]int64
	// OrdersByStatus counts orders per status and processor.
	OrdersByStatus map[OrderStatus]map[Processor]int64
	// MailsByStatus counts the outbox: mails waiting, being sent, and the
	// mail log (sent, failed for good, dropped).
	MailsByStatus map[MailStatus]int64
	// DeliveriesByStatus counts webhook deliveries: the queue (queued,
	// sending) and the delivery log (delivered, failed for good).
	DeliveriesByStatus map[DeliveryStatus]int64
	// ActiveRentals counts rentals not ended yet.
	ActiveRentals int64
}

// ReadGauges counts reservations by state, orders by status and processor,
// mails by status, webhook deliveries by status and active rentals in one
// query that reads five indexes only.
func (s *Store) ReadGauges(ctx context.Context) (Gauges, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT 'r', state, '', COUNT(*) FROM reservations GROUP BY state
		UNION ALL SELECT 'o', status, processor, COUNT(*) FROM orders GROUP BY status, processor
		UNION ALL SELECT 'm', status, '', COUNT(*) FROM outbox GROUP BY status
		UNION ALL SELECT 'w', status, '', COUNT(*) FROM webhook_deliveries GROUP BY status
		UNION ALL SELECT 'n', '', '', COUNT(*) FROM rentals WHERE ended_at IS NULL`)
	if err != nil {
		return Gauges{}, fmt.Errorf("read gauges: %w", err)
	}
	defer rows.Close()
	g := Gauges{ReservationsByState: map[ReservationState]int64{}, OrdersByStatus: map[OrderStatus]map[Processor]int64{},
		MailsByStatus: map[MailStatus]int64{}, DeliveriesByStatus: map[DeliveryStatus]int64{}}
	for rows.Next() {
		var kind, a, b string
		var n int64
		if err := rows.Scan(&kind, &a, &b, &n); err != nil {
			return Gauges{}, fmt.Errorf("scan gauge: %w", err)
		}
		switch kind {
		case "r":
			g.ReservationsByState[ReservationState(a)] = n
			continue
		case "m":
			g.MailsByStatus[MailStatus(a)] = n
			continue
		case "w":
			g.DeliveriesByStatus[DeliveryStatus(a)] = n
			continue
		case "n":
			g.ActiveRentals = n
			continue
		}
		if g.OrdersByStatus[OrderStatus(a)] == nil {
			g.OrdersByStatus[OrderStatus(a)] = map[Processor]int64{}
		}
		g.OrdersByStatus[OrderStatus(a)][Processor(b)] = n
	}
	return g, rows.Err()
}
