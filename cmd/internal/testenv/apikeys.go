package testenv

import (
	"context"
	"testing"

	"github.com/wantsms/wantsms/store"
)

// NewAPIKey makes an API key for an account straight in the store, as
// `api-key create NAME` does, and returns the key itself.
func (e *Env) NewAPIKey(t testing.TB, userID int64, name string) string {
	t.Helper()
	_, key, err := e.Store().CreateAPIKey(context.Background(), userID, name, store.Origin{RemoteAddr: "test"})
	if err != nil {
		t.Fatalf("create API key %q: %v", name, err)
	}
	return key
}
