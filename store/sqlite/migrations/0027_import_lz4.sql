-- PostgreSQL compresses kept import files and change blocks with lz4 from
-- this migration on (its 0027). SQLite stores them as they are: nothing
-- changes here, and the number keeps both engines' schemas at the same
-- version, which backups carry from one engine to the other.
SELECT 1;
