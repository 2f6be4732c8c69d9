package backup

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// Tables are the tables a backup holds, in an order that satisfies every
// foreign key when they are written back one after the other. A table that a
// migration adds must be put here or in Excluded: TestEveryTableListed reads
// the schema of a migrated database on each engine and fails on a table that
// is in neither.
var Tables = []string{
	"settings",
	"groups",
	"profiles",
	"users",
	"admins",
	"admin_groups",
	"admin_totp",
	"admin_recovery_codes",
	"admin_passkeys",
	"admin_sso_links",
	"api_tokens",
	"user_tokens",
	"mail_outbox",
	"devices",
	"enrolment_tokens",
	"commands",
	"import_jobs",
	"import_files",
	"import_messages",
	"import_changes",
	"import_change_blocks",
	"audit_events",
	"backup_log",
	"scim_tokens",
	"user_identities",
}

// Excluded are the tables a backup leaves out, and why.
var Excluded = map[string]string{
	"schema_migrations":  "the schema itself: the target database is migrated by its own meibo",
	"installation":       "the database's own identity: a copy restored elsewhere keeps its own, and names its scheduled backups apart",
	"sessions":           "browser sessions: a restore signs everyone out",
	"sign_in_throttle":   "failed sign-in counters: short-lived",
	"sign_in_ceremonies": "passkey challenges and identity provider states: minutes long",
	"unified_users":      "derived from users by triggers",
	"group_user_counts":  "each group's number of users: derived from users by triggers",
	"user_grams":         "the search index of users: derived from users by triggers",
	"search_positions":   "a constant table of positions made by the SQLite migrations",
	"user_grams_pending": "users waiting for the search index: a restore makes every restored user wait",
	"user_grams_defer":   "SQLite's mark of a transaction that defers the search index: never committed",
	"user_search":        "PostgreSQL's trigram index of users: derived from users by triggers and the indexer",
	// SQLite's trigram index of users and its shadow tables: derived from
	// users by triggers.
	"users_fts":         "derived from users by triggers",
	"users_fts_data":    "derived from users by triggers",
	"users_fts_idx":     "derived from users by triggers",
	"users_fts_docsize": "derived from users by triggers",
	"users_fts_config":  "derived from users by triggers",
}

// cleared are tables that are not backed up but are emptied by a restore
// that replaces an installation (derived tables empty themselves by their
// triggers).
var cleared = []string{"sessions", "sign_in_throttle", "sign_in_ceremonies"}

// The types of values in a backup, whatever the engine calls them.
const (
	typeInt  = "int"
	typeReal = "real"
	typeText = "text"
	typeBool = "bool"
	typeTime = "time"
	typeBlob = "blob"
)

// column is one column of a table as the schema says.
type column struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	identity bool   // PostgreSQL identity column: its sequence is set after a restore
}

// schemaTables lists the tables of the database the transaction sees.
func schemaTables(ctx context.Context, tx *sql.Tx, engine string) ([]string, error) {
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`
	if engine == "postgres" {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`
	}
	rows, err := tx.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("list tables: %w", err)
		}
		names = append(names, n)
	}
	return names, rows.Err()
}

// SchemaTables lists the tables of the database db as the schema says.
func SchemaTables(ctx context.Context, db *sql.DB, engine string) ([]string, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback() //nolint:errcheck // read only
	return schemaTables(ctx, tx, engine)
}

// columns reads the columns of table, in their order, with their types.
func columns(ctx context.Context, tx *sql.Tx, engine, table string) ([]column, error) {
	q := `SELECT name, type, 0 FROM pragma_table_info($1) ORDER BY cid`
	if engine == "postgres" {
		q = `SELECT column_name, data_type, is_identity = 'YES' FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`
	}
	rows, err := tx.QueryContext(ctx, q, table)
	if err != nil {
		return nil, fmt.Errorf("columns of %s: %w", table, err)
	}
	defer rows.Close()
	var cols []column
	for rows.Next() {
		var name, decl string
		var ident bool
		if err := rows.Scan(&name, &decl, &ident); err != nil {
			return nil, fmt.Errorf("columns of %s: %w", table, err)
		}
		t, err := valueType(decl)
		if err != nil {
			return nil, fmt.Errorf("column %s.%s: %w", table, name, err)
		}
		cols = append(cols, column{Name: name, Type: t, identity: ident})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("columns of %s: %w", table, err)
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("table %s is not in the database", table)
	}
	return cols, nil
}

// valueType maps an engine's declared column type to a backup type.
func valueType(decl string) (string, error) {
	d := strings.ToLower(strings.TrimSpace(decl))
	switch {
	case d == "integer" || d == "bigint" || d == "smallint" || d == "int":
		return typeInt, nil
	case d == "real" || d == "double precision" || d == "double" || d == "float":
		return typeReal, nil
	case d == "text" || strings.HasPrefix(d, "character varying") || strings.HasPrefix(d, "varchar"):
		return typeText, nil
	case d == "boolean":
		return typeBool, nil
	case d == "timestamp" || d == "timestamp with time zone" || d == "datetime":
		return typeTime, nil
	case d == "blob" || d == "bytea":
		return typeBlob, nil
	}
	return "", fmt.Errorf("no backup type for the column type %q", decl)
}

func quote(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }
