package store

import "sync/atomic"

// Counters are monotonic counts of events since this process opened the
// store, for /metrics. They hold no personal data: only how many.
type Counters struct {
	SigninsPassword int64 // dashboard sign-ins with email and password
	SigninsKey      int64 // dashboard sessions resolved from a linked key
	SigninsCommand  int64 // commands run with a linked key
	SigninFailures  int64 // wrong email or password
	SigninThrottled int64 // attempts refused by the throttle
	Reservations    int64 // numbers handed out (and debited)
	SMSReceived     int64 // messages stored (a repeat of one is not counted)
	Refunds         int64 // reservations refunded (expired, cancelled, failed, by support)
	Rentals         int64 // numbers rented (and debited)
}

// counters are the live values behind Counters.
type counters struct {
	signinPassword, signinKey, signinCommand atomic.Int64
	signinFailed, signinThrottled            atomic.Int64
	reservations, sms, refunds, rentals      atomic.Int64
}

func (c *counters) refund() { c.refunds.Add(1) }

// Counters reads the event counters.
func (s *Store) Counters() Counters {
	c := &s.counters
	return Counters{
		SigninsPassword: c.signinPassword.Load(), SigninsKey: c.signinKey.Load(),
		SigninsCommand: c.signinCommand.Load(), SigninFailures: c.signinFailed.Load(),
		SigninThrottled: c.signinThrottled.Load(), Reservations: c.reservations.Load(),
		SMSReceived: c.sms.Load(), Refunds: c.refunds.Load(), Rentals: c.rentals.Load(),
	}
}
