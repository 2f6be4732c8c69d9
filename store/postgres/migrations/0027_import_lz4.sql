-- Kept import files and the blocks of an import's changes are compressed
-- with lz4 instead of pglz, the server's default: a file of 100,000 users
-- (5.8 MB) went in in 13–20 ms instead of 65–80 and comes out faster for
-- each pass that reads it, for a quarter more room (1.06 MB against 0.85).
-- Values already stored keep their compression. A server built without
-- lz4 keeps pglz.
DO $$
BEGIN
    ALTER TABLE import_files ALTER COLUMN data SET COMPRESSION lz4;
    ALTER TABLE import_change_blocks ALTER COLUMN changes SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'this server has no lz4: import files stay compressed with pglz';
END
$$;
