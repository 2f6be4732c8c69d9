-- SQLite's triggers that take a user's characters out of its two-character
-- index skip single ASCII characters from this migration on (its 0028).
-- PostgreSQL's triggers already look up only the characters that
-- user_gram_list gives: nothing changes here, and the number keeps both
-- engines' schemas at the same version, which backups carry from one engine
-- to the other.
SELECT 1;
