-- Audit ids are never handed out twice. SQLite needed admin_audit rebuilt
-- with AUTOINCREMENT for that (migrations/0012_audit_ids_never_reused.sql);
-- here admin_audit.id is an identity column from 0005 on, whose sequence
-- never goes back, so this step has nothing to change. It stays in the
-- list so that both databases record the same numbers.
SELECT 1;
