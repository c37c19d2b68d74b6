package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"sync"
	"testing"
	"time"
)

func idemReq(u User, key, body string) IdemRequest {
	sum := sha256.Sum256([]byte(body))
	return IdemRequest{UserID: u.ID, Key: key, Request: "POST /v1/reservations", BodyHash: sum[:]}
}

func claim(t *testing.T, s *Store, req IdemRequest) IdemKey {
	t.Helper()
	k, err := s.ClaimIdem(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Of many requests claiming one key of one account at the same moment,
// exactly one gets it; the others see it pending. The same key of another
// account is that account's own.
func TestIdempotencyKeyClaimedOnceConcurrently(t *testing.T) {
	s, _ := openTest(t)
	alice, bob := newUser(t, s, "alice@example.com"), newUser(t, s, "bob@example.com")
	const n = 8
	keys := make([]IdemKey, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k, err := s.ClaimIdem(context.Background(), idemReq(alice, "retry-1", `{"service":"telegram"}`))
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		}()
	}
	wg.Wait()
	won := 0
	for _, k := range keys {
		switch {
		case k.State == IdemNew:
			won++
		case k.State != IdemPending:
			t.Errorf("claim: %+v, want new or pending", k)
		}
		if k.ID != keys[0].ID {
			t.Errorf("claims of one key have ids %d and %d", k.ID, keys[0].ID)
		}
	}
	if won != 1 {
		t.Fatalf("%d requests got the key, want 1", won)
	}
	if k := claim(t, s, idemReq(bob, "retry-1", `{"service":"telegram"}`)); k.State != IdemNew || k.ID == keys[0].ID {
		t.Fatalf("bob's claim of alice's key: %+v", k)
	}
	if got := count(t, s, `SELECT COUNT(*) FROM idempotency_keys`); got != 2 {
		t.Fatalf("%d rows, want one per account", got)
	}
}

// A purchase made with a claimed key (a number, a rental, an extension, a
// top-up order) is linked to it in its own transaction; a second purchase
// with the same claim is refused there, debiting nothing. The answer stored is what a later claim finds; a
// released key is free again.
func TestIdempotencyKeyLinkedOnceInTheDebit(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "buyer@example.com")
	credit(t, s, u, 1000)
	k := claim(t, s, idemReq(u, "k1", "{}"))
	claimed := WithIdemClaim(ctx, k.ID)
	r, err := s.CreateReservation(claimed, newRes(u, 40))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateReservation(claimed, newRes(u, 40)); !errors.Is(err, ErrIdemLost) {
		t.Fatalf("a second purchase with one claim: %v, want ErrIdemLost", err)
	}
	if b := resBalance(t, s, u); b != 960 {
		t.Fatalf("balance %d, want one debit of 40", b)
	}
	if got := claim(t, s, idemReq(u, "k1", "{}")); got.State != IdemPending || got.Resource != ResRef(r.ID) {
		t.Fatalf("claimed again while answering: %+v, want pending with %s", got, ResRef(r.ID))
	}
	want := IdemAnswer{Status: 201, Body: []byte(`{"id":1}` + "\n"), Headers: map[string]string{"Location": "/x"}}
	if err := s.AnswerIdem(ctx, u.ID, k.ID, want); err != nil {
		t.Fatal(err)
	}
	got := claim(t, s, idemReq(u, "k1", "{}"))
	if got.State != IdemDone || got.Answer.Status != 201 || !bytes.Equal(got.Answer.Body, want.Body) ||
		got.Answer.Headers["Location"] != "/x" || got.Request != "POST /v1/reservations" {
		t.Fatalf("claimed after the answer: %+v", got)
	}

	o := claim(t, s, idemReq(u, "k2", "{}"))
	order, err := s.CreateOrder(WithIdemClaim(ctx, o.ID), NewOrder{UserID: u.ID, Processor: ProcessorStripe,
		AmountCents: 500})
	if err != nil {
		t.Fatal(err)
	}
	if got := claim(t, s, idemReq(u, "k2", "{}")); got.Resource != OrderRef(order.Number) {
		t.Fatalf("order's key: %+v, want %s", got, OrderRef(order.Number))
	}
	rk := claim(t, s, idemReq(u, "k3", "{}"))
	rental, err := s.CreateRental(WithIdemClaim(ctx, rk.ID), newRental(u, 100, 1))
	if err != nil {
		t.Fatal(err)
	}
	xk := claim(t, s, idemReq(u, "k4", "{}"))
	extend := NewExtension{UserID: u.ID, RentalID: rental.ID, Days: 1, Period: day, PriceCents: 50}
	_, ext, err := s.ExtendRental(WithIdemClaim(ctx, xk.ID), extend)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.ExtendRental(WithIdemClaim(ctx, xk.ID), extend); !errors.Is(err, ErrIdemLost) {
		t.Fatalf("a second extension with one claim: %v, want ErrIdemLost", err)
	}
	for key, want := range map[string]string{"k3": RentRef(rental.ID), "k4": RentExtRef(ext.ID)} {
		if got := claim(t, s, idemReq(u, key, "{}")); got.Resource != want {
			t.Errorf("key %s names %q, want %q", key, got.Resource, want)
		}
	}
	if b := resBalance(t, s, u); b != 1000-40-100-50 {
		t.Fatalf("balance %d, want one debit each for the number, the rental and the extension", b)
	}
	if err := s.ReleaseIdem(ctx, u.ID, o.ID); err != nil {
		t.Fatal(err)
	}
	if got := claim(t, s, idemReq(u, "k2", "{}")); got.State != IdemNew || got.ID == o.ID {
		t.Fatalf("after release: %+v, want a new claim", got)
	}
	checkLedger(t, s)
}

// A claim that created nothing holds its key for the lease only; one that
// bought and never answered is stalled, naming what it bought; after 24
// hours any key is free, and the purge removes it.
func TestIdempotencyKeyLeaseAndRetention(t *testing.T) {
	s, clock := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "slow@example.com")
	credit(t, s, u, 1000)
	first := claim(t, s, idemReq(u, "k", "{}"))
	clock.Add(IdempotencyLease - time.Second)
	if k := claim(t, s, idemReq(u, "k", "{}")); k.State != IdemPending {
		t.Fatalf("within the lease: %+v", k)
	}
	clock.Add(2 * time.Second)
	retry := claim(t, s, idemReq(u, "k", "{}"))
	if retry.State != IdemNew || retry.ID == first.ID {
		t.Fatalf("after the lease: %+v, want a new claim", retry)
	}
	if _, err := s.CreateReservation(WithIdemClaim(ctx, first.ID), newRes(u, 40)); !errors.Is(err, ErrIdemLost) {
		t.Fatalf("the first request buys after its key was taken over: %v", err)
	}
	r, err := s.CreateReservation(WithIdemClaim(ctx, retry.ID), newRes(u, 40))
	if err != nil {
		t.Fatal(err)
	}
	clock.Add(IdempotencyLease)
	if k := claim(t, s, idemReq(u, "k", "{}")); k.State != IdemStalled || k.Resource != ResRef(r.ID) {
		t.Fatalf("bought, never answered: %+v", k)
	}
	if b := resBalance(t, s, u); b != 960 {
		t.Fatalf("balance %d, want one debit", b)
	}
	clock.Add(IdempotencyRetention)
	if k := claim(t, s, idemReq(u, "k", `{"other":1}`)); k.State != IdemNew {
		t.Fatalf("after 24 hours: %+v, want the key free", k)
	}
	claim(t, s, idemReq(u, "k-old", "{}"))
	clock.Add(IdempotencyRetention - time.Second)
	claim(t, s, idemReq(u, "k-young", "{}"))
	clock.Add(time.Second)
	if got := purge(t, s)[PurgeIdempotencyKeys]; got != 2 {
		t.Fatalf("purged %d keys, want the 2 a day old", got)
	}
	if got := count(t, s, `SELECT COUNT(*) FROM idempotency_keys WHERE key = 'k-young'`); got != 1 {
		t.Fatal("the purge took a younger key")
	}
}
