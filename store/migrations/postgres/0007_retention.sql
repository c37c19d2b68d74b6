-- Retention (privacy policy §4.2, §9): the hourly purge scrubs the
-- operational details of reservations ended 6 months ago and deletes the
-- history of those ended a year ago. These indexes let it find exactly
-- those rows instead of scanning the table every hour. A scrubbed
-- reservation has provider_ref '' (a live one never has: the store
-- refuses an empty reference), so the second index holds only the rows
-- still to scrub.

CREATE INDEX reservations_ended ON reservations (ended_at) WHERE ended_at IS NOT NULL;
CREATE INDEX reservations_details ON reservations (ended_at)
    WHERE ended_at IS NOT NULL AND provider_ref <> '';
