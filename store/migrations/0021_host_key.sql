-- The SSH host key instances share when several serve one PostgreSQL
-- database (issue 19): the first to start stores it, the others read it,
-- so people see one host whichever instance they land on. On SQLite the
-- key stays the file in the data directory and this table stays empty; it
-- exists on both so that the schemas match (wantsms migrate-to-postgres
-- copies table for table, and puts the data directory's key here).
--
-- The PEM is a private key, kept in clear as the key file is: whoever can
-- read this table (the database's owner, superusers, pg_dump files) can
-- impersonate the server. It is never exported, listed or logged (only its
-- fingerprint is); --host-key-file keeps it out of the database.
CREATE TABLE ssh_host_key (
    id         INTEGER PRIMARY KEY CHECK (id = 1), -- one key, one row
    key_pem    TEXT    NOT NULL, -- OpenSSH private key format
    created_at INTEGER NOT NULL
) STRICT;
