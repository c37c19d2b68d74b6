package logctx

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
)

func TestContextAttributesReachEveryLine(t *testing.T) {
	var b bytes.Buffer
	log := slog.New(Handler(slog.NewTextHandler(&b, &slog.HandlerOptions{Level: slog.LevelInfo})))
	ctx := With(context.Background(), "session", "abc123", "remote", "192.0.2.1:5000")
	ctx = With(ctx, "admin", 7)
	log.With("part", "engine").InfoContext(ctx, "reserved", "reservation", 42)
	log.Info("no context")
	log.DebugContext(ctx, "below the level")
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("lines %q", lines)
	}
	for _, want := range []string{"part=engine", "reservation=42", "session=abc123", "remote=192.0.2.1:5000", "admin=7"} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("%q lacks %s", lines[0], want)
		}
	}
	if strings.Contains(lines[1], "session=") {
		t.Errorf("a line without context got attributes: %q", lines[1])
	}
	if Handler(log.Handler()) != log.Handler() {
		t.Error("wrapped twice")
	}
}
