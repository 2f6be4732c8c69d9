-- Imports and restores write many users in one transaction, and keeping
-- user_grams in step with each statement cost them most of their time (each
-- new user writes about 23 rows of it, spread over the whole index). Such a
-- transaction sets meibo.defer_grams to 'on' for itself (set_config, local
-- to the transaction: no other transaction sees it). While it is on, a new
-- or renamed user gets one row in user_grams_pending instead of its grams.
-- A background indexer moves the pending users into user_grams in chunks,
-- a set-based INSERT in key order each, and searches read the pending
-- users directly until then: a result never depends on whether the index
-- has caught up.
CREATE TABLE user_grams_pending (
    group_id  TEXT COLLATE "C" NOT NULL,
    name_fold TEXT COLLATE "C" NOT NULL,
    name      TEXT COLLATE "C" NOT NULL,
    user_id   BIGINT NOT NULL,
    email_key TEXT COLLATE "C" NOT NULL, -- searched here, without a read of the user
    PRIMARY KEY (group_id, name_fold, name) INCLUDE (user_id, email_key)
);

CREATE FUNCTION user_grams_deferred() RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT coalesce(current_setting('meibo.defer_grams', true), '') = 'on'
$$;

CREATE OR REPLACE FUNCTION users_grams_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF user_grams_deferred() THEN
        INSERT INTO user_grams_pending (group_id, name_fold, name, user_id, email_key)
        SELECT n.group_id, n.name_fold, n.name, n.id, n.email_key FROM new_users n;
    ELSE
        INSERT INTO user_grams (group_id, gram, name_fold, name, user_id)
        SELECT n.group_id, g, n.name_fold, n.name, n.id FROM new_users n, user_gram_list(n.name_fold, n.email_key) g;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION users_grams_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM user_grams ug USING old_users o, user_gram_list(o.name_fold, o.email_key) g
    WHERE ug.group_id = o.group_id AND ug.gram = g AND ug.name_fold = o.name_fold AND ug.name = o.name;
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
    IF user_grams_deferred() THEN
        INSERT INTO user_grams_pending (group_id, name_fold, name, user_id, email_key) VALUES (NEW.group_id, NEW.name_fold, NEW.name, NEW.id, NEW.email_key);
    ELSE
        INSERT INTO user_grams (group_id, gram, name_fold, name, user_id)
        SELECT NEW.group_id, g, NEW.name_fold, NEW.name, NEW.id FROM user_gram_list(NEW.name_fold, NEW.email_key) g;
    END IF;
    RETURN NULL;
END
$$;
