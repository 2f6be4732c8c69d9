package service_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/sqlstore"
	"github.com/meibo/meibo/store/storetest"
)

// stagingFile is a users file of n users named prefix0000…, with e-mail
// addresses at domain: enough rows per batch for the bulk path (COPY into a
// staging table on PostgreSQL).
func stagingFile(n int, prefix, domain string) []byte {
	lines := []string{"name,password,email"}
	for i := range n {
		lines = append(lines, fmt.Sprintf("%s%04d,,%s%04d@%s", prefix, i, prefix, i, domain))
	}
	return ixCSV(lines...)
}

// stagingTables lists the staging tables left on any connection of the
// store's write pool (every connection of it is held while looking).
func (e *ixEnv) stagingTables() []string {
	e.t.Helper()
	ctx := context.Background()
	q := `SELECT name FROM sqlite_temp_master WHERE name LIKE 'meibo_stage%'`
	if e.engine == "postgres" {
		q = `SELECT relname FROM pg_class WHERE relname LIKE 'meibo_stage%' AND relnamespace = pg_my_temp_schema()`
	}
	pool := e.db.WriteDB()
	n := pool.Stats().MaxOpenConnections
	if n <= 0 || n > 16 {
		n = 16
	}
	var found []string
	for range n {
		c, err := pool.Conn(ctx)
		if err != nil {
			e.t.Fatal(err)
		}
		defer c.Close()
		rows, err := c.QueryContext(ctx, q)
		if err != nil {
			e.t.Fatal(err)
		}
		for rows.Next() {
			var s string
			e.must(rows.Scan(&s))
			found = append(found, s)
		}
		e.must(rows.Err())
		rows.Close()
	}
	sort.Strings(found)
	return found
}

// TestImportStaging: bulk writes of many rows (through staging tables on
// PostgreSQL) create and update every row as the row-by-row path does, and
// leave no staging table behind after a success, a failure or an
// interruption of the apply transaction; a failed or interrupted apply
// writes nothing.
func TestImportStaging(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine)
		e.group("G1")

		// Success: 300 new users, then 300 changed ones.
		job := e.run(service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1"}, stagingFile(300, "u", "one.example"))
		e.wantSuccess(job, 300, 0, 0, 0)
		if left := e.stagingTables(); len(left) > 0 {
			t.Errorf("after a success: staging tables %v", left)
		}
		created := e.users("G1")
		if len(created) != 300 || created["u0123"] == nil || created["u0123"].Email != "u0123@one.example" || created["u0123"].ID == 0 {
			t.Fatalf("created %d users; u0123: %+v", len(created), created["u0123"])
		}
		job = e.run(service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1", UpdateExisting: true}, stagingFile(300, "u", "two.example"))
		e.wantSuccess(job, 0, 300, 0, 0)
		updated := e.users("G1")
		for name, u := range updated {
			if want := name + "@two.example"; u.Email != want || u.ID != created[name].ID {
				t.Fatalf("%s after the update: %q (ID %d), want %q (ID %d)", name, u.Email, u.ID, want, created[name].ID)
			}
		}
		if left := e.stagingTables(); len(left) > 0 {
			t.Errorf("after an update: staging tables %v", left)
		}
		before := e.snapshot()

		// Failure: the apply fails after its first batch was written.
		e.store.mu.Lock()
		staged := false
		e.store.onCreate = func(ctx context.Context, tx meibo.Tx) error {
			// The batch went through the staging table where the engine
			// has one (PostgreSQL: COPY).
			var n int
			q := `SELECT count(*) FROM pg_class WHERE relname = 'meibo_stage_users' AND relnamespace = pg_my_temp_schema()`
			if engine == "postgres" {
				if err := tx.(*sqlstore.Tx).SQLTx().QueryRowContext(ctx, q).Scan(&n); err != nil {
					return err
				}
				staged = n == 1
			}
			return errors.New("disk full")
		}
		e.store.mu.Unlock()
		job = e.run(service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1"}, stagingFile(300, "v", "one.example"))
		if job.Status != meibo.ImportFailed {
			t.Errorf("a failed apply: %s", job.Status)
		}
		e.sameSnapshot(before, "a failed apply")
		if engine == "postgres" && !staged {
			t.Error("the users were not written through the staging table")
		}
		if left := e.stagingTables(); len(left) > 0 {
			t.Errorf("after a failure: staging tables %v", left)
		}

		// Interruption: the process stops while applying.
		ctx, stop := context.WithCancel(e.sys)
		defer stop()
		e.store.mu.Lock()
		e.store.onCreate = func(ctx context.Context, tx meibo.Tx) error {
			stop()
			return ctx.Err()
		}
		e.store.mu.Unlock()
		job, err := e.svc.SubmitAndRun(ctx, service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1"}, stagingFile(300, "w", "one.example"), nil)
		e.must(err)
		e.store.mu.Lock()
		e.store.onCreate = nil
		e.store.mu.Unlock()
		if j := e.stored(job.ID); j.Status != meibo.ImportRunning {
			t.Errorf("an interrupted job is %s, want RUNNING", j.Status)
		}
		e.sameSnapshot(before, "an interrupted apply")
		if left := e.stagingTables(); len(left) > 0 {
			t.Errorf("after an interruption: staging tables %v", left)
		}
	})
}
