// Package e2e holds WantSMS's end-to-end tests: the real service started by
// cmd/internal/testenv on loopback ports, driven by a real SSH client that
// requests a PTY, types keys and reads the screen.
//
// The package is tests only: each test file starts the service through
// testenv and checks what a person, a script, a payment processor or an
// attacker sees, reaching into the store only to check the books.
//
// May import from this repository (its tests): billing, cmd/internal/apiauth,
// billing/blockonomicsfake, billing/stripemock, billing/stripetest,
// cmd/internal/service, cmd/internal/sshterm, cmd/internal/testenv,
// cmd/internal/v1api, cmd/internal/v1api/openapicheck,
// cmd/internal/mail/smtptest, provider, provider/engine, provider/fivesim/fake, provider/sim,
// provider/smsactivate, provider/smsactivate/fake, store, store/metrics, store/storetest,
// tui/privacy.
package e2e
