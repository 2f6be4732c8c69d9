package console

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
)

func TestSCIMPage(t *testing.T) {
	e := newEnv(t)
	b := e.admin("manager")
	b.get(Prefix+"/groups/G1").expect(t, "group page", http.StatusOK, `href="/console/groups/G1/scim"`)
	r := b.get(Prefix + "/groups/G1/scim")
	r.expect(t, "scim page", http.StatusOK, enText("scim.title"), `/scim/v2/G1</code>`, enText("scim.tokens.none"))

	b.post(Prefix+"/groups/G1/scim", url.Values{"name": {""}, "days": {"30"}}).
		expect(t, "blank name", http.StatusUnprocessableEntity, `id="name-error"`)
	b.post(Prefix+"/groups/G1/scim", url.Values{"name": {"entra"}, "days": {"0"}}).
		expect(t, "no days", http.StatusUnprocessableEntity, `id="days-error"`, `value="entra"`)
	r = b.post(Prefix+"/groups/G1/scim", url.Values{"name": {"entra"}, "days": {"30"}})
	m := regexp.MustCompile(`<code id="scim-secret">(mbscim_[A-Za-z0-9_-]+)</code>`).FindStringSubmatch(r.body)
	if r.status != http.StatusOK || m == nil {
		t.Fatalf("create: %d\n%s", r.status, r.body)
	}
	if _, err := e.svc.AuthenticateSCIM(context.Background(), "G1", m[1], "127.0.0.1"); err != nil {
		t.Errorf("the token shown does not open G1: %v", err)
	}
	list := b.get(Prefix + "/groups/G1/scim")
	list.expect(t, "list", http.StatusOK, `<td data-label="Name">entra</td>`, `<td data-label="Made by">manager</td>`)
	list.lacks(t, "list", m[1])
	id := regexp.MustCompile(`action="/console/groups/G1/scim/([0-9]+)/revoke"`).FindStringSubmatch(list.body)
	if id == nil {
		t.Fatalf("no revoke form:\n%s", list.body)
	}
	// What the identity provider told shows on the user's page.
	u, err := e.svc.UserByName(e.sys, "G1", "alice")
	if err != nil {
		t.Fatal(err)
	}
	b.get(Prefix+"/users/"+strconv.FormatInt(u.ID, 10)).lacks(t, "user page without identity", `id="identity"`)
	if _, err := e.svc.Provision(e.sys, "G1", []service.ProvisionOp{{UserID: u.ID, Apply: func(cur *service.ProvisionedUser) (*service.ProvisionState, error) {
		st := service.StateOf(cur)
		st.Identity = meibo.UserIdentity{ExternalID: "ext-1", GivenName: "Alice", FamilyName: "Liddell", DisplayName: "Alice L."}
		return &st, nil
	}}}, true, 0); err != nil {
		t.Fatal(err)
	}
	b.get(Prefix+"/users/"+strconv.FormatInt(u.ID, 10)).expect(t, "user page", http.StatusOK, `id="identity"`, "<dd>Alice L.</dd>",
		"<dd>Liddell</dd>", "<code>ext-1</code>", `value="alice" readonly`)

	// A department administrator of G1 cannot see or revoke G2's tokens.
	d := e.admin("dept")
	d.get(Prefix+"/groups/G2/scim").expect(t, "dept on G2", http.StatusNotFound)
	d.post(Prefix+"/groups/G2/scim/"+id[1]+"/revoke", nil).expect(t, "dept revoking on G2", http.StatusNotFound)
	r = b.post(Prefix+"/groups/G1/scim/"+id[1]+"/revoke", nil)
	b.redirected("revoke", r, Prefix+"/groups/G1/scim?done=scim.revoked").expect(t, "revoked", http.StatusOK, enText("done.scim.revoked"))
	if _, err := e.svc.AuthenticateSCIM(context.Background(), "G1", m[1], "127.0.0.1"); meibo.ErrorCode(err) != meibo.CodeUnauthorized {
		t.Errorf("revoked token: %v", err)
	}
}
