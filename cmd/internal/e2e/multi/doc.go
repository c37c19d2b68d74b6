// Package multi holds WantSMS's end-to-end tests of several instances on
// one PostgreSQL database: two services started by cmd/internal/testenv on
// loopback ports, one database of a throw-away cluster (one cluster per
// test binary, a database per test), driven by a real SSH client. What one
// instance commits must show live on a dashboard of the other.
//
// The tests are skipped, saying why, where PostgreSQL is not installed,
// unless WANTSMS_REQUIRE_POSTGRES=1 (CI).
//
// May import from this repository (its tests): cmd/internal/service,
// cmd/internal/sshterm, cmd/internal/testenv, provider, store, store/metrics.
package multi
