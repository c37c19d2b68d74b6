-- API keys: secrets a person's own programs send with HTTP API requests
-- (the SMS-Activate-compatible endpoint, the JSON API). Only the SHA-256 of
-- a key is stored: the key itself is shown once, when it is made. A key is
-- revoked, not deleted, so the person's list still says when it was used;
-- revoked keys are purged 180 days after their revocation, live ones go
-- with the account. Deleted with the account; part of the export (name
-- and dates, never the hash).
CREATE TABLE api_keys (
    id           INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    key_hash     BLOB    NOT NULL UNIQUE, -- SHA-256 of the key
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
) STRICT;

-- A name names one live key of the account; a revoked key frees its name.
CREATE UNIQUE INDEX api_keys_live_name ON api_keys (user_id, name) WHERE revoked_at IS NULL;
CREATE INDEX api_keys_user ON api_keys (user_id, id);
CREATE INDEX api_keys_revoked ON api_keys (revoked_at) WHERE revoked_at IS NOT NULL;

-- Another SMS asked for (the SMS-Activate protocol's setStatus 3, the
-- `again` command, the dashboard): the id of the newest message the number
-- had when it was asked, NULL if never. Until a newer message comes, the
-- number waits for its next code (getStatus answers STATUS_WAIT_RETRY).
ALTER TABLE reservations ADD COLUMN again_message_id INTEGER;
