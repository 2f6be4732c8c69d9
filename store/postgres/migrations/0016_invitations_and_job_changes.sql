-- A user's invitation state is read from their newest invitation in the
-- outbox: find a user's messages by kind without reading the whole outbox.
CREATE INDEX mail_outbox_user ON mail_outbox (user_id, kind, id);

-- What each import job changed: every user or administrator it created,
-- updated or deleted, written in the job's apply transaction (at most
-- Config.ImportMaxChanges of them). Never a password: "changed" at most.
CREATE TABLE import_changes (
    job_id  BIGINT NOT NULL REFERENCES import_jobs (id) ON DELETE CASCADE,
    seq     INTEGER NOT NULL,
    row     INTEGER NOT NULL,
    kind    TEXT NOT NULL CHECK (kind IN ('user', 'admin')),
    action  TEXT NOT NULL CHECK (action IN ('created', 'updated', 'deleted')),
    name    TEXT NOT NULL,
    changes TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (job_id, seq)
);
