-- meibo: foreign keys off
-- An id is never handed out twice: a user, profile (a SCIM Group),
-- administrator, device, command, token, passkey, import job, message or
-- backup deleted leaves its id unused for good, as PostgreSQL's identity
-- columns do. SQLite gave a new row the largest id plus one, so deleting
-- the newest row and adding another gave the new one the old one's id: a
-- SCIM client's retried DELETE /Users/50, or a script's saved id, reached
-- another person. AUTOINCREMENT is part of a table's definition, so each
-- table is copied into one that has it (SQLite's own way of changing a
-- table: https://www.sqlite.org/lang_altertable.html#otheralter), with its
-- indexes and triggers made again as they were; ids stay as they are. The
-- runner turns the foreign keys off for it and checks them before it
-- commits. Audit events are left as they are: they are only ever pruned
-- from the oldest. An id deleted before this migration, above the largest
-- left in its table, may still be given once more: SQLite kept no record of
-- it. Copying needs room for a second copy of users while it runs.

-- users
CREATE TABLE meibo_rebuilt (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id            TEXT NOT NULL REFERENCES groups (id),
    name                TEXT NOT NULL,
    name_fold           TEXT NOT NULL,           -- meibo.Fold(name), for search
    email               TEXT NOT NULL DEFAULT '',
    email_key           TEXT NOT NULL DEFAULT '', -- meibo.EmailKey(email), for search
    unified_key         TEXT NOT NULL,           -- licence key with name (meibo.UnifiedKey)
    password_hash       TEXT NOT NULL DEFAULT '',
    profile_id          INTEGER NOT NULL REFERENCES profiles (id),
    admin               BOOLEAN NOT NULL DEFAULT FALSE,
    api_access          BOOLEAN NOT NULL DEFAULT FALSE,
    disabled            BOOLEAN NOT NULL DEFAULT FALSE,
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL,
    password_changed_at TIMESTAMP,
    last_sign_in_at     TIMESTAMP,
    UNIQUE (group_id, name)
);
INSERT INTO meibo_rebuilt (id, group_id, name, name_fold, email, email_key, unified_key, password_hash, profile_id, admin, api_access, disabled, created_at, updated_at, password_changed_at, last_sign_in_at)
    SELECT id, group_id, name, name_fold, email, email_key, unified_key, password_hash, profile_id, admin, api_access, disabled, created_at, updated_at, password_changed_at, last_sign_in_at FROM users;
DROP TABLE users;
ALTER TABLE meibo_rebuilt RENAME TO users;
CREATE INDEX users_group_admins ON users (group_id) WHERE admin;
CREATE INDEX users_group_created ON users (group_id, created_at);
CREATE INDEX users_group_disabled ON users (group_id) WHERE disabled;
CREATE INDEX users_group_email_key ON users (group_id, email_key);
CREATE INDEX users_group_fold_name ON users (group_id, name_fold, name);
CREATE INDEX users_group_sign_in ON users (group_id, last_sign_in_at);
CREATE INDEX users_profile ON users (profile_id);
CREATE TRIGGER users_au_unified AFTER UPDATE OF unified_key ON users WHEN old.unified_key IS NOT new.unified_key BEGIN
    UPDATE unified_users SET members = members - 1 WHERE name = old.name AND unified_key = old.unified_key;
    DELETE FROM unified_users WHERE name = old.name AND unified_key = old.unified_key AND members <= 0;
    INSERT INTO unified_users (name, unified_key, email, members) VALUES (new.name, new.unified_key, new.email, 1)
        ON CONFLICT (name, unified_key) DO UPDATE SET members = members + 1;
END;
CREATE TRIGGER users_ai_count AFTER INSERT ON users BEGIN
    INSERT INTO group_user_counts (group_id, users) VALUES (new.group_id, 1)
        ON CONFLICT (group_id) DO UPDATE SET users = users + 1;
END;
CREATE TRIGGER users_ad_count AFTER DELETE ON users BEGIN
    UPDATE group_user_counts SET users = users - 1 WHERE group_id = old.group_id;
END;
CREATE TRIGGER users_au_count AFTER UPDATE OF group_id ON users WHEN old.group_id IS NOT new.group_id BEGIN
    UPDATE group_user_counts SET users = users - 1 WHERE group_id = old.group_id;
    INSERT INTO group_user_counts (group_id, users) VALUES (new.group_id, 1)
        ON CONFLICT (group_id) DO UPDATE SET users = users + 1;
END;
CREATE TRIGGER users_ai AFTER INSERT ON users BEGIN
    INSERT INTO unified_users (name, unified_key, email, members) VALUES (new.name, new.unified_key, new.email, 1)
        ON CONFLICT (name, unified_key) DO UPDATE SET members = members + 1;
END;
CREATE TRIGGER users_ad AFTER DELETE ON users BEGIN
    UPDATE unified_users SET members = members - 1 WHERE name = old.name AND unified_key = old.unified_key;
    DELETE FROM unified_users WHERE name = old.name AND unified_key = old.unified_key AND members <= 0;
END;
CREATE TRIGGER users_au_name AFTER UPDATE OF name ON users WHEN old.name IS NOT new.name BEGIN
    UPDATE unified_users SET members = members - 1 WHERE name = old.name AND unified_key = old.unified_key;
    DELETE FROM unified_users WHERE name = old.name AND unified_key = old.unified_key AND members <= 0;
    INSERT INTO unified_users (name, unified_key, email, members) VALUES (new.name, new.unified_key, new.email, 1)
        ON CONFLICT (name, unified_key) DO UPDATE SET members = members + 1;
END;
CREATE TRIGGER users_ai_grams AFTER INSERT ON users WHEN NOT EXISTS (SELECT 1 FROM user_grams_defer) BEGIN
    INSERT INTO users_fts (rowid, name_fold, email_key) VALUES (new.id, new.name_fold, new.email_key);
    INSERT OR IGNORE INTO user_grams (group_id, gram, name_fold, name, user_id)
    SELECT new.group_id, substr(new.name_fold, n, 2), new.name_fold, new.name, new.id FROM search_positions WHERE n < length(new.name_fold);
    INSERT OR IGNORE INTO user_grams (group_id, gram, name_fold, name, user_id)
    SELECT new.group_id, substr(new.email_key, n, 2), new.name_fold, new.name, new.id FROM search_positions WHERE n < length(new.email_key);
    INSERT OR IGNORE INTO user_grams (group_id, gram, name_fold, name, user_id)
    SELECT new.group_id, substr(new.name_fold, n, 1), new.name_fold, new.name, new.id FROM search_positions
    WHERE length(CAST(new.name_fold AS BLOB)) > length(new.name_fold) AND n <= length(new.name_fold)
        AND (unicode(substr(new.name_fold, n, 1)) BETWEEN 12293 AND 12295 OR unicode(substr(new.name_fold, n, 1)) BETWEEN 12352 AND 12543
            OR unicode(substr(new.name_fold, n, 1)) BETWEEN 12784 AND 12799 OR unicode(substr(new.name_fold, n, 1)) BETWEEN 13312 AND 19903 OR unicode(substr(new.name_fold, n, 1)) BETWEEN 19968 AND 40959
            OR unicode(substr(new.name_fold, n, 1)) BETWEEN 63744 AND 64255 OR unicode(substr(new.name_fold, n, 1)) BETWEEN 131072 AND 262143);
    INSERT OR IGNORE INTO user_grams (group_id, gram, name_fold, name, user_id)
    SELECT new.group_id, substr(new.email_key, n, 1), new.name_fold, new.name, new.id FROM search_positions
    WHERE length(CAST(new.email_key AS BLOB)) > length(new.email_key) AND n <= length(new.email_key)
        AND (unicode(substr(new.email_key, n, 1)) BETWEEN 12293 AND 12295 OR unicode(substr(new.email_key, n, 1)) BETWEEN 12352 AND 12543
            OR unicode(substr(new.email_key, n, 1)) BETWEEN 12784 AND 12799 OR unicode(substr(new.email_key, n, 1)) BETWEEN 13312 AND 19903 OR unicode(substr(new.email_key, n, 1)) BETWEEN 19968 AND 40959
            OR unicode(substr(new.email_key, n, 1)) BETWEEN 63744 AND 64255 OR unicode(substr(new.email_key, n, 1)) BETWEEN 131072 AND 262143);
END;
CREATE TRIGGER users_ai_grams_pending AFTER INSERT ON users WHEN EXISTS (SELECT 1 FROM user_grams_defer) BEGIN
    INSERT INTO user_grams_pending (group_id, name_fold, name, user_id, email_key) VALUES (new.group_id, new.name_fold, new.name, new.id, new.email_key);
END;
CREATE TRIGGER users_ad_grams_pending AFTER DELETE ON users BEGIN
    INSERT INTO users_fts (users_fts, rowid, name_fold, email_key) SELECT 'delete', old.id, old.name_fold, old.email_key
        WHERE NOT EXISTS (SELECT 1 FROM user_grams_pending WHERE group_id = old.group_id AND name_fold = old.name_fold AND name = old.name);
    DELETE FROM user_grams_pending WHERE group_id = old.group_id AND name_fold = old.name_fold AND name = old.name;
END;
CREATE TRIGGER users_ad_grams AFTER DELETE ON users BEGIN
    DELETE FROM user_grams WHERE group_id = old.group_id AND name_fold = old.name_fold AND name = old.name AND gram IN (
        SELECT substr(old.name_fold, n, 2) FROM search_positions WHERE n < length(old.name_fold)
        UNION ALL SELECT substr(old.email_key, n, 2) FROM search_positions WHERE n < length(old.email_key)
        UNION ALL SELECT substr(old.name_fold, n, 1) FROM search_positions
            WHERE length(CAST(old.name_fold AS BLOB)) > length(old.name_fold) AND n <= length(old.name_fold)
        UNION ALL SELECT substr(old.email_key, n, 1) FROM search_positions
            WHERE length(CAST(old.email_key AS BLOB)) > length(old.email_key) AND n <= length(old.email_key));
END;
CREATE TRIGGER users_au_grams AFTER UPDATE OF group_id, name, name_fold, email_key ON users
WHEN (old.group_id IS NOT new.group_id OR old.name IS NOT new.name OR old.name_fold IS NOT new.name_fold
    OR old.email_key IS NOT new.email_key) AND NOT EXISTS (SELECT 1 FROM user_grams_defer) BEGIN
    INSERT INTO users_fts (users_fts, rowid, name_fold, email_key) SELECT 'delete', old.id, old.name_fold, old.email_key
        WHERE NOT EXISTS (SELECT 1 FROM user_grams_pending WHERE group_id = old.group_id AND name_fold = old.name_fold AND name = old.name);
    DELETE FROM user_grams WHERE group_id = old.group_id AND name_fold = old.name_fold AND name = old.name AND gram IN (
        SELECT substr(old.name_fold, n, 2) FROM search_positions WHERE n < length(old.name_fold)
        UNION ALL SELECT substr(old.email_key, n, 2) FROM search_positions WHERE n < length(old.email_key)
        UNION ALL SELECT substr(old.name_fold, n, 1) FROM search_positions
            WHERE length(CAST(old.name_fold AS BLOB)) > length(old.name_fold) AND n <= length(old.name_fold)
        UNION ALL SELECT substr(old.email_key, n, 1) FROM search_positions
            WHERE length(CAST(old.email_key AS BLOB)) > length(old.email_key) AND n <= length(old.email_key));
    DELETE FROM user_grams_pending WHERE group_id = old.group_id AND name_fold = old.name_fold AND name = old.name;
    INSERT OR IGNORE INTO user_grams (group_id, gram, name_fold, name, user_id)
    SELECT new.group_id, substr(new.name_fold, n, 2), new.name_fold, new.name, new.id FROM search_positions WHERE n < length(new.name_fold);
    INSERT OR IGNORE INTO user_grams (group_id, gram, name_fold, name, user_id)
    SELECT new.group_id, substr(new.email_key, n, 2), new.name_fold, new.name, new.id FROM search_positions WHERE n < length(new.email_key);
    INSERT OR IGNORE INTO user_grams (group_id, gram, name_fold, name, user_id)
    SELECT new.group_id, substr(new.name_fold, n, 1), new.name_fold, new.name, new.id FROM search_positions
    WHERE length(CAST(new.name_fold AS BLOB)) > length(new.name_fold) AND n <= length(new.name_fold)
        AND (unicode(substr(new.name_fold, n, 1)) BETWEEN 12293 AND 12295 OR unicode(substr(new.name_fold, n, 1)) BETWEEN 12352 AND 12543
            OR unicode(substr(new.name_fold, n, 1)) BETWEEN 12784 AND 12799 OR unicode(substr(new.name_fold, n, 1)) BETWEEN 13312 AND 19903 OR unicode(substr(new.name_fold, n, 1)) BETWEEN 19968 AND 40959
            OR unicode(substr(new.name_fold, n, 1)) BETWEEN 63744 AND 64255 OR unicode(substr(new.name_fold, n, 1)) BETWEEN 131072 AND 262143);
    INSERT OR IGNORE INTO user_grams (group_id, gram, name_fold, name, user_id)
    SELECT new.group_id, substr(new.email_key, n, 1), new.name_fold, new.name, new.id FROM search_positions
    WHERE length(CAST(new.email_key AS BLOB)) > length(new.email_key) AND n <= length(new.email_key)
        AND (unicode(substr(new.email_key, n, 1)) BETWEEN 12293 AND 12295 OR unicode(substr(new.email_key, n, 1)) BETWEEN 12352 AND 12543
            OR unicode(substr(new.email_key, n, 1)) BETWEEN 12784 AND 12799 OR unicode(substr(new.email_key, n, 1)) BETWEEN 13312 AND 19903 OR unicode(substr(new.email_key, n, 1)) BETWEEN 19968 AND 40959
            OR unicode(substr(new.email_key, n, 1)) BETWEEN 63744 AND 64255 OR unicode(substr(new.email_key, n, 1)) BETWEEN 131072 AND 262143);
    INSERT INTO users_fts (rowid, name_fold, email_key) VALUES (new.id, new.name_fold, new.email_key);
END;
CREATE TRIGGER users_au_grams_pending AFTER UPDATE OF group_id, name, name_fold, email_key ON users
WHEN (old.group_id IS NOT new.group_id OR old.name IS NOT new.name OR old.name_fold IS NOT new.name_fold
    OR old.email_key IS NOT new.email_key) AND EXISTS (SELECT 1 FROM user_grams_defer) BEGIN
    INSERT INTO users_fts (users_fts, rowid, name_fold, email_key) SELECT 'delete', old.id, old.name_fold, old.email_key
        WHERE NOT EXISTS (SELECT 1 FROM user_grams_pending WHERE group_id = old.group_id AND name_fold = old.name_fold AND name = old.name);
    DELETE FROM user_grams WHERE group_id = old.group_id AND name_fold = old.name_fold AND name = old.name AND gram IN (
        SELECT substr(old.name_fold, n, 2) FROM search_positions WHERE n < length(old.name_fold)
        UNION ALL SELECT substr(old.email_key, n, 2) FROM search_positions WHERE n < length(old.email_key)
        UNION ALL SELECT substr(old.name_fold, n, 1) FROM search_positions
            WHERE length(CAST(old.name_fold AS BLOB)) > length(old.name_fold) AND n <= length(old.name_fold)
        UNION ALL SELECT substr(old.email_key, n, 1) FROM search_positions
            WHERE length(CAST(old.email_key AS BLOB)) > length(old.email_key) AND n <= length(old.email_key));
    DELETE FROM user_grams_pending WHERE group_id = old.group_id AND name_fold = old.name_fold AND name = old.name;
    INSERT INTO user_grams_pending (group_id, name_fold, name, user_id, email_key) VALUES (new.group_id, new.name_fold, new.name, new.id, new.email_key);
END;

-- profiles
CREATE TABLE meibo_rebuilt (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id   TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    actions    TEXT NOT NULL DEFAULT '',
    api_access BOOLEAN NOT NULL DEFAULT FALSE,
    is_default BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (group_id, name)
);
INSERT INTO meibo_rebuilt (id, group_id, name, actions, api_access, is_default, created_at, updated_at)
    SELECT id, group_id, name, actions, api_access, is_default, created_at, updated_at FROM profiles;
DROP TABLE profiles;
ALTER TABLE meibo_rebuilt RENAME TO profiles;
CREATE UNIQUE INDEX profiles_one_default ON profiles (group_id) WHERE is_default;

-- admins
CREATE TABLE meibo_rebuilt (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    login_id            TEXT NOT NULL UNIQUE,
    guid                TEXT NOT NULL UNIQUE,
    name                TEXT NOT NULL DEFAULT '',
    email               TEXT NOT NULL DEFAULT '',
    notes               TEXT NOT NULL DEFAULT '',
    password_hash       TEXT NOT NULL DEFAULT '',
    authorities         INTEGER NOT NULL DEFAULT 0, -- bit n = authority of CSV column n
    builtin             BOOLEAN NOT NULL DEFAULT FALSE,
    disabled            BOOLEAN NOT NULL DEFAULT FALSE,
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL,
    password_changed_at TIMESTAMP,
    last_sign_in_at     TIMESTAMP
);
INSERT INTO meibo_rebuilt (id, login_id, guid, name, email, notes, password_hash, authorities, builtin, disabled, created_at, updated_at, password_changed_at, last_sign_in_at)
    SELECT id, login_id, guid, name, email, notes, password_hash, authorities, builtin, disabled, created_at, updated_at, password_changed_at, last_sign_in_at FROM admins;
DROP TABLE admins;
ALTER TABLE meibo_rebuilt RENAME TO admins;

-- devices
CREATE TABLE meibo_rebuilt (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id         TEXT NOT NULL REFERENCES groups (id),
    user_id          INTEGER REFERENCES users (id) ON DELETE SET NULL,
    name             TEXT NOT NULL,
    platform         TEXT NOT NULL DEFAULT '',
    model            TEXT NOT NULL DEFAULT '',
    os_version       TEXT NOT NULL DEFAULT '',
    serial           TEXT NOT NULL DEFAULT '',
    secret_hash      TEXT NOT NULL DEFAULT '',
    battery          INTEGER,
    locked           BOOLEAN NOT NULL DEFAULT FALSE,
    lat              REAL,
    lon              REAL,
    accuracy         REAL,
    located_at       TIMESTAMP,
    enrolled_at      TIMESTAMP,
    last_check_in_at TIMESTAMP,
    revoked_at       TIMESTAMP,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL
);
INSERT INTO meibo_rebuilt (id, group_id, user_id, name, platform, model, os_version, serial, secret_hash, battery, locked, lat, lon, accuracy, located_at, enrolled_at, last_check_in_at, revoked_at, created_at, updated_at)
    SELECT id, group_id, user_id, name, platform, model, os_version, serial, secret_hash, battery, locked, lat, lon, accuracy, located_at, enrolled_at, last_check_in_at, revoked_at, created_at, updated_at FROM devices;
DROP TABLE devices;
ALTER TABLE meibo_rebuilt RENAME TO devices;
CREATE INDEX devices_group_name ON devices (group_id, name);
CREATE UNIQUE INDEX devices_group_serial ON devices (group_id, serial) WHERE serial <> '' AND revoked_at IS NULL;
CREATE UNIQUE INDEX devices_secret ON devices (secret_hash) WHERE secret_hash <> '';
CREATE INDEX devices_user ON devices (user_id);

-- commands
CREATE TABLE meibo_rebuilt (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id      INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    group_id       TEXT NOT NULL,
    action         TEXT NOT NULL,
    message        TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL CHECK (status IN ('queued', 'delivered', 'done', 'failed', 'cancelled', 'expired')),
    requested_by   TEXT NOT NULL,
    requester_kind TEXT NOT NULL,
    result         TEXT NOT NULL DEFAULT '',
    created_at     TIMESTAMP NOT NULL,
    delivered_at   TIMESTAMP,
    finished_at    TIMESTAMP,
    expires_at     TIMESTAMP NOT NULL
);
INSERT INTO meibo_rebuilt (id, device_id, group_id, action, message, status, requested_by, requester_kind, result, created_at, delivered_at, finished_at, expires_at)
    SELECT id, device_id, group_id, action, message, status, requested_by, requester_kind, result, created_at, delivered_at, finished_at, expires_at FROM commands;
DROP TABLE commands;
ALTER TABLE meibo_rebuilt RENAME TO commands;
CREATE INDEX commands_device ON commands (device_id, status, id);

-- scim_tokens
CREATE TABLE meibo_rebuilt (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    hash         TEXT NOT NULL UNIQUE,
    group_id     TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    admin_id     INTEGER REFERENCES admins (id) ON DELETE CASCADE,
    created_by   TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP
);
INSERT INTO meibo_rebuilt (id, hash, group_id, name, admin_id, created_by, created_at, expires_at, last_used_at)
    SELECT id, hash, group_id, name, admin_id, created_by, created_at, expires_at, last_used_at FROM scim_tokens;
DROP TABLE scim_tokens;
ALTER TABLE meibo_rebuilt RENAME TO scim_tokens;
CREATE INDEX scim_tokens_group ON scim_tokens (group_id);

-- enrolment_tokens
CREATE TABLE meibo_rebuilt (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id   TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id    INTEGER REFERENCES users (id) ON DELETE SET NULL,
    hash       TEXT NOT NULL UNIQUE,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at    TIMESTAMP,
    device_id  INTEGER REFERENCES devices (id) ON DELETE SET NULL
);
INSERT INTO meibo_rebuilt (id, group_id, user_id, hash, created_by, created_at, expires_at, used_at, device_id)
    SELECT id, group_id, user_id, hash, created_by, created_at, expires_at, used_at, device_id FROM enrolment_tokens;
DROP TABLE enrolment_tokens;
ALTER TABLE meibo_rebuilt RENAME TO enrolment_tokens;
CREATE INDEX enrolment_tokens_group ON enrolment_tokens (group_id);

-- admin_passkeys
CREATE TABLE meibo_rebuilt (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    admin_id      INTEGER NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
    credential_id TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    data          TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    last_used_at  TIMESTAMP
);
INSERT INTO meibo_rebuilt (id, admin_id, credential_id, name, data, created_at, last_used_at)
    SELECT id, admin_id, credential_id, name, data, created_at, last_used_at FROM admin_passkeys;
DROP TABLE admin_passkeys;
ALTER TABLE meibo_rebuilt RENAME TO admin_passkeys;
CREATE INDEX admin_passkeys_admin ON admin_passkeys (admin_id);

-- import_jobs
CREATE TABLE meibo_rebuilt (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    format            TEXT NOT NULL,
    encoding          TEXT NOT NULL,
    detected_encoding TEXT NOT NULL DEFAULT '',
    group_id          TEXT NOT NULL DEFAULT '',
    update_existing   BOOLEAN NOT NULL DEFAULT FALSE,
    send_invitations  BOOLEAN NOT NULL DEFAULT FALSE,
    dry_run           BOOLEAN NOT NULL DEFAULT FALSE,
    file_name         TEXT NOT NULL DEFAULT '',
    size              INTEGER NOT NULL,
    sha256            TEXT NOT NULL,
    created_by        TEXT NOT NULL,
    created_at        TIMESTAMP NOT NULL,
    started_at        TIMESTAMP,
    finished_at       TIMESTAMP,
    status            TEXT NOT NULL CHECK (status IN ('QUEUED', 'RUNNING', 'SUCCESS', 'FAILED')),
    rows              INTEGER NOT NULL DEFAULT 0,
    progress          REAL NOT NULL DEFAULT 0,
    created           INTEGER NOT NULL DEFAULT 0,
    updated           INTEGER NOT NULL DEFAULT 0,
    deleted           INTEGER NOT NULL DEFAULT 0,
    unchanged         INTEGER NOT NULL DEFAULT 0,
    error_count       INTEGER NOT NULL DEFAULT 0,
    warning_count     INTEGER NOT NULL DEFAULT 0,
    message           TEXT NOT NULL DEFAULT '',
    worker            TEXT NOT NULL DEFAULT '',
    heartbeat_at      TIMESTAMP
, allow_weak_hashes BOOLEAN NOT NULL DEFAULT FALSE, request TEXT NOT NULL DEFAULT '', confirms BIGINT);
INSERT INTO meibo_rebuilt (id, format, encoding, detected_encoding, group_id, update_existing, send_invitations, dry_run, file_name, size, sha256, created_by, created_at, started_at, finished_at, status, rows, progress, created, updated, deleted, unchanged, error_count, warning_count, message, worker, heartbeat_at, allow_weak_hashes, request, confirms)
    SELECT id, format, encoding, detected_encoding, group_id, update_existing, send_invitations, dry_run, file_name, size, sha256, created_by, created_at, started_at, finished_at, status, rows, progress, created, updated, deleted, unchanged, error_count, warning_count, message, worker, heartbeat_at, allow_weak_hashes, request, confirms FROM import_jobs;
DROP TABLE import_jobs;
ALTER TABLE meibo_rebuilt RENAME TO import_jobs;
CREATE UNIQUE INDEX import_jobs_confirms ON import_jobs (confirms) WHERE status <> 'FAILED';
CREATE INDEX import_jobs_group ON import_jobs (group_id, id);
CREATE INDEX import_jobs_status ON import_jobs (status, id);

-- mail_outbox
CREATE TABLE meibo_rebuilt (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    kind            TEXT NOT NULL,
    group_id        TEXT NOT NULL DEFAULT '',
    user_id         INTEGER,
    to_addr         TEXT NOT NULL,
    subject         TEXT NOT NULL,
    text_body       TEXT NOT NULL,
    html_body       TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    give_up_at      TIMESTAMP NOT NULL,
    claimed_by      TEXT NOT NULL DEFAULT '',
    claimed_until   TIMESTAMP,
    sent_at         TIMESTAMP
, lang TEXT NOT NULL DEFAULT 'en', link_expires_at TIMESTAMP, void_reason TEXT NOT NULL DEFAULT '');
INSERT INTO meibo_rebuilt (id, kind, group_id, user_id, to_addr, subject, text_body, html_body, status, attempts, last_error, created_at, next_attempt_at, give_up_at, claimed_by, claimed_until, sent_at, lang, link_expires_at, void_reason)
    SELECT id, kind, group_id, user_id, to_addr, subject, text_body, html_body, status, attempts, last_error, created_at, next_attempt_at, give_up_at, claimed_by, claimed_until, sent_at, lang, link_expires_at, void_reason FROM mail_outbox;
DROP TABLE mail_outbox;
ALTER TABLE meibo_rebuilt RENAME TO mail_outbox;
CREATE INDEX mail_outbox_due ON mail_outbox (status, next_attempt_at);
CREATE INDEX mail_outbox_user ON mail_outbox (user_id, kind, id);

-- backup_log
CREATE TABLE meibo_rebuilt (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
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
INSERT INTO meibo_rebuilt (id, kind, via, slot, actor, started_at, finished_at, file, size, tables, rows, outcome, error)
    SELECT id, kind, via, slot, actor, started_at, finished_at, file, size, tables, rows, outcome, error FROM backup_log;
DROP TABLE backup_log;
ALTER TABLE meibo_rebuilt RENAME TO backup_log;
CREATE UNIQUE INDEX backup_log_slot ON backup_log (slot) WHERE slot IS NOT NULL;
