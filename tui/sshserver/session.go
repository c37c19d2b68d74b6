package sshserver

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/ssh"
	"github.com/muesli/termenv"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/store/logctx"
	"github.com/wantsms/wantsms/tui"
	"github.com/wantsms/wantsms/tui/kit"
	"github.com/wantsms/wantsms/tui/screen"
)

// middleware is the last step of the chain: it resolves who is connecting
// and runs the dashboard or a command.
func (s *Server) middleware(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		if !s.handlers.enter() {
			// The server is shutting down: this session came too late.
			fmt.Fprintln(sess.Stderr(), shutdownGoodbye)
			_ = sess.Exit(1)
			return
		}
		defer s.handlers.leave()
		defer func() {
			// Only this session ends; the person is told, the stack logged.
			if r := recover(); r != nil {
				s.log.Error("panic in session", "session", shortID(sess.Context().SessionID()),
					"remote", sess.RemoteAddr().String(), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				fmt.Fprintln(sess.Stderr(), "WantSMS hit an internal error; please reconnect.")
				_ = sess.Exit(1)
			}
		}()
		s.handle(sess)
		next(sess)
	}
}

// tuiSession describes the connection from what it proved.
func tuiSession(sess ssh.Session) *kit.Session {
	ts := &kit.Session{
		ID: sess.Context().SessionID(),
		Origin: store.Origin{
			RemoteAddr:    sess.RemoteAddr().String(),
			ClientVersion: sess.Context().ClientVersion(),
		},
	}
	// Identity comes from the key the client proved for this connection,
	// never from the user name or anything an auth callback saw.
	if pk := sess.PublicKey(); pk != nil {
		spec := store.SpecOf(pk)
		ts.Key = &spec
	}
	ts.Touch()
	return ts
}

func (s *Server) handle(sess ssh.Session) {
	ctx := sess.Context()
	stopHandshakeTimer(ctx)
	ts := tuiSession(sess)
	log := s.log.With("session", shortID(ts.ID), "remote", ts.Origin.RemoteAddr)
	// The library's window channel holds only the PTY's first size: the
	// window changes go to sessionWindow instead (relayedChannel).
	pty, _, hasPty := sess.Pty()
	if !hasPty {
		_ = sess.Exit(s.runCommand(sess))
		return
	}
	var user *store.User
	if ts.Key != nil {
		u, err := s.deps.Store.SignInWithKey(ctx, ts.Key.Fingerprint, ts.Origin)
		switch {
		case err == nil:
			user = &u
			// Admin powers only where the host enrolled this key for them
			// (asked of the store only for an admin account).
			ts.AdminKey = u.CheckAdmin() == nil &&
				s.deps.Store.CheckActor(ctx, store.Actor{UserID: u.ID, Key: ts.Key.Fingerprint}) == nil
		case !errors.Is(err, store.ErrNoUser):
			log.Error("resolve key", "err", err)
			fmt.Fprintln(sess.Stderr(), "WantSMS cannot open your dashboard right now; please try again in a minute.")
			_ = sess.Exit(1)
			return
		}
	}
	log.Info("session start", "client", ts.Origin.ClientVersion, "user", userID(user))
	start := time.Now()
	reason := s.runDashboard(ctx, sess, pty.Window, ts, user)
	if reason != "" {
		fmt.Fprintf(sess, "\r\n%s\r\n", reason)
	}
	log.Info("session end", "duration", time.Since(start).Round(time.Second).String(), "reason", reason)
	_ = sess.Exit(0)
}

// runCommand runs a session without a PTY through the command handler.
// Like a dashboard, the command is registered so that a shutdown or the
// session's maximum length ends it: its context is cancelled with the
// goodbye as the cause.
func (s *Server) runCommand(sess ssh.Session) int {
	if s.commands == nil {
		fmt.Fprintln(sess.Stderr(), "WantSMS is a terminal dashboard: connect with a terminal, e.g. ssh -t "+
			"-p PORT HOST")
		return 1
	}
	ctx, cancel := context.WithCancelCause(logctx.With(sess.Context(), "session", shortID(sess.Context().SessionID()),
		"remote", sess.RemoteAddr().String()))
	defer cancel(nil)
	live := &liveSession{}
	live.quit = func() { cancel(errors.New(live.goodbye())) }
	if closing := s.sessions.add(live); closing != "" {
		cancel(errors.New(closing)) // the handler tells the person and picks the status
	} else {
		defer s.sessions.remove(live)
		stopMax := time.AfterFunc(s.cfg.MaxSession, func() {
			live.end(fmt.Sprintf("This session reached its maximum length (%s).", s.cfg.MaxSession))
		})
		defer stopMax.Stop()
	}
	return s.commands(ctx, sess, sess.Command())
}

// runDashboard runs the program until it quits or the session ends and
// returns why the server ended it ("" when the person quit).
func (s *Server) runDashboard(ctx context.Context, sess ssh.Session, size ssh.Window,
	ts *kit.Session, user *store.User) string {
	live := &liveSession{}
	scr := screen.New(sess, s.cfg.FPS)
	// What the dashboard's work logs (store, engine, payments) carries
	// the session and its address.
	ctx = logctx.With(ctx, "session", shortID(ts.ID), "remote", ts.Origin.RemoteAddr)
	c := &kit.Common{Ctx: ctx, Log: s.deps.Log, SSHCommand: s.deps.SSHCommand, Session: ts,
		Styles: sessionStyles(sess), Keys: kit.DefaultKeys(), Goodbye: live.setReason, Emit: scr.Emit}
	model := tui.New(c, s.deps, user)
	defer model.Close()
	win := windowOf(sess)
	if win == nil { // not opened through sessionChannel: the size stays
		win = &sessionWindow{}
	}
	// The program's own context ends with this function: a message still
	// being posted to it then gives up instead of waiting for the
	// connection (which may carry other sessions) to close.
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	p := tea.NewProgram(newFramed(model, scr, win),
		tea.WithInput(sess), tea.WithOutput(sess), tea.WithoutRenderer(),
		tea.WithContext(pctx), tea.WithoutSignalHandler())
	// A goroutine per message posted, living until the program takes it:
	// the poster (an event's publisher) never waits for a session.
	c.Post = func(msg tea.Msg) { go p.Send(msg) }
	scr.Start()
	defer scr.Stop()
	live.quit = p.Quit
	if closing := s.sessions.add(live); closing != "" {
		return closing
	}
	defer s.sessions.remove(live)
	defer win.attach(size, func() { c.Post(windowChangedMsg{}) })()
	stopIdle := s.watchInput(ts, live)
	defer stopIdle()
	stopMax := time.AfterFunc(s.cfg.MaxSession, func() {
		live.end(fmt.Sprintf("This session reached its maximum length (%s). Reconnect to continue.", s.cfg.MaxSession))
	})
	defer stopMax.Stop()

	if _, err := p.Run(); err != nil && !errors.Is(err, tea.ErrProgramKilled) && ctx.Err() == nil {
		s.log.Error("dashboard ended with an error", "session", shortID(ts.ID), "remote", ts.Origin.RemoteAddr,
			"err", err)
	}
	return live.goodbye()
}

// watchInput ends the session after InputIdle without a key press. It costs
// one timer per session, re-armed for the remaining time when it fires.
func (s *Server) watchInput(ts *kit.Session, live *liveSession) (stop func()) {
	var t *time.Timer
	var check func()
	idle := s.cfg.InputIdle
	check = func() {
		left := idle - time.Since(ts.LastInput())
		if left <= 0 {
			live.end(fmt.Sprintf("Disconnected after %s without a key press.", idle))
			return
		}
		t.Reset(left)
	}
	t = time.AfterFunc(idle, check)
	return func() { t.Stop() }
}

// sessionStyles picks the shared styles for what the client told us
// (TERM, NO_COLOR, COLORFGBG). Unlike wish's helper it never queries the
// terminal, which would stall every connection on clients that do not
// answer.
func sessionStyles(sess ssh.Session) *kit.Styles {
	env := sshEnviron(sess.Environ())
	profile := termenv.NewOutput(sess, termenv.WithEnvironment(env), termenv.WithUnsafe()).EnvColorProfile()
	if term := env.Getenv("TERM"); term == "" || term == "dumb" {
		profile = termenv.Ascii
	}
	return kit.StylesFor(profile, !lightBackground(env.Getenv("COLORFGBG")))
}

// lightBackground reads rxvt's COLORFGBG ("fg;bg"): background colours 7
// and 9–15 are light.
func lightBackground(colorfgbg string) bool {
	i := strings.LastIndexByte(colorfgbg, ';')
	if i < 0 {
		return false
	}
	switch colorfgbg[i+1:] {
	case "7", "9", "10", "11", "12", "13", "14", "15":
		return true
	}
	return false
}

type sshEnviron []string

func (e sshEnviron) Environ() []string { return e }

func (e sshEnviron) Getenv(k string) string {
	for _, v := range e {
		if strings.HasPrefix(v, k+"=") {
			return v[len(k)+1:]
		}
	}
	return ""
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

func userID(u *store.User) int64 {
	if u == nil {
		return 0
	}
	return u.ID
}
