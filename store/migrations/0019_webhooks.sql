-- Webhooks to a person's own systems: the URLs an account set, the secret
-- that signs what goes to them, and the queue of deliveries.

-- A URL an account's events are posted to, in one of two body formats:
-- ours (signed JSON, every event) or the SMS-Activate activation webhook
-- (SMS only). AUTOINCREMENT: people remove webhooks by id, and an id must
-- never name another webhook later.
CREATE TABLE webhooks (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    url        TEXT    NOT NULL,
    format     TEXT    NOT NULL CHECK (format IN ('wantsms', 'sms-activate')),
    created_at INTEGER NOT NULL,
    UNIQUE (user_id, url)
) STRICT;

-- The per-account signing secret: made with the account's first webhook
-- (or anew on request) and shown once then; it goes with the last
-- webhook. Kept as it is, since every delivery is signed with it.
CREATE TABLE webhook_secrets (
    user_id    INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret     TEXT    NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

-- One event for one webhook, queued in the transaction of the event
-- itself (an SMS stored, a number or rental ended, a top-up credited), so
-- it exists exactly when its event does and survives whatever the event
-- survives. A worker claims a due row with a lease (status 'sending',
-- next_attempt_at the lease's end), posts it and records the answer.
-- event_id is the receiver's key to drop a copy: a delivery is at least
-- once. The payload (the event's facts, JSON; it may hold an SMS and its
-- code) is emptied once the row is done: the row stays, as the account's
-- delivery log, for 30 days.
CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id      INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    event_id        TEXT    NOT NULL,
    event           TEXT    NOT NULL, -- sms.received, reservation.ended, rental.ended, topup.credited, test
    payload         TEXT    NOT NULL DEFAULT '',
    status          TEXT    NOT NULL DEFAULT 'queued'
                    CHECK (status IN ('queued', 'sending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    -- queued: when to try next; sending: when the worker's lease ends.
    next_attempt_at INTEGER NOT NULL,
    last_status     INTEGER,                    -- the HTTP status of the last answer; NULL: none came
    last_answer     TEXT    NOT NULL DEFAULT '', -- the start of its body, or why no answer came
    created_at      INTEGER NOT NULL,           -- the event's time: retries stop 24 hours after it
    done_at         INTEGER,                    -- delivered or given up
    CHECK ((status IN ('delivered', 'failed')) = (done_at IS NOT NULL))
) STRICT;

CREATE INDEX webhooks_user ON webhooks (user_id, id);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status IN ('queued', 'sending');
-- A webhook's log, newest first; also how its deliveries go with it.
CREATE INDEX webhook_deliveries_hook ON webhook_deliveries (webhook_id, id);
CREATE INDEX webhook_deliveries_done ON webhook_deliveries (done_at) WHERE done_at IS NOT NULL;
CREATE INDEX webhook_deliveries_status ON webhook_deliveries (status); -- /metrics counts by status
