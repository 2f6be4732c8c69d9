-- A dry run is imported at most once, but a confirmation that failed
-- (nothing of it was written: the licence was full, the data changed) does
-- not count: the dry run may be confirmed again.
DROP INDEX import_jobs_confirms;
CREATE UNIQUE INDEX import_jobs_confirms ON import_jobs (confirms) WHERE status <> 'FAILED';
