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
	t.Setenv("BLOCKONOMICS_API_BASE", env.Fake.URL) // the chain the server looks payments up on
	t.Setenv("BLOCKONOMICS_API_KEY", testenv.BTCKey)
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

// The dev tools never panic, whatever they are given, and fail (exit
// non-zero) when the server refuses the delivery. A forged callback (of a
// payment nobody made) is delivered but credits nothing; a refund event
// takes the credits back and leaves the account in debt.
func TestDevToolsFailLoudlyAndNeverPanic(t *testing.T) {
	env := testenv.StartWithPayments(t)
	t.Setenv("BLOCKONOMICS_CALLBACK_SECRET", testenv.BTCCallbackSecret)
	t.Setenv("BLOCKONOMICS_API_BASE", env.Fake.URL)
	t.Setenv("BLOCKONOMICS_API_KEY", testenv.BTCKey)
	u, _ := env.NewUser("devfail@example.com")
	ctx := context.Background()
	card, err := env.Svc.Payments().OpenCard(ctx, u, 1000)
	if err != nil {
		t.Fatal(err)
	}
	btc, err := env.Svc.Payments().OpenBitcoin(ctx, u, 500)
	if err != nil {
		t.Fatal(err)
	}
	devRun := func(secret string, args ...string) (int, string) {
		t.Helper()
		t.Setenv("STRIPE_WEBHOOK_SECRET", secret)
		var out, errOut bytes.Buffer
		code := run(ctx, append(args, "--data", env.Dir, "--url", env.URL("")), &out, &errOut)
		return code, out.String() + errOut.String()
	}
	good := testenv.StripeWebhookSecret
	for _, c := range []struct {
		args []string
		want int
	}{
		{[]string{"dev", "btc-callback", btc.Number, "--txid", "abc"}, exitUsage},
		{[]string{"dev", "btc-callback", btc.Number, "--txid", strings.Repeat("z", 64)}, exitUsage},
		{[]string{"dev", "btc-callback", btc.Number, "--sats", "-5"}, exitUsage},
		{[]string{"dev", "btc-callback", btc.Number, "--status", "9"}, exitUsage},
		{[]string{"dev", "btc-callback", card.Number}, exitFail},
		{[]string{"dev", "stripe-event", card.Number, "--amount", "-1"}, exitUsage},
		{[]string{"dev", "stripe-event", card.Number, "--type", "refunded"}, exitFail}, // not paid yet
		{[]string{"dev", "stripe-event", "nosuchorder"}, exitFail},
	} {
		if code, out := devRun(good, c.args...); code != c.want {
			t.Errorf("%v: exit %d, want %d\n%s", c.args, code, c.want, out)
		}
	}
	if code, out := devRun(good, "dev", "btc-callback", btc.Number, "--forge"); code != exitOK ||
		!strings.Contains(out, "HTTP 200") {
		t.Fatalf("forged callback: exit %d\n%s", code, out)
	}
	if o, _ := env.Store().OrderByNumber(ctx, btc.Number); o.Status != store.OrderCreated || o.Credited != 0 {
		t.Fatalf("a forged callback moved the order: %+v", o)
	}
	for _, args := range [][]string{
		{"dev", "stripe-event", card.Number},
		{"dev", "stripe-event", card.Number, "--type", "refunded"},
	} {
		if code, out := devRun(good, args...); code != exitOK {
			t.Fatalf("%v: exit %d\n%s", args, code, out)
		}
	}
	if got, _ := env.Store().UserByID(ctx, u.ID); got.BalanceCents != 0 || got.DebtCents != 0 {
		t.Fatalf("paid then refunded: balance %d, debt %d", got.BalanceCents, got.DebtCents)
	}
	if o, _ := env.Store().OrderByNumber(ctx, card.Number); o.Status != store.OrderRefunded || o.Reversed != 1000 {
		t.Fatalf("refunded order %+v", o)
	}
}

// A delivery the server refuses (here an event signed with another secret,
// answered 400) makes the dev tool fail.
func TestDevRefusedDeliveryFails(t *testing.T) {
	env := testenv.StartWithPayments(t)
	t.Setenv("STRIPE_WEBHOOK_SECRET", "whsec_not_the_servers")
	u, _ := env.NewUser("devrefused@example.com")
	card, err := env.Svc.Payments().OpenCard(context.Background(), u, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"dev", "stripe-event", card.Number, "--data", env.Dir, "--url", env.URL("")},
		&out, &errOut)
	if code != exitFail || !strings.Contains(out.String()+errOut.String(), "HTTP 400") {
		t.Fatalf("refused delivery: exit %d\n%s%s", code, out.String(), errOut.String())
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
	t.Setenv("WANTSMS_PUBLIC_URL", "")              // unset: the server then derives it from its HTTP address
	t.Setenv("BLOCKONOMICS_API_BASE", env.Fake.URL) // the chain the server looks payments up on
	t.Setenv("BLOCKONOMICS_API_KEY", testenv.BTCKey)
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

// A server without SMTP writes its mails to the maildir under its data
// directory; `wantsms dev mail` lists them and prints one, whose code
// verifies the address as a person would type it.
func TestDevMailReadsTheMaildir(t *testing.T) {
	env := testenv.Start(t)
	u, _ := env.NewUnverifiedUser("trying@example.com")
	env.WaitMail(t, "trying@example.com", "verify")
	env.WaitMail(t, "trying@example.com", "SSH key") // NewUnverifiedUser links one
	ctx := context.Background()
	dev := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := run(ctx, append(append([]string{"dev", "mail"}, args...), "--data", env.Dir), &out, &errOut)
		return code, out.String(), errOut.String()
	}
	code, out, _ := dev()
	if code != exitOK || !strings.Contains(out, "  1  ") || !strings.Contains(out, "trying@example.com") ||
		!strings.Contains(out, "Verify your email address for WantSMS") {
		t.Fatalf("list: %d %q", code, out)
	}
	if code, out, _ = dev("last"); code != exitOK || !strings.Contains(out, "Subject: A new SSH key") {
		t.Fatalf("print the last: %d %q", code, out)
	}
	code, out, _ = dev("1")
	typed := testenv.CodeIn(out)
	if code != exitOK || typed == "" || testenv.LinkIn(out, "verify") == "" || !strings.Contains(out, "To:      trying@example.com") {
		t.Fatalf("print: %d %q", code, out)
	}
	if got, err := env.Store().VerifyEmail(ctx, u.ID, typed, store.Origin{}); err != nil || !got.Verified() {
		t.Fatalf("the printed code: %v", err)
	}
	if code, out, _ = dev("1", "--raw"); code != exitOK || !strings.Contains(out, "Content-Type: multipart/alternative") {
		t.Fatalf("raw: %d %q", code, out)
	}
	if code, _, errOut := dev("7"); code != exitUsage || !strings.Contains(errOut, "from 1 to") {
		t.Fatalf("no such mail: %d %q", code, errOut)
	}
	var out2, errOut bytes.Buffer
	if code := run(ctx, []string{"dev", "mail", "--data", t.TempDir()}, &out2, &errOut); code == exitOK ||
		!strings.Contains(errOut.String(), "no maildir") {
		t.Fatalf("an empty data directory: %d %q", code, errOut.String())
	}
}
