package sqlstore

import (
	"context"
	"fmt"
	"strconv"

	"github.com/meibo/meibo"
)

// CountUsersUpTo counts the users of f's group that match its state, admin
// and profile conditions (not its keyword: the search answers those), up to
// limit: it stops counting there, so that it costs at most limit index
// entries.
func (t *Tx) CountUsersUpTo(ctx context.Context, f meibo.UserFilter, limit int) (int, error) {
	var w conds
	arg := w.arg
	w.add("group_id = " + arg(f.GroupID))
	if f.Disabled != nil {
		w.add("disabled = " + arg(*f.Disabled))
	}
	if f.Admin != nil {
		w.add("admin = " + arg(*f.Admin))
	}
	if f.ProfileID != nil {
		w.add("profile_id = " + arg(*f.ProfileID))
	}
	var n int
	q := `SELECT COUNT(*) FROM (SELECT 1 FROM users` + w.sql() + ` LIMIT ` + strconv.Itoa(max(limit, 0)) + `) AS m`
	if err := t.queryRowContext(ctx, q, w.args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}

// EachUserMatching reads, in ID order, every user of f's group matching its
// state, admin and profile conditions (not its keyword), with every field,
// and calls fn with each. fn must not use the transaction: the rows are
// still being read.
func (t *Tx) EachUserMatching(ctx context.Context, f meibo.UserFilter, fn func(*meibo.User) error) error {
	var w conds
	arg := w.arg
	w.add("u.group_id = " + arg(f.GroupID))
	if f.Disabled != nil {
		w.add("u.disabled = " + arg(*f.Disabled))
	}
	if f.Admin != nil {
		w.add("u.admin = " + arg(*f.Admin))
	}
	if f.ProfileID != nil {
		w.add("u.profile_id = " + arg(*f.ProfileID))
	}
	rows, err := t.queryContext(ctx, `SELECT `+userCols+userFrom+w.sql()+` ORDER BY u.id`, w.args...)
	if err != nil {
		return fmt.Errorf("read users: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return fmt.Errorf("read users: %w", err)
		}
		if err := fn(u); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read users: %w", err)
	}
	return nil
}

// SetUsers writes one change to every user of ids (their state or their
// profile) and their update time, a batch of users per statement: only the
// columns that change are written, so no index or trigger of the others
// is touched.
func (t *Tx) SetUsers(ctx context.Context, ids []int64, set meibo.UserSet) error {
	var col string
	var val any
	switch {
	case set.Disabled != nil:
		col, val = "disabled", *set.Disabled
	case set.ProfileID != nil:
		col, val = "profile_id", *set.ProfileID
	default:
		return nil
	}
	per := min(t.d.MaxParams()-2, 1000)
	for start := 0; start < len(ids); start += per {
		batch := ids[start:min(start+per, len(ids))]
		args := make([]any, 0, len(batch)+2)
		args = append(args, val, t.now)
		for _, id := range batch {
			args = append(args, id)
		}
		res, err := t.execContext(ctx, `UPDATE users SET `+col+` = $1, updated_at = $2 WHERE id IN (`+inList(len(batch), 3)+`)`, args...)
		switch {
		case t.d.IsForeignKey(err):
			return meibo.NotFound("profile.not_found", "")
		case err != nil:
			return fmt.Errorf("update users: %w", err)
		}
		if affected(res) != int64(len(batch)) {
			return meibo.NotFound("not_found")
		}
	}
	return nil
}
