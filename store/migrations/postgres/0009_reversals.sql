-- Money in question and money taken back. A card payment whose amount,
-- currency or mode differs from its order waits in 'review' for an admin;
-- a refunded or disputed card payment takes its credits back, and what
-- the balance no longer holds becomes a debt the account settles before it
-- reserves again. (SQLite rebuilds orders to change its CHECK; here the
-- constraint is replaced in place.)

-- review: paid, but not as ordered (amount, currency or test/live mode):
-- nothing credited until an admin settles it. refunded and disputed: the
-- processor took the money back, and so did we.
ALTER TABLE orders DROP CONSTRAINT orders_status_check;
ALTER TABLE orders ADD CONSTRAINT orders_status_check
    CHECK (status IN ('created', 'pending', 'paid', 'failed', 'expired', 'review', 'refunded', 'disputed'));

-- What Stripe refunded and what is disputed of the charge, in its smallest
-- currency unit, as last reported (both only grow), and the credits taken
-- back for them: each taking is one ledger row of kind 'reversal'.
ALTER TABLE orders ADD COLUMN refunded_cents BIGINT NOT NULL DEFAULT 0 CHECK (refunded_cents >= 0);
ALTER TABLE orders ADD COLUMN disputed_cents BIGINT NOT NULL DEFAULT 0 CHECK (disputed_cents >= 0);
ALTER TABLE orders ADD COLUMN reversed BIGINT NOT NULL DEFAULT 0 CHECK (reversed >= 0 AND reversed <= credited);

-- What an account owes: credits taken back (a refund, a dispute) beyond
-- what its balance still held. A balance and a debt are never both above
-- zero: every credit pays the debt first. The ledger sums to the balance
-- minus the debt.
ALTER TABLE users ADD COLUMN debt_cents BIGINT NOT NULL DEFAULT 0
    CHECK (debt_cents >= 0 AND (debt_cents = 0 OR balance_cents = 0));

-- Bitcoin callbacks that could not be checked: a credit rests on what
-- Blockonomics' own transaction lookup says, never on a callback's word,
-- and when the lookup fails the claim waits here until the reconcile poll
-- checks it (Blockonomics also calls again). Dropped once checked, or
-- after a week; at most a few per order.
CREATE TABLE btc_claims (
    txid       TEXT    NOT NULL,
    addr       TEXT    NOT NULL,
    order_id   BIGINT  NOT NULL REFERENCES orders (id),
    claimed_at BIGINT  NOT NULL,
    PRIMARY KEY (txid, addr)
);

CREATE INDEX btc_claims_claimed ON btc_claims (claimed_at);
