-- SQLite's trigram index waits with its two-character index from this
-- migration on (see SQLite's 0022). PostgreSQL keeps its GIN index at once,
-- as before: nothing changes here. The migration is numbered on both engines
-- so that a backup's schema compares alike on either.
SELECT 1;
