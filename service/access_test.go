package service_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

// The tests of service/access.go: every way of changing a password or
// disabling someone ends their sessions and tokens, and nobody else's.

const acPassword = "Velvet-summit-88"

// acUser is a user signed in to the portal twice, with a live password
// link issued to an administrator.
type acUser struct {
	u        *meibo.User
	sessions []string
	link     string // the link's token
}

func (e *ixEnv) acPrime(name string) *acUser {
	e.t.Helper()
	u := e.user("G1", service.UserInput{Name: name, Email: name + "@example.org", Password: acPassword})
	x := &acUser{u: u}
	for i := range 2 {
		secret, _, err := e.svc.PortalSignIn(context.Background(), "G1", name, acPassword, fmt.Sprintf("192.0.2.%d", i+1), "test", meibo.English)
		e.must(err)
		x.sessions = append(x.sessions, secret)
	}
	l, err := e.svc.IssuePasswordLink(e.sys, u.ID, meibo.MailReset)
	e.must(err)
	x.link = l.Link[len(l.Link)-47:]
	return x
}

// acLive counts user id's portal sessions and usable links as stored.
func (e *ixEnv) acLive(id int64) (sessions, links int) {
	e.t.Helper()
	db := e.db.ReadDB()
	e.must(db.QueryRowContext(context.Background(), fmt.Sprintf("SELECT count(*) FROM sessions WHERE kind = 'portal' AND user_id = %d", id)).Scan(&sessions))
	e.must(db.QueryRowContext(context.Background(),
		fmt.Sprintf("SELECT count(*) FROM user_tokens WHERE user_id = %d AND used_at IS NULL AND revoked_at IS NULL", id)).Scan(&links))
	return sessions, links
}

// acWantEnded fails unless x's sessions (but keep) no longer open and its
// link is gone.
func (e *ixEnv) acWantEnded(what string, x *acUser, keep string) {
	e.t.Helper()
	for _, s := range x.sessions {
		_, _, err := e.svc.PortalActor(context.Background(), s, "192.0.2.1")
		if s == keep && err != nil {
			e.t.Errorf("%s: the session of the change ended: %v", what, err)
		} else if s != keep && err == nil {
			e.t.Errorf("%s: a session goes on", what)
		}
	}
	if _, err := e.svc.CheckLink(context.Background(), x.link); meibo.ErrorCode(err) != meibo.CodeNotFound {
		e.t.Errorf("%s: the password link still opens: %v", what, err)
	}
	want := 0
	if keep != "" {
		want = 1
	}
	if s, l := e.acLive(x.u.ID); s != want || l != 0 {
		e.t.Errorf("%s: %d sessions and %d usable links left, want %d and 0", what, s, l, want)
	}
}

func TestAccessEndsWithUserPassword(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine, func(c *service.Config) { c.PublicURL = "https://meibo.example.org" })
		e.group("G1")
		bystander := e.acPrime("bystander")
		pw := "Quiet-harbour-42"

		// Console and API: an administrator sets the password, or disables.
		x := e.acPrime("console")
		must(e.svc.UpdateUser(e.sys, x.u.ID, meibo.UserUpdate{Password: &pw}))(t)
		e.acWantEnded("password set by an administrator", x, "")
		x = e.acPrime("disabled")
		must(e.svc.UpdateUser(e.sys, x.u.ID, meibo.UserUpdate{Disabled: ptr(true)}))(t)
		e.acWantEnded("disabled by an administrator", x, "")

		// Portal: the user's own change keeps the session it was made in.
		x = e.acPrime("portal")
		a, _, err := e.svc.PortalActor(context.Background(), x.sessions[0], "192.0.2.1")
		e.must(err)
		// The current password again is no change, and a wrong current
		// one is named as such.
		if f := wantCode(t, e.svc.ChangePortalPassword(meibo.WithActor(context.Background(), a), acPassword, acPassword), meibo.CodeInvalid).Fields; f["password"].Key != "password.same" {
			t.Errorf("the same password: %v", f)
		}
		if f := wantCode(t, e.svc.ChangePortalPassword(meibo.WithActor(context.Background(), a), "not it at all", pw), meibo.CodeInvalid).Fields; f["currentPassword"].Key != "password.current" {
			t.Errorf("a wrong current password: %v", f)
		}
		e.must(e.svc.ChangePortalPassword(meibo.WithActor(context.Background(), a), acPassword, pw))
		e.acWantEnded("own password in the portal", x, x.sessions[0])

		// A password link.
		x = e.acPrime("link")
		_, err = e.svc.SetPasswordByLink(context.Background(), x.link, pw, "192.0.2.9")
		e.must(err)
		e.acWantEnded("password set by a link", x, "")

		// A users file: a password, and disabling.
		x = e.acPrime("csvpw")
		y := e.acPrime("csvoff")
		z := e.acPrime("csvsame") // in the file, neither password nor disabling
		job := e.run(ixUsersReq("G1", true), ixCSV("name,password,email,disabled",
			"csvpw,"+pw+",csvpw@example.org,0", "csvoff,,csvoff@example.org,1", "csvsame,,other@example.org,0"))
		e.wantSuccess(job, 0, 3, 0, 0)
		e.acWantEnded("password set by a users file", x, "")
		e.acWantEnded("disabled by a users file", y, "")
		if s, l := e.acLive(z.u.ID); s != 2 || l != 1 {
			t.Errorf("a users file that changed only the address ended %d sessions, %d links", 2-s, 1-l)
		}

		// A personal file.
		x = e.acPrime("personal")
		job = e.run(service.ImportRequest{Format: meibo.FormatPersonal, GroupID: "G1"}, ixCSV("UserName,Password,Passcode", "personal,"+pw+","))
		e.wantSuccess(job, 0, 1, 0, 0)
		e.acWantEnded("password set by a personal file", x, "")

		// Nobody else's.
		if s, l := e.acLive(bystander.u.ID); s != 2 || l != 1 {
			t.Errorf("the bystander has %d sessions and %d usable links, want 2 and 1", s, l)
		}
	})
}

// acAdmin is an administrator signed in to the console twice, with an API
// token.
type acAdmin struct {
	a        *meibo.Admin
	sessions []string
	token    string
}

func (e *ixEnv) acAdmin(login string) *acAdmin {
	e.t.Helper()
	x := &acAdmin{a: e.admin(service.AdminInput{LoginID: login, Password: acPassword, Authorities: meibo.NewAuthorities(meibo.AuthConsole)})}
	for i := range 2 {
		secret, _, err := e.svc.SignIn(context.Background(), login, acPassword, fmt.Sprintf("192.0.2.%d", i+1), "test", meibo.English)
		e.must(err)
		x.sessions = append(x.sessions, secret)
	}
	tok, _, err := e.svc.Login(context.Background(), login, acPassword, "192.0.2.1")
	e.must(err)
	x.token = tok
	return x
}

func (e *ixEnv) acAdminEnded(what string, x *acAdmin, keep string) {
	e.t.Helper()
	for _, s := range x.sessions {
		_, _, err := e.svc.ConsoleActor(context.Background(), s, "192.0.2.1")
		if s == keep && err != nil {
			e.t.Errorf("%s: the session of the change ended: %v", what, err)
		} else if s != keep && err == nil {
			e.t.Errorf("%s: a session goes on", what)
		}
	}
	if _, err := e.svc.Authenticate(context.Background(), x.token, "192.0.2.1"); err == nil {
		e.t.Errorf("%s: the API token still works", what)
	}
}

func TestAccessEndsWithAdminPassword(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine)
		e.bootstrap(acPassword)
		bystander := e.acAdmin("bystander")
		pw := "Quiet-harbour-42"

		x := e.acAdmin("console")
		must(e.svc.UpdateAdmin(e.sys, x.a.ID, meibo.AdminUpdate{Password: &pw}))(t)
		e.acAdminEnded("password set by a manager", x, "")
		x = e.acAdmin("disabled")
		must(e.svc.UpdateAdmin(e.sys, x.a.ID, meibo.AdminUpdate{Disabled: ptr(true)}))(t)
		e.acAdminEnded("disabled by a manager", x, "")

		x = e.acAdmin("own")
		a, _, err := e.svc.ConsoleActor(context.Background(), x.sessions[0], "192.0.2.1")
		e.must(err)
		e.must(e.svc.ChangeOwnPassword(meibo.WithActor(context.Background(), a), acPassword, pw))
		e.acAdminEnded("own password", x, x.sessions[0])

		x = e.acAdmin("imported")
		job := e.run(service.ImportRequest{Format: meibo.FormatAdmins}, ixAdminsFile(t,
			ixAdmin{flag: "U", id: "imported", pw: pw, name: "imported", auth: meibo.NewAuthorities(meibo.AuthConsole)}))
		if job.Status != meibo.ImportSuccess {
			errs, _ := e.messages(job)
			t.Fatalf("admins file: %s %v", job.Status, errs)
		}
		e.acAdminEnded("password set by an administrators file", x, "")

		for _, s := range bystander.sessions {
			if _, _, err := e.svc.ConsoleActor(context.Background(), s, "192.0.2.1"); err != nil {
				t.Errorf("the bystander's session ended: %v", err)
			}
		}
		if _, err := e.svc.Authenticate(context.Background(), bystander.token, "192.0.2.1"); err != nil {
			t.Errorf("the bystander's token ended: %v", err)
		}
	})
}
