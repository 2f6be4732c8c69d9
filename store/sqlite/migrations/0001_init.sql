-- meibo schema, SQLite. Times are UTC, written by the driver as text
-- ("2006-01-02 15:04:05.999999999-07:00"), which sorts in time order.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE groups (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX groups_id_lower ON groups (lower(id));

CREATE TABLE profiles (
    id         INTEGER PRIMARY KEY,
    group_id   TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    actions    TEXT NOT NULL DEFAULT '',
    api_access BOOLEAN NOT NULL DEFAULT FALSE,
    is_default BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (group_id, name)
);
CREATE UNIQUE INDEX profiles_one_default ON profiles (group_id) WHERE is_default;

CREATE TABLE users (
    id                  INTEGER PRIMARY KEY,
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
CREATE INDEX users_group_name_fold ON users (group_id, name_fold);
CREATE INDEX users_group_email_key ON users (group_id, email_key);
CREATE INDEX users_profile ON users (profile_id);

-- Keyword search: trigrams of the folded name and e-mail (substrings of three
-- or more characters), kept in step with users by the triggers below.
CREATE VIRTUAL TABLE users_fts USING fts5 (
    name_fold, email_key,
    content = 'users', content_rowid = 'id',
    tokenize = 'trigram case_sensitive 1'
);

-- Licence count: one row per unified user (same name and e-mail key).
CREATE TABLE unified_users (
    name        TEXT NOT NULL,
    unified_key TEXT NOT NULL,
    email       TEXT NOT NULL,
    members     INTEGER NOT NULL,
    PRIMARY KEY (name, unified_key)
) WITHOUT ROWID;

CREATE TRIGGER users_ai AFTER INSERT ON users BEGIN
    INSERT INTO users_fts (rowid, name_fold, email_key) VALUES (new.id, new.name_fold, new.email_key);
    INSERT INTO unified_users (name, unified_key, email, members) VALUES (new.name, new.unified_key, new.email, 1)
        ON CONFLICT (name, unified_key) DO UPDATE SET members = members + 1;
END;

CREATE TRIGGER users_ad AFTER DELETE ON users BEGIN
    INSERT INTO users_fts (users_fts, rowid, name_fold, email_key) VALUES ('delete', old.id, old.name_fold, old.email_key);
    UPDATE unified_users SET members = members - 1 WHERE name = old.name AND unified_key = old.unified_key;
    DELETE FROM unified_users WHERE name = old.name AND unified_key = old.unified_key AND members <= 0;
END;

CREATE TRIGGER users_au_search AFTER UPDATE OF email_key ON users WHEN old.email_key IS NOT new.email_key BEGIN
    INSERT INTO users_fts (users_fts, rowid, name_fold, email_key) VALUES ('delete', old.id, old.name_fold, old.email_key);
    INSERT INTO users_fts (rowid, name_fold, email_key) VALUES (new.id, new.name_fold, new.email_key);
END;

CREATE TRIGGER users_au_unified AFTER UPDATE OF unified_key ON users WHEN old.unified_key IS NOT new.unified_key BEGIN
    UPDATE unified_users SET members = members - 1 WHERE name = old.name AND unified_key = old.unified_key;
    DELETE FROM unified_users WHERE name = old.name AND unified_key = old.unified_key AND members <= 0;
    INSERT INTO unified_users (name, unified_key, email, members) VALUES (new.name, new.unified_key, new.email, 1)
        ON CONFLICT (name, unified_key) DO UPDATE SET members = members + 1;
END;

CREATE TABLE admins (
    id                  INTEGER PRIMARY KEY,
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

CREATE TABLE admin_groups (
    admin_id INTEGER NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
    group_id TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    PRIMARY KEY (admin_id, group_id)
) WITHOUT ROWID;
CREATE INDEX admin_groups_group ON admin_groups (group_id);

-- Bearer tokens of administrators (JSON API) and of users (personal API).
CREATE TABLE api_tokens (
    hash         TEXT PRIMARY KEY,
    admin_id     INTEGER REFERENCES admins (id) ON DELETE CASCADE,
    user_id      INTEGER REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    CHECK ((admin_id IS NULL) <> (user_id IS NULL))
) WITHOUT ROWID;
CREATE INDEX api_tokens_admin ON api_tokens (admin_id);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- Browser sessions of the console (administrators) and the portal (users).
CREATE TABLE sessions (
    hash         TEXT PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('console', 'portal')),
    admin_id     INTEGER REFERENCES admins (id) ON DELETE CASCADE,
    user_id      INTEGER REFERENCES users (id) ON DELETE CASCADE,
    csrf_token   TEXT NOT NULL,
    lang         TEXT NOT NULL DEFAULT '',
    addr         TEXT NOT NULL DEFAULT '',
    user_agent   TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_admin ON sessions (admin_id);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- Failed sign-in counters per account and per address.
CREATE TABLE sign_in_throttle (
    key           TEXT PRIMARY KEY,
    failures      INTEGER NOT NULL,
    blocked_until TIMESTAMP,
    updated_at    TIMESTAMP NOT NULL
) WITHOUT ROWID;

-- Single-use links: invitations and password resets. Only hashes are kept.
CREATE TABLE user_tokens (
    hash       TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL CHECK (purpose IN ('invitation', 'reset')),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at    TIMESTAMP,
    revoked_at TIMESTAMP
) WITHOUT ROWID;
CREATE INDEX user_tokens_user ON user_tokens (user_id);

CREATE TABLE mail_outbox (
    id              INTEGER PRIMARY KEY,
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
);
CREATE INDEX mail_outbox_due ON mail_outbox (status, next_attempt_at);

CREATE TABLE devices (
    id               INTEGER PRIMARY KEY,
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
CREATE INDEX devices_group_name ON devices (group_id, name);
CREATE INDEX devices_user ON devices (user_id);
CREATE UNIQUE INDEX devices_secret ON devices (secret_hash) WHERE secret_hash <> '';
CREATE UNIQUE INDEX devices_group_serial ON devices (group_id, serial) WHERE serial <> '';

CREATE TABLE enrolment_tokens (
    id         INTEGER PRIMARY KEY,
    group_id   TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id    INTEGER REFERENCES users (id) ON DELETE SET NULL,
    hash       TEXT NOT NULL UNIQUE,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at    TIMESTAMP,
    device_id  INTEGER REFERENCES devices (id) ON DELETE SET NULL
);
CREATE INDEX enrolment_tokens_group ON enrolment_tokens (group_id);

-- Remote commands. The requester is kept by name: history outlives people.
CREATE TABLE commands (
    id             INTEGER PRIMARY KEY,
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
CREATE INDEX commands_device ON commands (device_id, status, id);

-- Import jobs keep their group as text: history outlives groups.
CREATE TABLE import_jobs (
    id                INTEGER PRIMARY KEY,
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
);
CREATE INDEX import_jobs_status ON import_jobs (status, id);
CREATE INDEX import_jobs_group ON import_jobs (group_id, id);

CREATE TABLE import_files (
    job_id INTEGER PRIMARY KEY REFERENCES import_jobs (id) ON DELETE CASCADE,
    data   BLOB NOT NULL
);

CREATE TABLE import_messages (
    job_id     INTEGER NOT NULL REFERENCES import_jobs (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    warning    BOOLEAN NOT NULL,
    row        INTEGER NOT NULL,
    col        TEXT NOT NULL,
    message    TEXT NOT NULL,
    message_ja TEXT NOT NULL,
    PRIMARY KEY (job_id, seq)
) WITHOUT ROWID;

CREATE TABLE audit_events (
    id          INTEGER PRIMARY KEY,
    at          TIMESTAMP NOT NULL,
    actor_kind  TEXT NOT NULL,
    actor_name  TEXT NOT NULL,
    addr        TEXT NOT NULL DEFAULT '',
    action      TEXT NOT NULL,
    category    TEXT NOT NULL,
    object_kind TEXT NOT NULL,
    object_id   TEXT NOT NULL,
    group_id    TEXT NOT NULL DEFAULT '',
    details     TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_actor ON audit_events (actor_name, id);
CREATE INDEX audit_events_object ON audit_events (object_kind, object_id, id);
CREATE INDEX audit_events_group ON audit_events (group_id, id);
