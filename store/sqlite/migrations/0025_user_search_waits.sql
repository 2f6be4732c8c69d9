-- PostgreSQL's trigram index waits with its two-character index from this
-- migration on, as SQLite's has since 0022: nothing changes here. The
-- migration is numbered on both engines so that a backup's schema compares
-- alike on either.
SELECT 1;
