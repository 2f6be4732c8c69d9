-- Imports and restores write many users in one transaction, and keeping
-- user_grams in step row by row cost them most of their time (each new user
-- writes about 23 rows of it, spread over the whole index). Such a
-- transaction marks itself with a row in user_grams_defer, deleted before it
-- commits, so that no other transaction ever sees it (SQLite has one writer
-- at a time). While the mark is there, a new or renamed user gets one row in
-- user_grams_pending instead of its grams. A background indexer moves the
-- pending users into user_grams in chunks, a set-based INSERT in key order
-- each, and searches read the pending users directly until then: a result
-- never depends on whether the index has caught up.
CREATE TABLE user_grams_defer (mark INTEGER PRIMARY KEY);

CREATE TABLE user_grams_pending (
    group_id  TEXT NOT NULL,
    name_fold TEXT NOT NULL,
    name      TEXT NOT NULL,
    user_id   INTEGER NOT NULL,
    email_key TEXT NOT NULL, -- searched here, without a read of the user
    PRIMARY KEY (group_id, name_fold, name)
) WITHOUT ROWID;

DROP TRIGGER users_ai_grams;
DROP TRIGGER users_au_grams;

CREATE TRIGGER users_ai_grams AFTER INSERT ON users WHEN NOT EXISTS (SELECT 1 FROM user_grams_defer) BEGIN
    INSERT OR IGNORE INTO user_grams (group_id, gram, name_fold, name, user_id)
    SELECT new.group_id, substr(new.name_fold, n, 2), new.name_fold, new.name, new.id FROM search_positions WHERE n < length(new.name_fold);
    INSERT OR IGNORE INTO user_grams (group_id, gram, name_fold, name, user_id)
    SELECT new.group_id, substr(new.email_key, n, 2), new.name_fold, new.name, new.id FROM search_positions WHERE n < length(new.email_key);
    INSERT OR IGNORE INTO user_grams (group_id, gram, name_fold, name, user_id)
    SELECT new.group_id, substr(new.name_fold, n, 1), new.name_fold, new.name, new.id FROM search_positions
    WHERE length(CAST(new.name_fold AS BLOB)) > length(new.name_fold) AND n <= length(new.name_fold)
        AND (unicode(substr(new.name_fold, n, 1)) BETWEEN 12293 AND 12295 OR unicode(substr(new.name_fold, n, 1)) BETWEEN 12352 AND 12543
            OR unicode(substr(new.name_fold, n, 1)) BETWEEN 12784 AND 12799 OR unicode(substr(new.name_fold, n, 1)) BETWEEN 13312 AND 19903 OR unicode(substr(new.name_fold, n, 1)) BETWEEN 19968 AND 40959
            OR unicode(substr(new.name_fold, n, 1)) BETWEEN 63744 AND 64255 OR unicode(substr(new.name_fold, n, 1)) BETWEEN 131072 AND 262143);
    INSERT OR IGNORE INTO user_grams (group_id, gram, name_fold, name, user_id)
    SELECT new.group_id, substr(new.email_key, n, 1), new.name_fold, new.name, new.id FROM search_positions
    WHERE length(CAST(new.email_key AS BLOB)) > length(new.email_key) AND n <= length(new.email_key)
        AND (unicode(substr(new.email_key, n, 1)) BETWEEN 12293 AND 12295 OR unicode(substr(new.email_key, n, 1)) BETWEEN 12352 AND 12543
            OR unicode(substr(new.email_key, n, 1)) BETWEEN 12784 AND 12799 OR unicode(substr(new.email_key, n, 1)) BETWEEN 13312 AND 19903 OR unicode(substr(new.email_key, n, 1)) BETWEEN 19968 AND 40959
            OR unicode(substr(new.email_key, n, 1)) BETWEEN 63744 AND 64255 OR unicode(substr(new.email_key, n, 1)) BETWEEN 131072 AND 262143);
END;

CREATE TRIGGER users_ai_grams_pending AFTER INSERT ON users WHEN EXISTS (SELECT 1 FROM user_grams_defer) BEGIN
    INSERT INTO user_grams_pending (group_id, name_fold, name, user_id, email_key) VALUES (new.group_id, new.name_fold, new.name, new.id, new.email_key);
END;

CREATE TRIGGER users_ad_grams_pending AFTER DELETE ON users BEGIN
    DELETE FROM user_grams_pending WHERE group_id = old.group_id AND name_fold = old.name_fold AND name = old.name;
END;

-- A change of the searched values: the old grams and the pending row go;
-- the new grams are written at once, or the user becomes pending.
CREATE TRIGGER users_au_grams AFTER UPDATE OF group_id, name, name_fold, email_key ON users
WHEN (old.group_id IS NOT new.group_id OR old.name IS NOT new.name OR old.name_fold IS NOT new.name_fold
    OR old.email_key IS NOT new.email_key) AND NOT EXISTS (SELECT 1 FROM user_grams_defer) BEGIN
    DELETE FROM user_grams WHERE group_id = old.group_id AND name_fold = old.name_fold AND name = old.name AND gram IN (
        SELECT substr(old.name_fold, n, 2) FROM search_positions WHERE n < length(old.name_fold)
        UNION ALL SELECT substr(old.email_key, n, 2) FROM search_positions WHERE n < length(old.email_key)
        UNION ALL SELECT substr(old.name_fold, n, 1) FROM search_positions WHERE n <= length(old.name_fold)
        UNION ALL SELECT substr(old.email_key, n, 1) FROM search_positions WHERE n <= length(old.email_key));
    DELETE FROM user_grams_pending WHERE group_id = old.group_id AND name_fold = old.name_fold AND name = old.name;
    INSERT OR IGNORE INTO user_grams (group_id, gram, name_fold, name, user_id)
    SELECT new.group_id, substr(new.name_fold, n, 2), new.name_fold, new.name, new.id FROM search_positions WHERE n < length(new.name_fold);
    INSERT OR IGNORE INTO user_grams (group_id, gram, name_fold, name, user_id)
    SELECT new.group_id, substr(new.email_key, n, 2), new.name_fold, new.name, new.id FROM search_positions WHERE n < length(new.email_key);
    INSERT OR IGNORE INTO user_grams (group_id, gram, name_fold, name, user_id)
    SELECT new.group_id, substr(new.name_fold, n, 1), new.name_fold, new.name, new.id FROM search_positions
    WHERE length(CAST(new.name_fold AS BLOB)) > length(new.name_fold) AND n <= length(new.name_fold)
        AND (unicode(substr(new.name_fold, n, 1)) BETWEEN 12293 AND 12295 OR unicode(substr(new.name_fold, n, 1)) BETWEEN 12352 AND 12543
            OR unicode(substr(new.name_fold, n, 1)) BETWEEN 12784 AND 12799 OR unicode(substr(new.name_fold, n, 1)) BETWEEN 13312 AND 19903 OR unicode(substr(new.name_fold, n, 1)) BETWEEN 19968 AND 40959
            OR unicode(substr(new.name_fold, n, 1)) BETWEEN 63744 AND 64255 OR unicode(substr(new.name_fold, n, 1)) BETWEEN 131072 AND 262143);
    INSERT OR IGNORE INTO user_grams (group_id, gram, name_fold, name, user_id)
    SELECT new.group_id, substr(new.email_key, n, 1), new.name_fold, new.name, new.id FROM search_positions
    WHERE length(CAST(new.email_key AS BLOB)) > length(new.email_key) AND n <= length(new.email_key)
        AND (unicode(substr(new.email_key, n, 1)) BETWEEN 12293 AND 12295 OR unicode(substr(new.email_key, n, 1)) BETWEEN 12352 AND 12543
            OR unicode(substr(new.email_key, n, 1)) BETWEEN 12784 AND 12799 OR unicode(substr(new.email_key, n, 1)) BETWEEN 13312 AND 19903 OR unicode(substr(new.email_key, n, 1)) BETWEEN 19968 AND 40959
            OR unicode(substr(new.email_key, n, 1)) BETWEEN 63744 AND 64255 OR unicode(substr(new.email_key, n, 1)) BETWEEN 131072 AND 262143);
END;

CREATE TRIGGER users_au_grams_pending AFTER UPDATE OF group_id, name, name_fold, email_key ON users
WHEN (old.group_id IS NOT new.group_id OR old.name IS NOT new.name OR old.name_fold IS NOT new.name_fold
    OR old.email_key IS NOT new.email_key) AND EXISTS (SELECT 1 FROM user_grams_defer) BEGIN
    DELETE FROM user_grams WHERE group_id = old.group_id AND name_fold = old.name_fold AND name = old.name AND gram IN (
        SELECT substr(old.name_fold, n, 2) FROM search_positions WHERE n < length(old.name_fold)
        UNION ALL SELECT substr(old.email_key, n, 2) FROM search_positions WHERE n < length(old.email_key)
        UNION ALL SELECT substr(old.name_fold, n, 1) FROM search_positions WHERE n <= length(old.name_fold)
        UNION ALL SELECT substr(old.email_key, n, 1) FROM search_positions WHERE n <= length(old.email_key));
    DELETE FROM user_grams_pending WHERE group_id = old.group_id AND name_fold = old.name_fold AND name = old.name;
    INSERT INTO user_grams_pending (group_id, name_fold, name, user_id, email_key) VALUES (new.group_id, new.name_fold, new.name, new.id, new.email_key);
END;
