package sqlstore

import (
	"context"
	"strconv"
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
	join := " JOIN "
	if s.t.d.Name() == "sqlite" {
		join = " CROSS JOIN "
	}
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
