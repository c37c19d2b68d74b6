package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	gossh "golang.org/x/crypto/ssh"

	"github.com/wantsms/wantsms/cmd/internal/service"
	"github.com/wantsms/wantsms/store"
)

// hostKeyTable is where the shared host key lives; on SQLite it is empty
// and the key is the data directory's file, which the move carries over.
const hostKeyTable = "ssh_host_key"

// runMigrateToPostgres moves the data directory's SQLite database into a
// new PostgreSQL database (store.CopyToPostgres), with the data
// directory's SSH host key, then runs check on both and prints them side
// by side: the row count of every table and what check found. It exits 1
// unless both match and both are sound.
func runMigrateToPostgres(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	l, err := parseTool("migrate-to-postgres", args, stderr, false, nil)
	if err != nil {
		return err
	}
	if l.databaseURL == "" {
		return usagef("--database-url (or WANTSMS_DATABASE_URL) names the new PostgreSQL database to fill")
	}
	file := filepath.Join(l.dir, service.DatabaseFile)
	if _, err := os.Stat(file); err != nil {
		return fmt.Errorf("no SQLite database to move: %w", err)
	}
	hostKey, err := dataDirHostKey(l.dir)
	if err != nil {
		return err
	}
	src, err := service.OpenStore(l.dir, "", store.Options{})
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := service.OpenStore(l.dir, l.databaseURL, store.Options{})
	if err != nil {
		return err
	}
	defer dst.Close()
	copied, err := store.CopyToPostgres(ctx, src, dst, hostKey)
	if err != nil {
		return err
	}
	var rows int64
	for _, c := range copied {
		rows += c.Rows
	}
	fmt.Fprintf(stdout, "copied %s to %s: %d tables, %d rows, ids kept, in one transaction\n",
		src.Path(), dst.Path(), len(copied), rows)
	if hostKey != nil {
		fmt.Fprintf(stdout, "ssh host key: %s is now kept in the database; every instance on it presents it\n",
			filepath.Join(l.dir, service.HostKeyFile))
	}
	return compareStores(ctx, src, dst, stdout)
}

// dataDirHostKey is the data directory's SSH host key, or nil when it has
// none (a server never started there).
func dataDirHostKey(dir string) ([]byte, error) {
	path := filepath.Join(dir, service.HostKeyFile)
	key, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ssh host key: %w", err)
	}
	if _, err := gossh.ParsePrivateKey(key); err != nil {
		return nil, fmt.Errorf("ssh host key %s: %w", path, err)
	}
	return key, nil
}

// compareStores runs check on both stores and prints, side by side, the
// rows of every table and what check found; an error unless every table
// but the host key's has as many rows on both and both are sound.
func compareStores(ctx context.Context, src, dst *store.Store, stdout io.Writer) error {
	a, err := src.RowCounts(ctx)
	if err != nil {
		return err
	}
	b, err := dst.RowCounts(ctx)
	if err != nil {
		return err
	}
	ra, err := src.Check(ctx)
	if err != nil {
		return err
	}
	rb, err := dst.Check(ctx)
	if err != nil {
		return err
	}
	var table strings.Builder
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "\ntable\t%s\t%s\t\n", src.Backend(), dst.Backend())
	var differ []string
	for _, t := range slices.Sorted(maps.Keys(a)) {
		note := ""
		switch {
		case t == hostKeyTable:
			note = "the SSH host key (SQLite's is the data directory's file)"
		case a[t] != b[t]:
			note = "DIFFERS"
			differ = append(differ, t)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\n", t, a[t], b[t], note)
	}
	fmt.Fprintf(tw, "\ncheck\t%s\t%s\t\n", src.Backend(), dst.Backend())
	fmt.Fprintf(tw, "accounts\t%d\t%d\t\n", ra.Users, rb.Users)
	fmt.Fprintf(tw, "ledger rows\t%d\t%d\t\n", ra.LedgerRows, rb.LedgerRows)
	fmt.Fprintf(tw, "integrity\t%s\t%s\t\n", strings.Join(ra.Integrity, "; "), strings.Join(rb.Integrity, "; "))
	fmt.Fprintf(tw, "problems\t%d\t%d\t(wantsms check lists them)\n", problems(ra), problems(rb))
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, line := range strings.SplitAfter(table.String(), "\n") {
		fmt.Fprint(stdout, strings.TrimRight(line, " \n")+strings.Repeat("\n", strings.Count(line, "\n")))
	}
	switch {
	case len(differ) > 0:
		return fmt.Errorf("the databases differ in %s", strings.Join(differ, ", "))
	case ra.Users != rb.Users || ra.LedgerRows != rb.LedgerRows:
		return errors.New("check counts differ between the databases")
	case !ra.OK() || !rb.OK():
		return errors.New("check found problems (run wantsms check on each)")
	}
	fmt.Fprintln(stdout, "\nboth hold the same rows and pass check: start the instances with --database-url "+
		"(keep the SQLite file as the backup of the moment)")
	return nil
}

// problems counts what check found wrong.
func problems(r store.CheckReport) int {
	return len(r.ForeignKey) + len(r.Mismatches) + len(r.Orders) + len(r.References)
}
