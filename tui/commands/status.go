package commands

import (
	"context"
	"errors"
	"fmt"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/wording"
)

// Exit statuses of every command: scripts branch on them.
const (
	ExitOK        = 0 // done
	ExitUsage     = 1 // a wrong command line, no account for this key, or not an admin
	ExitRefused   = 2 // refused by a rule (no balance, no numbers, too early to cancel…); the message says which
	ExitWaitedOut = 3 // the wait ended first (the reservation is still open)
	ExitNoSMS     = 4 // the reservation ended without an SMS (and was refunded)
	ExitServer    = 5 // something failed on our side; details are in the server's log
)

// statusDocs describes each status for help and the README, in order.
var statusDocs = []struct {
	Status int
	Means  string
}{
	{ExitOK, "done"},
	{ExitUsage, "wrong command line, no account linked to this key, or not an admin"},
	{ExitRefused, "refused by a rule (no balance, no numbers, too early to cancel…); the message says which"},
	{ExitWaitedOut, "waited out: the wait ended first (the reservation is still open)"},
	{ExitNoSMS, "the reservation ended without an SMS (and was refunded)"},
	{ExitServer, "server error: try again later"},
}

// StatusError ends a command with a given status and message, for
// outcomes that are not rule refusals (ExitWaitedOut, ExitNoSMS).
type StatusError struct {
	Status int
	Msg    string
}

func (e *StatusError) Error() string { return e.Msg }

// Exit makes a StatusError.
func Exit(status int, format string, a ...any) error {
	return &StatusError{Status: status, Msg: fmt.Sprintf(format, a...)}
}

// outcome is how a command's error ends the session: its status, the
// message for stderr ("" for none) and whether to log the error.
type outcome struct {
	status int
	msg    string
	log    bool
}

// serverErrorMsg is all a person learns about an error on our side (the
// dashboard says the same); the detail goes to the log under the session
// id.
const serverErrorMsg = wording.ServerError

func classify(ctx context.Context, err error) outcome {
	var se *StatusError
	var ue *UsageError
	switch {
	case err == nil:
		return outcome{status: ExitOK}
	case errors.As(err, &se):
		return outcome{status: se.Status, msg: se.Msg}
	case errors.As(err, &ue):
		return outcome{status: ExitUsage, msg: ue.Msg}
	case errors.Is(err, store.ErrNotAdmin):
		return outcome{status: ExitUsage, msg: store.ErrNotAdmin.Error()}
	case ctx.Err() != nil:
		// The session ended under the command: the server is shutting
		// down (the cause says so) or the client left (nobody reads).
		return outcome{status: ExitServer, msg: context.Cause(ctx).Error()}
	case errors.Is(err, errClientGone):
		return outcome{status: ExitServer}
	}
	if msg, ok := store.UserMessage(err); ok {
		return outcome{status: ExitRefused, msg: msg}
	}
	return outcome{status: ExitServer, msg: serverErrorMsg, log: true}
}
