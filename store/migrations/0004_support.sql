-- Support: a person writes to us from the dashboard, admins answer.
-- A thread is one conversation; once closed, the next message opens a new one.

CREATE TABLE support_threads (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    status       TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    -- The newest message the owner has seen; replies after it are unread.
    user_seen_id INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE INDEX support_threads_user ON support_threads (user_id, id);
CREATE INDEX support_threads_status ON support_threads (status, updated_at);

CREATE TABLE support_messages (
    id         INTEGER PRIMARY KEY,
    thread_id  INTEGER NOT NULL REFERENCES support_threads (id) ON DELETE CASCADE,
    from_staff INTEGER NOT NULL CHECK (from_staff IN (0, 1)),
    staff_id   INTEGER REFERENCES users (id),
    body       TEXT    NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

CREATE INDEX support_messages_thread ON support_messages (thread_id, id);
