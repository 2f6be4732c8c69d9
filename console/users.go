package console

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
)

func (c *Console) userRoutes(a func(string, handler)) {
	a("GET "+Prefix+"/users", c.handleUsersIndex)
	a("GET "+Prefix+"/groups/{group}/users", c.handleUsers)
	a("GET "+Prefix+"/groups/{group}/users/new", c.handleUserNew)
	a("POST "+Prefix+"/groups/{group}/users", c.handleUserCreate)
	a("GET "+Prefix+"/users/{id}", c.handleUserEdit)
	a("POST "+Prefix+"/users/{id}", c.handleUserUpdate)
	a("GET "+Prefix+"/users/{id}/duplicate", c.handleUserDuplicate)
	a("POST "+Prefix+"/users/{id}/duplicate", c.handleUserDuplicateCreate)
	a("GET "+Prefix+"/users/{id}/delete", c.handleUserDeleteConfirm)
	a("POST "+Prefix+"/users/{id}/delete", c.handleUserDelete)
	a("POST "+Prefix+"/users/{id}/password-link", c.handlePasswordLink)
	a("POST "+Prefix+"/users/{id}/mail-link", c.handleUserMailLink)
}

// handleUsersIndex opens the users of the first group the administrator
// may see.
func (c *Console) handleUsersIndex(q *req) {
	groups, err := c.svc.Groups(q.ctx)
	if err != nil {
		c.fail(q, err)
		return
	}
	if len(groups) == 0 {
		c.redirect(q, Prefix+"/groups", "")
		return
	}
	http.Redirect(q.w, q.r, Prefix+"/groups/"+groups[0].ID+"/users", http.StatusSeeOther)
}

// usersData is the users list of a group.
type usersData struct {
	Group    *meibo.Group
	Groups   []*meibo.Group
	Profiles []*meibo.Profile
	Page     *meibo.UserPage
	Q        string // keyword
	Disabled string // "", "true", "false"
	Admin    string
	Profile  string // profile ID
	Invite   string // invitation state
	Weak     bool   // only users with a weak legacy password hash
	Next     string // After of the next page
	Prev     string // Before of the previous page
	Total    int
	List     usersList    // order, page size, total and pager (users_list.go)
	Bulk     bulkListData // the bulk actions' form
}

// WeakParam is the weak filter as a query value.
func (d usersData) WeakParam() string {
	if d.Weak {
		return "1"
	}
	return ""
}

func parseBoolFilter(s string) *bool {
	switch s {
	case "true":
		return ptr(true)
	case "false":
		return ptr(false)
	}
	return nil
}

func ptr[T any](v T) *T { return &v }

func (c *Console) handleUsers(q *req) {
	qs := q.r.URL.Query()
	d := usersData{Q: qs.Get("q"), Disabled: qs.Get("disabled"), Admin: qs.Get("admin"), Profile: qs.Get("profile"),
		Invite: qs.Get("invitation"), Weak: qs.Get("weak") != ""}
	g, err := c.svc.Group(q.ctx, q.r.PathValue("group"))
	if err != nil {
		c.fail(q, err)
		return
	}
	d.Group = g
	if d.Groups, err = c.svc.Groups(q.ctx); err != nil {
		c.fail(q, err)
		return
	}
	if d.Profiles, err = c.svc.Profiles(q.ctx, g.ID); err != nil {
		c.fail(q, err)
		return
	}
	f := meibo.UserFilter{GroupID: g.ID, Keyword: d.Q, Disabled: parseBoolFilter(d.Disabled), Admin: parseBoolFilter(d.Admin),
		After: qs.Get("after"), Before: qs.Get("before"), Limit: 50, WeakHash: d.Weak}
	d.List = readUsersList(q.r, q.lang, &f)
	if id, err := strconv.ParseInt(d.Profile, 10, 64); err == nil {
		f.ProfileID = &id
	}
	f.Invitation = invitationFilter(d.Invite)
	if d.Page, err = c.svc.FindUsers(q.ctx, f); err != nil {
		c.fail(q, err)
		return
	}
	d.Next, d.Prev = d.Page.Next, d.Page.Prev
	d.List.links(q.r, d.Page, strings.TrimSpace(d.Q) != "")
	if d.Page.TotalExact && !d.Weak {
		// The list counted its matches exactly: the banner says the same
		// number as the list's heading.
		d.Bulk = bulkListData{Actions: usersBulkActions, Matches: groupDigits(d.Page.Total)}
	} else {
		d.Bulk = c.bulkList(q, g.ID, filterFrom(qs))
	}
	c.page(q, http.StatusOK, "users", "users.title", d, notice(q))
}

// userForm is the add, edit and duplicate form.
type userForm struct {
	Group          *meibo.Group
	Profiles       []*meibo.Profile
	User           *meibo.User // when editing
	Source         *meibo.User // when duplicating
	Name           string
	Email          string
	Profile        string
	Admin          bool
	APIAccess      bool
	Disabled       bool
	SendInvitation bool
	Action         string // where the form posts
	IssueLinks     bool   // no SMTP server: links are issued to the administrator
	Invitation     *invitationView
	// Identity is what an identity provider told of the user (SCIM), when
	// editing one it provisioned.
	Identity *meibo.UserIdentity
}

func (c *Console) groupAndProfiles(q *req, groupID string) (*meibo.Group, []*meibo.Profile, error) {
	g, err := c.svc.Group(q.ctx, groupID)
	if err != nil {
		return nil, nil, err
	}
	ps, err := c.svc.Profiles(q.ctx, g.ID)
	return g, ps, err
}

func (c *Console) handleUserNew(q *req) {
	g, ps, err := c.groupAndProfiles(q, q.r.PathValue("group"))
	if err != nil {
		c.fail(q, err)
		return
	}
	f := userForm{Group: g, Profiles: ps, Action: Prefix + "/groups/" + g.ID + "/users", SendInvitation: c.svc.InvitationsByDefault()}
	c.page(q, http.StatusOK, "user_form", "user.new.title", f, "")
}

// readUserForm reads the fields of the user form.
func readUserForm(r *http.Request, f *userForm) {
	f.Name = strings.TrimSpace(r.PostFormValue("name"))
	f.Email = strings.TrimSpace(r.PostFormValue("email"))
	f.Profile = r.PostFormValue("profile")
	f.Admin = r.PostFormValue("admin") != ""
	f.APIAccess = r.PostFormValue("apiAccess") != ""
	f.Disabled = r.PostFormValue("disabled") != ""
	f.SendInvitation = r.PostFormValue("sendInvitation") != ""
}

func (c *Console) handleUserCreate(q *req) {
	g, ps, err := c.groupAndProfiles(q, q.r.PathValue("group"))
	if err != nil {
		c.fail(q, err)
		return
	}
	f := userForm{Group: g, Profiles: ps, Action: Prefix + "/groups/" + g.ID + "/users"}
	readUserForm(q.r, &f)
	pw := q.r.PostFormValue("password")
	u, err := c.svc.CreateUser(q.ctx, g.ID, service.UserInput{Name: f.Name, Email: f.Email, Password: pw,
		Profile: f.Profile, Admin: f.Admin, APIAccess: f.APIAccess, Disabled: f.Disabled,
		SendInvitation: c.svc.ShouldInvite(&f.SendInvitation, f.Email, pw)})
	if err != nil {
		c.form(q, http.StatusUnprocessableEntity, "user_form", "user.new.title", f, err)
		return
	}
	c.redirect(q, Prefix+"/groups/"+g.ID+"/users?q="+urlEscape(u.Name), "user.created")
}

func (c *Console) userByPath(q *req) (*meibo.User, error) {
	id, err := strconv.ParseInt(q.r.PathValue("id"), 10, 64)
	if err != nil {
		return nil, meibo.NotFound("not_found")
	}
	return c.svc.User(q.ctx, id)
}

func (c *Console) handleUserEdit(q *req) {
	u, err := c.userByPath(q)
	if err != nil {
		c.fail(q, err)
		return
	}
	g, ps, err := c.groupAndProfiles(q, u.GroupID)
	if err != nil {
		c.fail(q, err)
		return
	}
	f := userForm{Group: g, Profiles: ps, User: u, Name: u.Name, Email: u.Email, Profile: u.ProfileName, Admin: u.Admin,
		APIAccess: u.APIAccess, Disabled: u.Disabled, Action: Prefix + "/users/" + strconv.FormatInt(u.ID, 10),
		IssueLinks: !c.svc.MailConfigured() && !u.Disabled}
	if f.Invitation, err = c.userInvitation(q, u); err != nil {
		c.fail(q, err)
		return
	}
	if f.Identity, err = c.identity(q, u); err != nil {
		c.fail(q, err)
		return
	}
	c.page(q, http.StatusOK, "user_form", "user.edit.title", f, notice(q))
}

func (c *Console) handleUserUpdate(q *req) {
	u, err := c.userByPath(q)
	if err != nil {
		c.fail(q, err)
		return
	}
	g, ps, err := c.groupAndProfiles(q, u.GroupID)
	if err != nil {
		c.fail(q, err)
		return
	}
	f := userForm{Group: g, Profiles: ps, User: u, Name: u.Name, Action: Prefix + "/users/" + strconv.FormatInt(u.ID, 10)}
	readUserForm(q.r, &f)
	f.Name = u.Name // the name never changes, whatever was sent
	up := meibo.UserUpdate{Email: &f.Email, Profile: &f.Profile, Admin: &f.Admin, APIAccess: &f.APIAccess, Disabled: &f.Disabled}
	if pw := q.r.PostFormValue("password"); pw != "" {
		up.Password = &pw
	}
	if _, err := c.svc.UpdateUser(q.ctx, u.ID, up); err != nil {
		c.form(q, http.StatusUnprocessableEntity, "user_form", "user.edit.title", f, err)
		return
	}
	notice := "user.saved"
	if q.r.PostFormValue("resendInvitation") != "" {
		if err := c.svc.ResendInvitation(q.ctx, u.ID); err != nil {
			c.form(q, http.StatusUnprocessableEntity, "user_form", "user.edit.title", f, err)
			return
		}
		notice = "user.invited"
	}
	c.redirect(q, f.Action, notice)
}

func (c *Console) handleUserDuplicate(q *req) {
	u, err := c.userByPath(q)
	if err != nil {
		c.fail(q, err)
		return
	}
	g, ps, err := c.groupAndProfiles(q, u.GroupID)
	if err != nil {
		c.fail(q, err)
		return
	}
	f := userForm{Group: g, Profiles: ps, Source: u, Profile: u.ProfileName, Admin: u.Admin, APIAccess: u.APIAccess, Disabled: u.Disabled,
		Action: Prefix + "/users/" + strconv.FormatInt(u.ID, 10) + "/duplicate", SendInvitation: c.svc.InvitationsByDefault() && !u.Disabled}
	c.page(q, http.StatusOK, "user_form", "user.duplicate.title", f, "")
}

func (c *Console) handleUserDuplicateCreate(q *req) {
	src, err := c.userByPath(q)
	if err != nil {
		c.fail(q, err)
		return
	}
	g, ps, err := c.groupAndProfiles(q, src.GroupID)
	if err != nil {
		c.fail(q, err)
		return
	}
	f := userForm{Group: g, Profiles: ps, Source: src, Profile: src.ProfileName, Admin: src.Admin, APIAccess: src.APIAccess,
		Disabled: src.Disabled, Action: Prefix + "/users/" + strconv.FormatInt(src.ID, 10) + "/duplicate"}
	readUserForm(q.r, &f)
	// The copy takes the profile and options chosen on the form, which
	// starts from the source's.
	pw := q.r.PostFormValue("password")
	u, err := c.svc.DuplicateUserWith(q.ctx, src.ID, service.UserInput{Name: f.Name, Email: f.Email, Password: pw,
		SendInvitation: c.svc.ShouldInvite(&f.SendInvitation, f.Email, pw)},
		service.DuplicateChanges{Profile: &f.Profile, Admin: &f.Admin, APIAccess: &f.APIAccess, Disabled: &f.Disabled})
	if err != nil {
		c.form(q, http.StatusUnprocessableEntity, "user_form", "user.duplicate.title", f, err)
		return
	}
	c.redirect(q, Prefix+"/groups/"+g.ID+"/users?q="+urlEscape(u.Name), "user.created")
}

func (c *Console) handleUserDeleteConfirm(q *req) {
	u, err := c.userByPath(q)
	if err != nil {
		c.fail(q, err)
		return
	}
	c.page(q, http.StatusOK, "user_delete", "user.delete.title", u, "")
}

func (c *Console) handleUserDelete(q *req) {
	u, err := c.userByPath(q)
	if err != nil {
		c.fail(q, err)
		return
	}
	if err := c.svc.DeleteUser(q.ctx, u.ID); err != nil {
		c.fail(q, err)
		return
	}
	c.redirect(q, Prefix+"/groups/"+u.GroupID+"/users", "user.deleted")
}
