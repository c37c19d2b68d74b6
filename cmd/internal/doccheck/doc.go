// Package doccheck keeps the repository's own documentation true. Its
// tests read the source tree and README.md and fail when they drift
// apart: every package carries one package doc that names what it may
// import from this repository, and imports nothing else; README's Layout
// names every package; README's links lead to files that exist; README
// names the Stripe API version the pinned stripe-go sends; and nothing
// cites a document that is not in the repository.
//
// The package is tests only; it has no code of its own.
//
// May import from this repository (its tests): billing (the Stripe events
// the README must name).
package doccheck
