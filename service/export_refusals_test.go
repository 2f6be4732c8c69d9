package service_test

import (
	"io"
	"strings"
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/csvio"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

// TestExportNamesEveryRefusal: an export to Shift_JIS that cannot write
// some values names them all at once, so that they are fixed in one go; a
// single one is refused as before.
func TestExportNamesEveryRefusal(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		e.group("G1")
		for _, n := range []string{"ok", "copy©"} {
			must(e.svc.CreateUser(e.sys, "G1", service.UserInput{Name: n}))(t)
		}
		_, err := e.svc.ExportUsers(e.sys, "G1", io.Discard, csvio.CP932, false)
		if m := wantCode(t, err, meibo.CodeInvalid).Msg; m.Key != "csv.encode.cp932" || !strings.Contains(m.In(meibo.English), "copy©") {
			t.Errorf("one value: %v", err)
		}
		must(e.svc.CreateUser(e.sys, "G1", service.UserInput{Name: "smile😀"}))(t)
		_, err = e.svc.ExportUsers(e.sys, "G1", io.Discard, csvio.CP932, false)
		m := wantCode(t, err, meibo.CodeInvalid).Msg
		for _, lang := range []meibo.Lang{meibo.English, meibo.Japanese} {
			text := m.In(lang)
			if m.Key != "export.refused" || !strings.Contains(text, "copy©") || !strings.Contains(text, "smile😀") || strings.Count(text, "\n") != 2 {
				t.Errorf("two values (%s): %s", lang, text)
			}
		}
		if _, err := e.svc.ExportUsers(e.sys, "G1", io.Discard, csvio.UTF8, false); err != nil {
			t.Errorf("in UTF-8: %v", err)
		}
	})
}
