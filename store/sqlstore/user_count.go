package sqlstore

import (
	"context"
	"strconv"

	"github.com/meibo/meibo"
)

// countUsers counts the filter's matches up to bound+1: every count reads
// at most bound+1 entries of one index range (plus, for a keyword, bound+1
// of its matching profiles' users), so a total costs the same for a group of
// 20,000 users or of 1,000,000.
//
//   - No keyword: the group's range of an index on group_id; administrators
//     or disabled users (few), a partial index of them.
//   - Two characters, or one ideograph or kana: the keyword's range of
//     user_grams.
//   - Three or more: SQLite's trigram index (FTS5) joined to the users;
//     PostgreSQL's trigram index (GIN) through the LIKE condition, on its
//     rows and the waiting users (searchTexts).
//   - One other character: the name and e-mail ranges of the prefix.
//
// Users of a matching profile are counted apart, those the keyword does not
// match otherwise, through the profile index. The flags and the profile of
// the filter are tested on each counted user's row.
func (t *Tx) countUsers(ctx context.Context, f meibo.UserFilter, kw string, bound int) (int, error) {
	lim := " LIMIT " + strconv.Itoa(bound+1)
	s := &userSearch{t: t, f: f, kw: kw}
	filtered := f.Disabled != nil || f.Admin != nil || f.ProfileID != nil || f.Invitation != "" || f.WeakHash
	if kw == "" {
		// The flags as literals, "u.admin" as the partial indexes of
		// administrators and of disabled users say it (migration 0017), so
		// that both engines count through them: one administrator in a
		// hundred would otherwise be counted by reading the whole group.
		q := &stmt{}
		q.and("u.group_id = " + q.arg(f.GroupID))
		for _, fl := range []struct {
			col string
			v   *bool
		}{{"u.admin", f.Admin}, {"u.disabled", f.Disabled}} {
			switch {
			case fl.v == nil:
			case *fl.v:
				q.and(fl.col)
			default:
				q.and("NOT " + fl.col)
			}
		}
		if f.ProfileID != nil {
			q.and("u.profile_id = " + q.arg(*f.ProfileID))
		}
		if f.Invitation != "" {
			q.and(invitationCond(q.arg, "u", f.Invitation, t.now.UTC()))
		}
		if f.WeakHash {
			q.and(weakHash("u"))
		}
		return t.countOf(ctx, `SELECT 1 FROM users u WHERE `+q.whereSQL()+lim, q.args)
	}
	if err := s.prepare(ctx); err != nil {
		return 0, err
	}
	var n int
	var err error
	// not is the condition that the keyword does not match alias u other
	// than by profile, for the profile count.
	var not func(q *stmt) string
	switch {
	case s.gram:
		q := &stmt{}
		q.and("g.group_id = "+q.arg(f.GroupID), "g.gram = "+q.arg(kw))
		src := "user_grams g"
		if filtered {
			join := t.lookupJoin()
			src += join + "users u ON u.id = g.user_id"
			s.filters(q, "u")
		}
		n, err = t.countOf(ctx, `SELECT 1 FROM `+src+` WHERE `+q.whereSQL()+lim, q.args)
		if err == nil && n <= bound {
			// Users not yet in user_grams (see IndexPendingUsers).
			var m int
			p := &stmt{}
			p.and("g.group_id = "+p.arg(f.GroupID), s.likeCond(p, "g"))
			src := "user_grams_pending g"
			if filtered {
				join := t.lookupJoin()
				src += join + "users u ON u.id = g.user_id"
				s.filters(p, "u")
			}
			m, err = t.countOf(ctx, `SELECT 1 FROM `+src+` WHERE `+p.whereSQL()+lim, p.args)
			n += m
		}
		// A gram keyword matches a user, indexed or pending, exactly when
		// it is in the folded name or e-mail key.
		not = func(q *stmt) string { return "NOT " + s.likeCond(q, "u") }
	case !s.short:
		q := &stmt{}
		var src string
		if ts, ok := t.d.(trigramSubquery); ok {
			src = "(" + ts.TrigramIDs(kw, q.arg) + ") m CROSS JOIN users u ON u.id = m.id"
			q.and("u.group_id || '' = " + q.arg(f.GroupID))
		} else {
			// The index's rows and the waiting users hold the group: the
			// users are read only for filters.
			src = searchTexts + " m"
			q.and("m.group_id = "+q.arg(f.GroupID), s.indexCond(q, "m"))
			if filtered {
				src += " JOIN users u ON u.id = m.id"
			}
		}
		s.filters(q, "u")
		n, err = t.countOf(ctx, `SELECT 1 FROM `+src+` WHERE `+q.whereSQL()+lim, q.args)
		not = func(q *stmt) string { return "NOT " + s.likeCond(q, "u") }
	default:
		q := s.groupStmt()
		q.and(s.matchCond(q))
		// matchCond holds the profiles already.
		return t.countOf(ctx, `SELECT 1 FROM users u WHERE `+q.whereSQL()+lim, q.args)
	}
	if err != nil || len(s.profiles) == 0 || n > bound {
		return n, err
	}
	q := &stmt{}
	q.and("u.profile_id IN ("+int64List(s.profiles)+")", "u.group_id = "+q.arg(f.GroupID))
	s.filters(q, "u")
	q.and(not(q))
	m, err := t.countOf(ctx, `SELECT 1 FROM users u WHERE `+q.whereSQL()+lim, q.args)
	return n + m, err
}

// countOf counts the rows of a bounded statement.
func (t *Tx) countOf(ctx context.Context, sel string, args []any) (int, error) {
	var n int
	err := t.queryRowContext(ctx, `SELECT count(*) FROM (`+sel+`) c`, args...).Scan(&n)
	return n, err
}
