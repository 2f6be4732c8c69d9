package service_test

import (
	"bytes"
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/csvio"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

// TestImportTemplates: the example row of every template, in either
// encoding, passes a dry run of the importer without an error or a warning,
// so that a template never drifts from what imports accept. Each runs where
// its row fits: users into a group without user001; personal and devices
// into a group with user001 and an enrolled device with the example's serial
// number; administrators into a fresh installation.
func TestImportTemplates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine)
		e.bootstrap("Kumo-no-Ue-3141")
		e.group("G1")
		e.group("G2")
		e.user("G2", service.UserInput{Name: "user001", Email: "user001@example.com"})
		dxEnrol(e, "G2", "Tablet", "DMPX1234ABCD", "")
		groups := map[string]string{meibo.FormatUsers: "G1", meibo.FormatPersonal: "G2", meibo.FormatDevices: "G2"}
		counts := map[string][4]int{meibo.FormatUsers: {1, 0, 0, 0}, meibo.FormatPersonal: {0, 1, 0, 0},
			meibo.FormatDevices: {0, 1, 0, 0}, meibo.FormatAdmins: {1, 0, 0, 0}}
		before := e.snapshot()
		for _, format := range csvio.TemplateFormats {
			for _, enc := range []csvio.Encoding{csvio.UTF8, csvio.CP932} {
				var b bytes.Buffer
				e.must(csvio.WriteTemplate(&b, format, enc, enc == csvio.UTF8))
				job := e.run(service.ImportRequest{Format: format, GroupID: groups[format], Encoding: string(enc),
					DryRun: true, FileName: csvio.TemplateName(format)}, b.Bytes())
				c := counts[format]
				e.wantSuccess(job, c[0], c[1], c[2], c[3])
				if errs, warns := e.messages(job); len(errs)+len(warns) > 0 {
					t.Errorf("%s template in %s: %s", format, enc, ixShow(append(errs, warns...)))
				}
			}
		}
		e.sameSnapshot(before, "dry runs of the templates")
	})
}
