-- A kept import file is stored in chunks of a few MiB (seq 0, 1, …), so
-- that a file of any size is written and read back a chunk at a time, never
-- held whole in memory.
ALTER TABLE import_files ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE import_files DROP CONSTRAINT import_files_pkey;
ALTER TABLE import_files ADD PRIMARY KEY (job_id, seq);
