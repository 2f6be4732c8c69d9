-- A user's profile is one of the user's group's profiles, and one foreign
-- key now says so: (group_id, profile_id) references profiles (group_id,
-- id). It replaces the two keys of 0001 (group_id to groups, profile_id to
-- profiles): a profile's group exists, so the user's group does too, and
-- the server checks one key a new user instead of two. An import of
-- 100,000 new users spent about a fifth of the server's time on those
-- checks, a query each row and key.
--
-- The service has always given a user a profile of the user's own group.
-- Should a user have another group's all the same (written by hand), the
-- upgrade stops here, naming such users, with nothing changed.
DO $$
DECLARE
    n    BIGINT;
    listed TEXT;
BEGIN
    SELECT count(*) INTO n FROM users u JOIN profiles p ON p.id = u.profile_id WHERE p.group_id <> u.group_id;
    IF n > 0 THEN
        SELECT string_agg(format('%s/%s (profile %s of group %s)', b.group_id, b.name, b.profile, b.profile_group), ', ')
        INTO listed
        FROM (SELECT u.group_id, u.name, p.name AS profile, p.group_id AS profile_group
              FROM users u JOIN profiles p ON p.id = u.profile_id
              WHERE p.group_id <> u.group_id ORDER BY u.group_id, u.name LIMIT 10) b;
        RAISE EXCEPTION 'users with a profile of another group: %, among them %. Start the previous version of meibo, give each of them a profile of their own group, and upgrade again', n, listed;
    END IF;
END
$$;

ALTER TABLE profiles ADD CONSTRAINT profiles_group_id_id_key UNIQUE (group_id, id);
ALTER TABLE users ADD CONSTRAINT users_profile_in_group FOREIGN KEY (group_id, profile_id) REFERENCES profiles (group_id, id);
ALTER TABLE users DROP CONSTRAINT users_group_id_fkey, DROP CONSTRAINT users_profile_id_fkey;
