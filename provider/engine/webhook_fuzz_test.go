package engine

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/provider/smsactivate"
	"github.com/wantsms/wantsms/store"
)

// fuzzSecret signs pushes in FuzzServeWebhook.
var fuzzSecret = []byte("fuzz hook secret")

// FuzzServeWebhook posts arbitrary bodies to the provider webhook, signed
// with the provider's secret when sign is set, else under the given
// header: nothing panics, an unsigned push is always refused, a refusal
// stores nothing, and an accepted push adds at most one message to the
// open reservation it names, which then counts as received.
func FuzzServeWebhook(f *testing.F) {
	st, err := store.Open(filepath.Join(f.TempDir(), "hook.db"), store.Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	up, err := smsactivate.New(smsactivate.Config{BaseURL: "http://127.0.0.1:1", APIKey: "k"})
	if err != nil {
		f.Fatal(err)
	}
	router := provider.NewRouter(provider.RouterConfig{Markup: 15_000})
	if err := router.Add(up, provider.Route{Enabled: true}); err != nil {
		f.Fatal(err)
	}
	// Not started: the handler needs no timers, and no poll may reach
	// the unreachable upstream.
	eng := New(st, router, Config{Secrets: map[string][]byte{smsactivate.Name: fuzzSecret}})
	u, err := st.CreateUser(ctx, "hook@example.com", "correct horse", store.Origin{})
	if err == nil {
		_, err = st.Move(ctx, store.Movement{UserID: u.ID, AmountCents: 1000, Kind: store.LedgerGrant, Reference: "g"})
	}
	if err != nil {
		f.Fatal(err)
	}
	res, err := st.CreateReservation(ctx, store.NewReservation{UserID: u.ID, Service: "telegram", Country: "gb",
		Phone: "+447700900123", Provider: smsactivate.Name, ProviderRef: "12608621", CostMicros: 500_000,
		PriceCents: 75, Lifetime: time.Hour})
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(`{"activationId":12608621,"service":"tg","text":"Telegram code: 73519","code":"73519","country":16,"receivedAt":"2026-11-25 12:00:00"}`), true, "")
	f.Add([]byte(`{"activationId":"12608621","text":"\u001b]52;c;aGk=\u0007 code 4455"}`), true, "")
	f.Add([]byte(`{"activationId":999,"text":"for nobody 1234"}`), true, "")
	f.Add([]byte(`{"activationId":12608621,"text":"forged 1111"}`), false, "sha256=00")
	f.Add([]byte(`{"activationId":12608621,"receivedAt":"tomorrow"}`), true, "")
	f.Fuzz(func(t *testing.T, body []byte, sign bool, header string) {
		if sign {
			header = provider.SignWebhook(fuzzSecret, body)
		}
		before := hookState(t, st, u.ID, res.ID)
		req := httptest.NewRequest(http.MethodPost, "/webhooks/provider/smsactivate", bytes.NewReader(body))
		req.Header.Set(provider.WebhookSignatureHeader, header)
		mux := http.NewServeMux()
		mux.HandleFunc(WebhookPattern, eng.ServeWebhook)
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		after := hookState(t, st, u.ID, res.ID)
		switch {
		case !sign && rec.Code != http.StatusUnauthorized && rec.Code != http.StatusRequestEntityTooLarge:
			t.Fatalf("unsigned push answered %d", rec.Code)
		case rec.Code >= 400 && after != before:
			t.Fatalf("refused push (%d) changed %+v into %+v", rec.Code, before, after)
		case after.messages > before.messages+1 || after.messages > 0 && after.state != store.ResReceived:
			t.Fatalf("push answered %d took %+v to %+v", rec.Code, before, after)
		case after.balance != 1000-75:
			t.Fatalf("a push moved money: balance %d", after.balance)
		}
	})
}

type hookSnapshot struct {
	messages int
	state    store.ReservationState
	balance  int64
}

func hookState(t *testing.T, st *store.Store, userID, resID int64) hookSnapshot {
	t.Helper()
	r, err := st.UserReservation(ctx, userID, resID)
	if err != nil {
		t.Fatal(err)
	}
	u, err := st.UserByID(ctx, userID)
	if err != nil {
		t.Fatal(err)
	}
	return hookSnapshot{messages: len(r.Messages), state: r.State, balance: u.BalanceCents}
}
