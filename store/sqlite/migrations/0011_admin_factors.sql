-- Second factors and single sign-on of administrators.

-- How a console session signed in ("password", "password+totp", "passkey",
-- "sso:<provider>"...) and what it still lacks: '' when complete, 'second'
-- while it waits for a second factor, 'setup' while it must set one up.
ALTER TABLE sessions ADD COLUMN methods TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN stage TEXT NOT NULL DEFAULT '';

-- An authenticator app's secret (RFC 6238), usable once confirmed by a first
-- code; last_step is the time step of the last code accepted, so that a code
-- is used only once.
CREATE TABLE admin_totp (
    admin_id     INTEGER PRIMARY KEY REFERENCES admins (id) ON DELETE CASCADE,
    secret       TEXT NOT NULL,
    last_step    INTEGER NOT NULL DEFAULT 0,
    created_at   TIMESTAMP NOT NULL,
    confirmed_at TIMESTAMP
);

-- Single-use recovery codes, kept as hashes.
CREATE TABLE admin_recovery_codes (
    hash       TEXT PRIMARY KEY,
    admin_id   INTEGER NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    used_at    TIMESTAMP
) WITHOUT ROWID;
CREATE INDEX admin_recovery_codes_admin ON admin_recovery_codes (admin_id);

-- Passkeys (WebAuthn credentials); data is the credential as the WebAuthn
-- library keeps it (JSON).
CREATE TABLE admin_passkeys (
    id            INTEGER PRIMARY KEY,
    admin_id      INTEGER NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
    credential_id TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    data          TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    last_used_at  TIMESTAMP
);
CREATE INDEX admin_passkeys_admin ON admin_passkeys (admin_id);

-- Identities of an identity provider that signed an administrator in.
CREATE TABLE admin_sso_links (
    provider     TEXT NOT NULL,
    subject      TEXT NOT NULL,
    admin_id     INTEGER NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
    created_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP NOT NULL,
    PRIMARY KEY (provider, subject)
) WITHOUT ROWID;
CREATE INDEX admin_sso_links_admin ON admin_sso_links (admin_id);

-- Sign-in ceremonies under way (a passkey challenge, an identity provider's
-- state, nonce and PKCE verifier), by the hash of a cookie; single use.
CREATE TABLE sign_in_ceremonies (
    hash       TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    data       TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL
) WITHOUT ROWID;
