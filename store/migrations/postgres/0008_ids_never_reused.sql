-- Ids are never handed out twice. SQLite needed its tables rebuilt with
-- AUTOINCREMENT for that (migrations/0008_ids_never_reused.sql); here every
-- id is an identity column from 0001 on, whose sequence never goes back,
-- so this step has nothing to change. It stays in the list so that both
-- databases record the same numbers.
SELECT 1;
