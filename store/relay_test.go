package store

import (
	"context"
	"testing"
	"time"
)

// A command-line tool's change (another Store on the same file, with
// Relay) reaches the serving process's subscribers.
func TestRelayCarriesEventsBetweenProcesses(t *testing.T) {
	server, _ := openTest(t)
	u := newUser(t, server, "r@example.com")
	sub := server.Hub().Subscribe(u.ID)
	defer sub.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go server.RunRelay(ctx, 10*time.Millisecond)
	time.Sleep(30 * time.Millisecond) // let the relay note where it starts

	tool, err := Open(server.Path(), Options{Relay: true})
	if err != nil {
		t.Fatal(err)
	}
	defer tool.Close()
	if _, err := tool.Move(ctx, Movement{UserID: u.ID, AmountCents: 7, Kind: LedgerGrant, Reference: "cli"}); err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-sub.C:
		if e.UserID != u.ID || e.Kind != EventBalance {
			t.Fatalf("relayed %+v", e)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the tool's event never reached the server's subscriber")
	}
}
