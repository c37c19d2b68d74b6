-- migrate: rebuild
-- Audit ids are never handed out twice. The audit trail now loses rows
-- (the retention purge deletes them two years after the action), and
-- without AUTOINCREMENT SQLite gives a new row the highest id in use plus
-- one: once the admins were quiet for two years every row is gone and the
-- next action gets id 1 again, while an old correction's ledger row still
-- names "audit:1". The next admin credit then found its ledger reference
-- already used and moved no money, though its audit row said it had.
--
-- The table is rebuilt with AUTOINCREMENT, unchanged otherwise (columns,
-- comments, indexes), and its sequence starts above every audit id the
-- ledger names.

CREATE TABLE admin_audit_new (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
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
INSERT INTO admin_audit_new SELECT * FROM admin_audit;
DROP TABLE admin_audit;
ALTER TABLE admin_audit_new RENAME TO admin_audit;

CREATE INDEX admin_audit_created ON admin_audit (created_at);
CREATE INDEX admin_audit_target ON admin_audit (target_user_id) WHERE target_user_id IS NOT NULL;
CREATE INDEX admin_audit_actor ON admin_audit (actor_id, id);

INSERT INTO sqlite_sequence (name, seq)
    SELECT 'admin_audit', 0 WHERE 'admin_audit' NOT IN (SELECT name FROM sqlite_sequence);

UPDATE sqlite_sequence SET seq = max(seq,
    (SELECT COALESCE(MAX(id), 0) FROM admin_audit),
    (SELECT COALESCE(MAX(CAST(substr(reference, 7) AS INTEGER)), 0) FROM ledger
        WHERE reference GLOB 'audit:[0-9]*'))
WHERE name = 'admin_audit';
