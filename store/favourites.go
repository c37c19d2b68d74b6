package store

import (
	"context"
	"fmt"
	"time"
)

// Favourite is a service+country pair a person starred: Numbers shows it
// first, with its live price and stock.
type Favourite struct {
	Service   string // canonical service code
	Country   string // canonical country code
	CreatedAt time.Time
}

// MaxFavourites bounds a person's favourites: they are shown first in
// Numbers, above the services, and more than a screenful would push the
// services out of sight.
const MaxFavourites = 12

// ErrTooManyFavourites refuses a favourite beyond MaxFavourites.
var ErrTooManyFavourites error = userErr(fmt.Sprintf("you have %d favourites, the most there can be: "+
	"remove one first", MaxFavourites))

// maxCodeLen bounds a service or country code: the canonical ones are a
// few letters; the callers check them against the tables.
const maxCodeLen = 32

// Favourites lists a person's favourites, oldest first.
func (s *Store) Favourites(ctx context.Context, userID int64) ([]Favourite, error) {
	return favourites(ctx, s.r, userID)
}

func favourites(ctx context.Context, q querier, userID int64) ([]Favourite, error) {
	out, err := collect(ctx, q, func(r scanner) (Favourite, error) {
		var f Favourite
		var at int64
		err := r.Scan(&f.Service, &f.Country, &at)
		f.CreatedAt = time.Unix(at, 0)
		return f, err
	}, `SELECT service, country, created_at FROM favourites WHERE user_id = ? ORDER BY created_at, service, country`,
		userID)
	if err != nil {
		return nil, fmt.Errorf("list favourites: %w", err)
	}
	return out, nil
}

// AddFavourite stars a pair for a person; added is false when it was
// already a favourite. Beyond MaxFavourites it is ErrTooManyFavourites.
// The codes are the caller's to check against the service and country
// tables.
func (s *Store) AddFavourite(ctx context.Context, userID int64, service, country string) (added bool, err error) {
	if service == "" || country == "" || len(service) > maxCodeLen || len(country) > maxCodeLen {
		return false, fmt.Errorf("favourite %q/%q: bad codes", service, country)
	}
	err = s.write(ctx, func(tx *Tx) error {
		var n int
		var have bool
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(*) FILTER (WHERE service = ? AND country = ?)
			FROM favourites WHERE user_id = ?`, service, country, userID).Scan(&n, &have); err != nil {
			return fmt.Errorf("count favourites: %w", err)
		}
		if have {
			return nil
		}
		if n >= MaxFavourites {
			return ErrTooManyFavourites
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO favourites (user_id, service, country, created_at)
			SELECT id, ?, ?, ? FROM users WHERE id = ? AND deleted_at IS NULL`, service, country, tx.now,
			userID); err != nil {
			return fmt.Errorf("add favourite: %w", err)
		}
		added = true
		tx.notify(Event{UserID: userID, Kind: EventFavourites})
		return nil
	})
	return added, err
}

// RemoveFavourite unstars a pair; removed is false when it was not a
// favourite.
func (s *Store) RemoveFavourite(ctx context.Context, userID int64, service, country string) (removed bool, err error) {
	err = s.write(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM favourites WHERE user_id = ? AND service = ? AND country = ?`,
			userID, service, country)
		if err != nil {
			return fmt.Errorf("remove favourite: %w", err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			removed = true
			tx.notify(Event{UserID: userID, Kind: EventFavourites})
		}
		return nil
	})
	return removed, err
}

func init() {
	// Favourites are the person's: they go with the account.
	deleteHooks = append(deleteHooks, func(ctx context.Context, tx *Tx, userID int64) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM favourites WHERE user_id = ?`, userID); err != nil {
			return fmt.Errorf("delete favourites: %w", err)
		}
		return nil
	})
}
