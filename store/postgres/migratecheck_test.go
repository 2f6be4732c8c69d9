package postgres_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"io/fs"
	"net/url"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver

	"github.com/meibo/meibo/store/postgres"
	"github.com/meibo/meibo/store/sqlstore"
	"github.com/meibo/meibo/store/storetest"
)

// newDatabase creates a database of its own on the test server, without
// pg_trgm, dropped when the test ends, and returns its URL.
func newDatabase(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	dsn := storetest.PostgresDSN(t)
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	name := "meibo_" + randomHex(6)
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+name+` TEMPLATE template0`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), `DROP DATABASE `+name+` WITH (FORCE)`); err != nil {
			t.Logf("drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// withParams returns dsn with its query parameters set.
func withParams(t *testing.T, dsn string, kv ...string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	for i := 0; i < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// migrate opens the store at dsn and migrates it.
func migrate(t *testing.T, dsn string) ([]string, error) {
	t.Helper()
	ctx := context.Background()
	db, err := postgres.Open(ctx, dsn, 2, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	return db.Migrate(ctx)
}

func exec(t *testing.T, dsn string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// count runs a query of one number on dsn.
func count(t *testing.T, dsn, query string) int {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// wantError checks that err is an error that says every one of want.
func wantError(t *testing.T, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want one that says %q", want)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
}

// Two meibo installations in two schemas of one database: the first
// installs pg_trgm in its schema; the second, whose search_path does not
// name that schema, is told where the extension is and how to give it a
// schema of its own, before anything is written, and migrates once the
// operator has done so.
func TestTrigramExtensionInAnotherSchema(t *testing.T) {
	t.Parallel()
	dsn := newDatabase(t)
	exec(t, dsn, `CREATE SCHEMA first`, `CREATE SCHEMA second`)
	names, err := fs.Glob(postgres.Migrations, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	migrations := len(names)

	if applied, err := migrate(t, withParams(t, dsn, "search_path", "first")); err != nil || len(applied) != migrations {
		t.Fatalf("the first installation: applied %d of %d, %v", len(applied), migrations, err)
	}
	_, err = migrate(t, withParams(t, dsn, "search_path", "second"))
	wantError(t, err, `installed in schema "first"`, `search_path (second)`, `holds another meibo's tables`,
		`ALTER EXTENSION pg_trgm SET SCHEMA extensions`, `search_path=second,extensions`, `search_path=first,extensions`)
	if n := count(t, dsn, `SELECT count(*) FROM pg_tables WHERE schemaname = 'second'`); n != 0 {
		t.Errorf("the refused migration left %d tables in schema second", n)
	}

	// A search_path that names the other installation's schema after its
	// own: neither taken for this one's (the other's data) nor ignored (a
	// new installation in front of it); said, before anything is written.
	// The same when an installation's user gets a schema of its name in
	// front of the one meibo was installed in ("$user", public).
	_, err = migrate(t, withParams(t, dsn, "search_path", "second,first"))
	wantError(t, err, `meibo's tables are in schema "first", but the first schema of this connection's search_path is "second"`,
		`search_path=first,`, `to make a new one in "second"`)
	if n := count(t, dsn, `SELECT count(*) FROM pg_tables WHERE schemaname = 'second'`); n != 0 {
		t.Errorf("the refused migration left %d tables in schema second", n)
	}
	db, err := postgres.Open(context.Background(), withParams(t, dsn, "search_path", "second,first"), 2, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = db.MigrationStatus(context.Background())
	db.Close()
	wantError(t, err, `meibo's tables are in schema "first"`)

	// What the error advised: the extension in a schema of its own, named
	// last by every installation.
	exec(t, dsn, `CREATE SCHEMA extensions`, `ALTER EXTENSION pg_trgm SET SCHEMA extensions`, `CREATE SCHEMA third`)
	if applied, err := migrate(t, withParams(t, dsn, "search_path", "third,extensions")); err != nil || len(applied) != migrations {
		t.Fatalf("the third installation: applied %d of %d, %v", len(applied), migrations, err)
	}
	// A schema that holds no meibo is simply named after meibo's own.
	exec(t, dsn, `CREATE SCHEMA fourth`)
	_, err = migrate(t, withParams(t, dsn, "search_path", "fourth"))
	wantError(t, err, `installed in schema "extensions"`, `search_path=fourth,extensions`)
	if strings.Contains(err.Error(), "another meibo") {
		t.Errorf("error %q says the extension's schema holds another meibo", err)
	}
}

// newRole makes an ordinary login role, dropped when the test ends (after
// the databases of newDatabase called after it, which hold its objects).
func newRole(t *testing.T) string {
	t.Helper()
	role := "meibo_user_" + randomHex(4)
	exec(t, storetest.PostgresDSN(t), `CREATE ROLE `+role+` LOGIN`)
	t.Cleanup(func() {
		exec(t, storetest.PostgresDSN(t), `DROP ROLE IF EXISTS `+role)
	})
	return role
}

// as returns dsn with role as its user.
func as(t *testing.T, dsn, role string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User(role)
	return u.String()
}

// A user made with createuser in a database it does not own may not create
// tables in public (PostgreSQL 15): it is told how to get a schema of its
// own before anything is written, and migrates once it has one.
func TestSchemaNotWritable(t *testing.T) {
	t.Parallel()
	role := newRole(t)
	dsn := newDatabase(t)
	exec(t, dsn, `CREATE EXTENSION pg_trgm SCHEMA public`)
	_, err := migrate(t, as(t, dsn, role))
	wantError(t, err, `user `+role+` may not create tables in schema "public"`, `CREATE SCHEMA meibo AUTHORIZATION `+role,
		`search_path=meibo,public`, `GRANT CREATE ON SCHEMA public TO `+role)

	exec(t, dsn, `CREATE SCHEMA meibo AUTHORIZATION `+role)
	if applied, err := migrate(t, withParams(t, as(t, dsn, role), "search_path", "meibo,public")); err != nil || len(applied) == 0 {
		t.Fatalf("in a schema of its own: applied %v, %v", applied, err)
	}
	if n := count(t, dsn, `SELECT count(*) FROM pg_tables WHERE schemaname = 'meibo' AND tableowner = '`+role+`'`); n < 20 {
		t.Errorf("schema meibo holds %d tables of %s", n, role)
	}
}

// A search_path whose schemas do not exist (a typo) is said as such.
func TestSchemaMissing(t *testing.T) {
	t.Parallel()
	dsn := newDatabase(t)
	_, err := migrate(t, withParams(t, dsn, "search_path", "meibo_typo"))
	wantError(t, err, `no schema of this connection's search_path (meibo_typo) exists`, `CREATE SCHEMA meibo AUTHORIZATION postgres`)
}

// A database user that may not create an extension, in a database without
// pg_trgm, is told who must install it instead of failing inside the first
// migration, and migrates once the owner has.
func TestTrigramExtensionNotInstalledNoPrivilege(t *testing.T) {
	t.Parallel()
	role := newRole(t)
	dsn := newDatabase(t)
	exec(t, dsn, `CREATE SCHEMA meibo AUTHORIZATION `+role)
	user := withParams(t, as(t, dsn, role), "search_path", "meibo,public")
	_, err := migrate(t, user)
	wantError(t, err, "is not installed in database meibo_", "user "+role+" may not install it", "CREATE EXTENSION pg_trgm", "TO "+role)
	if n := count(t, dsn, `SELECT count(*) FROM pg_tables WHERE schemaname = 'meibo'`); n != 0 {
		t.Errorf("the refused migration left %d tables", n)
	}

	exec(t, dsn, `CREATE EXTENSION pg_trgm SCHEMA public`)
	if applied, err := migrate(t, user); err != nil || len(applied) == 0 {
		t.Fatalf("with pg_trgm installed: applied %v, %v", applied, err)
	}
}
