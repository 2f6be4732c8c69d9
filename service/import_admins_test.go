package service_test

import (
	"time"

	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

var (
	ixConsole = meibo.NewAuthorities(meibo.AuthConsole)
	ixViewer  = meibo.NewAuthorities(meibo.AuthLogViewer, meibo.AuthLogAttachments)
)

// TestImportAdmins applies the three processing flags and their rules.
func TestImportAdmins(t *testing.T) {
	req := service.ImportRequest{Format: meibo.FormatAdmins}
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine)
		e.bootstrap("Root-pass-phrase-1")
		e.admin(service.AdminInput{LoginID: "ops", Name: "Operations", Email: "ops@example.org", Password: "Quiet-harbour-42",
			Authorities: ixConsole, Notes: "night shift"})
		e.admin(service.AdminInput{LoginID: "old", Authorities: ixViewer})
		e.admin(service.AdminInput{LoginID: "same", Name: "Same", Authorities: ixViewer, Notes: "備考"})
		before := e.admins()

		// New, U (a blank password keeps the old one), D, and a new row equal
		// to an existing record (unchanged).
		job := e.run(req, ixAdminsFile(t,
			ixAdmin{id: "new1", pw: "Amber-canyon-17", name: "新しい管理者", email: "new1@example.org", auth: ixViewer, notes: "半角ｶﾅ"},
			ixAdmin{flag: "U", id: "ops", name: "Ops team", email: "ops@example.org", auth: ixConsole.With(meibo.AuthImport)},
			ixAdmin{flag: "D", id: "old"},
			ixAdmin{id: "same", name: "Same", auth: ixViewer, notes: "備考"},
			ixAdmin{flag: "U", id: meibo.BuiltinBackup, name: "Automatic Backup User", auth: meibo.BackupAuthorities},
		))
		e.wantSuccess(job, 1, 1, 1, 2)
		as := e.admins()
		if as["old"] != nil {
			t.Error("old was not deleted")
		}
		n := as["new1"]
		if n == nil || n.Name != "新しい管理者" || n.Email != "new1@example.org" || n.Notes != "半角ｶﾅ" || n.Authorities != ixViewer ||
			n.GUID == "" || n.Builtin || n.Disabled || !e.verify(n.PasswordHash, "Amber-canyon-17") || n.PasswordChangedAt == nil {
			t.Errorf("new1 = %+v", n)
		}
		o := as["ops"]
		if o.Name != "Ops team" || o.Authorities != ixConsole.With(meibo.AuthImport) || o.Notes != "" || o.GUID != before["ops"].GUID {
			t.Errorf("ops = %+v", o)
		}
		if o.PasswordHash != before["ops"].PasswordHash || !e.verify(o.PasswordHash, "Quiet-harbour-42") {
			t.Error("a blank password on U changed the password")
		}
		for _, id := range []string{"same", meibo.BuiltinBackup, meibo.BuiltinAdmin} {
			if !as[id].UpdatedAt.Equal(before[id].UpdatedAt) || as[id].PasswordHash != before[id].PasswordHash {
				t.Errorf("%s was unchanged but rewritten", id)
			}
		}

		// A password on U replaces the old one.
		job = e.run(req, ixAdminsFile(t, ixAdmin{flag: "U", id: "ops", pw: "Velvet-summit-88", name: "Ops team", email: "ops@example.org",
			auth: ixConsole.With(meibo.AuthImport)}))
		e.wantSuccess(job, 0, 1, 0, 0)
		if h := e.admins()["ops"].PasswordHash; !e.verify(h, "Velvet-summit-88") || e.verify(h, "Quiet-harbour-42") {
			t.Error("the password on U was not set")
		}

		// A U row that changes nothing and has no password is unchanged.
		snap := e.snapshot()
		job = e.run(req, ixAdminsFile(t, ixAdmin{flag: "U", id: "ops", name: "Ops team", email: "ops@example.org",
			auth: ixConsole.With(meibo.AuthImport)}))
		e.wantSuccess(job, 0, 0, 0, 1)
		e.sameSnapshot(snap, "an unchanged U row")

		// Column 41 is not read: a row that asks to disable (or a new one
		// written disabled) is told so, and nothing is disabled.
		job = e.run(req, ixAdminsFile(t, ixAdmin{flag: "U", id: "ops", name: "Ops team", email: "ops@example.org",
			auth: ixConsole.With(meibo.AuthImport), raw: map[int]string{41: "1"}}))
		e.wantSuccess(job, 0, 0, 0, 1)
		_, warns := e.messages(job)
		e.wantMessages("warnings", warns, ixWant{2, "41 (Record status)", "Column 41 (Record status) is not read, so ops was neither disabled nor enabled"})
		if e.admins()["ops"].Disabled {
			t.Error("column 41 disabled ops")
		}

		// The built-ins cannot be deleted, nor can one delete oneself.
		job = e.run(req, ixAdminsFile(t, ixAdmin{flag: "D", id: meibo.BuiltinBackup}))
		e.wantFailed(job, ixWant{2, "2 (User ID)", "The built-in administrator AUTOBACKUPUSER cannot be deleted"})
		job = e.run(req, ixAdminsFile(t, ixAdmin{flag: "D", id: meibo.BuiltinAdmin}))
		e.wantFailed(job, ixWant{2, "2 (User ID)", "The built-in administrator admin cannot be deleted"})
		e.sameSnapshot(snap, "refused deletions")

		opsActor := &meibo.Actor{Kind: meibo.ActorAdmin, ID: as["ops"].ID, Name: "ops", Authorities: ixConsole.With(meibo.AuthImport)}
		self, err := e.svc.SubmitImport(meibo.WithActor(bgCtx(), opsActor), req, ixAdminsFile(t, ixAdmin{flag: "D", id: "ops"}))
		e.must(err)
		job, err = e.svc.RunImport(e.sys, self.ID, nil)
		e.must(err)
		e.wantFailed(job, ixWant{2, "2 (User ID)", "You cannot delete your own account"})
		e.sameSnapshot(snap, "deleting oneself")
	})
}

// TestImportAdminsLastManager: a file that would leave no enabled
// administrator able to manage administrators is refused whole, its valid
// rows included; the same file with a manager left applies.
func TestImportAdminsLastManager(t *testing.T) {
	req := service.ImportRequest{Format: meibo.FormatAdmins}
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine)
		e.bootstrap("Root-pass-phrase-1")
		boss := e.admin(service.AdminInput{LoginID: "boss", Password: "Quiet-harbour-42", Authorities: ixConsole})
		e.admin(service.AdminInput{LoginID: "nopw", Authorities: ixConsole}) // cannot sign in: not a manager
		root := e.admins()[meibo.BuiltinAdmin]
		if _, err := e.svc.UpdateAdmin(e.sys, root.ID, meibo.AdminUpdate{Disabled: ixPtr(true)}); err != nil {
			t.Fatal(err)
		}
		_ = boss

		snap := e.snapshot()
		job := e.run(req, ixAdminsFile(t,
			ixAdmin{id: "new1", pw: "Amber-canyon-17", auth: ixViewer},
			ixAdmin{flag: "D", id: "boss"},
		))
		e.wantFailed(job, ixWant{0, "", "This would leave no enabled administrator who can manage administrators"})
		e.sameSnapshot(snap, "deleting the last manager")

		// Taking the console from the last manager is the same.
		job = e.run(req, ixAdminsFile(t, ixAdmin{flag: "U", id: "boss", name: "boss", auth: ixViewer}))
		e.wantFailed(job, ixWant{0, "", "This would leave no enabled administrator who can manage administrators"})
		e.sameSnapshot(snap, "demoting the last manager")

		// With a new manager in the same file, it applies.
		job = e.run(req, ixAdminsFile(t,
			ixAdmin{id: "new1", pw: "Amber-canyon-17", auth: ixConsole},
			ixAdmin{flag: "D", id: "boss"},
		))
		e.wantSuccess(job, 1, 0, 1, 0)
		if as := e.admins(); as["boss"] != nil || as["new1"] == nil || !as["new1"].IsManager() {
			t.Errorf("admins after the swap: %v", as)
		}
	})
}

func ixPtr[T any](v T) *T { return &v }

// TestImportAdminsActor: the rows of a job are written as the administrator
// who submitted it, whatever the ID looks like ("clive" is not the command
// line): one cannot delete oneself, and the audit trail names an
// administrator, not the system.
func TestImportAdminsActor(t *testing.T) {
	req := service.ImportRequest{Format: meibo.FormatAdmins}
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine)
		e.bootstrap("Root-pass-phrase-1")
		for _, id := range []string{"clive", "meibo"} {
			a := e.admin(service.AdminInput{LoginID: id, Password: "Quiet-harbour-42", Authorities: ixConsole.With(meibo.AuthImport)})
			ctx := meibo.WithActor(bgCtx(), &meibo.Actor{Kind: meibo.ActorAdmin, ID: a.ID, Name: id, Authorities: a.Authorities})
			snap := e.snapshot()
			job, err := e.svc.SubmitImport(ctx, req, ixAdminsFile(t, ixAdmin{flag: "D", id: id}))
			e.must(err)
			job, err = e.svc.RunImport(e.sys, job.ID, nil)
			e.must(err)
			e.wantFailed(job, ixWant{2, "2 (User ID)", "You cannot delete your own account"})
			e.sameSnapshot(snap, id+" deleting itself")

			job, err = e.svc.SubmitImport(ctx, req, ixAdminsFile(t, ixAdmin{id: id + "2", auth: ixViewer}))
			e.must(err)
			job, err = e.svc.RunImport(e.sys, job.ID, nil)
			e.must(err)
			e.wantSuccess(job, 1, 0, 0, 0)
			for _, ev := range ixEvents(e) {
				if ev.Action == "admin.create" && ev.ObjectID == id+"2" && (ev.ActorKind != meibo.ActorAdmin || ev.ActorName != id) {
					t.Errorf("%s's row was written by %s %s", id, ev.ActorKind, ev.ActorName)
				}
			}
		}
	})
}

// TestImportAdminsTokens: a password set by a file ends the administrator's
// tokens, as a password set in the console does; deleting ends them too.
func TestImportAdminsTokens(t *testing.T) {
	req := service.ImportRequest{Format: meibo.FormatAdmins}
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine)
		e.bootstrap("Root-pass-phrase-1")
		e.admin(service.AdminInput{LoginID: "ops", Name: "ops", Password: "Quiet-harbour-42", Authorities: ixConsole})
		e.admin(service.AdminInput{LoginID: "old", Name: "old", Password: "Quiet-harbour-43", Authorities: ixConsole})
		e.admin(service.AdminInput{LoginID: "kept", Name: "kept", Password: "Quiet-harbour-44", Authorities: ixConsole})
		token := map[string]string{}
		for _, id := range []string{"ops", "old", "kept"} {
			tok, _, err := e.svc.CreateToken(e.sys, id, "test", time.Hour)
			e.must(err)
			token[id] = tok
		}
		job := e.run(req, ixAdminsFile(t,
			ixAdmin{flag: "U", id: "ops", name: "ops", pw: "Amber-canyon-17", auth: ixConsole},
			ixAdmin{flag: "D", id: "old"},
			ixAdmin{flag: "U", id: "kept", name: "Kept, renamed", auth: ixConsole},
		))
		e.wantSuccess(job, 0, 2, 1, 0)
		for id, live := range map[string]bool{"ops": false, "old": false, "kept": true} {
			_, err := e.svc.Authenticate(bgCtx(), token[id], "192.0.2.1")
			if (err == nil) != live {
				t.Errorf("%s's token after the import: %v, want valid %v", id, err, live)
			}
		}
	})
}

// TestImportAdminsDepartmentDropped: a row that takes the department
// authority away leaves the administrator no groups, as an edit does.
func TestImportAdminsDepartmentDropped(t *testing.T) {
	req := service.ImportRequest{Format: meibo.FormatAdmins}
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine)
		e.bootstrap("Root-pass-phrase-1")
		e.group("G1")
		dept := ixConsole.With(meibo.AuthDepartment)
		e.admin(service.AdminInput{LoginID: "dep", Name: "dep", Password: "Quiet-harbour-42", Authorities: dept, Groups: []string{"G1"}})
		job := e.run(req, ixAdminsFile(t, ixAdmin{flag: "U", id: "dep", name: "dep", auth: ixConsole}))
		e.wantSuccess(job, 0, 1, 0, 0)
		ad, err := e.svc.AdminByLoginID(e.sys, "dep")
		e.must(err)
		if ad.Authorities.Has(meibo.AuthDepartment) || len(ad.Groups) != 0 {
			t.Errorf("after the import: authorities %v, groups %v", ad.Authorities, ad.Groups)
		}
	})
}
