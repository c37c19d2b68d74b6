package tui

import (
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/wantsms/wantsms/provider/sim"
	"github.com/wantsms/wantsms/store"
)

var update = flag.Bool("update", false, "rewrite golden files")

// viewEnv is a session's Common over a real store, rendered without colour
// so golden files hold exactly what a person reads.
// Its clock stands still unless a test advances it.
type viewEnv struct {
	t     *testing.T
	store *store.Store
	c     *Common
	clock *sim.FakeClock
}

func newViewEnv(t *testing.T) *viewEnv {
	t.Helper()
	clock := sim.NewFakeClock(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
	st, err := store.Open(filepath.Join(t.TempDir(), "view.db"), store.Options{Clock: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r := lipgloss.NewRenderer(io.Discard, termenv.WithProfile(termenv.Ascii))
	c := &Common{Ctx: context.Background(), Deps: Deps{Store: st, SSHCommand: "ssh -p 2222 localhost"},
		Session: &Session{ID: "view"},
		Styles:  NewStyles(r), Keys: DefaultKeys()}
	return &viewEnv{t: t, store: st, c: c, clock: clock}
}

// drive delivers a message and runs the commands it returns until the
// model settles; commands that block (waiting for live events) are left.
func drive(m tea.Model, msg tea.Msg) tea.Model {
	queue := []tea.Msg{msg}
	if batch, ok := msg.(tea.BatchMsg); ok {
		queue = nil
		for _, c := range batch {
			queue = append(queue, runCmd(c)...)
		}
	}
	for len(queue) > 0 {
		var cmd tea.Cmd
		m, cmd = m.Update(queue[0])
		queue = append(queue[1:], runCmd(cmd)...)
	}
	return m
}

func runCmd(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	select {
	case msg := <-done:
		if batch, ok := msg.(tea.BatchMsg); ok {
			var out []tea.Msg
			for _, c := range batch {
				out = append(out, runCmd(c)...)
			}
			return out
		}
		if msg == nil {
			return nil
		}
		return []tea.Msg{msg}
	case <-time.After(300 * time.Millisecond):
		return nil // a command that waits for events
	}
}

// golden compares a view with testdata/NAME.golden (go test -update
// rewrites it) and checks it fits the window.
func golden(t *testing.T, name, view string, width, height int) {
	t.Helper()
	lines := strings.Split(view, "\n")
	if len(lines) > height {
		t.Errorf("%s: %d lines, window has %d", name, len(lines), height)
	}
	for i, l := range lines {
		if w := lipgloss.Width(l); w > width {
			t.Errorf("%s: line %d is %d wide, window has %d: %q", name, i+1, w, width, l)
		}
	}
	path := filepath.Join("testdata", name+".golden")
	got := strings.Join(trimRight(lines), "\n") + "\n"
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./tui -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from %s:\n--- got\n%s--- want\n%s", name, path, got, want)
	}
}

func trimRight(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = strings.TrimRight(l, " ")
	}
	return out
}

func TestViewSignIn(t *testing.T) {
	e := newViewEnv(t)
	var m tea.Model = New(e.c, nil)
	m = drive(m, tea.WindowSizeMsg{Width: 80, Height: 24})
	golden(t, "signin_80x24", m.View(), 80, 24)
	m = drive(m, tea.KeyMsg{Type: tea.KeyCtrlN})
	golden(t, "signup_80x24", m.View(), 80, 24)
}

func TestViewAccountPane(t *testing.T) {
	e := newViewEnv(t)
	ctx := context.Background()
	u, err := e.store.CreateUser(ctx, "alice@example.com", "correct horse",
		store.Origin{RemoteAddr: "198.51.100.4:50312", ClientVersion: "SSH-2.0-OpenSSH_9.6"})
	if err != nil {
		t.Fatal(err)
	}
	spec, err := store.ParseAuthorizedKey("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDdZt0AjEg+O2GeBHAt4TNQtTSzRB6vdfwXoa1fLlpbq laptop")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.LinkKey(ctx, u.ID, spec, "", store.Origin{}); err != nil {
		t.Fatal(err)
	}
	e.store.Move(ctx, store.Movement{UserID: u.ID, AmountCents: 1234, Kind: store.LedgerGrant, Reference: "g"})
	u, _ = e.store.UserByID(ctx, u.ID)
	e.c.Session.Key = &spec
	var m tea.Model = New(e.c, &u)
	m = drive(m, m.Init()())
	m = drive(m, tea.WindowSizeMsg{Width: 80, Height: 24})
	m = drive(m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'5'}})
	golden(t, "account_80x24", m.View(), 80, 24)
	m = drive(m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'?'}})
	golden(t, "account_help_80x24", m.View(), 80, 24)
	m = drive(m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'?'}})
	m = drive(m, tea.KeyMsg{Type: tea.KeyRight})
	golden(t, "account_activity_80x24", m.View(), 80, 24)
	m = drive(m, tea.KeyMsg{Type: tea.KeyRight})
	golden(t, "account_data_80x24", m.View(), 80, 24)
	m = drive(m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'D'}})
	golden(t, "account_delete_80x24", m.View(), 80, 24)
}

func TestViewTooSmall(t *testing.T) {
	e := newViewEnv(t)
	var m tea.Model = New(e.c, nil)
	m = drive(m, tea.WindowSizeMsg{Width: 50, Height: 12})
	golden(t, "too_small_50x12", m.View(), 50, 12)
}
