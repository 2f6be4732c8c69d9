-- SCIM provisioning: tokens bound to one group's endpoint, what identity
-- providers tell of users beside their own fields, and renames.
CREATE TABLE scim_tokens (
    id           INTEGER PRIMARY KEY,
    hash         TEXT NOT NULL UNIQUE,
    group_id     TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    admin_id     INTEGER REFERENCES admins (id) ON DELETE CASCADE,
    created_by   TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP
);
CREATE INDEX scim_tokens_group ON scim_tokens (group_id);

CREATE TABLE user_identities (
    user_id      INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    group_id     TEXT NOT NULL,
    external_id  TEXT NOT NULL DEFAULT '',
    given_name   TEXT NOT NULL DEFAULT '',
    family_name  TEXT NOT NULL DEFAULT '',
    display_name TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX user_identities_external ON user_identities (group_id, external_id) WHERE external_id <> '';

-- A rename (from an identity provider) keeps the keyword index and the
-- licence count in step; it changes the name alone.
CREATE TRIGGER users_au_name AFTER UPDATE OF name ON users WHEN old.name IS NOT new.name BEGIN
    INSERT INTO users_fts (users_fts, rowid, name_fold, email_key) VALUES ('delete', old.id, old.name_fold, old.email_key);
    INSERT INTO users_fts (rowid, name_fold, email_key) VALUES (new.id, new.name_fold, new.email_key);
    UPDATE unified_users SET members = members - 1 WHERE name = old.name AND unified_key = old.unified_key;
    DELETE FROM unified_users WHERE name = old.name AND unified_key = old.unified_key AND members <= 0;
    INSERT INTO unified_users (name, unified_key, email, members) VALUES (new.name, new.unified_key, new.email, 1)
        ON CONFLICT (name, unified_key) DO UPDATE SET members = members + 1;
END;
