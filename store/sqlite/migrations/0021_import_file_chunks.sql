-- A kept import file is stored in chunks of a few MiB (seq 0, 1, …), so
-- that a file of any size is written and read back a chunk at a time, never
-- held whole in memory.
CREATE TABLE import_files_chunked (
    job_id INTEGER NOT NULL REFERENCES import_jobs (id) ON DELETE CASCADE,
    data   BLOB NOT NULL,
    seq    INTEGER NOT NULL DEFAULT 0, -- last, as PostgreSQL adds it
    PRIMARY KEY (job_id, seq)
);
INSERT INTO import_files_chunked (job_id, data, seq) SELECT job_id, data, 0 FROM import_files;
DROP TABLE import_files;
ALTER TABLE import_files_chunked RENAME TO import_files;
