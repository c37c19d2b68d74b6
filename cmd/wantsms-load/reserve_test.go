package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/wantsms/wantsms/store"
)

// The reserve mode makes exactly the reservations it was asked for, each
// debited with its ledger row (the books hold after), inserts as many raw
// rows, and reports both rates and their ratio.
func TestReserveModeMeasuresBothRates(t *testing.T) {
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"reserve", "--dir", dir, "--reservations", "60", "--workers", "4",
		"--json"}, &out, &errOut); code != exitOK {
		t.Fatalf("reserve: exit %d: %s", code, errOut.String())
	}
	var rep reserveReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if rep.Reservations != 60 || rep.Failed != 0 || rep.ReservePerSec <= 0 || rep.RawInsertsSec <= 0 ||
		rep.Ratio <= 0 || rep.Latency.Count != 60 {
		t.Fatalf("report %+v", rep)
	}
	st, err := store.Open(filepath.Join(dir, "wantsms.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	g, err := st.ReadGauges(context.Background())
	if err != nil || g.ReservationsByState[store.ResActive] != 60 || len(g.ReservationsByState) != 1 {
		t.Fatalf("reservations in the database %v (%v), want 60 active", g.ReservationsByState, err)
	}
	if rep, err := st.Check(context.Background()); err != nil || !rep.OK() {
		t.Fatalf("check: %+v %v", rep, err)
	}
	if code := run(context.Background(), []string{"reserve", "--workers", "0"}, &out, &errOut); code != exitUsage {
		t.Fatalf("--workers 0: exit %d", code)
	}
}
