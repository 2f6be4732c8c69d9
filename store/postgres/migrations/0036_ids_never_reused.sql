-- An id is never handed out twice. PostgreSQL's identity columns already
-- keep to it (a sequence never goes back); SQLite's tables are made to by
-- their migration of the same name.
SELECT 1;
