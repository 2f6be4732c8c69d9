-- The keyword index's triggers that take a user's characters out of
-- user_grams look up a single character only in a name or e-mail key that
-- is not all ASCII: single characters are indexed only for ideographs and
-- kana (see singleGram), and an ASCII string has none. Every other lookup
-- found nothing: deleting 3,000 users spent two thirds of its time in
-- users_ad_grams, most of it on those lookups.
DROP TRIGGER users_ad_grams;
DROP TRIGGER users_au_grams;
DROP TRIGGER users_au_grams_pending;

CREATE TRIGGER users_ad_grams AFTER DELETE ON users BEGIN
    DELETE FROM user_grams WHERE group_id = old.group_id AND name_fold = old.name_fold AND name = old.name AND gram IN (
        SELECT substr(old.name_fold, n, 2) FROM search_positions WHERE n < length(old.name_fold)
        UNION ALL SELECT substr(old.email_key, n, 2) FROM search_positions WHERE n < length(old.email_key)
        UNION ALL SELECT substr(old.name_fold, n, 1) FROM search_positions
            WHERE length(CAST(old.name_fold AS BLOB)) > length(old.name_fold) AND n <= length(old.name_fold)
        UNION ALL SELECT substr(old.email_key, n, 1) FROM search_positions
            WHERE length(CAST(old.email_key AS BLOB)) > length(old.email_key) AND n <= length(old.email_key));
END;

CREATE TRIGGER users_au_grams AFTER UPDATE OF group_id, name, name_fold, email_key ON users
WHEN (old.group_id IS NOT new.group_id OR old.name IS NOT new.name OR old.name_fold IS NOT new.name_fold
    OR old.email_key IS NOT new.email_key) AND NOT EXISTS (SELECT 1 FROM user_grams_defer) BEGIN
    INSERT INTO users_fts (users_fts, rowid, name_fold, email_key) SELECT 'delete', old.id, old.name_fold, old.email_key
        WHERE NOT EXISTS (SELECT 1 FROM user_grams_pending WHERE group_id = old.group_id AND name_fold = old.name_fold AND name = old.name);
    DELETE FROM user_grams WHERE group_id = old.group_id AND name_fold = old.name_fold AND name = old.name AND gram IN (
        SELECT substr(old.name_fold, n, 2) FROM search_positions WHERE n < length(old.name_fold)
        UNION ALL SELECT substr(old.email_key, n, 2) FROM search_positions WHERE n < length(old.email_key)
        UNION ALL SELECT substr(old.name_fold, n, 1) FROM search_positions
            WHERE length(CAST(old.name_fold AS BLOB)) > length(old.name_fold) AND n <= length(old.name_fold)
        UNION ALL SELECT substr(old.email_key, n, 1) FROM search_positions
            WHERE length(CAST(old.email_key AS BLOB)) > length(old.email_key) AND n <= length(old.email_key));
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
    INSERT INTO users_fts (rowid, name_fold, email_key) VALUES (new.id, new.name_fold, new.email_key);
END;

CREATE TRIGGER users_au_grams_pending AFTER UPDATE OF group_id, name, name_fold, email_key ON users
WHEN (old.group_id IS NOT new.group_id OR old.name IS NOT new.name OR old.name_fold IS NOT new.name_fold
    OR old.email_key IS NOT new.email_key) AND EXISTS (SELECT 1 FROM user_grams_defer) BEGIN
    INSERT INTO users_fts (users_fts, rowid, name_fold, email_key) SELECT 'delete', old.id, old.name_fold, old.email_key
        WHERE NOT EXISTS (SELECT 1 FROM user_grams_pending WHERE group_id = old.group_id AND name_fold = old.name_fold AND name = old.name);
    DELETE FROM user_grams WHERE group_id = old.group_id AND name_fold = old.name_fold AND name = old.name AND gram IN (
        SELECT substr(old.name_fold, n, 2) FROM search_positions WHERE n < length(old.name_fold)
        UNION ALL SELECT substr(old.email_key, n, 2) FROM search_positions WHERE n < length(old.email_key)
        UNION ALL SELECT substr(old.name_fold, n, 1) FROM search_positions
            WHERE length(CAST(old.name_fold AS BLOB)) > length(old.name_fold) AND n <= length(old.name_fold)
        UNION ALL SELECT substr(old.email_key, n, 1) FROM search_positions
            WHERE length(CAST(old.email_key AS BLOB)) > length(old.email_key) AND n <= length(old.email_key));
    DELETE FROM user_grams_pending WHERE group_id = old.group_id AND name_fold = old.name_fold AND name = old.name;
    INSERT INTO user_grams_pending (group_id, name_fold, name, user_id, email_key) VALUES (new.group_id, new.name_fold, new.name, new.id, new.email_key);
END;
