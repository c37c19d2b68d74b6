package store

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/wantsms/wantsms/store/storetest"
)

// person is an account with something in every table that holds personal
// data, each string carrying the person's tag, for tests that look for
// what leaks or lingers.
type person struct {
	User   User
	Key    KeySpec
	Origin Origin
	Tag    string
	Ended  Reservation // ended, with an SMS
	Open   Reservation // still open
	Card   Order       // paid by card
	BTC    Order       // paid in Bitcoin, one transaction
	Thread int64       // a support thread with a staff reply
	// and a webhook, with a delivery queued for each event above.
}

// newPerson makes one; tag is lower-case letters and digits, ip an IPv4
// address unique to the test.
func newPerson(t *testing.T, s *Store, tag, ip string) person {
	t.Helper()
	ctx := context.Background()
	p := person{Tag: tag, Origin: Origin{RemoteAddr: ip + ":50022", ClientVersion: "SSH-2.0-Client_" + tag}}
	email := tag + "@example.com"
	var err error
	if p.User, err = s.CreateUser(ctx, email, "correct horse", p.Origin); err != nil {
		t.Fatal(err)
	}
	p.Key = SpecOf(newPub(t))
	must(t, err2(s.LinkKey(ctx, p.User.ID, p.Key, "laptop-"+tag, p.Origin)))
	// A webhook: every event below queues a delivery naming the person.
	must(t, err2(s.AddWebhook(ctx, p.User.ID, NewWebhook{URL: "https://8.8.8.8/hook-" + tag}, p.Origin)))
	if _, err := s.SignIn(ctx, email, "wrong guess", p.Origin); err == nil {
		t.Fatal("a wrong password signed in")
	}
	must(t, err2(s.SignIn(ctx, email, "correct horse", p.Origin)))
	// What is kept after an erasure (ledger, orders, payments) carries no
	// tag: only numbers of our own and processor references.
	id := p.User.ID
	must(t, err2(s.Move(ctx, Movement{UserID: id, AmountCents: 100, Kind: LedgerGrant,
		Reference: fmt.Sprintf("grant-%d", id), Note: "welcome"})))
	session := fmt.Sprintf("cs_test_%d", id)
	p.Card = stripeOrder(t, s, p.User, 1000, session)
	must(t, err2(s.ApplyStripe(ctx, paid(fmt.Sprintf("evt_%d", id), session))))
	addr := fmt.Sprintf("bc1qaddress%d", id)
	p.BTC = btcOrder(t, s, p.User, 500, addr)
	must(t, err2(s.ApplyBTC(ctx, BTCUpdate{Addr: addr, Txid: strings.Repeat("ab", 32),
		Status: BTCStatusConfirmed, ValueSats: 10_000}, rule50k)))

	n := newRes(p.User, 50)
	n.ProviderRef = "ref-" + tag
	if p.Ended, err = s.CreateReservation(ctx, n); err != nil {
		t.Fatal(err)
	}
	must(t, err2(s.AddMessage(ctx, p.Ended.ID, NewMessage{ProviderID: "sms-" + tag, Sender: "Sender-" + tag,
		Body: "Your code is 4242, " + tag, Code: "4242"})))
	must(t, err2(s.EndReservation(ctx, p.Ended.ID, ResFinished)))
	if p.Open, err = s.CreateReservation(ctx, newRes(p.User, 30)); err != nil {
		t.Fatal(err)
	}

	m, err := s.WriteSupport(ctx, p.User.ID, "help me please, "+tag)
	if err != nil {
		t.Fatal(err)
	}
	p.Thread = m.ThreadID
	staffReply(t, s, m.ThreadID, "answered for "+tag)
	// An API request that bought a number with an idempotency key: the
	// key and the answer kept for a retry name the person.
	k := claim(t, s, IdemRequest{UserID: id, Key: "retry-" + tag, Request: "POST /v1/reservations",
		BodyHash: []byte(tag)})
	must(t, s.AnswerIdem(ctx, id, k.ID, IdemAnswer{Status: 201, Body: []byte(`{"phone":"` + tag + `"}`)}))
	return p
}

// Email is the person's address.
func (p person) Email() string { return p.Tag + "@example.com" }

// traces are strings that identify the person: none may remain anywhere
// once the account is erased.
func (p person) traces() []string {
	host := p.Origin.host()
	body := strings.Fields(p.Key.PublicKey)[1]
	return []string{p.Email(), p.Tag, p.Key.Fingerprint, body, host}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// err2 keeps the error of a two-result call.
func err2[T any](_ T, err error) error { return err }

// dumpTables is every value of every row of every table, as text, one row
// per line prefixed by its table, except the tables in skip.
func dumpTables(t *testing.T, s *Store, skip ...string) string {
	t.Helper()
	dump, err := storetest.Dump(s.r.DB, skip...)
	if err != nil {
		t.Fatal(err)
	}
	return dump
}

// fileBytes is the database file and its write-ahead log, as they are on
// disk; "" on PostgreSQL, whose files are the server's (an old version of
// a row stays in its table until VACUUM): the tests that search the files
// check SQLite only.
func fileBytes(t *testing.T, s *Store) string {
	t.Helper()
	if onPostgres() {
		return ""
	}
	var b strings.Builder
	for _, p := range []string{s.Path(), s.Path() + "-wal"} {
		raw, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		b.Write(raw)
	}
	return b.String()
}
