-- A bulk action's job keeps the request it ran (the action, the selection,
-- its options; JSON), apart from its file, which becomes the list of changes
-- once it has run: a preview (a dry run) is applied with the same request.
ALTER TABLE import_jobs ADD COLUMN request TEXT NOT NULL DEFAULT '';
