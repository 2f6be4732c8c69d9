package service_test

import (
	"os"
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

// TestImportPersonal sets portal passwords of existing users (manual 000):
// each is hashed and verifies, the other users are untouched, a non-blank
// Passcode and spaces around header items are warnings, and a file with an
// unknown user changes no password at all.
func TestImportPersonal(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine)
		e.group("G1")
		e.group("G2")
		e.user("G1", service.UserInput{Name: "User001", Email: "u1@example.org"})
		e.user("G1", service.UserInput{Name: "User002", Password: "Old-lantern-orbit-1"})
		e.user("G1", service.UserInput{Name: "User003"})
		e.user("G2", service.UserInput{Name: "User001"})
		before := e.users("G1")
		other := e.users("G2")

		req := service.ImportRequest{Format: meibo.FormatPersonal, GroupID: "G1"}
		// The header as the manual's sample has it, with spaces.
		job := e.run(req, ixCSV("UserName, Password, Passcode", "User001,Quiet-harbour-42,", "User002,Amber-canyon-17,1234"))
		e.wantSuccess(job, 0, 2, 0, 0)
		_, warns := e.messages(job)
		e.wantMessages("warnings", warns,
			ixWant{1, "Password", `The header item " Password" has spaces around it`},
			ixWant{1, "Passcode", `The header item " Passcode" has spaces around it`},
			ixWant{3, "Passcode", "Passcode is not used and was ignored"})
		if j := e.stored(job.ID); j.WarningCount != 3 || j.ErrorCount != 0 {
			t.Errorf("job counts %d warnings, %d errors", j.WarningCount, j.ErrorCount)
		}
		us := e.users("G1")
		if !e.verify(us["User001"].PasswordHash, "Quiet-harbour-42") || us["User001"].PasswordChangedAt == nil {
			t.Errorf("User001's password was not set")
		}
		if !e.verify(us["User002"].PasswordHash, "Amber-canyon-17") || e.verify(us["User002"].PasswordHash, "Old-lantern-orbit-1") {
			t.Errorf("User002's password was not replaced")
		}
		if us["User001"].Email != "u1@example.org" {
			t.Errorf("a personal file changed an e-mail address")
		}
		if ixUserString(us["User003"]) != ixUserString(before["User003"]) {
			t.Errorf("a user not in the file was changed")
		}
		if ixUserString(e.users("G2")["User001"]) != ixUserString(other["User001"]) {
			t.Errorf("the user of the same name in another group was changed")
		}

		// Values are case-sensitive: user001 is not User001. Nothing of the
		// file is written, not even the row that was right.
		snap := e.snapshot()
		job = e.run(req, ixCSV("UserName,Password,Passcode", "User003,Velvet-summit-88,", "user001,Velvet-summit-89,"))
		e.wantFailed(job, ixWant{3, "UserName", `There is no user named "user001"`})
		e.sameSnapshot(snap, "a refused personal file")

		// The password column is required in every row.
		job = e.run(req, ixCSV("UserName,Password,Passcode", "User003,,"))
		e.wantFailed(job, ixWant{2, "Password", "A password is required"})
		e.sameSnapshot(snap, "a refused personal file")
	})
}

// TestImportPersonalManualSample imports the manual's (000) own sample as
// it is written, with a space after each comma (User001, abcd1234, ):
// values are never trimmed, so each password would be " abcd1234", which
// its owner would not type. Each row is an error that says so, and no
// password is set.
func TestImportPersonalManualSample(t *testing.T) {
	data, err := os.ReadFile("../csvio/testdata/personal_manual.csv")
	if err != nil {
		t.Fatal(err)
	}
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine)
		e.group("G1")
		for _, n := range []string{"User001", "User002", "User003"} {
			e.user("G1", service.UserInput{Name: n})
		}
		job := e.run(service.ImportRequest{Format: meibo.FormatPersonal, GroupID: "G1"}, data)
		e.wantFailed(job,
			ixWant{2, "Password", "begins or ends with a space"}, ixWant{3, "Password", "begins or ends with a space"},
			ixWant{4, "Password", "begins or ends with a space"})
		for n, u := range e.users("G1") {
			if u.PasswordHash != "" {
				t.Errorf("%s got a password from a refused file", n)
			}
		}
	})
}
