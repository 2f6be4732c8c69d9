package console

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/web"
)

// Bulk actions from the users list: the list's form posts the action with
// the ticked IDs, or with "all" and the list's filter (the filter travels,
// never the IDs of what it matches); a confirmation page says how many users
// it concerns and offers a dry run or the real thing; either becomes a job,
// whose page (the import job page) shows its progress and outcome.

func (c *Console) bulkRoutes(a func(string, handler)) {
	a("POST "+Prefix+"/groups/{group}/users/bulk", c.handleUsersBulk)
	a("POST "+Prefix+"/groups/{group}/delete-with-users", c.handleGroupDeleteWithUsers)
	a("POST "+Prefix+"/groups/{group}/profiles/{id}/move-users", c.handleProfileMoveUsers)
}

// bulkCountBound bounds the counting of a filter's matches on the users
// list, past which it says "100,000+": a bounded index count. A keyword's
// matches are counted through the search, a page at a time, so the list
// counts at most bulkKeywordBound of them; the confirmation, shown once,
// counts ten times as far.
const (
	bulkCountBound   = 100_000
	bulkKeywordBound = 1_000
)

// usersBulkActions are the actions the users list offers.
var usersBulkActions = []string{service.BulkDisable, service.BulkEnable, service.BulkProfile, service.BulkInvite, service.BulkReset,
	service.BulkSignOut, service.BulkDelete}

// bulkListData is what the users list needs for its bulk form.
type bulkListData struct {
	Actions []string
	Matches string // "30,000" or "10,000+": how many the filter matches
}

// bulkList counts the users the list's filter matches (cheaply: exactly up
// to a bound) for the "select all N matching" banner.
func (c *Console) bulkList(q *req, groupID string, f service.BulkFilter) bulkListData {
	d := bulkListData{Actions: usersBulkActions}
	bound := bulkCountBound
	if f.Keyword != "" {
		bound = bulkKeywordBound
	}
	n, err := c.svc.BulkCount(q.ctx, groupID, f, bound)
	if err != nil {
		return d
	}
	d.Matches = countLabel(n, bound)
	return d
}

// countLabel writes n with thousands separators, "10,000+" past bound.
func countLabel(n, bound int) string {
	if n > bound {
		return groupDigits(bound) + "+"
	}
	return groupDigits(n)
}

func groupDigits(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// filterFrom reads the users list's filter (q, disabled, admin, profile)
// from values.
func filterFrom(v url.Values) service.BulkFilter {
	f := service.BulkFilter{Keyword: strings.TrimSpace(v.Get("q")), Disabled: parseBoolFilter(v.Get("disabled")), Admin: parseBoolFilter(v.Get("admin"))}
	if id, err := strconv.ParseInt(v.Get("profile"), 10, 64); err == nil {
		f.ProfileID = &id
	}
	f.Invitation = invitationFilter(v.Get("invitation"))
	return f
}

// bulkConfirmData is the confirmation of a bulk action.
type bulkConfirmData struct {
	Group    *meibo.Group
	Profiles []*meibo.Profile
	Action   string
	Profile  string
	All      bool
	IDs      []int64
	Count    string // how many users it concerns
	Filter   url.Values
	Keyword  string
	Failed   bool
	Actions  []string
	// Everyone: all the group's users are selected (no filter). Deleting
	// users, any number of them, takes the group's ID typed (Confirm).
	Everyone bool
	Confirm  string
}

// Deletes reports whether the action confirmed is deleting the users.
func (d bulkConfirmData) Deletes() bool { return d.Action == service.BulkDelete }

// RunLabel is the label of the button that applies action: what it does,
// to how many users ("Delete 40 users").
func (d bulkConfirmData) RunLabel(lang meibo.Lang, action string) string {
	key := "bulk.run"
	if slices.Contains(usersBulkActions, action) {
		key += "." + action
	}
	if d.Count == "1" {
		key += ".one"
	}
	return web.T(lang, key, d.Count)
}

// handleUsersBulk confirms a bulk action of the users list ("go" not set)
// or submits it: go=preview as a dry run, go=run for real.
func (c *Console) handleUsersBulk(q *req) {
	g, ps, err := c.groupAndProfiles(q, q.r.PathValue("group"))
	if err != nil {
		c.fail(q, err)
		return
	}
	if err := q.r.ParseForm(); err != nil {
		c.fail(q, meibo.Errorf(meibo.CodeBadRequest, "bad_request", err.Error()))
		return
	}
	form := q.r.PostForm
	d := bulkConfirmData{Group: g, Profiles: ps, Action: form.Get("action"), Profile: form.Get("target"), All: form.Get("all") == "1",
		Filter: url.Values{}, Actions: usersBulkActions}
	for _, k := range []string{"q", "disabled", "admin", "profile", "invitation"} {
		if v := form.Get(k); v != "" {
			d.Filter.Set(k, v)
		}
	}
	d.Keyword = d.Filter.Get("q")
	for _, s := range form["id"] {
		if id, err := strconv.ParseInt(s, 10, 64); err == nil {
			d.IDs = append(d.IDs, id)
		}
	}
	d.Confirm = form.Get("confirm")
	req := service.BulkRequest{Action: d.Action, GroupID: g.ID, Profile: d.Profile, DryRun: form.Get("go") == "preview", Confirm: d.Confirm}
	if d.All {
		f := filterFrom(d.Filter)
		req.Filter = &f
		d.Everyone = f == (service.BulkFilter{})
		bound := 10 * bulkCountBound
		if f.Keyword != "" {
			bound = 100 * bulkKeywordBound
		}
		n, err := c.svc.BulkCount(q.ctx, g.ID, f, bound)
		if err != nil {
			c.fail(q, err)
			return
		}
		d.Count = countLabel(n, bound)
	} else {
		req.IDs = d.IDs
		d.Count = groupDigits(len(d.IDs))
	}
	// The confirmation says what the button does, and asks for the group's
	// ID to delete: an action changed on it (a browser without script)
	// shows the confirmation of the new action before anything runs.
	changed := form.Has("shown") && form.Get("shown") != d.Action
	if form.Get("go") == "" || changed {
		if !d.All && len(d.IDs) == 0 {
			c.form(q, http.StatusUnprocessableEntity, "bulk_confirm", "bulk.title", d, meibo.FieldError("ids", "bulk.selection"))
			return
		}
		msg := ""
		if changed {
			msg = web.T(q.lang, "bulk.changed", web.T(q.lang, "bulk.do."+d.Action))
		}
		c.page(q, http.StatusOK, "bulk_confirm", "bulk.title", d, msg)
		return
	}
	job, err := c.svc.SubmitBulk(q.ctx, req)
	if err != nil {
		d.Failed = true
		c.retypeOrFail(q, "bulk_confirm", "bulk.title", d, err)
		return
	}
	http.Redirect(q.w, q.r, Prefix+"/imports/"+strconv.FormatInt(job.ID, 10), http.StatusSeeOther)
}

// handleGroupDeleteWithUsers deletes a group and all its users, confirmed by
// the group ID typed, as a job.
func (c *Console) handleGroupDeleteWithUsers(q *req) {
	d, err := c.groupData(q, q.r.PathValue("group"))
	if err != nil {
		c.fail(q, err)
		return
	}
	confirm := strings.TrimSpace(q.r.PostFormValue("confirm"))
	job, err := c.svc.SubmitBulk(q.ctx, service.BulkRequest{Action: service.BulkDelete, GroupID: d.Group.ID, Filter: &service.BulkFilter{},
		DeleteGroup: true, Confirm: confirm})
	if err != nil {
		gd := groupDeleteData{Group: d.Group, Users: d.Users, Devices: d.Devices, Confirm: confirm}
		c.retypeOrFail(q, "group_delete", "groups.delete.title", gd, err)
		return
	}
	http.Redirect(q.w, q.r, Prefix+"/imports/"+strconv.FormatInt(job.ID, 10), http.StatusSeeOther)
}

// handleProfileMoveUsers moves the users of a profile to another one and
// deletes it, as a job.
func (c *Console) handleProfileMoveUsers(q *req) {
	g, p, err := c.profileByPath(q)
	if err != nil {
		c.fail(q, err)
		return
	}
	target := q.r.PostFormValue("target")
	job, err := c.svc.SubmitBulk(q.ctx, service.BulkRequest{Action: service.BulkProfile, GroupID: g.ID, Filter: &service.BulkFilter{ProfileID: &p.ID},
		Profile: target, DeleteProfile: true})
	if err != nil {
		d := c.profileDeleteData(q, g, p)
		d.Target = target
		c.retypeOrFail(q, "profile_delete", "profiles.delete.title", d, err)
		return
	}
	http.Redirect(q.w, q.r, Prefix+"/imports/"+strconv.FormatInt(job.ID, 10), http.StatusSeeOther)
}

// profileDeleteData is the confirmation of a profile's deletion with its
// users and the profiles they may move to.
func (c *Console) profileDeleteData(q *req, g *meibo.Group, p *meibo.Profile) profileDeleteData {
	d := profileDeleteData{Group: g, Profile: p}
	d.Users, _ = c.svc.ProfileUsage(q.ctx, p.ID)
	if ps, err := c.svc.Profiles(q.ctx, g.ID); err == nil {
		for _, o := range ps {
			if o.ID != p.ID {
				d.Others = append(d.Others, o)
			}
		}
	}
	return d
}

// Bulk reports whether the job is a bulk action (its kept file is the list
// of what it changed).
func (v *jobView) Bulk() bool { return service.IsBulkFormat(v.Format) }

// UsersLabel is the number of users of the group, written for people.
func (d groupDeleteData) UsersLabel() string { return groupDigits(d.Users) }

// UsersLabel is the number of users of the profile, written for people.
func (d profileDeleteData) UsersLabel() string { return groupDigits(d.Users) }
