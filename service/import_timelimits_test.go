package service_test

import (
	"database/sql"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/argon2id"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/sqlstore"
	"github.com/meibo/meibo/store/storetest"
)

// TestImportUnderServerTimeLimits: a database administrator has set
// lock_timeout for meibo's user, and another transaction holds the profile
// the file's users get for longer than that. The import waits for it, as
// imports wait for each other, and then applies, instead of failing on the
// server's limit; other statements keep the limit.
func TestImportUnderServerTimeLimits(t *testing.T) {
	t.Parallel()
	untimed := storetest.SchemaDSN(t, storetest.PostgresDSN(t))
	db := storetest.OpenPostgres(t, untimed+"&lock_timeout=200&statement_timeout=5000", sqlstore.Options{})
	svc := service.New(db, service.Config{Hasher: argon2id.ForTests(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), HashWorkers: 2})
	t.Cleanup(svc.WaitAudits)
	sys := meibo.WithActor(bg, meibo.System("cli"))
	if _, err := svc.CreateGroup(sys, meibo.Group{ID: "G1"}); err != nil {
		t.Fatal(err)
	}

	plain, err := sql.Open("pgx", untimed)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	holder, err := plain.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Rollback() //nolint:errcheck
	if _, err := holder.Exec(`SELECT id FROM profiles WHERE group_id = 'G1' FOR UPDATE`); err != nil {
		t.Fatal(err)
	}
	// A statement of meibo's own that waits for that lock still meets the
	// limit.
	if _, err := db.WriteDB().Exec(`SELECT id FROM profiles WHERE group_id = 'G1' FOR UPDATE`); err == nil {
		t.Fatal("a lock wait outside an import did not meet lock_timeout")
	}
	released := make(chan struct{})
	go func() {
		time.Sleep(700 * time.Millisecond)
		holder.Commit() //nolint:errcheck
		close(released)
	}()

	job, err := svc.SubmitAndRun(sys, service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1"},
		[]byte("name,password,email\r\ncarol,,carol@example.org\r\ndave,,dave@example.org\r\n"), nil)
	<-released
	if err != nil {
		t.Fatal(err)
	}
	if job.Status != meibo.ImportSuccess || job.Created != 2 {
		r, _ := svc.Report(sys, job, meibo.English)
		t.Fatalf("import while the profile was held: %s, %d created, %+v", job.Status, job.Created, r)
	}
}
