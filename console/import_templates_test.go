package console

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/meibo/meibo/csvio"
)

// TestImportTemplates: the import page offers the template of each format
// the administrator may import, in UTF-8 (with a BOM) and Shift_JIS, and
// points to docs/CSV.md; a link sends csvio's template under the format's
// file name; administrators who may not import get neither.
func TestImportTemplates(t *testing.T) {
	e := newEnv(t)
	admin := e.admin("admin")
	link := func(format, enc string) string {
		return `href="/console/imports/template?format=` + format + `&amp;encoding=` + enc + `"`
	}
	admin.get("/console/imports").want(t, "import page of admin", http.StatusOK, []string{
		link("users", "utf-8"), link("users", "cp932"), link("personal", "utf-8"), link("personal", "cp932"),
		link("devices", "cp932"), link("admins", "cp932"), "docs/CSV.md"})
	importer := e.admin("importer")
	importer.get("/console/imports").want(t, "import page of importer", http.StatusOK,
		[]string{link("users", "cp932"), link("personal", "utf-8"), link("admins", "utf-8")}, link("devices", "utf-8"))

	for _, c := range []struct {
		format, enc string
		want        csvio.Encoding
		ctype       string
	}{
		{"users", "cp932", csvio.CP932, "text/csv; charset=Shift_JIS"},
		{"admins", "cp932", csvio.CP932, "text/csv; charset=Shift_JIS"},
		{"personal", "utf-8", csvio.UTF8, "text/csv; charset=utf-8"},
		{"devices", "utf-8", csvio.UTF8, "text/csv; charset=utf-8"},
	} {
		r := admin.get("/console/imports/template?format=" + c.format + "&encoding=" + c.enc)
		var want bytes.Buffer
		if err := csvio.WriteTemplate(&want, c.format, c.want, c.want == csvio.UTF8); err != nil {
			t.Fatal(err)
		}
		if mask := "PASSWORD"; r.status != http.StatusOK || csvio.TemplatePassword.ReplaceAllString(r.body, mask) != csvio.TemplatePassword.ReplaceAllString(want.String(), mask) {
			t.Errorf("%s %s: %d %q, want %q", c.format, c.enc, r.status, r.body, want.String())
		}
		if cd := r.header.Get("Content-Disposition"); cd != "attachment; filename=meibo-"+c.format+"-template.csv" {
			t.Errorf("%s %s: Content-Disposition %q", c.format, c.enc, cd)
		}
		if ct := r.header.Get("Content-Type"); ct != c.ctype {
			t.Errorf("%s %s: Content-Type %q, want %q", c.format, c.enc, ct, c.ctype)
		}
	}
	admin.get("/console/imports/template?format=groups&encoding=utf-8").want(t, "unknown format", http.StatusNotFound, nil)
	admin.get("/console/imports/template?format=users&encoding=latin-1").want(t, "unknown encoding", http.StatusNotFound, nil)

	viewer := e.admin("viewer")
	viewer.get("/console/imports/template?format=users&encoding=utf-8").want(t, "template for a viewer", http.StatusForbidden, nil)
}
