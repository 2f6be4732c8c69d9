package service_test

// Helpers of the import and export tests. Every name here starts with "ix"
// so that it cannot clash with the helpers of the package's other tests.

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/argon2id"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/sqlstore"
	"github.com/meibo/meibo/store/storetest"
)

// ixHost is the host part of the worker names of these tests' services.
const ixHost = "thishost"

// ixClock moves one millisecond at every reading, so that every
// transaction has a time of its own and a write always changes updated_at.
// skew moves it further (a stale heartbeat).
type ixClock struct {
	base  time.Time
	ticks atomic.Int64
	skew  atomic.Int64
}

func (c *ixClock) Now() time.Time {
	return c.base.Add(time.Duration(c.ticks.Add(1))*time.Millisecond + time.Duration(c.skew.Load()))
}

// ixEnv is one service on a fresh database of one engine, behind a store
// wrapper that tests can use to change data or fail at chosen moments.
type ixEnv struct {
	t      *testing.T
	engine string
	db     *sqlstore.DB
	store  *ixStore
	svc    *service.Service
	hasher *argon2id.Hasher
	clock  *ixClock
	sys    context.Context
	cfg    service.Config
}

func newIxEnv(t *testing.T, engine string, configure ...func(*service.Config)) *ixEnv {
	t.Helper()
	h := argon2id.ForTests()
	clock := &ixClock{base: time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)}
	db := storetest.Open(t, engine, clock.Now)
	e := &ixEnv{t: t, engine: engine, db: db, store: &ixStore{Store: db}, hasher: h, clock: clock,
		sys: meibo.WithActor(context.Background(), meibo.System("cli:test"))}
	e.cfg = service.Config{Hasher: h, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), HashWorkers: 2,
		Worker: fmt.Sprintf("%s:%d", ixHost, os.Getpid())}
	for _, f := range configure {
		f(&e.cfg)
	}
	e.svc = service.New(e.store, e.cfg)
	t.Cleanup(e.svc.WaitAudits) // the audits of refused requests, before the store closes
	return e
}

// otherService returns another service on the same store with cfg changed.
func (e *ixEnv) otherService(configure func(*service.Config)) *service.Service {
	cfg := e.cfg
	configure(&cfg)
	svc := service.New(e.store, cfg)
	e.t.Cleanup(svc.WaitAudits) // the audits of refused requests, before the store closes
	return svc
}

func (e *ixEnv) must(err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
}

func (e *ixEnv) group(id string) {
	e.t.Helper()
	_, err := e.svc.CreateGroup(e.sys, meibo.Group{ID: id})
	e.must(err)
}

func (e *ixEnv) profile(group, name string, api bool) {
	e.t.Helper()
	_, err := e.svc.CreateProfile(e.sys, group, meibo.Profile{Name: name, Actions: meibo.AllActions, APIAccess: api})
	e.must(err)
}

func (e *ixEnv) user(group string, in service.UserInput) *meibo.User {
	e.t.Helper()
	u, err := e.svc.CreateUser(e.sys, group, in)
	e.must(err)
	return u
}

func (e *ixEnv) admin(in service.AdminInput) *meibo.Admin {
	e.t.Helper()
	if in.Name == "" {
		in.Name = in.LoginID
	}
	a, err := e.svc.CreateAdmin(e.sys, in)
	e.must(err)
	return a
}

// bootstrap creates the built-in administrators; admin gets pw.
func (e *ixEnv) bootstrap(pw string) {
	e.t.Helper()
	_, _, err := e.svc.Bootstrap(context.Background(), pw)
	e.must(err)
}

// users returns the users of group by name, as stored, every field.
func (e *ixEnv) users(group string) map[string]*meibo.User {
	e.t.Helper()
	var out map[string]*meibo.User
	e.must(e.db.View(context.Background(), func(tx meibo.Tx) error {
		var names []string
		err := tx.EachUser(context.Background(), group, func(u *meibo.User) error {
			names = append(names, u.Name)
			return nil
		})
		if err != nil {
			return err
		}
		out, err = tx.UsersByName(context.Background(), group, names)
		return err
	}))
	return out
}

// admins returns every administrator by login ID, as stored.
func (e *ixEnv) admins() map[string]*meibo.Admin {
	e.t.Helper()
	out := map[string]*meibo.Admin{}
	e.must(e.db.View(context.Background(), func(tx meibo.Tx) error {
		list, err := tx.Admins(context.Background())
		for _, a := range list {
			out[a.LoginID] = a
		}
		return err
	}))
	return out
}

// verify reports whether pw matches hash.
func (e *ixEnv) verify(hash, pw string) bool {
	if hash == "" {
		return false
	}
	ok, _, err := e.hasher.Verify(hash, meibo.NormalizePassword(pw))
	return err == nil && ok
}

// run submits a file as the command line does and runs it here; it fails
// the test when the file cannot even be submitted.
func (e *ixEnv) run(req service.ImportRequest, data []byte) *meibo.ImportJob {
	e.t.Helper()
	job, err := e.svc.SubmitAndRun(e.sys, req, data, nil)
	if err != nil {
		e.t.Fatalf("submit %s file: %v", req.Format, err)
	}
	return job
}

// messages returns a job's errors and warnings.
func (e *ixEnv) messages(job *meibo.ImportJob) (errs, warns []meibo.ImportMessage) {
	e.t.Helper()
	msgs, err := e.svc.ImportMessages(e.sys, job.ID, 0)
	e.must(err)
	for _, m := range msgs {
		if m.Warning {
			warns = append(warns, m)
		} else {
			errs = append(errs, m)
		}
	}
	return errs, warns
}

// stored reads a job back from the database.
func (e *ixEnv) stored(id int64) *meibo.ImportJob {
	e.t.Helper()
	j, err := e.svc.ImportJob(e.sys, id)
	e.must(err)
	return j
}

// ixWant is an expected error or warning of a job: its row, its column and
// a part of its English text.
type ixWant struct {
	row  int
	col  string
	text string
}

func (w ixWant) String() string {
	return fmt.Sprintf("row %d, column %q: …%s…", w.row, w.col, w.text)
}

func ixMatch(m meibo.ImportMessage, w ixWant) bool {
	return m.Row == w.row && m.Column == w.col && strings.Contains(m.Text, w.text)
}

func ixShow(msgs []meibo.ImportMessage) string {
	var b strings.Builder
	for _, m := range msgs {
		fmt.Fprintf(&b, "\n\trow %d, column %q: %s", m.Row, m.Column, m.Text)
	}
	return b.String()
}

// wantMessages checks that msgs are exactly the wanted ones, in any order.
func (e *ixEnv) wantMessages(kind string, msgs []meibo.ImportMessage, want ...ixWant) {
	e.t.Helper()
	if len(msgs) != len(want) {
		e.t.Errorf("%d %s, want %d %v:%s", len(msgs), kind, len(want), want, ixShow(msgs))
		return
	}
	for _, w := range want {
		if !slices.ContainsFunc(msgs, func(m meibo.ImportMessage) bool { return ixMatch(m, w) }) {
			e.t.Errorf("no %s %v among:%s", kind, w, ixShow(msgs))
		}
	}
}

// wantFailed checks that job was refused with exactly the wanted errors,
// counting nothing, and that the stored job says the same.
func (e *ixEnv) wantFailed(job *meibo.ImportJob, want ...ixWant) {
	e.t.Helper()
	for _, j := range []*meibo.ImportJob{job, e.stored(job.ID)} {
		if j.Status != meibo.ImportFailed {
			e.t.Fatalf("job %d is %s, want FAILED (%s)", j.ID, j.Status, j.Message)
		}
		if j.Created != 0 || j.Updated != 0 || j.Deleted != 0 || j.Unchanged != 0 {
			e.t.Errorf("a refused job counts %d created, %d updated, %d deleted, %d unchanged; want 0",
				j.Created, j.Updated, j.Deleted, j.Unchanged)
		}
		if j.FinishedAt == nil {
			e.t.Errorf("a refused job has no finishing time")
		}
	}
	errs, _ := e.messages(job)
	e.wantMessages("errors", errs, want...)
	if stored := e.stored(job.ID); stored.ErrorCount != len(errs) {
		e.t.Errorf("job records %d errors, lists %d", stored.ErrorCount, len(errs))
	}
}

// wantSuccess checks that job succeeded with the given counts.
func (e *ixEnv) wantSuccess(job *meibo.ImportJob, created, updated, deleted, unchanged int) {
	e.t.Helper()
	if job.Status != meibo.ImportSuccess {
		errs, _ := e.messages(job)
		e.t.Fatalf("job %d is %s (%s), want SUCCESS:%s", job.ID, job.Status, job.Message, ixShow(errs))
	}
	for _, j := range []*meibo.ImportJob{job, e.stored(job.ID)} {
		if j.Status != meibo.ImportSuccess || j.Created != created || j.Updated != updated || j.Deleted != deleted || j.Unchanged != unchanged {
			e.t.Errorf("job %d: %s with %d created, %d updated, %d deleted, %d unchanged; want SUCCESS with %d, %d, %d, %d",
				j.ID, j.Status, j.Created, j.Updated, j.Deleted, j.Unchanged, created, updated, deleted, unchanged)
		}
	}
}

// ixTables are the tables an import may change, and the audit trail but
// for the events of import jobs and exports themselves.
var ixTables = []string{"users", "unified_users", "admins", "admin_groups", "profiles", "groups", "settings",
	"audit_events WHERE action NOT LIKE 'import.%' AND action NOT LIKE 'export.%'"}

// snapshot dumps the tables an import may change, row by row, in an order
// that does not depend on the engine.
func (e *ixEnv) snapshot() map[string][]string {
	e.t.Helper()
	out := map[string][]string{}
	for _, table := range ixTables {
		rows, err := e.db.ReadDB().QueryContext(context.Background(), "SELECT * FROM "+table)
		e.must(err)
		cols, err := rows.Columns()
		e.must(err)
		var lines []string
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			e.must(rows.Scan(ptrs...))
			var b strings.Builder
			for i, v := range vals {
				switch x := v.(type) {
				case []byte:
					v = string(x)
				case time.Time:
					v = x.UTC().Format(time.RFC3339Nano)
				}
				fmt.Fprintf(&b, "%s=%v|", cols[i], v)
			}
			lines = append(lines, b.String())
		}
		e.must(rows.Err())
		rows.Close()
		slices.Sort(lines)
		out[table] = lines
	}
	return out
}

// sameSnapshot fails the test when the tables differ from before.
func (e *ixEnv) sameSnapshot(before map[string][]string, what string) {
	e.t.Helper()
	after := e.snapshot()
	for _, table := range ixTables {
		if !slices.Equal(before[table], after[table]) {
			gone, added := ixDiff(before[table], after[table])
			e.t.Errorf("%s changed table %s:\nrows gone  %q\nrows added %q", what, table, gone, added)
		}
	}
}

// ixStore wraps a store: it can run a function once before the first write
// transaction that follows an import's validation (a change made by someone
// else meanwhile), record claimed jobs, and make chosen reads fail.
type ixStore struct {
	meibo.Store

	mu        sync.Mutex
	validated bool                                         // a read transaction looked at users or administrators
	beforeW   func()                                       // run once before the next write after validation
	failFind  error                                        // FindUsers fails with it
	onCreate  func(ctx context.Context, tx meibo.Tx) error // runs after CreateUsers in a write transaction
	onRead    func()                                       // runs when a read transaction looks up users
	onWrite   func()                                       // runs when a write transaction starts
	onTouch   func()                                       // runs when a heartbeat has touched a running job
	claims    []ixClaim
	jobWrites []meibo.ImportJob // every write of a job (update, heartbeat, outcome), as written
	// writeLookups counts the lookups of users by name in write
	// transactions (an import's apply).
	writeLookups int
}

type ixClaim struct {
	worker string
	id     int64
}

// beforeApply arms fn to run once, before the first write transaction after
// the next import validation.
func (s *ixStore) beforeApply(fn func()) {
	s.mu.Lock()
	s.validated, s.beforeW = false, fn
	s.mu.Unlock()
}

func (s *ixStore) View(ctx context.Context, fn func(meibo.Tx) error) error {
	return s.Store.View(ctx, func(tx meibo.Tx) error { return fn(&ixTx{Tx: tx, s: s}) })
}

func (s *ixStore) Update(ctx context.Context, fn func(meibo.Tx) error) error {
	s.mu.Lock()
	var hook func()
	if s.validated && s.beforeW != nil {
		hook, s.beforeW = s.beforeW, nil
	}
	onWrite := s.onWrite
	s.mu.Unlock()
	if hook != nil {
		hook()
	}
	if onWrite != nil {
		onWrite()
	}
	return s.Store.Update(ctx, func(tx meibo.Tx) error { return fn(&ixTx{Tx: tx, s: s, write: true}) })
}

func (s *ixStore) claimed() []ixClaim {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.claims)
}

type ixTx struct {
	meibo.Tx
	s     *ixStore
	write bool
}

func (t *ixTx) seen() {
	if !t.write {
		t.s.mu.Lock()
		t.s.validated = true
		t.s.mu.Unlock()
	}
}

func (t *ixTx) UsersByName(ctx context.Context, groupID string, names []string) (map[string]*meibo.User, error) {
	t.seen()
	t.s.mu.Lock()
	onRead := t.s.onRead
	if t.write {
		t.s.writeLookups++
	}
	t.s.mu.Unlock()
	if onRead != nil && !t.write {
		onRead()
	}
	return t.Tx.UsersByName(ctx, groupID, names)
}

func (t *ixTx) Admins(ctx context.Context) ([]*meibo.Admin, error) {
	t.seen()
	return t.Tx.Admins(ctx)
}

func (t *ixTx) FindUsers(ctx context.Context, f meibo.UserFilter) (*meibo.UserPage, error) {
	t.s.mu.Lock()
	err := t.s.failFind
	t.s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return t.Tx.FindUsers(ctx, f)
}

func (t *ixTx) CreateUsers(ctx context.Context, users []*meibo.User) error {
	if err := t.Tx.CreateUsers(ctx, users); err != nil {
		return err
	}
	t.s.mu.Lock()
	hook := t.s.onCreate
	t.s.mu.Unlock()
	if hook != nil && t.write {
		return hook(ctx, t.Tx)
	}
	return nil
}

func (t *ixTx) UpdateImportJob(ctx context.Context, j *meibo.ImportJob) error {
	t.s.mu.Lock()
	t.s.jobWrites = append(t.s.jobWrites, *j)
	t.s.mu.Unlock()
	return t.Tx.UpdateImportJob(ctx, j)
}

// FinishImportJob records the outcome once written (a heartbeat that holds
// the row writes first).
func (t *ixTx) FinishImportJob(ctx context.Context, j *meibo.ImportJob) (bool, error) {
	ok, err := t.Tx.FinishImportJob(ctx, j)
	if err == nil && ok {
		t.s.mu.Lock()
		t.s.jobWrites = append(t.s.jobWrites, *j)
		t.s.mu.Unlock()
	}
	return ok, err
}

// TouchImportJob records a heartbeat as a write of the job as it then is.
func (t *ixTx) TouchImportJob(ctx context.Context, id int64, worker string, rows int, progress float64) (bool, error) {
	ok, err := t.Tx.TouchImportJob(ctx, id, worker, rows, progress)
	if err == nil && ok {
		if j, err := t.Tx.ImportJob(ctx, id); err == nil {
			t.s.mu.Lock()
			t.s.jobWrites = append(t.s.jobWrites, *j)
			hook := t.s.onTouch
			t.s.mu.Unlock()
			if hook != nil {
				hook()
			}
		}
	}
	return ok, err
}

func (t *ixTx) ClaimImportJob(ctx context.Context, worker string) (*meibo.ImportJob, error) {
	j, err := t.Tx.ClaimImportJob(ctx, worker)
	if j != nil {
		t.s.mu.Lock()
		t.s.claims = append(t.s.claims, ixClaim{worker, j.ID})
		t.s.mu.Unlock()
	}
	return j, err
}

// ixCSV builds a file from lines with CRLF line breaks.
func ixCSV(lines ...string) []byte {
	return []byte(strings.Join(lines, "\r\n") + "\r\n")
}

// ixAdmin is a row of an administrator file.
type ixAdmin struct {
	flag, id, pw, name, email, notes string
	auth                             meibo.Authorities
	raw                              map[int]string // columns set as they are, by number
}

// ixAuthorityColumns are the columns of the administrator file that hold an
// authority.
var ixAuthorityColumns = []int{4, 5, 6, 7, 8, 21, 22, 23, 24, 25, 26, 31, 32, 33, 34, 35, 36}

// line renders the row: 44 quoted fields, blanks as a half-width space.
func (a ixAdmin) line() string {
	f := make([]string, 44)
	for i := range f {
		f[i] = " "
	}
	set := func(n int, v string) {
		if v != "" {
			f[n-1] = v
		}
	}
	set(1, a.flag)
	set(2, a.id)
	set(3, a.pw)
	set(15, a.name)
	set(16, a.email)
	set(44, a.notes)
	for _, c := range ixAuthorityColumns {
		f[c-1] = "0"
		if a.auth.Has(meibo.Authority(c)) {
			f[c-1] = "1"
		}
	}
	f[40] = "0"
	for n, v := range a.raw {
		f[n-1] = v
	}
	for i, v := range f {
		f[i] = `"` + strings.ReplaceAll(v, `"`, `""`) + `"`
	}
	return strings.Join(f, ",")
}

// ixAdminTitle is the title line of the manual's (002) sample.
func ixAdminTitle(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../csvio/testdata/admins_manual.csv")
	if err != nil {
		t.Fatal(err)
	}
	title, _, _ := strings.Cut(string(b), "\r\n")
	return title
}

// ixAdminsFile is an administrator file with the title line and rows.
func ixAdminsFile(t *testing.T, rows ...ixAdmin) []byte {
	lines := []string{ixAdminTitle(t)}
	for _, r := range rows {
		lines = append(lines, r.line())
	}
	return ixCSV(lines...)
}

func bgCtx() context.Context { return context.Background() }

// ixUserString renders every stored field of a user, times included.
func ixUserString(u *meibo.User) string {
	if u == nil {
		return "<nil>"
	}
	t := func(p *time.Time) string {
		if p == nil {
			return "-"
		}
		return p.UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprintf("%d|%s|%s|%s|%s|%d|%s|%v|%v|%v|%s|%s|%s|%s", u.ID, u.GroupID, u.Name, u.Email, u.PasswordHash, u.ProfileID,
		u.ProfileName, u.Admin, u.APIAccess, u.Disabled, t(&u.CreatedAt), t(&u.UpdatedAt), t(u.PasswordChangedAt), t(u.LastSignInAt))
}

// ixDiff returns the lines only in a and those only in b.
func ixDiff(a, b []string) (onlyA, onlyB []string) {
	for _, x := range a {
		if !slices.Contains(b, x) {
			onlyA = append(onlyA, x)
		}
	}
	for _, x := range b {
		if !slices.Contains(a, x) {
			onlyB = append(onlyB, x)
		}
	}
	return onlyA, onlyB
}

// ixLog is a log that tests read while services write to it.
type ixLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *ixLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *ixLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestIxEnvWaitsForRefusalAudits: the audit of a refused request, written
// after the answer, is written before the environment's store closes, not
// attempted on a closed one (or on a pooled schema already given to
// another test).
func TestIxEnvWaitsForRefusalAudits(t *testing.T) {
	logs := &ixLog{}
	var svc *service.Service
	t.Run("env", func(t *testing.T) {
		e := newIxEnv(t, "sqlite", func(c *service.Config) { c.Logger = slog.New(slog.NewTextHandler(logs, nil)) })
		pw := "correct horse battery"
		e.admin(service.AdminInput{LoginID: "reader", Password: pw, Authorities: meibo.NewAuthorities(meibo.AuthLogViewer)})
		tok, _, err := e.svc.Login(bg, "reader", pw, "192.0.2.1")
		e.must(err)
		reader, err := e.svc.Authenticate(bg, tok, "192.0.2.1")
		e.must(err)
		// The audit's write starts only once the test has ended.
		e.store.mu.Lock()
		e.store.onWrite = func() { time.Sleep(300 * time.Millisecond) }
		e.store.mu.Unlock()
		if _, err := e.svc.Throttles(as(reader)); meibo.ErrorCode(err) != meibo.CodeForbidden {
			t.Fatalf("throttles without the authority: %v", err)
		}
		svc = e.svc
	})
	svc.WaitAudits()
	if strings.Contains(logs.String(), "audit a refused request") {
		t.Errorf("the audit was written after the store closed:\n%s", logs.String())
	}
}
