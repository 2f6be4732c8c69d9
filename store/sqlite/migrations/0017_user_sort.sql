-- Users lists sorted by last sign-in or creation time, then by ID: one
-- range of an index per page. The e-mail order uses users_group_email_key,
-- whose entries end with the rowid.
CREATE INDEX users_group_sign_in ON users (group_id, last_sign_in_at);
CREATE INDEX users_group_created ON users (group_id, created_at);

-- The total of a list of administrators or of disabled users, usually few of
-- a group, counts through these (see sqlstore countUsers).
CREATE INDEX users_group_admins ON users (group_id) WHERE admin;
CREATE INDEX users_group_disabled ON users (group_id) WHERE disabled;
