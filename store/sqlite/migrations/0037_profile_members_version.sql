-- A profile is a SCIM Group, and its members are part of it: a user who
-- joins or leaves it, or is renamed in it, changes the Group. Each profile
-- counts those changes (members_version) and keeps the time of the latest
-- (members_changed_at), so that the Group's version and lastModified are
-- the same however it is read (with or without its members) and never go
-- back when a member leaves. A user's insert, move or rename is counted by
-- the triggers below, at the row's updated_at (the transaction's time);
-- a deletion by the store, which knows the time, in the statement before
-- it.
ALTER TABLE profiles ADD COLUMN members_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE profiles ADD COLUMN members_changed_at TIMESTAMP;
-- Until now a Group's lastModified was its latest member's: start there.
UPDATE profiles SET members_changed_at = (SELECT max(u.updated_at) FROM users u WHERE u.profile_id = profiles.id);

CREATE TRIGGER users_ai_members AFTER INSERT ON users BEGIN
    UPDATE profiles SET members_version = members_version + 1, members_changed_at = new.updated_at WHERE id = new.profile_id;
END;
CREATE TRIGGER users_au_members AFTER UPDATE OF profile_id, name ON users
    WHEN old.profile_id IS NOT new.profile_id OR old.name IS NOT new.name BEGIN
    UPDATE profiles SET members_version = members_version + 1, members_changed_at = new.updated_at
        WHERE id IN (old.profile_id, new.profile_id);
END;
