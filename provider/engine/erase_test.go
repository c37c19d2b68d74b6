package engine

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/provider/sim"
	"github.com/wantsms/wantsms/provider/smsactivate"
	"github.com/wantsms/wantsms/provider/smsactivate/fake"
	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/store/testdb"
)

// setStatus is one setStatus call an upstream received, and whether the
// reservation holding the activation was still in the database then.
type setStatus struct {
	ref, status string
	rowThere    bool
}

// eraseRig is an engine whose only provider is an SMS-Activate upstream
// reached through a recording proxy.
type eraseRig struct {
	st     *store.Store
	clock  *sim.FakeClock
	up     *fake.Server
	client *smsactivate.Client
	eng    *Engine

	mu   sync.Mutex
	refs []string // every activation id named in a request, in order
	sets []setStatus
}

func newEraseRig(t *testing.T) *eraseRig {
	t.Helper()
	clock := sim.NewFakeClock(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
	st, err := store.Open(testdb.Path(t), store.Options{Clock: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r := &eraseRig{st: st, clock: clock, up: fake.New(fake.Options{})}
	t.Cleanup(r.up.Close)
	r.up.SetPrice("tg", "16", "0.50", 10)
	r.up.SetScript(fake.Script{Never: true})
	target, _ := url.Parse(r.up.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	tap := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, q *http.Request) {
		ref := q.URL.Query().Get("id")
		if q.URL.Query().Get("action") == "setStatus" {
			_, err := st.OpenReservationByRef(q.Context(), "smsactivate", ref)
			r.mu.Lock()
			r.sets = append(r.sets, setStatus{ref, q.URL.Query().Get("status"), err == nil})
			r.mu.Unlock()
		}
		r.mu.Lock()
		r.refs = append(r.refs, ref)
		r.mu.Unlock()
		proxy.ServeHTTP(w, q)
	}))
	t.Cleanup(tap.Close)
	if r.client, err = smsactivate.New(smsactivate.Config{BaseURL: tap.URL, APIKey: r.up.APIKey(), Now: clock.Now}); err != nil {
		t.Fatal(err)
	}
	router := provider.NewRouter(provider.RouterConfig{Now: clock.Now})
	router.Add(r.client, provider.Route{Enabled: true})
	r.eng = New(st, router, Config{Clock: clock})
	if err := r.eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.eng.Close)
	return r
}

func (r *eraseRig) user(t *testing.T, email string) store.User {
	t.Helper()
	u, err := r.st.CreateUser(ctx, email, "correct horse", store.Origin{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.st.Move(ctx, store.Movement{UserID: u.ID, AmountCents: 1000, Kind: store.LedgerGrant,
		Reference: "grant-" + email}); err != nil {
		t.Fatal(err)
	}
	return u
}

func (r *eraseRig) reserve(t *testing.T, u store.User) store.Reservation {
	t.Helper()
	res, err := r.eng.Reserve(ctx, u.ID, "telegram", "gb", 75)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func (r *eraseRig) setStatuses() []setStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.sets)
}

func (r *eraseRig) requestsNaming(refs ...string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, ref := range r.refs {
		if slices.Contains(refs, ref) {
			n++
		}
	}
	return n
}

// upstream is an activation's state at the upstream.
func (r *eraseRig) upstream(t *testing.T, ref string) string {
	t.Helper()
	state, _, ok := r.up.Status(ref)
	if !ok {
		t.Fatalf("no activation %s upstream", ref)
	}
	return state
}

// afterLifetime lets every job of the reservations made so far fall due
// and run, then stops the engine: what it did is all in the requests.
func (r *eraseRig) afterLifetime(t *testing.T, watch store.Reservation) {
	t.Helper()
	r.clock.Advance(DefaultLifetime + time.Minute)
	eventually(t, "the watched number expires", func() bool {
		got, err := r.st.Reservation(ctx, watch.ID)
		return err == nil && !got.State.Open()
	})
	r.eng.Close() // waits for the jobs in flight
}

// Erasing an account gives each of its open numbers back upstream before
// its rows go, as a cancel does: cancelled while waiting, finished once
// an SMS came (seen by us or not yet); another account's number stays.
// No job touches the erased numbers afterwards.
func TestErasureGivesNumbersBackFirst(t *testing.T) {
	r := newEraseRig(t)
	u, other := r.user(t, "leaving@example.com"), r.user(t, "staying@example.com")
	waiting := r.reserve(t, u)
	r.up.SetScript(fake.Script{CodeAfterPolls: 0, Text: "code {code}"})
	unseen, received := r.reserve(t, u), r.reserve(t, u)
	r.up.SetScript(fake.Script{Never: true})
	kept := r.reserve(t, other)
	// The SMS of both came upstream; only that of received reached us.
	direct, err := smsactivate.New(smsactivate.Config{BaseURL: r.up.URL, APIKey: r.up.APIKey(), Now: r.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range []store.Reservation{unseen, received} {
		if st, err := direct.Check(ctx, res.ProviderRef); err != nil || len(st.Messages) != 1 {
			t.Fatalf("check %+v %v", st, err)
		}
	}
	if _, err := r.st.AddMessage(ctx, received.ID, store.NewMessage{ProviderID: "1", Body: "code 1"}); err != nil {
		t.Fatal(err)
	}

	if err := r.st.DeleteAccount(ctx, u.ID, "correct horse", store.Origin{}); err != nil {
		t.Fatal(err)
	}
	want := []setStatus{
		{waiting.ProviderRef, "8", true},
		{unseen.ProviderRef, "8", true}, {unseen.ProviderRef, "6", true},
		{received.ProviderRef, "6", true},
	}
	got := r.setStatuses() // given back side by side: in order for each number
	slices.SortStableFunc(got, func(a, b setStatus) int { return byNumber(a.ref, b.ref) })
	if !slices.Equal(got, want) {
		t.Fatalf("upstream saw %+v, want %+v", got, want)
	}
	for ref, state := range map[string]string{waiting.ProviderRef: "cancel", unseen.ProviderRef: "finish",
		received.ProviderRef: "finish", kept.ProviderRef: "wait"} {
		if s := r.upstream(t, ref); s != state {
			t.Errorf("activation %s upstream: %s, want %s", ref, s, state)
		}
	}
	if open, _ := r.st.CountOpen(ctx, u.ID); open != 0 {
		t.Fatalf("%d numbers left to the erased account", open)
	}

	before := r.requestsNaming(waiting.ProviderRef, unseen.ProviderRef, received.ProviderRef)
	r.afterLifetime(t, kept)
	if after := r.requestsNaming(waiting.ProviderRef, unseen.ProviderRef, received.ProviderRef); after != before {
		t.Fatalf("%d requests about the erased numbers after the erasure", after-before)
	}
}

// byNumber orders decimal activation ids.
func byNumber(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}

// An upstream that fails does not hold up a person's erasure; the
// numbers it kept are not acted on again by us.
func TestErasureProceedsWhenUpstreamFails(t *testing.T) {
	r := newEraseRig(t)
	u, other := r.user(t, "leaving@example.com"), r.user(t, "staying@example.com")
	res := r.reserve(t, u)
	r.up.SetHTTPStatus(http.StatusBadGateway)
	if err := r.st.DeleteAccount(ctx, u.ID, "correct horse", store.Origin{}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.st.Reservation(ctx, res.ID); !errors.Is(err, store.ErrNoReservation) {
		t.Fatalf("the erased number is still there: %v", err)
	}
	if sets := r.setStatuses(); len(sets) == 0 || sets[0].ref != res.ProviderRef || !sets[0].rowThere {
		t.Fatalf("upstream saw %+v: the number was not offered back first", sets)
	}
	r.up.SetHTTPStatus(0)
	kept := r.reserve(t, other)
	before := r.requestsNaming(res.ProviderRef)
	r.afterLifetime(t, kept)
	if after := r.requestsNaming(res.ProviderRef); after != before {
		t.Fatalf("%d requests about the erased number after the erasure", after-before)
	}
}
