package store

import (
	"errors"
	"testing"
)

func TestCheckAffordable(t *testing.T) {
	if err := CheckAffordable(45, 45); err != nil {
		t.Fatalf("an exact balance: %v", err)
	}
	err := CheckAffordable(3, 20)
	msg, ok := UserMessage(err)
	if !errors.Is(err, ErrInsufficientFunds) || !ok ||
		msg != "not enough credits: this number costs $0.20 and your balance is $0.03" {
		t.Fatalf("short by 17 cents: %v (%q)", err, msg)
	}
}

func TestActionRulesFollowTheState(t *testing.T) {
	cases := []struct {
		state                 ReservationState
		cancel, finish, again error
	}{
		{ResActive, nil, ErrNoSMSYet, ErrFirstSMSYet},
		{ResReceived, ErrSMSArrived, nil, nil},
		{ResFinished, ErrNotOpen, ErrNotOpen, ErrNotOpen},
		{ResExpired, ErrNotOpen, ErrNotOpen, ErrNotOpen},
	}
	for _, c := range cases {
		r := Reservation{State: c.state}
		if r.CheckCancel() != c.cancel || r.CheckFinish() != c.finish || r.CheckAgain() != c.again {
			t.Errorf("%s: cancel %v, finish %v, again %v", c.state, r.CheckCancel(), r.CheckFinish(), r.CheckAgain())
		}
	}
}
