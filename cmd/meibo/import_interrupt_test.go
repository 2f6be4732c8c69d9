package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store"
)

// runCtx is c.run with a context of the test's own, as main's ends at
// Ctrl-C or SIGTERM.
func (c *cli) runCtx(ctx context.Context, args []string) result {
	var out, errOut bytes.Buffer
	e := &cliEnv{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut,
		getenv: func(k string) (string, bool) { v, ok := c.env[k]; return v, ok }}
	code := run(ctx, e, args)
	return result{code, out.String(), errOut.String()}
}

// openStore opens the test's database beside the command line.
func (c *cli) openStore() meibo.Store {
	c.t.Helper()
	db, err := store.Open(context.Background(), c.db, store.Options{})
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { db.Close() })
	return db
}

// importJobs lists the jobs of the database, newest first.
func importJobs(t *testing.T, db meibo.Store) []*meibo.ImportJob {
	t.Helper()
	var jobs []*meibo.ImportJob
	err := db.View(context.Background(), func(tx meibo.Tx) error {
		var err error
		jobs, err = tx.ImportJobs(context.Background(), meibo.ImportFilter{Limit: 100})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return jobs
}

// TestImportCancelled: `meibo import` interrupted (Ctrl-C, SIGTERM: its
// context ends) while it runs records its job as stopped at once, FAILED
// with a message that says so and nothing written, and says so on
// standard output, rather than "context canceled" and a job left RUNNING
// that counts against the group's limit until a server starts.
func TestImportCancelled(t *testing.T) {
	c := newCLI(t)
	c.ok("group", "create", "G1")
	var b bytes.Buffer
	b.WriteString("name,password,email\r\n")
	for i := range 300_000 {
		fmt.Fprintf(&b, "user%06d,,user%06d@example.org\r\n", i, i)
	}
	file := c.file("users.csv", b.Bytes())
	db := c.openStore()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan result, 1)
	go func() { done <- c.runCtx(ctx, []string{"import", "--format", "users", "--group", "G1", file}) }()
	running := false
	for deadline := time.Now().Add(time.Minute); !running && time.Now().Before(deadline); {
		select {
		case r := <-done:
			t.Fatalf("the import ended before it was interrupted: %s", r)
		case <-time.After(10 * time.Millisecond):
		}
		jobs := importJobs(t, db)
		running = len(jobs) == 1 && jobs[0].Status == meibo.ImportRunning
	}
	if !running {
		t.Fatal("the import never ran")
	}
	cancel()
	var r result
	select {
	case r = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the interrupted import did not end within 30 seconds")
	}
	if r.code != exitFail || !strings.Contains(r.stdout, "The import was stopped before it ended (meibo import was interrupted") ||
		!strings.Contains(r.stdout, "the import was stopped; nothing was written") || strings.Contains(r.stdout+r.stderr, "context canceled") {
		t.Errorf("interrupted import: %s", r)
	}
	jobs := importJobs(t, db)
	if len(jobs) != 1 || jobs[0].Status != meibo.ImportFailed || jobs[0].FinishedAt == nil || !service.Stopped(jobs[0]) ||
		jobs[0].Created+jobs[0].Updated+jobs[0].Deleted+jobs[0].Unchanged != 0 {
		t.Fatalf("the interrupted job: %+v", jobs[0])
	}
	if names := c.userNames("G1"); len(names) != 0 {
		t.Errorf("the interrupted import wrote %d users", len(names))
	}
	show := c.ok("imports", "show", fmt.Sprint(jobs[0].ID))
	if !strings.Contains(show.stdout, "nothing of it was written") {
		t.Errorf("imports show:\n%s", show.stdout)
	}

	// Interrupted before it began: said so, and no job.
	cancelled, stop := context.WithCancel(context.Background())
	stop()
	r = c.runCtx(cancelled, []string{"import", "--format", "users", "--group", "G1", file})
	if r.code != exitFail || !strings.Contains(r.stderr, "interrupted (Ctrl-C or a signal) before the import began; nothing was imported") {
		t.Errorf("import interrupted before it began: %s", r)
	}
	if n := len(importJobs(t, db)); n != 1 {
		t.Errorf("%d jobs after an import interrupted before it began, want 1", n)
	}
}

// TestImportSettlesDeadJobs: jobs left RUNNING by processes that are gone
// (a `meibo import` killed with -9) do not block the group when no server
// runs: `meibo import` fails them as interrupted first, as a server does
// at its start, and leaves alone the jobs of live processes, on this
// machine (judged by their pid) or another (by their heartbeat).
func TestImportSettlesDeadJobs(t *testing.T) {
	c := newCLI(t)
	c.ok("group", "create", "G1")
	c.ok("group", "create", "G2")
	db := c.openStore()

	exited := exec.Command(os.Args[0], "-test.run=^$")
	if err := exited.Run(); err != nil {
		t.Fatal(err)
	}
	live := service.WorkerName() // this process: a server that runs
	parts := strings.SplitN(live, ":", 3)
	parts[1] = fmt.Sprint(exited.ProcessState.Pid())
	dead := strings.Join(parts, ":")
	elsewhere := "another-host:4242:4026531836.8b9d2b4e-0000-4000-8000-000000000000"

	ctx := meibo.WithActor(context.Background(), meibo.System("cli:test"))
	start := func(group, worker string) int64 {
		t.Helper()
		var id int64
		err := db.Update(ctx, func(tx meibo.Tx) error {
			j := &meibo.ImportJob{Format: meibo.FormatUsers, GroupID: group, Encoding: "auto", FileName: "u.csv", CreatedBy: "cli:test",
				Status: meibo.ImportQueued, Size: 21}
			if err := tx.CreateImportJob(ctx, j, []byte("name,password,email\r\n")); err != nil {
				return err
			}
			claimed, err := tx.ClaimImportJobID(ctx, j.ID, worker)
			if err == nil && claimed == nil {
				err = fmt.Errorf("job %d not claimed", j.ID)
			}
			id = j.ID
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	killed := []int64{start("G1", dead), start("G1", dead)}
	alive := []int64{start("G1", live), start("G2", elsewhere)}

	f := c.file("u.csv", []byte("name,password,email\r\ncarol,,carol@example.org\r\n"))
	if r := c.run([]string{"import", "--format", "users", "--group", "G1", f}); r.code != 0 {
		t.Fatalf("import beside two dead jobs and a live one: %s", r)
	}
	status := map[int64]*meibo.ImportJob{}
	for _, j := range importJobs(t, db) {
		status[j.ID] = j
	}
	for _, id := range killed {
		if j := status[id]; j.Status != meibo.ImportFailed || !strings.HasPrefix(j.Message, "The import was interrupted") {
			t.Errorf("job %d of a dead process: %s %q, want FAILED, interrupted", id, j.Status, j.Message)
		}
	}
	for _, id := range alive {
		if j := status[id]; j.Status != meibo.ImportRunning {
			t.Errorf("job %d of a live process (%s): %s %q, want RUNNING", id, j.Worker, j.Status, j.Message)
		}
	}
}
