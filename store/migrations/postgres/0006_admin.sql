-- Running the business from the Admin pane: markup overrides, providers
-- switched off at run time (both survive restarts), and the indexes the
-- admin views and /metrics read through.

-- A markup that replaces the configured one for new reservations of a
-- service (country ''), a country (service '') or one pair. The most
-- specific row wins: pair, then service, then country.
CREATE TABLE price_overrides (
    service    TEXT    NOT NULL DEFAULT '', -- canonical service code, '' = any
    country    TEXT    NOT NULL DEFAULT '', -- canonical country code, '' = any
    -- Basis points of the cost: 10000 sells at cost (never below), 100000
    -- at ten times the cost (a bound on typos).
    markup_bp  BIGINT NOT NULL CHECK (markup_bp BETWEEN 10000 AND 100000),
    updated_by BIGINT NOT NULL REFERENCES users (id),
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (service, country),
    CHECK (service <> '' OR country <> '')
);

-- Providers an admin switched off (or back on): applied over the
-- configuration at start, so a disabled upstream stays disabled.
CREATE TABLE provider_settings (
    name       TEXT    PRIMARY KEY,
    enabled    BIGINT NOT NULL CHECK (enabled IN (0, 1)),
    updated_by BIGINT NOT NULL REFERENCES users (id),
    updated_at BIGINT NOT NULL
);

-- Provider success rates over the last hour and day.
CREATE INDEX reservations_created ON reservations (created_at);
-- Gauges of /metrics count by state and status from these alone.
CREATE INDEX reservations_state ON reservations (state);
CREATE INDEX orders_status_processor ON orders (status, processor, id);
-- Order lookup by PaymentIntent (the session id and address are unique).
CREATE INDEX orders_payment_intent ON orders (payment_intent) WHERE payment_intent IS NOT NULL;
-- Audit search by actor.
CREATE INDEX admin_audit_actor ON admin_audit (actor_id, id);
