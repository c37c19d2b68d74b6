package engine

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/provider/smsactivate"
	"github.com/wantsms/wantsms/store"
)

// benchNumbers is how many open numbers BenchmarkWebhookIngest pushes
// to, round-robin, as a load test does.
const benchNumbers = 64

// BenchmarkWebhookIngest measures the ingest path of an SMS pushed by a
// provider, from many pushes at once as on a busy server: the signed
// webhook, its lookup, the durable insert (writes share commits) and the
// owner's event (store.BenchmarkOpenReservations is the Inbox's reload
// that follows).
// Besides ns/op it reports the process's CPU per SMS, which is what
// bounds the rate on a small machine.
func BenchmarkWebhookIngest(b *testing.B) {
	ctx := context.Background()
	st, err := store.Open(filepath.Join(b.TempDir(), "hook.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	up, err := smsactivate.New(smsactivate.Config{BaseURL: "http://127.0.0.1:1", APIKey: "k"})
	if err != nil {
		b.Fatal(err)
	}
	router := provider.NewRouter(provider.RouterConfig{Markup: 15_000})
	if err := router.Add(up, provider.Route{Enabled: true}); err != nil {
		b.Fatal(err)
	}
	secret := []byte("bench hook secret")
	eng := New(st, router, Config{Secrets: map[string][]byte{smsactivate.Name: secret}})
	mux := http.NewServeMux()
	mux.HandleFunc(WebhookPattern, eng.ServeWebhook)
	type number struct {
		ref string
		sub *store.Subscription
	}
	numbers := make([]number, benchNumbers)
	for i := range numbers {
		u, err := st.CreateUser(ctx, fmt.Sprintf("hook%d@example.com", i), "correct horse", store.Origin{})
		if err == nil {
			_, err = st.Move(ctx, store.Movement{UserID: u.ID, AmountCents: 1000, Kind: store.LedgerGrant, Reference: fmt.Sprint("g", i)})
		}
		if err != nil {
			b.Fatal(err)
		}
		ref := fmt.Sprint(12_600_000 + i)
		if _, err := st.CreateReservation(ctx, store.NewReservation{UserID: u.ID, Service: "telegram", Country: "gb",
			Phone: fmt.Sprintf("+4477009%05d", i), Provider: smsactivate.Name, ProviderRef: ref, CostMicros: 500_000,
			PriceCents: 75, Lifetime: time.Hour}); err != nil {
			b.Fatal(err)
		}
		sub := st.Hub().Subscribe(u.ID)
		b.Cleanup(sub.Close)
		numbers[i] = number{ref: ref, sub: sub}
	}
	var seq atomic.Int64
	push := func() error {
		n := seq.Add(1)
		num := numbers[n%benchNumbers]
		code := fmt.Sprintf("%04d-%04d", n/10_000%10_000, n%10_000)
		body := []byte(`{"activationId":"` + num.ref + `","service":"tg","text":"Your code is ` + code +
			`","code":"` + code + `","country":16}`)
		req := httptest.NewRequest(http.MethodPost, "/webhooks/provider/smsactivate", bytes.NewReader(body))
		req.Header.Set(provider.WebhookSignatureHeader, provider.SignWebhook(secret, body))
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			return fmt.Errorf("push answered %d: %s", rec.Code, rec.Body)
		}
		return nil
	}
	// Drain the events as sessions do, so the hub never drops them.
	stop := make(chan struct{})
	defer close(stop)
	for _, num := range numbers {
		go func() {
			for {
				select {
				case _, ok := <-num.sub.C:
					if !ok {
						return
					}
				case <-stop:
					return
				}
			}
		}()
	}
	cpu0 := processCPU(b)
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := push(); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64((processCPU(b)-cpu0).Microseconds())/float64(b.N), "cpu-µs/sms")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sms/s")
}

// processCPU is the CPU time this process has used, user and system.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
