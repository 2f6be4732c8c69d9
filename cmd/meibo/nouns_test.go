package main

import (
	"encoding/csv"
	"encoding/json"
	"flag"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/meibo/meibo/store/storetest"
)

// eachEngine runs fn with a command line on a fresh database of every engine.
func eachEngine(t *testing.T, fn func(t *testing.T, c *cli)) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			c := newCLI(t)
			if engine == "postgres" {
				c.env["MEIBO_DB"] = storetest.SchemaDSN(t, storetest.PostgresDSN(t))
			}
			c.ok("migrate")
			fn(t, c)
		})
	}
}

// want runs a command line and checks its exit code and that its output
// holds each of the texts.
func (c *cli) want(code int, args []string, texts ...string) result {
	c.t.Helper()
	r := c.run(args)
	if r.code != code {
		c.t.Fatalf("meibo %s: want exit %d, got %s", strings.Join(args, " "), code, r)
	}
	for _, s := range texts {
		if !strings.Contains(r.stdout+r.stderr, s) {
			c.t.Errorf("meibo %s: output lacks %q:\n%s", strings.Join(args, " "), s, r)
		}
	}
	return r
}

func a(s string) []string { return strings.Fields(s) }

// TestNounCommands runs every verb once as it should work and once as it
// must be refused (1: refused by meibo; 2: a usage mistake), on both
// engines.
func TestNounCommands(t *testing.T) {
	eachEngine(t, func(t *testing.T, c *cli) {
		// group
		c.want(0, a("group create G1 --name Sales"), "created group G1")
		c.want(1, a("group create G1"), "exists")
		c.want(0, a("group create G2"))
		c.want(0, a("group list"), "G1", "Sales", "G2")
		r := c.want(0, a("group list --limit 1"), "G1", `--after "G1"`)
		if strings.Contains(r.stdout, "G2") {
			t.Errorf("group list --limit 1: %s", r)
		}
		c.want(0, a("group list --after G1"), "G2")
		c.want(2, a("group list --json --csv"), "exclude")
		c.want(0, a("group rename G2 Support"), "Support")
		c.want(1, a("group rename G9 X"))
		c.want(0, a("group delete G2"), "deleted group G2")
		c.want(1, a("group delete G2"))

		// profile
		c.want(0, a("profile create --group G1 Field --actions lock,ring"), `created profile "Field"`)
		c.want(1, a("profile create --group G1 Bad --actions explode"))
		c.want(0, a("profile list --group G1"), "Field", "lock,ring", "default")
		c.want(0, a("profile edit --group G1 Field --actions lock --api-access"), "actions: lock; API access: true")
		c.want(1, a("profile edit --group G1 Nobody --actions lock"))
		c.want(2, a("profile list"), "--group")

		// user
		c.want(0, []string{"user", "add", "--group", "G1", "山田太郎", "--email", "yamada@example.org", "--profile", "Field"}, "added user 山田太郎")
		c.want(1, a("user add --group G1 bob --password short"), "password")
		c.want(0, a("user add --group G1 bob --password Tidal-lantern-58"))
		c.want(1, a("user add --group G1 bob"), "already has")
		c.want(0, a("user add --group G1 moved --password-hash $5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5"))
		c.want(1, a("user add --group G1 broken --password-hash $5$salt$short"), "SHA-crypt")
		c.want(0, []string{"user", "show", "--group", "G1", "山田太郎"}, "yamada@example.org", "Field")
		c.want(1, a("user show --group G1 nobody"))
		c.want(0, a("user edit --group G1 bob --email bob@example.org --admin"), "changed user bob")
		c.want(0, a("user show --group G1 bob --json"), `"admin": true`, "bob@example.org")
		c.want(1, a("user edit --group G1 bob --profile Nothing"))
		c.want(0, a("user duplicate --group G1 bob bob2"), "copy of bob")
		c.want(1, a("user duplicate --group G1 bob bob2"), "already has")
		c.want(0, a("user disable --group G1 bob2"), "disabled user bob2")
		c.want(0, a("user list --group G1 --disabled --csv"), "bob2")
		c.want(1, a("user disable --group G1 ghost"))
		c.want(0, a("user enable --group G1 bob2"), "enabled user bob2")
		c.want(1, a("user enable --group G1 ghost"))
		c.want(0, a("user delete --group G1 bob2"), "deleted user bob2")
		c.want(1, a("user delete --group G1 bob2"))
		r = c.want(0, a("user list --group G1 --limit 2"), "bob", `--after "moved"`)
		if strings.Contains(r.stdout, "山田太郎") {
			t.Errorf("page 1 has three users:\n%s", r.stdout)
		}
		c.want(0, a("user list --group G1 --after moved"), "山田太郎")
		r = c.want(0, a("user list --group G1 --csv"))
		rows, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
		if err != nil || len(rows) != 4 || rows[0][0] != "NAME" {
			t.Errorf("user list --csv: %v %q", err, r.stdout)
		}
		public := []string{"--public-url", "https://meibo.example.org"}
		c.want(0, append(a("user invite --group G1 山田太郎"), public...), "outbox")
		c.want(1, append(a("user invite --group G1 moved"), public...), "e-mail")
		c.want(0, append(a("user reset-link --group G1 bob"), public...), "https://meibo.example.org/")
		c.want(1, a("user reset-link --group G1 bob"))

		// admin
		c.want(0, a("admin create ops --password Tidal-lantern-58 --name Ops --authorities console"), "created administrator ops (GUID ")
		c.want(1, []string{"admin", "create", "emoji", "--notes", "sushi 🍣", "--authorities", "console"}, "Shift_JIS")
		c.want(0, a("admin list"), "ops", "Ops")
		c.want(0, a("admin show ops"), "console")
		c.want(1, a("admin show ghost"))
		c.want(0, a("admin edit ops --name Operations --authorities console,logViewer"), "changed administrator ops")
		c.want(0, a("admin list --json"), "Operations")
		c.want(2, a("admin edit ops --authorities nonsense"), "unknown authority")
		c.want(1, a("admin delete ops"), "no enabled administrator")
		c.want(0, a("admin create api --password Tidal-lantern-58 --authorities console"))
		c.want(0, a("admin delete ops"), "deleted administrator ops")
		c.want(1, a("admin delete ops"), "no administrator with the ID ops")

		// settings, licence
		c.want(0, a("settings set licence_limit 100"), "licence_limit=100")
		c.want(1, a("settings set nothing 1"))
		c.want(0, a("settings list"), "licence_limit=100")
		c.want(0, a("licence"), "3 users counted", "limit 100")
		c.want(2, a("licence extra"))

		// enrolment tokens and devices
		r = c.want(0, a("enrolment-token create --group G1 --user bob"))
		if !strings.HasPrefix(r.stdout, "mbe_") {
			t.Errorf("enrolment token: %s", r)
		}
		c.want(1, a("enrolment-token create --group G9"))
		r = c.want(0, a("enrolment-token list --group G1 --json"))
		var toks []struct {
			ID   int64  `json:"id"`
			User string `json:"user"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &toks); err != nil || len(toks) != 1 || toks[0].User != "bob" {
			t.Fatalf("enrolment-token list: %v %s", err, r)
		}
		// The table names the token's user.
		if r := c.want(0, a("enrolment-token list --group G1")); !strings.Contains(r.stdout, "USER") || !strings.Contains(r.stdout, " bob ") {
			t.Errorf("enrolment-token list:\n%s", r.stdout)
		}
		c.want(2, a("enrolment-token delete --group G1 x"))
		c.want(0, []string{"enrolment-token", "delete", "--group", "G1", jsonID(toks[0].ID)}, "deleted")
		c.want(0, a("device list --group G1"), "ID")
		c.want(1, a("device show 999"))
		c.want(1, a("device command 999 lock"))
		c.want(2, a("device command 999"))
		c.want(1, a("device revoke 999"))

		// audit
		c.want(0, a("audit list --action group.create"), "group.create", "G1")
		c.want(2, a("audit list --since yesterday"))
		r = c.want(0, a("audit export --action user.create"))
		if rows, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll(); err != nil || len(rows) < 4 || rows[0][0] != "id" {
			t.Errorf("audit export: %v %q", err, r.stdout)
		}
		c.want(2, a("audit export --until never"))

		// mail, imports, token
		c.want(0, a("mail list"), "invitation")
		c.want(0, a("mail show 1"), "To: yamada@example.org")
		c.want(1, a("mail show 999"))
		c.want(2, a("mail test ops@example.org"), "--smtp-host")
		f := c.file("u.csv", []byte("name,password,email\r\ncarol,Amber-canyon-17,\r\ncarol,,\r\n"))
		c.run([]string{"import", "--format", "users", "--group", "G1", f})
		c.want(0, a("imports list"), "FAILED")
		c.want(0, a("imports show 1"), "carol")
		c.want(0, a("imports errors 1"), "carol")
		r = c.want(0, a("imports file 1"), "carol")
		if strings.Contains(r.stdout, "Amber-canyon-17") {
			t.Errorf("imports file shows a password: %s", r.stdout)
		}
		c.want(1, a("imports show 99"))
		weak := c.file("weak.csv", []byte("name,passwordHash,email\r\nldap1,{SSHA}BYvR4bETSVq1m1qdhZDJylYzRixzYWx0MTIzNA==,\r\n"))
		c.want(1, []string{"import", "--format", "users", "--group", "G1", weak}, "weak format")
		c.want(0, []string{"import", "--format", "users", "--group", "G1", "--allow-weak-hashes", weak}, "1 users of this group have a password hash of a weak format")
		c.want(0, a("user list --group G1 --weak-hashes"), "ldap1")
		c.want(0, a("token create --admin api --name deploy"), "token for api")
		c.want(1, a("token create --admin ghost"))
		r = c.want(0, a("token list --admin api --json"), "deploy")
		var ks []struct {
			Ref string `json:"ref"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &ks); err != nil || len(ks) != 1 || len(ks[0].Ref) != 12 {
			t.Fatalf("token list: %v %s", err, r)
		}
		c.want(1, a("token list --admin ghost"))
		// Without --admin, every administrator's, each with its own.
		if r := c.want(0, a("token list")); !strings.Contains(r.stdout, "ADMIN") || !strings.Contains(r.stdout, "api ") || !strings.Contains(r.stdout, "deploy") {
			t.Errorf("token list of everyone:\n%s", r.stdout)
		}
		if r := c.want(0, a("token list --json")); !strings.Contains(r.stdout, `"admin": "api"`) || !strings.Contains(r.stdout, `"name": "deploy"`) {
			t.Errorf("token list of everyone, JSON:\n%s", r.stdout)
		}
		c.want(1, a("token revoke --admin api 000000000000"), "no API token")
		c.want(0, []string{"token", "revoke", "--admin", "api", ks[0].Ref}, "revoked")
		if r := c.want(0, a("token list --admin api")); strings.Contains(r.stdout, "deploy") {
			t.Errorf("a revoked token is listed: %s", r)
		}
	})
}

func jsonID(id int64) string { b, _ := json.Marshal(id); return string(b) }

// TestHelpEveryCommand: meibo X --help and meibo X Y --help print the usage
// once, on standard output, with exit 0, and list only the flags the
// command reads: those its usage line names, --db, and the groups of flags
// that go together (hashing, SMTP, --json/--csv) only where they apply.
func TestHelpEveryCommand(t *testing.T) {
	c := newCLI(t)
	flagRE := regexp.MustCompile(`(?m)^  --([a-z0-9-]+)`)
	argon := []string{"argon2-memory", "argon2-time", "argon2-threads"}
	nouns := map[string]*noun{}
	for _, n := range []*noun{groupNoun, profileNoun, userNoun, adminNoun, tokenNoun, settingsNoun, deviceNoun, enrolmentNoun, auditNoun, mailNoun, importsNoun} {
		nouns[n.name] = n
	}
	once := func(args []string) result {
		t.Helper()
		r := c.run(args)
		if r.code != 0 || r.stderr != "" || strings.Count(r.stdout, "Usage: meibo") != 1 {
			t.Errorf("meibo %s: %s", strings.Join(args, " "), r)
		}
		return r
	}
	for _, cmd := range commands {
		r := once([]string{cmd.name, "--help"})
		n := nouns[cmd.name]
		if n == nil {
			continue
		}
		for _, v := range n.verbs {
			if !strings.Contains(r.stdout, v.name) {
				t.Errorf("meibo %s --help does not list %s", cmd.name, v.name)
			}
			r := once([]string{cmd.name, v.name, "--help"})
			var mail mailConfig
			fs := newFlags(&cliEnv{getenv: func(string) (string, bool) { return "", false }}, "x", "x")
			mailFlags(fs, &mail)
			var mailNames []string
			fs.VisitAll(func(f *flag.Flag) { mailNames = append(mailNames, f.Name) })
			for _, m := range flagRE.FindAllStringSubmatch(r.stdout, -1) {
				name := m[1]
				ok := name == "db" || strings.Contains(v.args, "--"+name) || strings.Contains(v.args, "-"+name+" ") ||
					v.hashes && slices.Contains(argon, name) || v.mail && slices.Contains(mailNames, name) ||
					v.list && (name == "json" || name == "csv")
				if !ok {
					t.Errorf("meibo %s %s --help lists --%s, which its usage does not name", cmd.name, v.name, name)
				}
			}
			if !v.mail && strings.Contains(r.stdout, "--smtp-host") || !v.hashes && strings.Contains(r.stdout, "--argon2") {
				t.Errorf("meibo %s %s --help lists flags it does not read:\n%s", cmd.name, v.name, r.stdout)
			}
		}
	}
	// meibo alone, and help: the overview.
	if r := c.run([]string{"--help"}); r.code != 0 || !strings.Contains(r.stdout, "enrolment-token") {
		t.Errorf("meibo --help: %s", r)
	}
}

// TestGlobalFlagsAndSuggestions: --db before the command; an unknown
// command or verb names the nearest; meibo version reads the build.
func TestGlobalFlagsAndSuggestions(t *testing.T) {
	c := newCLI(t)
	delete(c.env, "MEIBO_DB")
	other := c.dir + "/other.db"
	c.want(0, []string{"--db", other, "migrate"})
	c.want(0, []string{"--db=" + other, "group", "create", "G1"})
	c.want(0, []string{"--db", other, "group", "list"}, "G1")
	c.want(2, a("gruop list"), `did you mean "group"`)
	c.want(2, []string{"--db", other, "user", "lst"}, `did you mean "list"`)
	c.want(2, a("--verbose group list"), "only --db and --lang")
	// A value that begins with "-" reads as a flag; after "--" it is the
	// value, and the refusal says so.
	c.want(2, []string{"--db", other, "profile", "create", "--group", "G1", "-マイナス"}, `goes after "--"`)
	c.want(0, []string{"--db", other, "profile", "create", "--group", "G1", "--", "-マイナス"}, `created profile "-マイナス"`)
	// A mistyped flag is only that; --lang after the command is told where
	// it goes.
	if r := c.want(2, []string{"--db", other, "group", "list", "--verbos"}, "flag provided but not defined: -verbos"); strings.Contains(r.stderr, `"--"`) {
		t.Errorf("a mistyped flag is told about \"--\": %s", r.stderr)
	}
	c.want(2, []string{"--db", other, "group", "list", "--lang", "ja"}, "--lang goes before the command")
	// --lang before the command (or MEIBO_LANG) is the language of every
	// command's refusals, with their fields.
	c.want(1, []string{"--db", other, "--lang", "ja", "group", "create", "G1"}, "グループID G1 は既に存在します")
	c.want(1, []string{"--lang=ja", "--db", other, "user", "add", "--group", "G1", "kai", "--password", "short"}, "パスワードが短すぎます")
	if r := c.run([]string{"--db", other, "user", "show", "--group", "G1", "zed"}, "MEIBO_LANG=ja"); r.code != 1 || !strings.Contains(r.stderr, "「zed」") {
		t.Errorf("MEIBO_LANG=ja: %s", r)
	}
	c.want(1, []string{"--db", other, "group", "create", "G1"}, "A group with the ID G1 already exists.")
	// A refusal of one field that does not say which names it.
	c.want(1, []string{"--db", other, "user", "add", "--group", "G1", strings.Repeat("n", 65)}, "At most 64 characters. (name)")
	c.want(2, []string{"--db", other, "--lang", "fr", "group", "list"}, "--lang must be en or ja")
	if r := c.want(0, a("version")); !strings.HasPrefix(r.stdout, "meibo ") || !strings.Contains(r.stdout, "go1.") {
		t.Errorf("version: %s", r)
	}
}

// TestTableJapanese is a golden test of a table with Japanese names: the
// columns line up by display width (a wide character counts two).
func TestTableJapanese(t *testing.T) {
	tb := newTable("NAME", "EMAIL", "PROFILE")
	tb.add("山田太郎", "yamada@example.jp", "営業")
	tb.add("bob", "bob@example.org", "default")
	tb.add("ｻﾄｳ", "", "ﾃｽﾄ")
	var b strings.Builder
	if err := tb.write(&b); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"NAME      EMAIL              PROFILE\n" +
		"山田太郎  yamada@example.jp  営業\n" +
		"bob       bob@example.org    default\n" +
		"ｻﾄｳ                          ﾃｽﾄ\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}
