-- Identity: the keys enrolled for admin use from the server host, and the
-- pasted keys that wait for a connection to prove them.

-- A linked key that the server host enrolled for admin use (`wantsms admin
-- grant EMAIL --key …`). Admin powers need a session that proved one of
-- these: a key linked from the dashboard never gets here. The row goes with
-- its key (removed from the dashboard, or with the account).
CREATE TABLE admin_keys (
    key_id      INTEGER PRIMARY KEY REFERENCES ssh_keys (id) ON DELETE CASCADE,
    enrolled_at INTEGER NOT NULL,
    -- Who ran the tool: the operating-system account on the server host.
    enrolled_by TEXT    NOT NULL DEFAULT ''
) STRICT;

-- A public key pasted in Account → keys. It identifies nobody until a
-- connection signs with it while signed in to this account (then it moves
-- to ssh_keys); it expires otherwise. The same key may wait on several
-- accounts: whether a key is linked elsewhere is never revealed to the
-- person pasting it.
CREATE TABLE pending_keys (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    fingerprint TEXT    NOT NULL,
    public_key  TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    added_at    INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    UNIQUE (user_id, fingerprint)
) STRICT;

CREATE INDEX pending_keys_expires ON pending_keys (expires_at);
