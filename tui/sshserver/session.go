package sshserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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

// handle runs one session. The dashboard's goroutine stays parked under
// this call for the whole session, so the work before and after the
// program runs lives in separate functions: their large frames are gone
// by then and the garbage collector can halve the goroutine's stack
// (8 KiB instead of 16 KiB for each of thousands of sessions).
func (s *Server) handle(sess ssh.Session) {
	stopHandshakeTimer(sess.Context())
	if _, _, hasPty := sess.Pty(); !hasPty {
		_ = sess.Exit(s.runCommand(sess))
		return
	}
	d := &dashboard{}
	defer d.close() // also when building or the program panics
	if !s.openDashboard(sess, d) {
		return
	}
	if d.goodbye == "" {
		d.run()
	}
	d.close() // the screen stops before the goodbye is written
	s.endDashboard(sess, d)
}

// dashboard is one session's program and what ends with it.
type dashboard struct {
	ctx     context.Context // the connection's
	ts      *kit.Session
	log     *slog.Logger
	p       *tea.Program
	live    *liveSession
	started time.Time
	goodbye string   // set when the program must not start (the server is closing)
	undo    []func() // released in reverse order when the session ends
}

// close releases what the session started, each step once, even when
// one panics and close runs again from a defer.
func (d *dashboard) close() {
	for len(d.undo) > 0 {
		step := d.undo[len(d.undo)-1]
		d.undo = d.undo[:len(d.undo)-1]
		step()
	}
}

// run runs the program until it quits or the session ends and keeps why
// the server ended it ("" when the person quit).
func (d *dashboard) run() {
	if _, err := d.p.Run(); err != nil && !errors.Is(err, tea.ErrProgramKilled) && d.ctx.Err() == nil {
		d.log.Error("dashboard ended with an error", "err", err)
	}
	d.goodbye = d.live.goodbye()
}

// openDashboard signs the key in (when the client offered one) and builds
// the program into d; false when the session was already answered and
// ended.
func (s *Server) openDashboard(sess ssh.Session, d *dashboard) bool {
	ctx := sess.Context()
	ts := tuiSession(sess)
	log := s.log.With("session", shortID(ts.ID), "remote", ts.Origin.RemoteAddr)
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
			return false
		}
	}
	log.Info("session start", "client", ts.Origin.ClientVersion, "user", userID(user))
	d.ctx, d.ts, d.log, d.started = ctx, ts, log, time.Now()
	s.buildDashboard(ctx, sess, d, user)
	return true
}

// endDashboard tells the person why the server ended the session, if it
// did, and closes it.
func (s *Server) endDashboard(sess ssh.Session, d *dashboard) {
	if d.goodbye != "" {
		fmt.Fprintf(sess, "\r\n%s\r\n", d.goodbye)
	}
	d.log.Info("session end", "duration", time.Since(d.started).Round(time.Second).String(), "reason", d.goodbye)
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

// buildDashboard makes the session's program and registers the session;
// what it starts is released by d.close.
func (s *Server) buildDashboard(ctx context.Context, sess ssh.Session, d *dashboard, user *store.User) {
	ts := d.ts
	live := &liveSession{}
	d.live = live
	scr := screen.New(sess, s.cfg.FPS)
	// What the dashboard's work logs (store, engine, payments) carries
	// the session and its address.
	ctx = logctx.With(ctx, "session", shortID(ts.ID), "remote", ts.Origin.RemoteAddr)
	c := &kit.Common{Ctx: ctx, Log: s.deps.Log, SSHCommand: s.deps.SSHCommand, Session: ts,
		Styles: sessionStyles(sess), Keys: kit.DefaultKeys(), Goodbye: live.setReason, Emit: scr.Emit}
	model := tui.New(c, s.deps, user)
	d.undo = append(d.undo, model.Close)
	// The library's window channel holds only the PTY's first size: the
	// window changes go to sessionWindow instead (relayedChannel).
	pty, _, _ := sess.Pty()
	win := windowOf(sess)
	if win == nil { // not opened through sessionChannel: the size stays
		win = &sessionWindow{}
	}
	// The program's own context ends with the session: a message still
	// being posted to it then gives up instead of waiting for the
	// connection (which may carry other sessions) to close.
	pctx, cancel := context.WithCancel(ctx)
	d.undo = append(d.undo, cancel)
	// The client's environment (with TERM, so never nil), not the
	// server's, which the library would otherwise copy into every session.
	p := tea.NewProgram(newFramed(model, scr, win),
		tea.WithInput(sess), tea.WithOutput(sess), tea.WithoutRenderer(),
		tea.WithContext(pctx), tea.WithoutSignalHandler(), tea.WithEnvironment(sess.Environ()))
	d.p = p
	// A goroutine per message posted, living until the program takes it:
	// the poster (an event's publisher) never waits for a session.
	c.Post = func(msg tea.Msg) { go p.Send(msg) }
	scr.Start()
	d.undo = append(d.undo, scr.Stop)
	live.quit = p.Quit
	if closing := s.sessions.add(live); closing != "" {
		d.goodbye = closing
		return
	}
	d.undo = append(d.undo, func() { s.sessions.remove(live) })
	d.undo = append(d.undo, win.attach(pty.Window, func() { c.Post(windowChangedMsg{}) }))
	d.undo = append(d.undo, s.watchInput(ts, live))
	stopMax := time.AfterFunc(s.cfg.MaxSession, func() {
		live.end(fmt.Sprintf("This session reached its maximum length (%s). Reconnect to continue.", s.cfg.MaxSession))
	})
	d.undo = append(d.undo, func() { stopMax.Stop() })
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
