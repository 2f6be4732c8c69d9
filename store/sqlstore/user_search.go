package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
	"time"

	"github.com/meibo/meibo"
)

// Users are listed in folded-name order, then by name (index
// users_group_fold_name on (group_id, name_fold, name)); a page's cursor is
// a user's name, folded here for the first half of the key.
//
// A keyword search is answered in steps, each bounded, cheapest first, so
// that a page costs about a page wherever its matches sort:
//
//  1. Short keywords (one or two characters) match the start of the folded
//     name: one contiguous, ordered range of the name index. Its first
//     page is read directly (A). Only the matches found otherwise (by
//     e-mail or profile: B) sorting before A's last row can change the
//     page, and the steps below look for those between the cursor and that
//     row. A keyword of three or more characters has no A: B is every
//     match.
//  2. B has few members (searchFew; the engine's trigram index, the e-mail
//     range and the profiles name them by ID): read them by ID, sort,
//     keep a page.
//  3. A window of the name order (searchWindow rows) read with the keyword
//     condition: common keywords fill their page here.
//  4. B has up to searchMany members: by ID, after the window.
//  5. SQLite, when B's IDs are cheap to list (e-mail range, profiles) and
//     at most searchSet: walk the name index collecting IDs only (SQLite's
//     indexes hold the rowid: the table is never read) and keep those in
//     B. A prefix that is common among e-mail addresses but whose owners'
//     names sort late ("ta": 36,000 e-mail addresses among 1,000,000 users
//     starting with 35,000 names that do not match) costs two index scans
//     instead of a table read per name.
//  6. Otherwise walk the name order with the keyword condition.
//
// The bounds are measured on 1,000,000 users (store/storetest
// BenchmarkSearch). What stays slow: a keyword with more than searchMany
// matches, none of them in the first window, that steps 5 cannot answer
// (a long keyword, or PostgreSQL, whose indexes do not hold the ID) walks
// the name order until its page is full; a keyword with up to searchMany
// matches reads each of them once (about 1.5 µs a row).
const (
	searchFew    = 2000
	searchWindow = 1000
	searchMany   = 10_000
	searchSet    = 100_000
)

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
	short    bool     // fewer than three characters: matches at the start
	profiles []int64  // the group's profiles whose folded name matches
}

// FindUsers returns one page of a group's users in folded-name order, then
// name order.
func (t *Tx) FindUsers(ctx context.Context, f meibo.UserFilter) (*meibo.UserPage, error) {
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	s := &userSearch{t: t, f: f, n: limit + 1, kw: meibo.Fold(strings.TrimSpace(f.Keyword))}
	switch {
	case f.After != "":
		s.from = &userKey{meibo.Fold(f.After), f.After}
	case f.Before != "":
		s.from = &userKey{meibo.Fold(f.Before), f.Before}
		s.back = true
	}
	traceStart = time.Now()
	rows, err := s.page(ctx)
	trace("done")
	if err != nil {
		return nil, fmt.Errorf("find users: %w", err)
	}
	page := &meibo.UserPage{Users: make([]*meibo.User, 0, min(len(rows), limit))}
	for _, r := range rows[:min(len(rows), limit)] {
		page.Users = append(page.Users, r.u)
	}
	more := len(rows) > limit
	if s.back {
		slices.Reverse(page.Users)
		page.HasPrev, page.HasNext = more, true
	} else {
		page.HasNext, page.HasPrev = more, f.After != ""
	}
	return page, nil
}

// page returns up to s.n rows after the cursor, in walking order.
func (s *userSearch) page(ctx context.Context) ([]userRow, error) {
	if s.kw == "" {
		q := s.groupStmt()
		s.span(q, "u", s.from, nil)
		return s.rows(ctx, q, s.n)
	}
	s.short = utf8.RuneCountInString(s.kw) < 3
	profiles, err := s.t.Profiles(ctx, s.f.GroupID)
	if err != nil {
		return nil, err
	}
	for _, p := range profiles {
		pn := meibo.Fold(p.Name)
		if s.short && strings.HasPrefix(pn, s.kw) || !s.short && strings.Contains(pn, s.kw) {
			s.profiles = append(s.profiles, p.ID)
		}
	}
	var a []userRow
	var to *userKey
	if s.short {
		q := s.groupStmt()
		s.span(q, "u", s.from, nil)
		q.and("u.name_fold >= "+q.arg(s.kw), "u.name_fold < "+q.arg(s.kw+maxRune))
		if a, err = s.rows(ctx, q, s.n); err != nil {
			return nil, err
		}
		trace("A %d", len(a))
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

// others returns the first s.n matches between the cursor and to (nil: the
// end) that the name range of a short keyword does not hold (all matches
// for a longer keyword), in walking order. It may return name-range matches
// too: merge drops them.
func (s *userSearch) others(ctx context.Context, to *userKey) ([]userRow, error) {
	ids, ok, err := s.candidates(ctx, searchFew, false)
	trace("few %d %v", len(ids), ok)
	if err != nil || ok {
		if err != nil {
			return nil, err
		}
		return s.byIDs(ctx, ids, s.from, to, s.n)
	}
	got, end, err := s.window(ctx, to)
	trace("window %d %v", len(got), end)
	if err != nil || end == nil || len(got) >= s.n {
		return got, err
	}
	need := s.n - len(got)
	ids, ok, err = s.candidates(ctx, searchMany, false)
	trace("many %d %v", len(ids), ok)
	if err != nil {
		return nil, err
	} else if ok {
		more, err := s.byIDs(ctx, ids, end, to, need)
		return append(got, more...), err
	}
	if s.t.idsInIndexes() {
		ids, ok, err = s.candidates(ctx, searchSet, true)
		trace("set %d %v", len(ids), ok)
		if err != nil {
			return nil, err
		} else if ok {
			more, err := s.walkIDs(ctx, ids, end, to, need)
			return append(got, more...), err
		}
	}
	q := s.groupStmt()
	s.span(q, "u", end, to)
	q.and(s.matchCond(q))
	more, err := s.rows(ctx, q, need)
	return append(got, more...), err
}

// idsInIndexes reports whether the engine's indexes hold the user ID, so that
// listing the IDs of a stretch of the name order reads the index alone:
// SQLite's rowid is in every index entry. PostgreSQL's entries point at heap
// tuples; the ID is read from the table there.
func (t *Tx) idsInIndexes() bool { return t.d.Name() == "sqlite" }

// candidates returns the IDs of the users that the keyword matches other than
// by the name range of a short keyword, when there are at most max of them.
// They may belong to other groups (the trigram index spans every group).
// cheapOnly refuses sources that cost more than an index scan per ID (the
// trigram index, for a long keyword).
func (s *userSearch) candidates(ctx context.Context, max int, cheapOnly bool) (ids []int64, ok bool, err error) {
	if !s.short && cheapOnly {
		return nil, false, nil
	}
	if s.short {
		q := &stmt{}
		q.and("c.group_id = "+q.arg(s.f.GroupID), "c.email_key >= "+q.arg(s.kw), "c.email_key < "+q.arg(s.kw+maxRune))
		if ids, err = s.idList(ctx, q, max); err != nil || len(ids) > max {
			return nil, false, err
		}
	} else {
		if ids, ok, err = s.t.d.SearchIDs(ctx, s.t.tx, s.kw, max); err != nil || !ok {
			return nil, false, err
		}
	}
	if len(s.profiles) > 0 {
		q := &stmt{}
		q.and("c.profile_id IN (" + int64List(s.profiles) + ")")
		more, err := s.idList(ctx, q, max)
		if err != nil || len(more) > max {
			return nil, false, err
		}
		ids = union(ids, more)
		if len(ids) > max {
			return nil, false, nil
		}
	}
	return ids, true, nil
}

// idList returns the IDs of up to max+1 users (alias c) meeting q's
// conditions, read as one aggregated string: listing tens of thousands of
// IDs row by row costs more than the index scan itself.
func (s *userSearch) idList(ctx context.Context, q *stmt, max int) ([]int64, error) {
	var list sql.NullString
	err := s.t.queryRowContext(ctx, `SELECT string_agg(CAST(c.id AS TEXT), ',') FROM (SELECT c.id FROM users c WHERE `+
		q.whereSQL()+` LIMIT `+strconv.Itoa(max+1)+`) c`, q.args...).Scan(&list)
	if err != nil {
		return nil, fmt.Errorf("search users: %w", err)
	}
	return parseIDs(list.String)
}

// byIDs returns the first n users of ids (that are in the group and pass the
// filters) strictly between from and to, in walking order. The IDs are
// sorted by their row alone; full rows are read for the page only.
func (s *userSearch) byIDs(ctx context.Context, ids []int64, from, to *userKey, n int) ([]userRow, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	inner := &stmt{}
	// Written as an expression, the group condition cannot pick the
	// group's name index, which a planner without statistics takes (it
	// guesses that a group is small) and then walks every user of the
	// group.
	inner.and("c.id IN ("+int64List(ids)+")", "c.group_id || '' = "+inner.arg(s.f.GroupID))
	s.filters(inner, "c")
	s.span(inner, "c", from, to)
	q := &stmt{args: inner.args}
	q.and("u.id IN (SELECT c.id FROM users c WHERE " + inner.whereSQL() + " ORDER BY " + s.order("c") + " LIMIT " + strconv.Itoa(n) + ")")
	return s.rows(ctx, q, n)
}

// window reads the first searchWindow rows of the name order after the cursor
// (and before to) with the keyword condition. end is the last row's key when
// the window was full, nil when it reached to or the end of the group.
func (s *userSearch) window(ctx context.Context, to *userKey) (got []userRow, end *userKey, err error) {
	w := &stmt{}
	w.and("c.group_id = " + w.arg(s.f.GroupID))
	s.span(w, "c", s.from, to)
	inner := `SELECT c.id FROM users c WHERE ` + w.whereSQL() + ` ORDER BY ` + s.order("c")
	q := &stmt{args: w.args}
	q.and("u.id IN (" + inner + " LIMIT " + strconv.Itoa(searchWindow) + ")")
	s.filters(q, "u")
	q.and(s.matchCond(q))
	if got, err = s.rows(ctx, q, s.n); err != nil || len(got) >= s.n {
		return got, nil, err
	}
	var k userKey
	err = s.t.queryRowContext(ctx, `SELECT c.name_fold, c.name FROM users c WHERE `+w.whereSQL()+` ORDER BY `+s.order("c")+
		` LIMIT 1 OFFSET `+strconv.Itoa(searchWindow-1), w.args...).Scan(&k.fold, &k.name)
	switch {
	case err == sql.ErrNoRows:
		return got, nil, nil
	case err != nil:
		return nil, nil, fmt.Errorf("search users: %w", err)
	}
	return got, &k, nil
}

// walkIDs returns the first n users of ids (that are in the group and pass
// the filters) strictly between from and to, in walking order, by walking
// the name index there in growing chunks that list IDs only.
func (s *userSearch) walkIDs(ctx context.Context, ids []int64, from, to *userKey, n int) ([]userRow, error) {
	set := make(map[int64]struct{}, len(ids))
	for _, id := range ids {
		set[id] = struct{}{}
	}
	w := &stmt{}
	w.and("c.group_id = " + w.arg(s.f.GroupID))
	s.span(w, "c", from, to)
	inner := `SELECT c.id FROM users c WHERE ` + w.whereSQL() + ` ORDER BY ` + s.order("c")
	var got []userRow
	var found []int64
	for off, size := 0, 1024; ; off, size = off+size, min(size*4, 1<<16) {
		// The chunk is the rows at positions [off, off+size) of the
		// stretch: the same rows however the aggregate orders them.
		var list sql.NullString
		var rows int
		err := s.t.queryRowContext(ctx, `SELECT string_agg(CAST(c.id AS TEXT), ','), count(*) FROM (`+inner+
			` LIMIT `+strconv.Itoa(size)+` OFFSET `+strconv.Itoa(off)+`) c`, w.args...).Scan(&list, &rows)
		if err != nil {
			return nil, fmt.Errorf("search users: %w", err)
		}
		chunk, err := parseIDs(list.String)
		if err != nil {
			return nil, err
		}
		trace("chunk %d %d", off, rows)
		found = found[:0]
		for _, id := range chunk {
			if _, ok := set[id]; ok {
				found = append(found, id)
			}
		}
		// Every match of this chunk sorts after every match of the
		// earlier ones.
		more, err := s.byIDs(ctx, found, from, to, n-len(got))
		if err != nil {
			return nil, err
		}
		got = append(got, more...)
		if len(got) >= n || rows < size {
			return got, nil
		}
	}
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
		pat := q.arg("%" + escapeLike(s.kw) + "%")
		ors = append(ors, "u.name_fold LIKE "+pat+" ESCAPE '\\'", "u.email_key LIKE "+pat+" ESCAPE '\\'")
	}
	if len(s.profiles) > 0 {
		ors = append(ors, "u.profile_id IN ("+int64List(s.profiles)+")")
	}
	return "(" + strings.Join(ors, " OR ") + ")"
}

// rows reads up to n users meeting q (alias u) in walking order.
func (s *userSearch) rows(ctx context.Context, q *stmt, n int) ([]userRow, error) {
	query := `SELECT `+userCols+`, u.name_fold`+userFrom+` WHERE `+q.whereSQL()+
		` ORDER BY `+s.order("u")+` LIMIT `+strconv.Itoa(n)
	if len(query) < 3000 { trace("SQL %s %v", query, q.args) } else { trace("SQL %s ... %s %v", query[:500], query[len(query)-500:], q.args) }
	rows, err := s.t.queryContext(ctx, query, q.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []userRow
	for rows.Next() {
		var r userRow
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
	ids := make([]int64, 0, strings.Count(s, ",")+1)
	for len(s) > 0 {
		i := strings.IndexByte(s, ',')
		if i < 0 {
			i = len(s)
		}
		id, err := strconv.ParseInt(s[:i], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("search users: ID list: %w", err)
		}
		ids = append(ids, id)
		s = s[min(i+1, len(s)):]
	}
	return ids, nil
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
