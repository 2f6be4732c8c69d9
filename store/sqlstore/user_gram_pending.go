package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Deferred search index (migration 0020). A transaction that writes many
// users (an import, a restore) asks DeferSearchIndex first: its new and
// renamed users get one row each in user_grams_pending instead of their
// grams in user_grams, and IndexPendingUsers, run by a background indexer
// after the commit, moves them into user_grams a chunk at a time. They wait
// for the trigram index too (SQLite's users_fts, migration 0022;
// PostgreSQL's user_search, migration 0025). Searches read the pending
// users of a group directly (pendingRows, searchTexts, and SQLite's
// SearchIDs and TrigramIDs), so that what a keyword finds never depends on
// whether the indexer has caught up.

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
// user_grams and the trigram index (SQLite's users_fts, PostgreSQL's
// user_search), and returns how many it moved (0: none was pending). The
// grams of the chunk are cut here (appendUserGrams) and written in the order of
// user_grams' key. On PostgreSQL the chunk's rows are claimed with SKIP
// LOCKED, so that indexers of several servers share the work, and deleted
// by their row addresses (a semi-join on the key would read every waiting
// row for every chunk).
func (t *Tx) IndexPendingUsers(ctx context.Context, max int) (int, error) {
	if t.d.Name() == "postgres" {
		return t.indexPendingPostgres(ctx, max)
	}
	// SQLite: one writer, so the chunk read is the chunk deleted.
	rows, err := t.tx.QueryContext(ctx, `SELECT group_id, name_fold, name, user_id, email_key
		FROM user_grams_pending ORDER BY group_id, name_fold, name LIMIT `+strconv.Itoa(max))
	if err != nil {
		return 0, fmt.Errorf("index pending users: %w", err)
	}
	chunk, err := scanPending(rows)
	if err != nil || len(chunk) == 0 {
		return 0, err
	}
	// The grams in multi-row statements (cutting them in SQL, over
	// search_positions, cost twice as much).
	const per = 500 // rows a statement: 2,500 parameters
	args := make([]any, 0, per*5)
	flush := func() error {
		if len(args) == 0 {
			return nil
		}
		q := `INSERT INTO user_grams (group_id, gram, name_fold, name, user_id) VALUES ` +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?), ", len(args)/5), ", ") + gramUpsert
		_, err := t.execContext(ctx, q, args...)
		args = args[:0]
		return err
	}
	for _, g := range chunkGrams(chunk) {
		args = append(args, g.p.group, g.gram, g.p.fold, g.p.name, g.p.id)
		if len(args) == cap(args) {
			if err := flush(); err != nil {
				return 0, fmt.Errorf("index pending users: %w", err)
			}
		}
	}
	if err := flush(); err != nil {
		return 0, fmt.Errorf("index pending users: %w", err)
	}
	fts := make([]ftsRow, len(chunk))
	for i, p := range chunk {
		fts[i] = ftsRow{p.id, p.fold, p.email}
	}
	if err := t.indexTrigrams(ctx, fts); err != nil {
		return 0, err
	}
	last := chunk[len(chunk)-1]
	_, err = t.tx.ExecContext(ctx, `DELETE FROM user_grams_pending WHERE (group_id, name_fold, name) <= (?, ?, ?)`,
		last.group, last.fold, last.name)
	if err != nil {
		return 0, fmt.Errorf("index pending users: %w", err)
	}
	return len(chunk), nil
}

// indexPendingPostgres is IndexPendingUsers on PostgreSQL: one statement
// claims the chunk, writes its users into user_search and returns them;
// their grams, cut here, are copied into user_grams (copyGrams). Cutting
// them in SQL (user_gram_list) and inserting them with ON CONFLICT took
// twice as long.
func (t *Tx) indexPendingPostgres(ctx context.Context, max int) (int, error) {
	rows, err := t.tx.QueryContext(ctx, `WITH chunk AS (
			DELETE FROM user_grams_pending WHERE ctid = ANY(ARRAY(
				SELECT ctid FROM user_grams_pending ORDER BY group_id, name_fold, name
				LIMIT `+strconv.Itoa(max)+` FOR UPDATE SKIP LOCKED))
			RETURNING group_id, name_fold, name, user_id, email_key),
		texts AS (
			INSERT INTO user_search (user_id, group_id, name_fold, name, email_key)
			SELECT c.user_id, c.group_id, c.name_fold, c.name, c.email_key FROM chunk c ORDER BY c.group_id, c.name_fold, c.name
			ON CONFLICT (group_id, name_fold, name) DO UPDATE SET user_id = excluded.user_id, email_key = excluded.email_key)
		SELECT group_id, name_fold, name, user_id, email_key FROM chunk`)
	if err != nil {
		return 0, fmt.Errorf("index pending users: %w", err)
	}
	chunk, err := scanPending(rows)
	if err != nil || len(chunk) == 0 {
		return 0, err
	}
	if err := t.copyGrams(ctx, chunkGrams(chunk)); err != nil {
		return 0, fmt.Errorf("index pending users: %w", err)
	}
	return len(chunk), nil
}

// gramUpsert ends a write of grams: a row already there for the key (the
// group, gram and name of a user) takes the user ID written. Names are
// unique in a group, so the key's user is the one being indexed; a row
// there already can only be one that a delete or rename racing an earlier
// indexer left behind, for a user of the same name before.
const gramUpsert = ` ON CONFLICT (group_id, gram, name_fold, name) DO UPDATE SET user_id = excluded.user_id`

// copyGrams writes grams into PostgreSQL's user_grams with COPY. A waiting
// user has no grams in the index (a rename or a new e-mail address deletes
// the old ones before the user waits again), so none of them should be
// there already; should one be, the COPY fails whole, and the grams go in
// again with INSERT … gramUpsert, which costs a third more. A savepoint
// keeps the chunk's other work through that.
func (t *Tx) copyGrams(ctx context.Context, grams []gramRow) error {
	c := t.copier(len(grams))
	if c != nil {
		rows := make([][]any, len(grams))
		for i, g := range grams {
			rows[i] = []any{g.p.group, g.gram, g.p.fold, g.p.name, g.p.id}
		}
		if _, err := t.tx.ExecContext(ctx, `SAVEPOINT meibo_grams`); err != nil {
			return fmt.Errorf("savepoint: %w", err)
		}
		err := t.copyRows(ctx, c, "user_grams", []string{"group_id", "gram", "name_fold", "name", "user_id"}, rows)
		if err == nil {
			if _, err := t.tx.ExecContext(ctx, `RELEASE SAVEPOINT meibo_grams`); err != nil {
				return fmt.Errorf("release savepoint: %w", err)
			}
			return nil
		}
		if !t.d.IsUnique(err) {
			return err
		}
		if _, err := t.tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT meibo_grams`); err != nil {
			return fmt.Errorf("rollback to savepoint: %w", err)
		}
	}
	cols := [4][]string{}
	ids := make([]int64, len(grams))
	for i := range cols {
		cols[i] = make([]string, len(grams))
	}
	for i, g := range grams {
		cols[0][i], cols[1][i], cols[2][i], cols[3][i], ids[i] = g.p.group, g.gram, g.p.fold, g.p.name, g.p.id
	}
	_, err := t.tx.ExecContext(ctx, `INSERT INTO user_grams (group_id, gram, name_fold, name, user_id)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[])`+gramUpsert,
		cols[0], cols[1], cols[2], cols[3], ids)
	return err
}

// pend is a user waiting for the keyword index.
type pend struct {
	group, fold, name, email string
	id                       int64
}

// scanPending reads rows of group_id, name_fold, name, user_id, email_key.
func scanPending(rows *sql.Rows) ([]pend, error) {
	defer rows.Close()
	var chunk []pend
	for rows.Next() {
		var p pend
		if err := rows.Scan(&p.group, &p.fold, &p.name, &p.id, &p.email); err != nil {
			return nil, fmt.Errorf("index pending users: %w", err)
		}
		chunk = append(chunk, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("index pending users: %w", err)
	}
	return chunk, nil
}

// gramRow is a row of user_grams: a gram of a waiting user.
type gramRow struct {
	gram string
	p    *pend
	// the places of the user's group among the chunk's groups and of the
	// user in the chunk, both in key order: the sort's keys
	group, user int32
}

// chunkGrams cuts the grams of a chunk of waiting users and sorts them in
// the order of user_grams' key (group, gram, folded name, name), the order
// that writes each page of the index once. The chunk is put in key order
// first (it comes so from SQLite, in any order from PostgreSQL's DELETE …
// RETURNING); a user's place in it then stands for its folded name and
// name, and the sort compares two integers and a gram instead of four
// strings. Both engines compare these columns byte by byte (SQLite's
// BINARY, PostgreSQL's "C"), as strings.Compare does.
func chunkGrams(chunk []pend) []gramRow {
	slices.SortFunc(chunk, func(a, b pend) int {
		if c := strings.Compare(a.group, b.group); c != 0 {
			return c
		}
		if c := strings.Compare(a.fold, b.fold); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
	grams := make([]gramRow, 0, 24*len(chunk))
	var group int32
	var cut []string
	for i := range chunk {
		p := &chunk[i]
		if i > 0 && p.group != chunk[i-1].group {
			group++
		}
		cut = appendUserGrams(cut[:0], p.fold, p.email)
		for _, g := range cut {
			grams = append(grams, gramRow{gram: g, p: p, group: group, user: int32(i)})
		}
	}
	slices.SortFunc(grams, func(a, b gramRow) int {
		if a.group != b.group {
			return cmp.Compare(a.group, b.group)
		}
		if c := strings.Compare(a.gram, b.gram); c != 0 {
			return c
		}
		return cmp.Compare(a.user, b.user)
	})
	return grams
}

// appendUserGrams appends the distinct grams of a user to out, as
// migration 0009 cuts them: every pair of characters of the folded name and
// of the e-mail key, and every single character of them that singleGram
// accepts. Each gram is a piece of fold or email, not a copy.
func appendUserGrams(out []string, fold, email string) []string {
	start := len(out)
	add := func(g string) {
		if !slices.Contains(out[start:], g) {
			out = append(out, g)
		}
	}
	for _, v := range []string{fold, email} {
		// i: the byte offset of a character, j of the next one.
		for i := 0; i < len(v); {
			r, n := utf8.DecodeRuneInString(v[i:])
			j := i + n
			if j < len(v) {
				_, m := utf8.DecodeRuneInString(v[j:])
				add(v[i : j+m])
			}
			if singleGram(r) {
				add(v[i:j])
			}
			i = j
		}
	}
	return out
}

// ftsRow is a user's row of SQLite's trigram index.
type ftsRow struct {
	id          int64
	fold, email string
}

// indexTrigrams writes users into SQLite's trigram index (users_fts), which
// waits with user_grams (migration 0022), in the order of their IDs, the
// index's own.
func (t *Tx) indexTrigrams(ctx context.Context, rows []ftsRow) error {
	slices.SortFunc(rows, func(a, b ftsRow) int { return cmp.Compare(a.id, b.id) })
	const per = 1000 // rows a statement: 3,000 parameters
	for len(rows) > 0 {
		n := min(per, len(rows))
		args := make([]any, 0, 3*n)
		for _, r := range rows[:n] {
			args = append(args, r.id, r.fold, r.email)
		}
		q := `INSERT INTO users_fts (rowid, name_fold, email_key) VALUES ` + strings.TrimSuffix(strings.Repeat("(?, ?, ?), ", n), ", ")
		if _, err := t.execContext(ctx, q, args...); err != nil {
			return fmt.Errorf("index pending users: trigrams: %w", err)
		}
		rows = rows[n:]
	}
	return nil
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
	join := s.t.lookupJoin()
	q := &stmt{}
	q.and("g.group_id = " + q.arg(s.f.GroupID))
	s.span(q, "g", s.from, to)
	q.and(s.likeCond(q, "g"))
	s.filters(q, "u")
	rows, err := s.t.queryContext(ctx, `SELECT `+userCols+`, u.name_fold FROM user_grams_pending g`+join+`users u ON u.id = g.user_id
		JOIN profiles p ON p.id = u.profile_id WHERE `+q.whereSQL()+` ORDER BY `+s.order("g")+` LIMIT `+strconv.Itoa(s.n), q.args...)
	if err != nil {
		return nil, err
	}
	return scanRows(rows)
}
