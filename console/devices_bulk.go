package console

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
)

// Bulk actions from the devices list, as from the users list: the list's
// form posts the action with the ticked devices, or with "all" and the
// list's keyword (never the IDs it matches); a confirmation says how many
// devices it concerns and offers a dry run or the real thing; either
// becomes a job, shown on the import job page.

// bulkDeviceCommands are the commands the devices list sends in bulk. A
// wipe is sent one device at a time, from its page, with its name typed.
var bulkDeviceCommands = []meibo.Action{meibo.ActionLock, meibo.ActionRing, meibo.ActionLocate, meibo.ActionMessage}

// devicesBulkData is what the devices list and its confirmation need for
// bulk actions.
type devicesBulkData struct {
	Actions  []string       // the actions the administrator may take
	Commands []meibo.Action // the commands offered for devices.command
	Matches  string         // "1,200": how many enrolled devices the keyword matches
}

// devicesBulk returns the bulk actions the administrator may take on the
// devices list, with the count of what the list's keyword matches; nil when
// they may take none.
func (c *Console) devicesBulk(q *req, groupID, keyword string) *devicesBulkData {
	if !mayManageDevices(q.actor) {
		return nil
	}
	d := &devicesBulkData{Actions: []string{service.BulkRevoke}, Commands: bulkDeviceCommands}
	if maySendCommands(q.actor) {
		d.Actions = []string{service.BulkCommand, service.BulkRevoke}
	}
	if n, err := c.svc.BulkCountDevices(q.ctx, groupID, keyword, bulkCountBound); err == nil {
		d.Matches = countLabel(n, bulkCountBound)
	}
	return d
}

// devicesBulkConfirm is the confirmation of a bulk action on devices.
type devicesBulkConfirm struct {
	Group   *meibo.Group
	Bulk    *devicesBulkData
	Action  string
	Command string
	Message string
	All     bool
	IDs     []int64
	Keyword string
	Count   string // how many devices it concerns
}

// handleDevicesBulk confirms a bulk action of the devices list ("go" not
// set) or submits it: go=preview as a dry run, go=run for real.
func (c *Console) handleDevicesBulk(q *req) {
	if err := q.r.ParseForm(); err != nil {
		c.fail(q, meibo.Errorf(meibo.CodeBadRequest, "bad_request", err.Error()))
		return
	}
	g, _, err := c.groupOf(q)
	if err != nil {
		c.fail(q, err)
		return
	}
	form := q.r.PostForm
	d := devicesBulkConfirm{Group: g, Action: form.Get("action"), Command: form.Get("command"), Message: strings.TrimSpace(form.Get("message")),
		All: form.Get("all") == "1", Keyword: strings.TrimSpace(form.Get("q"))}
	if d.Bulk = c.devicesBulk(q, g.ID, d.Keyword); d.Bulk == nil {
		c.fail(q, meibo.Forbidden("forbidden.auth", meibo.AuthDevices))
		return
	}
	for _, s := range form["id"] {
		if id, err := strconv.ParseInt(s, 10, 64); err == nil {
			d.IDs = append(d.IDs, id)
		}
	}
	req := service.BulkRequest{Action: d.Action, GroupID: g.ID, Command: d.Command, Message: d.Message, DryRun: form.Get("go") == "preview"}
	if d.Action != service.BulkCommand {
		req.Command, req.Message = "", ""
	}
	if d.All {
		req.Filter = &service.BulkFilter{Keyword: d.Keyword}
		d.Count = d.Bulk.Matches
	} else {
		req.IDs = d.IDs
		d.Count = groupDigits(len(d.IDs))
	}
	if form.Get("go") == "" {
		if !d.All && len(d.IDs) == 0 {
			c.form(q, http.StatusUnprocessableEntity, "devices_bulk_confirm", "bulk.title", d, meibo.FieldError("ids", "bulk.selection"))
			return
		}
		c.page(q, http.StatusOK, "devices_bulk_confirm", "bulk.title", d, "")
		return
	}
	job, err := c.svc.SubmitBulk(q.ctx, req)
	if err != nil {
		c.retypeOrFail(q, "devices_bulk_confirm", "bulk.title", d, err)
		return
	}
	http.Redirect(q.w, q.r, Prefix+"/imports/"+strconv.FormatInt(job.ID, 10), http.StatusSeeOther)
}
