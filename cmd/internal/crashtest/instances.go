package crashtest

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/wantsms/wantsms/cmd/internal/service"
	"github.com/wantsms/wantsms/cmd/internal/sshterm"
	"github.com/wantsms/wantsms/provider/smsactivate/fake"
	"github.com/wantsms/wantsms/store"
)

// TakeOverReport is what KillLeader saw.
type TakeOverReport struct {
	Reservation int64
	State       store.ReservationState
	Refunds     int           // refund rows of the reservation in the ledger
	Ended       time.Duration // from the SIGKILL to the reservation's end
}

// takeOverLifetime is how long the number lives: long enough that it is
// still open when its seller dies, short for the test.
const takeOverLifetime = 8 * time.Second

// KillLeader runs two instances of the real server on one PostgreSQL
// database (databaseURL, empty) and one upstream that outlives them. A
// number is reserved on the first, which watches the open numbers, and
// the first is killed with SIGKILL; the second must take the numbers'
// lease over, find the number, end it at its end and refund it exactly
// once: one refund row, the balance whole again, the books checked sound.
func KillLeader(t *testing.T, command func(args ...string) *exec.Cmd, databaseURL string) TakeOverReport {
	t.Helper()
	up := fake.New(fake.Options{Balance: "1000000.00"})
	t.Cleanup(up.Close)
	up.SetPrice("tg", "16", "0.50", 1000)
	up.SetScript(fake.Script{Never: true})
	st, err := service.OpenStore(t.TempDir(), databaseURL, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const balance = 10_000
	p := newPerson(t, st, "leader@crash.example", balance)

	a, b := instance(t, command, up, databaseURL, "a"), instance(t, command, up, databaseURL, "b")
	a.start(t)
	if err := a.waitReady(readyTimeout); err != nil {
		t.Fatalf("a: %v\n%s", err, a.logTail())
	}
	waitLease(t, a, "numbers") // a leads: b starts after
	b.start(t)
	if err := b.waitReady(readyTimeout); err != nil {
		t.Fatalf("b: %v\n%s", err, b.logTail())
	}
	var r scripted
	o := sshterm.Options{Addr: a.sshAddr, User: "script", Signers: []ssh.Signer{p.key}}
	if !runJSON(context.Background(), o, "reserve telegram --country gb --json", &r) || r.ID == 0 {
		t.Fatalf("reserve on a failed\n%s", a.logTail())
	}
	a.kill(t)
	killed := time.Now()

	ctx := context.Background()
	deadline := killed.Add(takeOverLifetime + readyTimeout)
	var got store.Reservation
	for {
		if got, err = st.Reservation(ctx, r.ID); err != nil {
			t.Fatal(err)
		}
		if !got.State.Open() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("reservation %d still %s after a was killed: nobody watches it\n%s", r.ID, got.State, b.logTail())
		}
		time.Sleep(50 * time.Millisecond)
	}
	rep := TakeOverReport{Reservation: r.ID, State: got.State, Ended: time.Since(killed)}
	waitLease(t, b, "numbers")
	if err := b.stop(readyTimeout); err != nil {
		t.Errorf("b: %v\n%s", err, b.logTail())
	}
	rows, err := st.Ledger(ctx, p.id, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range rows {
		if e.Kind == store.LedgerRefund && e.Reference == store.ResRef(r.ID) {
			rep.Refunds++
		}
	}
	u, err := st.UserByID(ctx, p.id)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Refunded || rep.Refunds != 1 || u.BalanceCents != balance {
		t.Fatalf("reservation %d ended %s (refunded %v) with %d refund rows, balance %d: want refunded once, %d",
			r.ID, got.State, got.Refunded, rep.Refunds, u.BalanceCents, balance)
	}
	if c, err := st.Check(ctx); err != nil || !c.OK() {
		t.Fatalf("check: %+v %v", c, err)
	}
	for _, s := range []*server{a, b} {
		if races := s.raceReports(); races != "" {
			t.Fatalf("data race in a server:\n%s", races)
		}
	}
	return rep
}

// instance is one of several servers on one database, with its own data
// directory (host key, maildir) and ports.
func instance(t *testing.T, command func(args ...string) *exec.Cmd, up *fake.Server, databaseURL, name string) *server {
	t.Helper()
	s := &server{command: command, logPath: filepath.Join(t.TempDir(), name+".log"),
		sshAddr: freeAddr(t), httpAddr: freeAddr(t)}
	s.args = append([]string{"serve"}, flagArgs(
		"data", t.TempDir(), "database-url", databaseURL, "ssh-addr", s.sshAddr, "http-addr", s.httpAddr,
		"log-level", "info", "providers", "smsactivate", "smsactivate-url", up.URL, "smsactivate-key", up.APIKey(),
		"smsactivate-webhook-secret", hookSecret, "lifetime", takeOverLifetime.String(), "cancel-guard", "0s",
		"max-conns-per-ip", "0")...)
	t.Cleanup(s.abandon)
	return s
}

// waitLease waits until the server says it took the lease named lease.
func waitLease(t *testing.T, s *server, lease string) {
	t.Helper()
	deadline := time.Now().Add(readyTimeout)
	for !logHas(s.logPath, "lease taken", "lease="+lease) {
		if time.Now().After(deadline) {
			t.Fatalf("the server never took the %s lease\n%s", lease, s.logTail())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// logHas reports whether a line of the log at path holds every part.
func logHas(path string, parts ...string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(sc.Text(), p)
		}
		if all {
			return true
		}
	}
	return false
}
