package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// CheckMigrate checks what the migrations need of the server before the
// first pending one runs, so that a database set up short of it is told
// what to do instead of failing inside a migration: a schema for meibo's
// tables that its database user may create tables in (checkSchema), and the
// pg_trgm extension (checkTrigram).
func (dialect) CheckMigrate(ctx context.Context, db *sql.DB) error {
	var num int
	var version string
	if err := db.QueryRowContext(ctx, `SELECT current_setting('server_version_num')::int, current_setting('server_version')`).Scan(&num, &version); err != nil {
		return fmt.Errorf("read the server's version: %w", err)
	}
	if err := checkVersion(num, version); err != nil {
		return err
	}
	if err := checkSchema(ctx, db); err != nil {
		return err
	}
	return checkTrigram(ctx, db)
}

// MinVersion is the oldest PostgreSQL meibo migrates, as server_version_num:
// the version its tests run on. (PostgreSQL 14, at its end of life since
// November 2026, is not tested; 13 lacks ALTER TABLE … SET COMPRESSION,
// which migration 0027 runs.)
const MinVersion = 150000

// checkVersion refuses a server older than MinVersion, before the first
// migration, rather than in the middle of them.
func checkVersion(num int, version string) error {
	if num < MinVersion {
		return fmt.Errorf("meibo needs PostgreSQL %d or later; this server runs %s: upgrade it (or use SQLite)", MinVersion/10000, version)
	}
	return nil
}

// checkSchema checks that the first schema of the search_path exists and
// that meibo's user may create tables in it. PostgreSQL 15 no longer lets
// every user create tables in public: a user made with createuser, in a
// database it does not own, failed on its first table with "permission
// denied for schema public".
func checkSchema(ctx context.Context, db *sql.DB) error {
	var schema sql.NullString
	var path, user string
	var may bool
	if err := db.QueryRowContext(ctx, `SELECT current_schema(), current_setting('search_path'), current_user,
		COALESCE(has_schema_privilege(current_schema(), 'CREATE'), false)`).Scan(&schema, &path, &user, &may); err != nil {
		return fmt.Errorf("read the search_path: %w", err)
	}
	switch {
	case !schema.Valid:
		return fmt.Errorf("no schema of this connection's search_path (%s) exists: create meibo's (as a superuser or the database's owner: "+
			"CREATE SCHEMA meibo AUTHORIZATION %s), or correct search_path in the database URL", path, user)
	case !may:
		return fmt.Errorf("meibo's database user %s may not create tables in schema %q, the first of its search_path (%s): "+
			"give it a schema of its own (as a superuser or the database's owner: CREATE SCHEMA meibo AUTHORIZATION %s, "+
			"then search_path=meibo,public in the database URL), or the right to: GRANT CREATE ON SCHEMA %s TO %s", user, schema.String, path, user, schema.String, user)
	}
	return nil
}

// checkTrigram checks that the pg_trgm extension (the trigram index of the
// keyword search) is available on the server and, where it is installed
// already, in a schema of the connection's search_path.
//
// An extension is installed once in a database, in one schema. The first
// meibo migrated in a database with search_path=a installs pg_trgm into a; a
// second meibo in the same database with search_path=b then finds the
// extension installed but not its operators, and its first migration failed
// with `operator class "gin_trgm_ops" does not exist`.
func checkTrigram(ctx context.Context, db *sql.DB) error {
	var schema string
	var visible bool
	err := db.QueryRowContext(ctx, `SELECT n.nspname, n.nspname = ANY (current_schemas(false))
		FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'`).Scan(&schema, &visible)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		var available bool
		if err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm')`).Scan(&available); err != nil {
			return fmt.Errorf("look for the pg_trgm extension: %w", err)
		}
		if !available {
			return errors.New("the PostgreSQL server does not have the pg_trgm extension, which meibo's keyword search needs: " +
				"install PostgreSQL's contrib modules on the database server (they come with Debian's postgresql package; " +
				"elsewhere, for example, postgresql-contrib)")
		}
		var may bool
		var user, database string
		if err := db.QueryRowContext(ctx, `SELECT has_database_privilege(current_database(), 'CREATE'), current_user, current_database()`).
			Scan(&may, &user, &database); err != nil {
			return fmt.Errorf("read the privileges of this connection: %w", err)
		}
		if !may {
			return fmt.Errorf("the pg_trgm extension, which meibo's keyword search needs, is not installed in database %s, "+
				"and meibo's database user %s may not install it: have the database's owner run `CREATE EXTENSION pg_trgm` "+
				"(in a schema on meibo's search_path), or grant the right to: GRANT CREATE ON DATABASE %s TO %s", database, user, database, user)
		}
		return nil // the first migration creates it
	case err != nil:
		return fmt.Errorf("look for the pg_trgm extension: %w", err)
	case visible:
		return nil
	}
	var path string
	var holdsMeibo bool
	if err := db.QueryRowContext(ctx, `SELECT array_to_string(current_schemas(false), ','),
		to_regclass(quote_ident($1) || '.schema_migrations') IS NOT NULL`, schema).Scan(&path, &holdsMeibo); err != nil {
		return fmt.Errorf("read the search_path: %w", err)
	}
	first, _, _ := strings.Cut(path, ",")
	if first == "" {
		first = "meibo"
	}
	msg := fmt.Sprintf("the pg_trgm extension of this database is installed in schema %q, which is not on this connection's search_path (%s): "+
		"meibo's keyword search needs its operators. ", schema, orNone(path))
	if !holdsMeibo {
		return fmt.Errorf("%sName that schema after meibo's own in the database URL: search_path=%s,%s", msg, first, schema)
	}
	// That schema is another installation's: naming it here would let this
	// one's statements reach the other's tables.
	return fmt.Errorf("%sThat schema holds another meibo's tables. Give the extension a schema of its own, as its owner or a superuser: "+
		"CREATE SCHEMA extensions; ALTER EXTENSION pg_trgm SET SCHEMA extensions; then use search_path=%s,extensions here, "+
		"and add extensions to the other installation's search_path the same way (search_path=%s,extensions)", msg, first, schema)
}

// orNone is s, or "none" when it is empty.
func orNone(s string) string {
	if strings.TrimSpace(s) == "" {
		return "none"
	}
	return s
}
