-- PostgreSQL's 0029 makes its triggers wait for an indexer that holds a
-- user being deleted or renamed before they delete the user's grams. SQLite
-- runs one writer at a time, so no indexer is ever in the middle of a chunk
-- when a user changes: nothing changes here, and the number keeps both
-- engines' schemas at the same version, which backups carry from one engine
-- to the other.
SELECT 1;
