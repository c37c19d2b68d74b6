-- The SSH host key instances share when several serve this database
-- (issue 19): the first to start stores it, the others read it, so people
-- see one host whichever instance they land on. See
-- migrations/0021_host_key.sql: on SQLite the table exists but stays empty.
--
-- The PEM is a private key, kept in clear as a key file is: whoever can
-- read this table (the database's owner, superusers, pg_dump files) can
-- impersonate the server. Like every table here it is readable by its
-- owner only unless someone grants more. It is never exported, listed or
-- logged (only its fingerprint is); --host-key-file keeps it out of the
-- database.
CREATE TABLE ssh_host_key (
    id         BIGINT PRIMARY KEY CHECK (id = 1), -- one key, one row
    key_pem    TEXT   NOT NULL, -- OpenSSH private key format
    created_at BIGINT NOT NULL
);
