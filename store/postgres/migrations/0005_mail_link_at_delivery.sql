-- Password links are minted when a message is handed to the SMTP server:
-- the outbox keeps their expiry, and the text holds a placeholder.
ALTER TABLE mail_outbox ADD COLUMN link_expires_at TIMESTAMPTZ;
