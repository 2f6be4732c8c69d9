package sqlstore

import (
	"context"
	"fmt"
	"strconv"
)

// Deferred search index (migration 0020). A transaction that writes many
// users (an import, a restore) asks DeferSearchIndex first: its new and
// renamed users get one row each in user_grams_pending instead of their
// grams in user_grams, and IndexPendingUsers, run by a background indexer
// after the commit, moves them into user_grams a chunk at a time. Searches
// read the pending users of a group directly (pendingRows), so that what a
// keyword finds never depends on whether the indexer has caught up.

// DeferSearchIndex makes the users this transaction creates or renames
// pending in the search index instead of indexing each at once. SQLite
// marks the transaction with a row of user_grams_defer, deleted again
// before the commit (see endDefer); PostgreSQL with a setting local to the
// transaction.
func (t *Tx) DeferSearchIndex(ctx context.Context) error {
	if t.deferred {
		return nil
	}
	q := `SELECT set_config('meibo.defer_grams', 'on', true)`
	if t.d.Name() == "sqlite" {
		q = `INSERT OR IGNORE INTO user_grams_defer (mark) VALUES (1)`
	}
	if _, err := t.tx.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("defer the search index: %w", err)
	}
	t.deferred = true
	return nil
}

// endDefer removes SQLite's mark before the commit: later transactions
// index their users at once again.
func (t *Tx) endDefer(ctx context.Context) error {
	if !t.deferred || t.d.Name() != "sqlite" {
		return nil
	}
	if _, err := t.tx.ExecContext(ctx, `DELETE FROM user_grams_defer`); err != nil {
		return fmt.Errorf("end deferring the search index: %w", err)
	}
	t.deferred = false
	return nil
}

// IndexPendingUsers moves up to max pending users, in key order, into
// user_grams, and returns how many it moved (0: none was pending). The
// grams of the chunk are written in the order of user_grams' key, one
// statement; on PostgreSQL the chunk's rows are claimed with SKIP LOCKED, so
// that indexers of several servers share the work.
func (t *Tx) IndexPendingUsers(ctx context.Context, max int) (int, error) {
	lim := strconv.Itoa(max)
	if t.d.Name() == "postgres" {
		var n int
		err := t.tx.QueryRowContext(ctx, `WITH chunk AS (
				DELETE FROM user_grams_pending WHERE (group_id, name_fold, name) IN (
					SELECT group_id, name_fold, name FROM user_grams_pending ORDER BY group_id, name_fold, name
					LIMIT `+lim+` FOR UPDATE SKIP LOCKED)
				RETURNING user_id),
			ins AS (
				INSERT INTO user_grams (group_id, gram, name_fold, name, user_id)
				SELECT u.group_id, g, u.name_fold, u.name, u.id FROM chunk c JOIN users u ON u.id = c.user_id,
					user_gram_list(u.name_fold, u.email_key) g
				ORDER BY 1, 2, 3, 4
				ON CONFLICT DO NOTHING)
			SELECT count(*) FROM chunk`).Scan(&n)
		if err != nil {
			return 0, fmt.Errorf("index pending users: %w", err)
		}
		return n, nil
	}
	// SQLite: one writer, so the chunk read twice is the same chunk.
	chunk := `SELECT user_id FROM user_grams_pending ORDER BY group_id, name_fold, name LIMIT ` + lim
	_, err := t.tx.ExecContext(ctx, `INSERT OR IGNORE INTO user_grams (group_id, gram, name_fold, name, user_id)
		SELECT DISTINCT u.group_id, g.gram, u.name_fold, u.name, u.id FROM users u JOIN (
			SELECT s.id, substr(s.v, p.n, 2) AS gram, 0 AS c
				FROM (SELECT id, name_fold AS v FROM users WHERE id IN (`+chunk+`)
					UNION ALL SELECT id, email_key FROM users WHERE id IN (`+chunk+`)) s
				JOIN search_positions p ON p.n < length(s.v)
			UNION ALL
			SELECT s.id, substr(s.v, p.n, 1), unicode(substr(s.v, p.n, 1))
				FROM (SELECT id, name_fold AS v FROM users WHERE id IN (`+chunk+`)
					UNION ALL SELECT id, email_key FROM users WHERE id IN (`+chunk+`)) s
				JOIN search_positions p ON p.n <= length(s.v)
				WHERE length(CAST(s.v AS BLOB)) > length(s.v)
		) g ON g.id = u.id
		WHERE g.c = 0 OR (g.c BETWEEN 12293 AND 12295 OR g.c BETWEEN 12352 AND 12543 OR g.c BETWEEN 12784 AND 12799
			OR g.c BETWEEN 13312 AND 19903 OR g.c BETWEEN 19968 AND 40959 OR g.c BETWEEN 63744 AND 64255
			OR g.c BETWEEN 131072 AND 262143)
		ORDER BY 1, 2, 3, 4`)
	if err != nil {
		return 0, fmt.Errorf("index pending users: %w", err)
	}
	res, err := t.tx.ExecContext(ctx, `DELETE FROM user_grams_pending WHERE (group_id, name_fold, name) IN (
		SELECT group_id, name_fold, name FROM user_grams_pending ORDER BY group_id, name_fold, name LIMIT `+lim+`)`)
	if err != nil {
		return 0, fmt.Errorf("index pending users: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("index pending users: %w", err)
	}
	return int(n), nil
}

// PendingUsers counts the users waiting for the search index, up to max.
func (t *Tx) PendingUsers(ctx context.Context, max int) (int, error) {
	var n int
	err := t.tx.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM user_grams_pending LIMIT `+strconv.Itoa(max)+`) p`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count pending users: %w", err)
	}
	return n, nil
}

// pendingRows reads the first s.n pending users of the group after the
// cursor (and before to, when set) that the gram keyword matches and that
// pass the filters, in walking order. Empty at once when nothing is
// pending.
func (s *userSearch) pendingRows(ctx context.Context, to *userKey) ([]userRow, error) {
	join := " JOIN "
	if s.t.d.Name() == "sqlite" {
		join = " CROSS JOIN "
	}
	q := &stmt{}
	q.and("g.group_id = " + q.arg(s.f.GroupID))
	s.span(q, "g", s.from, to)
	q.and(s.likeCond(q, "u"))
	s.filters(q, "u")
	rows, err := s.t.queryContext(ctx, `SELECT `+userCols+`, u.name_fold FROM user_grams_pending g`+join+`users u ON u.id = g.user_id
		JOIN profiles p ON p.id = u.profile_id WHERE `+q.whereSQL()+` ORDER BY `+s.order("g")+` LIMIT `+strconv.Itoa(s.n), q.args...)
	if err != nil {
		return nil, err
	}
	return scanRows(rows)
}
