-- Account mail: verified addresses, the codes that verify an address or
-- reset a password, the outbox every mail goes through, and the notices a
-- person turned off.

-- When the account's address was last proved to be the person's (a code or
-- link from a mail sent to it); NULL until then. Accounts made before
-- verification existed start unverified.
ALTER TABLE users ADD COLUMN email_verified_at INTEGER;

-- Bumped by a password reset, which ends every other session of the
-- account: a session remembers the epoch it signed in under (Standing).
ALTER TABLE users ADD COLUMN session_epoch INTEGER NOT NULL DEFAULT 1;

-- A code mailed to verify an address or to reset the password: one live
-- code per account and purpose, replaced by the next, deleted once used
-- or after too many wrong tries, purged once expired. Only hashes are
-- stored: the code and the link's token exist in clear only in the mail
-- (and in the outbox row until it is sent).
CREATE TABLE email_codes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    TEXT    NOT NULL CHECK (purpose IN ('verify', 'reset')),
    -- The address the code went to: the account's, or the new one of an
    -- email change, which takes effect once this code is used.
    email      TEXT    NOT NULL,
    code_hash  TEXT    NOT NULL,
    link_hash  TEXT    UNIQUE, -- SHA-256 of the verification link's token
    failures   INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    UNIQUE (user_id, purpose)
) STRICT;

CREATE INDEX email_codes_expires ON email_codes (expires_at);

-- Every mail, queued in the transaction of the event that causes it and
-- sent by a worker that claims it with a lease (next_at while sending).
-- Once sent, failed for good or dropped, its params (which may hold a
-- code) are emptied: the row stays as the account's mail log (what was
-- sent when) until the retention purge.
CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind        TEXT    NOT NULL,
    to_addr     TEXT    NOT NULL,
    params      TEXT    NOT NULL DEFAULT '', -- JSON object of strings; '' once done
    status      TEXT    NOT NULL DEFAULT 'queued'
                CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'dropped')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    -- queued: when to try next; sending: when the sender's lease ends.
    next_at     INTEGER NOT NULL,
    -- A mail carrying a code is not sent after the code expired.
    expires_at  INTEGER,
    last_error  TEXT    NOT NULL DEFAULT '',
    subject     TEXT    NOT NULL DEFAULT '', -- as sent; never holds a code
    -- SHA-256 of the token of a notice's unsubscribe link.
    unsubscribe TEXT    UNIQUE,
    created_at  INTEGER NOT NULL,
    done_at     INTEGER -- sent, failed or dropped
) STRICT;

CREATE INDEX outbox_due ON outbox (next_at) WHERE status IN ('queued', 'sending');
CREATE INDEX outbox_user ON outbox (user_id, kind, created_at);
CREATE INDEX outbox_done ON outbox (done_at) WHERE done_at IS NOT NULL;
CREATE INDEX outbox_status ON outbox (status); -- /metrics counts by status

-- A kind of notice (not a security mail) the person turned off.
CREATE TABLE notice_optouts (
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, kind)
) STRICT, WITHOUT ROWID;
