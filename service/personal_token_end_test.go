package service_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

// ptGive stores a personal token for each user named (all of group).
func ptGive(e *ixEnv, group string, names ...string) {
	e.t.Helper()
	ctx := context.Background()
	e.must(e.db.Update(ctx, func(tx meibo.Tx) error {
		us, err := tx.UsersByName(ctx, group, names)
		if err != nil {
			return err
		}
		for _, n := range names {
			_, hash := meibo.NewToken(service.PersonalTokenPrefix)
			if err := tx.CreatePersonalToken(ctx, &meibo.PersonalToken{Hash: hash, UserID: us[n].ID, Name: "script", ExpiresAt: tx.Now().Add(time.Hour)}); err != nil {
				return err
			}
		}
		return nil
	}))
}

// ptHeld returns the names of the users of group that hold personal tokens,
// as stored (no token is used, which would also end it).
func ptHeld(e *ixEnv, group string) map[string]bool {
	e.t.Helper()
	ctx := context.Background()
	held := map[string]bool{}
	for name, u := range e.users(group) {
		e.must(e.db.View(ctx, func(tx meibo.Tx) error {
			ks, err := tx.PersonalTokens(ctx, u.ID)
			if len(ks) > 0 {
				held[name] = true
			}
			return err
		}))
	}
	return held
}

func ptWant(t *testing.T, held map[string]bool, want ...string) {
	t.Helper()
	if len(held) != len(want) {
		t.Errorf("tokens held by %v, want only %v", held, want)
		return
	}
	for _, n := range want {
		if !held[n] {
			t.Errorf("tokens held by %v, want only %v", held, want)
			return
		}
	}
}

// TestPersonalTokensEndOnImport: a users file (with updates) that turns
// API access off, disables a user or moves them to a profile without API
// access deletes their personal tokens in the import itself; rows that
// leave them the right keep theirs.
func TestPersonalTokensEndOnImport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine)
		e.group("G1")
		e.profile("G1", "staff", false)
		e.profile("G1", "api", true)
		names := []string{"off", "gone", "moved", "same", "mail"}
		for _, n := range names {
			e.user("G1", service.UserInput{Name: n, Email: n + "@example.org", Profile: "api", APIAccess: true})
		}
		// Enough users that the import writes more than one batch of
		// deletions.
		var many []string
		rows := []string{"name,password,email,profile,apiAccess,disabled",
			"off,,off@example.org,api,false,false",
			"gone,,gone@example.org,api,true,true",
			"moved,,moved@example.org,staff,false,false",
			"same,,same@example.org,api,true,false",
			"mail,,new-mail@example.org,api,true,false",
		}
		ctx := context.Background()
		e.must(e.db.Update(ctx, func(tx meibo.Tx) error {
			p, err := tx.ProfileByName(ctx, "G1", "api")
			if err != nil {
				return err
			}
			var us []*meibo.User
			for i := range 1200 {
				n := fmt.Sprintf("m%04d", i)
				many = append(many, n)
				us = append(us, &meibo.User{GroupID: "G1", Name: n, ProfileID: p.ID, APIAccess: true})
				rows = append(rows, n+",,,api,false,false")
			}
			return tx.CreateUsers(ctx, us)
		}))
		ptGive(e, "G1", names...)
		ptGive(e, "G1", many...)
		job := e.run(ixUsersReq("G1", true), ixCSV(rows...))
		e.wantSuccess(job, 0, 4+1200, 0, 1)
		ptWant(t, ptHeld(e, "G1"), "same", "mail")
	})
}

// TestPersonalTokensEndOnBulk: disabling users in bulk deletes their
// personal tokens with the change; enabling others leaves theirs.
func TestPersonalTokensEndOnBulk(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newBkEnv(t, engine)
		e.group("G1")
		bkUsers(e, "G1", meibo.DefaultProfileName, 9) // u0000, u0003, u0006 disabled
		ptGive(e, "G1", "u0001", "u0002", "u0004", "u0005", "u0007", "u0008")
		us := e.users("G1")
		ids := []int64{us["u0001"].ID, us["u0002"].ID}
		j := bulk(e, e.sys, service.BulkRequest{Action: service.BulkDisable, GroupID: "G1", IDs: ids})
		if j.Status != meibo.ImportSuccess || j.Updated != 2 {
			t.Fatalf("disable: %+v", j)
		}
		j = bulk(e, e.sys, service.BulkRequest{Action: service.BulkEnable, GroupID: "G1", IDs: []int64{us["u0003"].ID}})
		if j.Status != meibo.ImportSuccess || j.Updated != 1 {
			t.Fatalf("enable: %+v", j)
		}
		ptWant(t, ptHeld(e, "G1"), "u0004", "u0005", "u0007", "u0008")
		// A filter over the whole group, as "all matching" does.
		j = bulk(e, e.sys, service.BulkRequest{Action: service.BulkDisable, GroupID: "G1", Filter: &service.BulkFilter{Disabled: ptr(false)}})
		if j.Status != meibo.ImportSuccess || j.Updated != 5 {
			t.Fatalf("disable all: %+v", j)
		}
		ptWant(t, ptHeld(e, "G1"))
	})
}

// TestPersonalTokensEndWithPassword: what ends a user's sessions because
// their password may be known to someone else ends their personal tokens
// too, which were made with it: a new password set by an administrator, the
// emergency "end sessions", the bulk sign-out, a personal file's new
// password. Users none of these touched keep theirs.
func TestPersonalTokensEndWithPassword(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newBkEnv(t, engine)
		e.group("G1")
		bkUsers(e, "G1", meibo.DefaultProfileName, 8)
		all := []string{"u0001", "u0002", "u0004", "u0005", "u0007"}
		ptGive(e, "G1", all...)
		us := e.users("G1")
		pw := "Green-Valley-Stone-88"
		if _, err := e.svc.UpdateUser(e.sys, us["u0001"].ID, meibo.UserUpdate{Password: &pw}); err != nil {
			t.Fatal(err)
		}
		ptWant(t, ptHeld(e, "G1"), "u0002", "u0004", "u0005", "u0007")
		if _, err := e.svc.EndSessions(e.sys, service.Account{Kind: "user", ID: us["u0002"].ID}); err != nil {
			t.Fatal(err)
		}
		ptWant(t, ptHeld(e, "G1"), "u0004", "u0005", "u0007")
		j := bulk(e, e.sys, service.BulkRequest{Action: service.BulkSignOut, GroupID: "G1", IDs: []int64{us["u0004"].ID}})
		if j.Status != meibo.ImportSuccess {
			t.Fatalf("sign out: %+v", j)
		}
		ptWant(t, ptHeld(e, "G1"), "u0005", "u0007")
		job := e.run(service.ImportRequest{Format: meibo.FormatPersonal, GroupID: "G1"}, ixCSV("UserName,Password,Passcode", "u0005,"+pw+","))
		if job.Status != meibo.ImportSuccess {
			errs, _ := e.messages(job)
			t.Fatalf("personal import: %s %v", job.Message, errs)
		}
		ptWant(t, ptHeld(e, "G1"), "u0007")
	})
}
