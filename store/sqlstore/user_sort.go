package sqlstore

import (
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/meibo/meibo"
)

// A users list is sorted by name (the search's order, see user_search.go)
// or by one other column, then by ID: each has an index (group_id, column,
// id) on both engines (migration 0017; on SQLite the e-mail key's index
// holds the rowid already), and a page is one range of it from the cursor,
// whichever column and direction. Last sign-in is NULL for users who never
// signed in: they sort first (last, descending) and are read as a range of
// their own, "IS NULL" then ID, since a row-value comparison with NULL
// matches nothing.
//
// With a keyword the list is sorted by name whatever the order asked: the
// search answers a page of a rare or a common keyword alike through indexes
// in name order, and sorting its matches by another column would read every
// match (tens of thousands for a common one). UserPage.SortedBy says which
// order was applied.
//
// The total counts matches up to meibo.UserCountBound+1, through the index
// that answers the filter (see countUsers), never further.

// sortCol is the column of an order other than name, on alias u.
type sortCol struct {
	expr     string
	nullable bool
}

var sortCols = map[meibo.UserSort]sortCol{
	meibo.SortEmail:   {expr: "u.email_key"},
	meibo.SortSignIn:  {expr: "u.last_sign_in_at", nullable: true},
	meibo.SortCreated: {expr: "u.created_at"},
}

// sortCursor is a user's place in an order other than name: the column's
// value as the database writes it as text (null: none), and the ID.
type sortCursor struct {
	null  bool
	value string
	id    int64
}

// encode writes the cursor as an opaque token for URLs.
func (c sortCursor) encode(o meibo.UserSort) string {
	v := "=" + c.value
	if c.null {
		v = "-"
	}
	return base64.RawURLEncoding.EncodeToString([]byte(string(o) + "\n" + strconv.FormatInt(c.id, 10) + "\n" + v))
}

func decodeCursor(o meibo.UserSort, field, tok string) (*sortCursor, error) {
	bad := meibo.FieldError(field, "users.cursor", field)
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return nil, bad
	}
	parts := strings.SplitN(string(b), "\n", 3)
	if len(parts) == 3 && parts[0] != string(o) && parts[2] != "" {
		// A cursor of a page in another order.
		return nil, meibo.FieldError(field, "users.cursor.order", field, parts[0], string(o))
	}
	if len(parts) != 3 || parts[2] == "" {
		return nil, bad
	}
	id, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return nil, bad
	}
	c := &sortCursor{id: id, null: parts[2] == "-"}
	if !c.null {
		if parts[2][0] != '=' {
			return nil, bad
		}
		c.value = parts[2][1:]
	}
	return c, nil
}

// FindUsers returns one page of a group's users in the filter's order.
func (t *Tx) FindUsers(ctx context.Context, f meibo.UserFilter) (*meibo.UserPage, error) {
	limit := f.Limit
	switch {
	case limit <= 0:
		limit = 50
	case limit > 500:
		limit = 500 // asked for more than a page holds: a full page
	}
	kw := meibo.Fold(strings.TrimSpace(f.Keyword))
	order, _ := meibo.ParseUserSort(string(f.Sort))
	if kw != "" {
		order = meibo.SortName
	}
	// back: the page is read from its end, walking the order backwards
	// (Before, or the last page).
	back := f.Before != "" || f.Last
	tok, field := f.After, "after"
	if f.Before != "" {
		tok, field = f.Before, "before"
	}
	if f.Last {
		tok = ""
	}
	down := f.Desc != back // the database walks its index downwards
	var users []*meibo.User
	var cursors []string // each user's cursor, other orders only
	if order == meibo.SortName {
		s := &userSearch{t: t, f: f, n: limit + 1, kw: kw, back: down}
		if tok != "" {
			s.from = &userKey{meibo.Fold(tok), tok}
		}
		rows, err := s.page(ctx)
		if err != nil {
			return nil, fmt.Errorf("find users: %w", err)
		}
		for _, r := range rows {
			users = append(users, r.u)
		}
	} else {
		var cur *sortCursor
		if tok != "" {
			var err error
			if cur, err = decodeCursor(order, field, tok); err != nil {
				return nil, err
			}
		}
		rows, err := t.sortedUsers(ctx, f, sortCols[order], cur, down, limit+1)
		if err != nil {
			return nil, fmt.Errorf("find users: %w", err)
		}
		for _, r := range rows {
			users = append(users, r.u)
			cursors = append(cursors, r.c.encode(order))
		}
	}
	more := len(users) > limit
	users, cursors = users[:min(len(users), limit)], cursors[:min(len(cursors), limit)]
	page := &meibo.UserPage{Users: users}
	page.SortedBy, page.Desc = order, f.Desc
	if back {
		slices.Reverse(page.Users)
		slices.Reverse(cursors)
		page.HasPrev, page.HasNext = more, !f.Last
	} else {
		page.HasNext, page.HasPrev = more, f.After != ""
	}
	if n := len(page.Users); n > 0 {
		at := func(i int) string {
			if cursors == nil {
				return page.Users[i].Name
			}
			return cursors[i]
		}
		if page.HasNext {
			page.Next = at(n - 1)
		}
		if page.HasPrev {
			page.Prev = at(0)
		}
	}
	if page.Users == nil {
		page.Users = []*meibo.User{}
	}
	if f.Count {
		n, err := t.countUsers(ctx, f, kw, meibo.UserCountBound)
		if err != nil {
			return nil, fmt.Errorf("count users: %w", err)
		}
		page.Total, page.TotalExact = min(n, meibo.UserCountBound+1), n <= meibo.UserCountBound
	}
	return page, nil
}

// sortedRow is a user read with their cursor.
type sortedRow struct {
	u *meibo.User
	c sortCursor
}

// sortedUsers reads up to n users after cur (nil: from the start) in the
// order of col, then ID, walking downwards when down. In ascending order
// NULLs come first: a nullable column is two ranges, NULLs (by ID) and
// values.
func (t *Tx) sortedUsers(ctx context.Context, f meibo.UserFilter, col sortCol, cur *sortCursor, down bool, n int) ([]sortedRow, error) {
	gt, dir := " > ", ""
	if down {
		gt, dir = " < ", " DESC"
	}
	// seg is one range: the NULLs, or the values; after the cursor when
	// from is set.
	type seg struct {
		null bool
		from *sortCursor
	}
	var segs []seg
	switch {
	case !col.nullable:
		segs = []seg{{false, cur}}
	case cur == nil && !down:
		segs = []seg{{true, nil}, {false, nil}}
	case cur == nil:
		segs = []seg{{false, nil}, {true, nil}}
	case cur.null && !down:
		segs = []seg{{true, cur}, {false, nil}}
	case cur.null:
		segs = []seg{{true, cur}}
	case !down:
		segs = []seg{{false, cur}}
	default:
		segs = []seg{{false, cur}, {true, nil}}
	}
	var out []sortedRow
	for _, sg := range segs {
		if len(out) >= n {
			break
		}
		q := &stmt{}
		q.and("u.group_id = " + q.arg(f.GroupID))
		(&userSearch{f: f}).filters(q, "u")
		if sg.null {
			q.and(col.expr + " IS NULL")
			if sg.from != nil {
				q.and("u.id" + gt + q.arg(sg.from.id))
			}
		} else {
			if col.nullable {
				q.and(col.expr + " IS NOT NULL")
			}
			if sg.from != nil {
				q.and("(" + col.expr + ", u.id)" + gt + "(" + q.arg(sg.from.value) + ", " + q.arg(sg.from.id) + ")")
			}
		}
		rows, err := t.queryContext(ctx, `SELECT `+userCols+`, CAST(`+col.expr+` AS TEXT)`+userFrom+` WHERE `+q.whereSQL()+
			` ORDER BY `+col.expr+dir+`, u.id`+dir+` LIMIT `+strconv.Itoa(n-len(out)), q.args...)
		if err != nil {
			return nil, err
		}
		got, err := scanSorted(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
	}
	return out, nil
}

func scanSorted(rows *sql.Rows) ([]sortedRow, error) {
	defer rows.Close()
	var out []sortedRow
	for rows.Next() {
		var v sql.NullString
		u, err := scanUser(rows, &v)
		if err != nil {
			return nil, err
		}
		out = append(out, sortedRow{u: u, c: sortCursor{null: !v.Valid, value: v.String, id: u.ID}})
	}
	return out, rows.Err()
}
