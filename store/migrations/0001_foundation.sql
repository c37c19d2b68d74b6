-- Foundation: accounts, their SSH keys, the money ledger and security events.
-- Times are Unix seconds (UTC). Money is integer US cents.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    -- Normalised (trimmed, lower-case). NULL once the account is deleted:
    -- the row stays as an anonymous anchor for the ledger.
    email         TEXT,
    password_hash TEXT,
    role          TEXT    NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
    balance_cents INTEGER NOT NULL DEFAULT 0 CHECK (balance_cents >= 0),
    created_at    INTEGER NOT NULL,
    banned_at     INTEGER,
    ban_reason    TEXT    NOT NULL DEFAULT '',
    deleted_at    INTEGER
) STRICT;

CREATE UNIQUE INDEX users_email ON users (email COLLATE NOCASE) WHERE email IS NOT NULL;

CREATE TABLE ssh_keys (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    fingerprint  TEXT    NOT NULL UNIQUE, -- "SHA256:…" as ssh-keygen prints it
    public_key   TEXT    NOT NULL,        -- authorized_keys form, without comment
    name         TEXT    NOT NULL,
    added_at     INTEGER NOT NULL,
    last_used_at INTEGER
) STRICT;

CREATE INDEX ssh_keys_user ON ssh_keys (user_id);

CREATE TABLE ledger (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    amount_cents INTEGER NOT NULL CHECK (amount_cents <> 0),
    kind         TEXT    NOT NULL,
    reference    TEXT    NOT NULL,
    note         TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    UNIQUE (kind, reference)
) STRICT;

CREATE INDEX ledger_user ON ledger (user_id, id);

CREATE TABLE security_events (
    id             INTEGER PRIMARY KEY,
    user_id        INTEGER REFERENCES users (id) ON DELETE CASCADE,
    kind           TEXT    NOT NULL,
    remote_addr    TEXT    NOT NULL DEFAULT '',
    client_version TEXT    NOT NULL DEFAULT '',
    detail         TEXT    NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL
) STRICT;

CREATE INDEX security_events_user ON security_events (user_id, created_at);
CREATE INDEX security_events_addr ON security_events (remote_addr, created_at);
CREATE INDEX security_events_created ON security_events (created_at);

-- Sign-in throttling, per account email and per remote address. Keyed by the
-- attempted email whether or not an account has it, so throttling never
-- reveals which emails exist. Rows are short-lived (see store/throttle.go).
CREATE TABLE signin_throttle (
    key        TEXT    PRIMARY KEY, -- "email:<normalised>" or "addr:<ip>"
    failures   INTEGER NOT NULL,
    last_at    INTEGER NOT NULL
) STRICT;

-- Events written by another process on the same database (the command-line
-- tools: `wantsms credit`, `admin grant`), relayed to the serving process's
-- live sessions. Rows are consumed within seconds and pruned after an hour.
CREATE TABLE event_relay (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL,
    kind       TEXT    NOT NULL,
    ref        INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
) STRICT;
