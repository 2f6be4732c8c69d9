package console

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
)

// TestBackupPages: the Backup page is for holders of authority 7, the backup
// log for Log Viewers with 25; the others get 403 and none of the page. The
// schedule is saved or refused with the error next to its field; a restore
// without its typed confirmation does nothing.
func TestBackupPages(t *testing.T) {
	e := newEnv(t)
	for login, auth := range map[string]meibo.Authorities{
		"keeper": meibo.NewAuthorities(meibo.AuthBackup),
		"reader": meibo.NewAuthorities(meibo.AuthLogViewer, meibo.AuthLogBackup),
	} {
		if _, err := e.svc.CreateAdmin(e.sys, service.AdminInput{LoginID: login, Name: login, Authorities: auth, Password: adminPassword}); err != nil {
			t.Fatal(err)
		}
	}
	keeper, reader, viewer, manager := e.admin("keeper"), e.admin("reader"), e.admin("viewer"), e.admin("manager")

	r := keeper.get(Prefix + "/backup")
	r.expect(t, "backup page", http.StatusOK, enText("backup.title"), enText("backup.restore.warning", "16.0 KiB"), `action="/console/backup/restore"`,
		`href="/console/backup"`)
	r.lacks(t, "backup page nav", `href="/console/backup-log"`)
	for _, b := range []*client{reader, viewer, manager} {
		r := b.get(Prefix + "/backup")
		r.expect(t, "backup page without 7", http.StatusForbidden)
		r.lacks(t, "backup page without 7", `action="/console/backup/restore"`, `href="/console/backup"`)
		r = b.post(Prefix+"/backup/download", nil)
		r.expect(t, "download without 7", http.StatusForbidden)
		if ct := r.header.Get("Content-Type"); ct == "application/gzip" {
			t.Error("a backup was sent without authority 7")
		}
	}
	r = reader.get(Prefix + "/backup-log")
	r.expect(t, "backup log", http.StatusOK, enText("backuplog.title"), enText("backuplog.none"), `href="/console/backup-log"`)
	for _, b := range []*client{keeper, viewer, manager} {
		r := b.get(Prefix + "/backup-log")
		r.expect(t, "backup log without 25", http.StatusForbidden)
		r.lacks(t, "backup log without 25", enText("backuplog.none"), `id="backup-log"`)
	}

	r = keeper.post(Prefix+"/backup/schedule", url.Values{"schedule": {"hourly"}, "dir": {"backups"}, "keep": {"3"}})
	r.expect(t, "bad schedule", http.StatusUnprocessableEntity, msgText(meibo.English, "backup.schedule", "hourly"), msgText(meibo.English, "backup.dir"), `value="hourly"`)
	r = keeper.redirected("schedule", keeper.post(Prefix+"/backup/schedule", url.Values{"schedule": {"daily 02:30"}, "dir": {"/var/backups/meibo"}, "keep": {"5"}}),
		Prefix+"/backup?done=backup.saved")
	r.expect(t, "saved schedule", http.StatusOK, enText("done.backup.saved"), `value="daily 02:30"`, `value="/var/backups/meibo"`, `value="5"`)

	r = keeper.post(Prefix+"/backup/restore", url.Values{"confirm": {"yes"}})
	r.expect(t, "restore unconfirmed", http.StatusUnprocessableEntity, msgText(meibo.English, "backup.confirm", "RESTORE"))
	if _, err := e.svc.Group(e.sys, "G1"); err != nil {
		t.Errorf("an unconfirmed restore changed the data: %v", err)
	}
}
