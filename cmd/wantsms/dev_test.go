package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/wantsms/wantsms/cmd/internal/testenv"
	"github.com/wantsms/wantsms/store"
)

// `wantsms dev stripe-event` and `dev btc-callback` complete orders of a
// running server the way the processors would, through its webhooks.
func TestDevEventsPayOrders(t *testing.T) {
	env := testenv.StartWithPayments(t)
	t.Setenv("STRIPE_WEBHOOK_SECRET", testenv.StripeWebhookSecret)
	t.Setenv("BLOCKONOMICS_CALLBACK_SECRET", testenv.BTCCallbackSecret)
	u, _ := env.NewUser("dev@example.com")
	ctx := context.Background()
	card, err := env.Svc.Payments().OpenCard(ctx, u, 1000)
	if err != nil {
		t.Fatal(err)
	}
	btc, err := env.Svc.Payments().OpenBitcoin(ctx, u, 500)
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"dev", "stripe-event", card.Number, "--unpaid"},
		{"dev", "stripe-event", card.Number, "--type", "async-succeeded"},
		{"dev", "btc-callback", btc.Number, "--status", "0"},
		{"dev", "btc-callback", btc.Number},
		{"dev", "btc-callback", btc.Number},
	} {
		var out, errOut bytes.Buffer
		args = append(args, "--data", env.Dir, "--url", env.URL(""))
		if code := run(ctx, args, &out, &errOut); code != exitOK || !strings.Contains(out.String(), "HTTP 200") {
			t.Fatalf("%v: exit %d, %s%s", args, code, out.String(), errOut.String())
		}
	}
	for _, n := range []string{card.Number, btc.Number} {
		if o, _ := env.Store().OrderByNumber(ctx, n); o.Status != store.OrderPaid {
			t.Errorf("order %s is %s", n, o.Status)
		}
	}
	if u, _ := env.Store().UserByID(ctx, u.ID); u.BalanceCents != 1500 {
		t.Fatalf("balance %d, want 1500", u.BalanceCents)
	}
}

// Secrets from the environment never show in -h.
func TestSecretsNotInUsage(t *testing.T) {
	t.Setenv("STRIPE_SECRET_KEY", "sk_test_topsecret")
	t.Setenv("BLOCKONOMICS_CALLBACK_SECRET", "cb-topsecret")
	var out, errOut bytes.Buffer
	run(context.Background(), []string{"serve", "-h"}, &out, &errOut)
	if usage := out.String() + errOut.String(); strings.Contains(usage, "topsecret") || !strings.Contains(usage, "STRIPE_SECRET_KEY") {
		t.Fatalf("usage:\n%s", usage)
	}
}

// The dev commands find a server started on another data directory and
// port through the same environment variables the server read, with no
// flag repeated: the README's local walk-through works as written for
// any WANTSMS_DATA and WANTSMS_HTTP_ADDR.
func TestDevEventsFindTheServerFromItsEnvironment(t *testing.T) {
	env := testenv.StartWithPayments(t)
	t.Setenv("STRIPE_WEBHOOK_SECRET", testenv.StripeWebhookSecret)
	t.Setenv("BLOCKONOMICS_CALLBACK_SECRET", testenv.BTCCallbackSecret)
	t.Setenv("WANTSMS_DATA", env.Dir)
	t.Setenv("WANTSMS_HTTP_ADDR", env.Svc.HTTPAddr())
	t.Setenv("WANTSMS_PUBLIC_URL", "") // unset: the server then derives it from its HTTP address
	u, _ := env.NewUser("dev-env@example.com")
	ctx := context.Background()
	card, err := env.Svc.Payments().OpenCard(ctx, u, 700)
	if err != nil {
		t.Fatal(err)
	}
	btc, err := env.Svc.Payments().OpenBitcoin(ctx, u, 300)
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"dev", "stripe-event", card.Number}, {"dev", "btc-callback", btc.Number}} {
		if code, out, errOut := wantsms(t, args...); code != exitOK || !strings.Contains(out, "HTTP 200") {
			t.Fatalf("%v: exit %d, %s%s", args, code, out, errOut)
		}
	}
	if u, _ := env.Store().UserByID(ctx, u.ID); u.BalanceCents != 1000 {
		t.Fatalf("balance %d, want 1000", u.BalanceCents)
	}
}
