// Package commands is WantSMS's scripting interface: what an SSH session
// without a PTY runs (`ssh -p 2222 host balance --json`), the other half
// of the front door's split (a PTY gets the dashboard in package tui).
//
// Commands are data (Command, with typed Params made by Arg and Flag):
// the parser, `help`, `COMMAND --help` and the reference (README.md in
// this directory, and the list in the repository's README) are generated
// from the definitions. A command line goes through four steps,
// in this order, and stops at the first that fails:
//
//  1. Parse, a pure function of the words: a bad line never reaches the
//     store (exit status 1).
//  2. Help, when asked for: public, no account needed.
//  3. Identity, only from the key the session proved (exit status 1 when
//     there is none or it is linked to no account), and the admin gate
//     for anything under a command marked AdminOnly: the admin role and a
//     key the server host enrolled for admin use (exit status 1).
//  4. Run, with the same store methods as the dashboard's panes; its
//     error becomes the exit status (status.go).
//
// Results go to stdout as text, or with --json as one JSON document (JSON
// Lines for streams); messages go to stderr; untrusted strings are
// sanitized in both forms (output.go).
//
// May import from this repository: billing, provider, store, tui/privacy
// (the policy the dashboard shows too), tui/sanitize, tui/wording (the
// words for services, countries, states, debt and errors the dashboard
// uses too).
package commands

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/charmbracelet/ssh"

	"github.com/wantsms/wantsms/store"
)

// Handler runs command lines for sessions without a PTY.
type Handler struct {
	deps Deps
	log  *slog.Logger
	cmds []*Command
}

// New builds the handler with every command in all(); it fails only if a
// definition is malformed.
func New(deps Deps) (*Handler, error) { return newHandler(deps, all()) }

func newHandler(deps Deps, cmds []*Command) (*Handler, error) {
	if err := check(cmds, ""); err != nil {
		return nil, fmt.Errorf("command definitions: %w", err)
	}
	log := deps.Log
	if log == nil {
		log = slog.Default()
	}
	return &Handler{deps: deps, log: log, cmds: cmds}, nil
}

// Request is one command line from one session.
type Request struct {
	Args      []string
	Key       *store.KeySpec // the key the session proved; nil without one
	Origin    store.Origin
	SessionID string
	Stdout    io.Writer
	Stderr    io.Writer
}

// Serve runs a session's command; it has the shape of
// sshserver.CommandHandler. Identity comes only from the key the session
// proved, never from the user name.
func (h *Handler) Serve(ctx context.Context, sess ssh.Session, args []string) int {
	r := Request{Args: args, SessionID: sess.Context().SessionID(), Stdout: sess, Stderr: sess.Stderr(),
		Origin: store.Origin{RemoteAddr: sess.RemoteAddr().String(), ClientVersion: sess.Context().ClientVersion()}}
	if pk := sess.PublicKey(); pk != nil {
		spec := store.SpecOf(pk)
		r.Key = &spec
	}
	return h.Run(ctx, r)
}

// Run parses, checks and runs one command line and returns its exit
// status.
func (h *Handler) Run(ctx context.Context, r Request) int {
	start := time.Now()
	if ctx.Err() != nil { // refused at the door: the server is closing
		return h.fail(r, outcome{status: ExitServer, msg: context.Cause(ctx).Error()})
	}
	inv, err := Parse(h.cmds, r.Args)
	if errors.Is(err, ErrNoCommand) {
		return h.fail(r, outcome{status: ExitUsage, msg: "no command given. For the dashboard, connect with a " +
			"terminal: " + h.deps.SSHWith("-t", "") + "; for the commands: " + h.deps.SSHWith("", "help")})
	}
	if err != nil {
		h.refused(r, "usage", "")
		return h.usage(r, err)
	}
	out := &output{w: r.Stdout, json: inv.JSON}
	if inv.Help {
		return h.finish(ctx, r, inv, writeHelp(out, h.cmds, inv.Path, h.deps.SSHWith("", "")), start)
	}
	out.stream = inv.Command().Stream
	if inv.Command().Public {
		c := &Call{Ctx: ctx, Deps: h.deps, Origin: r.Origin, inv: inv, out: out}
		return h.finish(ctx, r, inv, h.call(c), start)
	}
	user, o := h.identify(ctx, r)
	if o.status != ExitOK {
		h.refused(r, "identity", inv.Name())
		return h.fail(r, o)
	}
	c := &Call{Ctx: ctx, Deps: h.deps, User: user, Key: *r.Key, Origin: r.Origin, inv: inv, out: out}
	if inv.AdminOnly() {
		// The role, and a key the server host enrolled for admin use.
		if err := h.deps.Store.CheckActor(ctx, c.Actor()); err != nil {
			h.refused(r, "not an admin", inv.Name())
			msg, ok := store.UserMessage(err)
			if !ok {
				h.log.Error("command: check admin", "session", shortID(r.SessionID), "remote", r.Origin.RemoteAddr,
					"err", err)
				return h.fail(r, outcome{status: ExitServer, msg: serverErrorMsg})
			}
			return h.fail(r, outcome{status: ExitUsage, msg: inv.Name() + ": " + msg})
		}
	}
	return h.finish(ctx, r, inv, h.call(c), start)
}

// call runs the command, turning a panic into an error: a script must see
// a server error (status 5), not a usage error.
func (h *Handler) call(c *Call) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in command %s: %v\n%s", c.inv.Name(), p, debug.Stack())
		}
	}()
	if err := c.inv.Command().Run(c); err != nil {
		return err
	}
	if c.out.n == 0 && !c.out.stream {
		return fmt.Errorf("command %s printed no result", c.inv.Name())
	}
	return nil
}

// identify resolves the account from the key the session proved.
func (h *Handler) identify(ctx context.Context, r Request) (store.User, outcome) {
	link := "connect with a terminal (" + h.deps.SSHWith("-t", "") + "), sign in, and press y to remember the key"
	if r.Key == nil {
		return store.User{}, outcome{status: ExitUsage, msg: "commands need an SSH key linked to your account: " + link}
	}
	u, err := h.deps.Store.UseKey(ctx, r.Key.Fingerprint, r.Origin)
	switch {
	case errors.Is(err, store.ErrNoUser):
		return u, outcome{status: ExitUsage, msg: "this SSH key (" + r.Key.Fingerprint + ") is not linked to an " +
			"account: " + link}
	case err != nil:
		h.log.Error("command: resolve key", "session", shortID(r.SessionID), "remote", r.Origin.RemoteAddr, "err", err)
		return u, outcome{status: ExitServer, msg: serverErrorMsg}
	}
	return u, outcome{status: ExitOK}
}

func (h *Handler) usage(r Request, err error) int {
	var ue *UsageError
	if !errors.As(err, &ue) {
		return h.fail(r, outcome{status: ExitUsage, msg: err.Error()})
	}
	msg := ue.Msg
	if c := last(ue.Path); c != nil && c.Run != nil {
		msg += "\nusage: " + usageLine(ue.Path)
	}
	if len(ue.Path) > 0 {
		msg += "\n(" + pathName(ue.Path) + " --help for details)"
	}
	return h.fail(r, outcome{status: ExitUsage, msg: msg})
}

// finish logs the call and reports its outcome.
func (h *Handler) finish(ctx context.Context, r Request, inv *Invocation, err error, start time.Time) int {
	o := classify(ctx, err)
	if o.log {
		h.log.Error("command failed", "session", shortID(r.SessionID), "remote", r.Origin.RemoteAddr,
			"command", inv.Name(), "err", err)
	}
	h.log.Info("command", "session", shortID(r.SessionID), "remote", r.Origin.RemoteAddr, "command", inv.Name(),
		"help", inv.Help, "status", o.status, "duration", time.Since(start).Round(time.Millisecond).String())
	return h.fail(r, o)
}

// refused logs a command line stopped before it ran (no arguments: they
// may hold personal data).
func (h *Handler) refused(r Request, why, command string) {
	h.log.Info("command refused", "session", shortID(r.SessionID), "remote", r.Origin.RemoteAddr, "why", why,
		"command", command)
}

// fail writes the outcome's message, if any, to stderr and returns its
// status.
func (h *Handler) fail(r Request, o outcome) int {
	if o.msg != "" {
		if o.status == ExitServer && o.msg == serverErrorMsg {
			o.msg += " (session " + shortID(r.SessionID) + ")"
		}
		fmt.Fprintln(r.Stderr, "wantsms: "+o.msg)
	}
	return o.status
}

func last(path []*Command) *Command {
	if len(path) == 0 {
		return nil
	}
	return path[len(path)-1]
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
