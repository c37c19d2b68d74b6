package store

import (
	"database/sql"
	"errors"
)

// UserFacing is implemented by errors whose message is written for the
// person using WantSMS: views show that message as it is. Every other
// error is logged and shown as a generic failure, so internals never leak.
// Other packages' errors opt in by having the same method.
type UserFacing interface{ UserFacing() string }

// UserMessage returns the person-facing message inside err, if any.
func UserMessage(err error) (string, bool) {
	var u UserFacing
	if errors.As(err, &u) {
		return u.UserFacing(), true
	}
	return "", false
}

// userErr is a comparable, person-facing error (errors.Is works on it).
type userErr string

func (e userErr) Error() string      { return string(e) }
func (e userErr) UserFacing() string { return string(e) }

// noRows turns sql.ErrNoRows into the domain error the caller understands.
func noRows(err, domain error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return domain
	}
	return err
}
