package console

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
)

// TestUserInvitation: a user's page says where their invitation stands
// and, without an SMTP server, says why no link can be mailed; the users
// list filters by the state; the new-user box is ticked, without an SMTP
// server too, and unticking it opts out; the outbox says there is no SMTP
// server.
func TestUserInvitation(t *testing.T) {
	e := newEnv(t)
	invited, err := e.svc.CreateUser(e.sys, "G1", service.UserInput{Name: "invited", Email: "invited@example.org", SendInvitation: true})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := e.svc.CreateUser(e.sys, "G1", service.UserInput{Name: "plain", Email: "plain@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	c := e.admin("admin")
	c.get(fmt.Sprintf("/console/users/%d", invited.ID)).want(t, "invited user's page", http.StatusOK,
		[]string{`id="invitation-state">Pending<`, "not delivered yet", "No SMTP server is configured"}, `id="send-reset"`)
	c.get(fmt.Sprintf("/console/users/%d", plain.ID)).want(t, "plain user's page", http.StatusOK,
		[]string{`id="invitation-state">Not invited<`})
	c.get("/console/groups/G1/users?invitation=pending").want(t, "pending users", http.StatusOK,
		[]string{">invited<", `<option value="pending" selected>`}, ">plain<")
	c.get("/console/groups/G1/users?invitation=none").want(t, "users never invited", http.StatusOK, []string{">plain<"}, ">invited<")
	// Invitations are the default without an SMTP server too: they wait
	// in the outbox, which says why.
	// The default profile named "default" reads once, not "default (default)".
	c.get("/console/groups/G1/users/new").want(t, "new user form", http.StatusOK, []string{`name="sendInvitation" value="1" checked`, `>default</option>`},
		"default (default)")
	c.get("/console/imports").want(t, "import form", http.StatusOK, []string{`name="sendInvitations" value="1" checked`})
	r := c.post("/console/groups/G1/users", url.Values{"name": {"newcomer"}, "email": {"newcomer@example.org"}, "profile": {"default"},
		"sendInvitation": {"1"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("add a user: %d %s", r.status, clip(r.body))
	}
	r = c.post("/console/groups/G1/users", url.Values{"name": {"optedout"}, "email": {"optedout@example.org"}, "profile": {"default"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("add a user without the box: %d %s", r.status, clip(r.body))
	}
	for name, want := range map[string]string{"newcomer": "Pending", "optedout": "Not invited"} {
		u, err := e.svc.UserByName(e.sys, "G1", name)
		if err != nil {
			t.Fatal(err)
		}
		c.get(fmt.Sprintf("/console/users/%d", u.ID)).want(t, name+"'s page", http.StatusOK,
			[]string{`id="invitation-state">` + want + `<`, "No SMTP server is configured"})
	}
	c.get("/console/mail").want(t, "outbox", http.StatusOK, []string{"newcomer@example.org"}, "optedout@example.org")
	// Without SMTP a pending message names no next attempt: none will be.
	c.get("/console/mail").want(t, "outbox", http.StatusOK, []string{`id="outbox-no-smtp"`, "No SMTP server is configured", "waits for an SMTP server"},
		"next attempt")
	// Asking for a link to be mailed without SMTP is refused by the page's
	// absence of the buttons, and by the service's rules all the same.
	r = c.post(fmt.Sprintf("/console/users/%d/mail-link", plain.ID), url.Values{"kind": {"nonsense"}})
	if r.status < 400 {
		t.Errorf("an unknown kind of link: %d", r.status)
	}
}

// TestOutboxReasonsInJapanese: a message failed for one of meibo's own
// reasons reads it in the page's language.
func TestOutboxReasonsInJapanese(t *testing.T) {
	e := newEnv(t)
	u, err := e.svc.CreateUser(e.sys, "G1", service.UserInput{Name: "leaver", Email: "leaver@example.org", SendInvitation: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.DeleteUser(e.sys, u.ID); err != nil {
		t.Fatal(err)
	}
	c := e.admin(meibo.BuiltinAdmin)
	c.get("/console/mail?lang=en").want(t, "outbox in English", http.StatusOK, []string{"The link was not sent: the user no longer exists."})
	c.get("/console/mail?lang=ja").want(t, "outbox in Japanese", http.StatusOK, []string{"リンクは送信されませんでした: ユーザーが存在しません。"},
		"the user no longer exists", "the user was deleted")
}
