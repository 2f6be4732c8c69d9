package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/meibo/meibo"
)

// Copier is implemented by dialects whose engine loads rows in bulk faster
// than any INSERT (PostgreSQL's COPY). Bulk writes of many rows then copy
// them into a staging table of the transaction and move them with one
// set-based statement; elsewhere they use multi-row INSERT and UPDATE.
type Copier interface {
	// CopyFrom copies rows (values in the order of cols) into table on
	// conn, inside the transaction open on it.
	CopyFrom(ctx context.Context, conn *sql.Conn, table string, cols []string, rows [][]any) (int64, error)
}

// Arrays is implemented by dialects whose engine takes a list of values as
// one array parameter (PostgreSQL: "= ANY($2)"): a lookup of 500 names is
// then one short statement, planned once, instead of 500 parameters.
type Arrays interface {
	// TextArray returns the argument that passes values as one text array.
	TextArray(values []string) any
}

// TimeTexter is implemented by dialects whose driver stores a time as text
// (SQLite). A bulk load then formats its times where it reads them, on a
// goroutine of its own, and the one that writes binds text.
type TimeTexter interface {
	// TimeText is the text the driver stores for t.
	TimeText(t time.Time) string
}

// TimeText returns the text the engine's driver stores for a time, or nil
// where it stores times as times (PostgreSQL).
func (db *DB) TimeText() func(time.Time) string {
	if tt, ok := db.dialect.(TimeTexter); ok {
		return tt.TimeText
	}
	return nil
}

// copyMinRows is how many rows make a write worth a staging table: below
// it, the three statements of a copy cost more than one INSERT.
const copyMinRows = 64

// copier returns the dialect's Copier when this transaction can copy n rows.
func (t *Tx) copier(n int) Copier {
	if t.conn == nil || n < copyMinRows {
		return nil
	}
	c, _ := t.d.(Copier)
	return c
}

// Staging tables: temporary, private to the transaction's connection, and
// dropped when the transaction ends (ON COMMIT DROP; a rolled-back or
// interrupted transaction takes its temporary tables with it, and a
// connection that dies drops them too). Each is created once per
// transaction and emptied before each batch.
var stagingTables = map[string]string{
	"meibo_stage_users": `(seq INTEGER NOT NULL, group_id TEXT COLLATE "C" NOT NULL, name TEXT COLLATE "C" NOT NULL, name_fold TEXT COLLATE "C" NOT NULL,
		email TEXT NOT NULL, email_key TEXT COLLATE "C" NOT NULL, unified_key TEXT COLLATE "C" NOT NULL, password_hash TEXT NOT NULL,
		profile_id BIGINT NOT NULL, admin BOOLEAN NOT NULL, api_access BOOLEAN NOT NULL, disabled BOOLEAN NOT NULL,
		created_at TIMESTAMPTZ NOT NULL, updated_at TIMESTAMPTZ NOT NULL, password_changed_at TIMESTAMPTZ)`,
	"meibo_stage_user_updates": `(id BIGINT NOT NULL, email TEXT NOT NULL, email_key TEXT COLLATE "C" NOT NULL, unified_key TEXT COLLATE "C" NOT NULL,
		password_hash TEXT NOT NULL, profile_id BIGINT NOT NULL, admin BOOLEAN NOT NULL, api_access BOOLEAN NOT NULL, disabled BOOLEAN NOT NULL,
		updated_at TIMESTAMPTZ NOT NULL, password_changed_at TIMESTAMPTZ)`,
}

// stage copies rows into the named staging table, emptied first.
func (t *Tx) stage(ctx context.Context, c Copier, table string, cols []string, rows [][]any) error {
	if t.staged[table] {
		if _, err := t.tx.ExecContext(ctx, `TRUNCATE `+table); err != nil {
			return fmt.Errorf("empty %s: %w", table, err)
		}
	} else {
		if _, err := t.tx.ExecContext(ctx, `CREATE TEMPORARY TABLE `+table+` `+stagingTables[table]+` ON COMMIT DROP`); err != nil {
			return fmt.Errorf("create %s: %w", table, err)
		}
		if t.staged == nil {
			t.staged = map[string]bool{}
		}
		t.staged[table] = true
	}
	return t.copyRows(ctx, c, table, cols, rows)
}

// copyRows copies rows into table and checks that every one arrived.
func (t *Tx) copyRows(ctx context.Context, c Copier, table string, cols []string, rows [][]any) error {
	n, err := c.CopyFrom(ctx, t.conn, table, cols, rows)
	if err != nil {
		return fmt.Errorf("copy into %s: %w", table, err)
	}
	if n != int64(len(rows)) {
		return fmt.Errorf("copy into %s: %d rows of %d", table, n, len(rows))
	}
	return nil
}

// copyUsers inserts users through the staging table, in the order given,
// and sets their IDs.
func (t *Tx) copyUsers(ctx context.Context, c Copier, users []*meibo.User) error {
	rows := make([][]any, len(users))
	byKey := make(map[string]*meibo.User, len(users))
	for i, u := range users {
		rows[i] = t.userArgs(append(make([]any, 0, userInsertCols+1), i), u)
		byKey[u.GroupID+"\x00"+u.Name] = u
	}
	cols := []string{"seq", "group_id", "name", "name_fold", "email", "email_key", "unified_key", "password_hash", "profile_id",
		"admin", "api_access", "disabled", "created_at", "updated_at", "password_changed_at"}
	if err := t.stage(ctx, c, "meibo_stage_users", cols, rows); err != nil {
		return err
	}
	q := `INSERT INTO users (group_id, name, name_fold, email, email_key, unified_key, password_hash, profile_id, admin, api_access, disabled, created_at, updated_at, password_changed_at)
		SELECT group_id, name, name_fold, email, email_key, unified_key, password_hash, profile_id, admin, api_access, disabled, created_at, updated_at, password_changed_at
		FROM meibo_stage_users ORDER BY seq RETURNING id, group_id, name`
	res, err := t.tx.QueryContext(ctx, q)
	if err == nil {
		for res.Next() {
			var id int64
			var g, n string
			if err = res.Scan(&id, &g, &n); err != nil {
				break
			}
			if u := byKey[g+"\x00"+n]; u != nil {
				u.ID = id
			}
		}
		if err == nil {
			err = res.Err()
		}
		res.Close()
	}
	return t.createUsersError(err, users)
}

// createUsersError turns the error of an insert of users into the domain's.
func (t *Tx) createUsersError(err error, batch []*meibo.User) error {
	switch {
	case err == nil:
		return nil
	case t.d.IsUnique(err):
		if len(batch) == 1 {
			return meibo.ConflictField("name", "user.exists", batch[0].Name)
		}
		return meibo.Conflict("users.exist")
	case t.d.IsForeignKey(err):
		return meibo.NotFound("group.not_found", batch[0].GroupID)
	}
	return fmt.Errorf("create users: %w", err)
}

// copyUserUpdates writes users' changeable fields through the staging table.
func (t *Tx) copyUserUpdates(ctx context.Context, c Copier, users []*meibo.User) error {
	rows := make([][]any, len(users))
	for i, u := range users {
		u.UpdatedAt = t.now
		rows[i] = []any{u.ID, u.Email, meibo.EmailKey(u.Email), u.UnifiedKey().EmailKey, u.PasswordHash, u.ProfileID,
			u.Admin, u.APIAccess, u.Disabled, u.UpdatedAt, u.PasswordChangedAt}
	}
	cols := []string{"id", "email", "email_key", "unified_key", "password_hash", "profile_id", "admin", "api_access", "disabled",
		"updated_at", "password_changed_at"}
	if err := t.stage(ctx, c, "meibo_stage_user_updates", cols, rows); err != nil {
		return err
	}
	res, err := t.tx.ExecContext(ctx, `UPDATE users SET email = v.email, email_key = v.email_key, unified_key = v.unified_key,
		password_hash = v.password_hash, profile_id = v.profile_id, admin = v.admin, api_access = v.api_access, disabled = v.disabled,
		updated_at = v.updated_at, password_changed_at = v.password_changed_at
		FROM meibo_stage_user_updates v WHERE users.id = v.id`)
	switch {
	case t.d.IsForeignKey(err):
		return meibo.NotFound("not_found")
	case err != nil:
		return fmt.Errorf("update users: %w", err)
	}
	if n := affected(res); n != int64(len(users)) {
		return meibo.NotFound("not_found")
	}
	return nil
}
