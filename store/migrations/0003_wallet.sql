-- Wallet: top-up orders paid by card (Stripe Checkout) or Bitcoin
-- (Blockonomics), the Bitcoin transactions seen for them, and the Stripe
-- events already processed. These are the payment records of the privacy
-- policy (§6): no card data, no email, only processor references.
-- Times are Unix seconds (UTC). Money is integer US cents.

CREATE TABLE orders (
    id              INTEGER PRIMARY KEY,
    -- Internal order number: random, unguessable, shown to the person, used
    -- in the short payment link, as Stripe's client_reference_id and as the
    -- ledger reference of its credit.
    number          TEXT    NOT NULL UNIQUE,
    -- No ON DELETE: an account is never deleted, it is tombstoned (email and
    -- password cleared, deleted_at set), so orders stay for accounting,
    -- attached to an anonymous row.
    user_id         INTEGER NOT NULL REFERENCES users (id),
    processor       TEXT    NOT NULL CHECK (processor IN ('stripe', 'blockonomics')),
    status          TEXT    NOT NULL DEFAULT 'created'
                            CHECK (status IN ('created', 'pending', 'paid', 'failed', 'expired')),
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

CREATE INDEX orders_user ON orders (user_id, id);
CREATE INDEX orders_open ON orders (status, expires_at) WHERE status IN ('created', 'pending');

-- One row per Bitcoin transaction paying one of our addresses, with the
-- latest state Blockonomics reported. Credited once, when confirmed.
CREATE TABLE btc_payments (
    txid           TEXT    NOT NULL,
    addr           TEXT    NOT NULL,
    order_id       INTEGER NOT NULL REFERENCES orders (id),
    status         INTEGER NOT NULL CHECK (status BETWEEN -1 AND 2),
    value_sats     INTEGER NOT NULL CHECK (value_sats >= 0),
    rbf            INTEGER NOT NULL DEFAULT 0 CHECK (rbf IN (0, 1)),
    credited_cents INTEGER,  -- NULL until confirmed and credited
    first_seen_at  INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    PRIMARY KEY (txid, addr)
) STRICT;

CREATE INDEX btc_payments_order ON btc_payments (order_id);

-- Stripe events already processed: a redelivery is answered at once and
-- changes nothing. Pruned after a month (Stripe retries for three days).
CREATE TABLE stripe_events (
    id          TEXT    PRIMARY KEY,
    type        TEXT    NOT NULL,
    order_id    INTEGER REFERENCES orders (id),
    received_at INTEGER NOT NULL
) STRICT;

CREATE INDEX stripe_events_received ON stripe_events (received_at);
