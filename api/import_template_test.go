package api_test

import (
	"bytes"
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/csvio"
	"github.com/meibo/meibo/store/storetest"
)

// TestImportTemplate: GET /api/v1/imports/template sends csvio's template of
// the format in the encoding asked, as a download named after the format;
// it needs a token, a known format and an encoding a file can be written in.
func TestImportTemplate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newAPIEnv(t, engine)
		for _, c := range []struct {
			query       string
			format      string
			enc         csvio.Encoding
			bom         bool
			contentType string
		}{
			{"format=users&encoding=cp932", meibo.FormatUsers, csvio.CP932, false, "text/csv; charset=Shift_JIS"},
			{"format=admins&encoding=sjis", meibo.FormatAdmins, csvio.CP932, false, "text/csv; charset=Shift_JIS"},
			{"format=personal", meibo.FormatPersonal, csvio.UTF8, false, "text/csv; charset=utf-8"},
			{"format=devices&encoding=utf-8&bom=true", meibo.FormatDevices, csvio.UTF8, true, "text/csv; charset=utf-8"},
		} {
			r := e.do("GET", "/api/v1/imports/template?"+c.query, "blind", "", nil)
			var want bytes.Buffer
			if err := csvio.WriteTemplate(&want, c.format, c.enc, c.bom); err != nil {
				t.Fatal(err)
			}
			if mask := "PASSWORD"; r.status != 200 || csvio.TemplatePassword.ReplaceAllString(r.body, mask) != csvio.TemplatePassword.ReplaceAllString(want.String(), mask) {
				t.Errorf("%s: %d %q, want 200 %q", c.query, r.status, r.body, want.String())
			}
			if got := r.header.Get("Content-Type"); got != c.contentType {
				t.Errorf("%s: Content-Type %q, want %q", c.query, got, c.contentType)
			}
			if got, want := r.header.Get("Content-Disposition"), "attachment; filename=meibo-"+c.format+"-template.csv"; got != want {
				t.Errorf("%s: Content-Disposition %q, want %q", c.query, got, want)
			}
		}
		for query, status := range map[string]int{
			"format=groups":                 422,
			"format=users&encoding=auto":    400,
			"format=users&encoding=latin-1": 400,
			"format=users&bom=maybe":        400,
		} {
			if r := e.do("GET", "/api/v1/imports/template?"+query, "manager", "", nil); r.status != status {
				t.Errorf("%s: %d, want %d: %s", query, r.status, status, r.body)
			}
		}
		if r := e.do("GET", "/api/v1/imports/template?format=users", "", "", nil); r.status != 401 {
			t.Errorf("without a token: %d, want 401", r.status)
		}
	})
}
