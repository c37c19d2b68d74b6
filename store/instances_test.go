package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// Two instances on one PostgreSQL database write as one: the open-number
// limit is a count then an insert, the refund of a number a check then a
// write, and both hold across instances because every write transaction
// first takes the writer lock (dialect.go). Without it both instances
// count the same open numbers and the limit is overrun.
func TestInstancesOnOneDatabaseKeepLimitsAndMoneyExact(t *testing.T) {
	if !onPostgres() {
		t.Skip("PostgreSQL only: a SQLite file has one writer at a time by itself")
	}
	a, clock := openTest(t)
	b, err := Open(a.Path(), Options{Clock: clock.Now})
	must(t, err)
	defer b.Close()
	ctx := context.Background()
	u := newUser(t, a, "two@example.com")
	credit(t, a, u, 10_000)
	const maxOpen, price, tries = 3, 100, 16

	var wg sync.WaitGroup
	var mu sync.Mutex
	created, refused := 0, 0
	for i := range 2 * tries {
		s := []*Store{a, b}[i%2]
		n := newRes(u, price)
		n.ProviderRef = fmt.Sprintf("two-%d", i)
		n.MaxOpen = maxOpen
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.CreateReservation(ctx, n)
			var limit *OpenLimitError
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				created++
			case errors.As(err, &limit):
				refused++
			default:
				t.Errorf("reserve %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if created != maxOpen || refused != 2*tries-maxOpen {
		t.Fatalf("%d reserved and %d refused across two instances; want %d and %d", created, refused, maxOpen, 2*tries-maxOpen)
	}
	if got := resBalance(t, b, u); got != 10_000-maxOpen*price {
		t.Fatalf("balance %d, want %d", got, 10_000-maxOpen*price)
	}

	// Both instances end the same numbers at once: each is refunded once.
	open, err := a.OpenReservations(ctx, u.ID)
	must(t, err)
	clock.Add(3 * time.Minute) // past the cancel guard
	for _, r := range open {
		for i := range 2 * 4 {
			s := []*Store{a, b}[i%2]
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := s.EndReservation(ctx, r.ID, ResCancelled)
				if err != nil && !errors.Is(err, ErrNotOpen) {
					t.Errorf("cancel %d: %v", r.ID, err)
				}
			}()
		}
	}
	wg.Wait()
	if got := resBalance(t, a, u); got != 10_000 {
		t.Fatalf("balance %d after cancelling every number from both instances, want 10000", got)
	}
	checkLedger(t, a)
}

// The rental limit holds across instances as the reservation limit does:
// two instances renting for one person at once rent no more than it.
func TestInstancesKeepTheRentalLimit(t *testing.T) {
	if !onPostgres() {
		t.Skip("PostgreSQL only: a SQLite file has one writer at a time by itself")
	}
	a, clock := openTest(t)
	b, err := Open(a.Path(), Options{Clock: clock.Now})
	must(t, err)
	defer b.Close()
	u := newUser(t, a, "renter@example.com")
	credit(t, a, u, 10_000)
	const maxOpen, price, tries = 3, 100, 12
	var wg sync.WaitGroup
	var mu sync.Mutex
	created := 0
	for i := range 2 * tries {
		s, n := []*Store{a, b}[i%2], newRental(u, price, 1)
		n.MaxOpen = maxOpen
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.CreateRental(context.Background(), n)
			var limit *RentalLimitError
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				created++
			case !errors.As(err, &limit):
				t.Errorf("rent %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if created != maxOpen {
		t.Fatalf("%d rented across two instances, want %d", created, maxOpen)
	}
	if got := resBalance(t, b, u); got != 10_000-maxOpen*price {
		t.Fatalf("balance %d, want %d", got, 10_000-maxOpen*price)
	}
	checkLedger(t, a)
}

// Two instances draining the mail and webhook queues together claim each
// row exactly once: the claims are serialized by the writer lock, and
// each is a conditional update that takes a row only as it was found.
func TestInstancesClaimEachMailAndDeliveryOnce(t *testing.T) {
	if !onPostgres() {
		t.Skip("PostgreSQL only: one SQLite writer claims one row at a time")
	}
	a, clock := openTest(t)
	b, err := Open(a.Path(), Options{Clock: clock.Now})
	must(t, err)
	defer b.Close()
	ctx := context.Background()
	const people = 12
	for i := range people {
		u := newUser(t, a, fmt.Sprintf("claim%d@example.com", i)) // queues a mail
		addHook(t, a, u, hookURL, "")                             // and another
		_, err := a.TestWebhook(ctx, u.ID, 0)                     // queues a delivery
		must(t, err)
	}
	mails := count(t, a, `SELECT COUNT(*) FROM outbox WHERE status = 'queued'`)
	hooks := count(t, a, `SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'queued'`)

	var mu sync.Mutex
	claims := map[string]int{}
	var wg sync.WaitGroup
	for i := range 8 {
		s := []*Store{a, b}[i%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for mailsLeft, hooksLeft := true, true; mailsLeft || hooksLeft; {
				m, ok, err := s.ClaimMail(ctx, time.Hour)
				d, ok2, err2 := s.ClaimDelivery(ctx, time.Hour)
				if err := errors.Join(err, err2); err != nil {
					t.Error(err)
					return
				}
				mailsLeft, hooksLeft = ok, ok2
				mu.Lock()
				if ok {
					claims[fmt.Sprint("mail ", m.ID)]++
				}
				if ok2 {
					claims[fmt.Sprint("delivery ", d.ID)]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(claims) != mails+hooks {
		t.Fatalf("%d rows claimed, want %d mails and %d deliveries", len(claims), mails, hooks)
	}
	for row, n := range claims {
		if n != 1 {
			t.Errorf("%s claimed %d times", row, n)
		}
	}
}

// Instances started together on an empty database apply each migration
// once: the one that takes the writer lock first applies it, the others
// find it recorded.
func TestInstancesStartedTogetherMigrateOnce(t *testing.T) {
	if !onPostgres() {
		t.Skip("PostgreSQL only: SQLite's migrations run under its single writer")
	}
	name, err := testPG.CreateDatabase("")
	must(t, err)
	t.Cleanup(func() { testPG.DropDatabase(name) })
	var wg sync.WaitGroup
	stores := make([]*Store, 3)
	errs := make([]error, 3)
	for i := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stores[i], errs[i] = Open(testPG.URL(name), Options{})
		}()
	}
	wg.Wait()
	for i, s := range stores {
		must(t, errs[i])
		defer s.Close()
	}
	all, err := loadDialectMigrations(postgresDialect)
	must(t, err)
	var n int
	must(t, stores[0].r.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n))
	if n != len(all) {
		t.Fatalf("%d migration rows, want %d", n, len(all))
	}
}
