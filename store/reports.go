package store

import (
	"context"
	"fmt"
	"time"
)

// A report may skip the early-cancel guard: the market takes "this number
// is banned" straight after the purchase (SMS-Activate's status 8), and a
// number the service refused is of no use for another two minutes. An
// account may do that MaxEarlyReports times in EarlyReportWindow; past
// it, reports wait for the guard like cancels, so reporting cannot churn
// through numbers faster than the guard allows. Five an hour covers a
// person whose service refuses a whole range of numbers.
const (
	MaxEarlyReports   = 5
	EarlyReportWindow = time.Hour
)

// ReportReason is why a person reports a number as bad: what the service
// they wanted the code for said about it, or that no SMS came.
type ReportReason string

// The reasons a number can be reported for.
const (
	ReportBanned ReportReason = "banned" // the service says the number is banned
	ReportUsed   ReportReason = "used"   // the service says the number is already used
	ReportNoSMS  ReportReason = "no-sms" // the service sent a code that never came
)

// ReportReasons lists the reasons in the order they are offered.
func ReportReasons() []ReportReason { return []ReportReason{ReportBanned, ReportUsed, ReportNoSMS} }

// Valid reports whether r is one of ReportReasons.
func (r ReportReason) Valid() bool {
	return r == ReportBanned || r == ReportUsed || r == ReportNoSMS
}

// ErrReporting refuses a second report of a number while the first is
// being passed on.
var ErrReporting error = userErr("this number is being reported already")

// EarlyReportsError refuses a report within the early-cancel guard once
// the account reported Max numbers that early within Window: reports may
// skip the guard, but not to churn through numbers.
type EarlyReportsError struct {
	Max    int
	Window time.Duration
	Wait   time.Duration // until the guard of this number has passed
}

func (e *EarlyReportsError) Error() string {
	return fmt.Sprintf("you reported %d numbers right after reserving them within the last %s: report this one "+
		"once it has been reserved for the usual cancel delay (in %s)", e.Max, roundMinutes(e.Window),
		roundSeconds(e.Wait))
}

// UserFacing says what was refused and when it works.
func (e *EarlyReportsError) UserFacing() string { return e.Error() }

func roundMinutes(d time.Duration) string {
	if d%time.Hour == 0 {
		if d == time.Hour {
			return "hour"
		}
		return fmt.Sprintf("%d hours", d/time.Hour)
	}
	return fmt.Sprintf("%d min", (d+time.Minute-1)/time.Minute)
}

func roundSeconds(d time.Duration) string {
	s := int((d + time.Second - 1) / time.Second)
	if s < 60 {
		return fmt.Sprintf("%d s", s)
	}
	return fmt.Sprintf("%d min %d s", s/60, s%60)
}

// ReportClaim asks to report one of a person's numbers.
type ReportClaim struct {
	UserID, ID int64
	Reason     ReportReason
	// MaxEarly is how many numbers an account may report within
	// EarlyWindow before their early-cancel guard has passed; a report
	// beyond it waits for the guard (0: no early report at all).
	MaxEarly    int
	EarlyWindow time.Duration
}

// ClaimReport marks one of a person's numbers as being reported, in one
// transaction, before the provider is told: of two reports racing, one
// claims it and the other is ErrReporting, so the provider is told once.
// Only a number still waiting for its first SMS can be reported
// (ErrSMSArrived, ErrNotOpen otherwise; another account's is
// ErrNoReservation). Within its early-cancel guard the claim counts the
// account's earlier early reports (*EarlyReportsError beyond MaxEarly).
// The caller ends the number (EndReservation) once the provider took the
// report, or releases the claim (ReleaseReport) if it could not be told.
func (s *Store) ClaimReport(ctx context.Context, c ReportClaim) (Reservation, error) {
	if !c.Reason.Valid() {
		return Reservation{}, fmt.Errorf("report %d: reason %q: %w", c.ID, c.Reason, ErrBadReportReason)
	}
	var r Reservation
	err := s.write(ctx, func(tx *Tx) error {
		var err error
		r, err = scanReservation(tx.QueryRowContext(ctx, `SELECT `+reservationColumns+` FROM reservations
			WHERE id = ? AND user_id = ?`, c.ID, c.UserID))
		if err != nil {
			return err
		}
		if err := r.CheckCancel(); err != nil {
			return err
		}
		if r.Report != "" {
			return ErrReporting
		}
		if wait := r.CancelAfter.Unix() - tx.now; wait > 0 {
			if err := tx.checkEarlyReports(ctx, c, time.Duration(wait)*time.Second); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE reservations SET report = ? WHERE id = ?`, c.Reason, r.ID); err != nil {
			return fmt.Errorf("claim report of %d: %w", r.ID, err)
		}
		r.Report = c.Reason
		return nil
	})
	return r, err
}

// checkEarlyReports refuses a report within the guard once the account made
// MaxEarly such reports within EarlyWindow. A report is early when the
// number ended before its guard passed; claims in flight count too.
func (tx *Tx) checkEarlyReports(ctx context.Context, c ReportClaim, wait time.Duration) error {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM reservations WHERE user_id = ? AND report IS NOT NULL
		AND created_at >= ? AND (ended_at IS NULL OR ended_at < cancel_after)`,
		c.UserID, tx.now-int64(c.EarlyWindow/time.Second)).Scan(&n)
	if err != nil {
		return fmt.Errorf("count early reports: %w", err)
	}
	if n >= c.MaxEarly {
		return &EarlyReportsError{Max: c.MaxEarly, Window: c.EarlyWindow, Wait: wait}
	}
	return nil
}

// ErrBadReportReason refuses a reason that is not one of ReportReasons.
var ErrBadReportReason error = userErr("the reason must be banned, used or no-sms")

// ReleaseReport takes back the claim of a report the provider could not
// be told about, so the person may try again; a number that ended
// meanwhile keeps it (it counts as reported).
func (s *Store) ReleaseReport(ctx context.Context, id int64) error {
	return s.write(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE reservations SET report = NULL WHERE id = ? AND ended_at IS NULL`,
			id); err != nil {
			return fmt.Errorf("release report of %d: %w", id, err)
		}
		return nil
	})
}
