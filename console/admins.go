package console

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/web"
)

// adminRoutes registers the administrators pages. Only administrators who
// manage administrators use them; the services refuse everyone else.
func (c *Console) adminRoutes(a func(string, handler)) {
	a("GET "+Prefix+"/admins", c.handleAdmins)
	a("GET "+Prefix+"/admins/new", c.handleAdminNew)
	a("POST "+Prefix+"/admins", c.handleAdminCreate)
	a("GET "+Prefix+"/admins/{id}", c.handleAdminEdit)
	a("POST "+Prefix+"/admins/{id}", c.handleAdminUpdate)
	a("GET "+Prefix+"/admins/{id}/delete", c.handleAdminDeleteConfirm)
	a("POST "+Prefix+"/admins/{id}/delete", c.handleAdminDelete)
}

// adminRow is one administrator of the list.
type adminRow struct {
	*meibo.Admin
	Main       []meibo.Authority // the top-level authorities held (4–8)
	Subs       int               // how many sub-authorities (21–26, 31–36) are held
	Self       bool
	Fixed      bool // cannot be deleted: built-in or oneself
	Department bool // limited to its groups
	AllGroups  bool // manages every group
}

type adminsData struct {
	Admins []adminRow
}

// backupName is the name the built-in backup administrator is created
// with (service/auth.go).
const backupName = "Automatic Backup User"

// NameIn is the administrator's name in lang: the built-in backup
// administrator's, while it keeps the name it was created with, in the
// page's words; any other as it was given.
func (r adminRow) NameIn(lang meibo.Lang) string {
	if r.Builtin && r.LoginID == meibo.BuiltinBackup && r.Name == backupName {
		return web.T(lang, "admin.backup.name")
	}
	return r.Name
}

func (c *Console) handleAdmins(q *req) {
	admins, err := c.svc.Admins(q.ctx)
	if err != nil {
		c.fail(q, err)
		return
	}
	d := adminsData{}
	for _, ad := range admins {
		row := adminRow{Admin: ad, Self: ad.ID == q.actor.ID && q.actor.Kind == meibo.ActorAdmin}
		row.Fixed = row.Self || ad.Builtin
		row.Department = ad.Authorities.Has(meibo.AuthDepartment)
		row.AllGroups = !row.Department && ad.Authorities.Has(meibo.AuthConsole)
		for _, au := range ad.Authorities.List() {
			if len(au.Parents()) == 0 {
				row.Main = append(row.Main, au)
			} else {
				row.Subs++
			}
		}
		d.Admins = append(d.Admins, row)
	}
	c.page(q, http.StatusOK, "admins", "admins.title", d, notice(q))
}

// matrixItem is one checkbox of the authority matrix.
type matrixItem struct {
	Auth    meibo.Authority
	Name    string // form value, "logViewer"
	Column  int
	Label   string
	Parents string // the names of its parents, space-separated (data-parents)
	Needs   string // its parents for a person, "Log Viewer (5)"
	Child   bool
	Checked bool
}

// matrixSection is one group of the matrix: viewing, Log Viewer and its
// sub-authorities, Management Console and its sub-authorities, backup,
// department.
type matrixSection struct {
	Key   string // legend label
	ID    string
	Items []matrixItem
}

// groupChoice is one department group checkbox.
type groupChoice struct {
	ID, Name string
	Checked  bool
}

// adminForm is the add and edit form.
type adminForm struct {
	Admin    *meibo.Admin // when editing
	LoginID  string
	Name     string
	Email    string
	Notes    string
	Disabled bool
	Auths    meibo.Authorities
	Groups   []string
	Matrix   []matrixSection
	Choices  []groupChoice
	Unknown  []string // department groups that no longer exist or are out of sight
	Backup   bool     // the built-in AUTOBACKUPUSER: authorities and password are fixed
	Self     bool
	Action   string
	Failed   bool // sent back with an error (which may name no field)
}

// sectionOf says in which section of the matrix an authority is shown.
func sectionOf(a meibo.Authority) string {
	switch {
	case a == meibo.AuthLogViewer || slices.Contains(a.Parents(), meibo.AuthLogViewer):
		return "log"
	case a == meibo.AuthConsole || slices.Contains(a.Parents(), meibo.AuthConsole):
		return "console"
	case a == meibo.AuthBackup:
		return "backup"
	case a == meibo.AuthDepartment:
		return "department"
	}
	return "viewing"
}

// fill builds the matrix and the group choices from the form's values.
func (f *adminForm) fill(lang meibo.Lang, groups []*meibo.Group) {
	order := []string{"viewing", "log", "console", "backup", "department"}
	byID := map[string]*matrixSection{}
	f.Matrix = make([]matrixSection, len(order))
	for i, id := range order {
		f.Matrix[i] = matrixSection{Key: "admin.auth.section." + id, ID: id}
		byID[id] = &f.Matrix[i]
	}
	for _, a := range meibo.AllAuthorities {
		it := matrixItem{Auth: a, Name: a.Name(), Column: a.Column(), Label: a.Label(lang),
			Child: len(a.Parents()) > 0, Checked: f.Auths.Has(a)}
		var names, needs []string
		for _, p := range a.Parents() {
			names = append(names, p.Name())
			needs = append(needs, fmt.Sprintf("%s (%d)", p.Label(lang), p.Column()))
		}
		sep := ", "
		if lang == meibo.Japanese {
			sep = "、"
		}
		it.Parents, it.Needs = strings.Join(names, " "), strings.Join(needs, sep)
		s := byID[sectionOf(a)]
		s.Items = append(s.Items, it)
	}
	seen := map[string]bool{}
	for _, g := range groups {
		checked := slices.ContainsFunc(f.Groups, func(id string) bool { return strings.EqualFold(id, g.ID) })
		if checked {
			seen[strings.ToLower(g.ID)] = true
		}
		f.Choices = append(f.Choices, groupChoice{ID: g.ID, Name: g.Name, Checked: checked})
	}
	f.Unknown = nil
	for _, id := range f.Groups {
		if !seen[strings.ToLower(id)] {
			f.Unknown = append(f.Unknown, id)
		}
	}
}

// managerOnly refuses, with the services' own message, the pages of an
// administrator who may not manage administrators; the services refuse
// their changes anyway.
func (c *Console) managerOnly(q *req) bool {
	if q.actor.Kind == meibo.ActorAdmin && q.actor.Authorities.ManagesAdmins() {
		return true
	}
	c.fail(q, meibo.Forbidden("forbidden.admins"))
	return false
}

func (c *Console) handleAdminNew(q *req) {
	if !c.managerOnly(q) {
		return
	}
	groups, err := c.svc.Groups(q.ctx)
	if err != nil {
		c.fail(q, err)
		return
	}
	f := adminForm{Action: Prefix + "/admins"}
	f.fill(q.lang, groups)
	c.page(q, http.StatusOK, "admin_form", "admin.new.title", f, "")
}

// readAdminForm reads the fields of the form into f; the authorities that
// are not known are reported as an error of the matrix.
func readAdminForm(r *http.Request, f *adminForm) error {
	f.Name = strings.TrimSpace(r.PostFormValue("name"))
	f.Email = strings.TrimSpace(r.PostFormValue("email"))
	f.Notes = strings.ReplaceAll(r.PostFormValue("notes"), "\r\n", "\n")
	f.Disabled = r.PostFormValue("disabled") != ""
	f.Auths = 0
	var unknown error
	for _, name := range r.PostForm["auth"] {
		a, ok := meibo.AuthorityByName(name)
		if !ok {
			unknown = meibo.FieldError("authorities", "auth.unknown", name)
			continue
		}
		f.Auths = f.Auths.With(a)
	}
	f.Groups = []string{}
	if f.Auths.Has(meibo.AuthDepartment) {
		// Groups only mean something to a department administrator; the
		// checkboxes of a hidden list are not kept.
		for _, g := range r.PostForm["groups"] {
			if g = strings.TrimSpace(g); g != "" {
				f.Groups = append(f.Groups, g)
			}
		}
	}
	return unknown
}

// precheck runs the domain's validation of the administrator (so that
// every field and every broken authority rule is shown at once) and asks for
// at least one group for a department administrator, who would otherwise
// see nothing. The service checks everything again.
func precheck(f *adminForm) error {
	var v meibo.Validation
	ad := &meibo.Admin{LoginID: f.LoginID, Name: f.Name, Email: f.Email, Notes: f.Notes, Authorities: f.Auths}
	if err := v.AddError("", ad.Validate()); err != nil {
		return err
	}
	if f.Auths.Has(meibo.AuthDepartment) && len(f.Groups) == 0 {
		v.Add("groups", "admin.department.none")
	}
	return v.Err()
}

func (c *Console) handleAdminCreate(q *req) {
	if !c.managerOnly(q) {
		return
	}
	groups, err := c.svc.Groups(q.ctx)
	if err != nil {
		c.fail(q, err)
		return
	}
	f := adminForm{Action: Prefix + "/admins", LoginID: strings.TrimSpace(q.r.PostFormValue("loginId"))}
	err = readAdminForm(q.r, &f)
	f.fill(q.lang, groups)
	if err == nil {
		err = precheck(&f)
	}
	if err == nil {
		_, err = c.svc.CreateAdmin(q.ctx, service.AdminInput{LoginID: f.LoginID, Name: f.Name, Email: f.Email, Notes: f.Notes,
			Password: q.r.PostFormValue("password"), Authorities: f.Auths, Groups: f.Groups, Disabled: f.Disabled})
	}
	if err != nil {
		if !formError(err) {
			c.fail(q, err)
			return
		}
		f.Failed = true
		c.form(q, formStatus(err), "admin_form", "admin.new.title", f, err)
		return
	}
	c.redirect(q, Prefix+"/admins", "admin.created")
}

// formError reports whether err is about what the form holds (and the form
// goes back with it), not about who sent it or what it is about.
func formError(err error) bool {
	switch meibo.ErrorCode(err) {
	case meibo.CodeForbidden, meibo.CodeNotFound, meibo.CodeUnauthorized:
		return false
	}
	return true
}

// formStatus is the status of a form sent back with errors.
func formStatus(err error) int {
	switch meibo.ErrorCode(err) {
	case meibo.CodeConflict:
		return http.StatusConflict
	case meibo.CodeInternal:
		return http.StatusInternalServerError
	}
	return http.StatusUnprocessableEntity
}

func (c *Console) adminByPath(q *req) (*meibo.Admin, error) {
	id, err := strconv.ParseInt(q.r.PathValue("id"), 10, 64)
	if err != nil {
		return nil, meibo.NotFound("not_found")
	}
	return c.svc.Admin(q.ctx, id)
}

// editForm is the form of an existing administrator with its values.
func (c *Console) editForm(q *req, ad *meibo.Admin) adminForm {
	return adminForm{Admin: ad, LoginID: ad.LoginID, Name: ad.Name, Email: ad.Email, Notes: ad.Notes, Disabled: ad.Disabled,
		Auths: ad.Authorities, Groups: ad.Groups, Backup: ad.Builtin && ad.LoginID == meibo.BuiltinBackup,
		Self: q.actor.Kind == meibo.ActorAdmin && q.actor.ID == ad.ID, Action: Prefix + "/admins/" + strconv.FormatInt(ad.ID, 10)}
}

func (c *Console) handleAdminEdit(q *req) {
	if !c.managerOnly(q) {
		return
	}
	ad, err := c.adminByPath(q)
	if err != nil {
		c.fail(q, err)
		return
	}
	groups, err := c.svc.Groups(q.ctx)
	if err != nil {
		c.fail(q, err)
		return
	}
	f := c.editForm(q, ad)
	f.fill(q.lang, groups)
	c.page(q, http.StatusOK, "admin_form", "admin.edit.title", f, notice(q))
}

func (c *Console) handleAdminUpdate(q *req) {
	if !c.managerOnly(q) {
		return
	}
	ad, err := c.adminByPath(q)
	if err != nil {
		c.fail(q, err)
		return
	}
	groups, err := c.svc.Groups(q.ctx)
	if err != nil {
		c.fail(q, err)
		return
	}
	f := c.editForm(q, ad)
	err = readAdminForm(q.r, &f)
	up := meibo.AdminUpdate{Name: &f.Name, Email: &f.Email, Notes: &f.Notes, Disabled: &f.Disabled}
	if f.Backup {
		// The built-in backup account keeps its one authority and has no
		// password; its matrix is shown, not sent.
		f.Auths, f.Groups = ad.Authorities, ad.Groups
	} else {
		up.Authorities, up.Groups = &f.Auths, &f.Groups
		if pw := q.r.PostFormValue("password"); pw != "" {
			up.Password = &pw
		}
	}
	f.fill(q.lang, groups)
	if err == nil && !f.Backup {
		err = precheck(&f)
	}
	if err == nil {
		_, err = c.svc.UpdateAdmin(q.ctx, ad.ID, up)
	}
	if err != nil {
		if !formError(err) {
			c.fail(q, err)
			return
		}
		f.Failed = true
		c.form(q, formStatus(err), "admin_form", "admin.edit.title", f, err)
		return
	}
	if f.Self && !f.Auths.ManagesAdmins() {
		// One's own account no longer manages administrators: these pages
		// are closed to it now.
		c.redirect(q, Prefix+"/", "admin.saved")
		return
	}
	c.redirect(q, Prefix+"/admins", "admin.saved")
}

// adminDeleteData is the delete confirmation.
type adminDeleteData struct {
	Admin   *meibo.Admin
	Refused bool // built-in or oneself: the page says why instead of asking
}

func (c *Console) handleAdminDeleteConfirm(q *req) {
	if !c.managerOnly(q) {
		return
	}
	ad, err := c.adminByPath(q)
	if err != nil {
		c.fail(q, err)
		return
	}
	d := adminDeleteData{Admin: ad}
	msg := ""
	switch {
	case q.actor.Kind == meibo.ActorAdmin && q.actor.ID == ad.ID:
		d.Refused, msg = true, meibo.M("admin.self.delete").In(q.lang)
	case ad.Builtin:
		d.Refused, msg = true, meibo.M("admin.builtin.delete", ad.LoginID).In(q.lang)
	}
	c.page(q, http.StatusOK, "admin_delete", "admin.delete.title", d, msg)
}

func (c *Console) handleAdminDelete(q *req) {
	if !c.managerOnly(q) {
		return
	}
	ad, err := c.adminByPath(q)
	if err != nil {
		c.fail(q, err)
		return
	}
	if err := c.svc.DeleteAdmin(q.ctx, ad.ID); err != nil {
		switch meibo.ErrorCode(err) {
		case meibo.CodeConflict, meibo.CodeInvalid:
			c.page(q, http.StatusConflict, "admin_delete", "admin.delete.title", adminDeleteData{Admin: ad, Refused: true},
				meibo.AsError(err).Msg.In(q.lang))
		default:
			c.fail(q, err)
		}
		return
	}
	c.redirect(q, Prefix+"/admins", "admin.deleted")
}
