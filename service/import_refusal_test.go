package service_test

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

// ixBase fills a database for the refusal tests: group G1 with profile
// staff, users alice (with a password) and bob (without), the built-in
// administrators and ops, a manager.
func ixBase(e *ixEnv) {
	e.t.Helper()
	e.group("G1")
	e.profile("G1", "staff", false)
	e.user("G1", service.UserInput{Name: "alice", Email: "alice@example.org", Password: "Horse-battery-staple-9", Profile: "staff", Admin: true})
	e.user("G1", service.UserInput{Name: "bob"})
	e.bootstrap("Root-pass-phrase-1")
	e.admin(service.AdminInput{LoginID: "ops", Password: "Ops-pass-phrase-2", Authorities: meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthImport)})
}

// TestImportRefused runs every kind of refused file on both engines: each is
// refused whole, with its own error at the right row and column, the job
// ends FAILED counting nothing, and not one row of the users, the
// administrators, their groups, the licence count or the audit trail
// changes.
func TestImportRefused(t *testing.T) {
	users := func(group string) service.ImportRequest {
		return service.ImportRequest{Format: meibo.FormatUsers, GroupID: group}
	}
	personal := service.ImportRequest{Format: meibo.FormatPersonal, GroupID: "G1"}
	admins := service.ImportRequest{Format: meibo.FormatAdmins}
	xlsx, err := os.ReadFile("../csvio/testdata/book.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	zip, err := os.ReadFile("../csvio/testdata/users.zip")
	if err != nil {
		t.Fatal(err)
	}
	full := strings.Repeat("全", 129) // 258 half-width columns

	cases := []struct {
		name  string
		req   service.ImportRequest
		file  func(t *testing.T) []byte
		setup func(e *ixEnv) (undo func())
		want  []ixWant
	}{
		{name: "duplicate names in one file", req: users("G1"),
			file: ixLines("name,password,email", "carol,,carol@example.org", "dave,,", "carol,,carol2@example.org"),
			want: []ixWant{{4, "name", "The name carol appears already in row 2"}}},
		{name: "duplicate user names in a personal file", req: personal,
			file: ixLines("UserName,Password,Passcode", "alice,Fresh-pass-phrase-1,", "alice,Fresh-pass-phrase-2,"),
			want: []ixWant{{3, "UserName", "The UserName alice appears already in row 2"}}},
		{name: "duplicate administrator IDs", req: admins,
			file: func(t *testing.T) []byte {
				return ixAdminsFile(t, ixAdmin{id: "new1", name: "One"}, ixAdmin{id: "new2"}, ixAdmin{id: "new1", name: "Again"})
			},
			want: []ixWant{{4, "2 (User ID)", "The user ID new1 appears already in row 2"}}},
		{name: "unknown profile", req: users("G1"),
			file: ixLines("name,password,email,profile", "carol,,carol@example.org,staff", "dave,,dave@example.org,nope"),
			want: []ixWant{{3, "profile", `There is no profile named "nope"`}}},
		{name: "a row's every error at once", req: users("G1"),
			file: ixLines("name,password,email,profile", "carol,,carol@example.org,staff", "dave,short,dave@example.org,nope"),
			want: []ixWant{{3, "profile", `There is no profile named "nope"`}, {3, "password", "The password is too short"}}},
		{name: "unknown user in personal", req: personal,
			file: ixLines("UserName,Password,Passcode", "alice,Fresh-pass-phrase-1,", "ghost,Fresh-pass-phrase-2,"),
			want: []ixWant{{3, "UserName", `There is no user named "ghost"`}}},
		{name: "existing user without update-existing", req: users("G1"),
			file: ixLines("name,password,email", "carol,,carol@example.org", "alice,,alice@example.org"),
			want: []ixWant{{3, "name", "The user alice exists already"}}},
		{name: "dependency between authorities", req: admins,
			file: func(t *testing.T) []byte {
				return ixAdminsFile(t, ixAdmin{id: "new1", auth: meibo.NewAuthorities(meibo.AuthConsole)},
					ixAdmin{id: "new2", auth: meibo.NewAuthorities(meibo.AuthLogAttachments)})
			},
			want: []ixWant{{3, "21 (Authority_Log Viewer 1)", "needs Log Viewer (column 5)"}}},
		{name: "device-only authority without its three parents", req: admins,
			file: func(t *testing.T) []byte {
				return ixAdminsFile(t, ixAdmin{id: "new1", auth: meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthDevices, meibo.AuthDevicesOnly)})
			},
			want: []ixWant{{2, "34 (Authority_Management Console 4)", "needs Department administrator (column 8)"}}},
		{name: "notes over 256 half-width columns", req: admins,
			file: func(t *testing.T) []byte {
				return ixAdminsFile(t, ixAdmin{id: "new1", notes: full[:len(full)-3]}, ixAdmin{id: "new2", notes: full})
			},
			want: []ixWant{{3, "44 (Notes)", "this has 258"}}},
		{name: "several e-mail addresses (users)", req: users("G1"),
			file: ixLines("name,password,email", `carol,,"carol@example.org, dave@example.org"`),
			want: []ixWant{{2, "email", "Only one e-mail address"}}},
		{name: "several e-mail addresses (administrators)", req: admins,
			file: func(t *testing.T) []byte {
				return ixAdminsFile(t, ixAdmin{id: "new1", email: "a@example.org;b@example.org"})
			},
			want: []ixWant{{2, "16 (E-mail address 1)", "Only one e-mail address"}}},
		{name: "unknown header", req: users("G1"),
			file: ixLines("name,password,email,colour", "carol,,carol@example.org,blue"),
			want: []ixWant{{1, "colour", `Unknown column "colour"`}}},
		{name: "missing header", req: users("G1"),
			file: ixLines("name,password", "carol,"),
			want: []ixWant{{1, "email", "The required column email is missing"}}},
		{name: "missing personal header item", req: personal,
			file: ixLines("UserName,Password", "alice,Fresh-pass-phrase-1"),
			want: []ixWant{{1, "Passcode", "The required column Passcode is missing"}}},
		{name: "ragged row", req: users("G1"),
			file: ixLines("name,password,email", "carol,,carol@example.org", "dave,,dave@example.org,extra"),
			want: []ixWant{{3, "", "The row has 4 values, but the header has 3 columns"}}},
		{name: "ragged administrator row", req: admins,
			file: func(t *testing.T) []byte {
				return ixCSV(ixAdminTitle(t), ixAdmin{id: "new1"}.line(), ixAdmin{id: "new2"}.line()+`,"x"`)
			},
			want: []ixWant{{3, "", "The row has 45 values, but the administrator format has 44 columns"}}},
		{name: "unterminated quote", req: users("G1"),
			file: func(*testing.T) []byte {
				return []byte("name,password,email\r\ncarol,,carol@example.org\r\ndave,\"Secret-pw-1,dave@example.org\r\n")
			},
			want: []ixWant{{3, "password", "is never closed"}}},
		{name: "XLSX file", req: users("G1"),
			file: func(*testing.T) []byte { return xlsx },
			want: []ixWant{{0, "", "This is a ZIP or Excel (.xlsx) file"}}},
		{name: "ZIP file", req: admins,
			file: func(*testing.T) []byte { return zip },
			want: []ixWant{{0, "", "This is a ZIP or Excel (.xlsx) file"}}},
		{name: "binary file", req: users("G1"),
			file: func(*testing.T) []byte { return []byte("name,password,email\r\ncar\x00ol,,carol@example.org\r\n") },
			want: []ixWant{{0, "", "binary data (a NUL byte at byte 24)"}}},
		{name: "binary data after the first kilobyte", req: users("G1"),
			file: func(*testing.T) []byte {
				var b bytes.Buffer
				b.WriteString("name,password,email\r\n")
				for i := range 100 {
					b.WriteString("user" + strings.Repeat("x", i%10) + string(rune('a'+i%26)) + string(rune('a'+i/26)) + ",,\r\n")
				}
				b.WriteString("tail\x00,,\r\n")
				return b.Bytes()
			},
			want: []ixWant{{0, "", "binary data (a NUL byte at byte"}}},
		{name: "empty file", req: users("G1"),
			file: func(*testing.T) []byte { return nil },
			want: []ixWant{{0, "", "The file is empty"}}},
		{name: "header only with blanks", req: personal,
			file: func(*testing.T) []byte { return []byte("\xEF\xBB\xBF \r\n\r\n") },
			want: []ixWant{{0, "", "The file is empty"}}},
		{name: "password refused by the policy", req: users("G1"),
			file: ixLines("name,password,email", "carol,Abcdef1,carol@example.org"),
			want: []ixWant{{2, "password", "The password is too short: use at least 8 characters"}}},
		{name: "personal password refused by the policy", req: personal,
			file: ixLines("UserName,Password,Passcode", "alice,Abcdef1,"),
			want: []ixWant{{2, "Password", "The password is too short"}}},
		{name: "administrator password refused by the policy", req: admins,
			file: func(t *testing.T) []byte { return ixAdminsFile(t, ixAdmin{id: "new1", pw: "Abcdef1"}) },
			want: []ixWant{{2, "3 (Password)", "The password is too short"}}},
		{name: "licence limit passed", req: users("G1"),
			setup: func(e *ixEnv) func() {
				_, err := e.svc.UpdateSettings(e.sys, map[string]string{meibo.SettingLicenceLimit: "3"})
				e.must(err)
				return func() {
					_, err := e.svc.UpdateSettings(e.sys, map[string]string{meibo.SettingLicenceLimit: "0"})
					e.must(err)
				}
			},
			file: ixLines("name,password,email", "carol,,carol@example.org", "dave,,dave@example.org"),
			want: []ixWant{{0, "", "This would make 4 users against a licence for 3"}}},
		{name: "new administrator on an existing ID", req: admins,
			file: func(t *testing.T) []byte { return ixAdminsFile(t, ixAdmin{id: "ops", name: "Someone else"}) },
			want: []ixWant{{2, "1 (Processing Flag)", "The administrator ops exists already"}}},
		{name: "modify a missing administrator", req: admins,
			file: func(t *testing.T) []byte { return ixAdminsFile(t, ixAdmin{flag: "U", id: "ghost"}) },
			want: []ixWant{{2, "1 (Processing Flag)", "There is no administrator ghost to modify or delete"}}},
		{name: "delete a missing administrator", req: admins,
			file: func(t *testing.T) []byte { return ixAdminsFile(t, ixAdmin{flag: "D", id: "ghost"}) },
			want: []ixWant{{2, "1 (Processing Flag)", "There is no administrator ghost to modify or delete"}}},
		{name: "other authorities for AUTOBACKUPUSER", req: admins,
			file: func(t *testing.T) []byte {
				return ixAdminsFile(t, ixAdmin{flag: "U", id: meibo.BuiltinBackup, name: "Automatic Backup User",
					auth: meibo.NewAuthorities(meibo.AuthBackup, meibo.AuthLogViewer)})
			},
			want: []ixWant{{2, "2 (User ID)", "AUTOBACKUPUSER has only the backup restoration authority"}}},
		{name: "a password for AUTOBACKUPUSER", req: admins,
			file: func(t *testing.T) []byte {
				return ixAdminsFile(t, ixAdmin{flag: "U", id: meibo.BuiltinBackup, pw: "Backup-pass-phrase-3", auth: meibo.BackupAuthorities})
			},
			want: []ixWant{{2, "2 (User ID)", "AUTOBACKUPUSER has only the backup restoration authority"}}},
		{name: "the last manager removed", req: admins,
			file: func(t *testing.T) []byte {
				return ixAdminsFile(t, ixAdmin{id: "new1", pw: "New-pass-phrase-4", auth: meibo.NewAuthorities(meibo.AuthLogViewer)},
					ixAdmin{flag: "U", id: meibo.BuiltinAdmin, name: "admin", auth: meibo.NewAuthorities(meibo.AuthLogViewer)},
					ixAdmin{flag: "D", id: "ops"})
			},
			want: []ixWant{{0, "", "This would leave no enabled administrator who can manage administrators"}}},
	}
	storetest.Each(t, func(t *testing.T, engine string) {
		// One database for every case: each must leave it as it found it.
		e := newIxEnv(t, engine)
		ixBase(e)
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				defer func(outer *testing.T) { e.t = outer }(e.t)
				e.t = t
				if c.setup != nil {
					defer c.setup(e)()
				}
				before := e.snapshot()
				job := e.run(c.req, c.file(t))
				e.wantFailed(job, c.want...)
				e.sameSnapshot(before, "a refused file")
			})
		}
	})
}

// ixLines returns a file function for a CSV file of lines.
func ixLines(l ...string) func(*testing.T) []byte {
	return func(*testing.T) []byte { return ixCSV(l...) }
}

// TestImportTooLarge: a file over the size limit is refused when it is
// submitted (no job, nothing written), and a job whose file has become too
// large for the limit of the process that runs it (a server with a smaller
// limit) ends FAILED with the same clear error.
func TestImportTooLarge(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine, func(c *service.Config) { c.ImportMaxBytes = 1024 })
		ixBase(e)
		var b bytes.Buffer
		b.WriteString("name,password,email\r\n")
		for i := 0; b.Len() <= 1024; i++ {
			b.WriteString("someone" + strings.Repeat("x", i) + ",,\r\n")
		}
		before := e.snapshot()
		jobsBefore, err := e.svc.ImportJobs(e.sys, meibo.ImportFilter{})
		e.must(err)

		_, err = e.svc.SubmitAndRun(e.sys, service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1"}, b.Bytes(), nil)
		var me *meibo.Error
		if !errors.As(err, &me) || me.Code != meibo.CodeTooLarge || !strings.Contains(me.Error(), "larger than the limit of 1 KiB") {
			t.Fatalf("submitting %d bytes against a limit of 1024: %v", b.Len(), err)
		}
		jobsAfter, err := e.svc.ImportJobs(e.sys, meibo.ImportFilter{})
		e.must(err)
		if len(jobsAfter) != len(jobsBefore) {
			t.Errorf("a refused upload left a job")
		}
		e.sameSnapshot(before, "a refused upload")

		// Submitted to a server that takes it, run by one with a smaller limit.
		big := e.otherService(func(c *service.Config) { c.ImportMaxBytes = 1 << 20 })
		job, err := big.SubmitImport(e.sys, service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1"}, b.Bytes())
		e.must(err)
		job, err = e.svc.RunImport(e.sys, job.ID, nil)
		e.must(err)
		e.wantFailed(job, ixWant{0, "", "The file is larger than the limit of 1 KiB"})
		e.sameSnapshot(before, "a file over the limit")
	})
}
