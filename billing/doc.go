// Package billing owns credits for money: the credit packs and how a typed
// amount is read, the Stripe Checkout and Blockonomics (Bitcoin) clients that
// talk to the payment processors, the verification of what they call back
// with, and the pure rules that turn a received payment into credits.
//
// Payments (payments.go, fulfil.go, pages.go) ties them to the store: it
// opens top-up orders, serves the webhooks, the short payment links and the
// return pages, and turns money received into credits exactly once — every
// credit is one store transaction guarded by the order's status, the
// processed event ids and the ledger's unique references.
//
// Money is integer US cents everywhere (one credit is one cent); no float
// ever holds an amount.
//
// Below billing sits only the store: the dashboard, the commands and the
// HTTP listener call it, never the other way round.
//
// May import from this repository: store, store/metrics, store/webpage.
package billing
