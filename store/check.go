package store

import (
	"context"
	"fmt"
	"strings"
)

// BalanceMismatch is an account whose cached balance differs from the sum
// of its ledger.
type BalanceMismatch struct {
	UserID       int64
	Email        string
	BalanceCents int64 // the balance minus the debt
	LedgerCents  int64
}

// CheckReport is the outcome of Check.
type CheckReport struct {
	// Integrity is "ok" alone when SQLite finds nothing wrong. PostgreSQL
	// checks its own pages as it reads them: there it is "ok" once every
	// table could be read.
	Integrity []string
	// ForeignKey lists rows violating a foreign key (PostgreSQL enforces
	// them at every write: none there).
	ForeignKey []string
	Mismatches []BalanceMismatch
	// Orders are top-ups whose credited amount differs from their ledger
	// rows, or that were credited without being paid.
	Orders []string
	// References are ledger rows whose reference names another account's
	// reservation, order or audit row, or nothing, and reservations
	// without their ledger rows (see check_refs.go).
	References []string
	Users      int
	LedgerRows int
}

// OK reports whether nothing is wrong.
func (r CheckReport) OK() bool {
	return len(r.Integrity) == 1 && r.Integrity[0] == "ok" && len(r.ForeignKey) == 0 && len(r.Mismatches) == 0 &&
		len(r.Orders) == 0 && len(r.References) == 0
}

// Check verifies the money invariant (for every account the ledger sums to
// the balance), that each ledger row names what is its own account's, and
// SQLite's own integrity.
func (s *Store) Check(ctx context.Context) (CheckReport, error) {
	var r CheckReport
	var err error
	if s.OnPostgres() {
		if r.Integrity, err = s.readEveryTable(ctx); err != nil {
			return r, err
		}
	} else {
		if r.Integrity, err = s.pragmaLines(ctx, `PRAGMA integrity_check`); err != nil {
			return r, err
		}
		if r.ForeignKey, err = s.pragmaLines(ctx, `PRAGMA foreign_key_check`); err != nil {
			return r, err
		}
	}
	if err := s.r.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM users), (SELECT COUNT(*) FROM ledger)`).
		Scan(&r.Users, &r.LedgerRows); err != nil {
		return r, fmt.Errorf("count: %w", err)
	}
	// The ledger sums to what the account holds: its balance minus its
	// debt (at most one of the two is above zero).
	rows, err := s.r.QueryContext(ctx, `SELECT u.id, COALESCE(u.email, ''), u.balance_cents - u.debt_cents,
		COALESCE(l.total, 0)
		FROM users u LEFT JOIN (SELECT user_id, SUM(amount_cents) AS total FROM ledger GROUP BY user_id) l
		ON l.user_id = u.id WHERE u.balance_cents - u.debt_cents <> COALESCE(l.total, 0) ORDER BY u.id`)
	if err != nil {
		return r, fmt.Errorf("compare balances: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var m BalanceMismatch
		if err := rows.Scan(&m.UserID, &m.Email, &m.BalanceCents, &m.LedgerCents); err != nil {
			return r, fmt.Errorf("scan mismatch: %w", err)
		}
		r.Mismatches = append(r.Mismatches, m)
	}
	if err := rows.Err(); err != nil {
		return r, err
	}
	if r.Orders, err = s.checkOrders(ctx); err != nil {
		return r, err
	}
	reversals, err := s.checkReversals(ctx)
	if err != nil {
		return r, err
	}
	r.Orders = append(r.Orders, reversals...)
	r.References, err = s.checkReferences(ctx)
	return r, err
}

// checkOrders compares every order's credited amount with its ledger rows
// (reference the order number, or "NUMBER:TXID" per Bitcoin transaction).
func (s *Store) checkOrders(ctx context.Context) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT o.number, o.status, o.credited, COALESCE(SUM(l.amount_cents), 0)
		FROM orders o LEFT JOIN ledger l ON l.kind = 'topup' AND l.user_id = o.user_id
			AND (l.reference = o.number OR l.reference LIKE o.number || ':%')
		GROUP BY o.id
		HAVING o.credited <> COALESCE(SUM(l.amount_cents), 0)
			OR (o.credited > 0 AND o.status NOT IN ('paid', 'refunded', 'disputed'))
		ORDER BY o.id`)
	if err != nil {
		return nil, fmt.Errorf("check orders: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var number, status string
		var credited, ledger int64
		if err := rows.Scan(&number, &status, &credited, &ledger); err != nil {
			return nil, fmt.Errorf("check orders: %w", err)
		}
		out = append(out, fmt.Sprintf("order %s (%s) credited %d, ledger %d", number, status, credited, ledger))
	}
	return out, rows.Err()
}

// readEveryTable reads every row of every table of the store's schema on
// PostgreSQL, which verifies each page it reads (and its checksum, when
// the cluster has them): "ok", or the first table that could not be read.
func (s *Store) readEveryTable(ctx context.Context) ([]string, error) {
	tables, err := collect(ctx, s.r, func(r scanner) (string, error) {
		var t string
		return t, r.Scan(&t)
	}, `SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename`)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	for _, t := range tables {
		var n int64
		q := `SELECT COUNT(*) FROM (SELECT * FROM "` + strings.ReplaceAll(t, `"`, `""`) + `") AS t`
		if err := s.r.QueryRowContext(ctx, q).Scan(&n); err != nil {
			return []string{fmt.Sprintf("table %s: %v", t, err)}, nil
		}
	}
	return []string{"ok"}, nil
}

func (s *Store) pragmaLines(ctx context.Context, q string) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", q, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("%s: %w", q, err)
		}
		line := ""
		for i, v := range vals {
			if i > 0 {
				line += " "
			}
			line += fmt.Sprint(v)
		}
		out = append(out, line)
	}
	return out, rows.Err()
}
