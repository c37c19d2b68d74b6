package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
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
func openForTool(dir, databaseURL string) (*store.Store, error) {
	return service.OpenStore(dir, databaseURL, store.Options{Relay: true})
}

// toolLine is a tool's parsed command line: the data directory and the
// positional arguments.
type toolLine struct {
	dir, databaseURL string
	pos              []string
}

// parseTool parses a tool's command line: --data, the flags extra adds
// (may be nil), and positional arguments only if the tool takes some.
func parseTool(name string, args []string, stderr io.Writer, positional bool, extra func(*flags)) (toolLine, error) {
	f := newFlags(name, stderr)
	var l toolLine
	storeFlags(f, &l.dir, &l.databaseURL)
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

// adminUsage is what `wantsms admin` takes.
const adminUsage = "want one of: grant EMAIL --key FINGERPRINT|PUBKEY-FILE, keys EMAIL, " +
	"remove-key EMAIL FINGERPRINT, revoke EMAIL, verify EMAIL"

// runAdmin manages the admin role and the keys that carry it. Admin
// powers work only in sessions that prove a key enrolled here, on the
// server host: a password (and any key linked with it) never reaches them.
func runAdmin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var keyArg string
	l, err := parseTool("admin", args, stderr, true, func(f *flags) {
		f.fs.StringVar(&keyArg, "key", "", "grant: the key to enrol for admin use: a fingerprint SHA256:… of a key "+
			"linked to the account, or a public key file (id_ed25519.pub)")
	})
	if err != nil {
		return err
	}
	pos := l.pos
	want := map[string]int{"grant": 2, "keys": 2, "remove-key": 3, "revoke": 2, "verify": 2}
	if len(pos) == 0 || want[pos[0]] != len(pos) {
		return usagef(adminUsage)
	}
	if _, err := store.NormalizeEmail(pos[1]); err != nil {
		return usagef("%q: %v", pos[1], err)
	}
	if keyArg != "" && pos[0] != "grant" {
		return usagef("--key goes with grant only")
	}
	var spec store.KeySpec
	if pos[0] == "grant" {
		if keyArg == "" {
			return usagef("grant needs --key: admin powers work only in sessions that prove a key enrolled for " +
				"admin use here, on the server host (a password, or a key linked from the dashboard, is not " +
				"enough). Give --key FINGERPRINT for a key linked to the account (wantsms admin keys EMAIL lists " +
				"them) or --key PUBKEY-FILE, the admin's public key file")
		}
		if spec, err = adminKeyArg(keyArg); err != nil {
			return usagef("--key %s: %v", keyArg, err)
		}
	}
	st, err := openForTool(l.dir, l.databaseURL)
	if err != nil {
		return err
	}
	defer st.Close()
	by := operator()
	switch pos[0] {
	case "grant":
		u, k, err := st.GrantAdmin(ctx, pos[1], spec, by)
		if err != nil {
			return fmt.Errorf("grant %s: %w", pos[1], err)
		}
		fmt.Fprintf(stdout, "%s has the admin role; key %s (%s) is enrolled for admin use.\n", u.Email, k.Fingerprint,
			k.Name)
		fmt.Fprintln(stdout, "Admin powers work in sessions that sign in with an enrolled key (connect again with it).")
	case "keys":
		return listAdminKeys(ctx, st, pos[1], stdout)
	case "remove-key":
		if err := st.RemoveAdminKey(ctx, pos[1], pos[2], by); err != nil {
			return fmt.Errorf("remove-key %s %s: %w", pos[1], pos[2], err)
		}
		fmt.Fprintf(stdout, "%s is no longer enrolled for admin use on %s (it stays linked as an ordinary key); "+
			"sessions using it lose their admin powers.\n", pos[2], pos[1])
	case "verify":
		u, err := st.MarkEmailVerified(ctx, pos[1], by)
		if errors.Is(err, store.ErrAlreadyVerified) {
			fmt.Fprintf(stdout, "%s is verified already.\n", u.Email)
			return nil
		}
		if err != nil {
			return fmt.Errorf("verify %s: %w", pos[1], err)
		}
		fmt.Fprintf(stdout, "%s is verified, on your word (recorded in its Sign-in activity): it may top up without "+
			"the unverified limit, and be granted admin.\n", u.Email)
	case "revoke":
		u, err := st.RevokeAdmin(ctx, pos[1], by)
		if err != nil {
			return fmt.Errorf("revoke %s: %w", pos[1], err)
		}
		fmt.Fprintf(stdout, "%s now has the %s role, and no admin key; its admin sessions end.\n", u.Email, u.Role)
	}
	return nil
}

// maxPubKeyFile bounds the public key file read for --key: one line.
const maxPubKeyFile = 16 << 10

// adminKeyArg reads --key: a fingerprint, or a file holding one public key.
func adminKeyArg(v string) (store.KeySpec, error) {
	if strings.HasPrefix(v, "SHA256:") {
		return store.KeySpec{Fingerprint: v}, nil
	}
	f, err := os.Open(v)
	if err != nil {
		return store.KeySpec{}, fmt.Errorf("neither a fingerprint (SHA256:…) nor a readable public key file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxPubKeyFile+1))
	if err != nil {
		return store.KeySpec{}, err
	}
	var lines []string
	for _, line := range strings.Split(string(b), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			lines = append(lines, line)
		}
	}
	if len(b) > maxPubKeyFile || len(lines) != 1 {
		return store.KeySpec{}, errors.New("want a file holding one public key line (ssh-ed25519 AAAA… comment)")
	}
	spec, err := store.ParseAuthorizedKey(lines[0])
	if err != nil {
		return store.KeySpec{}, errors.New("not a public key: give the .pub file, e.g. ~/.ssh/id_ed25519.pub")
	}
	return spec, nil
}

// listAdminKeys prints the account's role and its linked keys, marking
// those enrolled for admin use.
func listAdminKeys(ctx context.Context, st *store.Store, email string, stdout io.Writer) error {
	u, err := st.UserByEmail(ctx, email)
	if err != nil {
		return fmt.Errorf("%s: %w", email, err)
	}
	keys, err := st.Keys(ctx, u.ID)
	if err != nil {
		return err
	}
	admin, err := st.AdminKeys(ctx, u.ID)
	if err != nil {
		return err
	}
	by := map[int64]store.AdminKey{}
	for _, k := range admin {
		by[k.ID] = k
	}
	fmt.Fprintf(stdout, "%s: role %s, %d linked keys, %d enrolled for admin use\n", u.Email, u.Role, len(keys), len(admin))
	for _, k := range keys {
		mark := "-"
		if a, ok := by[k.ID]; ok {
			mark = "admin since " + a.AdminSince.UTC().Format("2006-01-02 15:04") + " UTC, by " + a.EnrolledBy
		}
		fmt.Fprintf(stdout, "  %s  %-20s  %s\n", k.Fingerprint, k.Name, mark)
	}
	return nil
}

// operator names who runs a host tool, for the account's security events:
// the operating-system user and the host.
func operator() string {
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	host, _ := os.Hostname()
	return name + "@" + host
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
	st, err := openForTool(dir, l.databaseURL)
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
	st, err := service.OpenStore(dir, l.databaseURL, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := st.Check(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "database: %s %s\n", st.Backend(), st.Path())
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
	for _, r := range rep.References {
		fmt.Fprintf(stdout, "reference mismatch: %s\n", r)
	}
	if !rep.OK() {
		return errors.New("problems found (see above)")
	}
	fmt.Fprintln(stdout, "ledger: every balance (minus any debt) equals its ledger sum, every row names what is its account's")
	return nil
}

func runPurge(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	l, err := parseTool("purge", args, stderr, false, nil)
	if err != nil {
		return err
	}
	dir := l.dir
	st, err := openForTool(dir, l.databaseURL)
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
	if l.databaseURL != "" {
		return store.ErrBackupPostgres
	}
	st, err := service.OpenStore(dir, "", store.Options{})
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
