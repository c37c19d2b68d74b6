-- Which version of the privacy policy (its "Last updated" date) a person
-- accepted when signing up; '' for accounts made before versions were
-- recorded.
ALTER TABLE users ADD COLUMN policy_version TEXT NOT NULL DEFAULT '';

-- The retention purge of closed orders (kept for accounting, then
-- deleted) finds its rows through this index instead of scanning every
-- order each hour.
CREATE INDEX orders_closed ON orders (updated_at) WHERE status NOT IN ('created', 'pending');
