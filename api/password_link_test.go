package api_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

// TestPasswordLinkAPI: POST /api/v1/users/{id}/password-link issues a link
// to an administrator who may manage the user (no SMTP server here): in the
// answer only, single-use, audited; 403 without the authority, 404 outside
// a department administrator's groups, 422 for an unknown kind.
func TestPasswordLinkAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newMailAPI(t, engine)
		var u1, u2 meibo.User
		e.call(e.srv.URL, "manager", "POST", "/api/v1/groups/G1/users", map[string]any{"name": "taro", "email": "taro@example.org"}, nil, &u1)
		e.call(e.srv.URL, "manager", "POST", "/api/v1/groups/G2/users", map[string]any{"name": "zed", "email": "zed@example.org"}, nil, &u2)
		path := func(u meibo.User) string { return "/api/v1/users/" + strconv.FormatInt(u.ID, 10) + "/password-link" }
		for _, c := range []struct {
			as   string
			user meibo.User
			kind string
			want int
		}{
			{"viewer", u1, "reset", 403}, {"mail", u1, "reset", 403}, {"", u1, "reset", 401},
			{"deptmgr", u2, "reset", 404}, {"manager", u1, "bogus", 422},
		} {
			var body map[string]any
			if st := e.call(e.srv.URL, c.as, "POST", path(c.user), map[string]any{"kind": c.kind}, nil, &body); st != c.want || body["link"] != nil {
				t.Errorf("%s issues a %s link for %s: %d %v, want %d", c.as, c.kind, c.user.Name, st, body, c.want)
			}
		}
		var issued service.IssuedLink
		if st := e.call(e.srv.URL, "deptmgr", "POST", path(u1), map[string]any{"kind": "reset"}, nil, &issued); st != http.StatusCreated {
			t.Fatalf("issue: %d", st)
		}
		m := mailLinkRE.FindStringSubmatch(issued.Link)
		if m == nil || issued.Kind != "reset" || issued.ExpiresAt.IsZero() {
			t.Fatalf("issued %+v", issued)
		}
		ctx := context.Background()
		if info, err := e.svc.CheckLink(ctx, m[1]); err != nil || info.UserName != "taro" || info.Purpose != meibo.MailReset {
			t.Fatalf("the issued link: %+v, %v", info, err)
		}
		if _, err := e.svc.SetPasswordByLink(ctx, m[1], "Amber-canyon-17", "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.SetPasswordByLink(ctx, m[1], "Other-pass-phrase-3", "192.0.2.1"); meibo.ErrorCode(err) != meibo.CodeNotFound {
			t.Errorf("the issued link twice: %v", err)
		}
		evs, err := e.svc.AuditEvents(e.sys, meibo.AuditFilter{Action: "user.link.issued", Limit: 10})
		if err != nil || len(evs) != 1 || evs[0].ActorName != "deptmgr" || evs[0].ObjectID != "taro" ||
			evs[0].Details["note"] != "password link issued to an administrator" || evs[0].Details["kind"] != "reset" {
			t.Fatalf("audit %+v, %v", evs, err)
		}
		// The outbox never shows it.
		var list mailList
		e.call(e.srv.URL, "mail", "GET", "/api/v1/mail", nil, nil, &list)
		for _, msg := range list.Mail {
			if text, _ := msg["text"].(string); mailLinkRE.MatchString(text) {
				t.Errorf("the outbox shows a link:\n%s", text)
			}
		}
	})
}

// TestOwnPasswordEndsTokens: an administrator who changes their own password
// through the API ends every API token of theirs, the one of the request
// too; another administrator's goes on.
func TestOwnPasswordEndsTokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newMailAPI(t, engine)
		other, _, err := e.svc.Login(context.Background(), "manager", "Velvet-summit-88", "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		if st := e.call(e.srv.URL, "manager", "PUT", "/api/v1/me/password",
			map[string]any{"currentPassword": "Velvet-summit-88", "newPassword": "Quiet-harbour-42"}, nil, nil); st != http.StatusNoContent {
			t.Fatalf("change own password: %d", st)
		}
		e.tokens["manager2"] = other
		for as, want := range map[string]int{"manager": 401, "manager2": 401, "mail": 200} {
			if st := e.call(e.srv.URL, as, "GET", "/api/v1/me", nil, nil, nil); st != want {
				t.Errorf("%s after the password change: %d, want %d", as, st, want)
			}
		}
	})
}

// TestUserPasswordThroughAPIEndsSessions: a password set, or a user
// disabled, through the API ends the user's portal sessions and links for
// good (enabling the user again does not bring them back).
func TestUserPasswordThroughAPIEndsSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newMailAPI(t, engine)
		ctx := context.Background()
		for _, c := range []struct {
			name string
			body map[string]any
		}{
			{"pw", map[string]any{"password": "Quiet-harbour-42"}},
			{"off", map[string]any{"disabled": true}},
		} {
			u, err := e.svc.CreateUser(e.sys, "G1", service.UserInput{Name: c.name, Email: c.name + "@example.org", Password: "Velvet-summit-88"})
			if err != nil {
				t.Fatal(err)
			}
			secret, _, err := e.svc.PortalSignIn(ctx, "G1", c.name, "Velvet-summit-88", "192.0.2.1", "test", meibo.English)
			if err != nil {
				t.Fatal(err)
			}
			link, err := e.svc.IssuePasswordLink(e.sys, u.ID, meibo.MailReset)
			if err != nil {
				t.Fatal(err)
			}
			if st := e.call(e.srv.URL, "manager", "PATCH", "/api/v1/users/"+strconv.FormatInt(u.ID, 10), c.body, nil, nil); st != 200 {
				t.Fatalf("%s: PATCH %d", c.name, st)
			}
			// Enabled again, the user's old session and link stay ended.
			if st := e.call(e.srv.URL, "manager", "PATCH", "/api/v1/users/"+strconv.FormatInt(u.ID, 10), map[string]any{"disabled": false}, nil, nil); st != 200 {
				t.Fatalf("%s: enable %d", c.name, st)
			}
			if _, _, err := e.svc.PortalActor(ctx, secret, "192.0.2.1"); err == nil {
				t.Errorf("%s: the portal session goes on", c.name)
			}
			if _, err := e.svc.CheckLink(ctx, mailLinkRE.FindStringSubmatch(link.Link)[1]); meibo.ErrorCode(err) != meibo.CodeNotFound {
				t.Errorf("%s: the link still opens: %v", c.name, err)
			}
		}
	})
}
