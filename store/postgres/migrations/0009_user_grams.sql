-- Keyword search for any two characters anywhere in a name or e-mail
-- address, and for one CJK ideograph or kana (Japanese names are often one
-- or two characters long). user_grams holds every distinct pair of
-- characters of a user's folded name and e-mail key, and every ideograph or
-- kana of them alone, each with the user's place in the listing order: a
-- keyword's users are one range of its primary key, already in folded-name
-- order and keyset-paginated like the list itself (pg_trgm does not serve
-- keywords shorter than three characters). The triggers below keep it in
-- step with users on every write path; inserts and deletes of many users
-- at once are handled a statement at a time.
CREATE TABLE user_grams (
    group_id  TEXT COLLATE "C" NOT NULL,
    gram      TEXT COLLATE "C" NOT NULL,
    name_fold TEXT COLLATE "C" NOT NULL,
    name      TEXT COLLATE "C" NOT NULL,
    user_id   BIGINT NOT NULL
);

-- The grams of a folded name and e-mail key: each pair of characters, and
-- each single character that is an ideograph or kana (the code points of
-- sqlstore.singleGram): iteration marks, hiragana, katakana, CJK
-- ideographs and their extensions and compatibility forms.
CREATE FUNCTION user_gram_list(name_fold TEXT, email_key TEXT) RETURNS SETOF TEXT
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT DISTINCT g FROM (
        SELECT substr(v, i, 2) AS g FROM unnest(ARRAY[name_fold, email_key]) v, generate_series(1, length(v) - 1) i
        UNION ALL
        SELECT c FROM (SELECT substr(v, i, 1) AS c FROM unnest(ARRAY[name_fold, email_key]) v, generate_series(1, length(v)) i) s
        WHERE ascii(c) BETWEEN 12293 AND 12295 OR ascii(c) BETWEEN 12352 AND 12543 OR ascii(c) BETWEEN 12784 AND 12799
            OR ascii(c) BETWEEN 13312 AND 19903 OR ascii(c) BETWEEN 19968 AND 40959 OR ascii(c) BETWEEN 63744 AND 64255
            OR ascii(c) BETWEEN 131072 AND 262143
    ) s
$$;

INSERT INTO user_grams (group_id, gram, name_fold, name, user_id)
SELECT u.group_id, g, u.name_fold, u.name, u.id FROM users u, user_gram_list(u.name_fold, u.email_key) g;
ALTER TABLE user_grams ADD PRIMARY KEY (group_id, gram, name_fold, name) INCLUDE (user_id);

CREATE FUNCTION users_grams_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO user_grams (group_id, gram, name_fold, name, user_id)
    SELECT n.group_id, g, n.name_fold, n.name, n.id FROM new_users n, user_gram_list(n.name_fold, n.email_key) g;
    RETURN NULL;
END
$$;

CREATE FUNCTION users_grams_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM user_grams ug USING old_users o, user_gram_list(o.name_fold, o.email_key) g
    WHERE ug.group_id = o.group_id AND ug.gram = g AND ug.name_fold = o.name_fold AND ug.name = o.name;
    RETURN NULL;
END
$$;

CREATE FUNCTION users_grams_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM user_grams WHERE group_id = OLD.group_id AND name_fold = OLD.name_fold AND name = OLD.name
        AND gram IN (SELECT user_gram_list(OLD.name_fold, OLD.email_key));
    INSERT INTO user_grams (group_id, gram, name_fold, name, user_id)
    SELECT NEW.group_id, g, NEW.name_fold, NEW.name, NEW.id FROM user_gram_list(NEW.name_fold, NEW.email_key) g;
    RETURN NULL;
END
$$;

CREATE TRIGGER users_grams_ins AFTER INSERT ON users REFERENCING NEW TABLE AS new_users
    FOR EACH STATEMENT EXECUTE FUNCTION users_grams_insert();
CREATE TRIGGER users_grams_del AFTER DELETE ON users REFERENCING OLD TABLE AS old_users
    FOR EACH STATEMENT EXECUTE FUNCTION users_grams_delete();
CREATE TRIGGER users_grams_upd AFTER UPDATE OF group_id, name, name_fold, email_key ON users FOR EACH ROW
    WHEN (OLD.group_id IS DISTINCT FROM NEW.group_id OR OLD.name IS DISTINCT FROM NEW.name
        OR OLD.name_fold IS DISTINCT FROM NEW.name_fold OR OLD.email_key IS DISTINCT FROM NEW.email_key)
    EXECUTE FUNCTION users_grams_update();
