package service_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

// TestImportChanges: a job lists every user and administrator it created,
// updated or deleted, with the row and what changed, never a password; a
// dry run and a refused file list nothing; a job lists at most
// ImportMaxChanges and says how many it made.
func TestImportChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine, func(c *service.Config) { c.ImportMaxChanges = 3 })
		e.group("G1")
		e.profile("G1", "field", true)
		e.user("G1", service.UserInput{Name: "ann", Email: "ann@example.com"})
		changes := func(job *meibo.ImportJob) []meibo.ImportChange {
			t.Helper()
			list, err := e.svc.ImportChanges(e.sys, job.ID, 0, 0)
			e.must(err)
			return list
		}
		file := []byte("name,password,email,admin,apiAccess,disabled,profile\r\n" +
			"ann,Quiet-harbour-31,ann@example.org,TRUE,,,field\r\n" +
			"bob,,bob@example.com,,,,\r\n")
		dry := e.run(service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1", UpdateExisting: true, DryRun: true}, file)
		e.wantSuccess(dry, 1, 1, 0, 0)
		if got := changes(dry); len(got) != 0 {
			t.Errorf("a dry run lists changes: %+v", got)
		}
		job := e.run(service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1", UpdateExisting: true}, file)
		e.wantSuccess(job, 1, 1, 0, 0)
		got := changes(job)
		if len(got) != 2 {
			t.Fatalf("changes: %+v", got)
		}
		ann, bob := got[0], got[1]
		if ann.Row != 2 || ann.Kind != meibo.ChangeUser || ann.Action != meibo.ChangeUpdated || ann.Name != "ann" ||
			ann.Changes != "email: ann@example.com → ann@example.org; profile: default → field; admin: no → yes; password: changed" {
			t.Errorf("ann: %+v", ann)
		}
		if bob.Row != 3 || bob.Action != meibo.ChangeCreated || bob.Name != "bob" || !strings.Contains(bob.Changes, "email: bob@example.com") {
			t.Errorf("bob: %+v", bob)
		}
		var csv bytes.Buffer
		e.must(e.svc.WriteImportChanges(e.sys, job.ID, &csv))
		if s := csv.String(); !strings.HasPrefix(s, "\uFEFFrow,kind,action,name,changes\r\n2,user,updated,ann,") ||
			strings.Contains(s, "Quiet-harbour-31") || !strings.Contains(s, "3,user,created,bob,") {
			t.Errorf("changes CSV:\n%s", s)
		}

		// A refused file lists nothing.
		bad := e.run(service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1"}, []byte("name,password,email\r\ncid,short,\r\n"))
		if bad.Status != meibo.ImportFailed || len(changes(bad)) != 0 {
			t.Errorf("a refused file: %s, %+v", bad.Status, changes(bad))
		}

		// Administrators: created, updated, deleted.
		e.bootstrap("Root-pass-phrase-1")
		e.admin(service.AdminInput{LoginID: "old", Authorities: meibo.NewAuthorities(meibo.AuthConsole)})
		e.admin(service.AdminInput{LoginID: "gone", Authorities: meibo.NewAuthorities(meibo.AuthConsole)})
		adm := e.run(service.ImportRequest{Format: meibo.FormatAdmins}, ixAdminsFile(t,
			ixAdmin{id: "new1", name: "New One", pw: "Velvet-summit-88", auth: meibo.NewAuthorities(meibo.AuthConsole)},
			ixAdmin{flag: "U", id: "old", name: "Old renamed", auth: meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthImport)},
			ixAdmin{flag: "D", id: "gone"}))
		e.wantSuccess(adm, 1, 1, 1, 0)
		got = changes(adm)
		if len(got) != 3 || got[0].Action != meibo.ChangeCreated || got[0].Name != "new1" || got[0].Kind != meibo.ChangeAdmin ||
			!strings.Contains(got[0].Changes, "password: changed") || strings.Contains(got[0].Changes, "Velvet") ||
			got[1].Action != meibo.ChangeUpdated || got[1].Changes != "name: old → Old renamed; authorities: console → console import" ||
			got[2].Action != meibo.ChangeDeleted || got[2].Name != "gone" {
			t.Errorf("administrators' changes: %+v", got)
		}

		// Past the bound: the first ones, and the note.
		many := e.run(service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1"},
			[]byte("name,password,email\r\nu1,,\r\nu2,,\r\nu3,,\r\nu4,,\r\nu5,,\r\n"))
		e.wantSuccess(many, 5, 0, 0, 0)
		if got := changes(many); len(got) != 3 || got[2].Name != "u3" {
			t.Errorf("bounded changes: %+v", got)
		}
		if note := service.ImportChangesNote(many, 3); note.Key != "import.changes.first" {
			t.Errorf("note %+v", note)
		}
	})
}
