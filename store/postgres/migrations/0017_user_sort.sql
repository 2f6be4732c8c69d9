-- Users lists sorted by e-mail key, last sign-in or creation time, then by
-- ID: one range of an index per page. The e-mail key's index gains the ID
-- (its prefix ranges, for search, are read as before).
CREATE INDEX users_group_email_key_id ON users (group_id, email_key, id);
DROP INDEX users_group_email_key;
CREATE INDEX users_group_sign_in ON users (group_id, last_sign_in_at, id);
CREATE INDEX users_group_created ON users (group_id, created_at, id);

-- The total of a list of administrators or of disabled users, usually few of
-- a group, counts through these (see sqlstore countUsers).
CREATE INDEX users_group_admins ON users (group_id) WHERE admin;
CREATE INDEX users_group_disabled ON users (group_id) WHERE disabled;
