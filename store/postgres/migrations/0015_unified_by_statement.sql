-- The licence count (unified_users) follows inserts and deletes of users once
-- per statement, from the statement's transition table, instead of once per
-- row: a bulk import of a million users runs one grouped upsert per batch
-- rather than a million trigger calls. Updates of unified_key keep their row
-- trigger (a trigger on a column list cannot have a transition table).
DROP TRIGGER users_unified_ins ON users;
DROP TRIGGER users_unified_del ON users;

CREATE FUNCTION users_unified_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO unified_users (name, unified_key, email, members)
        SELECT name, unified_key, (array_agg(email ORDER BY id))[1], count(*) FROM inserted_users GROUP BY name, unified_key
        ON CONFLICT (name, unified_key) DO UPDATE SET members = unified_users.members + excluded.members;
    RETURN NULL;
END
$$;

CREATE FUNCTION users_unified_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE unified_users u SET members = u.members - d.n
        FROM (SELECT name, unified_key, count(*) AS n FROM deleted_users GROUP BY name, unified_key) d
        WHERE u.name = d.name AND u.unified_key = d.unified_key;
    DELETE FROM unified_users u USING (SELECT DISTINCT name, unified_key FROM deleted_users) d
        WHERE u.name = d.name AND u.unified_key = d.unified_key AND u.members <= 0;
    RETURN NULL;
END
$$;

CREATE TRIGGER users_unified_ins AFTER INSERT ON users REFERENCING NEW TABLE AS inserted_users
    FOR EACH STATEMENT EXECUTE FUNCTION users_unified_inserted();
CREATE TRIGGER users_unified_del AFTER DELETE ON users REFERENCING OLD TABLE AS deleted_users
    FOR EACH STATEMENT EXECUTE FUNCTION users_unified_deleted();
