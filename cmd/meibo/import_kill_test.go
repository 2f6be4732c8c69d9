package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/meibo/meibo/store/storetest"
)

// TestImportKilledWhileStaging: `meibo import` on PostgreSQL killed (SIGKILL)
// while its apply transaction copies users through the staging table writes
// nothing; its connections end, and with them the staging tables (temporary,
// dropped by the server when their session ends); the job stays RUNNING
// until the next `meibo import` (or a server's start) marks it interrupted,
// and that new import of the same file succeeds.
func TestImportKilledWhileStaging(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds the binary and imports 60,000 rows")
	}
	dsn := storetest.SchemaDSN(t, storetest.PostgresDSN(t))
	app := fmt.Sprintf("meibo-kill-%d", time.Now().UnixNano())
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("application_name", app)
	u.RawQuery = q.Encode()
	dsn = u.String()
	bin := e2eBuild(t)
	dir := t.TempDir()
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MEIBO_") {
			env = append(env, kv)
		}
	}
	run := func(args ...string) (string, error) {
		c := exec.Command(bin, append(args, "--db", dsn)...)
		c.Env = env
		out, err := c.CombinedOutput()
		return string(out), err
	}
	if out, err := run("group", "create", "G1"); err != nil {
		t.Fatalf("group create: %v\n%s", err, out)
	}
	var b bytes.Buffer
	b.WriteString("name,password,email\r\n")
	for i := range 60_000 {
		fmt.Fprintf(&b, "user%06d,,user%06d@example.org\r\n", i, i)
	}
	file := filepath.Join(dir, "users.csv")
	if err := os.WriteFile(file, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}

	watch, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer watch.Close()
	ctx := context.Background()
	imp := exec.Command(bin, "import", "--format", "users", "--group", "G1", "--db", dsn, file)
	imp.Env = env
	if err := imp.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- imp.Wait() }()
	// Wait for the apply transaction to copy into the staging table.
	staging := false
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline) && !staging; {
		select {
		case err := <-done:
			t.Fatalf("the import ended before it was killed: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
		var n int
		if err := watch.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1
			AND (query LIKE 'INSERT INTO users%meibo_stage_users%' OR query LIKE 'TRUNCATE meibo_stage%' OR query LIKE 'CREATE TEMPORARY TABLE meibo_stage%')`, app).Scan(&n); err != nil {
			t.Fatal(err)
		}
		staging = n > 0
	}
	if !staging {
		t.Fatal("the import never reached the staging table")
	}
	if err := imp.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-done

	// The killed process's sessions end; their temporary tables go with them.
	var left int
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if err := watch.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()`, app).Scan(&left); err != nil {
			t.Fatal(err)
		}
		if left == 0 {
			break
		}
	}
	if left != 0 {
		t.Fatalf("%d sessions of the killed import are still open", left)
	}
	var users int
	if err := watch.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&users); err != nil {
		t.Fatal(err)
	}
	if users != 0 {
		t.Errorf("the killed import wrote %d users", users)
	}

	// The file imports whole afterwards.
	if out, err := run("import", "--format", "users", "--group", "G1", file); err != nil {
		t.Fatalf("import again: %v\n%s", err, out)
	}
	var status, message string
	if err := watch.QueryRowContext(ctx, `SELECT status, message FROM import_jobs ORDER BY id LIMIT 1`).Scan(&status, &message); err != nil {
		t.Fatal(err)
	}
	if err := watch.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&users); err != nil {
		t.Fatal(err)
	}
	if status != "FAILED" || !strings.HasPrefix(message, "The import was interrupted") || users != 60_000 {
		t.Errorf("after the import again: killed job %s %q, %d users", status, message, users)
	}
}
