-- How many users each group has, kept by triggers, so that a list that
-- shows a group's total (a SCIM list without a filter) need not count a
-- million index entries. Inserts and deletes count once per statement, from
-- the statement's transition table (as the licence count does); users never
-- move between groups, and a row trigger keeps the count right should one
-- ever do.
CREATE TABLE group_user_counts (
    group_id TEXT COLLATE "C" PRIMARY KEY REFERENCES groups (id) ON DELETE CASCADE,
    users    BIGINT NOT NULL
);
INSERT INTO group_user_counts (group_id, users)
    SELECT group_id, COUNT(*) FROM users GROUP BY group_id;

CREATE FUNCTION users_count_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO group_user_counts (group_id, users)
        SELECT group_id, COUNT(*) FROM inserted_users GROUP BY group_id
        ON CONFLICT (group_id) DO UPDATE SET users = group_user_counts.users + excluded.users;
    RETURN NULL;
END
$$;

CREATE FUNCTION users_count_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE group_user_counts c SET users = c.users - d.n
        FROM (SELECT group_id, COUNT(*) AS n FROM deleted_users GROUP BY group_id) d
        WHERE c.group_id = d.group_id;
    RETURN NULL;
END
$$;

CREATE FUNCTION users_count_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE group_user_counts SET users = users - 1 WHERE group_id = OLD.group_id;
    INSERT INTO group_user_counts (group_id, users) VALUES (NEW.group_id, 1)
        ON CONFLICT (group_id) DO UPDATE SET users = group_user_counts.users + 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER users_count_ins AFTER INSERT ON users REFERENCING NEW TABLE AS inserted_users
    FOR EACH STATEMENT EXECUTE FUNCTION users_count_inserted();
CREATE TRIGGER users_count_del AFTER DELETE ON users REFERENCING OLD TABLE AS deleted_users
    FOR EACH STATEMENT EXECUTE FUNCTION users_count_deleted();
CREATE TRIGGER users_count_upd AFTER UPDATE OF group_id ON users
    FOR EACH ROW WHEN (OLD.group_id IS DISTINCT FROM NEW.group_id) EXECUTE FUNCTION users_count_moved();
