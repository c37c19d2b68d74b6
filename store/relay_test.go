package store

import (
	"context"
	"testing"
)

// A command-line tool's change (another Store on the same database, with
// Relay) reaches the serving process's subscribers: through the relay
// table on SQLite, by NOTIFY on PostgreSQL.
func TestRelayCarriesEventsBetweenProcesses(t *testing.T) {
	server, _ := openTest(t)
	u := newUser(t, server, "r@example.com")
	sub := server.Hub().Subscribe(u.ID)
	defer sub.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	run, err := server.StartRelay(ctx, relayTestInterval)
	must(t, err)
	go run()

	tool, err := Open(server.Path(), Options{Relay: true})
	must(t, err)
	defer tool.Close()
	if _, err := tool.Move(ctx, Movement{UserID: u.ID, AmountCents: 7, Kind: LedgerGrant, Reference: "cli"}); err != nil {
		t.Fatal(err)
	}
	if e := <-sub.C; e.UserID != u.ID || e.Kind != EventBalance {
		t.Fatalf("relayed %+v", e)
	}
}
