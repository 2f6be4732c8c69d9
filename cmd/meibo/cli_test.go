package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/japanese"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/store"
	"github.com/meibo/meibo/store/storetest"
)

// cli runs command lines against one database, with an environment of its
// own (MEIBO_DB and a fast argon2id among it).
type cli struct {
	t   *testing.T
	dir string
	db  string
	env map[string]string
}

func newCLI(t *testing.T) *cli {
	db := migratedDB(t)
	dir := filepath.Dir(db)
	return &cli{t: t, dir: dir, db: db, env: map[string]string{
		"MEIBO_DB":             db,
		"MEIBO_ARGON2_MEMORY":  "7168",
		"MEIBO_ARGON2_TIME":    "5",
		"MEIBO_ARGON2_THREADS": "1",
		"MEIBO_TIME_ZONE":      "UTC",
	}}
}

type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
}

// run runs one command line with extra environment variables (KEY=VALUE).
func (c *cli) run(args []string, env ...string) result {
	c.t.Helper()
	vars := map[string]string{}
	for k, v := range c.env {
		vars[k] = v
	}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	var out, errOut bytes.Buffer
	e := &cliEnv{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut,
		getenv: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }}
	code := run(context.Background(), e, args)
	return result{code, out.String(), errOut.String()}
}

// ok runs a command line that must succeed.
func (c *cli) ok(args ...string) result {
	c.t.Helper()
	r := c.run(args)
	if r.code != 0 {
		c.t.Fatalf("meibo %s: %s", strings.Join(args, " "), r)
	}
	return r
}

// file writes a file in the test's directory and returns its path.
func (c *cli) file(name string, data []byte) string {
	c.t.Helper()
	p := filepath.Join(c.dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		c.t.Fatal(err)
	}
	return p
}

// userNames lists the users of a group through the command line.
func (c *cli) userNames(group string) []string {
	c.t.Helper()
	var page struct {
		Users []struct {
			Name string `json:"name"`
		} `json:"users"`
	}
	r := c.ok("user", "list", "--group", group, "--json")
	if err := json.Unmarshal([]byte(r.stdout), &page); err != nil {
		c.t.Fatalf("user list: %v\n%s", err, r.stdout)
	}
	var names []string
	for _, u := range page.Users {
		names = append(names, u.Name)
	}
	sort.Strings(names)
	return names
}

// reportKeys are the keys of `meibo import --json`, exactly.
var reportKeys = []string{"created", "deleted", "dryRun", "encoding", "errors", "id", "rows", "rowsPerSecond", "status", "unchanged", "updated", "warnings"}

type importReport struct {
	ID       int64  `json:"id"`
	Status   string `json:"status"`
	DryRun   bool   `json:"dryRun"`
	Created  int    `json:"created"`
	Updated  int    `json:"updated"`
	Rows     int    `json:"rows"`
	Encoding string `json:"encoding"`
	Errors   []map[string]any
	Warnings []map[string]any
}

// oneObject checks that out is exactly one JSON object with reportKeys and
// decodes it.
func oneObject(t *testing.T, out string) importReport {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(out))
	var m map[string]json.RawMessage
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("not a JSON object: %v\n%s", err, out)
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Fatalf("more than one JSON value:\n%s", out)
	}
	var got []string
	for k := range m {
		got = append(got, k)
	}
	sort.Strings(got)
	if !slices.Equal(got, reportKeys) {
		t.Errorf("keys %v, want %v", got, reportKeys)
	}
	var r importReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	for _, list := range [][]map[string]any{r.Errors, r.Warnings} {
		for _, m := range list {
			var ks []string
			for k := range m {
				ks = append(ks, k)
			}
			sort.Strings(ks)
			if !slices.Equal(ks, []string{"column", "message", "row"}) {
				t.Errorf("a message has keys %v, want column, message, row", ks)
			}
		}
	}
	return r
}

func TestMigrate(t *testing.T) {
	c := newCLI(t)
	db := filepath.Join(c.dir, "new.db")
	r := c.run([]string{"migrate", "--db", db})
	if r.code != 0 || !strings.Contains(r.stdout, "applied 0001_init.sql") {
		t.Fatalf("migrate a new file: %s", r)
	}
	if _, err := os.Stat(db); err != nil {
		t.Fatal(err)
	}
	r = c.run([]string{"migrate", "--db", db})
	if r.code != 0 || !strings.Contains(r.stdout, "up to date") {
		t.Errorf("migrate again: %s", r)
	}
	// The migrated file is usable.
	c.ok("group", "create", "G1", "--db", db)
}

// TestNewerDatabase checks that a database a newer meibo has migrated is
// refused by the server and by every command, migrate included, with what
// to do, and that nothing is written to it.
func TestNewerDatabase(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	db := migratedDB(t)
	c.ok("group", "create", "G1", "--db", db)
	s, err := store.Open(context.Background(), db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.WriteDB().Exec(`INSERT INTO schema_migrations (name, applied_at) VALUES ('9999_later.sql', '2099-01-01T00:00:00Z')`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	want := "was migrated by a newer meibo (9999_later.sql, unknown to this meibo "
	// A backup too: it would leave out the tables the newer version added
	// and label the file with a schema this version cannot write.
	mbk := filepath.Join(t.TempDir(), "newer.mbk")
	for _, args := range [][]string{{"migrate"}, {"group", "list"}, {"group", "create", "G2"}, {"user", "list", "--group", "G1"}, {"backup", "-o", mbk}} {
		r := c.run(append(args, "--db", db))
		if r.code != 1 || !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "restore a backup taken before the upgrade") {
			t.Errorf("%v: %s", args, r)
		}
	}
	if _, err := os.Stat(mbk); !os.IsNotExist(err) {
		t.Errorf("a backup of the newer database was written: %v", err)
	}
	m := NewMain(testConfig(db, io.Discard))
	if err := m.Open(context.Background()); err == nil || !strings.Contains(err.Error(), want) {
		m.Close()
		t.Errorf("serve: %v", err)
	}
	s, err = store.Open(context.Background(), db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var groups int
	if err := s.ReadDB().QueryRow(`SELECT count(*) FROM groups`).Scan(&groups); err != nil || groups != 1 {
		t.Errorf("groups after the refusals: %d, %v", groups, err)
	}
}

// TestCommandLogsCause checks that a command failing inside the service
// (here an import whose writes the database refuses, as a full disk does)
// prints the cause beside "Internal error", on stderr, and that a command
// that goes well prints no log at all.
func TestCommandLogsCause(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	r := c.ok("group", "create", "G1")
	f := c.file("u.csv", []byte("name,password,email\r\ncarol,,\r\n"))
	if r = c.ok("import", "--format", "users", "--group", "G1", f); strings.Contains(r.stderr, "meibo: ") {
		t.Errorf("an import that went well logged: %s", r)
	}
	s, err := store.Open(context.Background(), c.db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.WriteDB().Exec(`CREATE TRIGGER full BEFORE INSERT ON users BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	f = c.file("v.csv", []byte("name,password,email\r\ndave,,\r\n"))
	r = c.run([]string{"import", "--format", "users", "--group", "G1", f})
	if r.code == 0 || !strings.Contains(r.stderr, "database or disk is full") || !strings.Contains(r.stderr, "meibo: error: ") {
		t.Errorf("a failed import does not print its cause: %s", r)
	}
	if testing.Verbose() {
		t.Log(r)
	}
	if strings.Contains(r.stdout, "database or disk is full") || strings.Contains(r.stdout, "meibo: error") {
		t.Errorf("the log went to stdout: %s", r)
	}
}

func TestImportCommand(t *testing.T) {
	c := newCLI(t)
	c.ok("group", "create", "G1")
	good := c.file("good.csv", []byte("name,password,email\r\ncarol,Amber-canyon-17,carol@example.org\r\ndave,,\r\n"))
	bad := c.file("bad.csv", []byte("name,password,email\r\nerin,,\r\nerin,,\r\nfrank,Abcdef1,\r\n"))

	// A clean dry run: 0, nothing written.
	r := c.run([]string{"import", "--format", "users", "--group", "G1", "--dry-run", "--json", good})
	if r.code != 0 {
		t.Fatalf("dry run: %s", r)
	}
	rep := oneObject(t, r.stdout)
	if rep.Status != "SUCCESS" || !rep.DryRun || rep.Created != 2 || rep.Rows != 2 || rep.Encoding != "utf-8" {
		t.Errorf("dry run report %+v", rep)
	}
	if names := c.userNames("G1"); len(names) != 0 {
		t.Errorf("a dry run wrote %v", names)
	}

	// A refused file: 1, nothing written, every error with row and column.
	r = c.run([]string{"import", "--format", "users", "--group", "G1", "--json", bad})
	if r.code != 1 {
		t.Fatalf("refused file: %s", r)
	}
	rep = oneObject(t, r.stdout)
	if rep.Status != "FAILED" || rep.Created != 0 || len(rep.Errors) != 2 {
		t.Errorf("refused report %+v", rep)
	}
	want := map[string]bool{"3 name": false, "4 password": false}
	for _, m := range rep.Errors {
		want[fmt.Sprint(m["row"], " ", m["column"])] = true
	}
	for k, seen := range want {
		if !seen {
			t.Errorf("no error at %s: %v", k, rep.Errors)
		}
	}
	if names := c.userNames("G1"); len(names) != 0 {
		t.Errorf("a refused file wrote %v", names)
	}
	// Without --json the same, for a person.
	r = c.run([]string{"import", "--format", "users", "--group", "G1", bad})
	if r.code != 1 || !strings.Contains(r.stdout, "row 3, name: The name erin appears already in row 2") ||
		!strings.Contains(r.stdout, "nothing was written") {
		t.Errorf("refused file for a person: %s", r)
	}

	// Success: 0.
	r = c.run([]string{"import", "--format", "users", "--group", "G1", "--json", good})
	if r.code != 0 {
		t.Fatalf("import: %s", r)
	}
	if rep = oneObject(t, r.stdout); rep.Status != "SUCCESS" || rep.Created != 2 || rep.DryRun {
		t.Errorf("report %+v", rep)
	}
	if names := c.userNames("G1"); !slices.Equal(names, []string{"carol", "dave"}) {
		t.Errorf("users %v", names)
	}
	// Again: the names exist (1), unless --update-existing (0, unchanged).
	if r = c.run([]string{"import", "--format", "users", "--group", "G1", good}); r.code != 1 {
		t.Errorf("existing users: %s", r)
	}
	r = c.run([]string{"import", "--format", "users", "--group", "G1", "--update-existing", "--json", good})
	if rep = oneObject(t, r.stdout); r.code != 0 || rep.Updated != 1 {
		// carol's password is given again: an update; dave is unchanged.
		t.Errorf("update existing: %s", r)
	}

	// A file over the size limit: 1, one JSON object.
	r = c.run([]string{"import", "--format", "users", "--group", "G1", "--import-max-bytes", "10", "--json", good})
	if r.code != 1 {
		t.Errorf("too large: %s", r)
	}
	if rep = oneObject(t, r.stdout); rep.Status != "FAILED" || len(rep.Errors) != 1 {
		t.Errorf("too large: %+v", rep)
	}
	// An unknown group is refused too.
	if r = c.run([]string{"import", "--format", "users", "--group", "G9", good}); r.code != 1 || !strings.Contains(r.stderr, "no group") {
		t.Errorf("unknown group: %s", r)
	}

	// Usage errors: 2.
	for _, args := range [][]string{
		{"import", "--format", "users", good},
		{"import", "--format", "personal", good},
		{"import", "--format", "gadgets", "--group", "G1", good},
		{"import", "--group", "G1", good},
		{"import", "--format", "users", "--group", "G1"},
		{"import", "--format", "users", "--group", "G1", good, good},
		{"import", "--format", "admins", "--group", "G1", good},
		{"import", "--format", "users", "--group", "G1", "--encoding", "latin1", good},
		{"import", "--format", "users", "--group", "G1", "--no-such-flag", good},
		{"export", "--format", "users"},
		{"export", "--format", "devices"},
		{"export"},
		{"export", "--format", "admins", "--encoding", "auto"},
		{"nonsense"},
	} {
		if r := c.run(args); r.code != 2 || r.stderr == "" {
			t.Errorf("meibo %s: %s; want exit 2 with a message", strings.Join(args, " "), r)
		}
	}
	// Help is not an error.
	if r := c.run([]string{"import", "--help"}); r.code != 0 || !strings.Contains(r.stdout, "--format") {
		t.Errorf("import --help: %s", r)
	}
}

// TestImportsCommand lists jobs and shows one.
func TestImportsCommand(t *testing.T) {
	c := newCLI(t)
	c.ok("group", "create", "G1")
	c.ok("import", "--format", "users", "--group", "G1", c.file("a.csv", []byte("name,password,email\r\ncarol,,\r\n")))
	c.run([]string{"import", "--format", "users", "--group", "G1", c.file("b.csv", []byte("name,password,email\r\nx y,,\r\n"))})

	r := c.ok("imports", "list")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "ID") || !strings.Contains(lines[1], "FAILED") || !strings.Contains(lines[1], "b.csv") ||
		!strings.Contains(lines[2], "SUCCESS") || !strings.Contains(lines[2], "a.csv") {
		t.Errorf("imports list:\n%s", r.stdout)
	}
	r = c.ok("imports", "list", "--json")
	var jobs []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &jobs); err != nil || len(jobs) != 2 {
		t.Errorf("imports list --json: %v\n%s", err, r.stdout)
	}

	r = c.ok("imports", "show", "2", "--json")
	var job struct {
		ID     int64  `json:"id"`
		Status string `json:"status"`
		File   string `json:"fileName"`
		Errors []struct {
			Row     int    `json:"row"`
			Column  string `json:"column"`
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &job); err != nil {
		t.Fatal(err)
	}
	if job.ID != 2 || job.Status != "FAILED" || job.File != "b.csv" || len(job.Errors) != 1 || job.Errors[0].Row != 2 || job.Errors[0].Column != "name" {
		t.Errorf("imports show 2 --json: %s", r.stdout)
	}
	r = c.ok("imports", "show", "2", "--lang", "ja")
	if !strings.Contains(r.stdout, "ユーザー名に空白") {
		t.Errorf("imports show in Japanese:\n%s", r.stdout)
	}
	if r := c.run([]string{"imports", "show", "99"}); r.code != 1 {
		t.Errorf("an unknown job: %s", r)
	}
	if r := c.run([]string{"imports", "show", "x"}); r.code != 2 {
		t.Errorf("a job ID that is not a number: %s", r)
	}
}

// TestExportAdminsCommand: the administrator file is CRLF, every field
// quoted, 44 columns with a title line, in the configured encoding unless
// --encoding says otherwise.
func TestExportAdminsCommand(t *testing.T) {
	c := newCLI(t)
	c.ok("admin", "create", "ops", "--name", "運用ソ表", "--authorities", "console,import,export", "--password", "Amber-canyon-17")
	c.ok("settings", "set", "admin_csv_encoding", "cp932")

	check := func(data []byte, cp932 bool) {
		t.Helper()
		if utf8.Valid(data) == cp932 {
			t.Fatalf("CP932 %v, but valid UTF-8 is %v", cp932, utf8.Valid(data))
		}
		if cp932 {
			if !bytes.Contains(data, []byte{0x83, 0x5C, 0x95, 0x5C}) {
				t.Errorf("ソ表 is not written as CP932")
			}
			var err error
			if data, err = japanese.ShiftJIS.NewDecoder().Bytes(data); err != nil {
				t.Fatal(err)
			}
		}
		text := string(data)
		if !strings.HasSuffix(text, "\r\n") || strings.Count(text, "\n") != strings.Count(text, "\r\n") {
			t.Errorf("not CRLF throughout")
		}
		lines := strings.Split(strings.TrimSuffix(text, "\r\n"), "\r\n")
		if len(lines) != 2 || !strings.HasPrefix(lines[0], `" ","User ID","Password",`) {
			t.Fatalf("lines %q", lines)
		}
		fieldRE := regexp.MustCompile(`^(?:"(?:[^"]|"")*",){43}"(?:[^"]|"")*"$`)
		for _, l := range lines {
			if !fieldRE.MatchString(l) {
				t.Errorf("not 44 quoted fields: %q", l)
			}
			f, err := csv.NewReader(strings.NewReader(l)).Read()
			if err != nil || len(f) != 44 {
				t.Errorf("%d fields, %v", len(f), err)
			}
		}
		if !strings.Contains(lines[1], `" ","ops"," ","0","0","1","0","0",`) || !strings.Contains(lines[1], `"運用ソ表"`) {
			t.Errorf("row %q", lines[1])
		}
	}
	// No built-ins: this database was never served; only ops.
	r := c.ok("export", "--format", "admins")
	check([]byte(r.stdout), true)
	r = c.ok("export", "--format", "admins", "--encoding", "utf-8")
	check([]byte(r.stdout), false)
	out := filepath.Join(c.dir, "admins.csv")
	r = c.ok("export", "--format", "admins", "-o", out)
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	check(data, true)
	if !strings.Contains(r.stderr, "wrote 1 admins to "+out) {
		t.Errorf("stderr %q", r.stderr)
	}
	// And it imports back unchanged.
	r = c.run([]string{"import", "--format", "admins", "--json", out})
	if rep := oneObject(t, r.stdout); r.code != 0 || rep.Status != "SUCCESS" || rep.Created+rep.Updated != 0 {
		t.Errorf("re-import: %s", r)
	}

	// Users: UTF-8 by default.
	c.ok("group", "create", "G1")
	c.ok("user", "add", "--group", "G1", "表示ｶﾅ", "--email", "kana@example.jp")
	r = c.ok("export", "--format", "users", "--group", "G1")
	if r.stdout != "name,password,email,admin,apiAccess,disabled,profile\r\n表示ｶﾅ,,kana@example.jp,false,false,false,default\r\n" {
		t.Errorf("users export %q", r.stdout)
	}
	r = c.ok("export", "--format", "users", "--group", "G1", "--bom")
	if !strings.HasPrefix(r.stdout, "\uFEFFname,") {
		t.Errorf("--bom: %q", r.stdout)
	}
}

// TestExportFailureLeavesNoFile: when a value cannot be written in the
// encoding, the export fails (1) naming it, and -o leaves no file behind,
// neither the output nor a temporary one; an existing file is kept as it was.
// (meibo refuses such a character in an administrator's fields since
// Shift_JIS files carry them; a database from before that may hold one.)
func TestExportFailureLeavesNoFile(t *testing.T) {
	c := newCLI(t)
	c.ok("admin", "create", "emoji", "--name", "smile", "--authorities", "console")
	c.run([]string{"admin", "edit", "emoji", "--name", "smile 😀"}) // refused
	db, err := store.Open(context.Background(), c.db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(context.Background(), func(tx meibo.Tx) error {
		ad, err := tx.AdminByLoginID(context.Background(), "emoji")
		if err != nil {
			return err
		}
		ad.Name = "smile 😀"
		return tx.UpdateAdmin(context.Background(), ad)
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	outDir := filepath.Join(c.dir, "out")
	if err := os.Mkdir(outDir, 0o700); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(outDir, "admins.csv")
	r := c.run([]string{"export", "--format", "admins", "--encoding", "cp932", "-o", out})
	if r.code != 1 || !strings.Contains(r.stderr, "U+1F600") || !strings.Contains(r.stderr, "emoji") {
		t.Errorf("export: %s", r)
	}
	if entries, _ := os.ReadDir(outDir); len(entries) != 0 {
		t.Errorf("a failed export left %v", entries)
	}
	if err := os.WriteFile(out, []byte("previous"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := c.run([]string{"export", "--format", "admins", "--encoding", "cp932", "-o", out}); r.code != 1 {
		t.Errorf("export: %s", r)
	}
	if b, _ := os.ReadFile(out); string(b) != "previous" {
		t.Errorf("a failed export changed the existing file: %q", b)
	}
	if entries, _ := os.ReadDir(outDir); len(entries) != 1 {
		t.Errorf("a failed export left %v", entries)
	}
	// Standard output gets nothing either.
	if r := c.run([]string{"export", "--format", "admins", "--encoding", "cp932"}); r.code != 1 || r.stdout != "" {
		t.Errorf("export to stdout: %s", r)
	}
	// In UTF-8 it works.
	c.ok("export", "--format", "admins", "--encoding", "utf-8", "-o", out)
	// "-o -" is standard output, and no file named "-".
	if r := c.ok("export", "--format", "admins", "--encoding", "utf-8", "-o", "-"); !strings.HasPrefix(r.stdout, "\uFEFF") && !strings.Contains(r.stdout, "admin") {
		t.Errorf("export -o -: %s", r)
	}
	if _, err := os.Stat("-"); err == nil {
		os.Remove("-")
		t.Error("export -o - wrote a file named \"-\"")
	}
	if r := c.ok("export", "--help"); !strings.Contains(r.stdout, "\n  -o ") || strings.Contains(r.stdout, "--o ") {
		t.Errorf("export --help names -o as:\n%s", r.stdout)
	}
}

// TestEnvironmentFallback: every flag but what a command writes may come
// from its MEIBO_* variable; a flag on the command line wins; a bad value in
// the environment is a usage error.
func TestEnvironmentFallback(t *testing.T) {
	c := newCLI(t)
	delete(c.env, "MEIBO_DB")
	other := filepath.Join(c.dir, "other.db")

	// --db and MEIBO_DB.
	c.ok("group", "create", "G1", "--db", c.db)
	if r := c.run([]string{"group", "list", "--json"}, "MEIBO_DB="+c.db); r.code != 0 || !strings.Contains(r.stdout, `"id": "G1"`) {
		t.Errorf("MEIBO_DB: %s", r)
	}
	if r := c.run([]string{"group", "list", "--json", "--db", other}, "MEIBO_DB="+c.db); r.code != 0 || strings.Contains(r.stdout, "G1") {
		t.Errorf("--db must win over MEIBO_DB: %s", r)
	}
	c.env["MEIBO_DB"] = c.db

	// The import flags.
	f := c.file("u.csv", []byte("name,password,email\r\ncarol,,\r\n"))
	r := c.run([]string{"import", f}, "MEIBO_FORMAT=users", "MEIBO_GROUP=G1", "MEIBO_DRY_RUN=true", "MEIBO_JSON=1", "MEIBO_ENCODING=cp932", "MEIBO_LANG=ja")
	if r.code != 0 {
		t.Fatalf("import from the environment: %s", r)
	}
	if rep := oneObject(t, r.stdout); !rep.DryRun || rep.Created != 1 {
		t.Errorf("report %+v", rep)
	}
	r = c.ok("imports", "show", "1", "--json")
	if !strings.Contains(r.stdout, `"encoding": "cp932"`) || !strings.Contains(r.stdout, `"dryRun": true`) {
		t.Errorf("the job does not carry the environment's options:\n%s", r.stdout)
	}
	if r := c.run([]string{"import", f}, "MEIBO_FORMAT=users", "MEIBO_GROUP=G1", "MEIBO_DRY_RUN=maybe"); r.code != 2 || !strings.Contains(r.stderr, "MEIBO_DRY_RUN") {
		t.Errorf("a bad boolean in the environment: %s", r)
	}
	if r := c.run([]string{"import", "--group", "G9", f}, "MEIBO_FORMAT=users", "MEIBO_GROUP=G1", "MEIBO_DRY_RUN=true"); r.code != 1 {
		t.Errorf("--group must win over MEIBO_GROUP: %s", r)
	}
	if r := c.run([]string{"import", f}, "MEIBO_FORMAT=users", "MEIBO_GROUP=G1", "MEIBO_IMPORT_MAX_BYTES=5", "MEIBO_JSON=true"); r.code != 1 {
		t.Errorf("MEIBO_IMPORT_MAX_BYTES: %s", r)
	}
	// Weak argon2id parameters from the environment are refused (usage).
	if r := c.run([]string{"import", "--format", "users", "--group", "G1", f}, "MEIBO_ARGON2_MEMORY=1024"); r.code != 2 {
		t.Errorf("MEIBO_ARGON2_MEMORY=1024: %s", r)
	}

	// The export flags; the file written comes from the command line
	// alone (a MEIBO_O left in a shell would write every export over one
	// file).
	out, other := filepath.Join(c.dir, "users.csv"), filepath.Join(c.dir, "other.csv")
	r = c.run([]string{"export", "-o", out}, "MEIBO_FORMAT=users", "MEIBO_GROUP=G1", "MEIBO_O="+other, "MEIBO_BOM=true", "MEIBO_ENCODING=utf-8")
	if r.code != 0 {
		t.Fatalf("export from the environment: %s", r)
	}
	if b, err := os.ReadFile(out); err != nil || !bytes.HasPrefix(b, []byte("\uFEFFname,")) {
		t.Errorf("MEIBO_BOM: %q, %v", b, err)
	}
	if _, err := os.Stat(other); err == nil {
		t.Errorf("MEIBO_O chose the file written")
	}

	// What a command writes into a user is never taken from the
	// environment: a MEIBO_PASSWORD left in a shell does not set the
	// password of every user edited, and MEIBO_ADMIN (token create's
	// administrator ID) does not make a user an administrator.
	c.ok("user", "add", "--group", "G1", "erin", "--password", "Copper-lantern-47")
	before := c.ok("user", "show", "--group", "G1", "erin", "--json").stdout
	if r := c.run([]string{"user", "edit", "--group", "G1", "erin", "--disabled"}, "MEIBO_PASSWORD=Other-password-91", "MEIBO_EMAIL=x@example.com",
		"MEIBO_ADMIN=true", "MEIBO_PROFILE=nope"); r.code != 0 {
		t.Fatalf("user edit with data in the environment: %s", r)
	}
	after := c.ok("user", "show", "--group", "G1", "erin", "--json").stdout
	for _, field := range []string{"passwordChangedAt", "email", "admin", "profile"} {
		if jsonField(t, before, field) != jsonField(t, after, field) {
			t.Errorf("user edit took %s from the environment:\n%s\n%s", field, before, after)
		}
	}
	if jsonField(t, after, "disabled") != true {
		t.Errorf("user edit --disabled: %s", after)
	}
	if r := c.run([]string{"user", "add", "--group", "G1", "fay"}, "MEIBO_ADMIN=true", "MEIBO_PASSWORD=Other-password-91"); r.code != 0 ||
		jsonField(t, c.ok("user", "show", "--group", "G1", "fay", "--json").stdout, "admin") != false {
		t.Errorf("user add with MEIBO_ADMIN=true: %s", r)
	}
	if r := c.run([]string{"restore", "--help"}); strings.Contains(r.stdout, "MEIBO_REPLACE") {
		t.Errorf("restore --replace names a variable:\n%s", r.stdout)
	}

	// Every other flag of every command names its variable in --help, and
	// the parser gives each the variable's value.
	flagLine := regexp.MustCompile(`^\s+--(\S+)`)
	for _, cmd := range commands {
		if cmd.name == "version" {
			continue
		}
		sub := "list"
		if cmd.name == "profile" || cmd.name == "token" {
			sub = "create"
		}
		r := c.run([]string{cmd.name, sub, "--help"})
		n := 0
		for _, l := range strings.Split(r.stdout, "\n") {
			if m := flagLine.FindStringSubmatch(l); m != nil {
				n++
				if named := strings.Contains(l, "["+envName(m[1])+"]"); named == commandLineOnly[m[1]] {
					t.Errorf("meibo %s --help: %q names %s: %t, want %t", cmd.name, l, envName(m[1]), named, !named)
				}
			}
		}
		if r.code != 0 || n == 0 {
			t.Errorf("meibo %s %s --help: %s", cmd.name, sub, r)
		}
	}
}

// TestFlagSetEnvironment: parse gives every kind of flag its environment
// value when the flag is not on the command line.
func TestFlagSetEnvironment(t *testing.T) {
	vars := map[string]string{"MEIBO_S": "env", "MEIBO_B": "true", "MEIBO_I": "7", "MEIBO_I64": "64", "MEIBO_D": "90s",
		"MEIBO_F": "fn", "MEIBO_WITH_DASH": "dash", "MEIBO_GIVEN": "env"}
	e := &cliEnv{stdout: io.Discard, stderr: io.Discard, getenv: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }}
	fs := newFlags(e, "x", "x")
	s := fs.String("s", "", "")
	b := fs.Bool("b", false, "")
	i := fs.Int("i", 0, "")
	i64 := fs.Int64("i64", 0, "")
	d := fs.Duration("d", 0, "")
	var fn string
	fs.Func("f", "", func(v string) error { fn = v; return nil })
	dash := fs.String("with-dash", "", "")
	given := fs.String("given", "", "")
	pos, err := fs.parse([]string{"a", "--given", "flag", "b"})
	if err != nil || !slices.Equal(pos, []string{"a", "b"}) {
		t.Fatalf("parse = %v, %v", pos, err)
	}
	if *s != "env" || !*b || *i != 7 || *i64 != 64 || d.Seconds() != 90 || fn != "fn" || *dash != "dash" || *given != "flag" {
		t.Errorf("s=%q b=%v i=%d i64=%d d=%v f=%q with-dash=%q given=%q", *s, *b, *i, *i64, *d, fn, *dash, *given)
	}
}

// TestCLIOnPostgres runs the command line on a PostgreSQL database.
func TestCLIOnPostgres(t *testing.T) {
	dsn := storetest.SchemaDSN(t, storetest.PostgresDSN(t))
	c := newCLI(t)
	c.env["MEIBO_DB"] = dsn
	if r := c.ok("migrate"); !strings.Contains(r.stdout, "applied 0001_init.sql") {
		t.Errorf("migrate: %s", r)
	}
	c.ok("group", "create", "G1")
	f := c.file("u.csv", []byte("name,password,email\r\ncarol,Amber-canyon-17,carol@example.org\r\nソ表,,\r\n"))
	r := c.run([]string{"import", "--format", "users", "--group", "G1", "--json", f})
	if rep := oneObject(t, r.stdout); r.code != 0 || rep.Created != 2 {
		t.Fatalf("import: %s", r)
	}
	r = c.run([]string{"import", "--format", "users", "--group", "G1", "--json", f})
	if rep := oneObject(t, r.stdout); r.code != 1 || rep.Status != "FAILED" || len(rep.Errors) != 2 {
		t.Errorf("import again: %s", r)
	}
	r = c.ok("export", "--format", "users", "--group", "G1", "--encoding", "cp932")
	if !strings.Contains(r.stdout, "\x83\x5C\x95\x5C,,,false,false,false,default\r\n") {
		t.Errorf("export: %q", r.stdout)
	}
	if names := c.userNames("G1"); !slices.Equal(names, []string{"carol", "ソ表"}) {
		t.Errorf("users %v", names)
	}
	if r := c.ok("imports", "list"); !strings.Contains(r.stdout, "FAILED") || !strings.Contains(r.stdout, "SUCCESS") {
		t.Errorf("imports list:\n%s", r.stdout)
	}
}

// TestImportJSONOnEveryFailure: with --json, a failure outside the file's
// rows (a missing file, a group that does not exist) is still one JSON
// object on standard output, and exit code 1.
func TestImportJSONOnEveryFailure(t *testing.T) {
	c := newCLI(t)
	c.ok("group", "create", "G1")
	for _, args := range [][]string{
		{"import", "--format", "users", "--group", "G1", "--json", filepath.Join(t.TempDir(), "missing.csv")},
		{"import", "--format", "users", "--group", "NOPE", "--json", c.file("u.csv", []byte("name,password,email\r\nbob,,\r\n"))},
	} {
		r := c.run(args)
		if r.code != exitFail {
			t.Fatalf("%v: exit %d, want 1\n%s", args, r.code, r)
		}
		rep := oneObject(t, r.stdout)
		if rep.Status != "FAILED" || len(rep.Errors) != 1 || rep.Errors[0]["message"] == "" {
			t.Errorf("%v: %+v", args, rep)
		}
	}
}

// TestImportRowLimitCommand: meibo import has no row limit unless
// --import-max-rows (or MEIBO_IMPORT_MAX_ROWS) gives one; over it, the file
// fails with the one message naming the limit and the flag, and nothing is
// written. A limit that bounds nothing by mistake is a usage error.
func TestImportRowLimitCommand(t *testing.T) {
	c := newCLI(t)
	c.ok("group", "create", "G1")
	var b strings.Builder
	b.WriteString("name,password,email\r\n")
	for i := range 12 {
		fmt.Fprintf(&b, "u%02d,,\r\n", i)
	}
	file := c.file("rows.csv", []byte(b.String()))
	want := "The file has more than 10 data rows, the limit of one import; nothing was written. Split it into smaller files, or raise the limit with the --import-max-rows flag (MEIBO_IMPORT_MAX_ROWS)."
	for _, r := range []result{
		c.run([]string{"import", "--format", "users", "--group", "G1", "--import-max-rows", "10", "--json", file}),
		c.run([]string{"import", "--format", "users", "--group", "G1", "--json", file}, "MEIBO_IMPORT_MAX_ROWS=10"),
	} {
		rep := oneObject(t, r.stdout)
		if r.code != 1 || rep.Status != "FAILED" || len(rep.Errors) != 1 || rep.Errors[0]["message"] != want {
			t.Errorf("over the limit: %s", r)
		}
	}
	if names := c.userNames("G1"); len(names) != 0 {
		t.Errorf("a file over the row limit wrote %v", names)
	}
	if r := c.run([]string{"import", "--format", "users", "--group", "G1", "--import-max-per-group", "0", file}); r.code != 2 {
		t.Errorf("--import-max-per-group 0: %s", r)
	}
	r := c.run([]string{"import", "--format", "users", "--group", "G1", "--json", file})
	if rep := oneObject(t, r.stdout); r.code != 0 || rep.Created != 12 {
		t.Errorf("without a limit: %s", r)
	}
}

// jsonField reads one field of a JSON object a command printed.
func jsonField(t *testing.T, out, field string) any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("not a JSON object: %v\n%s", err, out)
	}
	return m[field]
}
