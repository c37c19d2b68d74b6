-- Numbers: reservations of phone numbers and the SMS they receive.
-- Times are Unix seconds (UTC). Money: price_cents is what the user paid
-- (integer US cents); cost_micros is what the provider charged us
-- (millionths of a US dollar, for sub-cent upstream prices).

CREATE TABLE reservations (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    service      TEXT    NOT NULL, -- canonical service code, e.g. "telegram"
    country      TEXT    NOT NULL, -- ISO 3166-1 alpha-2, lower case
    phone        TEXT    NOT NULL, -- E.164
    provider     TEXT    NOT NULL, -- the provider's configured name
    provider_ref TEXT    NOT NULL, -- the provider's activation id
    simulated    INTEGER NOT NULL DEFAULT 0 CHECK (simulated IN (0, 1)),
    cost_micros  INTEGER NOT NULL CHECK (cost_micros >= 0),
    price_cents  INTEGER NOT NULL CHECK (price_cents > 0),
    state        TEXT    NOT NULL CHECK (state IN ('active', 'received', 'finished', 'cancelled', 'expired', 'failed')),
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    cancel_after INTEGER NOT NULL, -- the early-cancel guard ends here
    ended_at     INTEGER,
    -- Set in the same transaction as the refund's ledger row
    -- (kind 'refund', reference 'res:<id>'), which is unique: at most once.
    refunded     INTEGER NOT NULL DEFAULT 0 CHECK (refunded IN (0, 1)),
    CHECK ((state IN ('active', 'received')) = (ended_at IS NULL))
) STRICT;

CREATE INDEX reservations_user ON reservations (user_id, id);
CREATE INDEX reservations_open ON reservations (expires_at) WHERE ended_at IS NULL;
CREATE INDEX reservations_user_open ON reservations (user_id) WHERE ended_at IS NULL;
CREATE INDEX reservations_ref ON reservations (provider, provider_ref);

CREATE TABLE messages (
    id             INTEGER PRIMARY KEY,
    reservation_id INTEGER NOT NULL REFERENCES reservations (id) ON DELETE CASCADE,
    provider_id    TEXT    NOT NULL, -- stable per SMS: polls and pushes of one SMS share it
    sender         TEXT    NOT NULL DEFAULT '',
    body           TEXT    NOT NULL,
    code           TEXT    NOT NULL DEFAULT '',
    received_at    INTEGER NOT NULL,
    UNIQUE (reservation_id, provider_id)
) STRICT;
