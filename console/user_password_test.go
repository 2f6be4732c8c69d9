package console

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
)

// TestPasswordEndsSessions: a password set on the user's page of the
// console ends the user's portal sessions and password links.
func TestPasswordEndsSessions(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u, err := e.svc.CreateUser(e.sys, "G1", service.UserInput{Name: "amy", Email: "amy@example.org", Password: adminPassword})
	if err != nil {
		t.Fatal(err)
	}
	secret, _, err := e.svc.PortalSignIn(ctx, "G1", "amy", adminPassword, "192.0.2.1", "test", meibo.English)
	if err != nil {
		t.Fatal(err)
	}
	link, err := e.svc.IssuePasswordLink(e.sys, u.ID, meibo.MailReset)
	if err != nil {
		t.Fatal(err)
	}
	c := e.admin("deptops")
	r := c.post("/console/users/"+strconv.FormatInt(u.ID, 10), url.Values{"email": {"amy@example.org"},
		"profile": {meibo.DefaultProfileName}, "password": {"Quiet-harbour-42"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("save: %d %s", r.status, clip(r.body))
	}
	if _, _, err := e.svc.PortalActor(ctx, secret, "192.0.2.1"); err == nil {
		t.Error("the portal session goes on")
	}
	if _, err := e.svc.CheckLink(ctx, link.Link[len(link.Link)-47:]); meibo.ErrorCode(err) != meibo.CodeNotFound {
		t.Errorf("the link still opens: %v", err)
	}
	if _, _, err := e.svc.PortalSignIn(ctx, "G1", "amy", "Quiet-harbour-42", "192.0.2.1", "test", meibo.English); err != nil {
		t.Errorf("sign in with the new password: %v", err)
	}
}
