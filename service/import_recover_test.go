package service_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/argon2id"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/postgres"
	"github.com/meibo/meibo/store/sqlstore"
	"github.com/meibo/meibo/store/storetest"
)

// ixDeadPID returns the ID of a process that has exited (this test binary,
// run to do nothing).
func ixDeadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatalf("run a process that exits: %v", err)
	}
	return cmd.ProcessState.Pid()
}

// ixInterrupted checks that a job was failed as interrupted.
func (e *ixEnv) ixInterrupted(id int64) {
	e.t.Helper()
	j := e.stored(id)
	if j.Status != meibo.ImportFailed || j.FinishedAt == nil || j.Created+j.Updated+j.Deleted+j.Unchanged != 0 || j.ErrorCount != 1 {
		e.t.Errorf("job %d after recovery: %s, %d/%d/%d/%d, %d errors", id, j.Status, j.Created, j.Updated, j.Deleted, j.Unchanged, j.ErrorCount)
	}
	if want := "The import was interrupted"; len(j.Message) < len(want) || j.Message[:len(want)] != want {
		e.t.Errorf("job %d message %q", id, j.Message)
	}
	errs, _ := e.messages(j)
	e.wantMessages("errors", errs, ixWant{0, "", "interrupted (the server stopped while it ran); nothing of it was written"})
}

// TestImportInterrupted: a job left RUNNING by a process that died in the
// middle of writing it is FAILED "interrupted" by RecoverImports, and
// nothing of it was written. A job of a live process is left alone.
func TestImportInterrupted(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine)
		e.group("G1")
		e.user("G1", service.UserInput{Name: "alice"})
		before := e.snapshot()

		// A process on this host dies in the apply transaction, after
		// writing the first batch of users.
		dead := fmt.Sprintf("%s:%d", ixHost, ixDeadPID(t))
		dying := e.otherService(func(c *service.Config) { c.Worker = dead })
		ctx, kill := context.WithCancel(e.sys)
		defer kill()
		e.store.mu.Lock()
		e.store.onCreate = func(ctx context.Context, tx meibo.Tx) error {
			n, err := tx.CountUsers(ctx, "G1")
			if err != nil || n != 3 {
				return fmt.Errorf("the batch was not written in the transaction: %d, %v", n, err)
			}
			kill()
			return ctx.Err()
		}
		e.store.mu.Unlock()
		job, err := dying.SubmitAndRun(ctx, service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1"},
			ixCSV("name,password,email", "bob,Quiet-harbour-42,", "carol,,"), nil)
		e.must(err)
		e.store.mu.Lock()
		e.store.onCreate = nil
		e.store.mu.Unlock()
		if j := e.stored(job.ID); j.Status != meibo.ImportRunning {
			t.Fatalf("the job of the dead process is %s, want RUNNING", j.Status)
		}
		e.sameSnapshot(before, "a job killed while writing")

		// A job of this very process (alive) stays RUNNING.
		live, err := e.svc.SubmitImport(e.sys, service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1"}, ixCSV("name,password,email", "dave,,"))
		e.must(err)
		var claimed *meibo.ImportJob
		e.must(e.db.Update(bgCtx(), func(tx meibo.Tx) error {
			claimed, err = tx.ClaimImportJobID(bgCtx(), live.ID, e.cfg.Worker)
			return err
		}))
		if claimed == nil {
			t.Fatal("could not claim the job")
		}

		e.must(e.svc.RecoverImports(bgCtx()))
		e.ixInterrupted(job.ID)
		if j := e.stored(live.ID); j.Status != meibo.ImportRunning {
			t.Errorf("the job of a live process is %s after recovery", j.Status)
		}
		e.sameSnapshot(before, "recovering the killed job")
		// Recovery is idempotent.
		e.must(e.svc.RecoverImports(bgCtx()))
		if errs, _ := e.messages(job); len(errs) != 1 {
			t.Errorf("%d errors after a second recovery", len(errs))
		}
	})
}

// TestImportRecoverOtherNamespace: a server of the same host name in
// another pid namespace, or on another machine of that name (another boot),
// does not read a worker's pid as one of its own: the job is left to its
// heartbeat. A pid of its own namespace and boot, and the "host:pid" of an
// older version, are checked locally as before.
func TestImportRecoverOtherNamespace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		const ours = "4026531836.3d41afdc-220f-4e02-bfa3-22536200192d"
		e := newIxEnv(t, engine, func(c *service.Config) {
			c.Worker, c.ImportMaxPerGroup, c.ImportMaxPerAdmin = fmt.Sprintf("%s:%d:%s", ixHost, os.Getpid(), ours), 10, 10
		})
		e.group("G1")
		dead := ixDeadPID(t)
		claim := func(worker string) int64 {
			t.Helper()
			job, err := e.svc.SubmitImport(e.sys, service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1"}, ixCSV("name,password,email", "bob,,"))
			e.must(err)
			e.must(e.db.Update(bgCtx(), func(tx meibo.Tx) error {
				_, err := tx.ClaimImportJobID(bgCtx(), job.ID, worker)
				return err
			}))
			return job.ID
		}
		otherNS := claim(fmt.Sprintf("%s:%d:4026532301.3d41afdc-220f-4e02-bfa3-22536200192d", ixHost, dead))
		otherBoot := claim(fmt.Sprintf("%s:%d:4026531836.9e0b7c11-5a5e-4c3f-8d0e-0b1f2c3d4e5f", ixHost, dead))
		sameSpace := claim(fmt.Sprintf("%s:%d:%s", ixHost, dead, ours))
		older := claim(fmt.Sprintf("%s:%d", ixHost, dead))

		e.must(e.svc.RecoverImports(bgCtx()))
		for name, id := range map[string]int64{"another pid namespace": otherNS, "another boot": otherBoot} {
			if j := e.stored(id); j.Status != meibo.ImportRunning {
				t.Errorf("the job of a worker in %s is %s, want RUNNING (its heartbeat is fresh)", name, j.Status)
			}
		}
		e.ixInterrupted(sameSpace)
		e.ixInterrupted(older)

		// Their heartbeat still counts.
		e.clock.skew.Store(int64(3 * time.Minute))
		e.must(e.svc.RecoverImports(bgCtx()))
		e.ixInterrupted(otherNS)
		e.ixInterrupted(otherBoot)
	})
}

// TestImportStale: a RUNNING job of another host is failed once its worker
// has not reported for two minutes, and not before.
func TestImportStale(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine)
		e.group("G1")
		before := e.snapshot()
		job, err := e.svc.SubmitImport(e.sys, service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1"}, ixCSV("name,password,email", "bob,Amber-canyon-17,"))
		e.must(err)
		e.must(e.db.Update(bgCtx(), func(tx meibo.Tx) error {
			_, err := tx.ClaimImportJobID(bgCtx(), job.ID, "otherhost:4242")
			return err
		}))
		e.clock.skew.Store(int64(time.Minute))
		e.must(e.svc.RecoverImports(bgCtx()))
		if j := e.stored(job.ID); j.Status != meibo.ImportRunning {
			t.Fatalf("a job with a heartbeat a minute old is %s", j.Status)
		}
		e.clock.skew.Store(int64(3 * time.Minute))
		e.must(e.svc.RecoverImports(bgCtx()))
		e.ixInterrupted(job.ID)
		e.sameSnapshot(before, "a stale job")
		// Its file is kept without its passwords, as every job's that ran.
		if _, data, err := e.svc.ImportFile(e.sys, job.ID); err != nil || strings.Contains(string(data), "Amber-canyon-17") {
			t.Errorf("the stale job's file: %q %v", data, err)
		}
	})
}

// TestImportChangedMeanwhile: when the data changes between the validation
// and the apply transaction (someone creates a user or an administrator
// that the file also creates, or fills the licence), the apply finds it,
// writes nothing and fails the job with "import.changed".
func TestImportChangedMeanwhile(t *testing.T) {
	cases := []struct {
		name   string
		req    service.ImportRequest
		file   func(t *testing.T) []byte
		change func(e *ixEnv)
		want   []ixWant
	}{
		{"a user created meanwhile", service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1"},
			ixLines("name,password,email", "bob,Quiet-harbour-42,", "carol,,carol@example.org"),
			func(e *ixEnv) { e.user("G1", service.UserInput{Name: "carol"}) },
			[]ixWant{{3, "name", "The user carol exists already"}}},
		{"a profile deleted meanwhile", service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1"},
			ixLines("name,password,email,profile", "bob,,,temp"),
			func(e *ixEnv) {
				ps, err := e.svc.Profiles(e.sys, "G1")
				e.must(err)
				for _, p := range ps {
					if p.Name == "temp" {
						e.must(e.svc.DeleteProfile(e.sys, p.ID))
					}
				}
			},
			[]ixWant{{2, "profile", `There is no profile named "temp"`}}},
		{"the licence filled meanwhile", service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1"},
			ixLines("name,password,email", "bob,,", "carol,,"),
			func(e *ixEnv) {
				e.user("G1", service.UserInput{Name: "dave"})
				e.user("G1", service.UserInput{Name: "erin"})
			},
			[]ixWant{{0, "", "This would make 5 users against a licence for 4"}}},
		{"an administrator created meanwhile", service.ImportRequest{Format: meibo.FormatAdmins},
			func(t *testing.T) []byte {
				return ixAdminsFile(t, ixAdmin{id: "new1", pw: "Amber-canyon-17", auth: ixConsole}, ixAdmin{id: "new2", auth: ixViewer})
			},
			func(e *ixEnv) { e.admin(service.AdminInput{LoginID: "new2", Authorities: ixConsole}) },
			[]ixWant{{3, "1 (Processing Flag)", "The administrator new2 exists already"}}},
		{"the last other manager deleted meanwhile", service.ImportRequest{Format: meibo.FormatAdmins},
			func(t *testing.T) []byte {
				return ixAdminsFile(t, ixAdmin{flag: "U", id: meibo.BuiltinAdmin, name: "admin", auth: ixViewer})
			},
			func(e *ixEnv) { e.must(e.svc.DeleteAdmin(e.sys, e.admins()["boss"].ID)) },
			[]ixWant{{0, "", "This would leave no enabled administrator who can manage administrators"}}},
	}
	storetest.Each(t, func(t *testing.T, engine string) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				e := newIxEnv(t, engine)
				e.bootstrap("Root-pass-phrase-1")
				e.admin(service.AdminInput{LoginID: "boss", Password: "Velvet-summit-88", Authorities: ixConsole})
				e.group("G1")
				e.profile("G1", "temp", false)
				e.user("G1", service.UserInput{Name: "alice"})
				_, err := e.svc.UpdateSettings(e.sys, map[string]string{meibo.SettingLicenceLimit: "4"})
				e.must(err)

				var after map[string][]string
				e.store.beforeApply(func() {
					c.change(e)
					after = e.snapshot()
				})
				job := e.run(c.req, c.file(t))
				if after == nil {
					t.Fatal("the change was not made between validation and apply")
				}
				e.wantFailed(job, append(c.want, ixWant{0, "", "The data changed while the file was being imported; nothing was written"})...)
				e.sameSnapshot(after, "an import refused at apply")
			})
		}
	})
}

// TestImportTwoWorkers runs two import workers, each with its own
// connection pool as two servers have, on one PostgreSQL database: every
// job runs exactly once.
func TestImportTwoWorkers(t *testing.T) {
	dsn := storetest.SchemaDSN(t, storetest.PostgresDSN(t))
	open := func() *sqlstore.DB {
		db, err := postgres.Open(bgCtx(), dsn, 4, sqlstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	db1, db2 := open(), open()
	if _, err := db1.Migrate(bgCtx()); err != nil {
		t.Fatal(err)
	}
	h := argon2id.ForTests()
	var stores []*ixStore
	var svcs []*service.Service
	for i, db := range []*sqlstore.DB{db1, db2} {
		st := &ixStore{Store: db}
		stores = append(stores, st)
		// Many jobs wait at once here: no limit on imports at once.
		svcs = append(svcs, service.New(st, service.Config{Hasher: h, HashWorkers: 1, Worker: fmt.Sprintf("server%d:%d", i+1, os.Getpid()),
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), ImportMaxPerGroup: -1, ImportMaxPerAdmin: -1}))
	}
	sys := meibo.WithActor(bgCtx(), meibo.System("cli:test"))
	if _, err := svcs[0].CreateGroup(sys, meibo.Group{ID: "G1"}); err != nil {
		t.Fatal(err)
	}
	const jobs = 24
	var ids []int64
	for i := range jobs {
		j, err := svcs[i%2].SubmitImport(sys, service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1"},
			ixCSV("name,password,email", fmt.Sprintf("user%02d,,", i)))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, j.ID)
	}
	ctx, stop := context.WithCancel(bgCtx())
	var wg sync.WaitGroup
	for _, s := range svcs {
		wg.Add(1)
		go func() { defer wg.Done(); s.RunImportWorker(ctx) }()
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		done := 0
		for _, id := range ids {
			j, err := svcs[0].ImportJob(sys, id)
			if err != nil {
				t.Fatal(err)
			}
			if j.Status == meibo.ImportSuccess || j.Status == meibo.ImportFailed {
				done++
			}
		}
		if done == jobs {
			break
		}
		if time.Now().After(deadline) {
			stop()
			wg.Wait()
			t.Fatalf("%d of %d jobs finished in time", done, jobs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	wg.Wait()

	runs := map[int64][]string{}
	for _, st := range stores {
		for _, c := range st.claimed() {
			runs[c.id] = append(runs[c.id], c.worker)
		}
	}
	for _, id := range ids {
		if len(runs[id]) != 1 {
			t.Errorf("job %d was claimed by %v", id, runs[id])
		}
		j, _ := svcs[1].ImportJob(sys, id)
		if j.Status != meibo.ImportSuccess || j.Created != 1 {
			t.Errorf("job %d: %s, %d created", id, j.Status, j.Created)
		}
	}
	page, err := svcs[1].FindUsers(sys, meibo.UserFilter{GroupID: "G1", Limit: 100})
	if err != nil || len(page.Users) != jobs {
		t.Errorf("%d users, %v", len(page.Users), err)
	}
}

// TestImportHeartbeat: while a job is validated, its worker reports every
// few seconds (the heartbeat other processes look at), and the heartbeat
// never gets in the way of the job's own outcome. The validation is held
// until a heartbeat starts, and then both go on at once (run with -race).
func TestImportHeartbeat(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a heartbeat (3 s)")
	}
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine)
		e.group("G1")
		beat := make(chan struct{}, 1)
		var armed atomic.Bool
		var once sync.Once
		e.store.mu.Lock()
		e.store.onTouch = func() {
			if armed.Load() {
				select {
				case beat <- struct{}{}:
				default:
				}
			}
		}
		e.store.onRead = func() {
			once.Do(func() {
				armed.Store(true)
				select {
				case <-beat:
				case <-time.After(15 * time.Second):
					t.Error("no heartbeat while the job was validated")
				}
			})
		}
		e.store.mu.Unlock()
		start := time.Now()
		job := e.run(service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1", DryRun: true},
			ixCSV("name,password,email", "carol,,", "dave,,", "dave,,"))
		if time.Since(start) < 2*time.Second {
			t.Errorf("the job did not wait for a heartbeat")
		}
		e.wantFailed(job, ixWant{4, "name", "The name dave appears already in row 3"})
		// The heartbeat wrote the job while it ran; the outcome came last.
		e.store.mu.Lock()
		writes := slices.Clone(e.store.jobWrites)
		e.store.mu.Unlock()
		beats := 0
		for i, w := range writes {
			if w.ID != job.ID {
				continue
			}
			if w.Status == meibo.ImportRunning && w.HeartbeatAt != nil && w.StartedAt != nil {
				beats++
			}
			if w.Status != meibo.ImportRunning && i != len(writes)-1 {
				t.Errorf("the job was written after its outcome: %+v", writes[i+1:])
			}
		}
		if beats == 0 {
			t.Errorf("no heartbeat was written: %+v", writes)
		}
		if j := e.stored(job.ID); j.Status != meibo.ImportFailed || j.Rows != 3 || j.DetectedEncoding != "utf-8" {
			t.Errorf("stored job: %s, %d rows, %q", j.Status, j.Rows, j.DetectedEncoding)
		}
	})
}

// TestImportTakenForDead: while a job waits to apply, another process takes
// it for dead and fails it as interrupted; the apply must then write nothing
// and leave the job as the other process marked it.
func TestImportTakenForDead(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine)
		e.group("G1")
		e.user("G1", service.UserInput{Name: "alice"})
		var after map[string][]string
		e.store.beforeApply(func() {
			err := e.store.Update(bgCtx(), func(tx meibo.Tx) error {
				_, err := tx.FailStaleImports(bgCtx(), tx.Now().Add(time.Hour), "interrupted by test")
				return err
			})
			e.must(err)
			after = e.snapshot()
		})
		job := e.run(service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1"}, ixCSV("name,password,email", "bob,,", "carol,,"))
		if after == nil {
			t.Fatal("the job never reached its apply")
		}
		e.sameSnapshot(after, "an import taken for dead")
		if j := e.stored(job.ID); j.Status != meibo.ImportFailed || j.Message != "interrupted by test" || j.Created != 0 {
			t.Errorf("stored job: %s %q, %d created; want FAILED as the other process left it", j.Status, j.Message, j.Created)
		}
		if _, ok := e.users("G1")["bob"]; ok {
			t.Error("bob was created by a job taken for dead")
		}
	})
}

// TestSubmitAndRunBesideAWorker: an import run where it is submitted (the
// command line) is claimed in the transaction that records it, so that a
// worker beside it, here woken by the submission itself, never takes it
// first: every run succeeds, run by its caller.
func TestSubmitAndRunBesideAWorker(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		e.group("G1")
		ctx, stop := context.WithCancel(bgCtx())
		done := make(chan struct{})
		go func() { defer close(done); e.svc.RunImportWorker(ctx) }()
		defer func() { stop(); <-done }()
		for i := range 10 {
			j, err := e.svc.SubmitAndRun(e.sys, service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1"},
				ixCSV("name,password,email", fmt.Sprintf("user%02d,,", i)), nil)
			if err != nil {
				t.Fatalf("run %d: %v", i, err)
			}
			if j.Status != meibo.ImportSuccess || j.Created != 1 {
				t.Errorf("run %d: %s, %d created", i, j.Status, j.Created)
			}
		}
	})
}

// TestImportGoneWhileRunning: a job whose record is gone while it runs (a
// restore replaced the data beneath a running server) writes nothing, is
// not recreated, and is no internal error: the worker lets it go.
func TestImportGoneWhileRunning(t *testing.T) {
	files := map[string][]byte{
		"one to apply":  ixCSV("name,password,email", "bob,,"),
		"one to refuse": ixCSV("name,password,email", "bob,,", "bad name!,,"),
	}
	storetest.Each(t, func(t *testing.T, engine string) {
		for name, file := range files {
			t.Run(name, func(t *testing.T) {
				var logged bytes.Buffer
				e := newIxEnv(t, engine, func(c *service.Config) { c.Logger = slog.New(slog.NewTextHandler(&logged, nil)) })
				e.group("G1")
				before := e.snapshot()
				e.store.beforeApply(func() {
					if _, err := e.db.WriteDB().Exec(`DELETE FROM import_jobs`); err != nil {
						t.Error(err)
					}
				})
				if _, err := e.svc.SubmitAndRun(e.sys, service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1"}, file, nil); err != nil {
					t.Fatal(err)
				}
				if jobs := must(e.svc.ImportJobs(e.sys, meibo.ImportFilter{Limit: 10}))(t); len(jobs) != 0 {
					t.Errorf("jobs after the job was gone: %+v", jobs)
				}
				e.sameSnapshot(before, "a job gone while it ran")
				if strings.Contains(logged.String(), "level=ERROR") {
					t.Errorf("logged as an error:\n%s", logged.String())
				}
			})
		}
	})
}
