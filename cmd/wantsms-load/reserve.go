package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/provider/engine"
	"github.com/wantsms/wantsms/provider/sim"
	"github.com/wantsms/wantsms/store"
)

// reserveConfig is the reserve mode: how many reservations, by how many
// workers (one account each), in which directory.
type reserveConfig struct {
	Dir          string
	Reservations int
	Workers      int
	JSON         bool
}

// reserveReport is what the reserve mode measured: the engine's reserve
// (offer, sim purchase, one durable transaction with the ledger row)
// against plain SQLite inserts on the same disk with the same durability,
// one transaction each, in the same run.
type reserveReport struct {
	Reservations   int     `json:"reservations"`
	Workers        int     `json:"workers"`
	ReservePerSec  float64 `json:"reserve_per_second"`
	RawInsertsSec  float64 `json:"raw_inserts_per_second"`
	Ratio          float64 `json:"ratio"`
	Latency        Latency `json:"latency"`
	LatencyP50Ms   float64 `json:"latency_p50_ms"`
	LatencyP99Ms   float64 `json:"latency_p99_ms"`
	Failed         int64   `json:"failed"`
	DatabaseOnDisk string  `json:"database"`
}

func runReserve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("reserve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c reserveConfig
	fs.StringVar(&c.Dir, "dir", "", "directory for the two databases (default: a new temporary one, removed after)")
	fs.IntVar(&c.Reservations, "reservations", 20_000, "reservations to make (and raw rows to insert)")
	fs.IntVar(&c.Workers, "workers", 64, "reserving at once, each for an account of its own")
	fs.BoolVar(&c.JSON, "json", false, "print the report as JSON")
	if err := fs.Parse(args); err != nil {
		return usagef("%v", err)
	}
	if c.Reservations < 1 || c.Workers < 1 || c.Workers > 10_000 {
		return usagef("--reservations must be at least 1 and --workers from 1 to 10000")
	}
	if c.Dir == "" {
		dir, err := os.MkdirTemp("", "wantsms-reserve-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		c.Dir = dir
	}
	rep, err := measureReserve(ctx, c)
	if err != nil {
		return err
	}
	if c.JSON {
		return json.NewEncoder(stdout).Encode(rep)
	}
	return writeReserveReport(stdout, rep)
}

// measureReserve runs the engine's reservations, then the raw inserts.
func measureReserve(ctx context.Context, c reserveConfig) (reserveReport, error) {
	rep := reserveReport{Reservations: c.Reservations, Workers: c.Workers,
		DatabaseOnDisk: filepath.Join(c.Dir, "wantsms.db")}
	lat, failed, elapsed, err := reserveMany(ctx, c)
	if err != nil {
		return rep, err
	}
	rep.Failed = failed
	rep.ReservePerSec = float64(c.Reservations) / elapsed.Seconds()
	rep.Latency = summarise(lat)
	rep.LatencyP50Ms = float64(rep.Latency.P50) / float64(time.Millisecond)
	rep.LatencyP99Ms = float64(rep.Latency.P99) / float64(time.Millisecond)
	raw, err := rawInserts(ctx, filepath.Join(c.Dir, "raw.db"), c.Reservations, c.Workers)
	if err != nil {
		return rep, err
	}
	rep.RawInsertsSec = float64(c.Reservations) / raw.Seconds()
	rep.Ratio = rep.ReservePerSec / rep.RawInsertsSec
	return rep, nil
}

// reserveMany reserves c.Reservations numbers through the engine over the
// simulator, c.Workers at once, and times each.
func reserveMany(ctx context.Context, c reserveConfig) ([]time.Duration, int64, time.Duration, error) {
	st, err := store.Open(filepath.Join(c.Dir, "wantsms.db"), store.Options{})
	if err != nil {
		return nil, 0, 0, err
	}
	defer st.Close()
	users, err := reserveAccounts(ctx, st, c)
	if err != nil {
		return nil, 0, 0, err
	}
	sm := sim.New(sim.Options{NeverShare: 1, Lifetime: time.Hour})
	defer sm.Close()
	router := provider.NewRouter(provider.RouterConfig{})
	if err := router.Add(sm, provider.Route{Enabled: true}); err != nil {
		return nil, 0, 0, err
	}
	eng := engine.New(st, router, engine.Config{MaxOpen: 1 << 30, Lifetime: time.Hour})
	if err := eng.Start(ctx); err != nil {
		return nil, 0, 0, err
	}
	defer eng.Close()
	pick := provider.Pick{Service: "telegram", Country: "gb"}
	o, ok := eng.Quote(ctx, pick)
	if !ok {
		return nil, 0, 0, fmt.Errorf("the simulator sells no %s number in %s", pick.Service, pick.Country)
	}
	var next, failed atomic.Int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	var lat []time.Duration
	start := time.Now()
	for _, uid := range users {
		wg.Go(func() {
			var mine []time.Duration
			for next.Add(1) <= int64(c.Reservations) && ctx.Err() == nil {
				t := time.Now()
				if _, err := eng.ReservePick(ctx, uid, o.Pick(), o.SellCents); err != nil {
					failed.Add(1)
					continue
				}
				mine = append(mine, time.Since(t))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	return lat, failed.Load(), time.Since(start), ctx.Err()
}

// reserveAccounts makes one funded account per worker.
func reserveAccounts(ctx context.Context, st *store.Store, c reserveConfig) ([]int64, error) {
	all, err := generateAccounts(nil, c.Workers)
	if err != nil {
		return nil, err
	}
	if _, err := st.SeedLoadTestAccounts(ctx, randomPassword(), loadTestAccounts(all)); err != nil {
		return nil, err
	}
	emails := make([]string, len(all))
	for i, a := range all {
		emails[i] = a.Email
	}
	if _, err := st.TopUpLoadTestAccounts(ctx, emails, 1<<40); err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(emails))
	for _, e := range emails {
		u, err := st.UserByEmail(ctx, e)
		if err != nil {
			return nil, err
		}
		ids = append(ids, u.ID)
	}
	return ids, nil
}

// rawInserts inserts n rows shaped like a reservation into a fresh SQLite
// file with the store's durability (write-ahead log, a sync at every
// commit, one writer), one transaction each, from workers goroutines:
// what the disk and SQLite allow, for the engine to be measured against.
func rawInserts(ctx context.Context, path string, n, workers int) (time.Duration, error) {
	db, err := sql.Open("sqlite", path+"?_journal_mode=wal&_synchronous=full&_busy_timeout=10000&_txlock=immediate")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `CREATE TABLE raw (id INTEGER PRIMARY KEY AUTOINCREMENT, user_id INTEGER,
		service TEXT, country TEXT, phone TEXT, price_cents INTEGER, created_at INTEGER)`); err != nil {
		return 0, fmt.Errorf("raw table: %w", err)
	}
	var next atomic.Int64
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range workers {
		wg.Go(func() {
			for i := next.Add(1); i <= int64(n) && ctx.Err() == nil; i = next.Add(1) {
				if _, err := db.ExecContext(ctx, `INSERT INTO raw (user_id, service, country, phone, price_cents, created_at)
					VALUES (?, 'telegram', 'gb', '+447700900123', 45, ?)`, w, time.Now().Unix()); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	if err := <-errs; err != nil {
		return 0, fmt.Errorf("raw insert: %w", err)
	}
	return elapsed, ctx.Err()
}

func writeReserveReport(w io.Writer, r reserveReport) error {
	lines := []string{
		fmt.Sprintf("%d reservations by %d workers (sim provider, %s)", r.Reservations, r.Workers, r.DatabaseOnDisk),
		fmt.Sprintf("reserve → debit, durable: %.0f /s (p50 %.1f ms, p99 %.1f ms, %d failed)",
			r.ReservePerSec, r.LatencyP50Ms, r.LatencyP99Ms, r.Failed),
		fmt.Sprintf("raw SQLite inserts, same durability: %.0f /s", r.RawInsertsSec),
		fmt.Sprintf("ratio: %.0f %% of the raw rate", r.Ratio*100),
	}
	for _, l := range lines {
		if _, err := fmt.Fprintln(w, l); err != nil {
			return err
		}
	}
	return nil
}
