package history_test

import (
	"context"
	"testing"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/tuitest"
)

func TestViewHistory(t *testing.T) {
	e := tuitest.New(t)
	eng := e.WithNumbers()
	ctx := context.Background()
	m, u := e.SignedIn("carol@example.com", 1000)

	got, _ := eng.Reserve(ctx, u.ID, "google", "de", 300)
	e.Store.EndReservation(ctx, got.ID, store.ResExpired)
	got, _ = eng.Reserve(ctx, u.ID, "telegram", "us", 300)
	e.Store.AddMessage(ctx, got.ID, store.NewMessage{ProviderID: "1", Sender: "Telegram",
		Body: "Telegram code: 51873. Do not give this code to anyone!", Code: "51873"})
	e.Store.EndReservation(ctx, got.ID, store.ResFinished)
	m = tuitest.Type(m, "3")
	tuitest.Golden(t, "history_80x24", m.View(), 80, 24)
	m = tuitest.Type(m, "/")
	m = tuitest.Type(m, "germ")
	m = tuitest.Press(m, "enter")
	tuitest.Golden(t, "history_filtered_80x24", m.View(), 80, 24)
}
