-- Outbox messages remember their language (Content-Language).
ALTER TABLE mail_outbox ADD COLUMN lang TEXT NOT NULL DEFAULT 'en';

-- Users are listed in folded-name order (case and width aside), then by
-- name: one index serves the list, its keyset pages and prefix searches.
DROP INDEX users_group_name_fold;
CREATE INDEX users_group_fold_name ON users (group_id, name_fold, name);
