-- A user deleted or renamed while the indexer holds the user's chunk (it has
-- claimed the waiting row and written the grams, and not yet committed) left
-- those grams and its row of user_search behind: the triggers deleted the
-- grams they could see first, and only then waited for the waiting row the
-- indexer held. A later user of the same name then met them (a plain insert
-- failed on their keys). The triggers now take the waiting row first: that
-- waits for the indexer's commit, and the statements after it, each with a
-- snapshot of its own, see and delete what the indexer wrote. Rows such a
-- race left before this migration are taken over by the next user of the
-- name: the triggers that index a user at once write its grams and its row
-- of user_search over rows already there for its keys, as the indexer does
-- (names are unique in a group, so a key's user is the one written). SQLite
-- runs one writer at a time: its triggers stay as they are (its 0029 changes
-- nothing).
CREATE OR REPLACE FUNCTION users_grams_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF user_grams_deferred() THEN
        INSERT INTO user_grams_pending (group_id, name_fold, name, user_id, email_key)
        SELECT n.group_id, n.name_fold, n.name, n.id, n.email_key FROM new_users n;
    ELSE
        INSERT INTO user_grams (group_id, gram, name_fold, name, user_id)
        SELECT n.group_id, g, n.name_fold, n.name, n.id FROM new_users n, user_gram_list(n.name_fold, n.email_key) g
        ON CONFLICT (group_id, gram, name_fold, name) DO UPDATE SET user_id = excluded.user_id;
        INSERT INTO user_search (user_id, group_id, name_fold, name, email_key)
        SELECT n.id, n.group_id, n.name_fold, n.name, n.email_key FROM new_users n
        ON CONFLICT (group_id, name_fold, name) DO UPDATE SET user_id = excluded.user_id, email_key = excluded.email_key;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION users_grams_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM user_grams_pending) THEN
        DELETE FROM user_grams_pending p USING old_users o
        WHERE p.group_id = o.group_id AND p.name_fold = o.name_fold AND p.name = o.name;
    END IF;
    DELETE FROM user_grams ug USING old_users o, user_gram_list(o.name_fold, o.email_key) g
    WHERE ug.group_id = o.group_id AND ug.gram = g AND ug.name_fold = o.name_fold AND ug.name = o.name;
    DELETE FROM user_search s USING old_users o
    WHERE s.group_id = o.group_id AND s.name_fold = o.name_fold AND s.name = o.name;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION users_grams_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM user_grams_pending WHERE group_id = OLD.group_id AND name_fold = OLD.name_fold AND name = OLD.name;
    DELETE FROM user_grams WHERE group_id = OLD.group_id AND name_fold = OLD.name_fold AND name = OLD.name
        AND gram IN (SELECT user_gram_list(OLD.name_fold, OLD.email_key));
    DELETE FROM user_search WHERE group_id = OLD.group_id AND name_fold = OLD.name_fold AND name = OLD.name;
    IF user_grams_deferred() THEN
        INSERT INTO user_grams_pending (group_id, name_fold, name, user_id, email_key) VALUES (NEW.group_id, NEW.name_fold, NEW.name, NEW.id, NEW.email_key);
    ELSE
        INSERT INTO user_grams (group_id, gram, name_fold, name, user_id)
        SELECT NEW.group_id, g, NEW.name_fold, NEW.name, NEW.id FROM user_gram_list(NEW.name_fold, NEW.email_key) g
        ON CONFLICT (group_id, gram, name_fold, name) DO UPDATE SET user_id = excluded.user_id;
        INSERT INTO user_search (user_id, group_id, name_fold, name, email_key) VALUES (NEW.id, NEW.group_id, NEW.name_fold, NEW.name, NEW.email_key)
        ON CONFLICT (group_id, name_fold, name) DO UPDATE SET user_id = excluded.user_id, email_key = excluded.email_key;
    END IF;
    RETURN NULL;
END
$$;
