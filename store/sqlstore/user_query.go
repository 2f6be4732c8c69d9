package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/meibo/meibo"
)

// prefixEnd returns the least string greater than every string that starts
// with p in byte order (the order of users.name and users.email_key on both
// engines: SQLite's BINARY collation, PostgreSQL's "C"), and false when
// there is none. Incrementing the last code point keeps the string valid
// UTF-8, whose byte order is the code points' order.
func prefixEnd(p string) (string, bool) {
	for p != "" {
		r, size := utf8.DecodeLastRuneInString(p)
		p = p[:len(p)-size]
		switch {
		case r == utf8.RuneError && size <= 1:
			continue // not UTF-8: drop the byte
		case r == 0xD7FF:
			return p + string(rune(0xE000)), true // over the surrogates
		case r < utf8.MaxRune:
			return p + string(r+1), true
		}
	}
	return "", false
}

// userQueryWhere adds q's conditions, on alias u, to s. Each selects
// through an index: the name (UNIQUE (group_id, name)), the e-mail key
// (users_group_email_key), the trigram index (SQLite's FTS5 table,
// PostgreSQL's GIN index on user_search, each with the users waiting for
// it, as the keyword search uses them), or the partial indexes of
// administrators and of disabled users.
//
// It returns the users' source: the table, or on SQLite, for Contains, the
// trigram index's matches joined to it in that order (CROSS JOIN), so that
// a few matches are not looked for along the group's whole name index.
func (t *Tx) userQueryWhere(s *stmt, q meibo.UserQuery) string {
	src := "users u"
	s.and("u.group_id = " + s.arg(q.GroupID))
	rng := func(col, prefix string) {
		if prefix == "" {
			return
		}
		s.and(col + " >= " + s.arg(prefix))
		if end, ok := prefixEnd(prefix); ok {
			s.and(col + " < " + s.arg(end))
		}
	}
	if q.Name != nil {
		s.and("u.name = " + s.arg(*q.Name))
	}
	rng("u.name", q.NamePrefix)
	if q.EmailKey != nil {
		s.and("u.email_key = " + s.arg(*q.EmailKey))
	}
	rng("u.email_key", q.EmailKeyPrefix)
	if q.Contains != "" {
		if ts, ok := t.d.(trigramSubquery); ok {
			src = "(" + ts.TrigramIDs(q.Contains, s.arg) + ") f CROSS JOIN users u ON u.id = f.id"
		} else {
			// By the key both tables share: a user read in name order is
			// looked up in either by its primary key.
			s.and("(u.group_id, u.name_fold, u.name) IN (SELECT c.group_id, c.name_fold, c.name FROM " + searchTexts + " c WHERE " +
				ContainsCond(t.d.Name(), "c", s.arg("%"+escapeLike(q.Contains)+"%"), q.Contains) + ")")
		}
	}
	// The flags as literals, as the partial indexes say them (migration
	// 0017).
	for _, fl := range []struct {
		col string
		v   *bool
	}{{"u.admin", q.Admin}, {"u.disabled", q.Disabled}} {
		switch {
		case fl.v == nil:
		case *fl.v:
			s.and(fl.col)
		default:
			s.and("NOT " + fl.col)
		}
	}
	return src
}

// fewDisabled is how many disabled users of a group SQLite sorts rather
// than finds along the group's names.
const fewDisabled = 2000

// QueryUsers returns the users q selects, in name order.
func (t *Tx) QueryUsers(ctx context.Context, q meibo.UserQuery) ([]*meibo.User, error) {
	s := &stmt{}
	src := t.userQueryWhere(s, q)
	if q.AfterName != "" {
		s.and("u.name > " + s.arg(q.AfterName))
	}
	page := ""
	if q.Limit > 0 {
		page += " LIMIT " + strconv.Itoa(q.Limit)
	} else if q.Offset > 0 && t.d.Name() == "sqlite" {
		page += " LIMIT -1" // SQLite takes OFFSET only after a LIMIT
	}
	if q.Offset > 0 {
		page += " OFFSET " + strconv.Itoa(q.Offset)
	}
	// The page's names first, from the indexes alone where the conditions
	// allow (the group's name index holds the names: a deep page skips
	// along it without reading a row); then their rows.
	order := "u.name"
	if t.d.Name() == "sqlite" {
		// SQLite, without statistics, would walk the whole name index to
		// save sorting the few users another index selects: sort them
		// instead. Disabled users are commonly a few, but may be many (a
		// group's leavers), read from the table one by one: sorted when
		// they are at most fewDisabled, found along the names otherwise.
		few := q.EmailKey != nil || q.EmailKeyPrefix != "" || q.Admin != nil && *q.Admin
		if !few && q.Disabled != nil && *q.Disabled && q.Name == nil && q.NamePrefix == "" && q.Contains == "" {
			n, err := t.countOf(ctx, `SELECT 1 FROM users u WHERE u.group_id = $1 AND u.disabled LIMIT `+strconv.Itoa(fewDisabled+1), []any{q.GroupID})
			if err != nil {
				return nil, fmt.Errorf("query users: %w", err)
			}
			few = n <= fewDisabled
		}
		if few {
			order = "+u.name"
		}
	}
	if q.FromEnd {
		order += " DESC"
	}
	rows, err := t.queryContext(ctx, `SELECT `+userCols+userFrom+` WHERE u.group_id = $1 AND u.name IN (SELECT u.name FROM `+src+
		` WHERE `+s.whereSQL()+` ORDER BY `+order+page+`) ORDER BY u.name`, s.args...)
	if err != nil {
		return nil, fmt.Errorf("query users: %w", err)
	}
	defer rows.Close()
	var out []*meibo.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("query users: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("query users: %w", err)
	}
	return out, nil
}

// CountQueryUsers counts the users q selects. Without a condition it reads the
// group's count (group_user_counts, migration 0018); with active or
// disabled alone, the group's count less (or than) the count of the few
// disabled ones.
func (t *Tx) CountQueryUsers(ctx context.Context, q meibo.UserQuery) (int, error) {
	onlyFlags := q.Name == nil && q.NamePrefix == "" && q.EmailKey == nil && q.EmailKeyPrefix == "" && q.Contains == "" && q.Admin == nil
	if onlyFlags && (q.Disabled == nil || !*q.Disabled) {
		var all int
		err := t.queryRowContext(ctx, `SELECT users FROM group_user_counts WHERE group_id = $1`, q.GroupID).Scan(&all)
		if errors.Is(err, sql.ErrNoRows) {
			all, err = 0, nil
		}
		if err != nil {
			return 0, fmt.Errorf("count users: %w", err)
		}
		if q.Disabled == nil {
			return all, nil
		}
		disabled, err := t.CountQueryUsers(ctx, meibo.UserQuery{GroupID: q.GroupID, Disabled: ptrTo(true)})
		return all - disabled, err
	}
	s := &stmt{}
	src := t.userQueryWhere(s, q)
	n, err := t.countOf(ctx, `SELECT 1 FROM `+src+` WHERE `+s.whereSQL(), s.args)
	if err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}

func ptrTo[T any](v T) *T { return &v }
