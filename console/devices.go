package console

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/web"
)

// The devices area: the devices of a group with their state, a device's
// page (details, assignment, name, revocation, its commands, remote
// commands), and the group's enrolment tokens. Viewing needs Management
// Console (6); changing devices and tokens "register/update/delete device"
// (33); remote commands "emergency procedure" (36). The services decide on
// every request; the pages only leave out what the administrator may not
// use.

// deviceRoutes registers the routes of this area of the console. Every
// page lives under /console/devices (a group is chosen with ?group=), so
// that the navigation shows where the administrator is.
func (c *Console) deviceRoutes(a func(string, handler)) {
	a("GET "+Prefix+"/devices", c.handleDevices)
	a("GET "+Prefix+"/devices/enrolment", c.handleEnrolment)
	a("POST "+Prefix+"/devices/enrolment", c.handleEnrolmentCreate)
	a("POST "+Prefix+"/devices/enrolment/{id}/delete", c.handleEnrolmentDelete)
	a("POST "+Prefix+"/devices/bulk", c.handleDevicesBulk)
	a("GET "+Prefix+"/devices/{id}", c.handleDevice)
	a("POST "+Prefix+"/devices/{id}", c.handleDeviceUpdate)
	a("GET "+Prefix+"/devices/{id}/revoke", c.handleDeviceRevokeConfirm)
	a("POST "+Prefix+"/devices/{id}/revoke", c.handleDeviceRevoke)
	a("POST "+Prefix+"/devices/{id}/commands", c.handleDeviceCommand)
	a("GET "+Prefix+"/devices/{id}/commands", c.handleDeviceCommandsJSON)
	a("POST "+Prefix+"/commands/{id}/cancel", c.handleCommandCancel)
}

// devicesPage is how many devices the list shows at a time.
const devicesPage = 50

// deviceCommandsShown is how many commands a device's page lists.
const deviceCommandsShown = 50

// userChoices is how many users a group may have for the pages to offer
// them in a list; with more, the user's name is typed.
const userChoices = 200

// onlineWithin is how recent a check-in must be for a device to count as
// online: an agent checks in at least every 30 seconds while it waits.
const onlineWithin = 2 * time.Minute

// mayManageDevices reports whether a may change devices and enrolment tokens.
func mayManageDevices(a *meibo.Actor) bool { return can(a, meibo.AuthConsole, meibo.AuthDevices) }

// maySendCommands reports whether a may send remote commands.
func maySendCommands(a *meibo.Actor) bool { return can(a, meibo.AuthConsole, meibo.AuthEmergency) }

// groupOf returns the group a page is about: the one named (in the query,
// or the form of a POST), else the first the administrator may see.
func (c *Console) groupOf(q *req) (*meibo.Group, []*meibo.Group, error) {
	groups, err := c.svc.Groups(q.ctx)
	if err != nil {
		return nil, nil, err
	}
	id := q.r.URL.Query().Get("group")
	if q.r.Method == http.MethodPost {
		id = q.r.PostFormValue("group")
	}
	if id == "" {
		if len(groups) == 0 {
			return nil, nil, meibo.NotFound("group.not_found", "")
		}
		return groups[0], groups, nil
	}
	g, err := c.svc.Group(q.ctx, id)
	return g, groups, err
}

// devicesURL is the address of a group's devices (or, with sub, of another
// page of the area about the group).
func devicesURL(sub, group string) string {
	return Prefix + "/devices" + sub + "?group=" + url.QueryEscape(group)
}

// deviceView is a device as the pages show it.
type deviceView struct {
	*meibo.Device
	Online   bool
	Location string // "35.68124, 139.76713 (±12 m)"
	MapURL   string
	LocAt    *time.Time
}

func (c *Console) deviceView(d *meibo.Device) *deviceView {
	v := &deviceView{Device: d}
	if d.LastCheckInAt != nil && d.RevokedAt == nil && time.Since(*d.LastCheckInAt) < onlineWithin {
		v.Online = true
	}
	if l := d.Location; l != nil {
		v.Location = fmt.Sprintf("%.5f, %.5f (±%.0f m)", l.Latitude, l.Longitude, l.Accuracy)
		v.MapURL = fmt.Sprintf("https://www.openstreetmap.org/?mlat=%.5f&mlon=%.5f#map=16/%.5f/%.5f", l.Latitude, l.Longitude, l.Latitude, l.Longitude)
		at := l.At
		v.LocAt = &at
	}
	return v
}

// devicesData is the list of a group's devices.
type devicesData struct {
	Group        *meibo.Group
	Groups       []*meibo.Group
	Devices      []*deviceView
	Q            string
	Revoked      bool   // revoked devices are listed too
	RevokedParam string // "1" when Revoked, for links
	After        string // the page shown starts after this device (see cursor); blank: the first
	Next         string // After of the next page
	CanManage    bool
	Bulk         *devicesBulkData // nil: no bulk action for this administrator
	// Action, Command and Message are the bulk form's first choices.
	Action, Command, Message string
}

// cursor writes a keyset position of the list for a link.
func cursor(name string, id int64) string { return strconv.FormatInt(id, 10) + ":" + name }

// parseCursor reads a position written by cursor.
func parseCursor(s string) (string, int64, bool) {
	idText, name, ok := strings.Cut(s, ":")
	id, err := strconv.ParseInt(idText, 10, 64)
	if !ok || err != nil || id <= 0 {
		return "", 0, false
	}
	return name, id, true
}

func (c *Console) handleDevices(q *req) {
	qs := q.r.URL.Query()
	d := devicesData{Q: strings.TrimSpace(qs.Get("q")), Revoked: qs.Get("revoked") != "", CanManage: mayManageDevices(q.actor)}
	if d.Revoked {
		d.RevokedParam = "1"
	}
	g, groups, err := c.groupOf(q)
	if err != nil {
		c.fail(q, err)
		return
	}
	d.Group, d.Groups = g, groups
	f := meibo.DeviceFilter{GroupID: g.ID, Keyword: d.Q, IncludeRevoked: d.Revoked, Limit: devicesPage + 1}
	if name, id, ok := parseCursor(qs.Get("after")); ok {
		f.AfterName, f.AfterID, d.After = name, id, qs.Get("after")
	}
	ds, err := c.svc.Devices(q.ctx, f)
	if err != nil {
		c.fail(q, err)
		return
	}
	if len(ds) > devicesPage {
		ds = ds[:devicesPage]
		d.Next = cursor(ds[len(ds)-1].Name, ds[len(ds)-1].ID)
	}
	for _, dev := range ds {
		d.Devices = append(d.Devices, c.deviceView(dev))
	}
	d.Bulk = c.devicesBulk(q, g.ID, d.Q)
	c.page(q, http.StatusOK, "devices", "devices.title", d, notice(q))
}

// userPick is how a form lets the administrator choose a user of a group:
// from a list when the group is small enough and the administrator may see
// its users, else by typing the name.
type userPick struct {
	Users []*meibo.User // nil: type the name
}

func (c *Console) userPick(q *req, groupID string) userPick {
	if !manages(q.actor) {
		return userPick{}
	}
	page, err := c.svc.FindUsers(q.ctx, meibo.UserFilter{GroupID: groupID, Limit: userChoices})
	if err != nil || page.HasNext {
		return userPick{}
	}
	if page.Users == nil {
		page.Users = []*meibo.User{}
	}
	return userPick{Users: page.Users}
}

// commandView is a command as the device's page shows it.
type commandView struct {
	*meibo.Command
	ActionLabel string
	StatusLabel string
	Created     string
	Delivered   string
	Finished    string
}

func (c *Console) commandView(lang meibo.Lang, cmd *meibo.Command) *commandView {
	return &commandView{Command: cmd, ActionLabel: web.T(lang, "device.action."+string(cmd.Action)),
		StatusLabel: web.T(lang, "device.status."+string(cmd.Status)), Created: c.stamp(&cmd.CreatedAt),
		Delivered: c.stamp(cmd.DeliveredAt), Finished: c.stamp(cmd.FinishedAt)}
}

// stamp writes a time to the second (commands take seconds), "" for none.
func (c *Console) stamp(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.In(c.loc).Format("2006-01-02 15:04:05")
}

// deviceData is a device's page.
type deviceData struct {
	Device     *deviceView
	Group      *meibo.Group
	Commands   []*commandView
	CanManage  bool
	CanCommand bool
	Pick       userPick
	Name, User string // the details form as typed
	Action     string // the command form that was sent
	Message    string // typed in the message form
	Section    string // the form that was refused: "details" or "command"
	Actions    []meibo.Action
}

// ErrorAtTop reports whether the refusal of a form is shown at the top of
// the page, the form itself not being there (a revoked device).
func (d deviceData) ErrorAtTop() bool {
	switch d.Section {
	case "details":
		return !d.CanManage || d.Device.RevokedAt != nil
	case "command":
		return !d.CanCommand
	}
	return false
}

func (c *Console) deviceByPath(q *req) (*meibo.Device, error) {
	id, err := strconv.ParseInt(q.r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return nil, meibo.NotFound("device.not_found")
	}
	return c.svc.Device(q.ctx, id)
}

// devicePage loads what a device's page shows besides the forms' values.
func (c *Console) devicePage(q *req, dev *meibo.Device, d *deviceData) error {
	g, err := c.svc.Group(q.ctx, dev.GroupID)
	if err != nil {
		return err
	}
	cmds, err := c.svc.DeviceCommands(q.ctx, dev.ID, 0)
	if err != nil {
		return err
	}
	if len(cmds) > deviceCommandsShown {
		cmds = cmds[:deviceCommandsShown]
	}
	d.Device, d.Group = c.deviceView(dev), g
	d.Commands = d.Commands[:0]
	for _, cmd := range cmds {
		d.Commands = append(d.Commands, c.commandView(q.lang, cmd))
	}
	d.CanManage = mayManageDevices(q.actor)
	d.CanCommand = maySendCommands(q.actor) && dev.RevokedAt == nil
	if d.CanManage && dev.RevokedAt == nil {
		d.Pick = c.userPick(q, dev.GroupID)
	}
	d.Actions = meibo.AllActions
	return nil
}

func (c *Console) handleDevice(q *req) {
	dev, err := c.deviceByPath(q)
	if err != nil {
		c.fail(q, err)
		return
	}
	d := deviceData{Name: dev.Name, User: dev.UserName}
	if err := c.devicePage(q, dev, &d); err != nil {
		c.fail(q, err)
		return
	}
	c.page(q, http.StatusOK, "device", "device.title", d, notice(q))
}

// refused re-renders a device's page after a form of section was refused:
// a value that breaks a rule shows next to its field with what was typed;
// anything else is the error page.
func (c *Console) refused(q *req, dev *meibo.Device, d deviceData, section string, err error) {
	switch meibo.ErrorCode(err) {
	case meibo.CodeInvalid, meibo.CodeConflict:
	default:
		c.fail(q, err)
		return
	}
	if perr := c.devicePage(q, dev, &d); perr != nil {
		c.fail(q, perr)
		return
	}
	d.Section = section
	c.form(q, http.StatusUnprocessableEntity, "device", "device.title", d, err)
}

func (c *Console) handleDeviceUpdate(q *req) {
	dev, err := c.deviceByPath(q)
	if err != nil {
		c.fail(q, err)
		return
	}
	d := deviceData{Name: strings.TrimSpace(q.r.PostFormValue("name")), User: strings.TrimSpace(q.r.PostFormValue("user"))}
	up := service.DeviceUpdate{Name: &d.Name, User: &d.User}
	if _, err := c.svc.UpdateDevice(q.ctx, dev.ID, up); err != nil {
		c.refused(q, dev, d, "details", err)
		return
	}
	c.redirect(q, Prefix+"/devices/"+strconv.FormatInt(dev.ID, 10), "devices.saved")
}

func (c *Console) handleDeviceRevokeConfirm(q *req) {
	dev, err := c.deviceByPath(q)
	if err != nil {
		c.fail(q, err)
		return
	}
	if !mayManageDevices(q.actor) {
		c.fail(q, meibo.Forbidden("forbidden.auth", meibo.AuthDevices))
		return
	}
	c.page(q, http.StatusOK, "device_revoke", "device.revoke.title", c.deviceView(dev), "")
}

func (c *Console) handleDeviceRevoke(q *req) {
	dev, err := c.deviceByPath(q)
	if err != nil {
		c.fail(q, err)
		return
	}
	if err := c.svc.RevokeDevice(q.ctx, dev.ID); err != nil {
		c.fail(q, err)
		return
	}
	c.redirect(q, Prefix+"/devices/"+strconv.FormatInt(dev.ID, 10), "devices.revoked")
}

// handleDeviceCommand sends a remote command. A wipe asks for the device's
// name typed out.
func (c *Console) handleDeviceCommand(q *req) {
	dev, err := c.deviceByPath(q)
	if err != nil {
		c.fail(q, err)
		return
	}
	action := meibo.Action(q.r.PostFormValue("action"))
	d := deviceData{Name: dev.Name, User: dev.UserName, Action: string(action), Message: q.r.PostFormValue("message")}
	if action == meibo.ActionWipe && q.r.PostFormValue("confirmName") != dev.Name {
		if !maySendCommands(q.actor) {
			c.fail(q, meibo.Forbidden("forbidden.auth", meibo.AuthEmergency))
			return
		}
		c.refused(q, dev, d, "command", meibo.FieldError("confirmName", "command.wipe.name"))
		return
	}
	if _, err := c.svc.SendAdminCommand(q.ctx, dev.ID, action, d.Message); err != nil {
		c.refused(q, dev, d, "command", err)
		return
	}
	c.redirect(q, Prefix+"/devices/"+strconv.FormatInt(dev.ID, 10), "devices.command")
}

// commandStatus is a command's state as the device's page polls it.
type commandStatus struct {
	ID        int64               `json:"id"`
	Status    meibo.CommandStatus `json:"status"`
	Label     string              `json:"label"`
	Final     bool                `json:"final"`
	Delivered string              `json:"delivered"`
	Finished  string              `json:"finished"`
	Result    string              `json:"result"`
}

// handleDeviceCommandsJSON answers the state of a device's recent commands,
// for its page to follow them while they run.
func (c *Console) handleDeviceCommandsJSON(q *req) {
	id, err := strconv.ParseInt(q.r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		c.failJSON(q, meibo.NotFound("device.not_found"))
		return
	}
	cmds, err := c.svc.DeviceCommands(q.ctx, id, 0)
	if err != nil {
		c.failJSON(q, err)
		return
	}
	out := make([]commandStatus, 0, len(cmds))
	for _, cmd := range cmds {
		v := c.commandView(q.lang, cmd)
		out = append(out, commandStatus{ID: cmd.ID, Status: cmd.Status, Label: v.StatusLabel, Final: cmd.Status.Final(),
			Delivered: v.Delivered, Finished: v.Finished, Result: cmd.Result})
	}
	dev, err := c.svc.Device(q.ctx, id)
	if err != nil {
		c.failJSON(q, err)
		return
	}
	writeJSON(q.w, http.StatusOK, map[string]any{"commands": out, "device": c.deviceFacts(q.lang, dev)})
}

func (c *Console) handleCommandCancel(q *req) {
	id, err := strconv.ParseInt(q.r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		c.fail(q, meibo.NotFound("not_found"))
		return
	}
	cmd, err := c.svc.CancelCommand(q.ctx, id)
	if meibo.ErrorCode(err) == meibo.CodeConflict {
		// It was delivered meanwhile: the page shows where it is.
		if dev, derr := strconv.ParseInt(q.r.PostFormValue("device"), 10, 64); derr == nil && dev > 0 {
			c.redirect(q, Prefix+"/devices/"+strconv.FormatInt(dev, 10), "devices.cancel.late")
			return
		}
	}
	if err != nil {
		c.fail(q, err)
		return
	}
	c.redirect(q, Prefix+"/devices/"+strconv.FormatInt(cmd.DeviceID, 10), "devices.cancelled")
}

// --- Enrolment tokens ---

// tokenView is an enrolment token as the page lists it.
type tokenView struct {
	*meibo.EnrolmentToken
	User    string // the user's name; "" for none
	State   string // active, used or expired
	Expires string
}

// lifetimes are the lifetimes a new enrolment token may have, by form value.
var lifetimes = []struct {
	Value string
	D     time.Duration
}{{"1h", time.Hour}, {"24h", 24 * time.Hour}, {"168h", service.EnrolmentTTL}, {"720h", 30 * 24 * time.Hour}}

// enrolmentData is the enrolment page of a group.
type enrolmentData struct {
	Group    *meibo.Group
	Tokens   []*tokenView
	Pick     userPick
	User     string // typed or chosen
	Lifetime string
	// A token just made, shown once.
	Token   string
	Command string // the meibo agent line that enrols a device with it
	Expires string
	Failed  bool
}

func (c *Console) handleEnrolment(q *req) {
	d := enrolmentData{Lifetime: "168h"}
	c.enrolmentPage(q, http.StatusOK, &d, nil)
}

// enrolmentPage renders the enrolment page; err, when set, is the refusal
// of the form to make a token.
func (c *Console) enrolmentPage(q *req, status int, d *enrolmentData, err error) {
	g, _, gerr := c.groupOf(q)
	if gerr != nil {
		c.fail(q, gerr)
		return
	}
	d.Group = g
	ks, kerr := c.svc.EnrolmentTokens(q.ctx, g.ID)
	if kerr != nil {
		c.fail(q, kerr)
		return
	}
	d.Pick = c.userPick(q, g.ID)
	now := time.Now()
	d.Tokens = d.Tokens[:0]
	for _, k := range ks {
		v := &tokenView{EnrolmentToken: k, Expires: c.stamp(&k.ExpiresAt), State: "active"}
		switch {
		case k.UsedAt != nil:
			v.State = "used"
		case !now.Before(k.ExpiresAt):
			v.State = "expired"
		}
		if k.UserID != nil {
			v.User = k.UserName
			if v.User == "" {
				v.User = "#" + strconv.FormatInt(*k.UserID, 10)
			}
		}
		d.Tokens = append(d.Tokens, v)
	}
	if err != nil {
		d.Failed = true
		switch meibo.ErrorCode(err) {
		case meibo.CodeInvalid, meibo.CodeConflict:
			c.form(q, http.StatusUnprocessableEntity, "device_enrol", "devices.enrol.title", d, err)
		default:
			c.fail(q, err)
		}
		return
	}
	c.page(q, status, "device_enrol", "devices.enrol.title", d, notice(q))
}

func (c *Console) handleEnrolmentCreate(q *req) {
	d := enrolmentData{User: strings.TrimSpace(q.r.PostFormValue("user")), Lifetime: q.r.PostFormValue("lifetime")}
	var ttl time.Duration
	for _, l := range lifetimes {
		if l.Value == d.Lifetime {
			ttl = l.D
		}
	}
	if ttl == 0 {
		c.enrolmentPage(q, http.StatusUnprocessableEntity, &d, meibo.FieldError("lifetime", "invalid"))
		return
	}
	secret, k, err := c.svc.CreateEnrolmentToken(q.ctx, q.r.PostFormValue("group"), d.User, ttl)
	if err != nil {
		c.enrolmentPage(q, http.StatusUnprocessableEntity, &d, err)
		return
	}
	d.Token, d.Expires, d.User = secret, c.stamp(&k.ExpiresAt), ""
	d.Command = "meibo agent --server " + c.serverURL(q) + " --token " + secret
	c.enrolmentPage(q, http.StatusOK, &d, nil)
}

// serverURL is meibo's address as this browser reaches it, for the agent.
func (c *Console) serverURL(q *req) string {
	scheme := "http"
	if web.IsHTTPS(q.r) {
		scheme = "https"
	}
	return scheme + "://" + q.r.Host
}

func (c *Console) handleEnrolmentDelete(q *req) {
	id, err := strconv.ParseInt(q.r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		c.fail(q, meibo.NotFound("not_found"))
		return
	}
	group := q.r.PostFormValue("group")
	if err := c.svc.DeleteEnrolmentToken(q.ctx, group, id); err != nil {
		c.fail(q, err)
		return
	}
	c.redirect(q, devicesURL("/enrolment", group), "devices.token.deleted")
}
