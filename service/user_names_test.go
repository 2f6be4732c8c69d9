package service_test

import (
	"testing"

	"golang.org/x/text/unicode/norm"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

// cxLegacyUser stores a user as it is, past the service (which keeps names
// composed): a name stored decomposed before names were kept composed.
func cxLegacyUser(e *ixEnv, group, name, email string) {
	e.t.Helper()
	ps, err := e.svc.Profiles(e.sys, group)
	e.must(err)
	var def *meibo.Profile
	for _, p := range ps {
		if p.Default {
			def = p
		}
	}
	e.must(e.db.Update(bgCtx(), func(tx meibo.Tx) error {
		return tx.CreateUsers(bgCtx(), []*meibo.User{{GroupID: group, Name: name, Email: email, ProfileID: def.ID, ProfileName: def.Name}})
	}))
	if e.users(group)[name] == nil {
		e.t.Fatalf("%q was not stored as given", name)
	}
}

// TestNamesComposed: a name is kept composed (Unicode NFC), whatever form it
// is given in: a decomposed one (as macOS may save text) is the same name,
// never a second user who looks the same. Names stored decomposed before
// are still found. A group ID, which is ASCII, may be typed full-width.
func TestNamesComposed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine)
		e.group("G1")
		composed, decomposed := "ガッキー", norm.NFD.String("ガッキー")
		u := e.user("G1", service.UserInput{Name: decomposed, Email: "gakky@example.jp", Password: "Mountain-river-7"})
		if u.Name != composed {
			t.Fatalf("created as %q, want %q", u.Name, composed)
		}
		if _, err := e.svc.CreateUser(e.sys, "G1", service.UserInput{Name: composed}); meibo.ErrorCode(err) != meibo.CodeConflict {
			t.Errorf("the same name composed: %v", err)
		}
		if got, err := e.svc.UserByName(e.sys, "G1", decomposed); err != nil || got.ID != u.ID {
			t.Errorf("looked up decomposed: %+v, %v", got, err)
		}
		// A file with the name decomposed updates that user, with a warning.
		job := e.run(ixUsersReq("G1", true), ixCSV("name,password,email", decomposed+",,new@example.jp"))
		e.wantSuccess(job, 0, 1, 0, 0)
		_, warns := e.messages(job)
		e.wantMessages("warnings", warns, ixWant{2, "name", "is written decomposed here"})
		if us := e.users("G1"); len(us) != 1 || us[composed].Email != "new@example.jp" {
			t.Errorf("users after the file: %v", us)
		}
		// The portal signs in a name typed either way, and a group ID typed
		// in full-width letters (a Japanese input method left on).
		for _, c := range [][2]string{{"G1", composed}, {"G1", decomposed}, {"Ｇ１", composed}, {"ｇ１", composed}} {
			if _, _, err := e.svc.PortalSignIn(bgCtx(), c[0], c[1], "Mountain-river-7", "192.0.2.1", "test", meibo.English); err != nil {
				t.Errorf("portal sign-in to %q as %q: %v", c[0], c[1], err)
			}
		}

		// A name stored decomposed before is found by its composed form:
		// a file names it, the portal signs it in.
		legacy := norm.NFD.String("パンダ")
		cxLegacyUser(e, "G1", legacy, "")
		job = e.run(ixUsersReq("G1", true), ixCSV("name,password,email", "パンダ,Bamboo-forest-42,panda@example.jp"))
		e.wantSuccess(job, 0, 1, 0, 0)
		us := e.users("G1")
		if us[legacy] == nil || us[legacy].Email != "panda@example.jp" || us["パンダ"] != nil {
			t.Fatalf("the file did not update the user stored decomposed: %v", us)
		}
		if _, _, err := e.svc.PortalSignIn(bgCtx(), "G1", "パンダ", "Bamboo-forest-42", "192.0.2.1", "test", meibo.English); err != nil {
			t.Errorf("portal sign-in of the user stored decomposed: %v", err)
		}
	})
}

// TestInvisibleNames: a new user's name may not hold an invisible
// formatting character (a zero-width space, a byte order mark, a
// right-to-left override): a second "sato" would look exactly like the
// first, and nobody could type it. Made by hand, by a file or by SCIM, it
// is refused; a user named so before keeps the name and can still be
// changed.
func TestInvisibleNames(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine)
		e.group("G1")
		for _, n := range []string{"sa\u200bto", "sat\ufeffo", "sato\u202e"} {
			_, err := e.svc.CreateUser(e.sys, "G1", service.UserInput{Name: n})
			if f := meibo.AsError(err); f == nil || f.Fields["name"].Key != "user.name.invisible" {
				t.Errorf("%q: %v", n, err)
			}
		}
		before := e.snapshot()
		job := e.run(service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1"}, ixCSV("name,password,email", "sato,,", "sa\u200bto,,"))
		e.wantFailed(job, ixWant{3, "name", "invisible characters (here U+200B)"})
		e.sameSnapshot(before, "a file with an invisible character in a name")

		cxLegacyUser(e, "G1", "old\u200bname", "")
		u := e.users("G1")["old\u200bname"]
		if _, err := e.svc.UpdateUser(e.sys, u.ID, meibo.UserUpdate{Email: ptr("old@example.org")}); err != nil {
			t.Errorf("a user named so before could not be changed: %v", err)
		}
	})
}

// TestProfileNamesDecomposed: a profile named in a file decomposed (ガ as カ
// and U+3099, as macOS may save text) is the profile of that name.
func TestProfileNamesDecomposed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine)
		e.group("G1")
		e.profile("G1", "ガ営業", false)
		job := e.run(service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1"},
			ixCSV("name,password,email,profile", "prof1,,pr1@example.com,"+norm.NFD.String("ガ営業")))
		e.wantSuccess(job, 1, 0, 0, 0)
		if u := e.users("G1")["prof1"]; u == nil || u.ProfileName != "ガ営業" {
			t.Errorf("prof1: %+v", u)
		}
	})
}
