package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/csvio"
)

// TestExportTemplateCommand: meibo export --template writes csvio's template
// of a format, to standard output or to a file, without a database; the
// users template then passes a dry run of meibo import.
func TestExportTemplateCommand(t *testing.T) {
	c := newCLI(t)
	c.db = filepath.Join(c.dir, "none.db") // a database that does not exist, and must not come to
	c.env["MEIBO_DB"] = c.db
	r := c.ok("export", "--template", "--format", "personal", "--encoding", "cp932")
	var want bytes.Buffer
	if err := csvio.WriteTemplate(&want, meibo.FormatPersonal, csvio.CP932, false); err != nil {
		t.Fatal(err)
	}
	if mask := "PASSWORD"; csvio.TemplatePassword.ReplaceAllString(r.stdout, mask) != csvio.TemplatePassword.ReplaceAllString(want.String(), mask) {
		t.Errorf("personal template: %q, want %q", r.stdout, want.String())
	}
	if _, err := os.Stat(c.db); err == nil {
		t.Errorf("writing a template made a database")
	}

	out := filepath.Join(c.dir, "users.csv")
	c.ok("export", "--template", "--format", "users", "--bom", "-o", out)
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(got, []byte("\xef\xbb\xbfname,password,email,")) {
		t.Errorf("users template: %q", got)
	}
	c.ok("group", "create", "G001")
	if r := c.ok("import", "--format", "users", "--group", "G001", "--dry-run", out); !strings.Contains(r.stdout, "SUCCESS") {
		t.Errorf("dry run of the users template:\n%s", r)
	}

	if r := c.run([]string{"export", "--template", "--format", "groups"}); r.code == 0 || !strings.Contains(r.stderr, "--template needs --format") {
		t.Errorf("unknown format: %s", r)
	}
}
