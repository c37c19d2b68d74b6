package store

import (
	"context"
	"database/sql/driver"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"modernc.org/sqlite"
)

// onCall runs, if set, on each call of the SQL function test_on_call(x),
// which returns x: a test's way to act in the middle of a statement.
var onCall atomic.Pointer[func()]

func init() {
	sqlite.MustRegisterScalarFunction("test_on_call", 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		if f := onCall.Load(); f != nil {
			(*f)()
		}
		return args[0], nil
	})
}

// queueBehind holds the writer with a write that waits, then queues each
// write in order behind it, so that they all run in one batch once the
// returned release is called. Each write's answer arrives on its channel.
func queueBehind(t *testing.T, s *Store, writes ...writeReq) (release func(), answers []chan error) {
	t.Helper()
	hold, held := make(chan struct{}), make(chan struct{})
	go s.write(context.Background(), func(*Tx) error { close(held); <-hold; return nil })
	<-held
	for i, w := range writes {
		answer := make(chan error, 1)
		answers = append(answers, answer)
		go func() { answer <- s.write(w.ctx, w.fn) }()
		for queued := 0; queued != i+1; {
			s.wmu.Lock()
			queued = len(s.queue)
			s.wmu.Unlock()
		}
	}
	return func() { close(hold) }, answers
}

// creditOne is a write crediting one cent under ref.
func creditOne(ctx context.Context, userID int64, ref string) writeReq {
	return writeReq{ctx: ctx, fn: func(tx *Tx) error {
		_, err := tx.move(ctx, Movement{UserID: userID, AmountCents: 1, Kind: LedgerGrant, Reference: ref})
		return err
	}}
}

// checkAnswers fails unless each write's answer says what the database
// holds: nil exactly for the credits that are in the ledger, and
// ErrNotApplied for those that are not because of the others.
func checkAnswers(t *testing.T, s *Store, refs []string, answers []chan error, wantApplied []bool) {
	t.Helper()
	for i, ref := range refs {
		err := <-answers[i]
		var n int
		if qerr := s.r.QueryRow(`SELECT COUNT(*) FROM ledger WHERE reference = ?`, ref).Scan(&n); qerr != nil {
			t.Fatal(qerr)
		}
		if (err == nil) != (n == 1) {
			t.Errorf("write %s answered %v, but its ledger rows: %d", ref, err, n)
		}
		if (n == 1) != wantApplied[i] {
			t.Errorf("write %s applied: %v, want %v (answer %v)", ref, n == 1, wantApplied[i], err)
		}
	}
	if rep, err := s.Check(context.Background()); err != nil || !rep.OK() {
		t.Fatalf("check %+v %v", rep, err)
	}
}

// A caller that hangs up while its write runs in a shared commit must not
// undo the others' writes (SQLite rolls back a whole transaction whose
// write is interrupted), and every caller is told what really happened.
func TestCancelledCallerInBatch(t *testing.T) {
	sqliteOnly(t, "it calls Go from inside a statement through a SQLite scalar function")
	s, _ := openTest(t)
	u := newUser(t, s, "batch@example.com")
	if _, err := s.w.Exec(`CREATE TABLE scratch (x INTEGER) STRICT`); err != nil {
		t.Fatal(err)
	}
	bg := context.Background()
	ctx, hangUp := context.WithCancel(bg)
	defer hangUp()
	var once sync.Once
	hook := func() { once.Do(hangUp) }
	onCall.Store(&hook)
	defer onCall.Store(nil)
	// The caller credits, then hangs up in the middle of a long write.
	hangsUp := writeReq{ctx: ctx, fn: func(tx *Tx) error {
		if _, err := tx.move(ctx, Movement{UserID: u.ID, AmountCents: 1, Kind: LedgerGrant, Reference: "b"}); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 30000)
			INSERT INTO scratch SELECT MAX(CASE x WHEN 1 THEN test_on_call(x) ELSE x END) FROM c`)
		return err
	}}
	gaveUp, hungUp := context.WithCancel(bg)
	hungUp() // gave up while waiting for its turn: never run
	release, answers := queueBehind(t, s, creditOne(bg, u.ID, "a"), hangsUp, creditOne(gaveUp, u.ID, "c"), creditOne(bg, u.ID, "d"))
	release()
	checkAnswers(t, s, []string{"a", "b", "c", "d"}, answers, []bool{true, true, false, true})
}

// A batch whose transaction is lost half-way stops: the work before went
// with the transaction, the work after is never run (it would run outside
// any transaction), and all are told they were not applied.
func TestLostTransactionStopsBatch(t *testing.T) {
	s, _ := openTest(t)
	u := newUser(t, s, "lost@example.com")
	bg := context.Background()
	loses := writeReq{ctx: bg, fn: func(tx *Tx) error {
		if _, err := tx.move(bg, Movement{UserID: u.ID, AmountCents: 1, Kind: LedgerGrant, Reference: "b"}); err != nil {
			return err
		}
		_, err := tx.ExecContext(bg, `ROLLBACK`) // as SQLite does on some errors
		return err
	}}
	release, answers := queueBehind(t, s, creditOne(bg, u.ID, "a"), loses, creditOne(bg, u.ID, "c"))
	release()
	checkAnswers(t, s, []string{"a", "b", "c"}, answers, []bool{false, false, false})
	for i := range 2 { // the writer serves on
		if _, err := s.Move(bg, Movement{UserID: u.ID, AmountCents: 1, Kind: LedgerGrant, Reference: fmt.Sprint("after", i)}); err != nil {
			t.Fatal(err)
		}
	}
}
