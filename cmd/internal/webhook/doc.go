// Package webhook delivers the account events the store queued for
// people's webhooks: the worker that claims due deliveries with a lease
// and posts them, with retries on a doubling wait for 24 hours from the
// event (worker.go); the two bodies a webhook may ask for, ours signed
// with the account's secret and SMS-Activate's activation webhook
// (body.go); and the HTTP client that posts them (post.go): short
// timeouts, no redirect followed, at most a few kilobytes of answer read,
// and a connection only to a public address, checked on the very address
// it dials, whatever a name resolved to when the webhook was added.
//
// The store decides what is delivered, in the transaction of the event;
// this package only delivers, at least once: a server killed after the
// receiver answered and before the answer was recorded posts the event
// again once the lease ends, with the same event id
// (X-WantSMS-Event-Id), so the receiver can drop the copy.
//
// May import from this repository: provider (SMS-Activate's service and
// country codes), store, store/netaddr.
package webhook
