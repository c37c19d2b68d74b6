-- migrate: rebuild
-- Money in question and money taken back. A card payment whose amount,
-- currency or mode differs from its order waits in 'review' for an admin;
-- a refunded or disputed card payment takes its credits back, and what
-- the balance no longer holds becomes a debt the account settles before it
-- reserves again. Orders are rebuilt (SQLite changes a CHECK only by
-- copying the table), and get AUTOINCREMENT on the way: an order id is
-- never handed out twice.

CREATE TABLE orders_new (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    -- Internal order number: random, unguessable, shown to the person, used
    -- in the short payment link, as Stripe's client_reference_id and as the
    -- ledger reference of its credit.
    number          TEXT    NOT NULL UNIQUE,
    -- No ON DELETE: an account is never deleted, it is tombstoned (email and
    -- password cleared, deleted_at set), so orders stay for accounting,
    -- attached to an anonymous row.
    user_id         INTEGER NOT NULL REFERENCES users (id),
    processor       TEXT    NOT NULL CHECK (processor IN ('stripe', 'blockonomics')),
    -- review: paid, but not as ordered (amount, currency or test/live
    -- mode): nothing credited until an admin settles it. refunded and
    -- disputed: the processor took the money back, and so did we.
    status          TEXT    NOT NULL DEFAULT 'created'
                            CHECK (status IN ('created', 'pending', 'paid', 'failed', 'expired',
                                              'review', 'refunded', 'disputed')),
    credits         INTEGER NOT NULL CHECK (credits > 0),        -- credits ordered (1 credit = 1 US cent)
    credited        INTEGER NOT NULL DEFAULT 0 CHECK (credited >= 0), -- credits added so far
    amount_cents    INTEGER NOT NULL CHECK (amount_cents > 0),   -- price asked
    currency        TEXT    NOT NULL DEFAULT 'usd',
    -- Stripe: the Checkout Session, its payment page while open, the
    -- PaymentIntent once paid (refunds, disputes), what Stripe charged.
    session_id      TEXT    UNIQUE,
    checkout_url    TEXT,
    payment_intent  TEXT,
    charged_cents   INTEGER,
    charged_currency TEXT,
    livemode        INTEGER CHECK (livemode IN (0, 1)),
    -- What Stripe refunded and what is disputed of the charge, in its
    -- smallest currency unit, as last reported (both only grow), and the
    -- credits taken back for them: each taking is one ledger row of kind
    -- 'reversal'.
    refunded_cents  INTEGER NOT NULL DEFAULT 0 CHECK (refunded_cents >= 0),
    disputed_cents  INTEGER NOT NULL DEFAULT 0 CHECK (disputed_cents >= 0),
    reversed        INTEGER NOT NULL DEFAULT 0 CHECK (reversed >= 0 AND reversed <= credited),
    -- Blockonomics: the receiving address, the locked price (US cents per
    -- BTC), the satoshis quoted and the satoshis confirmed so far.
    btc_address     TEXT    UNIQUE,
    btc_price_cents INTEGER CHECK (btc_price_cents > 0),
    btc_expected_sats INTEGER CHECK (btc_expected_sats > 0),
    btc_received_sats INTEGER NOT NULL DEFAULT 0 CHECK (btc_received_sats >= 0),
    note            TEXT    NOT NULL DEFAULT '',  -- why the credit differs, or why it failed
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER,  -- Checkout page closes / BTC price lock ends
    paid_at         INTEGER,
    updated_at      INTEGER NOT NULL
) STRICT;

INSERT INTO orders_new (id, number, user_id, processor, status, credits, credited, amount_cents, currency,
    session_id, checkout_url, payment_intent, charged_cents, charged_currency, livemode,
    btc_address, btc_price_cents, btc_expected_sats, btc_received_sats, note, created_at, expires_at, paid_at,
    updated_at)
SELECT id, number, user_id, processor, status, credits, credited, amount_cents, currency,
    session_id, checkout_url, payment_intent, charged_cents, charged_currency, livemode,
    btc_address, btc_price_cents, btc_expected_sats, btc_received_sats, note, created_at, expires_at, paid_at,
    updated_at
FROM orders;

DROP TABLE orders;
ALTER TABLE orders_new RENAME TO orders;

CREATE INDEX orders_user ON orders (user_id, id);
CREATE INDEX orders_open ON orders (status, expires_at) WHERE status IN ('created', 'pending');
-- Gauges of /metrics count by state and status from these alone.
CREATE INDEX orders_status_processor ON orders (status, processor, id);
-- Order lookup by PaymentIntent (the session id and address are unique):
-- refunds and disputes name the PaymentIntent.
CREATE INDEX orders_payment_intent ON orders (payment_intent) WHERE payment_intent IS NOT NULL;

-- What an account owes: credits taken back (a refund, a dispute) beyond
-- what its balance still held. A balance and a debt are never both above
-- zero: every credit pays the debt first. The ledger sums to the balance
-- minus the debt.
ALTER TABLE users ADD COLUMN debt_cents INTEGER NOT NULL DEFAULT 0
    CHECK (debt_cents >= 0 AND (debt_cents = 0 OR balance_cents = 0));

-- Bitcoin callbacks that could not be checked: a credit rests on what
-- Blockonomics' own transaction lookup says, never on a callback's word,
-- and when the lookup fails the claim waits here until the reconcile poll
-- checks it (Blockonomics also calls again). Dropped once checked, or
-- after a week; at most a few per order.
CREATE TABLE btc_claims (
    txid       TEXT    NOT NULL,
    addr       TEXT    NOT NULL,
    order_id   INTEGER NOT NULL REFERENCES orders (id),
    claimed_at INTEGER NOT NULL,
    PRIMARY KEY (txid, addr)
) STRICT;

CREATE INDEX btc_claims_claimed ON btc_claims (claimed_at);
