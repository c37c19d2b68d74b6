-- The admin audit trail: every action an admin account takes through the
-- service, written in the same transaction as the action itself, so an
-- action without its row (or a row without its action) cannot exist.

CREATE TABLE admin_audit (
    id             INTEGER PRIMARY KEY,
    -- The admin account that acted. Accounts are never deleted as rows
    -- (see users.email), so the reference stays valid.
    actor_id       INTEGER NOT NULL REFERENCES users (id),
    action         TEXT    NOT NULL,            -- "credit", "users.search", …
    -- The account acted upon, when there is one; the email is not copied
    -- here, so a deleted account's row detaches from the person.
    target_user_id INTEGER REFERENCES users (id),
    target         TEXT    NOT NULL DEFAULT '', -- what else was acted upon, e.g. a search text
    reason         TEXT    NOT NULL DEFAULT '', -- the admin's stated reason, when the action takes one
    detail         TEXT    NOT NULL DEFAULT '', -- what changed, e.g. "+500 cents"
    remote_addr    TEXT    NOT NULL DEFAULT '', -- where the admin's session came from
    created_at     INTEGER NOT NULL
) STRICT;

CREATE INDEX admin_audit_created ON admin_audit (created_at);
CREATE INDEX admin_audit_target ON admin_audit (target_user_id) WHERE target_user_id IS NOT NULL;
