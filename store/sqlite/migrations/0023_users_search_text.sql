-- PostgreSQL's trigram index moved to one expression of the folded name and
-- the e-mail key (its migration 0023). SQLite's trigram index (users_fts,
-- FTS5) already indexes both columns in one table: nothing changes here,
-- and the number keeps both engines' schemas at the same version, which
-- backups carry from one engine to the other.
SELECT 1;
