-- A profile is a SCIM Group, and its members are part of it: a user who
-- joins or leaves it, or is renamed in it, changes the Group. Each profile
-- counts those changes (members_version) and keeps the time of the latest
-- (members_changed_at), so that the Group's version and lastModified are
-- the same however it is read (with or without its members) and never go
-- back when a member leaves. Inserts and updates are counted once per
-- statement, from its transition tables, at the rows' updated_at (the
-- transaction's time): an import of many users updates each profile once a
-- batch. A deletion is counted by the store, which knows the time, in the
-- statement before it.
ALTER TABLE profiles ADD COLUMN members_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE profiles ADD COLUMN members_changed_at TIMESTAMPTZ;
-- Until now a Group's lastModified was its latest member's: start there.
UPDATE profiles SET members_changed_at = (SELECT max(u.updated_at) FROM users u WHERE u.profile_id = profiles.id);

CREATE FUNCTION users_members_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE profiles p SET members_version = p.members_version + c.n, members_changed_at = c.at
        FROM (SELECT profile_id, count(*) AS n, max(updated_at) AS at FROM members_inserted GROUP BY profile_id) c
        WHERE p.id = c.profile_id;
    RETURN NULL;
END
$$;

CREATE FUNCTION users_members_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE profiles p SET members_version = p.members_version + c.n, members_changed_at = c.at
        FROM (SELECT profile_id, count(*) AS n, max(at) AS at FROM (
                SELECT o.profile_id, n.updated_at AS at FROM members_old o JOIN members_new n ON n.id = o.id
                    WHERE o.profile_id IS DISTINCT FROM n.profile_id OR o.name IS DISTINCT FROM n.name
                UNION ALL
                SELECT n.profile_id, n.updated_at FROM members_old o JOIN members_new n ON n.id = o.id
                    WHERE o.profile_id IS DISTINCT FROM n.profile_id) x
            GROUP BY profile_id) c
        WHERE p.id = c.profile_id;
    RETURN NULL;
END
$$;

CREATE TRIGGER users_members_ins AFTER INSERT ON users REFERENCING NEW TABLE AS members_inserted
    FOR EACH STATEMENT EXECUTE FUNCTION users_members_inserted();
CREATE TRIGGER users_members_upd AFTER UPDATE ON users REFERENCING OLD TABLE AS members_old NEW TABLE AS members_new
    FOR EACH STATEMENT EXECUTE FUNCTION users_members_updated();
