package console

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/web"
)

// importRoutes registers the import pages (and, through exportRoutes, the
// export pages, which have no hook of their own in Register).
func (c *Console) importRoutes(a func(string, handler)) {
	a("GET "+Prefix+"/imports", c.handleImports)
	a("POST "+Prefix+"/imports", c.handleImportSubmit)
	a("GET "+Prefix+"/imports/template", c.handleImportTemplate)
	a("GET "+Prefix+"/imports/{id}", c.handleImportJob)
	a("GET "+Prefix+"/imports/{id}/status", c.handleImportStatus)
	a("GET "+Prefix+"/imports/{id}/errors.csv", c.handleImportErrors)
	a("GET "+Prefix+"/imports/{id}/file", c.handleImportFile)
	c.importConfirmRoutes(a)
	c.exportRoutes(a)
}

// importHistoryPage is how many jobs the history shows at a time.
const importHistoryPage = 20

// importRecent is how many of the latest jobs the import page shows.
const importRecent = 10

// importMessagesShown bounds the errors and warnings listed on a job's page;
// the CSV file holds all of them.
const importMessagesShown = 1000

// importForm is what the upload form holds (but the file, which a browser
// never sends back).
type importForm struct {
	Format          string
	Group           string
	Encoding        string
	UpdateExisting  bool
	SendInvitations bool
	DryRun          bool
	AllowWeakHashes bool
}

// importsData is the import page: the form (for those who may import) and
// the history.
type importsData struct {
	Form      importForm
	CanSubmit bool // Management Console with "import CSV file"
	Users     bool // may import users and personal passwords
	Devices   bool // may import device assignments
	Admins    bool // may import administrators
	Groups    []*meibo.Group
	MaxBytes  int64
	MaxLabel  string
	Jobs      []*jobView
	Active    bool // a job of the page is waiting or running
	Failed    bool // Message is an error
	Errors    map[string]string
}

// jobView is a job as the pages show it.
type jobView struct {
	*meibo.ImportJob
	Active      bool // QUEUED or RUNNING: the page polls its status
	Percent     int
	StatusLabel string
	FormatLabel string
	SizeLabel   string
	Summary     string
	Progress    string // rows, elapsed, estimate (running)
	OutcomeKind string // ok, error: the banner of a finished job
	Outcome     string
}

func (c *Console) jobView(lang meibo.Lang, j *meibo.ImportJob) *jobView {
	v := &jobView{ImportJob: j, Active: j.Status == meibo.ImportQueued || j.Status == meibo.ImportRunning,
		StatusLabel: web.T(lang, "imp.status."+string(j.Status)), FormatLabel: web.T(lang, "imp.format."+j.Format),
		SizeLabel: sizeLabel(lang, j.Size)}
	v.Percent = percent(j)
	switch {
	case j.Status == meibo.ImportSuccess && service.IsBulkFormat(j.Format):
		// A bulk action creates nothing: its own words, its own counts.
		v.Summary = meibo.M("bulk.summary", groupDigits(j.Updated), groupDigits(j.Deleted), groupDigits(j.Unchanged)).In(lang)
	case j.Status == meibo.ImportSuccess:
		v.Summary = meibo.M("import.summary", groupDigits(j.Created), groupDigits(j.Updated), groupDigits(j.Deleted), groupDigits(j.Unchanged)).In(lang)
	case j.Status == meibo.ImportFailed && service.IsBulkFormat(j.Format):
		v.Summary = service.BulkFailedMsg(j.ErrorCount).In(lang) // no file was refused
	case j.Status == meibo.ImportFailed:
		v.Summary = service.FailedMsg(j.ErrorCount).In(lang)
	}
	v.Progress = c.progressText(lang, j, time.Now())
	v.OutcomeKind, v.Outcome = outcome(lang, v)
	return v
}

// percent is how far a job has come, 0–100.
func percent(j *meibo.ImportJob) int {
	switch j.Status {
	case meibo.ImportSuccess, meibo.ImportFailed:
		return 100
	case meibo.ImportRunning:
		return int(math.Round(100 * min(1, max(0, j.Progress))))
	}
	return 0
}

// sizeLabel writes a file size for a person: "812 bytes", "1.4 MiB".
func sizeLabel(lang meibo.Lang, n int64) string {
	switch {
	case n < 1<<10:
		if n == 1 {
			return web.T(lang, "imp.n.bytes.one")
		}
		return web.T(lang, "imp.bytes", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

// mayImport reports whether the console offers the upload form to a.
func mayImport(a *meibo.Actor) bool { return can(a, meibo.AuthConsole, meibo.AuthImport) }

// importsPage loads what the import page shows besides the form's values.
func (c *Console) importsPage(q *req, d *importsData) error {
	if mayImport(q.actor) {
		d.Users = !q.actor.Has(meibo.AuthDevicesOnly)
		d.Devices = q.actor.Has(meibo.AuthDevices)
		d.Admins = q.actor.Authorities.ManagesAdmins()
	}
	d.CanSubmit = d.Users || d.Devices || d.Admins
	d.MaxBytes, d.MaxLabel = c.max, service.FormatBytes(c.max)
	if d.CanSubmit {
		groups, err := c.svc.Groups(q.ctx)
		if err != nil {
			return err
		}
		d.Groups = groups
	}
	// The latest jobs; the whole history, with filters, has a page of
	// its own (import_history.go).
	jobs, err := c.svc.ImportJobs(q.ctx, meibo.ImportFilter{Limit: importRecent})
	if err != nil {
		return err
	}
	for _, j := range jobs {
		v := c.jobView(q.lang, j)
		d.Active = d.Active || v.Active
		d.Jobs = append(d.Jobs, v)
	}
	return nil
}

// handleImports shows the upload form and the import history. The history
// is also for Log Viewers with "view/save attached information" (21), who
// see it without the form.
func (c *Console) handleImports(q *req) {
	if !mayImport(q.actor) && !can(q.actor, meibo.AuthLogViewer, meibo.AuthLogAttachments) {
		c.fail(q, meibo.Forbidden("forbidden.auth", meibo.AuthImport))
		return
	}
	d := importsData{Form: importForm{Format: meibo.FormatUsers, Encoding: "auto", SendInvitations: c.svc.InvitationsByDefault()}}
	if err := c.importsPage(q, &d); err != nil {
		c.fail(q, err)
		return
	}
	if len(d.Groups) > 0 {
		d.Form.Group = d.Groups[0].ID
	}
	if !d.Users && d.Devices {
		d.Form.Format = meibo.FormatDevices
	}
	c.page(q, http.StatusOK, "imports", "imp.title", d, notice(q))
}

// handleImportSubmit takes an upload and queues it as a job.
func (c *Console) handleImportSubmit(q *req) {
	ir, data, err := c.readUpload(q)
	form := importForm{Format: ir.Format, Group: ir.GroupID, Encoding: defaultTo(ir.Encoding, "auto"),
		UpdateExisting: ir.UpdateExisting, SendInvitations: ir.SendInvitations, DryRun: ir.DryRun,
		AllowWeakHashes: ir.AllowWeakHashes}
	if err == nil {
		var job *meibo.ImportJob
		if job, err = c.svc.SubmitImport(q.ctx, ir, data); err == nil {
			c.redirect(q, Prefix+"/imports/"+strconv.FormatInt(job.ID, 10), "imp.submitted")
			return
		}
	}
	e := meibo.AsError(err)
	switch e.Code {
	case meibo.CodeForbidden, meibo.CodeUnauthorized, meibo.CodeInternal:
		c.fail(q, err)
		return
	}
	d := importsData{Form: form}
	if perr := c.importsPage(q, &d); perr != nil {
		c.fail(q, perr)
		return
	}
	status := http.StatusUnprocessableEntity
	d.Failed, d.Errors = true, map[string]string{}
	for f, m := range e.Fields {
		d.Errors[f] = m.In(q.lang)
	}
	if e.Code == meibo.CodeTooLarge {
		status = http.StatusRequestEntityTooLarge
		d.Errors["file"] = e.Msg.In(q.lang)
	}
	if e.Code == meibo.CodeRateLimited {
		status = http.StatusTooManyRequests
	}
	c.page(q, status, "imports", "imp.title", d, e.Msg.In(q.lang))
}

func defaultTo(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// uploadSlack is what a multipart body may hold besides the file: the
// other fields and the part headers.
const uploadSlack = 64 << 10

// uploadMemory is how much of an upload is kept in memory while the form is
// read; the rest waits in a temporary file until the request ends.
const uploadMemory = 1 << 20

// readUpload reads the import form: its fields and the file, refusing a file
// over the upload limit with a message that says so. A form sent with its
// CSRF token in the X-CSRF-Token header is read here, with the body bounded;
// a plain form was parsed already, for its token, by authed.
func (c *Console) readUpload(q *req) (service.ImportRequest, []byte, error) {
	r := q.r
	var ir service.ImportRequest
	tooLarge := meibo.Errorf(meibo.CodeTooLarge, "too_large", service.FormatBytes(c.max))
	if r.MultipartForm == nil {
		r.Body = http.MaxBytesReader(q.w, r.Body, c.max+uploadSlack)
		if err := r.ParseMultipartForm(uploadMemory); err != nil {
			var big *http.MaxBytesError
			switch {
			case errors.As(err, &big):
				return ir, nil, tooLarge
			case errors.Is(err, http.ErrNotMultipart):
				return ir, nil, meibo.FieldError("file", "required")
			}
			return ir, nil, meibo.Errorf(meibo.CodeBadRequest, "bad_request", err.Error())
		}
	}
	ir.Format = r.PostFormValue("format")
	ir.GroupID = r.PostFormValue("group")
	ir.Encoding = r.PostFormValue("encoding")
	ir.UpdateExisting = r.PostFormValue("updateExisting") != ""
	ir.SendInvitations = r.PostFormValue("sendInvitations") != ""
	ir.DryRun = r.PostFormValue("dryRun") != ""
	ir.AllowWeakHashes = r.PostFormValue("allowWeakHashes") != ""
	if ir.Format == meibo.FormatAdmins {
		ir.GroupID = ""
	}
	files := r.MultipartForm.File["file"]
	if len(files) == 0 || (files[0].Filename == "" && files[0].Size == 0) {
		return ir, nil, meibo.FieldError("file", "required")
	}
	fh := files[0]
	ir.FileName = fh.Filename
	if fh.Size > c.max {
		return ir, nil, tooLarge
	}
	f, err := fh.Open()
	if err != nil {
		return ir, nil, fmt.Errorf("open the upload: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, c.max+1))
	if err != nil {
		return ir, nil, fmt.Errorf("read the upload: %w", err)
	}
	if int64(len(data)) > c.max {
		return ir, nil, tooLarge
	}
	return ir, data, nil
}

// jobID reads the job ID of the path.
func jobID(q *req) (int64, error) {
	id, err := strconv.ParseInt(q.r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, meibo.NotFound("not_found")
	}
	return id, nil
}

// importMessage is an error or warning in the page's language.
type importMessage struct {
	Row     int
	Column  string
	Text    string
	Warning bool
}

// importJobData is a job's page.
type importJobData struct {
	Job       *jobView
	Messages  []importMessage
	Errors    int // listed
	Warnings  int
	More      int    // messages not listed (see the CSV file)
	Note      string // the job kept only its first messages: how many of how many
	CanFile   bool   // Log Viewer with "view/save attached information"
	Kept      bool   // the uploaded file is still there to download
	AuditLink string // the audit trail of the job, for Log Viewers
	Counted   string // how many errors and warnings are listed, in words
	MoreText  string // how many more there are, in words
	Confirm   *importConfirmData
	Changes   *jobChangesData
	// Back and BackKey are the link back: the import history, or for a
	// bulk action the list it was taken on; none where the actor may not
	// go.
	Back    string
	BackKey string
}

// jobBack sets the page's link back to a page the actor may open: for a bulk
// action, the group's list of users (or devices) it was taken on, else the
// import history; none when the actor may open neither.
func (d *importJobData) jobBack(a *meibo.Actor) {
	j := d.Job
	switch {
	case j.Bulk() && strings.HasPrefix(service.BulkAction(j.Format), "devices.") && can(a, meibo.AuthConsole) && a.InScope(j.GroupID):
		d.Back, d.BackKey = devicesURL("", j.GroupID), "devices.back"
	case j.Bulk() && !strings.HasPrefix(service.BulkAction(j.Format), "devices.") && manages(a) && a.InScope(j.GroupID):
		d.Back, d.BackKey = Prefix+"/groups/"+url.PathEscape(j.GroupID)+"/users", "back.users"
	case mayImport(a) || can(a, meibo.AuthLogViewer, meibo.AuthLogAttachments):
		d.Back, d.BackKey = Prefix+"/imports", "imp.back"
	}
}

// jobTitle is the title of a job's page: an import's, or a bulk action's.
func jobTitle(d *importJobData) string {
	if d != nil && d.Job != nil && d.Job.Bulk() {
		return "bulk.job.title"
	}
	return "imp.job.title"
}

func (c *Console) handleImportJob(q *req) {
	id, err := jobID(q)
	if err != nil {
		c.fail(q, err)
		return
	}
	d, err := c.importJobPage(q, id)
	if err != nil {
		c.fail(q, err)
		return
	}
	c.page(q, http.StatusOK, "import_job", jobTitle(d), d, c.importNotice(q, d.Job))
}

// importJobPage loads a job's page.
func (c *Console) importJobPage(q *req, id int64) (*importJobData, error) {
	j, err := c.svc.ImportJob(q.ctx, id)
	if err != nil {
		return nil, err
	}
	d := &importJobData{Job: c.jobView(q.lang, j), CanFile: can(q.actor, meibo.AuthLogViewer, meibo.AuthLogAttachments)}
	d.jobBack(q.actor)
	d.Kept = j.Size > 0
	if !d.Job.Active {
		msgs, err := c.svc.ImportMessages(q.ctx, id, importMessagesShown+1)
		if err != nil {
			return nil, err
		}
		if service.FileDropped(msgs) {
			d.Kept = false
		}
		if len(msgs) > importMessagesShown {
			msgs = msgs[:importMessagesShown]
		} else if note := service.ImportKeptNote(j, msgs); note.Key != "" {
			d.Note = note.In(q.lang)
		}
		for _, m := range msgs {
			text := m.Text
			if q.lang == meibo.Japanese && m.TextJA != "" {
				text = m.TextJA
			}
			d.Messages = append(d.Messages, importMessage{Row: m.Row, Column: m.Column, Text: text, Warning: m.Warning})
			if m.Warning {
				d.Warnings++
			} else {
				d.Errors++
			}
		}
		if d.Note == "" {
			d.More = max(0, j.ErrorCount+j.WarningCount-len(d.Messages))
		}
		d.Counted = web.T(q.lang, "imp.messages.counted", countNoun(q.lang, "imp.n.errors", d.Errors), countNoun(q.lang, "imp.n.warnings", d.Warnings))
		if d.More > 0 {
			d.MoreText = countNoun(q.lang, "imp.messages.more", d.More)
		}
		d.Confirm = c.importConfirm(q, j)
		if err := c.importChanges(q, d); err != nil {
			return nil, err
		}
	}
	if can(q.actor, meibo.AuthLogViewer) {
		d.AuditLink = auditLink("import", strconv.FormatInt(j.ID, 10))
	}
	return d, nil
}

// importStatus is the answer of a job's status endpoint, which the pages
// poll while the job waits or runs.
type importStatus struct {
	ID        int64              `json:"id"`
	Status    meibo.ImportStatus `json:"status"`
	Label     string             `json:"label"`
	Done      bool               `json:"done"`
	Progress  float64            `json:"progress"`
	Percent   int                `json:"percent"`
	Rows      int                `json:"rows"`
	Created   int                `json:"created"`
	Updated   int                `json:"updated"`
	Deleted   int                `json:"deleted"`
	Unchanged int                `json:"unchanged"`
	Errors    int                `json:"errors"`
	Warnings  int                `json:"warnings"`
	Summary   string             `json:"summary,omitempty"`
	// ProgressText is rows done of the total, the time elapsed and an
	// estimate of the time left, in words.
	ProgressText string `json:"progressText,omitempty"`
}

func (c *Console) handleImportStatus(q *req) {
	id, err := jobID(q)
	if err != nil {
		c.failJSON(q, err)
		return
	}
	j, err := c.svc.ImportJob(q.ctx, id)
	if err != nil {
		c.failJSON(q, err)
		return
	}
	v := c.jobView(q.lang, j)
	progress := float64(v.Percent) / 100
	if j.Status == meibo.ImportRunning {
		progress = min(1, max(0, j.Progress))
	}
	writeJSON(q.w, http.StatusOK, importStatus{ID: j.ID, Status: j.Status, Label: v.StatusLabel, Done: !v.Active,
		Progress: progress, Percent: v.Percent, Rows: j.Rows, Created: j.Created, Updated: j.Updated, Deleted: j.Deleted,
		Unchanged: j.Unchanged, Errors: j.ErrorCount, Warnings: j.WarningCount, Summary: v.Summary, ProgressText: v.Progress})
}

// failJSON answers an error of a JSON endpoint of the console.
func (c *Console) failJSON(q *req, err error) {
	e := meibo.AsError(err)
	status := http.StatusInternalServerError
	switch e.Code {
	case meibo.CodeNotFound:
		status = http.StatusNotFound
	case meibo.CodeForbidden:
		status = http.StatusForbidden
	case meibo.CodeUnauthorized:
		status = http.StatusUnauthorized
	case meibo.CodeInvalid, meibo.CodeBadRequest:
		status = http.StatusBadRequest
	default:
		c.log.Error("console", "path", q.r.URL.Path, "err", err)
	}
	writeJSON(q.w, status, map[string]string{"error": e.Msg.In(q.lang)})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}

// handleImportErrors sends a job's errors and warnings as a CSV file in the
// page's language.
func (c *Console) handleImportErrors(q *req) {
	id, err := jobID(q)
	if err != nil {
		c.fail(q, err)
		return
	}
	c.spoolAttachment(q, fmt.Sprintf("import-%d-errors.csv", id), "text/csv; charset=utf-8", func(w io.Writer) error {
		return c.svc.WriteImportErrors(q.ctx, id, w, q.lang)
	}, func(err error) { c.fail(q, err) })
}

// handleImportFile sends a job's uploaded file (passwords removed once the
// job has run); the service asks for authority 21.
func (c *Console) handleImportFile(q *req) {
	id, err := jobID(q)
	if err != nil {
		c.fail(q, err)
		return
	}
	j, data, err := c.svc.ImportFile(q.ctx, id)
	if err != nil {
		c.fail(q, err)
		return
	}
	name := j.FileName
	if name == "" {
		name = fmt.Sprintf("import-%d.csv", id)
	}
	setAttachment(q.w, name, "application/octet-stream", int64(len(data)))
	q.w.WriteHeader(http.StatusOK)
	q.w.Write(data)
}
