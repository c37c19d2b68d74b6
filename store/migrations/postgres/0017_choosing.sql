-- Choosing well: favourite service+country pairs, the mobile operator a
-- number was asked from, reports of bad numbers, and the index the
-- success rates are read through.

-- A pair a person starred: shown first in Numbers, reserved with one key.
-- Deleted with the account; part of the export.
CREATE TABLE favourites (
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    service    TEXT    NOT NULL, -- canonical service code
    country    TEXT    NOT NULL, -- canonical country code
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, service, country)
);

-- The operator the person asked for ('' = any operator).
ALTER TABLE reservations ADD COLUMN operator TEXT NOT NULL DEFAULT '';
-- Why the person reported the number as bad (NULL: not reported). Set when
-- the report is claimed, before the provider is told, so that a number is
-- reported upstream at most once; cleared again if the provider could not
-- be told.
ALTER TABLE reservations ADD COLUMN report TEXT CHECK (report IN ('banned', 'used', 'no-sms'));

-- Success rates per service, country and provider over the last day and
-- week are counted from this index alone (no table lookups): every column
-- the count reads is in it, in the order of the range and the grouping.
CREATE INDEX reservations_outcomes ON reservations (created_at, service, country, provider, state);
