package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/wantsms/wantsms/cmd/internal/service"
	"github.com/wantsms/wantsms/store"
)

// seedConfig is what `wantsms-load seed` needs.
type seedConfig struct {
	DataDir  string
	Database string // the server's --database-url, if it runs on PostgreSQL
	Accounts int
	KeysFile string
	Password string // empty: a random one nobody knows (key sign-in only)
	Credit   int64  // each account's balance is raised to at least this (cents)
}

// defaultCredit lets each account reserve numbers over many runs: a sim
// number costs cents to about a dollar, and each run reserves one.
const defaultCredit = 2000

func runSeed(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c seedConfig
	fs.StringVar(&c.DataDir, "data", "data", "the server's data directory (works while it runs)")
	fs.StringVar(&c.Database, "database-url", os.Getenv("WANTSMS_DATABASE_URL"),
		"the server's PostgreSQL database, if it runs on one (default: $WANTSMS_DATABASE_URL)")
	fs.IntVar(&c.Accounts, "accounts", 100, "how many accounts the keys file and the database must hold")
	fs.StringVar(&c.KeysFile, "keys", "wantsms-load.keys", "keys file to write (private keys, mode 0600); existing keys are reused")
	fs.StringVar(&c.Password, "password", "", "password of the accounts (default: random, so they sign in by key only)")
	fs.Int64Var(&c.Credit, "credit", defaultCredit, "raise each account's balance to at least this many cents (0: leave it)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if c.Accounts < 1 {
		return usagef("--accounts must be at least 1")
	}
	if c.Credit < 0 {
		return usagef("--credit must not be negative")
	}
	start := time.Now()
	created, err := seed(ctx, c)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d accounts ready (%d new) in %s; keys in %s\n",
		c.Accounts, created, time.Since(start).Round(time.Millisecond), c.KeysFile)
	return nil
}

// seed makes sure the keys file holds at least c.Accounts accounts and
// that the first c.Accounts exist in the database with their keys linked.
// It returns how many accounts it created.
func seed(ctx context.Context, c seedConfig) (int, error) {
	have, err := readKeys(c.KeysFile)
	if err != nil {
		return 0, err
	}
	all, err := generateAccounts(have, c.Accounts)
	if err != nil {
		return 0, err
	}
	// Keys first: a failure below leaves a file that a second run reuses.
	if len(all) > len(have) {
		if err := writeKeys(c.KeysFile, all); err != nil {
			return 0, err
		}
	}
	if c.Password == "" {
		c.Password = randomPassword()
	}
	st, err := service.OpenStore(c.DataDir, c.Database, store.Options{})
	if err != nil {
		return 0, err
	}
	defer st.Close()
	seeded := loadTestAccounts(all[:c.Accounts])
	created, err := st.SeedLoadTestAccounts(ctx, c.Password, seeded)
	if err != nil {
		return created, fmt.Errorf("seed %s: %w", c.DataDir, err)
	}
	if c.Credit > 0 {
		emails := make([]string, len(seeded))
		for i, a := range seeded {
			emails[i] = a.Email
		}
		if _, err := st.TopUpLoadTestAccounts(ctx, emails, c.Credit); err != nil {
			return created, fmt.Errorf("credit the accounts in %s: %w", c.DataDir, err)
		}
	}
	return created, nil
}

func randomPassword() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
