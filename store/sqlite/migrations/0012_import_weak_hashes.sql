-- An import may carry legacy password hashes of weak formats (salted SHA)
-- only when its submitter allowed them explicitly.
ALTER TABLE import_jobs ADD COLUMN allow_weak_hashes BOOLEAN NOT NULL DEFAULT FALSE;
