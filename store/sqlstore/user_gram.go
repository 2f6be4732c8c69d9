package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A keyword of two characters, or of one ideograph or kana, matches
// anywhere in folded names and e-mail keys (and profile names), through
// table user_grams: one row per distinct pair of characters of a user's
// folded name and e-mail key, and per ideograph or kana of them alone, keyed
// (group_id, gram, name_fold, name), kept in step with users by triggers on
// both engines (migration 0009). A keyword's matches are one range of that
// key, in the listing order: a page is read directly, from the cursor, like
// the list itself, whether the keyword matches ten users or most of them.
// Only its profile matches come from elsewhere, merged as the name range of
// a prefix search is.

// isGram reports whether the folded keyword kw is searched through
// user_grams: two characters, or one that singleGram accepts.
func isGram(kw string) bool {
	switch utf8.RuneCountInString(kw) {
	case 2:
		return true
	case 1:
		r, _ := utf8.DecodeRuneInString(kw)
		return singleGram(r)
	}
	return false
}

// singleGram reports whether r is indexed on its own in user_grams: an
// ideograph or kana, which alone can be a Japanese family or given name.
// The migrations of both engines list the same code points.
func singleGram(r rune) bool {
	switch {
	case r >= 0x3005 && r <= 0x3007, // 々 〆 〇
		r >= 0x3040 && r <= 0x30FF,   // hiragana, katakana
		r >= 0x31F0 && r <= 0x31FF,   // katakana phonetic extensions
		r >= 0x3400 && r <= 0x4DBF,   // CJK extension A
		r >= 0x4E00 && r <= 0x9FFF,   // CJK unified ideographs
		r >= 0xF900 && r <= 0xFAFF,   // CJK compatibility ideographs
		r >= 0x20000 && r <= 0x3FFFF: // CJK extensions B and later
		return true
	}
	return false
}

// gramPage returns up to s.n matches of a gram keyword after the cursor, in
// walking order: the keyword's range of user_grams, merged with the users of
// matching profiles that sort before its last row.
func (s *userSearch) gramPage(ctx context.Context) ([]userRow, error) {
	a, err := s.gramRows(ctx)
	if err != nil {
		return nil, err
	}
	return s.gramOthers(ctx, a)
}

// gramOthers merges into a, the matches found in user_grams, those found
// elsewhere: the users waiting for the index and the users of matching
// profiles.
func (s *userSearch) gramOthers(ctx context.Context, a []userRow) ([]userRow, error) {
	// Users not yet in user_grams (see IndexPendingUsers) that sort
	// before the range's last row can change the page, and so can the
	// users of matching profiles.
	p, err := s.pendingRows(ctx, s.lastKey(a))
	if err != nil {
		return nil, err
	}
	a = s.merge(a, p)
	if len(s.profiles) == 0 {
		return a, nil
	}
	b, err := s.profileRows(ctx, s.lastKey(a))
	if err != nil {
		return nil, err
	}
	return s.merge(a, b), nil
}

// lastKey is the key of a full page's last row, past which other sources
// cannot change it; nil when the page is not full.
func (s *userSearch) lastKey(a []userRow) *userKey {
	if len(a) < s.n {
		return nil
	}
	k := a[len(a)-1].key()
	return &k
}

// gramRows reads the first s.n users of the keyword's range of user_grams
// after the cursor that pass the filters. SQLite is told to walk the range
// and look each user up (CROSS JOIN fixes the order of the loops); without
// statistics it might walk the group's users instead.
func (s *userSearch) gramRows(ctx context.Context) ([]userRow, error) {
	join := s.t.lookupJoin()
	q := &stmt{}
	q.and("g.group_id = "+q.arg(s.f.GroupID), "g.gram = "+q.arg(s.kw))
	s.span(q, "g", s.from, nil)
	s.filters(q, "u")
	rows, err := s.t.queryContext(ctx, `SELECT `+userCols+`, u.name_fold FROM user_grams g`+join+`users u ON u.id = g.user_id
		JOIN profiles p ON p.id = u.profile_id WHERE `+q.whereSQL()+` ORDER BY `+s.order("g")+` LIMIT `+strconv.Itoa(s.n), q.args...)
	if err != nil {
		return nil, err
	}
	return scanRows(rows)
}

// profileRows returns the first s.n users of the matching profiles between
// the cursor and to (nil: the end), in walking order: sorted by their rows
// when there are at most bounds.Many of them, otherwise (a large profile,
// dense in the name order) by walking the name order.
func (s *userSearch) profileRows(ctx context.Context, to *userKey) ([]userRow, error) {
	ids, err := s.profileIDs(ctx, bounds.Many)
	if err != nil {
		return nil, err
	}
	if ids != nil {
		if len(ids) == 0 {
			return nil, nil
		}
		return s.byIDs(ctx, idsIn(ids), s.from, to, s.n)
	}
	q := s.groupStmt()
	s.span(q, "u", s.from, to)
	// "+ 0": the profile index would list every user of the profile.
	q.and("u.profile_id + 0 IN (" + int64List(s.profiles) + ")")
	return s.rows(ctx, q, s.n)
}

// lookupJoin joins an index range (on the left) to the rows it names:
// SQLite is told to walk the range and look each row up (CROSS JOIN fixes
// the order of its loops); without statistics it might walk the other
// table instead.
func (t *Tx) lookupJoin() string {
	if t.d.Name() == "sqlite" {
		return " CROSS JOIN "
	}
	return " JOIN "
}

// A longer keyword that holds an ideograph or kana ("さくら", "中村美咲")
// is found through user_grams first: each of its matches holds each of its
// pairs of characters, so the range of any one pair, read in the listing
// order and checked against the keyword, lists its matches in order.
// Japanese names make such ranges short and dense in matches: the 7,417
// users of "さくら" are the whole range of "さく", where the trigram index
// would find all 7,417 and sort them for one page. The pair whose range
// after the cursor is shortest is read, bounded: at most Window entries,
// so that the step costs about a page wherever it ends. Latin keywords
// keep the trigram index: their pairs ("us", "er") are in most users.

// maxDriverPairs bounds the pairs of a keyword whose ranges are measured.
const maxDriverPairs = 8

// bigramCandidate reports whether the folded keyword kw is first looked
// for through the ranges of its pairs (see bigramPage).
func bigramCandidate(kw string) bool {
	if utf8.RuneCountInString(kw) < 3 {
		return false
	}
	for _, r := range kw {
		if singleGram(r) {
			return true
		}
	}
	return false
}

// keywordPairs returns the distinct pairs of consecutive characters of kw,
// at most max.
func keywordPairs(kw string, max int) []string {
	rs := []rune(kw)
	var out []string
	for i := 0; i+1 < len(rs) && len(out) < max; i++ {
		if g := string(rs[i : i+2]); !slices.Contains(out, g) {
			out = append(out, g)
		}
	}
	return out
}

// bigramPage returns up to s.n matches of a bigramCandidate keyword after
// the cursor, in walking order, read through the shortest range of its
// pairs in user_grams and merged with the matches found elsewhere
// (gramOthers). ok is false when the range holds more than Window entries
// and its first Window hold fewer than s.n matches: the page is not known,
// and the other steps find it.
func (s *userSearch) bigramPage(ctx context.Context) (got []userRow, ok bool, err error) {
	pairs := keywordPairs(s.kw, maxDriverPairs)
	w := bounds.Window
	// Each pair's entries after the cursor, counted up to Window+1: an
	// index range read without the table.
	q := &stmt{}
	counts := make([]string, len(pairs))
	for i, g := range pairs {
		c := &stmt{args: q.args}
		c.and("g.group_id = "+c.arg(s.f.GroupID), "g.gram = "+c.arg(g))
		s.span(c, "g", s.from, nil)
		q.args = c.args
		counts[i] = `(SELECT count(*) FROM (SELECT 1 FROM user_grams g WHERE ` + c.whereSQL() + ` LIMIT ` + strconv.Itoa(w+1) + `) c)`
	}
	n := make([]int, len(pairs))
	dest := make([]any, len(pairs))
	for i := range n {
		dest[i] = &n[i]
	}
	if err := s.t.queryRowContext(ctx, `SELECT `+strings.Join(counts, ", "), q.args...).Scan(dest...); err != nil {
		return nil, false, fmt.Errorf("search users: %w", err)
	}
	best := 0
	for i := range n {
		if n[i] < n[best] {
			best = i
		}
	}
	if n[best] == 0 {
		got, err := s.gramOthers(ctx, nil)
		return got, err == nil, err
	}
	q = &stmt{}
	q.and("g.group_id = "+q.arg(s.f.GroupID), "g.gram = "+q.arg(pairs[best]))
	s.span(q, "g", s.from, nil)
	inner := `SELECT g.user_id, g.name_fold, g.name FROM user_grams g WHERE ` + q.whereSQL() + ` ORDER BY ` + s.order("g") + ` LIMIT ` + strconv.Itoa(w)
	// The keyword is checked on the folded name the range holds and on
	// the user's e-mail key: a condition on the user's row alone would
	// have PostgreSQL find every match through its trigram index first.
	o := &stmt{args: q.args}
	pat := o.arg("%" + escapeLike(s.kw) + "%")
	o.and("(g.name_fold LIKE " + pat + " ESCAPE '\\' OR u.email_key LIKE " + pat + " ESCAPE '\\')")
	s.filters(o, "u")
	rows, err := s.t.queryContext(ctx, `SELECT `+userCols+`, u.name_fold FROM (`+inner+`) g`+s.t.lookupJoin()+`users u ON u.id = g.user_id
		JOIN profiles p ON p.id = u.profile_id WHERE `+o.whereSQL()+` ORDER BY `+s.order("g")+` LIMIT `+strconv.Itoa(s.n), o.args...)
	if err != nil {
		return nil, false, fmt.Errorf("search users: %w", err)
	}
	a, err := scanRows(rows)
	if err != nil {
		return nil, false, fmt.Errorf("search users: %w", err)
	}
	if n[best] > w && len(a) < s.n {
		return nil, false, nil
	}
	got, err = s.gramOthers(ctx, a)
	return got, err == nil, err
}
