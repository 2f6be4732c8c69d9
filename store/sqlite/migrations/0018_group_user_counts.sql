-- How many users each group has, kept by triggers, so that a list that
-- shows a group's total (a SCIM list without a filter) need not count a
-- million index entries. Users never move between groups; the update
-- trigger keeps the count right should one ever do.
CREATE TABLE group_user_counts (
    group_id TEXT PRIMARY KEY REFERENCES groups (id) ON DELETE CASCADE,
    users    INTEGER NOT NULL
);
INSERT INTO group_user_counts (group_id, users)
    SELECT group_id, COUNT(*) FROM users GROUP BY group_id;

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
