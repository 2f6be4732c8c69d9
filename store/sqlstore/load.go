package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/meibo/meibo"
)

// Bulk loads (a restore into an empty database). Keeping every secondary
// index, every trigger and, on PostgreSQL, every foreign key in step row by
// row costs a load of a million users most of its time; building an index
// from all its rows at once (a sort) and deriving the tables that triggers
// keep (the licence count, the group counts, the users waiting for the
// keyword index) with one statement each costs a fraction of it. The
// loaded users wait for the keyword index, the trigram index included,
// which the indexer builds after the commit. BeginLoad drops
// them inside the transaction and Finish puts them back from the
// definitions it read: DDL is transactional on both engines, so a load
// that fails and rolls back leaves the schema as it was, and one that
// commits leaves the very definitions it found. SQLite's foreign keys
// cannot be dropped: the load runs on a connection that does not enforce
// them (DB.LoadConn), and Finish checks them all at once.

// loadTriggers are the triggers that a load drops, per engine: those whose
// work Finish redoes set-based. Each keeps one of the tables Finish derives
// (unified_users, group_user_counts, user_grams and user_grams_pending, and
// the trigram index, emptied: SQLite's users_fts, PostgreSQL's user_search)
// in step with users; the members triggers (users_*_members) count changes
// of profiles' members, which the load writes as the backup holds them, so
// Finish has nothing to redo for them. A trigger not listed here stays and
// fires row by row;
// TestLoadTriggers fails on a trigger of a migrated database that is in
// neither list, so that a new one is weighed.
var loadTriggers = map[string][]string{
	"sqlite": {
		"users_ai", "users_ad", "users_au_unified", "users_au_name",
		"users_ai_count", "users_ad_count", "users_au_count",
		"users_ai_grams", "users_ad_grams", "users_au_grams",
		"users_ai_grams_pending", "users_ad_grams_pending", "users_au_grams_pending",
		"users_ai_members", "users_au_members",
	},
	"postgres": {
		"users_unified_ins", "users_unified_del", "users_unified_upd", "users_unified_name",
		"users_count_ins", "users_count_del", "users_count_upd",
		"users_grams_ins", "users_grams_del", "users_grams_upd",
		"users_members_ins", "users_members_upd",
	},
}

// LoadTriggers lists the triggers a load of this engine drops and rebuilds
// the work of (for tests).
func LoadTriggers(engine string) []string { return slices.Clone(loadTriggers[engine]) }

// definition is a schema object dropped for a load, with the statement that
// makes it again.
type definition struct {
	kind, name, table, sql string
}

// Load is a bulk load in progress in a transaction: see BeginLoad.
type Load struct {
	t        *Tx
	indexes  []definition
	triggers []definition
	fkeys    []definition // PostgreSQL's foreign keys
}

// BeginLoad prepares the transaction to load rows into tables in bulk: it
// defers the keyword index (DeferSearchIndex) and drops the secondary
// indexes of tables, the triggers of loadTriggers and, on PostgreSQL, the
// foreign keys of tables, remembering their definitions. Partial indexes
// stay: they hold few rows (the administrators, the disabled users) and
// cost little to keep, where building one again reads the whole table. Until Finish, the
// tables derived from users are not kept: the caller writes only to tables
// (and may empty them), then calls Finish, which derives them from scratch.
// Unique indexes that are not constraints are dropped too; a duplicate
// fails Finish, and with it the transaction.
func (t *Tx) BeginLoad(ctx context.Context, tables []string) (*Load, error) {
	if err := t.DeferSearchIndex(ctx); err != nil {
		return nil, err
	}
	l := &Load{t: t}
	var err error
	if t.d.Name() == "postgres" {
		err = l.readPostgres(ctx, tables)
	} else {
		err = l.readSQLite(ctx, tables)
	}
	if err != nil {
		return nil, err
	}
	for _, fk := range l.fkeys {
		if _, err := t.tx.ExecContext(ctx, `ALTER TABLE `+fk.table+` DROP CONSTRAINT `+quoteName(fk.name)); err != nil {
			return nil, fmt.Errorf("load: drop %s: %w", fk.name, err)
		}
	}
	for _, d := range l.triggers {
		q := `DROP TRIGGER ` + quoteName(d.name)
		if t.d.Name() == "postgres" {
			q += ` ON ` + d.table
		}
		if _, err := t.tx.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("load: drop trigger %s: %w", d.name, err)
		}
	}
	for _, d := range l.indexes {
		if _, err := t.tx.ExecContext(ctx, `DROP INDEX `+quoteName(d.name)); err != nil {
			return nil, fmt.Errorf("load: drop index %s: %w", d.name, err)
		}
	}
	return l, nil
}

func (l *Load) readSQLite(ctx context.Context, tables []string) error {
	in := make([]string, len(tables))
	args := make([]any, len(tables))
	for i, tb := range tables {
		in[i] = "?"
		args[i] = tb
	}
	rows, err := l.t.tx.QueryContext(ctx, `SELECT type, name, tbl_name, sql FROM sqlite_master
		WHERE type IN ('index', 'trigger') AND sql IS NOT NULL AND tbl_name IN (`+strings.Join(in, ", ")+`)
			AND NOT EXISTS (SELECT 1 FROM pragma_index_list(tbl_name) p WHERE p.name = sqlite_master.name AND p.partial)
		ORDER BY rowid`, args...)
	if err != nil {
		return fmt.Errorf("load: read the schema: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var d definition
		if err := rows.Scan(&d.kind, &d.name, &d.table, &d.sql); err != nil {
			return fmt.Errorf("load: read the schema: %w", err)
		}
		switch {
		case d.kind == "index":
			l.indexes = append(l.indexes, d)
		case slices.Contains(loadTriggers["sqlite"], d.name):
			l.triggers = append(l.triggers, d)
		}
	}
	return rows.Err()
}

func (l *Load) readPostgres(ctx context.Context, tables []string) error {
	// Indexes that no constraint owns (a primary key's or a UNIQUE
	// constraint's index stays) and that are not partial.
	q := []struct {
		kind, sql string
	}{
		{"index", `SELECT c.relname, t.oid::regclass::text, pg_get_indexdef(i.indexrelid)
			FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
			WHERE t.relnamespace = current_schema()::regnamespace AND t.relname = ANY($1)
				AND i.indpred IS NULL
				AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.contype IN ('p', 'u', 'x'))
			ORDER BY c.oid`},
		{"trigger", `SELECT g.tgname, t.oid::regclass::text, pg_get_triggerdef(g.oid)
			FROM pg_trigger g JOIN pg_class t ON t.oid = g.tgrelid
			WHERE t.relnamespace = current_schema()::regnamespace AND t.relname = ANY($1) AND NOT g.tgisinternal
			ORDER BY g.oid`},
		{"fkey", `SELECT k.conname, t.oid::regclass::text, pg_get_constraintdef(k.oid)
			FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid
			WHERE t.relnamespace = current_schema()::regnamespace AND t.relname = ANY($1) AND k.contype = 'f'
			ORDER BY k.oid`},
	}
	for _, s := range q {
		rows, err := l.t.tx.QueryContext(ctx, s.sql, tables)
		if err != nil {
			return fmt.Errorf("load: read the schema: %w", err)
		}
		for rows.Next() {
			d := definition{kind: s.kind}
			if err := rows.Scan(&d.name, &d.table, &d.sql); err != nil {
				rows.Close()
				return fmt.Errorf("load: read the schema: %w", err)
			}
			switch d.kind {
			case "index":
				l.indexes = append(l.indexes, d)
			case "trigger":
				if slices.Contains(loadTriggers["postgres"], d.name) {
					l.triggers = append(l.triggers, d)
				}
			case "fkey":
				l.fkeys = append(l.fkeys, d)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("load: read the schema: %w", err)
		}
	}
	return nil
}

// Finish builds the indexes again, derives the tables the dropped triggers
// keep from the loaded users (emptying them first), and puts back the
// triggers and foreign keys (PostgreSQL checks each key with one query;
// SQLite checks every key of the database with one statement, for
// DB.LoadConn).
func (l *Load) Finish(ctx context.Context) error {
	tx := l.t.tx
	pg := l.t.d.Name() == "postgres"
	if pg {
		// Sorts in memory (the server's) rather than in temporary files.
		for _, q := range []string{`SET LOCAL maintenance_work_mem = '256MB'`, `SET LOCAL work_mem = '128MB'`} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("load: %w", err)
			}
		}
	} else {
		// CREATE INDEX and GROUP BY sort in runs as large as the page
		// cache, merged through temporary files. Runs of 4 MiB, sorted on
		// the connection's own thread, built the five indexes of 1,000,000
		// users in 2.6-2.8 s; runs of the writer's 16 MiB with two helper
		// threads, in 3.3-3.4 s (sqlite3, alternating).
		var cache int
		if err := tx.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&cache); err != nil {
			return fmt.Errorf("load: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `PRAGMA cache_size = -4096`); err != nil {
			return fmt.Errorf("load: %w", err)
		}
		defer tx.ExecContext(context.WithoutCancel(ctx), fmt.Sprintf(`PRAGMA cache_size = %d`, cache)) //nolint:errcheck // a setting of this connection only
	}
	for _, d := range l.indexes {
		if _, err := tx.ExecContext(ctx, d.sql); err != nil {
			return fmt.Errorf("load: create index %s: %w", d.name, err)
		}
	}
	var derive []string
	if pg {
		derive = []string{
			`TRUNCATE unified_users, group_user_counts, user_grams, user_grams_pending, user_search`,
			`INSERT INTO unified_users (name, unified_key, email, members)
				SELECT name, unified_key, (array_agg(email ORDER BY id))[1], count(*) FROM users GROUP BY name, unified_key`,
			`INSERT INTO group_user_counts (group_id, users) SELECT group_id, count(*) FROM users GROUP BY group_id`,
			`INSERT INTO user_grams_pending (group_id, name_fold, name, user_id, email_key)
				SELECT group_id, name_fold, name, id, email_key FROM users ORDER BY group_id, name_fold, name`,
		}
	} else {
		derive = []string{
			`DELETE FROM unified_users`,
			`DELETE FROM group_user_counts`,
			`DELETE FROM user_grams`,
			`DELETE FROM user_grams_pending`,
			// The e-mail address of each name's first user (by ID), as the
			// triggers keep it: min() takes the bare column from its row.
			`INSERT INTO unified_users (name, unified_key, email, members)
				SELECT name, unified_key, email, n FROM (SELECT name, unified_key, email, count(*) AS n, min(id) FROM users GROUP BY name, unified_key)`,
			`INSERT INTO group_user_counts (group_id, users) SELECT group_id, count(*) FROM users GROUP BY group_id`,
			`INSERT INTO user_grams_pending (group_id, name_fold, name, user_id, email_key)
				SELECT group_id, name_fold, name, id, email_key FROM users ORDER BY group_id, name_fold, name`,
			// Every user waits for the trigram index too (migration
			// 0022): it holds none of them.
			`INSERT INTO users_fts (users_fts) VALUES ('delete-all')`,
		}
	}
	for _, q := range derive {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("load: derive the tables of users: %w", err)
		}
	}
	for _, d := range l.triggers {
		if _, err := tx.ExecContext(ctx, d.sql); err != nil {
			return fmt.Errorf("load: create trigger %s: %w", d.name, err)
		}
	}
	if !pg {
		if err := l.checkForeignKeys(ctx); err != nil {
			return err
		}
	}
	for _, fk := range l.fkeys {
		// The key of a user's group and profile is checked behind a
		// savepoint, so that a refusal can be explained by a query.
		explain := fk.name == "users_profile_in_group"
		if explain {
			if _, err := tx.ExecContext(ctx, `SAVEPOINT meibo_load_key`); err != nil {
				return fmt.Errorf("load: foreign key %s: %w", fk.name, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `ALTER TABLE `+fk.table+` ADD CONSTRAINT `+quoteName(fk.name)+` `+fk.sql); err != nil {
			if explain && l.t.d.IsForeignKey(err) {
				return l.foreignProfiles(ctx, err)
			}
			return fmt.Errorf("load: foreign key %s: %w", fk.name, err)
		}
	}
	return nil
}

// foreignProfiles names the loaded users whose profile is another group's
// (or missing), which PostgreSQL's key users_profile_in_group refuses
// (migration 0026) and SQLite takes: a backup of a SQLite database where
// such a user was written by hand, restored on PostgreSQL.
func (l *Load) foreignProfiles(ctx context.Context, keyErr error) error {
	if _, err := l.t.tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT meibo_load_key`); err != nil {
		return fmt.Errorf("load: foreign key users_profile_in_group: %w", keyErr)
	}
	var n int64
	var listed sql.NullString
	err := l.t.tx.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM users u LEFT JOIN profiles p ON p.id = u.profile_id
			WHERE p.group_id IS DISTINCT FROM u.group_id),
		(SELECT string_agg(format('%s/%s (profile %s of group %s)', b.group_id, b.name, coalesce(b.profile, '#' || b.profile_id), coalesce(b.profile_group, '-')), ', ')
			FROM (SELECT u.group_id, u.name, u.profile_id, p.name AS profile, p.group_id AS profile_group
				FROM users u LEFT JOIN profiles p ON p.id = u.profile_id
				WHERE p.group_id IS DISTINCT FROM u.group_id ORDER BY u.group_id, u.name LIMIT 10) b)`).Scan(&n, &listed)
	if err != nil || n == 0 {
		return fmt.Errorf("load: foreign key users_profile_in_group: %w", keyErr)
	}
	return meibo.Errorf(meibo.CodeInvalid, "backup.user_profile_group", n, listed.String)
}

// checkForeignKeys checks every foreign key of the SQLite database at once,
// for a load on a connection that did not enforce them (DB.LoadConn), and
// fails on the first row whose key has no row.
func (l *Load) checkForeignKeys(ctx context.Context) error {
	rows, err := l.t.tx.QueryContext(ctx, `PRAGMA foreign_key_check`)
	if err != nil {
		return fmt.Errorf("load: check the foreign keys: %w", err)
	}
	defer rows.Close()
	if rows.Next() {
		var table, parent string
		var rowid sql.NullInt64
		var fkid int
		if err := rows.Scan(&table, &rowid, &parent, &fkid); err != nil {
			return fmt.Errorf("load: check the foreign keys: %w", err)
		}
		return fmt.Errorf("load: foreign key: a row of %s (rowid %d) refers to a row of %s that does not exist", table, rowid.Int64, parent)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load: check the foreign keys: %w", err)
	}
	return nil
}

func quoteName(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

// AloneJournal prepares a SQLite database that no other connection has open
// (a command's, with no server running on the file) for one bulk load: it
// switches the file from WAL to a rollback journal, and returns the function
// that switches it back, to be called once the load has ended, committed or
// not. With WAL, each page of the load is written to the log and copied into
// the database at the checkpoint, and each page read looked up in the log's
// index; with a rollback journal, pages past the file's old end (all of a
// load into an empty database) are written once, to the database, and
// journaled not at all. The commit is as atomic. On PostgreSQL, or when
// another connection has the file open (SQLite refuses the switch then), it
// changes nothing.
//
// The switch is not tried with the store's own readers open: they are
// closed first, and open again on their next use.
func (db *DB) AloneJournal(ctx context.Context) (restore func(context.Context) error, err error) {
	none := func(context.Context) error { return nil }
	if db.dialect.Name() != "sqlite" {
		return none, nil
	}
	if db.read != db.write {
		n := db.read.Stats().MaxOpenConnections
		db.read.SetMaxIdleConns(0) // closes the idle readers
		db.read.SetMaxIdleConns(n)
	}
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	defer conn.Close()
	var busy int
	if err := conn.QueryRowContext(ctx, `PRAGMA busy_timeout`).Scan(&busy); err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	// Another connection's lock fails the switch at once instead of after
	// the busy timeout.
	if _, err := conn.ExecContext(ctx, `PRAGMA busy_timeout = 0`); err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	var mode string
	serr := conn.QueryRowContext(ctx, `PRAGMA journal_mode = DELETE`).Scan(&mode)
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`PRAGMA busy_timeout = %d`, busy)); err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	if serr != nil || !strings.EqualFold(mode, "delete") {
		return none, nil // not alone: the load runs with WAL
	}
	return func(ctx context.Context) error {
		var mode string
		if err := db.write.QueryRowContext(ctx, `PRAGMA journal_mode = WAL`).Scan(&mode); err != nil {
			return fmt.Errorf("load: back to WAL: %w", err)
		}
		if !strings.EqualFold(mode, "wal") {
			return fmt.Errorf("load: back to WAL: the journal is %s", mode)
		}
		return nil
	}, nil
}
