// Package billing owns credits for money: the credit packs and how a typed
// amount is read, the Stripe Checkout and Blockonomics (Bitcoin) clients that
// talk to the payment processors, the verification of what they call back
// with, and the pure rules that turn a received payment into credits.
//
// Money is integer US cents everywhere (one credit is one cent); no float
// ever holds an amount. Fulfilment into the ledger is built on top of the
// processor-facing API in this package.
package billing
