package tui

import (
	"context"
	"encoding/base64"
	"io"
	"sync"
	"time"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/store"
)

// Numbers is what the dashboard asks of the reservation engine
// (provider/engine implements it).
type Numbers interface {
	Offers(ctx context.Context) []provider.RoutedOffer
	Reserve(ctx context.Context, userID int64, service, country string, priceCents int64) (store.Reservation, error)
	Cancel(ctx context.Context, userID, id int64) (store.Reservation, error)
	Finish(ctx context.Context, userID, id int64) (store.Reservation, error)
	Again(ctx context.Context, userID, id int64) error
	Simulated(providerName string) bool
	Lifetime() time.Duration
}

// Terminal reaches the person's terminal outside the rendered frame.
type Terminal interface {
	// Bell rings the terminal's bell.
	Bell()
	// Copy puts text on the person's own clipboard (OSC 52).
	Copy(text string)
}

// LockedWriter serialises writes to a session's output, so that a bell or
// a clipboard sequence never lands inside a frame being written (the
// renderer writes each frame in one call).
type LockedWriter struct {
	mu sync.Mutex
	W  io.Writer
}

func (l *LockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.W.Write(p)
}

// Bell writes BEL.
func (l *LockedWriter) Bell() { _, _ = l.Write([]byte{'\a'}) }

// Copy writes an OSC 52 clipboard sequence ("c": the clipboard selection).
func (l *LockedWriter) Copy(text string) {
	_, _ = l.Write([]byte("\x1b]52;c;" + base64.StdEncoding.EncodeToString([]byte(text)) + "\a"))
}
