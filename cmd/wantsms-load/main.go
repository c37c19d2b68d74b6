// Command wantsms-load measures a running WantSMS under many concurrent
// dashboard sessions: `seed` creates load-test accounts with linked keys
// in the server's data directory, `run` opens N interactive SSH sessions
// (PTY, key auth) at a set rate, holds them, and reports connect-to-
// dashboard latency, the server's memory and CPU, and errors by kind, side
// by side with a throw-away OpenSSH server on request; `api` runs many
// programs on the SMS-Activate-compatible HTTP API (each a seeded account
// with an API key of its own) and reports requests per second, latency
// per action and the server's CPU. It starts no WantSMS itself: it points
// at one, or at several instances sharing one database, which `run` gives
// sessions in turn and reports one by one (see README, "Performance").
// `reserve` is the exception: it runs the reservation engine over the
// simulator in process, on a database of its own, and measures
// reservations per second against raw SQLite inserts on the same disk.
//
// May import from this repository: cmd/internal/service,
// cmd/internal/sshterm, provider, provider/engine, provider/sim, store.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"unicode/utf8"
)

// Exit statuses.
const (
	exitOK    = 0
	exitFail  = 1 // the run failed or saw errors
	exitUsage = 2 // the command line was wrong
)

// usageError is a wrong command line.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

// errHadErrors makes the exit status 1 after a complete report that
// counted failed sessions, so scripts notice.
var errHadErrors = errors.New("some sessions failed (see the report)")

type command struct {
	name, args, summary string
	run                 func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"seed", "--data DIR --accounts N --keys FILE", "create N load-test accounts with linked keys", runSeed},
		{"run", "--addr HOST:PORT [--addr …] --keys FILE --sessions N", "open, hold and measure N sessions", runRun},
		{"api", "--http ADDR --data DIR --keys FILE --clients N",
			"N programs on the SMS-Activate API: reserve, poll getStatus, finish", runAPI},
		{"reserve", "[--reservations N --workers W --dir DIR]",
			"reservations per second through the engine, against raw SQLite inserts", runReserve},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], stdout, stderr)
		var ue usageError
		switch {
		case err == nil, errors.Is(err, flag.ErrHelp):
			return exitOK
		case errors.As(err, &ue):
			fmt.Fprintf(stderr, "wantsms-load %s: %s\nusage: wantsms-load %s %s\n", c.name, ue.msg, c.name, c.args)
			return exitUsage
		default:
			fmt.Fprintf(stderr, "wantsms-load %s: %v\n", c.name, err)
			return exitFail
		}
	}
	fmt.Fprintf(stderr, "wantsms-load: unknown command %q\n", args[0])
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: wantsms-load COMMAND [FLAGS]")
	fmt.Fprintln(w, "\ncommands:")
	names, args := 0, 0
	for _, c := range commands() {
		names, args = max(names, len(c.name)), max(args, utf8.RuneCountInString(c.args))
	}
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-*s %-*s %s\n", names, c.name, args, c.args, c.summary)
	}
	fmt.Fprintln(w, "\n`wantsms-load COMMAND -h` lists its flags.")
}

// parseFlags parses args and refuses positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	return nil
}
