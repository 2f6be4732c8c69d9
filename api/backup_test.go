package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/api"
	"github.com/meibo/meibo/argon2id"
	"github.com/meibo/meibo/backup"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

// TestBackupRoutes: backups and restores need authority 7, the backup log 5
// and 25; without them 403 and nothing is sent or changed.
func TestBackupRoutes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := argon2id.ForTests()
		db := storetest.Open(t, engine, nil)
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		svc := service.New(db, service.Config{Hasher: h, Logger: log, Backuper: backup.Store{DB: db, Version: "test"}})
		t.Cleanup(svc.WaitAudits) // the audits of refused requests, before the store closes
		srv := newTestServer(t, api.New(svc, api.Options{Logger: log}))
		t.Cleanup(srv.Close)
		sys := meibo.WithActor(context.Background(), meibo.System("cli:test"))
		const pw = "Lantern-ridge-77"
		tokens := map[string]string{}
		for login, auth := range map[string]meibo.Authorities{
			"keeper":  meibo.NewAuthorities(meibo.AuthBackup),
			"reader":  meibo.NewAuthorities(meibo.AuthLogViewer, meibo.AuthLogBackup),
			"console": meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthLogViewer, meibo.AuthLogConfig),
		} {
			if _, err := svc.CreateAdmin(sys, service.AdminInput{LoginID: login, Name: login, Password: pw, Authorities: auth}); err != nil {
				t.Fatal(err)
			}
			tok, _, err := svc.CreateToken(sys, login, "test", 0)
			if err != nil {
				t.Fatal(err)
			}
			tokens[login] = tok
		}
		do := func(who, method, path string, body []byte) (int, []byte) {
			t.Helper()
			req, _ := http.NewRequest(method, srv.URL+path, bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+tokens[who])
			switch {
			case len(body) > 1 && body[0] == 0x1f && body[1] == 0x8b:
				req.Header.Set("Content-Type", "application/gzip")
			case len(body) > 0:
				req.Header.Set("Content-Type", "application/json")
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res.StatusCode, b
		}
		for _, who := range []string{"console", "reader"} {
			if code, body := do(who, "POST", "/api/v1/backups", nil); code != 403 || bytes.HasPrefix(body, []byte{0x1f, 0x8b}) {
				t.Errorf("backup as %s: %d %q", who, code, body)
			}
		}
		code, file := do("keeper", "POST", "/api/v1/backups", nil)
		if code != 200 || !bytes.HasPrefix(file, []byte{0x1f, 0x8b}) {
			t.Fatalf("backup as keeper: %d %q", code, file)
		}
		if _, err := backup.Verify(bytes.NewReader(file), ""); err != nil {
			t.Fatalf("the downloaded backup: %v", err)
		}
		for _, who := range []string{"console", "keeper"} {
			if code, body := do(who, "GET", "/api/v1/backup-log", nil); code != 403 || strings.Contains(string(body), "entries") {
				t.Errorf("backup log as %s: %d %s", who, code, body)
			}
		}
		code, body := do("reader", "GET", "/api/v1/backup-log", nil)
		var log1 struct{ Entries []meibo.BackupLogEntry }
		if code != 200 || json.Unmarshal(body, &log1) != nil || len(log1.Entries) != 1 || log1.Entries[0].Actor != "keeper" {
			t.Fatalf("backup log as reader: %d %s", code, body)
		}
		if _, err := svc.CreateGroup(sys, meibo.Group{ID: "LATE"}); err != nil {
			t.Fatal(err)
		}
		if code, _ := do("console", "POST", "/api/v1/restore?replace=true", file); code != 403 {
			t.Errorf("restore as console: %d", code)
		}
		if code, body := do("keeper", "POST", "/api/v1/restore", file); code != 400 || !strings.Contains(string(body), "confirm it with ?replace=true") ||
			strings.Contains(string(body), "could not be read") {
			t.Errorf("restore without ?replace=true: %d %s", code, body)
		}
		if _, err := svc.Group(sys, "LATE"); err != nil {
			t.Fatalf("a refused restore changed the data: %v", err)
		}
		if code, body := do("keeper", "POST", "/api/v1/restore?replace=true&name=b.mbk", file); code != 200 {
			t.Fatalf("restore as keeper: %d %s", code, body)
		}
		if _, err := svc.Group(sys, "LATE"); meibo.ErrorCode(err) != meibo.CodeNotFound {
			t.Errorf("a group made after the backup survived the restore: %v", err)
		}
		if code, body := do("keeper", "PUT", "/api/v1/backup-settings", []byte(`{"schedule":"daily 03:00","dir":"/var/backups/meibo","keep":7}`)); code != 200 {
			t.Errorf("schedule as keeper: %d %s", code, body)
		}
		if code, _ := do("console", "PUT", "/api/v1/backup-settings", []byte(`{"schedule":"","dir":"","keep":1}`)); code != 403 {
			t.Errorf("schedule as console: %d", code)
		}
		if code, body := do("keeper", "GET", "/api/v1/backup-settings", nil); code != 200 || !strings.Contains(string(body), "daily 03:00") {
			t.Errorf("read the schedule: %d %s", code, body)
		}
	})
}
