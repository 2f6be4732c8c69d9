-- The trigram index waits with the two-character index, as SQLite's has
-- since 0022. It was on users itself (users_search), kept by every
-- statement that writes a user: an import of 100,000 new users spent 1.3
-- of the 4.7 s of its users' INSERT on it, a restore built it again (4.7 s
-- of 20 at 1,000,000 users), and every update of a user that no index
-- spares (disabling one: users_group_disabled) wrote its trigrams again.
--
-- The index is now on user_search, a row per indexed user holding what
-- searches sort and check (group, folded name, name, e-mail key). A
-- transaction that defers the keyword index (0020: imports, restores)
-- writes its new and renamed users to user_grams_pending alone, and the
-- indexer writes them to both. A user is in exactly one of user_search and
-- user_grams_pending: searches of three characters or more read the two
-- (sqlstore's searchTexts).
--
-- Its key is user_grams_pending's, the user's place in the listing order:
-- a statement that asks whether a user holds a keyword (the query of
-- identity providers) probes both tables by the same key.
-- Writes of users wait for the migration (about 10 s a million users);
-- reads go on until the old index is dropped, at the end.
LOCK TABLE users IN SHARE MODE;

CREATE TABLE user_search (
    group_id  TEXT COLLATE "C" NOT NULL,
    name_fold TEXT COLLATE "C" NOT NULL,
    name      TEXT COLLATE "C" NOT NULL,
    user_id   BIGINT NOT NULL,
    email_key TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (group_id, name_fold, name) INCLUDE (user_id)
);

INSERT INTO user_search (user_id, group_id, name_fold, name, email_key)
SELECT u.id, u.group_id, u.name_fold, u.name, u.email_key FROM users u
WHERE NOT EXISTS (SELECT 1 FROM user_grams_pending p WHERE p.group_id = u.group_id AND p.name_fold = u.name_fold AND p.name = u.name)
ORDER BY u.group_id, u.name_fold, u.name;

CREATE INDEX user_search_text ON user_search USING gin ((name_fold || ' ' || email_key) gin_trgm_ops);

CREATE OR REPLACE FUNCTION users_grams_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF user_grams_deferred() THEN
        INSERT INTO user_grams_pending (group_id, name_fold, name, user_id, email_key)
        SELECT n.group_id, n.name_fold, n.name, n.id, n.email_key FROM new_users n;
    ELSE
        INSERT INTO user_grams (group_id, gram, name_fold, name, user_id)
        SELECT n.group_id, g, n.name_fold, n.name, n.id FROM new_users n, user_gram_list(n.name_fold, n.email_key) g;
        INSERT INTO user_search (user_id, group_id, name_fold, name, email_key)
        SELECT n.id, n.group_id, n.name_fold, n.name, n.email_key FROM new_users n;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION users_grams_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM user_grams ug USING old_users o, user_gram_list(o.name_fold, o.email_key) g
    WHERE ug.group_id = o.group_id AND ug.gram = g AND ug.name_fold = o.name_fold AND ug.name = o.name;
    DELETE FROM user_search s USING old_users o
    WHERE s.group_id = o.group_id AND s.name_fold = o.name_fold AND s.name = o.name;
    IF EXISTS (SELECT 1 FROM user_grams_pending) THEN
        DELETE FROM user_grams_pending p USING old_users o
        WHERE p.group_id = o.group_id AND p.name_fold = o.name_fold AND p.name = o.name;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION users_grams_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM user_grams WHERE group_id = OLD.group_id AND name_fold = OLD.name_fold AND name = OLD.name
        AND gram IN (SELECT user_gram_list(OLD.name_fold, OLD.email_key));
    DELETE FROM user_grams_pending WHERE group_id = OLD.group_id AND name_fold = OLD.name_fold AND name = OLD.name;
    DELETE FROM user_search WHERE group_id = OLD.group_id AND name_fold = OLD.name_fold AND name = OLD.name;
    IF user_grams_deferred() THEN
        INSERT INTO user_grams_pending (group_id, name_fold, name, user_id, email_key) VALUES (NEW.group_id, NEW.name_fold, NEW.name, NEW.id, NEW.email_key);
    ELSE
        INSERT INTO user_grams (group_id, gram, name_fold, name, user_id)
        SELECT NEW.group_id, g, NEW.name_fold, NEW.name, NEW.id FROM user_gram_list(NEW.name_fold, NEW.email_key) g;
        INSERT INTO user_search (user_id, group_id, name_fold, name, email_key) VALUES (NEW.id, NEW.group_id, NEW.name_fold, NEW.name, NEW.email_key);
    END IF;
    RETURN NULL;
END
$$;

DROP INDEX users_search;
