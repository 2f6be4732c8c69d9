-- A message a worker holds while it is superseded (the user is deleted or
-- disabled, a newer link is asked for) is not failed under the worker,
-- which may be handing it to the SMTP server: it is marked void with the
-- reason, and its worker fails it with that reason when it has not minted
-- its link yet.
ALTER TABLE mail_outbox ADD COLUMN void_reason TEXT NOT NULL DEFAULT '';
