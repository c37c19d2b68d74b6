// Command wantsms runs the WantSMS service (`wantsms` or `wantsms serve`)
// and the operator's tools that work on the same data directory.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
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
		{"admin", "grant|keys|remove-key|revoke EMAIL", "the admin role and its keys (grant EMAIL --key KEY)", runAdmin},
		{"credit", "EMAIL CENTS --reason TEXT [flags]", "credit (or, negative, debit) an account", runCredit},
		{"check", "[flags]", "verify ledger sums equal balances and the database's integrity", runCheck},
		{"purge", "[flags]", "remove now every record past its retention period", runPurge},
		{"backup", "FILE [flags]", "write a consistent copy of the database (also while serving)", runBackup},
		{"dev", "stripe-event|btc-callback ORDER", "try payments locally (also: dev blockonomics)", runDev},
	}
}

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
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	if name == "help" || name == "-h" || name == "--help" {
		usage(stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name != name {
			continue
		}
		err := c.run(ctx, args, stdout, stderr)
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
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: wantsms [COMMAND] [ARGS] [FLAGS]")
	fmt.Fprintln(w, "\ncommands:")
	cs := commands()
	sort.SliceStable(cs, func(i, j int) bool { return i == 0 && j != 0 })
	for _, c := range cs {
		fmt.Fprintf(w, "  %-8s %-36s %s\n", c.name, c.args, c.summary)
	}
	fmt.Fprintln(w, "\nEvery command takes --data DIR (env WANTSMS_DATA, default ./data); `wantsms COMMAND -h` lists its flags.")
}
