-- A user's invitation state is read from their newest invitation in the
-- outbox: find a user's messages by kind without reading the whole outbox.
CREATE INDEX mail_outbox_user ON mail_outbox (user_id, kind, id);
