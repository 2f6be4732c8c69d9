-- The trigram index (users_fts) waits with the two-character index: a
-- transaction that defers the keyword index (0020: an import, a restore)
-- writes its new and renamed users to user_grams_pending alone, and the
-- indexer writes both indexes for them. Keeping FTS5 in step row by row cost
-- an import of new users about a sixth of its time, and rebuilding it a
-- restore a quarter. A user is in users_fts exactly when it is not waiting:
-- searches of three characters or more read the waiting users beside the
-- index (see the SQLite dialect's SearchIDs), and the triggers take a user
-- out of users_fts only when it is there (FTS5 would count down terms a
-- row never had).
--
-- Waiting users were written to users_fts at once until now: out with them.
INSERT INTO users_fts (users_fts, rowid, name_fold, email_key)
SELECT 'delete', u.id, u.name_fold, u.email_key FROM user_grams_pending p JOIN users u ON u.id = p.user_id;

-- The licence count's triggers keep it alone.
DROP TRIGGER users_ai;
DROP TRIGGER users_ad;
DROP TRIGGER users_au_search;
DROP TRIGGER users_au_name;

CREATE TRIGGER users_ai AFTER INSERT ON users BEGIN
    INSERT INTO unified_users (name, unified_key, email, members) VALUES (new.name, new.unified_key, new.email, 1)
        ON CONFLICT (name, unified_key) DO UPDATE SET members = members + 1;
END;

CREATE TRIGGER users_ad AFTER DELETE ON users BEGIN
    UPDATE unified_users SET members = members - 1 WHERE name = old.name AND unified_key = old.unified_key;
    DELETE FROM unified_users WHERE name = old.name AND unified_key = old.unified_key AND members <= 0;
END;

CREATE TRIGGER users_au_name AFTER UPDATE OF name ON users WHEN old.name IS NOT new.name BEGIN
    UPDATE unified_users SET members = members - 1 WHERE name = old.name AND unified_key = old.unified_key;
    DELETE FROM unified_users WHERE name = old.name AND unified_key = old.unified_key AND members <= 0;
    INSERT INTO unified_users (name, unified_key, email, members) VALUES (new.name, new.unified_key, new.email, 1)
        ON CONFLICT (name, unified_key) DO UPDATE SET members = members + 1;
END;

-- The keyword index's triggers keep both indexes. Each takes the old values
-- out of users_fts before it deletes the waiting row that tells whether they
-- are there.
DROP TRIGGER users_ai_grams;
DROP TRIGGER users_ai_grams_pending;
DROP TRIGGER users_ad_grams_pending;
DROP TRIGGER users_au_grams;
DROP TRIGGER users_au_grams_pending;

CREATE TRIGGER users_ai_grams AFTER INSERT ON users WHEN NOT EXISTS (SELECT 1 FROM user_grams_defer) BEGIN
    INSERT INTO users_fts (rowid, name_fold, email_key) VALUES (new.id, new.name_fold, new.email_key);
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
    INSERT INTO users_fts (users_fts, rowid, name_fold, email_key) SELECT 'delete', old.id, old.name_fold, old.email_key
        WHERE NOT EXISTS (SELECT 1 FROM user_grams_pending WHERE group_id = old.group_id AND name_fold = old.name_fold AND name = old.name);
    DELETE FROM user_grams_pending WHERE group_id = old.group_id AND name_fold = old.name_fold AND name = old.name;
END;

CREATE TRIGGER users_au_grams AFTER UPDATE OF group_id, name, name_fold, email_key ON users
WHEN (old.group_id IS NOT new.group_id OR old.name IS NOT new.name OR old.name_fold IS NOT new.name_fold
    OR old.email_key IS NOT new.email_key) AND NOT EXISTS (SELECT 1 FROM user_grams_defer) BEGIN
    INSERT INTO users_fts (users_fts, rowid, name_fold, email_key) SELECT 'delete', old.id, old.name_fold, old.email_key
        WHERE NOT EXISTS (SELECT 1 FROM user_grams_pending WHERE group_id = old.group_id AND name_fold = old.name_fold AND name = old.name);
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
        UNION ALL SELECT substr(old.name_fold, n, 1) FROM search_positions WHERE n <= length(old.name_fold)
        UNION ALL SELECT substr(old.email_key, n, 1) FROM search_positions WHERE n <= length(old.email_key));
    DELETE FROM user_grams_pending WHERE group_id = old.group_id AND name_fold = old.name_fold AND name = old.name;
    INSERT INTO user_grams_pending (group_id, name_fold, name, user_id, email_key) VALUES (new.group_id, new.name_fold, new.name, new.id, new.email_key);
END;
