-- migrate: rebuild
-- Ids are never handed out twice. Without AUTOINCREMENT SQLite gives a new
-- row the highest id in use plus one, so deleting the newest rows (an
-- account deletion, the retention purge, relay pruning) frees their ids
-- for the next rows, while the ledger ("res:42"), the audit trail
-- ("thread:7"), the relay cursor, people's exports and unread markers
-- still name the old ones: a new reservation that got a deleted one's id
-- found its debit's reference already used and was never debited.
--
-- Every table whose rows are deleted and whose ids something else names is
-- rebuilt with AUTOINCREMENT, unchanged otherwise (columns, CHECKs,
-- comments, indexes in their order). Not rebuilt: users, ledger and
-- admin_audit lose no rows (an account is tombstoned, never deleted);
-- orders is rebuilt by a migration of its own; the other tables are keyed
-- by text.
--
-- Each table's sequence then starts above every id still named anywhere,
-- so that a database that already lost rows never re-issues their ids.

-- Reservations, named by ledger references and audit targets ("res:N")
-- and relayed events; deleted with an account and by the retention purge.
CREATE TABLE reservations_new (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
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
INSERT INTO reservations_new SELECT * FROM reservations;
DROP TABLE reservations;
ALTER TABLE reservations_new RENAME TO reservations;

CREATE INDEX reservations_user ON reservations (user_id, id);
CREATE INDEX reservations_open ON reservations (expires_at) WHERE ended_at IS NULL;
CREATE INDEX reservations_user_open ON reservations (user_id) WHERE ended_at IS NULL;
CREATE INDEX reservations_ref ON reservations (provider, provider_ref);
CREATE INDEX reservations_created ON reservations (created_at);
CREATE INDEX reservations_state ON reservations (state);
CREATE INDEX reservations_ended ON reservations (ended_at) WHERE ended_at IS NOT NULL;
-- Last: see TestPurgeQueriesUseTheirIndexes.
CREATE INDEX reservations_details ON reservations (ended_at)
    WHERE ended_at IS NOT NULL AND provider_ref <> '';

-- SMS, deleted with their reservations; a purged one's provider id is
-- made from its own id ("purged:N").
CREATE TABLE messages_new (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    reservation_id INTEGER NOT NULL REFERENCES reservations (id) ON DELETE CASCADE,
    provider_id    TEXT    NOT NULL, -- stable per SMS: polls and pushes of one SMS share it
    sender         TEXT    NOT NULL DEFAULT '',
    body           TEXT    NOT NULL,
    code           TEXT    NOT NULL DEFAULT '',
    received_at    INTEGER NOT NULL,
    UNIQUE (reservation_id, provider_id)
) STRICT;
INSERT INTO messages_new SELECT * FROM messages;
DROP TABLE messages;
ALTER TABLE messages_new RENAME TO messages;

-- Support threads, named by audit targets ("thread:N") and relayed
-- events; deleted with an account.
CREATE TABLE support_threads_new (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    status       TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    -- The newest message the owner has seen; replies after it are unread.
    user_seen_id INTEGER NOT NULL DEFAULT 0
) STRICT;
INSERT INTO support_threads_new SELECT * FROM support_threads;
DROP TABLE support_threads;
ALTER TABLE support_threads_new RENAME TO support_threads;

CREATE INDEX support_threads_user ON support_threads (user_id, id);
CREATE INDEX support_threads_status ON support_threads (status, updated_at);

-- Support messages, named by the threads' unread markers (user_seen_id);
-- deleted with their threads.
CREATE TABLE support_messages_new (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    thread_id  INTEGER NOT NULL REFERENCES support_threads (id) ON DELETE CASCADE,
    from_staff INTEGER NOT NULL CHECK (from_staff IN (0, 1)),
    staff_id   INTEGER REFERENCES users (id),
    body       TEXT    NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
INSERT INTO support_messages_new SELECT * FROM support_messages;
DROP TABLE support_messages;
ALTER TABLE support_messages_new RENAME TO support_messages;

CREATE INDEX support_messages_thread ON support_messages (thread_id, id);

-- SSH keys, removed one by one or with an account; the key list a
-- session shows names them by id.
CREATE TABLE ssh_keys_new (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    fingerprint  TEXT    NOT NULL UNIQUE, -- "SHA256:…" as ssh-keygen prints it
    public_key   TEXT    NOT NULL,        -- authorized_keys form, without comment
    name         TEXT    NOT NULL,
    added_at     INTEGER NOT NULL,
    last_used_at INTEGER
) STRICT;
INSERT INTO ssh_keys_new SELECT * FROM ssh_keys;
DROP TABLE ssh_keys;
ALTER TABLE ssh_keys_new RENAME TO ssh_keys;

CREATE INDEX ssh_keys_user ON ssh_keys (user_id);

-- Security events, purged after 180 days and with an account.
CREATE TABLE security_events_new (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id        INTEGER REFERENCES users (id) ON DELETE CASCADE,
    kind           TEXT    NOT NULL,
    remote_addr    TEXT    NOT NULL DEFAULT '',
    client_version TEXT    NOT NULL DEFAULT '',
    detail         TEXT    NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL
) STRICT;
INSERT INTO security_events_new SELECT * FROM security_events;
DROP TABLE security_events;
ALTER TABLE security_events_new RENAME TO security_events;

CREATE INDEX security_events_user ON security_events (user_id, created_at);
CREATE INDEX security_events_addr ON security_events (remote_addr, created_at);
CREATE INDEX security_events_created ON security_events (created_at);

-- Events written by another process on the same database (the command-line
-- tools: `wantsms credit`, `admin grant`), relayed to the serving process's
-- live sessions. Rows are consumed within seconds and pruned after an hour;
-- the serving process reads on from the last id it relayed, so an id
-- handed out again after pruning would never be relayed.
CREATE TABLE event_relay_new (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL,
    kind       TEXT    NOT NULL,
    ref        INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
) STRICT;
INSERT INTO event_relay_new SELECT * FROM event_relay;
DROP TABLE event_relay;
ALTER TABLE event_relay_new RENAME TO event_relay;

-- The sequences: above every id still named anywhere. A table left empty
-- has no sequence row yet.
INSERT INTO sqlite_sequence (name, seq)
    SELECT t.name, 0 FROM (SELECT 'reservations' AS name UNION ALL SELECT 'messages'
        UNION ALL SELECT 'support_threads' UNION ALL SELECT 'support_messages' UNION ALL SELECT 'ssh_keys'
        UNION ALL SELECT 'security_events' UNION ALL SELECT 'event_relay') t
    WHERE t.name NOT IN (SELECT name FROM sqlite_sequence);

UPDATE sqlite_sequence SET seq = max(seq,
    (SELECT COALESCE(MAX(CAST(substr(reference, 5) AS INTEGER)), 0) FROM ledger
        WHERE reference GLOB 'res:[0-9]*'),
    (SELECT COALESCE(MAX(CAST(substr(target, 5) AS INTEGER)), 0) FROM admin_audit
        WHERE target GLOB 'res:[0-9]*'),
    (SELECT COALESCE(MAX(ref), 0) FROM event_relay WHERE kind IN ('reservation', 'message')))
WHERE name = 'reservations';

UPDATE sqlite_sequence SET seq = max(seq,
    (SELECT COALESCE(MAX(CAST(substr(target, 8) AS INTEGER)), 0) FROM admin_audit
        WHERE target GLOB 'thread:[0-9]*'),
    (SELECT COALESCE(MAX(ref), 0) FROM event_relay WHERE kind = 'support'))
WHERE name = 'support_threads';

UPDATE sqlite_sequence SET seq = max(seq,
    (SELECT COALESCE(MAX(user_seen_id), 0) FROM support_threads))
WHERE name = 'support_messages';
