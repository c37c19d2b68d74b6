// Package v1api is WantSMS's JSON API under /v1 on the HTTP listener: the
// balance; services, countries, operators and prices with their stock;
// reservations (create, get, list the open ones, cancel, finish, another
// SMS, and a long poll that answers at the reservation's next change);
// the history; top-up orders, and opening a card or Bitcoin top-up. Its
// OpenAPI 3.1 document is served at /v1/openapi.json, built from an
// embedded file and the table of error codes.
//
// It owns the routes, the JSON shapes, the error codes and their HTTP
// statuses, and nothing else: every rule (prices, limits, the cancel
// guard, suspension, refunds, top-up amounts) is the engine's, the
// store's or the payment desk's, reached through the same methods the
// dashboard and the SSH commands call, and every refusal carries the
// message the dashboard shows for it. The balance, the catalogue and the
// reservations have the shapes the SSH commands print with --json, field
// for field (an end-to-end test holds a reservation to `status --json`);
// an order carries how to pay it as `topup --json` does.
//
// The purchases (a reservation, a rental, an extension, a top-up) take an
// Idempotency-Key header: sent again with it, a purchase is not made
// again, and the first answer comes back (idempotency.go; the keys are
// the store's).
//
// Requests authenticate with an API key in a header (Authorization:
// Bearer KEY) through cmd/internal/apiauth, which every HTTP API shares:
// one key, one revocation and one rate limit mean the same everywhere.
//
// May import from this repository: billing, cmd/internal/apiauth,
// provider, provider/engine, store, tui/sanitize, tui/wording.
package v1api
