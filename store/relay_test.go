package store

import (
	"context"
	"fmt"
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

	tool, err := Open(server.Path(), Options{Relay: true})
	if err != nil {
		t.Fatal(err)
	}
	defer tool.Close()
	// The relay carries what comes after its start, which this test cannot
	// see: the tool keeps making changes until one is carried.
	deadline := time.After(10 * time.Second)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for n := 1; ; n++ {
		if _, err := tool.Move(ctx, Movement{UserID: u.ID, AmountCents: 7, Kind: LedgerGrant,
			Reference: fmt.Sprintf("cli:%d", n)}); err != nil {
			t.Fatal(err)
		}
		select {
		case e := <-sub.C:
			if e.UserID != u.ID || e.Kind != EventBalance {
				t.Fatalf("relayed %+v", e)
			}
			return
		case <-tick.C:
		case <-deadline:
			t.Fatal("the tool's events never reached the server's subscriber")
		}
	}
}
