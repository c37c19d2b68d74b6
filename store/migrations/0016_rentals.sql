-- Rentals: a number rented for days (1, 7, 14 or 30) that receives any
-- number of SMS until it ends, its extensions and its SMS. Times are Unix
-- seconds (UTC); money as in reservations: price_cents what the person
-- paid (integer US cents), cost_micros what the provider charged us.
--
-- Every id here is named by something that outlives the row (ledger
-- references "rent:N" and "rentext:N", relayed events, people's exports),
-- so each table is AUTOINCREMENT from the start: an id is never handed
-- out twice, also after an account deletion or the purge removed rows.

CREATE TABLE rentals (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    service       TEXT    NOT NULL, -- canonical service code, e.g. "telegram"
    country       TEXT    NOT NULL, -- ISO 3166-1 alpha-2, lower case
    phone         TEXT    NOT NULL, -- E.164
    provider      TEXT    NOT NULL, -- the provider's configured name; '' once scrubbed
    provider_ref  TEXT    NOT NULL, -- the provider's rental id; '' once scrubbed
    simulated     INTEGER NOT NULL DEFAULT 0 CHECK (simulated IN (0, 1)),
    cost_micros   INTEGER NOT NULL CHECK (cost_micros >= 0), -- the first period's; extensions have their own
    price_cents   INTEGER NOT NULL CHECK (price_cents > 0),  -- the first period's; debited as 'rent', 'rent:<id>'
    days          INTEGER NOT NULL CHECK (days > 0),         -- the first period
    -- active until it ends, once: ended (its time ran out, or it was
    -- finished), cancelled (given back in its cancel window without an
    -- SMS: refunded in full) or failed (the provider ended it before its
    -- time: the unused part refunded).
    state         TEXT    NOT NULL CHECK (state IN ('active', 'ended', 'cancelled', 'failed')),
    created_at    INTEGER NOT NULL,
    ends_at       INTEGER NOT NULL, -- moved by each extension
    cancel_until  INTEGER NOT NULL, -- a cancel is refused from then on (CANT_CANCEL)
    -- The end (ends_at) whose notice was given: the next is due only once
    -- an extension moved the end.
    notice_for    INTEGER,
    ended_at      INTEGER,
    -- Set in the same transaction as the refund's ledger row (kind
    -- 'rent_refund', reference 'rent:<id>'), which is unique: at most once.
    refund_cents  INTEGER NOT NULL DEFAULT 0 CHECK (refund_cents >= 0),
    CHECK ((state = 'active') = (ended_at IS NULL)),
    CHECK (refund_cents = 0 OR state IN ('cancelled', 'failed'))
) STRICT;

CREATE INDEX rentals_user ON rentals (user_id, id);
CREATE INDEX rentals_open ON rentals (ends_at) WHERE ended_at IS NULL;
CREATE INDEX rentals_ref ON rentals (provider, provider_ref);
CREATE INDEX rentals_ended ON rentals (ended_at) WHERE ended_at IS NOT NULL;
-- Last: the purge's scrub of details goes through it.
CREATE INDEX rentals_details ON rentals (ended_at) WHERE ended_at IS NOT NULL AND provider_ref <> '';

-- Each extension: debited as 'rent_extend', 'rentext:<id>'. One the
-- provider refused is refunded ('rent_refund', 'rentext:<id>') and its
-- time taken off the rental again, in one transaction.
CREATE TABLE rental_extensions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    rental_id   INTEGER NOT NULL REFERENCES rentals (id) ON DELETE CASCADE,
    days        INTEGER NOT NULL CHECK (days > 0),
    seconds     INTEGER NOT NULL CHECK (seconds > 0), -- what it added to ends_at
    price_cents INTEGER NOT NULL CHECK (price_cents > 0),
    cost_micros INTEGER NOT NULL CHECK (cost_micros >= 0),
    refunded    INTEGER NOT NULL DEFAULT 0 CHECK (refunded IN (0, 1)),
    created_at  INTEGER NOT NULL
) STRICT;

CREATE INDEX rental_extensions_rental ON rental_extensions (rental_id, id);

-- The SMS a rental received, as messages are for reservations.
CREATE TABLE rental_messages (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    rental_id   INTEGER NOT NULL REFERENCES rentals (id) ON DELETE CASCADE,
    provider_id TEXT    NOT NULL, -- stable per SMS: polls of one SMS share it
    sender      TEXT    NOT NULL DEFAULT '',
    body        TEXT    NOT NULL,
    code        TEXT    NOT NULL DEFAULT '',
    received_at INTEGER NOT NULL,
    UNIQUE (rental_id, provider_id)
) STRICT;
