package service_test

import (
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

// TestConfirmImport imports a dry run's file for real: from the kept file
// when it held no passwords; when it did (they are not kept), only with the
// same file chosen again. A failed job or a real run is not confirmed, and
// the history filters find jobs by format, group, status and who.
func TestConfirmImport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine)
		e.group("G1")
		e.group("G2")
		plain := []byte("name,password,email\r\nann,,ann@example.com\r\nbob,,bob@example.com\r\n")
		dry := e.run(service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1", DryRun: true, UpdateExisting: true}, plain)
		e.wantSuccess(dry, 2, 0, 0, 0)
		if len(e.users("G1")) != 0 {
			t.Fatal("the dry run wrote users")
		}
		ok, err := e.svc.CanConfirmImport(e.sys, dry.ID)
		if err != nil || !ok.Possible || ok.NeedsFile {
			t.Fatalf("CanConfirmImport = %+v, %v", ok, err)
		}
		job, err := e.svc.ConfirmImport(e.sys, dry.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if job.DryRun || job.GroupID != "G1" || !job.UpdateExisting || job.SHA256 != dry.SHA256 || job.Status != meibo.ImportQueued {
			t.Errorf("confirmed job %+v", job)
		}
		done, err := e.svc.RunImport(e.sys, job.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		e.wantSuccess(done, 2, 0, 0, 0)
		if len(e.users("G1")) != 2 {
			t.Errorf("users after Import now: %v", e.users("G1"))
		}
		// A real run is no dry run to confirm.
		_, err = e.svc.ConfirmImport(e.sys, done.ID, nil)
		wantCode(t, err, meibo.CodeConflict)
		// The dry run was imported once: it names its import, which names
		// it, and it is not imported again (that would set passwords and
		// send invitations again).
		if got, err := e.svc.ImportJob(e.sys, dry.ID); err != nil || got.ImportedAs != job.ID {
			t.Errorf("the dry run's import: %+v, %v", got, err)
		}
		if got, err := e.svc.ImportJob(e.sys, job.ID); err != nil || got.Confirms != dry.ID || got.ImportedAs != 0 {
			t.Errorf("the import's dry run: %+v, %v", got, err)
		}
		if ok, err := e.svc.CanConfirmImport(e.sys, dry.ID); err != nil || ok.Possible {
			t.Errorf("CanConfirmImport of an imported dry run = %+v, %v", ok, err)
		}
		_, err = e.svc.ConfirmImport(e.sys, dry.ID, nil)
		if m := wantCode(t, err, meibo.CodeConflict).Msg; m.Key != "import.confirm.done" || len(m.Args) != 1 || m.Args[0] != job.ID {
			t.Errorf("a dry run confirmed twice: %v", err)
		}
		if jobs, err := e.svc.ImportJobs(e.sys, meibo.ImportFilter{GroupID: "G1"}); err != nil || len(jobs) != 2 {
			t.Errorf("jobs of G1 after confirming twice: %d, %v; want the dry run and its import", len(jobs), err)
		}

		// With passwords, the kept file lost them: choose it again.
		withPw := []byte("name,password,email\r\ncid,Lantern-orbit-51,cid@example.com\r\n")
		dry2 := e.run(service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G2", DryRun: true}, withPw)
		e.wantSuccess(dry2, 1, 0, 0, 0)
		if ok, _ := e.svc.CanConfirmImport(e.sys, dry2.ID); !ok.Possible || !ok.NeedsFile {
			t.Errorf("a file with passwords: %+v", ok)
		}
		_, err = e.svc.ConfirmImport(e.sys, dry2.ID, nil)
		if f := wantCode(t, err, meibo.CodeInvalid).Fields["file"]; f.Key != "import.confirm.file" {
			t.Errorf("without the file: %v", err)
		}
		_, err = e.svc.ConfirmImport(e.sys, dry2.ID, plain)
		if f := wantCode(t, err, meibo.CodeInvalid).Fields["file"]; f.Key != "import.confirm.other" {
			t.Errorf("another file: %v", err)
		}
		job2, err := e.svc.ConfirmImport(e.sys, dry2.ID, withPw)
		if err != nil {
			t.Fatal(err)
		}
		done2, err := e.svc.RunImport(e.sys, job2.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		e.wantSuccess(done2, 1, 0, 0, 0)
		if u := e.users("G2")["cid"]; u == nil || !e.verify(u.PasswordHash, "Lantern-orbit-51") {
			t.Errorf("cid after Import now: %+v", u)
		}

		// A failed dry run is not confirmed.
		bad := e.run(service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1", DryRun: true}, []byte("name,password,email\r\nx,short,\r\n"))
		if bad.Status != meibo.ImportFailed {
			t.Fatalf("bad file: %s", bad.Status)
		}
		if ok, _ := e.svc.CanConfirmImport(e.sys, bad.ID); ok.Possible {
			t.Error("a failed dry run can be confirmed")
		}
		if got := service.FailedMsg(1).In(meibo.English); got != "The file was refused: 1 error; nothing was written." {
			t.Errorf("one error: %q", got)
		}

		// A dry run that took weak hashes imports taking them.
		_, weakHashes := legacyHashes(t)
		var weakName string
		for n := range weakHashes {
			weakName = n
			break
		}
		weak := hashFile(t, []string{"name", "passwordHash", "email"}, map[string]string{weakName: weakHashes[weakName]})
		dry3 := e.run(service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G2", DryRun: true, AllowWeakHashes: true}, weak)
		e.wantSuccess(dry3, 1, 0, 0, 0)
		job3, err := e.svc.ConfirmImport(e.sys, dry3.ID, weak) // hashes are not kept either
		e.must(err)
		if !job3.AllowWeakHashes {
			t.Error("confirming a dry run dropped allowWeakHashes")
		}
		done3, err := e.svc.RunImport(e.sys, job3.ID, nil)
		e.must(err)
		e.wantSuccess(done3, 1, 0, 0, 0)

		// The history's filters.
		count := func(f meibo.ImportFilter) int {
			jobs, err := e.svc.ImportJobs(e.sys, f)
			e.must(err)
			return len(jobs)
		}
		if n := count(meibo.ImportFilter{GroupID: "g2"}); n != 4 {
			t.Errorf("jobs of G2: %d", n)
		}
		if n := count(meibo.ImportFilter{Status: meibo.ImportFailed}); n != 1 {
			t.Errorf("failed jobs: %d", n)
		}
		if n := count(meibo.ImportFilter{Format: meibo.FormatAdmins}); n != 0 {
			t.Errorf("admins jobs: %d", n)
		}
		if n := count(meibo.ImportFilter{CreatedBy: "cli:test"}); n != 7 {
			t.Errorf("jobs by cli:test: %d", n)
		}
		if n := count(meibo.ImportFilter{CreatedBy: "someone"}); n != 0 {
			t.Errorf("jobs by someone: %d", n)
		}
		at := e.stored(dry.ID).CreatedAt
		if n := count(meibo.ImportFilter{From: at.Add(time.Millisecond)}); n != 6 {
			t.Errorf("jobs after the first: %d", n)
		}
		if n := count(meibo.ImportFilter{To: at.Add(time.Millisecond)}); n != 1 {
			t.Errorf("jobs up to the first: %d", n)
		}
	})
}

// TestConfirmAfterFailure: a confirmation that failed (the licence was full:
// nothing was written) does not use the dry run up: once there is room, it
// is confirmed again, and then no more.
func TestConfirmAfterFailure(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine)
		e.group("G1")
		e.user("G1", service.UserInput{Name: "ann"})
		var err error
		dry4 := e.run(service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1", DryRun: true}, []byte("name,password,email\r\ndee,,dee@example.com\r\n"))
		e.wantSuccess(dry4, 1, 0, 0, 0)
		_, err = e.svc.UpdateSettings(e.sys, map[string]string{meibo.SettingLicenceLimit: "1"})
		e.must(err)
		full, err := e.svc.ConfirmImport(e.sys, dry4.ID, nil)
		e.must(err)
		if full, err = e.svc.RunImport(e.sys, full.ID, nil); err != nil || full.Status != meibo.ImportFailed {
			t.Fatalf("the confirmation past the licence: %+v, %v", full, err)
		}
		if got := must(e.svc.ImportJob(e.sys, dry4.ID))(t); got.ImportedAs != 0 {
			t.Errorf("the dry run names its failed confirmation as its import: %d", got.ImportedAs)
		}
		_, err = e.svc.UpdateSettings(e.sys, map[string]string{meibo.SettingLicenceLimit: "0"})
		e.must(err)
		again, err := e.svc.ConfirmImport(e.sys, dry4.ID, nil)
		e.must(err)
		if again, err = e.svc.RunImport(e.sys, again.ID, nil); err != nil {
			t.Fatal(err)
		}
		e.wantSuccess(again, 1, 0, 0, 0)
		if got := must(e.svc.ImportJob(e.sys, dry4.ID))(t); got.ImportedAs != again.ID {
			t.Errorf("the dry run's import: %d, want %d", got.ImportedAs, again.ID)
		}
		_, err = e.svc.ConfirmImport(e.sys, dry4.ID, nil)
		wantCode(t, err, meibo.CodeConflict)

	})
}
