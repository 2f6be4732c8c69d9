package service_test

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/backup"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/postgres"
	"github.com/meibo/meibo/store/sqlstore"
	"github.com/meibo/meibo/store/storetest"
)

// backupService is a second service on e's database that can make backups,
// on e's clock.
func (e *env) backupService() *service.Service {
	return service.New(e.db, service.Config{Hasher: e.hasher, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Clock: e.clock.Now, Backuper: backup.Store{DB: e.db, Version: "test"}})
}

// TestBackupAuthority: backup, restore and their settings need authority 7,
// the backup log 5 and 25; without them the answer is "forbidden" and
// nothing is shown or written.
func TestBackupAuthority(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		svc := e.backupService()
		e.group("G1")
		const pw = "Lantern-ridge-77"
		backuper := e.actor(e.admin("keeper", pw, meibo.NewAuthorities(meibo.AuthBackup)), pw)
		console := e.actor(e.admin("console", pw, meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthLogViewer, meibo.AuthLogConfig)), pw)
		reader := e.actor(e.admin("reader", pw, meibo.NewAuthorities(meibo.AuthLogViewer, meibo.AuthLogBackup)), pw)

		var file bytes.Buffer
		if _, err := svc.Backup(as(console), &file, "x.mbk"); meibo.ErrorCode(err) != meibo.CodeForbidden || file.Len() != 0 {
			t.Errorf("backup without 7: %v, %d bytes", err, file.Len())
		}
		if _, err := svc.Backup(as(backuper), &file, "x.mbk"); err != nil || file.Len() == 0 {
			t.Fatalf("backup with 7: %v", err)
		}
		if _, err := svc.Restore(as(console), bytes.NewReader(file.Bytes()), "x.mbk", true); meibo.ErrorCode(err) != meibo.CodeForbidden {
			t.Errorf("restore without 7: %v", err)
		}
		if _, err := svc.UpdateBackupSettings(as(console), meibo.BackupSettings{Schedule: "daily 02:00", Dir: "/tmp", Keep: 3}); meibo.ErrorCode(err) != meibo.CodeForbidden {
			t.Errorf("schedule without 7: %v", err)
		}
		if _, err := svc.BackupSettings(as(reader)); meibo.ErrorCode(err) != meibo.CodeForbidden {
			t.Errorf("read the schedule without 7: %v", err)
		}
		for _, a := range []*meibo.Actor{console, backuper} {
			if log, err := svc.BackupLog(as(a), 10); meibo.ErrorCode(err) != meibo.CodeForbidden || log != nil {
				t.Errorf("backup log as %s: %v, %v", a.Name, log, err)
			}
		}
		log, err := svc.BackupLog(as(reader), 10)
		if err != nil || len(log) != 1 || log[0].Actor != "keeper" || log[0].Outcome != "ok" || log[0].Rows == 0 || log[0].FinishedAt == nil {
			t.Fatalf("backup log: %+v, %v", log, err)
		}
		// Backup events are audited, visible with 25 only.
		if evs := e.eventsFor("backup.create"); len(evs) != 1 || evs[0].ActorName != "keeper" || evs[0].Category != meibo.CategoryBackup {
			t.Errorf("backup events %+v", evs)
		}
		if evs := must(e.svc.AuditEvents(as(console), meibo.AuditFilter{Action: "backup.create"}))(t); len(evs) != 0 {
			t.Errorf("a Log Viewer without 25 sees backup events: %v", evs)
		}
	})
}

// TestRestoreReplaces: a restore over a live installation brings back the
// backup's data, signs everyone out, and its own log entry and audit event
// survive it; a refused restore is logged and audited too.
func TestRestoreReplaces(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		svc := e.backupService()
		e.group("G1")
		e.user("G1", "before", "")
		const pw = "Lantern-ridge-77"
		e.admin("keeper", pw, meibo.NewAuthorities(meibo.AuthBackup, meibo.AuthLogViewer, meibo.AuthLogBackup))
		keeper := e.actor(must(e.svc.AdminByLoginID(e.sys, "keeper"))(t), pw)
		var file bytes.Buffer
		must(svc.Backup(as(keeper), &file, "before.mbk"))(t)

		e.user("G1", "after", "")
		secret, _ := must2(e.svc.SignIn(bg, "keeper", pw, "192.0.2.1", "test", meibo.English))(t)
		info, err := svc.Restore(as(keeper), bytes.NewReader(file.Bytes()), "before.mbk", true)
		if err != nil || info.Rows == 0 {
			t.Fatalf("restore: %v", err)
		}
		if _, err := e.svc.UserByName(e.sys, "G1", "after"); meibo.ErrorCode(err) != meibo.CodeNotFound {
			t.Errorf("a user made after the backup survived the restore: %v", err)
		}
		must(e.svc.UserByName(e.sys, "G1", "before"))(t)
		if _, _, err := e.svc.ConsoleActor(bg, secret, "192.0.2.1"); err == nil {
			t.Error("a console session survived the restore")
		}
		if evs := e.eventsFor("backup.restore"); len(evs) != 1 || evs[0].ActorName != "keeper" || evs[0].Details["outcome"] != "ok" {
			t.Errorf("restore events %+v", evs)
		}
		log := must(svc.BackupLog(e.sys, 10))(t)
		if len(log) != 2 || log[0].Kind != "restore" || log[0].Outcome != "ok" || log[1].Kind != "backup" || log[1].Outcome != "ok" || log[1].Size != int64(file.Len()) {
			t.Errorf("backup log after the restore: %+v", log)
		}
		// A cut file is refused, logged and audited; nothing else changes.
		cut := file.Bytes()[:file.Len()/2]
		if _, err := svc.Restore(as(keeper), bytes.NewReader(cut), "cut.mbk", true); meibo.ErrorCode(err) != meibo.CodeInvalid {
			t.Fatalf("restore of a cut file: %v", err)
		}
		must(e.svc.UserByName(e.sys, "G1", "before"))(t)
		log = must(svc.BackupLog(e.sys, 10))(t)
		if len(log) != 3 || log[0].Kind != "restore" || log[0].Outcome != "failed" || log[0].Error == "" || log[0].Size != int64(len(cut)) {
			t.Errorf("backup log after a refused restore: %+v", log[0])
		}
		// A file that is no backup at all is refused at its first line;
		// its whole size is logged.
		junk := bytes.Repeat([]byte("not a backup\n"), 10000)
		if _, err := svc.Restore(as(keeper), bytes.NewReader(junk), "notes.txt", true); meibo.ErrorCode(err) != meibo.CodeInvalid {
			t.Fatalf("restore of a text file: %v", err)
		}
		if log = must(svc.BackupLog(e.sys, 10))(t); log[0].Outcome != "failed" || log[0].File != "notes.txt" || log[0].Size != int64(len(junk)) {
			t.Errorf("backup log after a text file: %+v", log[0])
		}

		// Into a new database, a cut file leaves it empty: the good file
		// then restores into it.
		fresh := newEnv(t, engine)
		fsvc := fresh.backupService()
		sys := meibo.WithActor(bg, meibo.System("cli:test"))
		if _, err := fsvc.Restore(sys, bytes.NewReader(cut), "cut.mbk", false); meibo.ErrorCode(err) != meibo.CodeInvalid {
			t.Fatalf("restore of a cut file into a new database: %v", err)
		}
		if _, err := fsvc.Restore(sys, bytes.NewReader(file.Bytes()), "before.mbk", false); err != nil {
			t.Fatalf("restore into the database a cut file was refused for: %v", err)
		}
		must(fresh.svc.UserByName(fresh.sys, "G1", "before"))(t)
	})
}

// TestScheduledBackup: the scheduled backup runs as AUTOBACKUPUSER once per
// scheduled time however many servers look, appears in the backup log, and
// keeps the newest files only.
func TestScheduledBackup(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		e.group("G1")
		dir := t.TempDir()
		servers := []*service.Service{e.backupService(), e.backupService(), e.backupService()}
		if engine == "postgres" {
			// Servers of their own: each with its own connections to one
			// database.
			dsn := storetest.SchemaDSN(t, storetest.PostgresDSN(t))
			servers = nil
			for i := 0; i < 3; i++ {
				db, err := postgres.Open(bg, dsn, 4, sqlstore.Options{Clock: e.clock.Now})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				if _, err := db.Migrate(bg); err != nil {
					t.Fatal(err)
				}
				servers = append(servers, service.New(db, service.Config{Hasher: e.hasher, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
					Clock: e.clock.Now, Backuper: backup.Store{DB: db, Version: "test"}}))
			}
		}
		if _, err := servers[0].UpdateBackupSettings(e.sys, meibo.BackupSettings{Schedule: "every 2h", Dir: "relative", Keep: 2}); meibo.ErrorCode(err) != meibo.CodeInvalid {
			t.Errorf("a relative folder: %v", err)
		}
		if _, err := servers[0].UpdateBackupSettings(e.sys, meibo.BackupSettings{Schedule: "hourly", Dir: dir, Keep: 2}); meibo.ErrorCode(err) != meibo.CodeInvalid {
			t.Errorf("a schedule that cannot be read: %v", err)
		}
		must(servers[0].UpdateBackupSettings(e.sys, meibo.BackupSettings{Schedule: "every 6h", Dir: dir, Keep: 2}))(t)
		e.clock.Add(3 * time.Hour) // set at 09:00: the first scheduled time is 12:00
		for round := 0; round < 4; round++ {
			var wg sync.WaitGroup
			made := make([]bool, len(servers))
			for i, s := range servers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ok, err := s.RunScheduledBackup(bg)
					if err != nil {
						t.Error(err)
					}
					made[i] = ok
				}()
			}
			wg.Wait()
			if n := len(slices.DeleteFunc(slices.Clone(made), func(b bool) bool { return !b })); n != 1 {
				t.Fatalf("round %d: %d servers made the backup", round, n)
			}
			// Looking again within the same slot makes nothing.
			if ok, _ := servers[1].RunScheduledBackup(bg); ok {
				t.Fatalf("round %d: a second backup in one slot", round)
			}
			e.clock.Add(6 * time.Hour)
		}
		files, _ := filepath.Glob(filepath.Join(dir, "*"))
		if len(files) != 2 {
			t.Errorf("files after rotation: %v", files)
		}
		for _, f := range files {
			fh := must(os.Open(f))(t)
			if _, err := backup.Verify(fh, ""); err != nil {
				t.Errorf("%s: %v", f, err)
			}
			fh.Close()
		}
		log := must(servers[0].BackupLog(e.sys, 10))(t)
		if len(log) != 4 {
			t.Fatalf("backup log: %+v", log)
		}
		for _, l := range log {
			if l.Via != "scheduled" || l.Actor != meibo.BuiltinBackup || l.Outcome != "ok" || l.Slot == "" {
				t.Errorf("log entry %+v", l)
			}
		}
		if evs := must(servers[1].AuditEvents(e.sys, meibo.AuditFilter{Action: "backup.create"}))(t); len(evs) != 4 || evs[0].ActorName != meibo.BuiltinBackup {
			t.Errorf("scheduled backup events: %+v", evs)
		}
	})
}

// TestScheduledBackupsOfACopy: an installation restored from another's
// backup takes its backup settings with it, folder included; its scheduled
// files are named by its own installation, so that neither overwrites nor
// removes the other's files, nor a file of another name in the folder.
func TestScheduledBackupsOfACopy(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		e.group("G1")
		dir := t.TempDir()
		download := filepath.Join(dir, "meibo-20240401-080000.mbk")
		if err := os.WriteFile(download, []byte("a download kept here"), 0o600); err != nil {
			t.Fatal(err)
		}
		orig := e.backupService()
		must(orig.UpdateBackupSettings(e.sys, meibo.BackupSettings{Schedule: "every 6h", Dir: dir, Keep: 2}))(t)
		e.clock.Add(3 * time.Hour)
		if ok, err := orig.RunScheduledBackup(bg); !ok || err != nil {
			t.Fatalf("first scheduled backup: %v %v", ok, err)
		}
		var file bytes.Buffer
		must(orig.Backup(e.sys, &file, "copy.mbk"))(t)

		cp := newEnv(t, engine)
		cp.clock.Add(3 * time.Hour) // the copy's clock is the original's
		copySvc := cp.backupService()
		must(copySvc.Restore(cp.sys, bytes.NewReader(file.Bytes()), "copy.mbk", false))(t)
		if st := must(copySvc.BackupSettings(cp.sys))(t); st.Dir != dir {
			t.Fatalf("the copy's settings: %+v", st)
		}
		for range 3 {
			e.clock.Add(6 * time.Hour)
			cp.clock.Add(6 * time.Hour)
			for _, s := range []*service.Service{orig, copySvc} {
				if ok, err := s.RunScheduledBackup(bg); !ok || err != nil {
					t.Fatalf("scheduled backup: %v %v", ok, err)
				}
			}
		}
		names := map[string]int{}
		files, _ := filepath.Glob(filepath.Join(dir, "*"))
		for _, f := range files {
			base := filepath.Base(f)
			if f == download {
				continue
			}
			if !regexp.MustCompile(`^meibo-[0-9a-f]{8}-\d{8}-\d{6}\.mbk$`).MatchString(base) {
				t.Errorf("a scheduled backup named %s", base)
			}
			names[base[:len("meibo-12345678-")]]++
		}
		if len(names) != 2 {
			t.Errorf("the two installations' files: %v (%v)", names, files)
		}
		for p, n := range names {
			if n != 2 {
				t.Errorf("%d files of %s, want the 2 kept", n, p)
			}
		}
		if b, err := os.ReadFile(download); err != nil || string(b) != "a download kept here" {
			t.Errorf("the download in the folder: %q %v", b, err)
		}
	})
}

// TestScheduledBackupWhen: a scheduled time before the schedule was set is
// not backed up; a file is named after the time it was taken (a time
// missed while the server was down is backed up later, under the later
// time); a failed backup is tried again after a wait that grows, until it
// succeeds; and a folder that a file stands in the way of is refused when
// it is set.
func TestScheduledBackupWhen(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine) // 2024-04-01 09:00 UTC
		s := e.backupService()
		dir := filepath.Join(t.TempDir(), "backups")
		files := func() []string {
			names, _ := filepath.Glob(filepath.Join(dir, "meibo-*.mbk"))
			for i, n := range names {
				names[i] = filepath.Base(n)[len("meibo-12345678-"):]
			}
			return names
		}
		run := func(want bool, wantErr bool) {
			t.Helper()
			ok, err := s.RunScheduledBackup(bg)
			if ok != want || (err != nil) != wantErr {
				t.Fatalf("at %v: made %v, %v; want %v, error %v", e.clock.Now(), ok, err, want, wantErr)
			}
		}

		// A folder under a file: refused at once, naming the file.
		file := filepath.Join(t.TempDir(), "plain")
		noErr(t, os.WriteFile(file, []byte("x"), 0o600))
		_, err := s.UpdateBackupSettings(e.sys, meibo.BackupSettings{Schedule: "daily 09:02", Dir: filepath.Join(file, "sub"), Keep: 5})
		if meibo.ErrorCode(err) != meibo.CodeInvalid || err == nil || !strings.Contains(err.Error(), file+" is a file, not a folder") {
			t.Errorf("a folder under a file: %v", err)
		}

		// Set at 09:00 for 09:02: yesterday's 09:02 is not made.
		must(s.UpdateBackupSettings(e.sys, meibo.BackupSettings{Schedule: "daily 09:02", Dir: dir, Keep: 5}))(t)
		if st := must(s.BackupSettings(e.sys))(t); !st.Since.IsZero() {
			t.Errorf("the settings show %v", st.Since)
		}
		run(false, false)
		e.clock.Add(2 * time.Minute)
		run(true, false)
		run(false, false)
		// The same schedule set again does not move its start.
		must(s.UpdateBackupSettings(e.sys, meibo.BackupSettings{Schedule: "daily  09:02", Dir: dir, Keep: 4}))(t)

		// Down over the next day's 09:02: made at 10:00, named so.
		e.clock.Add(24*time.Hour + 58*time.Minute)
		run(true, false)
		if got := files(); !slices.Equal(got, []string{"20240401-090200.mbk", "20240402-100000.mbk"}) {
			t.Errorf("files %v", got)
		}

		// The folder unusable at the next time: tried again after 1, 2 and
		// 4 minutes, not between.
		noErr(t, os.RemoveAll(dir))
		noErr(t, os.WriteFile(dir, []byte("in the way"), 0o600))
		e.clock.Add(23*time.Hour + 2*time.Minute) // 2024-04-03 09:02
		run(true, true)
		run(false, false)
		e.clock.Add(time.Minute)
		run(true, true)
		e.clock.Add(time.Minute)
		run(false, false)
		e.clock.Add(time.Minute)
		run(true, true)
		noErr(t, os.Remove(dir))
		e.clock.Add(3 * time.Minute)
		run(false, false)
		e.clock.Add(time.Minute) // 09:09, 4 minutes after the third try
		run(true, false)
		e.clock.Add(30 * time.Minute)
		run(false, false)
		if got := files(); !slices.Equal(got, []string{"20240403-090900.mbk"}) { // the folder was made anew
			t.Errorf("files %v", got)
		}
		log := must(s.BackupLog(e.sys, 10))(t)
		var outcomes []string
		for _, l := range log {
			if strings.HasPrefix(l.Slot, "2024-04-03T09:02:00Z") {
				outcomes = append(outcomes, l.Outcome)
			}
		}
		if !slices.Equal(outcomes, []string{"ok", "failed", "failed", "failed"}) {
			t.Errorf("the tries of 04-03 09:02: %v", outcomes)
		}
	})
}

// TestRestoreSettlesRunningImports: an import running when a backup was
// taken fails in the restored installation at once, saying why, counted as
// an error, its file kept without its passwords; it does not wait for the
// two minutes after which a silent worker's job is given up.
func TestRestoreSettlesRunningImports(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		e.group("G1")
		q := must(e.svc.SubmitImport(e.sys, service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1", FileName: "u.csv"},
			[]byte("name,password,email\r\nann,Amber-canyon-17,ann@example.org\r\n")))(t)
		noErr(t, e.db.Update(bg, func(tx meibo.Tx) error {
			j, err := tx.ClaimImportJobID(bg, q.ID, "elsewhere:1")
			if err == nil && j == nil {
				t.Fatal("the job was not claimed")
			}
			return err
		}))
		var file bytes.Buffer
		must(e.backupService().Backup(e.sys, &file, "running.mbk"))(t)

		cp := newEnv(t, engine)
		must(cp.backupService().Restore(cp.sys, bytes.NewReader(file.Bytes()), "running.mbk", false))(t)
		j := must(cp.svc.ImportJob(cp.sys, q.ID))(t)
		if j.Status != meibo.ImportFailed || j.ErrorCount != 1 || !strings.Contains(j.Message, "running when the backup") {
			t.Errorf("the running job after the restore: %s, %d errors, %q", j.Status, j.ErrorCount, j.Message)
		}
		if ms := must(cp.svc.ImportMessages(cp.sys, q.ID, 10))(t); len(ms) != 1 || !strings.Contains(ms[0].Text, "Upload the file again") {
			t.Errorf("its messages: %+v", ms)
		}
		if _, data, err := cp.svc.ImportFile(cp.sys, q.ID); err != nil || strings.Contains(string(data), "Amber-canyon-17") {
			t.Errorf("its file: %q %v", data, err)
		}
	})
}

// TestBackupSchedule: the latest scheduled time. Hours are counted from
// midnight UTC each day; a daily time is the zone's wall clock on days the
// clocks change too.
func TestBackupSchedule(t *testing.T) {
	tokyo := time.FixedZone("JST", 9*3600)
	newYork, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 5, 20, 30, 0, 0, time.UTC) // 05:30 on the 6th in Tokyo
	for _, c := range []struct {
		in   string
		now  time.Time
		loc  *time.Location
		want time.Time
	}{
		{"daily 02:00", now, tokyo, time.Date(2026, 12, 6, 2, 0, 0, 0, tokyo)},
		{"daily 06:00", now, tokyo, time.Date(2026, 12, 5, 6, 0, 0, 0, tokyo)},
		{"every 6h", now, tokyo, time.Date(2026, 12, 5, 18, 0, 0, 0, time.UTC)},
		{"every 1 h", now, tokyo, time.Date(2026, 12, 5, 20, 0, 0, 0, time.UTC)},
		// Every 5 h: 00, 05, 10, 15 and 20 h UTC, every day.
		{"every 5h", time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC), tokyo, time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)},
		{"every 5h", time.Date(2026, 12, 7, 11, 0, 0, 0, time.UTC), tokyo, time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)},
		{"every 5h", time.Date(2026, 12, 7, 23, 59, 0, 0, time.UTC), tokyo, time.Date(2026, 12, 7, 20, 0, 0, 0, time.UTC)},
		{"every 24h", time.Date(2026, 12, 7, 23, 59, 0, 0, time.UTC), tokyo, time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)},
		// The day summer time ends (02:00 EDT becomes 01:00 EST) and the
		// day it begins (02:00 EST becomes 03:00 EDT): 02:30 and 04:00 of
		// the wall clock.
		{"daily 02:30", time.Date(2026, 11, 1, 17, 0, 0, 0, time.UTC), newYork, time.Date(2026, 11, 1, 7, 30, 0, 0, time.UTC)},
		{"daily 04:00", time.Date(2026, 3, 8, 17, 0, 0, 0, time.UTC), newYork, time.Date(2026, 3, 8, 8, 0, 0, 0, time.UTC)},
		{"daily 23:00", time.Date(2026, 3, 9, 3, 30, 0, 0, time.UTC), newYork, time.Date(2026, 3, 9, 3, 0, 0, 0, time.UTC)},
	} {
		s, err := service.ParseBackupSchedule(c.in)
		if err != nil {
			t.Fatalf("%q: %v", c.in, err)
		}
		if got := s.Last(c.now, c.loc); !got.Equal(c.want) {
			t.Errorf("%q at %v: last %v, want %v", c.in, c.now, got.UTC(), c.want.UTC())
		}
	}
	for _, bad := range []string{"", "daily", "daily 25:00", "every 0h", "every 6", "weekly 02:00", "every 200h"} {
		if _, err := service.ParseBackupSchedule(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
