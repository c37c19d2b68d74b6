// Command wantsms runs the WantSMS service (`wantsms` or `wantsms serve`)
// and the operator's tools that work on the same data directory.
//
// main.go holds the subcommand table and the usage; serve.go runs the
// service through cmd/internal/service; the other files are the operator's
// tools, each working on the store of the data directory (credit, admin,
// check, purge, backup, migrate-to-postgres) or standing in for a payment
// processor (dev).
//
// May import from this repository: billing, billing/blockonomicsfake,
// billing/stripetest, cmd/internal/apiauth, cmd/internal/mail, cmd/internal/service,
// cmd/internal/webhook, provider/engine, provider/fivesim, provider/sim, store.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Exit statuses of the command.
const (
	exitOK    = 0
	exitFail  = 1 // the command ran and found or hit a problem
	exitUsage = 2 // the command line was wrong
)

// command is one subcommand.
type command struct {
	name    string
	args    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"serve", "[flags]", "run the service (the default)", runServe},
		{"admin", "grant|keys|remove-key|revoke|verify EMAIL", "the admin role and its keys (grant EMAIL --key KEY)", runAdmin},
		{"credit", "EMAIL CENTS --reason TEXT [flags]", "credit (or, negative, debit) an account", runCredit},
		{"check", "[flags]", "verify ledger sums equal balances and the database's integrity", runCheck},
		{"purge", "[flags]", "remove now every record past its retention period", runPurge},
		{"backup", "FILE [flags]", "write a consistent copy of the database (also while serving)", runBackup},
		{"migrate-to-postgres", "--database-url URL [flags]",
			"copy the SQLite database into a new PostgreSQL database, then check both", runMigrateToPostgres},
		{"dev", "stripe-event|btc-callback|blockonomics|mail", "play Stripe or Blockonomics, read mail, for a local server", runDev},
	}
}

// helpCommand is listed with the others; run answers it before them.
var helpCommand = command{name: "help", args: "[COMMAND]", summary: "this usage, or one command's flags (also: -h)"}

// usageError is a wrong command line: usage is printed and the exit
// status is 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command line and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	name := "serve"
	switch {
	case len(args) == 1 && isHelpFlag(args[0]):
		// `wantsms -h`: the whole usage, not only serve's flags.
		name, args = helpCommand.name, nil
	case len(args) > 0 && !strings.HasPrefix(args[0], "-"):
		name, args = args[0], args[1:]
	}
	if name == helpCommand.name && len(args) == 0 {
		usage(ctx, stdout)
		return exitOK
	}
	flagsOut := stderr // where a command prints its flags on -h
	if name == helpCommand.name {
		// `wantsms help credit` is `wantsms credit -h`, on stdout like
		// the rest of the help.
		name, args, flagsOut = args[0], []string{"-h"}, stdout
	}
	for _, c := range commands() {
		if c.name != name {
			continue
		}
		err := c.run(ctx, args, stdout, flagsOut)
		var ue usageError
		switch {
		case err == nil:
			return exitOK
		case errors.Is(err, errHelp):
			return exitOK
		case errors.As(err, &ue):
			fmt.Fprintf(stderr, "wantsms %s: %s\nusage: wantsms %s %s\n", c.name, ue.msg, c.name, c.args)
			return exitUsage
		default:
			fmt.Fprintf(stderr, "wantsms %s: %v\n", c.name, err)
			return exitFail
		}
	}
	fmt.Fprintf(stderr, "wantsms: unknown command %q\n\n", name)
	listCommands(stderr)
	return exitUsage
}

func isHelpFlag(arg string) bool { return arg == "-h" || arg == "-help" || arg == "--help" }

// usage is what `wantsms -h` and `wantsms help` print: every command with
// one line each, then the flags of serve, which `wantsms` alone runs.
func usage(ctx context.Context, w io.Writer) {
	listCommands(w)
	fmt.Fprintln(w)
	_ = runServe(ctx, []string{"-h"}, w, w) // prints the flags and returns errHelp
}

func listCommands(w io.Writer) {
	fmt.Fprintln(w, "usage: wantsms [COMMAND] [ARGS] [FLAGS]")
	fmt.Fprintln(w, "\ncommands:")
	all := append(commands(), helpCommand)
	width := 0
	for _, c := range all {
		width = max(width, len(c.name))
	}
	for _, c := range all {
		fmt.Fprintf(w, "  %-*s %-40s %s\n", width, c.name, c.args, c.summary)
	}
	fmt.Fprintln(w, "\nEvery command takes --data DIR (env WANTSMS_DATA, default ./data); `wantsms help COMMAND` lists its flags.")
}
