-- Idempotency keys of the JSON API: a program that sends a purchase again
-- with the same Idempotency-Key header (its first try timed out, say) gets
-- the first answer back instead of a second purchase. One row per account
-- and key: claimed before the action (status NULL: pending), linked to
-- what the action created in the very transaction that created and paid
-- for it (resource), and given the answer after (status, answer,
-- headers). Kept 24 hours; deleted with the account; not exported (the
-- reservations, rentals and orders it names are).
-- AUTOINCREMENT: a request holds its claim by id, and an id must never
-- name a later claim of the key.
CREATE TABLE idempotency_keys (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key        TEXT    NOT NULL,
    request    TEXT    NOT NULL, -- method and path: "POST /v1/reservations"
    body_hash  BLOB    NOT NULL, -- SHA-256 of the request's body
    created_at INTEGER NOT NULL,
    resource   TEXT,             -- what it created: "res:42", "rent:7", "rentext:3", "order:k7dq…"
    status     INTEGER,          -- the answer's HTTP status; NULL while pending
    answer     TEXT,             -- the answer's body
    headers    TEXT,             -- the answer's Location and ETag, JSON
    UNIQUE (user_id, key)
) STRICT;

CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
