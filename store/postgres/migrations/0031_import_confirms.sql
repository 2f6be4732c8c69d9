-- A job that imports a dry run's file for real (or applies a bulk action's
-- preview) names that dry run; a dry run is imported at most once, which the
-- unique index holds against two confirmations at the same time.
ALTER TABLE import_jobs ADD COLUMN confirms BIGINT;
CREATE UNIQUE INDEX import_jobs_confirms ON import_jobs (confirms);
