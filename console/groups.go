package console

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
)

// groupRoutes registers the pages of groups and their profiles.
func (c *Console) groupRoutes(a func(string, handler)) {
	a("GET "+Prefix+"/groups", c.handleGroups)
	a("POST "+Prefix+"/groups", c.handleGroupCreate)
	a("GET "+Prefix+"/groups/{group}", c.handleGroup)
	a("POST "+Prefix+"/groups/{group}", c.handleGroupRename)
	a("GET "+Prefix+"/groups/{group}/delete", c.handleGroupDeleteConfirm)
	a("POST "+Prefix+"/groups/{group}/delete", c.handleGroupDelete)
	a("GET "+Prefix+"/groups/{group}/profiles/new", c.handleProfileNew)
	a("POST "+Prefix+"/groups/{group}/profiles", c.handleProfileCreate)
	a("GET "+Prefix+"/groups/{group}/profiles", c.handleProfilesIndex)
	a("GET "+Prefix+"/groups/{group}/profiles/{id}", c.handleProfileEdit)
	a("POST "+Prefix+"/groups/{group}/profiles/{id}", c.handleProfileUpdate)
	a("GET "+Prefix+"/groups/{group}/profiles/{id}/delete", c.handleProfileDeleteConfirm)
	a("POST "+Prefix+"/groups/{group}/profiles/{id}/delete", c.handleProfileDelete)
	c.licenceRoutes(a)
	c.settingsRoutes(a)
	c.accountRoutes(a)
}

// retypeOrFail answers a refused form: a value that breaks a rule or is
// taken re-renders the form (data holds what was typed) with the messages
// next to the fields; anything else (not found, lacking authority,
// internal) is the error page.
func (c *Console) retypeOrFail(q *req, name, titleKey string, data any, err error) {
	switch meibo.ErrorCode(err) {
	case meibo.CodeInvalid, meibo.CodeConflict, meibo.CodeLicenceExceeded:
		c.form(q, http.StatusUnprocessableEntity, name, titleKey, data, err)
	default:
		c.fail(q, err)
	}
}

// groupsData is the list of groups with the form to create one.
type groupsData struct {
	Groups    []*meibo.Group
	CanCreate bool   // not a department administrator, may manage groups
	ID, Name  string // typed in the form
	Failed    bool   // the form was refused
}

func (c *Console) handleGroups(q *req) {
	c.groupsPage(q, http.StatusOK, groupsData{}, nil)
}

// groupsPage renders the list of groups; err, when set, is the refusal of
// the form to create one.
func (c *Console) groupsPage(q *req, status int, d groupsData, err error) {
	groups, gerr := c.svc.Groups(q.ctx)
	if gerr != nil {
		c.fail(q, gerr)
		return
	}
	d.Groups = groups
	d.CanCreate = manages(q.actor) && !q.actor.Department()
	if err != nil {
		d.Failed = true
		c.retypeOrFail(q, "groups", "groups.title", d, err)
		return
	}
	c.page(q, status, "groups", "groups.title", d, notice(q))
}

func (c *Console) handleGroupCreate(q *req) {
	d := groupsData{ID: strings.TrimSpace(q.r.PostFormValue("id")), Name: strings.TrimSpace(q.r.PostFormValue("name"))}
	g, err := c.svc.CreateGroup(q.ctx, meibo.Group{ID: d.ID, Name: d.Name})
	if err != nil {
		c.groupsPage(q, http.StatusUnprocessableEntity, d, err)
		return
	}
	c.redirect(q, Prefix+"/groups/"+g.ID, "groups.created")
}

// groupData is a group's page: its name, what it holds, its profiles.
type groupData struct {
	Group     *meibo.Group
	Profiles  []*meibo.Profile
	Users     int
	Devices   int
	Manages   bool   // may rename it and change its profiles
	CanDelete bool   // may delete groups (not a department administrator)
	Name      string // typed in the rename form
	Failed    bool
}

func (c *Console) groupData(q *req, id string) (*groupData, error) {
	g, ps, err := c.groupAndProfiles(q, id)
	if err != nil {
		return nil, err
	}
	users, devices, err := c.svc.GroupUsage(q.ctx, g.ID)
	if err != nil {
		return nil, err
	}
	return &groupData{Group: g, Profiles: ps, Users: users, Devices: devices, Name: g.Name,
		Manages: manages(q.actor), CanDelete: manages(q.actor) && !q.actor.Department()}, nil
}

func (c *Console) handleGroup(q *req) {
	d, err := c.groupData(q, q.r.PathValue("group"))
	if err != nil {
		c.fail(q, err)
		return
	}
	c.page(q, http.StatusOK, "group", "groups.page.title", d, notice(q))
}

func (c *Console) handleGroupRename(q *req) {
	d, err := c.groupData(q, q.r.PathValue("group"))
	if err != nil {
		c.fail(q, err)
		return
	}
	d.Name = strings.TrimSpace(q.r.PostFormValue("name"))
	if _, err := c.svc.UpdateGroup(q.ctx, d.Group.ID, d.Name); err != nil {
		d.Failed = true
		c.retypeOrFail(q, "group", "groups.page.title", d, err)
		return
	}
	c.redirect(q, Prefix+"/groups/"+d.Group.ID, "groups.renamed")
}

// groupDeleteData is the confirmation of a group's deletion.
type groupDeleteData struct {
	Group   *meibo.Group
	Users   int
	Devices int
	Refusal string // why the deletion was refused, in the page's language
	Confirm string // the group ID typed to delete it with its users
}

func (c *Console) handleGroupDeleteConfirm(q *req) {
	d, err := c.groupData(q, q.r.PathValue("group"))
	if err != nil {
		c.fail(q, err)
		return
	}
	c.page(q, http.StatusOK, "group_delete", "groups.delete.title", groupDeleteData{Group: d.Group, Users: d.Users, Devices: d.Devices}, "")
}

func (c *Console) handleGroupDelete(q *req) {
	g, err := c.svc.Group(q.ctx, q.r.PathValue("group"))
	if err != nil {
		c.fail(q, err)
		return
	}
	if err := c.svc.DeleteGroup(q.ctx, g.ID); err != nil {
		if meibo.ErrorCode(err) != meibo.CodeConflict {
			c.fail(q, err)
			return
		}
		// Still in use: the confirmation again, with the reason.
		d := groupDeleteData{Group: g, Refusal: meibo.AsError(err).Msg.In(q.lang)}
		d.Users, d.Devices, _ = c.svc.GroupUsage(q.ctx, g.ID)
		c.page(q, http.StatusConflict, "group_delete", "groups.delete.title", d, "")
		return
	}
	c.redirect(q, Prefix+"/groups", "groups.deleted")
}

// profileForm is the form to add or edit a profile.
type profileForm struct {
	Group     *meibo.Group
	Profile   *meibo.Profile // when editing
	Name      string
	Actions   map[meibo.Action]bool
	APIAccess bool
	Action    string // where the form posts
	Failed    bool
}

// AllActions lists the remote actions in the order the form shows them.
func (profileForm) AllActions() []meibo.Action { return meibo.AllActions }

func readProfileForm(r *http.Request, f *profileForm) []meibo.Action {
	f.Name = strings.TrimSpace(r.PostFormValue("name"))
	f.APIAccess = r.PostFormValue("apiAccess") != ""
	f.Actions = map[meibo.Action]bool{}
	actions := []meibo.Action{}
	for _, v := range r.PostForm["actions"] {
		// Unknown values are passed on for the service to refuse.
		a := meibo.Action(v)
		if !f.Actions[a] {
			f.Actions[a] = true
			actions = append(actions, a)
		}
	}
	return actions
}

func actionSet(as []meibo.Action) map[meibo.Action]bool {
	m := map[meibo.Action]bool{}
	for _, a := range as {
		m[a] = true
	}
	return m
}

// handleProfilesIndex sends the browser to the group's page, which lists
// its profiles (a refused form posted here offers this address for the
// language switch).
func (c *Console) handleProfilesIndex(q *req) {
	g, err := c.svc.Group(q.ctx, q.r.PathValue("group"))
	if err != nil {
		c.fail(q, err)
		return
	}
	http.Redirect(q.w, q.r, Prefix+"/groups/"+g.ID+"#profiles", http.StatusSeeOther)
}

func (c *Console) handleProfileNew(q *req) {
	g, err := c.svc.Group(q.ctx, q.r.PathValue("group"))
	if err != nil {
		c.fail(q, err)
		return
	}
	// A new profile starts with what the default profile allows: everything.
	f := profileForm{Group: g, Actions: actionSet(meibo.AllActions), APIAccess: true, Action: Prefix + "/groups/" + g.ID + "/profiles"}
	c.page(q, http.StatusOK, "profile_form", "profiles.new.title", f, "")
}

func (c *Console) handleProfileCreate(q *req) {
	g, err := c.svc.Group(q.ctx, q.r.PathValue("group"))
	if err != nil {
		c.fail(q, err)
		return
	}
	f := profileForm{Group: g, Action: Prefix + "/groups/" + g.ID + "/profiles"}
	actions := readProfileForm(q.r, &f)
	if _, err := c.svc.CreateProfile(q.ctx, g.ID, meibo.Profile{Name: f.Name, Actions: actions, APIAccess: f.APIAccess}); err != nil {
		f.Failed = true
		c.retypeOrFail(q, "profile_form", "profiles.new.title", f, err)
		return
	}
	c.redirect(q, Prefix+"/groups/"+g.ID, "profiles.created")
}

// profileByPath finds the profile of the path among its group's profiles,
// so that a profile is only ever reached under its own group.
func (c *Console) profileByPath(q *req) (*meibo.Group, *meibo.Profile, error) {
	g, ps, err := c.groupAndProfiles(q, q.r.PathValue("group"))
	if err != nil {
		return nil, nil, err
	}
	id, err := strconv.ParseInt(q.r.PathValue("id"), 10, 64)
	if err == nil {
		for _, p := range ps {
			if p.ID == id {
				return g, p, nil
			}
		}
	}
	return nil, nil, meibo.NotFound("not_found")
}

func profilePath(p *meibo.Profile) string {
	return Prefix + "/groups/" + p.GroupID + "/profiles/" + strconv.FormatInt(p.ID, 10)
}

func (c *Console) handleProfileEdit(q *req) {
	g, p, err := c.profileByPath(q)
	if err != nil {
		c.fail(q, err)
		return
	}
	f := profileForm{Group: g, Profile: p, Name: p.Name, Actions: actionSet(p.Actions), APIAccess: p.APIAccess, Action: profilePath(p)}
	c.page(q, http.StatusOK, "profile_form", "profiles.edit.title", f, notice(q))
}

func (c *Console) handleProfileUpdate(q *req) {
	g, p, err := c.profileByPath(q)
	if err != nil {
		c.fail(q, err)
		return
	}
	f := profileForm{Group: g, Profile: p, Action: profilePath(p)}
	actions := readProfileForm(q.r, &f)
	up := service.ProfileUpdate{Name: &f.Name, Actions: &actions, APIAccess: &f.APIAccess}
	if _, err := c.svc.UpdateProfile(q.ctx, p.ID, up); err != nil {
		f.Failed = true
		c.retypeOrFail(q, "profile_form", "profiles.edit.title", f, err)
		return
	}
	c.redirect(q, Prefix+"/groups/"+g.ID, "profiles.saved")
}

// profileDeleteData is the confirmation of a profile's deletion.
type profileDeleteData struct {
	Group   *meibo.Group
	Profile *meibo.Profile
	Refusal string
	Users   int              // users of the profile
	Others  []*meibo.Profile // the profiles its users may move to
	Target  string           // the profile chosen for them
}

func (c *Console) handleProfileDeleteConfirm(q *req) {
	g, p, err := c.profileByPath(q)
	if err != nil {
		c.fail(q, err)
		return
	}
	c.page(q, http.StatusOK, "profile_delete", "profiles.delete.title", c.profileDeleteData(q, g, p), "")
}

func (c *Console) handleProfileDelete(q *req) {
	g, p, err := c.profileByPath(q)
	if err != nil {
		c.fail(q, err)
		return
	}
	if err := c.svc.DeleteProfile(q.ctx, p.ID); err != nil {
		if meibo.ErrorCode(err) != meibo.CodeConflict {
			c.fail(q, err)
			return
		}
		// The default profile, or one in use: the confirmation again, with
		// the reason.
		d := c.profileDeleteData(q, g, p)
		d.Refusal = meibo.AsError(err).Msg.In(q.lang)
		c.page(q, http.StatusConflict, "profile_delete", "profiles.delete.title", d, "")
		return
	}
	c.redirect(q, Prefix+"/groups/"+g.ID, "profiles.deleted")
}
