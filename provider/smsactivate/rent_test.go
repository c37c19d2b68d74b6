package smsactivate_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/provider/smsactivate"
	"github.com/wantsms/wantsms/provider/smsactivate/fake"
)

// fakeClock is a settable clock for the fake and the client.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func rentSetup(t *testing.T) (*smsactivate.Client, *fake.Server, *fakeClock) {
	t.Helper()
	clock := &fakeClock{t: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)}
	c, up := setup(t, fake.Options{}, func(cfg *smsactivate.Config) { cfg.Now = clock.Now })
	up.SetNow(clock.Now)
	up.SetRentPrice("tg", "16", 24, "1.20", 5)
	up.SetRentPrice("tg", "16", 7*24, "5.00", 5)
	return c, up, clock
}

// A rental's whole life in the protocol's rent actions: quoted, rented,
// waiting, its SMS (more than a page of them, each once), extended,
// finished; and the rent actions' answers mapped to our errors.
func TestRentLife(t *testing.T) {
	c, up, clock := rentSetup(t)
	q, err := c.RentQuote(ctx, "telegram", "gb", 1)
	if err != nil || q.Cost != 1_200_000 || q.Stock != 5 {
		t.Fatalf("quote: %+v %v", q, err)
	}
	if q, err := c.RentQuote(ctx, "whatsapp", "gb", 1); err != nil || q.Stock != 0 {
		t.Fatalf("quote of a pair not rented: %+v %v", q, err)
	}
	if _, err := c.Rent(ctx, "telegram", "gb", 1, 1_000_000); !errors.Is(err, provider.ErrMaxPrice) {
		t.Fatalf("rent above the cap: %v", err)
	}
	n, err := c.Rent(ctx, "telegram", "gb", 1, 0)
	if err != nil || !strings.HasPrefix(n.Phone, "+44") || n.Cost != 1_200_000 || !n.EndsAt.IsZero() {
		t.Fatalf("rent: %+v %v (an endDate without a zone is not trusted)", n, err)
	}
	if st, err := c.RentCheck(ctx, n.Ref); err != nil || st.State != provider.Waiting || len(st.Messages) != 0 {
		t.Fatalf("check before an SMS: %+v %v", st, err)
	}
	for i := range 23 {
		clock.Add(time.Second)
		up.AddRentSMS(n.Ref, "Telegram", fmt.Sprintf("Telegram code %05d", i))
	}
	st, err := c.RentCheck(ctx, n.Ref)
	if err != nil || st.State != provider.Received || len(st.Messages) != 23 {
		t.Fatalf("check with 23 SMS in pages of 10: %d messages, %v %v", len(st.Messages), st.State, err)
	}
	for i, m := range st.Messages {
		if want := fmt.Sprintf("%05d", i); m.Code != want || m.Sender != "Telegram" {
			t.Fatalf("message %d: %+v, want code %s, oldest first", i, m, want)
		}
	}
	again, _ := c.RentCheck(ctx, n.Ref)
	if again.Messages[5].ID != st.Messages[5].ID {
		t.Fatal("two checks gave one SMS two ids")
	}
	if err := c.CancelRent(ctx, n.Ref); !errors.Is(err, provider.ErrBadState) {
		t.Fatalf("cancel after an SMS (CANT_CANCEL): %v", err)
	}
	x, err := c.ExtendRent(ctx, n.Ref, 7)
	if _, ends, _ := up.Rental(n.Ref); err != nil || !ends.Equal(time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)) {
		t.Fatalf("extend: %+v %v, ends upstream %v", x, err, ends)
	}
	if _, err := c.ExtendRent(ctx, n.Ref, 14); !errors.Is(err, provider.ErrBadService) {
		t.Fatalf("extend for a period not sold (INVALID_TIME): %v", err)
	}
	for range 2 {
		if err := c.FinishRent(ctx, n.Ref); err != nil {
			t.Fatalf("finish (twice is done): %v", err)
		}
	}
	if st, err := c.RentCheck(ctx, n.Ref); err != nil || st.State != provider.Finished {
		t.Fatalf("check after finish: %+v %v", st, err)
	}
	if _, err := c.ExtendRent(ctx, n.Ref, 1); !errors.Is(err, provider.ErrBadState) {
		t.Fatalf("extend a finished rental (RENT_DIE): %v", err)
	}
	if _, err := c.RentCheck(ctx, "99999999"); !errors.Is(err, provider.ErrUnknownActivation) {
		t.Fatalf("check of a rental upstream does not know: %v", err)
	}
}

// A rental is given back with a refund upstream in its first 20 minutes
// and before any SMS; CANT_CANCEL after.
func TestRentCancelWindow(t *testing.T) {
	c, up, clock := rentSetup(t)
	if c.RentCancelWindow() != 20*time.Minute {
		t.Fatalf("cancel window %v", c.RentCancelWindow())
	}
	before := up.Balance()
	n, err := c.Rent(ctx, "telegram", "gb", 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	clock.Add(19 * time.Minute)
	for range 2 {
		if err := c.CancelRent(ctx, n.Ref); err != nil {
			t.Fatalf("cancel within 20 minutes (twice is done): %v", err)
		}
	}
	if up.Balance() != before {
		t.Fatalf("balance %v after the cancel, was %v: not refunded", up.Balance(), before)
	}
	if st, err := c.RentCheck(ctx, n.Ref); err != nil || st.State != provider.Cancelled {
		t.Fatalf("check of a cancelled rental: %+v %v", st, err)
	}
	late, err := c.Rent(ctx, "telegram", "gb", 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	clock.Add(20 * time.Minute)
	if err := c.CancelRent(ctx, late.Ref); !errors.Is(err, provider.ErrBadState) || !strings.Contains(err.Error(), "CANT_CANCEL") {
		t.Fatalf("cancel after 20 minutes: %v", err)
	}
}

// A speaker that writes its dates with their zone has its end trusted; a
// rental past its end reads as finished.
func TestRentZonedEnd(t *testing.T) {
	c, up, clock := rentSetup(t)
	up.SetZonedRentDates(true)
	n, err := c.Rent(ctx, "telegram", "gb", 1, 0)
	if err != nil || !n.EndsAt.Equal(clock.Now().Add(24*time.Hour)) {
		t.Fatalf("rent: %+v %v", n, err)
	}
	up.AddRentSMS(n.Ref, "X", "your code 4321")
	st, err := c.RentCheck(ctx, n.Ref)
	if err != nil || len(st.Messages) != 1 || !st.Messages[0].ReceivedAt.Equal(clock.Now()) || st.Messages[0].Code != "4321" {
		t.Fatalf("check: %+v %v", st, err)
	}
	clock.Add(24 * time.Hour)
	if st, err := c.RentCheck(ctx, n.Ref); err != nil || st.State != provider.Finished {
		t.Fatalf("check past its end: %+v %v", st, err)
	}
}

// Rent answers that are errors, or that we cannot read, never pass for a
// rental; a rental named in an answer we cannot use is given back.
func TestRentErrorAnswers(t *testing.T) {
	c, up, _ := rentSetup(t)
	for _, tc := range []struct {
		body string
		want error
	}{
		{`{"status":"error","message":"NO_NUMBERS"}`, provider.ErrNoNumbers},
		{`{"status":"error","message":"NO_BALANCE"}`, provider.ErrNoBalance},
		{`BAD_KEY`, provider.ErrUnavailable},
		{`{"status":"error","error":"BANNED"}`, provider.ErrUnavailable},
		{`{"status":"success","phone":{"id":"x"}}`, provider.ErrUnavailable},
		{`<html>`, provider.ErrUnavailable},
	} {
		up.Respond("getRentNumber", tc.body, 1)
		if _, err := c.Rent(ctx, "telegram", "gb", 1, 0); !errors.Is(err, tc.want) {
			t.Errorf("answer %s: %v, want %v", tc.body, err, tc.want)
		}
	}
	up.Respond("getRentNumber", `{"status":"success","phone":{"id":777,"endDate":"","number":"999123"}}`, 1)
	up.Respond("setRentStatus", `{"status":"success"}`, 1)
	if _, err := c.Rent(ctx, "telegram", "gb", 1, 0); !errors.Is(err, provider.ErrUnavailable) {
		t.Fatalf("unusable number: %v", err)
	}
	var gaveBack bool
	for _, r := range up.Requests() {
		q := r.URL.Query()
		gaveBack = gaveBack || q.Get("action") == "setRentStatus" && q.Get("id") == "777" && q.Get("status") == "2"
	}
	if !gaveBack {
		t.Fatal("the unusable rental was not given back")
	}
	up.Respond("getRentStatus", `{"status":"error","message":"SOMETHING_NEW"}`, 1)
	if _, err := c.RentCheck(ctx, "12608621"); !errors.Is(err, provider.ErrUnavailable) {
		t.Fatalf("an unknown word: %v", err)
	}
}
