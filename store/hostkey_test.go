package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
)

// Instances on one database that ask for the host key at the same moment,
// each bringing a key of its own, all get the same one: the first stored,
// kept for good.
func TestHostKeyStoredOnceAcrossInstances(t *testing.T) {
	path := testDatabase(t)
	const n = 4
	stores := make([]*Store, n)
	for i := range stores {
		s, err := Open(path, Options{})
		must(t, err)
		t.Cleanup(func() { s.Close() })
		stores[i] = s
	}
	got := make([]string, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, s := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			var k []byte
			k, errs[i] = s.HostKey(context.Background(), []byte(fmt.Sprintf("candidate key %d", i)))
			got[i] = string(k)
		}()
	}
	close(start)
	wg.Wait()
	for i := range got {
		must(t, errs[i])
		if got[i] != got[0] {
			t.Fatalf("instances got different host keys: %q", got)
		}
	}
	candidates := []string{"candidate key 0", "candidate key 1", "candidate key 2", "candidate key 3"}
	if !slices.Contains(candidates, got[0]) {
		t.Fatalf("stored key %q is none of the candidates", got[0])
	}
	// An instance starting later reads it, whatever it brings.
	later, err := stores[0].HostKey(context.Background(), []byte("a later candidate"))
	must(t, err)
	if string(later) != got[0] {
		t.Fatalf("a later instance got %q, want %q", later, got[0])
	}
	if _, err := stores[0].HostKey(context.Background(), nil); err == nil {
		t.Fatal("an empty candidate was accepted")
	}
	// It is the operator's secret: no person's export holds it.
	u := newUser(t, stores[0], "someone@example.com")
	e, err := stores[0].Export(context.Background(), u.ID)
	must(t, err)
	if strings.Contains(fmt.Sprintf("%+v", e), got[0]) {
		t.Fatal("an export holds the host key")
	}
}
