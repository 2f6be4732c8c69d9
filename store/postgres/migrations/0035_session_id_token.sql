-- The ID token of a console session made through an identity provider,
-- sent back to the provider as id_token_hint when the administrator signs
-- out (OpenID Connect RP-Initiated Logout). Sessions are left out of
-- backups, so it never leaves the database.
ALTER TABLE sessions ADD COLUMN id_token TEXT NOT NULL DEFAULT '';
