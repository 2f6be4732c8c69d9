-- Keyword search for any two characters anywhere in a name or e-mail
-- address, and for one CJK ideograph or kana (Japanese names are often one
-- or two characters long). user_grams holds every distinct pair of
-- characters of a user's folded name and e-mail key, and every ideograph or
-- kana of them alone, each with the user's place in the listing order: a
-- keyword's users are one range of its primary key, already in folded-name
-- order and keyset-paginated like the list itself. The triggers below keep
-- it in step with users on every write path.
CREATE TABLE user_grams (
    group_id  TEXT NOT NULL,
    gram      TEXT NOT NULL,
    name_fold TEXT NOT NULL,
    name      TEXT NOT NULL,
    user_id   INTEGER NOT NULL,
    PRIMARY KEY (group_id, gram, name_fold, name)
) WITHOUT ROWID;

-- Character positions 1 to 512 (names hold at most 64 characters, e-mail
-- addresses 254), to cut strings into grams: statements inside triggers
-- may not use WITH.
CREATE TABLE search_positions (n INTEGER PRIMARY KEY);
INSERT INTO search_positions (n)
SELECT a.n * 64 + b.n + 1 FROM (SELECT 0 AS n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7) a,
    (SELECT 0 AS n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9 UNION ALL SELECT 10 UNION ALL SELECT 11 UNION ALL SELECT 12 UNION ALL SELECT 13 UNION ALL SELECT 14 UNION ALL SELECT 15 UNION ALL SELECT 16 UNION ALL SELECT 17 UNION ALL SELECT 18 UNION ALL SELECT 19 UNION ALL SELECT 20 UNION ALL SELECT 21 UNION ALL SELECT 22 UNION ALL SELECT 23 UNION ALL SELECT 24 UNION ALL SELECT 25 UNION ALL SELECT 26 UNION ALL SELECT 27 UNION ALL SELECT 28 UNION ALL SELECT 29 UNION ALL SELECT 30 UNION ALL SELECT 31 UNION ALL SELECT 32 UNION ALL SELECT 33 UNION ALL SELECT 34 UNION ALL SELECT 35 UNION ALL SELECT 36 UNION ALL SELECT 37 UNION ALL SELECT 38 UNION ALL SELECT 39 UNION ALL SELECT 40 UNION ALL SELECT 41 UNION ALL SELECT 42 UNION ALL SELECT 43 UNION ALL SELECT 44 UNION ALL SELECT 45 UNION ALL SELECT 46 UNION ALL SELECT 47 UNION ALL SELECT 48 UNION ALL SELECT 49 UNION ALL SELECT 50 UNION ALL SELECT 51 UNION ALL SELECT 52 UNION ALL SELECT 53 UNION ALL SELECT 54 UNION ALL SELECT 55 UNION ALL SELECT 56 UNION ALL SELECT 57 UNION ALL SELECT 58 UNION ALL SELECT 59 UNION ALL SELECT 60 UNION ALL SELECT 61 UNION ALL SELECT 62 UNION ALL SELECT 63) b;

-- The grams of a user: each pair of characters of the folded name and of
-- the e-mail key, and each single character of them that is an ideograph
-- or kana (the code points of sqlstore.singleGram: iteration marks,
-- hiragana, katakana, CJK ideographs, their extensions and compatibility
-- forms), looked for only in text that is not all ASCII. A gram found twice
-- is written once (OR IGNORE: the key holds the user's name). Written as
-- plain statements over search_positions, without DISTINCT or UNION, the
-- triggers cost a new user half as much.
CREATE TRIGGER users_ai_grams AFTER INSERT ON users BEGIN
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

CREATE TRIGGER users_ad_grams AFTER DELETE ON users BEGIN
    DELETE FROM user_grams WHERE group_id = old.group_id AND name_fold = old.name_fold AND name = old.name AND gram IN (
        SELECT substr(old.name_fold, n, 2) FROM search_positions WHERE n < length(old.name_fold)
        UNION ALL SELECT substr(old.email_key, n, 2) FROM search_positions WHERE n < length(old.email_key)
        UNION ALL SELECT substr(old.name_fold, n, 1) FROM search_positions WHERE n <= length(old.name_fold)
        UNION ALL SELECT substr(old.email_key, n, 1) FROM search_positions WHERE n <= length(old.email_key));
END;

CREATE TRIGGER users_au_grams AFTER UPDATE OF group_id, name, name_fold, email_key ON users
WHEN old.group_id IS NOT new.group_id OR old.name IS NOT new.name OR old.name_fold IS NOT new.name_fold
    OR old.email_key IS NOT new.email_key BEGIN
    DELETE FROM user_grams WHERE group_id = old.group_id AND name_fold = old.name_fold AND name = old.name AND gram IN (
        SELECT substr(old.name_fold, n, 2) FROM search_positions WHERE n < length(old.name_fold)
        UNION ALL SELECT substr(old.email_key, n, 2) FROM search_positions WHERE n < length(old.email_key)
        UNION ALL SELECT substr(old.name_fold, n, 1) FROM search_positions WHERE n <= length(old.name_fold)
        UNION ALL SELECT substr(old.email_key, n, 1) FROM search_positions WHERE n <= length(old.email_key));
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

-- The users of today, in key order (one sorted pass into the table).
INSERT INTO user_grams (group_id, gram, name_fold, name, user_id)
SELECT DISTINCT u.group_id, g.gram, u.name_fold, u.name, u.id FROM users u JOIN (
    SELECT s.id, substr(s.v, p.n, 2) AS gram, 0 AS c
        FROM (SELECT id, name_fold AS v FROM users UNION ALL SELECT id, email_key FROM users) s JOIN search_positions p ON p.n < length(s.v)
    UNION ALL
    SELECT s.id, substr(s.v, p.n, 1), unicode(substr(s.v, p.n, 1))
        FROM (SELECT id, name_fold AS v FROM users UNION ALL SELECT id, email_key FROM users) s JOIN search_positions p ON p.n <= length(s.v)
) g ON g.id = u.id
WHERE g.c = 0 OR (g.c BETWEEN 12293 AND 12295 OR g.c BETWEEN 12352 AND 12543 OR g.c BETWEEN 12784 AND 12799 OR g.c BETWEEN 13312 AND 19903
        OR g.c BETWEEN 19968 AND 40959 OR g.c BETWEEN 63744 AND 64255 OR g.c BETWEEN 131072 AND 262143)
ORDER BY 1, 2, 3, 4;
