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
