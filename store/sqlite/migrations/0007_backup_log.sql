-- Backups and restores, made by hand or on schedule. A scheduled run claims
-- its slot (the scheduled time) with the unique index, so servers sharing a
-- database run each one once.
CREATE TABLE backup_log (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('backup', 'restore')),
    via         TEXT NOT NULL CHECK (via IN ('manual', 'scheduled')),
    slot        TEXT,
    actor       TEXT NOT NULL,
    started_at  TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    file        TEXT NOT NULL DEFAULT '',
    size        INTEGER NOT NULL DEFAULT 0,
    tables      INTEGER NOT NULL DEFAULT 0,
    rows        INTEGER NOT NULL DEFAULT 0,
    outcome     TEXT NOT NULL CHECK (outcome IN ('running', 'ok', 'failed')),
    error       TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX backup_log_slot ON backup_log (slot) WHERE slot IS NOT NULL;
