-- This database's own identity, made once by meibo (a random ID; one row).
-- Backups leave it out: a copy restored into another database has that
-- database's own, so that two installations backing up into one folder
-- name their files apart and each removes only its own old files.
CREATE TABLE installation (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    id  TEXT NOT NULL
);
