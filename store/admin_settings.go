package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Markup bounds of an override, in basis points of the cost: never below
// cost (the --markup flag's own rule), at most ten times the cost, which
// catches a misplaced digit.
const (
	MinMarkupBP = 10_000
	MaxMarkupBP = 100_000
)

// Errors of price and provider settings.
var (
	ErrBadMarkup     error = userErr("a markup is from ×1.00 (at cost) to ×10.00")
	ErrBadPriceScope error = userErr("an override names a service, a country, or both, by code")
	ErrNoOverride    error = userErr("there is no override for this")
	ErrBadProvider   error = userErr("no such provider")
)

// PriceOverride replaces the configured markup for new reservations of a
// service (Country ""), a country (Service "") or one pair.
type PriceOverride struct {
	Service, Country string
	MarkupBP         int64
	UpdatedBy        int64
	UpdatedAt        time.Time
}

// Scope names what an override applies to, e.g. "telegram in any
// country" is "telegram/*".
func (o PriceOverride) Scope() string { return scopeName(o.Service, o.Country) }

func scopeName(service, country string) string {
	if service == "" {
		service = "*"
	}
	if country == "" {
		country = "*"
	}
	return service + "/" + country
}

// PriceOverrides lists every override. It needs no actor: the engine
// applies them, and they hold nothing about anyone.
func (s *Store) PriceOverrides(ctx context.Context) ([]PriceOverride, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT service, country, markup_bp, updated_by, updated_at
		FROM price_overrides ORDER BY service, country`)
	if err != nil {
		return nil, fmt.Errorf("price overrides: %w", err)
	}
	defer rows.Close()
	var out []PriceOverride
	for rows.Next() {
		var o PriceOverride
		var at int64
		if err := rows.Scan(&o.Service, &o.Country, &o.MarkupBP, &o.UpdatedBy, &at); err != nil {
			return nil, fmt.Errorf("scan price override: %w", err)
		}
		o.UpdatedAt = time.Unix(at, 0)
		out = append(out, o)
	}
	return out, rows.Err()
}

// SetPriceOverride sets (or replaces) the markup of a service, a country
// or a pair. Reservations already made keep the price they were sold at.
// The caller checks that the codes exist (the store does not know the
// catalogue); the store checks their form.
func (s *Store) SetPriceOverride(ctx context.Context, a Actor, service, country string, bp int64) (PriceOverride, error) {
	if (service == "" && country == "") || !isCode(service) || !isCode(country) {
		return PriceOverride{}, ErrBadPriceScope
	}
	if bp < MinMarkupBP || bp > MaxMarkupBP {
		return PriceOverride{}, ErrBadMarkup
	}
	o := PriceOverride{Service: service, Country: country, MarkupBP: bp, UpdatedBy: a.UserID}
	err := s.write(ctx, func(tx *Tx) error {
		if err := tx.requireAdmin(ctx, a); err != nil {
			return err
		}
		var was sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT markup_bp FROM price_overrides WHERE service = ? AND country = ?`,
			service, country).Scan(&was)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("read price override: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO price_overrides (service, country, markup_bp, updated_by, updated_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (service, country) DO UPDATE SET markup_bp = excluded.markup_bp,
			updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
			service, country, bp, a.UserID, tx.now); err != nil {
			return fmt.Errorf("set price override: %w", err)
		}
		detail := "markup " + FormatMarkup(bp)
		if was.Valid {
			detail += " (was " + FormatMarkup(was.Int64) + ")"
		}
		o.UpdatedAt = time.Unix(tx.now, 0)
		tx.notify(Event{Kind: EventSettings})
		_, err = tx.audit(ctx, a, AuditEntry{Action: AuditPriceSet, Target: o.Scope(), Detail: detail})
		return err
	})
	return o, err
}

// ClearPriceOverride removes an override: the configured markup (or a
// broader override) applies again to new reservations.
func (s *Store) ClearPriceOverride(ctx context.Context, a Actor, service, country string) error {
	return s.write(ctx, func(tx *Tx) error {
		if err := tx.requireAdmin(ctx, a); err != nil {
			return err
		}
		var was int64
		err := tx.QueryRowContext(ctx, `DELETE FROM price_overrides WHERE service = ? AND country = ?
			RETURNING markup_bp`, service, country).Scan(&was)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNoOverride
		}
		if err != nil {
			return fmt.Errorf("clear price override: %w", err)
		}
		tx.notify(Event{Kind: EventSettings})
		_, err = tx.audit(ctx, a, AuditEntry{Action: AuditPriceClear, Target: scopeName(service, country),
			Detail: "was " + FormatMarkup(was)})
		return err
	})
}

// FormatMarkup shows basis points as a multiplier: 15000 → "×1.50".
func FormatMarkup(bp int64) string { return fmt.Sprintf("×%d.%02d", bp/10_000, bp%10_000/100) }

// ProviderSetting is a provider switched on or off by an admin.
type ProviderSetting struct {
	Name      string
	Enabled   bool
	UpdatedBy int64
	UpdatedAt time.Time
}

// ProviderSettings lists the providers an admin switched, for the engine
// to apply over the configuration at start.
func (s *Store) ProviderSettings(ctx context.Context) ([]ProviderSetting, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT name, enabled, updated_by, updated_at FROM provider_settings ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("provider settings: %w", err)
	}
	defer rows.Close()
	var out []ProviderSetting
	for rows.Next() {
		var p ProviderSetting
		var at int64
		if err := rows.Scan(&p.Name, &p.Enabled, &p.UpdatedBy, &at); err != nil {
			return nil, fmt.Errorf("scan provider setting: %w", err)
		}
		p.UpdatedAt = time.Unix(at, 0)
		out = append(out, p)
	}
	return out, rows.Err()
}

// SetProviderEnabled records that an admin switched a provider on or off;
// the caller applies it to the running router once this returns, and
// every engine (of every instance) on the EventSettings that follows.
func (s *Store) SetProviderEnabled(ctx context.Context, a Actor, name string, on bool) error {
	if name == "" || !isCode(name) {
		return ErrBadProvider
	}
	action := AuditProviderOff
	if on {
		action = AuditProviderOn
	}
	return s.write(ctx, func(tx *Tx) error {
		if err := tx.requireAdmin(ctx, a); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO provider_settings (name, enabled, updated_by, updated_at)
			VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET enabled = excluded.enabled,
			updated_by = excluded.updated_by, updated_at = excluded.updated_at`, name, on, a.UserID, tx.now); err != nil {
			return fmt.Errorf("set provider %s: %w", name, err)
		}
		tx.notify(Event{Kind: EventSettings})
		_, err := tx.audit(ctx, a, AuditEntry{Action: action, Target: name})
		return err
	})
}
