package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/meibo/meibo"
)

// Users are listed in folded-name order, then by name: index
// users_group_fold_name on (group_id, name_fold, name) holds the order and
// its keyset pages, and a page's cursor is a user's name, folded here for
// the first half of the key.
//
// A keyword of two characters, or of one ideograph or kana, matches
// anywhere, through table user_grams, whose key holds the listing order: a
// page is one range of it, merged with matching profiles (see gramPage).
//
// A longer keyword that holds an ideograph or kana is first looked for in
// the range of user_grams of its rarest pair of characters, read in order
// and checked against the keyword (see bigramPage): "さくら" is "さく".
//
// Any other keyword is answered in steps, cheapest first, each bounded, so
// that a page costs about a page wherever its matches sort. A short keyword
// (one other character) matches the start of folded names: one range of
// the name index, in order, whose first page is read directly (A). Only its
// other matches (by e-mail or profile) that sort before A's last row can
// change the page; a longer keyword has no A, and all its matches are
// "other". The others are found by the first step that applies:
//
//   - SQLite, A full: when at most Window users lie between the cursor and
//     A's last row, they are read with the keyword condition.
//   - SQLite, short keyword: the users of the e-mail range and profiles are
//     listed from their indexes without reading the table (SQLite's indexes
//     hold the rowid). Up to Many: sorted by their rows, a page kept. Up to
//     Set: the name index is walked in chunks listing IDs only, keeping
//     those listed ("ta": 36,000 e-mail addresses, and 35,000 names before
//     the first match; two index scans instead of a table read per name).
//     More: matches are dense; walk the name order with the condition.
//   - Count the matches up to Few (Many for a keyword of three characters
//     on SQLite: one trigram, one posting list of the FTS5 index, 0.06 µs a
//     match; longer keywords intersect several, 11 ms for 10,000 matches of
//     "example.co.jp"); if no more, sort them, a page kept. PostgreSQL
//     skips this for long keywords: its planner overestimates mid-sized
//     ones (30,000 for the 7,417 users of "さくら") and would scan the
//     table to count them.
//   - A window of Window rows of the name order read with the keyword
//     condition: common keywords fill their page here.
//   - After the window, up to Many matches (long keywords): sorted. On
//     PostgreSQL one statement finds them through the trigram index,
//     counts them and sorts them (sortMatches).
//   - Otherwise walk the name order from the window with the condition.
//
// Measured on 1,000,000 users (store/storetest BenchmarkSearch; the
// figures for "さくら" were taken before bigramPage, which answers it in
// 0.7 ms on SQLite and 2.6 ms on PostgreSQL; the
// figures for "ta" were taken when two characters matched the start and
// took these steps). What stays slow: sorting matches reads each of them
// once, about 1.4 µs a row on SQLite (the 7,417 users of "さくら": 11 ms;
// Many: 14 ms), more on PostgreSQL; the index-only walk costs about 0.2 µs
// an entry of the e-mail range and of the name order before the matches
// ("ta": 15 ms); a keyword
// with more matches than these steps take, none of them in the window,
// walks the name order, a table read per row, until its page is full (on
// PostgreSQL, "ta": 70 ms).
type SearchBounds struct {
	Few    int // matches sorted at once, before a window
	Window int // rows of the name order read with the keyword condition
	Many   int // matches sorted at once, after a window
	Set    int // e-mail and profile matches held in memory for an index-only walk
}

var bounds = SearchBounds{Few: 2000, Window: 1000, Many: 10_000, Set: 100_000}

// SetSearchBounds replaces the bounds of the search's steps and returns the
// previous ones. Tests lower them so that a few dozen users take every step;
// nothing else should, and no search may run meanwhile.
func SetSearchBounds(b SearchBounds) SearchBounds {
	old := bounds
	bounds = b
	return old
}

// maxRune bounds a prefix range: every string that starts with p sorts below
// p + maxRune in byte order.
const maxRune = string(utf8.MaxRune)

// userKey is a user's place in the listing order.
type userKey struct{ fold, name string }

// userRow is a user read with their folded name, to be merged in order.
type userRow struct {
	u    *meibo.User
	fold string
}

func (r userRow) key() userKey { return userKey{r.fold, r.u.Name} }

// before reports whether k sorts before o, in byte order as both engines
// compare (SQLite BINARY, PostgreSQL COLLATE "C").
func (k userKey) before(o userKey) bool {
	return k.fold < o.fold || k.fold == o.fold && k.name < o.name
}

// stmt is a statement's conditions and arguments under construction.
type stmt struct {
	where []string
	args  []any
}

func (s *stmt) arg(v any) string {
	s.args = append(s.args, v)
	return "$" + strconv.Itoa(len(s.args))
}

func (s *stmt) and(cond ...string) { s.where = append(s.where, cond...) }

func (s *stmt) whereSQL() string { return strings.Join(s.where, " AND ") }

// userSearch is one FindUsers call.
type userSearch struct {
	t        *Tx
	f        meibo.UserFilter
	n        int      // rows wanted: the page and one more, to tell whether there is a next
	back     bool     // Before paging: the order is walked downwards
	from     *userKey // the cursor (excluded); nil on the first page
	kw       string   // folded keyword; "" lists every user
	short    bool     // one character, not a gram: matches at the start
	gram     bool     // two characters, or one ideograph or kana: matches anywhere, by user_grams
	profiles []int64  // the group's profiles whose folded name matches
	parts    []string // the parts of kw the trigram index is asked for (indexCond); nil: kw whole
}

// page returns up to s.n rows after the cursor, in walking order.
func (s *userSearch) page(ctx context.Context) ([]userRow, error) {
	if s.kw == "" {
		q := s.groupStmt()
		s.span(q, "u", s.from, nil)
		return s.rows(ctx, q, s.n)
	}
	if err := s.prepare(ctx); err != nil {
		return nil, err
	}
	if s.gram {
		return s.gramPage(ctx)
	}
	if bigramCandidate(s.kw) {
		got, ok, err := s.bigramPage(ctx)
		if err != nil || ok {
			return got, err
		}
	}
	var a []userRow
	var to *userKey
	var err error
	if s.short {
		q := s.groupStmt()
		s.span(q, "u", s.from, nil)
		q.and("u.name_fold >= "+q.arg(s.kw), "u.name_fold < "+q.arg(s.kw+maxRune))
		if a, err = s.rows(ctx, q, s.n); err != nil {
			return nil, err
		}
		if len(a) == s.n {
			k := a[len(a)-1].key()
			to = &k
		}
	}
	b, err := s.others(ctx, to)
	if err != nil {
		return nil, err
	}
	return s.merge(a, b), nil
}

// prepare tells the keyword's kind and finds the profiles it matches.
func (s *userSearch) prepare(ctx context.Context) error {
	s.gram = isGram(s.kw)
	s.short = !s.gram && utf8.RuneCountInString(s.kw) < 3
	profiles, err := s.t.Profiles(ctx, s.f.GroupID)
	if err != nil {
		return err
	}
	for _, p := range profiles {
		pn := meibo.Fold(p.Name)
		if s.short && strings.HasPrefix(pn, s.kw) || !s.short && strings.Contains(pn, s.kw) {
			s.profiles = append(s.profiles, p.ID)
		}
	}
	if !s.gram && !s.short && s.t.d.Name() == "postgres" && s.t.sample != nil {
		s.parts = indexParts(s.kw, s.t.sample.get(ctx, s.t))
	}
	return nil
}

// others returns the first s.n matches between the cursor and to (nil: the
// end) that the name range of a short keyword does not hold (every match,
// for a longer keyword), in walking order. It may return name-range matches
// too: merge drops them.
func (s *userSearch) others(ctx context.Context, to *userKey) ([]userRow, error) {
	if s.t.idsInIndexes() {
		if to != nil {
			// Few rows before A's last: read them all.
			n, err := s.count(ctx, s.from, to, bounds.Window)
			if err != nil {
				return nil, err
			}
			if n <= bounds.Window {
				return s.walk(ctx, s.from, to, s.n)
			}
		}
		if s.short {
			return s.shortOthers(ctx, to)
		}
	}
	// Count the matches before a window where that is cheap (see the
	// steps above).
	first := 0
	switch _, fts := s.t.d.(trigramSubquery); {
	case fts && utf8.RuneCountInString(s.kw) == 3:
		first = bounds.Many
	case fts || s.short:
		first = bounds.Few
	}
	if first > 0 {
		m, err := s.matches(ctx, first)
		if err != nil {
			return nil, err
		}
		if m != nil {
			return s.byIDs(ctx, m, s.from, to, s.n)
		}
	}
	got, end, err := s.window(ctx, to)
	if err != nil || end == nil || len(got) >= s.n {
		return got, err
	}
	need := s.n - len(got)
	// A short keyword's e-mail range on PostgreSQL is not listed further
	// (each of its entries costs a visit to the table): it walks.
	if is, ok := s.t.d.(indexScanner); ok && !s.short {
		more, ok, err := s.sortMatches(ctx, is, end, to, need)
		if err != nil || ok {
			return append(got, more...), err
		}
	} else if first < bounds.Many && !s.short {
		m, err := s.matches(ctx, bounds.Many)
		if err != nil {
			return nil, err
		}
		if m != nil {
			more, err := s.byIDs(ctx, m, end, to, need)
			return append(got, more...), err
		}
	}
	more, err := s.walk(ctx, end, to, need)
	return append(got, more...), err
}

// indexScanner is implemented by dialects whose trigram index a statement
// reads through the keyword's condition (PostgreSQL's GIN index, through
// ContainsCond), and whose planner must be kept from scanning the table
// instead.
type indexScanner interface {
	// IndexScan runs fn, which asks the trigram index, with table scans
	// off in the transaction.
	IndexScan(ctx context.Context, tx *sql.Tx, fn func() error) error
}

// sortMatches is the step after a window where the trigram index answers
// the keyword's condition (PostgreSQL): one statement finds up to
// bounds.Many+1 matches (of every group, as the index spans them, and the
// users of the matching profiles), keeps their keys, counts them, and sorts
// those of the group between from and to, the first n of which it returns
// in walking order with their full rows. ok is false when there were more
// than bounds.Many matches.
//
// The matches are read from the trigram index's rows and the users waiting
// for it (searchTexts), which hold the keys that the sort needs: only the
// page's users are read from users.
//
// The matches are found once: listed first and then sorted by the same
// condition, as SQLite's are, they cost two scans of the index and two
// rechecks of every match (the 7,417 users of "さくら": 6 ms each). Only
// their keys are kept: kept whole, each would be joined to its profile
// before the sort.
func (s *userSearch) sortMatches(ctx context.Context, is indexScanner, from, to *userKey, n int) (got []userRow, ok bool, err error) {
	q := &stmt{}
	found := `SELECT c.id, c.group_id, c.name_fold, c.name FROM ` + searchTexts + ` c WHERE ` + s.indexCond(q, "c")
	if len(s.profiles) > 0 {
		// Counted apart first, from the profile index alone: a profile of
		// many users would make the statement read them all.
		pids, err := s.profileIDs(ctx, bounds.Many)
		if err != nil || pids == nil {
			return nil, false, err
		}
		// A user that both the keyword and a profile match is one match.
		found += ` UNION SELECT c.id, c.group_id, c.name_fold, c.name FROM users c WHERE ` + idsIn(pids).cond(q, "c")
	}
	found += ` LIMIT ` + strconv.Itoa(bounds.Many+1)
	inner := &stmt{args: slices.Clone(q.args)}
	src := "m c"
	inner.and("c.group_id = " + inner.arg(s.f.GroupID))
	if s.filters(inner, "f"); len(inner.where) > 1 {
		src += " JOIN users f ON f.id = c.id"
	}
	s.span(inner, "c", from, to)
	total := -1
	err = is.IndexScan(ctx, s.t.tx, func() error {
		rows, err := s.t.queryContext(ctx, `WITH m AS MATERIALIZED (`+found+`) SELECT `+userCols+`, u.name_fold, (SELECT count(*) FROM m)`+
			userFrom+` WHERE u.id IN (SELECT c.id FROM `+src+` WHERE `+inner.whereSQL()+` ORDER BY `+s.order("c")+` LIMIT `+strconv.Itoa(n)+
			`) ORDER BY `+s.order("u"), inner.args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r userRow
			if r.u, err = scanUser(rows, &r.fold, &total); err != nil {
				return err
			}
			got = append(got, r)
		}
		if err := rows.Err(); err != nil || total >= 0 {
			return err
		}
		// No match in the group there: the count alone.
		return s.t.queryRowContext(ctx, `SELECT count(*) FROM (`+found+`) c`, q.args...).Scan(&total)
	})
	if err != nil {
		return nil, false, fmt.Errorf("search users: %w", err)
	}
	if total > bounds.Many {
		return nil, false, nil
	}
	return got, true, nil
}

// shortOthers is others for a short keyword on SQLite, whose indexes list
// the users of an e-mail range or profile without reading the table.
func (s *userSearch) shortOthers(ctx context.Context, to *userKey) ([]userRow, error) {
	ids, err := s.shortIDs(ctx, bounds.Set)
	switch {
	case err != nil:
		return nil, err
	case ids == nil:
		// More than bounds.Set: common, hence dense.
		return s.walk(ctx, s.from, to, s.n)
	case len(ids) == 0:
		return nil, nil
	case len(ids) <= bounds.Many:
		return s.byIDs(ctx, idsIn(ids), s.from, to, s.n)
	default:
		return s.walkIDs(ctx, ids, s.from, to, s.n)
	}
}

// idsInIndexes reports whether the engine's indexes hold the user ID, so that
// counting or listing the IDs of a stretch of an index reads the index
// alone: SQLite's rowid is in every index entry. PostgreSQL's entries point
// at heap tuples, which it visits to see whether they are visible.
func (t *Tx) idsInIndexes() bool { return t.d.Name() == "sqlite" }

// idAgg aggregates the IDs of alias c into one comma-separated string.
// SQLite's group_concat writes the rowid as text itself, a tenth faster
// than a CAST over tens of thousands of rows; PostgreSQL's string_agg takes
// text.
func (t *Tx) idAgg() string {
	if t.d.Name() == "sqlite" {
		return "group_concat(c.id)"
	}
	return "string_agg(CAST(c.id AS TEXT), ',')"
}

// trigramSubquery is implemented by a Dialect whose trigram index a statement
// can read as a subquery of user IDs (SQLite's FTS5 table), as the column id.
//
// More than bounds.Few matches of a keyword are sorted through the trigram
// index again rather than by their IDs: SQLite then reads the posting list
// inside the sorting statement (for the 7,417 users of "さくら", 10 ms
// against 15 ms with the IDs listed into Go and parsed back as literals).
// PostgreSQL has no such subquery: its GIN index answers the keyword's LIKE
// condition, and one statement finds and sorts the matches (sortMatches).
type trigramSubquery interface {
	// SearchIDs returns the IDs of users whose folded name or e-mail key
	// holds the folded keyword (three or more characters) when there are
	// at most max of them, and ok=false when there are more.
	SearchIDs(ctx context.Context, tx *sql.Tx, keyword string, max int) (ids []int64, ok bool, err error)
	// TrigramIDs returns a statement selecting the IDs of the users (of
	// every group) whose folded name or e-mail key holds keyword (three
	// characters or more), its parameters added with arg.
	TrigramIDs(keyword string, arg func(any) string) string
}

// matchSet names some users: by a condition on an alias, or (join) by a
// subquery of their IDs (column id) to join the users to.
type matchSet struct {
	cond func(q *stmt, a string) string
	join func(q *stmt) string
}

func idsIn(ids []int64) *matchSet {
	return &matchSet{cond: func(_ *stmt, a string) string {
		if len(ids) == 0 {
			return "FALSE"
		}
		return a + ".id IN (" + int64List(ids) + ")"
	}}
}

// matches returns the users that the keyword matches other than by the name
// range of a short keyword, when there are at most max of them (nil when
// more). They may belong to other groups: the trigram index spans every
// group.
func (s *userSearch) matches(ctx context.Context, max int) (*matchSet, error) {
	if s.short {
		ids, err := s.shortIDs(ctx, max)
		if err != nil || ids == nil {
			return nil, err
		}
		return idsIn(ids), nil
	}
	ts, ok := s.t.d.(trigramSubquery)
	if !ok {
		// Not listed apart: sortMatches finds them (PostgreSQL).
		return nil, nil
	}
	ids, ok, err := ts.SearchIDs(ctx, s.t.tx, s.kw, max)
	if err != nil {
		return nil, fmt.Errorf("search users: %w", err)
	}
	if !ok {
		return nil, nil
	}
	m := idsIn(ids)
	if len(ids) > bounds.Few {
		m = &matchSet{join: func(q *stmt) string { return ts.TrigramIDs(s.kw, q.arg) }}
	}
	if len(s.profiles) == 0 {
		return m, nil
	}
	pids, err := s.profileIDs(ctx, max-len(ids))
	if err != nil || pids == nil {
		return nil, err
	}
	return &matchSet{cond: func(q *stmt, a string) string {
		var c string
		if m.cond != nil {
			c = m.cond(q, a)
		} else {
			c = a + ".id IN (" + m.join(q) + ")"
		}
		return "(" + c + " OR " + idsIn(pids).cond(q, a) + ")"
	}}, nil
}

// shortIDs lists the users that a short keyword matches by e-mail or
// profile, when there are at most max of them (nil when more).
func (s *userSearch) shortIDs(ctx context.Context, max int) ([]int64, error) {
	q := &stmt{}
	q.and("c.group_id = "+q.arg(s.f.GroupID), "c.email_key >= "+q.arg(s.kw), "c.email_key < "+q.arg(s.kw+maxRune))
	ids, err := s.idList(ctx, q, max)
	if err != nil || len(ids) > max {
		return nil, err
	}
	if len(s.profiles) > 0 {
		more, err := s.profileIDs(ctx, max)
		if err != nil || more == nil {
			return nil, err
		}
		if ids = union(ids, more); len(ids) > max {
			return nil, nil
		}
	}
	if ids == nil {
		ids = []int64{}
	}
	return ids, nil
}

// profileIDs lists the users of the matching profiles when there are at most
// max of them (nil when more).
func (s *userSearch) profileIDs(ctx context.Context, max int) ([]int64, error) {
	if max < 0 {
		return nil, nil
	}
	q := &stmt{}
	q.and("c.profile_id IN (" + int64List(s.profiles) + ")")
	// Counted first, from the profile index alone: a profile of more than
	// max users is not listed, and listing its first max+1 to learn that
	// cost a search for "ta" (it matches the benchmark's "field staff") 8
	// of its 11 ms on PostgreSQL, which visits each user's row for its ID,
	// where counting them costs 1.5; on SQLite, 2 ms of 7.
	var n int
	if err := s.t.queryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM users c WHERE `+q.whereSQL()+` LIMIT `+
		strconv.Itoa(max+1)+`) c`, q.args...).Scan(&n); err != nil {
		return nil, fmt.Errorf("search users: %w", err)
	}
	if n > max {
		return nil, nil
	}
	ids, err := s.idList(ctx, q, max)
	if err != nil || len(ids) > max {
		return nil, err
	}
	if ids == nil {
		ids = []int64{}
	}
	return ids, nil
}

// idList returns the IDs of up to max+1 users (alias c) meeting q's
// conditions, read as one aggregated string: listing tens of thousands of
// IDs row by row costs more than the index scan itself.
func (s *userSearch) idList(ctx context.Context, q *stmt, max int) ([]int64, error) {
	var list sql.NullString
	err := s.t.queryRowContext(ctx, `SELECT `+s.t.idAgg()+` FROM (SELECT c.id FROM users c WHERE `+
		q.whereSQL()+` LIMIT `+strconv.Itoa(max+1)+`) c`, q.args...).Scan(&list)
	if err != nil {
		return nil, fmt.Errorf("search users: %w", err)
	}
	return parseIDs(list.String)
}

// count counts the group's users strictly between from and to, up to max+1.
func (s *userSearch) count(ctx context.Context, from, to *userKey, max int) (int, error) {
	q := &stmt{}
	q.and("c.group_id = " + q.arg(s.f.GroupID))
	s.span(q, "c", from, to)
	var n int
	if err := s.t.queryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM users c WHERE `+q.whereSQL()+` LIMIT `+
		strconv.Itoa(max+1)+`) c`, q.args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("search users: %w", err)
	}
	return n, nil
}

// byIDs returns the first n users of m (that are in the group and pass the
// filters) strictly between from and to, in walking order. The users are
// sorted by their own row alone; full rows are read for the page only.
func (s *userSearch) byIDs(ctx context.Context, m *matchSet, from, to *userKey, n int) ([]userRow, error) {
	inner := &stmt{}
	src := "users c"
	if m.join != nil {
		// Joined, the subquery's rows are read in turn, each followed by
		// its user: no set of IDs is built first (for the 7,417 users of
		// "さくら": 10 ms against 12 ms).
		src = "(" + m.join(inner) + ") m CROSS JOIN users c ON c.id = m.id"
	} else {
		inner.and(m.cond(inner, "c"))
	}
	// Written as an expression, the group condition cannot pick the
	// group's name index, which a planner without statistics takes (it
	// guesses that a group is small) and then walks every user of the
	// group.
	inner.and("c.group_id || '' = " + inner.arg(s.f.GroupID))
	s.filters(inner, "c")
	s.span(inner, "c", from, to)
	q := &stmt{args: inner.args}
	q.and("u.id IN (SELECT c.id FROM " + src + " WHERE " + inner.whereSQL() + " ORDER BY " + s.order("c") + " LIMIT " + strconv.Itoa(n) + ")")
	return s.rows(ctx, q, n)
}

// walk returns the first n matches strictly between from and to, walking the
// name order with the keyword condition.
func (s *userSearch) walk(ctx context.Context, from, to *userKey, n int) ([]userRow, error) {
	q := s.groupStmt()
	s.span(q, "u", from, to)
	q.and(s.matchCond(q))
	return s.rows(ctx, q, n)
}

// window reads the first bounds.Window rows of the name order after the cursor
// (and before to) with the keyword condition, in one pass. end is the last
// row's key when the window was full, nil when it reached to or the end of
// the group.
func (s *userSearch) window(ctx context.Context, to *userKey) (got []userRow, end *userKey, err error) {
	w := &stmt{}
	w.and("c.group_id = " + w.arg(s.f.GroupID))
	s.span(w, "c", s.from, to)
	q := &stmt{args: slices.Clone(w.args)}
	s.filters(q, "u")
	q.and(s.matchCond(q))
	rows, err := s.t.queryContext(ctx, `SELECT `+userCols+`, u.name_fold FROM (SELECT c.* FROM users c WHERE `+w.whereSQL()+
		` ORDER BY `+s.order("c")+` LIMIT `+strconv.Itoa(bounds.Window)+`) u JOIN profiles p ON p.id = u.profile_id WHERE `+
		q.whereSQL()+` ORDER BY `+s.order("u")+` LIMIT `+strconv.Itoa(s.n), q.args...)
	if err != nil {
		return nil, nil, err
	}
	if got, err = scanRows(rows); err != nil || len(got) >= s.n {
		return got, nil, err
	}
	if end, err = s.keyAt(ctx, w, bounds.Window-1); err != nil {
		return nil, nil, err
	}
	return got, end, nil
}

// keyAt returns the key of the row at offset off (from 0) of the group's
// users meeting w (alias c), in walking order; nil when there are fewer.
func (s *userSearch) keyAt(ctx context.Context, w *stmt, off int) (*userKey, error) {
	var k userKey
	err := s.t.queryRowContext(ctx, `SELECT c.name_fold, c.name FROM users c WHERE `+w.whereSQL()+` ORDER BY `+s.order("c")+
		` LIMIT 1 OFFSET `+strconv.Itoa(off), w.args...).Scan(&k.fold, &k.name)
	switch {
	case err == sql.ErrNoRows:
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("search users: %w", err)
	}
	return &k, nil
}

// walkIDs returns the first n users of ids (that are in the group and pass
// the filters) strictly between from and to, in walking order, by walking
// the name index there in growing chunks, listing IDs only.
//
// Chunks are ranges of folded names alone (a row-value comparison costs as
// much again as reading the index entry): the first starts at the cursor's
// folded name, each ends with every user of its last folded name, the last
// ends with to's. Users of those edge names beyond the cursor or to are
// dropped when the matches are read (byIDs keeps the exact span).
func (s *userSearch) walkIDs(ctx context.Context, ids []int64, from, to *userKey, n int) ([]userRow, error) {
	set := newIDSet(ids)
	gt, ge, le, order := " > ", " >= ", " <= ", "c.name_fold"
	if s.back {
		gt, ge, le, order = " < ", " <= ", " >= ", "c.name_fold DESC"
	}
	lo, loOp := "", ""
	if from != nil {
		lo, loOp = from.fold, ge
	}
	var hi *string
	if to != nil {
		hi = &to.fold
	}
	// chunk is the group's users from lo (loOp) up to hi, inclusive. One
	// bound each way: SQLite would test a further one on every entry.
	chunk := func(hi *string) *stmt {
		w := &stmt{}
		w.and("c.group_id = " + w.arg(s.f.GroupID))
		if loOp != "" {
			w.and("c.name_fold" + loOp + w.arg(lo))
		}
		if hi != nil {
			w.and("c.name_fold" + le + w.arg(*hi))
		}
		return w
	}
	var got []userRow
	var found []int64
	// Chunks grow from 4 windows to 64: a few index pages first, in case
	// the matches are near, then fewer statements.
	for size := 4 * bounds.Window; ; size = min(size*4, 64*bounds.Window) {
		w := chunk(hi)
		var end sql.NullString
		err := s.t.queryRowContext(ctx, `SELECT c.name_fold FROM users c WHERE `+w.whereSQL()+` ORDER BY `+order+
			` LIMIT 1 OFFSET `+strconv.Itoa(size-1), w.args...).Scan(&end)
		if err != nil && err != sql.ErrNoRows {
			return nil, fmt.Errorf("search users: %w", err)
		}
		if end.Valid {
			w = chunk(&end.String)
		}
		var list sql.NullString
		if err := s.t.queryRowContext(ctx, `SELECT `+s.t.idAgg()+` FROM users c WHERE `+w.whereSQL(),
			w.args...).Scan(&list); err != nil {
			return nil, fmt.Errorf("search users: %w", err)
		}
		found = found[:0]
		if err := eachID(list.String, func(id int64) {
			if set.has(id) {
				found = append(found, id)
			}
		}); err != nil {
			return nil, err
		}
		// Every match of this chunk sorts after every match of the
		// earlier ones.
		if len(found) > 0 {
			more, err := s.byIDs(ctx, idsIn(found), from, to, n-len(got))
			if err != nil {
				return nil, err
			}
			got = append(got, more...)
		}
		if len(got) >= n || !end.Valid {
			return got, nil
		}
		lo, loOp = end.String, gt
	}
}

// idSet is a set of user IDs: a bitmap over their range when it is dense
// enough (IDs are assigned in order), a map otherwise.
type idSet struct {
	lo   int64
	bits []uint64
	m    map[int64]struct{}
}

func newIDSet(ids []int64) *idSet {
	if len(ids) == 0 {
		return &idSet{}
	}
	lo, hi := slices.Min(ids), slices.Max(ids)
	if span := uint64(hi - lo); span < 1<<27 && span/64 < uint64(len(ids))*64 {
		s := &idSet{lo: lo, bits: make([]uint64, span/64+1)}
		for _, id := range ids {
			d := uint64(id - lo)
			s.bits[d/64] |= 1 << (d % 64)
		}
		return s
	}
	s := &idSet{m: make(map[int64]struct{}, len(ids))}
	for _, id := range ids {
		s.m[id] = struct{}{}
	}
	return s
}

func (s *idSet) has(id int64) bool {
	if s.m != nil {
		_, ok := s.m[id]
		return ok
	}
	d := uint64(id - s.lo)
	return id >= s.lo && d/64 < uint64(len(s.bits)) && s.bits[d/64]&(1<<(d%64)) != 0
}

// groupStmt starts a statement on the group's users (alias u) with the
// filters.
func (s *userSearch) groupStmt() *stmt {
	q := &stmt{}
	q.and("u.group_id = " + q.arg(s.f.GroupID))
	s.filters(q, "u")
	return q
}

// filters adds the filter's flags and profile on alias a.
func (s *userSearch) filters(q *stmt, a string) {
	if s.f.Disabled != nil {
		q.and(a + ".disabled = " + q.arg(*s.f.Disabled))
	}
	if s.f.Admin != nil {
		q.and(a + ".admin = " + q.arg(*s.f.Admin))
	}
	if s.f.ProfileID != nil {
		q.and(a + ".profile_id = " + q.arg(*s.f.ProfileID))
	}
	if s.f.Invitation != "" {
		q.and(invitationCond(q.arg, a, s.f.Invitation, s.t.now.UTC()))
	}
	if s.f.WeakHash {
		q.and(weakHash(a))
	}
}

// span keeps the keys of alias a strictly between from and to in walking
// order (either may be nil). Row values are compared pairwise, and both
// engines read them as a range of the name index.
func (s *userSearch) span(q *stmt, a string, from, to *userKey) {
	gt, lt := " > ", " < "
	if s.back {
		gt, lt = lt, gt
	}
	col := "(" + a + ".name_fold, " + a + ".name)"
	if from != nil {
		q.and(col + gt + "(" + q.arg(from.fold) + ", " + q.arg(from.name) + ")")
	}
	if to != nil {
		q.and(col + lt + "(" + q.arg(to.fold) + ", " + q.arg(to.name) + ")")
	}
}

// order is the walking order on alias a.
func (s *userSearch) order(a string) string {
	if s.back {
		return a + ".name_fold DESC, " + a + ".name DESC"
	}
	return a + ".name_fold, " + a + ".name"
}

// matchCond is the keyword condition on alias u: a short keyword at the
// start of the folded name or e-mail key, a longer one anywhere in them; or
// a matching profile.
func (s *userSearch) matchCond(q *stmt) string {
	var ors []string
	if s.short {
		lo, hi := q.arg(s.kw), q.arg(s.kw+maxRune)
		ors = append(ors, "(u.name_fold >= "+lo+" AND u.name_fold < "+hi+")", "(u.email_key >= "+lo+" AND u.email_key < "+hi+")")
	} else {
		ors = append(ors, s.likeCond(q, "u"))
	}
	if len(s.profiles) > 0 {
		ors = append(ors, "u.profile_id IN ("+int64List(s.profiles)+")")
	}
	return "(" + strings.Join(ors, " OR ") + ")"
}

// likeCond is a long keyword's condition on the folded name and e-mail key
// of alias a.
func (s *userSearch) likeCond(q *stmt, a string) string {
	return ContainsCond(s.t.d.Name(), a, q.arg("%"+escapeLike(s.kw)+"%"), s.kw)
}

// ContainsCond is the condition that the folded name or the e-mail key of
// alias a holds keyword, pat being the placeholder of its LIKE pattern
// ("%keyword%", escaped), on the named engine.
//
// PostgreSQL's trigram index (users_search, migration 0023) is on one
// expression, the folded name and the e-mail key joined by a space, and
// the condition says it as the index does: one scan of the index finds the
// keyword in either. A substring of the joined text that holds no space
// lies in one of the two; a keyword with a space could straddle them, and
// is tested on each as well. (Two columns in one index cost a scan each: a
// rare name's trigrams "use" and "ser" are in 800,000 names and as many
// e-mail keys, and its search read both posting lists twice.)
func ContainsCond(engine, a, pat, keyword string) string {
	either := "(" + a + ".name_fold LIKE " + pat + " ESCAPE '\\' OR " + a + ".email_key LIKE " + pat + " ESCAPE '\\')"
	if engine != "postgres" {
		return either
	}
	c := "(" + a + ".name_fold || ' ' || " + a + ".email_key) LIKE " + pat + " ESCAPE '\\'"
	if strings.Contains(keyword, " ") {
		// Either column first: a row read in name order fails there
		// without the joined text being built.
		return "(" + either + " AND " + c + ")"
	}
	return "(" + c + ")"
}

// rows reads up to n users meeting q (alias u) in walking order.
func (s *userSearch) rows(ctx context.Context, q *stmt, n int) ([]userRow, error) {
	rows, err := s.t.queryContext(ctx, `SELECT `+userCols+`, u.name_fold`+userFrom+` WHERE `+q.whereSQL()+
		` ORDER BY `+s.order("u")+` LIMIT `+strconv.Itoa(n), q.args...)
	if err != nil {
		return nil, err
	}
	return scanRows(rows)
}

// scanRows reads and closes rows of userCols and the folded name.
func scanRows(rows *sql.Rows) ([]userRow, error) {
	defer rows.Close()
	var out []userRow
	for rows.Next() {
		var r userRow
		var err error
		if r.u, err = scanUser(rows, &r.fold); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// merge returns the first s.n distinct rows of a and b (each in walking
// order), in walking order.
func (s *userSearch) merge(a, b []userRow) []userRow {
	if len(a) == 0 {
		return b[:min(len(b), s.n)]
	}
	out := make([]userRow, 0, s.n)
	seen := make(map[int64]bool, s.n)
	for len(out) < s.n && (len(a) > 0 || len(b) > 0) {
		var r userRow
		if len(b) == 0 || len(a) > 0 && (a[0].key().before(b[0].key()) != s.back || a[0].key() == b[0].key()) {
			r, a = a[0], a[1:]
		} else {
			r, b = b[0], b[1:]
		}
		if !seen[r.u.ID] {
			seen[r.u.ID] = true
			out = append(out, r)
		}
	}
	return out
}

// union appends the IDs of b missing from a.
func union(a, b []int64) []int64 {
	in := make(map[int64]bool, len(a))
	for _, id := range a {
		in[id] = true
	}
	for _, id := range b {
		if !in[id] {
			in[id] = true
			a = append(a, id)
		}
	}
	return a
}

// int64List writes IDs as an SQL list of literals.
func int64List(ids []int64) string {
	b := make([]byte, 0, len(ids)*8)
	for i, id := range ids {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(b)
}

// parseIDs reads a comma-separated list of integers ("" is none).
func parseIDs(s string) ([]int64, error) {
	if s == "" {
		return nil, nil
	}
	// Sized up front: lists hold up to bounds.Set IDs.
	ids := make([]int64, 0, strings.Count(s, ",")+1)
	err := eachID(s, func(id int64) { ids = append(ids, id) })
	return ids, err
}

// eachID calls fn with each integer of a comma-separated list ("" is none),
// read byte by byte: lists of tens of thousands of IDs come this way.
func eachID(s string, fn func(int64)) error {
	var id int64
	neg, digits := false, 0
	for i := 0; i <= len(s); i++ {
		switch {
		case i < len(s) && s[i] >= '0' && s[i] <= '9' && digits < 18:
			id = id*10 + int64(s[i]-'0')
			digits++
		case i < len(s) && s[i] == '-' && digits == 0 && !neg:
			neg = true
		case digits > 0 && (i == len(s) || s[i] == ','):
			if neg {
				id = -id
			}
			fn(id)
			id, neg, digits = 0, false, 0
		case len(s) > 0:
			return fmt.Errorf("search users: ID list %.20q", s)
		}
	}
	return nil
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
