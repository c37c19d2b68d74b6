package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/wantsms/wantsms/cmd/internal/service"
	"github.com/wantsms/wantsms/store"
)

// Bounds on `wantsms credit`: a typo of a few zeros should not slip through.
const (
	maxCreditCents  = 10_000_00 // $10,000
	maxReasonLength = 200
)

// openForTool opens the data directory's store for a command-line tool:
// its changes are relayed to a running server's live sessions.
func openForTool(dir string) (*store.Store, error) {
	return service.OpenStore(dir, store.Options{Relay: true})
}

// toolLine is a tool's parsed command line: the data directory and the
// positional arguments.
type toolLine struct {
	dir string
	pos []string
}

// parseTool parses a tool's command line: --data, the flags extra adds
// (may be nil), and positional arguments only if the tool takes some.
func parseTool(name string, args []string, stderr io.Writer, positional bool, extra func(*flags)) (toolLine, error) {
	f := newFlags(name, stderr)
	var l toolLine
	dataFlag(f, &l.dir)
	if extra != nil {
		extra(f)
	}
	pos, err := f.parse(args)
	if err != nil {
		return l, flagError(err)
	}
	if !positional && len(pos) > 0 {
		return l, usagef("unexpected argument %q", pos[0])
	}
	l.pos = pos
	return l, nil
}

func runAdmin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	l, err := parseTool("admin", args, stderr, true, nil)
	if err != nil {
		return err
	}
	pos, dir := l.pos, l.dir
	if len(pos) != 2 || (pos[0] != "grant" && pos[0] != "revoke") {
		return usagef("want grant or revoke and one email")
	}
	role := store.RoleAdmin
	if pos[0] == "revoke" {
		role = store.RoleUser
	}
	if _, err := store.NormalizeEmail(pos[1]); err != nil {
		return usagef("%q: %v", pos[1], err)
	}
	st, err := openForTool(dir)
	if err != nil {
		return err
	}
	defer st.Close()
	u, err := st.SetRole(ctx, pos[1], role)
	if err != nil {
		return fmt.Errorf("%s %s: %w", pos[0], pos[1], err)
	}
	fmt.Fprintf(stdout, "%s now has the %s role\n", u.Email, u.Role)
	return nil
}

func runCredit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var reason string
	l, err := parseTool("credit", args, stderr, true, func(f *flags) {
		f.fs.StringVar(&reason, "reason", "", "why (kept in the ledger; required)")
	})
	if err != nil {
		return err
	}
	pos, dir := l.pos, l.dir
	if len(pos) != 2 {
		return usagef("want an email and an amount in cents")
	}
	if _, err := store.NormalizeEmail(pos[0]); err != nil {
		return usagef("%q: %v", pos[0], err)
	}
	cents, err := strconv.ParseInt(pos[1], 10, 64)
	if err != nil || cents == 0 || cents > maxCreditCents || cents < -maxCreditCents {
		return usagef("amount %q: want a non-zero whole number of cents up to %d", pos[1], maxCreditCents)
	}
	reason = strings.TrimSpace(reason)
	if reason == "" || utf8.RuneCountInString(reason) > maxReasonLength {
		return usagef("--reason is required (at most %d characters)", maxReasonLength)
	}
	st, err := openForTool(dir)
	if err != nil {
		return err
	}
	defer st.Close()
	u, err := st.UserByEmail(ctx, pos[0])
	if err != nil {
		return fmt.Errorf("%s: %w", pos[0], err)
	}
	res, err := st.Move(ctx, store.Movement{UserID: u.ID, AmountCents: cents, Kind: store.LedgerGrant,
		Reference: "cli-" + randomHex(8), Note: reason})
	if errors.Is(err, store.ErrInsufficientFunds) {
		return fmt.Errorf("%s has only %s: %w", u.Email, store.FormatCents(u.BalanceCents), err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s %s: balance %s\n", verb(cents), u.Email, store.FormatCents(res.BalanceCents))
	return nil
}

func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	l, err := parseTool("check", args, stderr, false, nil)
	if err != nil {
		return err
	}
	dir := l.dir
	st, err := service.OpenStore(dir, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := st.Check(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "accounts: %d, ledger rows: %d\n", rep.Users, rep.LedgerRows)
	fmt.Fprintf(stdout, "integrity: %s\n", strings.Join(rep.Integrity, "; "))
	for _, fk := range rep.ForeignKey {
		fmt.Fprintf(stdout, "foreign key violation: %s\n", fk)
	}
	for _, m := range rep.Mismatches {
		fmt.Fprintf(stdout, "balance mismatch: account %d (%s) balance minus debt %s, ledger sums to %s\n",
			m.UserID, m.Email, store.FormatCents(m.BalanceCents), store.FormatCents(m.LedgerCents))
	}
	for _, o := range rep.Orders {
		fmt.Fprintf(stdout, "order mismatch: %s\n", o)
	}
	if !rep.OK() {
		return errors.New("problems found (see above)")
	}
	fmt.Fprintln(stdout, "ledger: every balance (minus any debt) equals its ledger sum")
	return nil
}

func runPurge(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	l, err := parseTool("purge", args, stderr, false, nil)
	if err != nil {
		return err
	}
	dir := l.dir
	st, err := openForTool(dir)
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := st.Purge(ctx)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(rep.Removed))
	for what := range rep.Removed {
		names = append(names, what)
	}
	sort.Strings(names)
	for _, what := range names {
		fmt.Fprintf(stdout, "%6d  %s\n", rep.Removed[what], what)
	}
	fmt.Fprintf(stdout, "%6d  removed in all\n", rep.Total())
	return nil
}

func runBackup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	l, err := parseTool("backup", args, stderr, true, nil)
	if err != nil {
		return err
	}
	pos, dir := l.pos, l.dir
	if len(pos) != 1 {
		return usagef("want one destination file")
	}
	st, err := service.OpenStore(dir, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Backup(ctx, pos[0]); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backup written to %s; integrity_check: ok\n", pos[0])
	return nil
}

func verb(cents int64) string {
	if cents < 0 {
		return "debited " + store.FormatCents(-cents) + " from"
	}
	return "credited " + store.FormatCents(cents) + " to"
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
