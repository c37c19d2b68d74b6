package store

import (
	"database/sql"
	"errors"
)

// noRows turns sql.ErrNoRows into the domain error the caller understands.
func noRows(err, domain error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return domain
	}
	return err
}
