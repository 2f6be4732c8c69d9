package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/meibo/meibo"
)

// userCols are a user's columns, read by scanUser. The times are read
// through COALESCE, an expression without a declared type: SQLite's driver
// then hands over the stored text instead of trying its layouts one after
// another (a failed parse before each good one: a quarter of reading a
// batch of users), and textTime parses it once. PostgreSQL's stay times.
const userCols = `u.id, u.group_id, u.name, u.email, u.password_hash, u.profile_id, p.name, u.admin, u.api_access, u.disabled,
	COALESCE(u.created_at, NULL), COALESCE(u.updated_at, NULL), COALESCE(u.password_changed_at, NULL), COALESCE(u.last_sign_in_at, NULL)`

const userFrom = ` FROM users u JOIN profiles p ON p.id = u.profile_id`

// scanUser reads the columns of userCols, then those of extra.
func scanUser(s scanner, extra ...any) (*meibo.User, error) {
	var u meibo.User
	var created, updated, pwc, last textTime
	if err := s.Scan(append([]any{&u.ID, &u.GroupID, &u.Name, &u.Email, &u.PasswordHash, &u.ProfileID, &u.ProfileName,
		&u.Admin, &u.APIAccess, &u.Disabled, &created, &updated, &pwc, &last}, extra...)...); err != nil {
		return nil, err
	}
	if !created.valid || !updated.valid {
		return nil, fmt.Errorf("user %d has no creation or update time", u.ID)
	}
	u.CreatedAt, u.UpdatedAt = created.t, updated.t
	u.PasswordChangedAt, u.LastSignInAt = pwc.ptr(), last.ptr()
	return &u, nil
}

const userInsertCols = 14

// CreateUsers inserts users in batches and sets their IDs and times.
func (t *Tx) CreateUsers(ctx context.Context, users []*meibo.User) error {
	if c := t.copier(len(users)); c != nil {
		return t.copyUsers(ctx, c, users)
	}
	per := t.batchSize(userInsertCols)
	for start := 0; start < len(users); start += per {
		batch := users[start:min(start+per, len(users))]
		var err error
		if t.d.Name() == "sqlite" {
			err = t.insertUsersNumbered(ctx, batch)
		} else {
			err = t.insertUsersReturning(ctx, batch)
		}
		if err := t.createUsersError(err, batch); err != nil {
			return err
		}
	}
	return nil
}

const userInsertSQL = `INSERT INTO users (group_id, name, name_fold, email, email_key, unified_key, password_hash, profile_id, admin, api_access, disabled, created_at, updated_at, password_changed_at`

// userArgs appends the values of userInsertSQL's columns for u, and sets
// its times.
func (t *Tx) userArgs(args []any, u *meibo.User) []any {
	u.CreatedAt, u.UpdatedAt = t.now, t.now
	return append(args, u.GroupID, u.Name, meibo.Fold(u.Name), u.Email, meibo.EmailKey(u.Email), u.UnifiedKey().EmailKey,
		u.PasswordHash, u.ProfileID, u.Admin, u.APIAccess, u.Disabled, u.CreatedAt, u.UpdatedAt, u.PasswordChangedAt)
}

// insertUsersReturning inserts a batch of users and reads their IDs back
// with RETURNING, matched by group and name (the rows come back in no
// promised order).
func (t *Tx) insertUsersReturning(ctx context.Context, batch []*meibo.User) error {
	args := make([]any, 0, len(batch)*userInsertCols)
	byKey := make(map[string]*meibo.User, len(batch))
	for _, u := range batch {
		args = t.userArgs(args, u)
		byKey[u.GroupID+"\x00"+u.Name] = u
	}
	q := userInsertSQL + `) VALUES ` + t.valuesList(len(batch), userInsertCols, 1, nil) + ` RETURNING id, group_id, name`
	rows, err := t.queryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var g, n string
		if err := rows.Scan(&id, &g, &n); err != nil {
			return err
		}
		if u := byKey[g+"\x00"+n]; u != nil {
			u.ID = id
		}
	}
	return rows.Err()
}

// insertUsersNumbered inserts a batch of users and works their IDs out
// rather than reading them back: users.id is an INTEGER PRIMARY KEY
// AUTOINCREMENT, so SQLite gives each new row the largest id it ever gave
// or holds plus one, in the order of the VALUES list, and this transaction
// is the only writer. The batch's IDs are then the batch's size of them up
// to the last one, all above the largest before it. (A database migrated
// only up to before AUTOINCREMENT, in tests, numbers them the same way.)
// Should it not be (the table holds the largest possible ID, and SQLite
// picks free ones at random), each ID is read back by group and name.
// Reading every ID back with RETURNING cost an import of 100,000 new users
// a tenth of its time: SQLite gathers the returned rows in a table of their
// own, and each came back with its group and name to be matched.
func (t *Tx) insertUsersNumbered(ctx context.Context, batch []*meibo.User) error {
	var before int64
	if err := t.queryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM users`).Scan(&before); err != nil {
		return err
	}
	args := make([]any, 0, len(batch)*userInsertCols)
	for _, u := range batch {
		args = t.userArgs(args, u)
	}
	res, err := t.execContext(ctx, userInsertSQL+`) VALUES `+t.valuesList(len(batch), userInsertCols, 1, nil), args...)
	if err != nil {
		return err
	}
	last, err := res.LastInsertId()
	if err != nil {
		return err
	}
	if first := last - int64(len(batch)) + 1; first > before {
		for i, u := range batch {
			u.ID = first + int64(i)
		}
		return nil
	}
	for _, u := range batch {
		if err := t.queryRowContext(ctx, `SELECT id FROM users WHERE group_id = $1 AND name = $2`, u.GroupID, u.Name).Scan(&u.ID); err != nil {
			return err
		}
	}
	return nil
}

func (t *Tx) oneUser(ctx context.Context, notFound *meibo.Error, where string, args ...any) (*meibo.User, error) {
	return one(ctx, t, func(s scanner) (*meibo.User, error) { return scanUser(s) }, error(notFound), "read user", `SELECT `+userCols+userFrom+` WHERE `+where, args...)
}

// User finds a user by ID.
func (t *Tx) User(ctx context.Context, id int64) (*meibo.User, error) {
	return t.oneUser(ctx, meibo.NotFound("not_found"), `u.id = $1`, id)
}

// UserByName finds a user of a group by exact name.
func (t *Tx) UserByName(ctx context.Context, groupID, name string) (*meibo.User, error) {
	return t.oneUser(ctx, meibo.NotFound("user.not_found", name), `u.group_id = $1 AND u.name = $2`, groupID, name)
}

// UsersByFold returns up to limit users of a group whose name_fold is one
// of folds (the index of the listing order serves it).
func (t *Tx) UsersByFold(ctx context.Context, groupID string, folds []string, limit int) ([]*meibo.User, error) {
	if len(folds) == 0 || limit <= 0 {
		return nil, nil
	}
	args := []any{groupID}
	for _, f := range folds {
		args = append(args, f)
	}
	return all(ctx, t, func(s scanner) (*meibo.User, error) { return scanUser(s) }, "read users",
		`SELECT `+userCols+userFrom+` WHERE u.group_id = $1 AND u.name_fold IN (`+inList(len(folds), 2)+`) ORDER BY u.name LIMIT `+strconv.Itoa(limit), args...)
}

// UsersByName returns the users of a group named in names.
func (t *Tx) UsersByName(ctx context.Context, groupID string, names []string) (map[string]*meibo.User, error) {
	out := make(map[string]*meibo.User, len(names))
	if a, ok := t.d.(Arrays); ok && len(names) > 1 {
		// One parameter, one plan, whatever the number of names. Each
		// name is looked up on its own (LATERAL … LIMIT 1, which the
		// planner cannot flatten into a join): "name = ANY($2)" let a plan
		// made while the table was empty or not yet analyzed (the first
		// import into a new installation) scan the whole group for every
		// batch, so that an import's apply grew with the square of its
		// rows.
		rows, err := t.tx.QueryContext(ctx, `SELECT x.* FROM unnest(CAST($2 AS TEXT[])) AS n(name) CROSS JOIN LATERAL (SELECT `+userCols+userFrom+`
			WHERE u.group_id = $1 AND u.name = n.name LIMIT 1) AS x`, groupID, a.TextArray(names))
		return out, scanUsersByName(rows, err, out)
	}
	per := min(t.d.MaxParams()-1, 1000)
	for start := 0; start < len(names); start += per {
		batch := names[start:min(start+per, len(names))]
		args := make([]any, 0, len(batch)+1)
		args = append(args, groupID)
		for _, n := range batch {
			args = append(args, n)
		}
		rows, err := t.queryContext(ctx, `SELECT `+userCols+userFrom+` WHERE u.group_id = $1 AND u.name IN (`+inList(len(batch), 2)+`)`, args...)
		if err := scanUsersByName(rows, err, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// scanUsersByName reads users into out by name.
func scanUsersByName(rows *sql.Rows, err error, out map[string]*meibo.User) error {
	if err != nil {
		return fmt.Errorf("read users: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return fmt.Errorf("read users: %w", err)
		}
		out[u.Name] = u
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read users: %w", err)
	}
	return nil
}

// EachUser streams a group's users in name order (byte order of the name,
// along the unique (group_id, name) index; not the folded-name order of
// FindUsers: an export is a file, read by programs) with the fields a users
// file carries (ID, group, name, e-mail, profile, flags; no times, no hash).
// It reads as little as it can per row, since an export of a million users
// is bound by it: the profile's ID, named from the group's few profiles read
// first, instead of a join; the three flags as one integer.
func (t *Tx) EachUser(ctx context.Context, groupID string, fn func(*meibo.User) error) error {
	ps, err := t.Profiles(ctx, groupID)
	if err != nil {
		return err
	}
	profiles := make(map[int64]string, len(ps))
	for _, p := range ps {
		profiles[p.ID] = p.Name
	}
	rows, err := t.queryContext(ctx, `SELECT u.id, u.name, u.email, u.profile_id,
		CASE WHEN u.admin THEN 1 ELSE 0 END + CASE WHEN u.api_access THEN 2 ELSE 0 END + CASE WHEN u.disabled THEN 4 ELSE 0 END
		FROM users u WHERE u.group_id = $1 ORDER BY u.name`, groupID)
	if err != nil {
		return fmt.Errorf("read users: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		u := meibo.User{GroupID: groupID}
		var flags int64
		if err := rows.Scan(&u.ID, &u.Name, &u.Email, &u.ProfileID, &flags); err != nil {
			return fmt.Errorf("read users: %w", err)
		}
		name, ok := profiles[u.ProfileID]
		if !ok {
			// Another group's profile: SQLite's older rows may have one
			// (PostgreSQL's key forbids it). Read while the rows are open.
			p, err := t.Profile(ctx, u.ProfileID)
			if err != nil {
				return err
			}
			name = p.Name
			profiles[u.ProfileID] = name
		}
		u.ProfileName = name
		u.Admin, u.APIAccess, u.Disabled = flags&1 != 0, flags&2 != 0, flags&4 != 0
		if err := fn(&u); err != nil {
			return err
		}
	}
	return rows.Err()
}

// CountUsers counts a group's users.
func (t *Tx) CountUsers(ctx context.Context, groupID string) (int, error) {
	var n int
	if err := t.queryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE group_id = $1`, groupID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}

const userUpdateCols = 11

// ReplacePasswordHash writes a user's password hash over old only.
func (t *Tx) ReplacePasswordHash(ctx context.Context, id int64, old, hash string) (bool, error) {
	res, err := t.exec(ctx, "replace a password hash", `UPDATE users SET password_hash = $1 WHERE id = $2 AND password_hash = $3`, hash, id, old)
	if err != nil {
		return false, err
	}
	return affected(res) > 0, nil
}

// UpdateUsers writes users' changeable fields in batches.
func (t *Tx) UpdateUsers(ctx context.Context, users []*meibo.User) error {
	if c := t.copier(len(users)); c != nil {
		return t.copyUserUpdates(ctx, c, users)
	}
	casts := []string{"bigint", "text", "text", "text", "text", "bigint", "boolean", "boolean", "boolean", "timestamptz", "timestamptz"}
	per := t.batchSize(userUpdateCols)
	for start := 0; start < len(users); start += per {
		batch := users[start:min(start+per, len(users))]
		args := make([]any, 0, len(batch)*userUpdateCols)
		for _, u := range batch {
			u.UpdatedAt = t.now
			args = append(args, u.ID, u.Email, meibo.EmailKey(u.Email), u.UnifiedKey().EmailKey, u.PasswordHash, u.ProfileID,
				u.Admin, u.APIAccess, u.Disabled, u.UpdatedAt, u.PasswordChangedAt)
		}
		q := `UPDATE users SET email = v.column2, email_key = v.column3, unified_key = v.column4, password_hash = v.column5,
			profile_id = v.column6, admin = v.column7, api_access = v.column8, disabled = v.column9, updated_at = v.column10,
			password_changed_at = v.column11
			FROM (VALUES ` + t.valuesList(len(batch), userUpdateCols, 1, casts) + `) AS v WHERE users.id = v.column1`
		res, err := t.execContext(ctx, q, args...)
		switch {
		case t.d.IsForeignKey(err):
			return meibo.NotFound("not_found")
		case err != nil:
			return fmt.Errorf("update users: %w", err)
		}
		if n := affected(res); n != int64(len(batch)) {
			return meibo.NotFound("not_found")
		}
	}
	return nil
}

// DeleteUsers deletes users by ID.
func (t *Tx) DeleteUsers(ctx context.Context, ids []int64) error {
	per := min(t.d.MaxParams()-1, 1000)
	for start := 0; start < len(ids); start += per {
		batch := ids[start:min(start+per, len(ids))]
		args := make([]any, len(batch))
		for i, id := range batch {
			args[i] = id
		}
		// The profiles the users leave change (their members_version;
		// inserts, moves and renames are counted by triggers, at the
		// rows' updated_at, which a deleted row does not have).
		if _, err := t.exec(ctx, "count the members who leave", `UPDATE profiles SET members_version = members_version + 1,
			members_changed_at = $1 WHERE id IN (SELECT profile_id FROM users WHERE id IN (`+inList(len(batch), 2)+`))`,
			append([]any{t.now}, args...)...); err != nil {
			return err
		}
		res, err := t.exec(ctx, "delete users", `DELETE FROM users WHERE id IN (`+inList(len(batch), 1)+`)`, args...)
		if err != nil {
			return err
		}
		if affected(res) != int64(len(batch)) {
			return meibo.NotFound("not_found")
		}
	}
	return nil
}

// SetUserSignIn records a sign-in.
func (t *Tx) SetUserSignIn(ctx context.Context, id int64, at time.Time) error {
	_, err := t.exec(ctx, "record sign-in", `UPDATE users SET last_sign_in_at = $1 WHERE id = $2`, at, id)
	return err
}

// UnifiedCount is the number of unified users.
func (t *Tx) UnifiedCount(ctx context.Context) (int, error) {
	var n int
	if err := t.queryRowContext(ctx, `SELECT COUNT(*) FROM unified_users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count unified users: %w", err)
	}
	return n, nil
}

// UnifiedMembers returns the current member count of each key.
func (t *Tx) UnifiedMembers(ctx context.Context, keys []meibo.UnifiedKey) (map[meibo.UnifiedKey]int, error) {
	out := make(map[meibo.UnifiedKey]int, len(keys))
	per := min(t.d.MaxParams()/2, 500)
	for start := 0; start < len(keys); start += per {
		batch := keys[start:min(start+per, len(keys))]
		args := make([]any, 0, 2*len(batch))
		var conds []string
		for i, k := range batch {
			args = append(args, k.Name, k.EmailKey)
			conds = append(conds, fmt.Sprintf("(name = $%d AND unified_key = $%d)", 2*i+1, 2*i+2))
		}
		rows, err := t.queryContext(ctx, `SELECT name, unified_key, members FROM unified_users WHERE `+strings.Join(conds, " OR "), args...)
		if err != nil {
			return nil, fmt.Errorf("read unified users: %w", err)
		}
		for rows.Next() {
			var k meibo.UnifiedKey
			var n int
			if err := rows.Scan(&k.Name, &k.EmailKey, &n); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read unified users: %w", err)
			}
			out[k] = n
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("read unified users: %w", err)
		}
	}
	return out, nil
}

// UnifiedUsers lists unified users in (name, key) order after the given key.
func (t *Tx) UnifiedUsers(ctx context.Context, after meibo.UnifiedKey, limit int) ([]meibo.UnifiedUser, error) {
	switch {
	case limit <= 0:
		limit = 100
	case limit > 1000:
		limit = 1000 // asked for more than a page holds: a full page
	}
	rows, err := t.queryContext(ctx, `SELECT name, unified_key, email, members FROM unified_users
		WHERE name > $1 OR (name = $1 AND unified_key > $2) ORDER BY name, unified_key LIMIT `+strconv.Itoa(limit), after.Name, after.EmailKey)
	if err != nil {
		return nil, fmt.Errorf("list unified users: %w", err)
	}
	defer rows.Close()
	out := []meibo.UnifiedUser{}
	for rows.Next() {
		var u meibo.UnifiedUser
		if err := rows.Scan(&u.Key.Name, &u.Key.EmailKey, &u.Email, &u.Members); err != nil {
			return nil, fmt.Errorf("list unified users: %w", err)
		}
		u.Name = u.Key.Name
		out = append(out, u)
	}
	return out, rows.Err()
}
