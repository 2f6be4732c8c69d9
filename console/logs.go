package console

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/web"
)

// logRoutes registers the outbox and the audit log.
func (c *Console) logRoutes(a func(string, handler)) {
	a("GET "+Prefix+"/mail", c.handleMails)
	a("GET "+Prefix+"/mail/{id}", c.handleMail)
	a("GET "+Prefix+"/mail/{id}/html", c.handleMailHTML)
	a("GET "+Prefix+"/audit", c.handleAudit)
	a("GET "+Prefix+"/audit.csv", c.handleAuditCSV)
}

// logPage is how many messages or events a page shows.
const logPage = 50

// mailsData is the outbox.
type mailsData struct {
	Status string // filter: "", pending, sent, failed
	Mails  []*meibo.MailMessage
	Before string // the page shown (blank: the newest)
	Next   string // before ID of the next, older page
	NoSMTP bool   // no SMTP server is configured: nothing here is sent
}

// beforeID reads the "before" of a paged list.
func beforeID(q *req) (int64, string) {
	s := q.r.URL.Query().Get("before")
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, ""
	}
	return id, s
}

func (c *Console) handleMails(q *req) {
	d := mailsData{Status: q.r.URL.Query().Get("status"), NoSMTP: !c.svc.MailConfigured()}
	f := meibo.MailFilter{Limit: logPage + 1}
	switch meibo.MailStatus(d.Status) {
	case meibo.MailPending, meibo.MailSent, meibo.MailFailed:
		f.Status = meibo.MailStatus(d.Status)
	default:
		d.Status = ""
	}
	f.BeforeID, d.Before = beforeID(q)
	mails, err := c.svc.Mails(q.ctx, f)
	if err != nil {
		c.fail(q, err)
		return
	}
	if len(mails) > logPage {
		mails = mails[:logPage]
		d.Next = strconv.FormatInt(mails[len(mails)-1].ID, 10)
	}
	for i, m := range mails {
		mails[i] = mailInLang(m, q.lang)
	}
	d.Mails = mails
	c.page(q, http.StatusOK, "mails", "outbox.title", d, "")
}

func (c *Console) mailByPath(q *req) (*meibo.MailMessage, error) {
	id, err := strconv.ParseInt(q.r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return nil, meibo.NotFound("not_found")
	}
	return c.svc.Mail(q.ctx, id)
}

// handleMail shows one message: its text as text, and its HTML version as
// source text and in a sandboxed frame (handleMailHTML), never in the page.
func (c *Console) handleMail(q *req) {
	m, err := c.mailByPath(q)
	if err != nil {
		c.fail(q, err)
		return
	}
	c.page(q, http.StatusOK, "mail_message", "outbox.message.title", mailInLang(m, q.lang), "")
}

// mailInLang is a message with its stored reason in lang (a copy when it
// changes).
func mailInLang(m *meibo.MailMessage, lang meibo.Lang) *meibo.MailMessage {
	reason := service.MailReasonIn(m.LastError, lang)
	if reason == m.LastError {
		return m
	}
	copied := *m
	copied.LastError = reason
	return &copied
}

// mailHTMLPolicy confines the HTML version of a message: a sandbox without
// scripts, forms or an origin of its own, nothing loaded from anywhere (but
// inline styles and data: images), shown only in a frame of the console.
const mailHTMLPolicy = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; " +
	"frame-ancestors 'self'; form-action 'none'; base-uri 'none'"

// handleMailHTML serves the HTML version of a message for the sandboxed
// frame of the message's page.
func (c *Console) handleMailHTML(q *req) {
	m, err := c.mailByPath(q)
	if err != nil {
		c.fail(q, err)
		return
	}
	if m.HTML == "" {
		c.fail(q, meibo.NotFound("not_found"))
		return
	}
	h := q.w.Header()
	h.Set("Content-Security-Policy", mailHTMLPolicy)
	h.Set("X-Frame-Options", "SAMEORIGIN")
	h.Set("Content-Type", "text/html; charset=utf-8")
	q.w.WriteHeader(http.StatusOK)
	io.WriteString(q.w, m.HTML)
}

// auditForm is the filter of the audit log as typed.
type auditForm struct {
	Actor  string
	Action string
	Kind   string // object kind
	Object string // object ID
	Since  string // YYYY-MM-DD in the console's time zone
	Until  string // YYYY-MM-DD, inclusive
}

// query is the filter as a query string (with a leading "?", or blank).
func (f auditForm) query(extra ...string) string {
	return queryString(append([]string{"actor", f.Actor, "action", f.Action, "kind", f.Kind, "object", f.Object,
		"since", f.Since, "until", f.Until}, extra...)...)
}

// auditRow is an event as the log shows it.
type auditRow struct {
	*meibo.AuditEvent
	Details       []auditDetail
	CategoryLabel string
	ActionLabel   string // the action's name for a person
	KindLabel     string // the object kind's name for a person
	When          string // to the second, in the console's time zone
	Link          string // the object's page in the console, if there is one
}

type auditDetail struct{ Key, Value string }

// auditData is the audit log page.
type auditData struct {
	Form     auditForm
	Events   []auditRow
	Before   string
	Next     string
	First    string        // the newest page with the same filter
	CSV      string        // the CSV file with the same filter (authority 22)
	Actions  []auditOption // offered in the filter
	Kinds    []auditOption
	Hidden   []string // categories the administrator does not see, for a person
	Scoped   bool     // a department administrator: their groups only
	Zone     string
	Errors   map[string]string
	Filtered bool
}

// auditFilter reads the filter of the query; errs holds a message per field
// that could not be read.
func (c *Console) auditFilter(q *req) (meibo.AuditFilter, auditForm, map[string]string) {
	qs := q.r.URL.Query()
	form := auditForm{Actor: strings.TrimSpace(qs.Get("actor")), Action: strings.TrimSpace(qs.Get("action")),
		Kind: strings.TrimSpace(qs.Get("kind")), Object: strings.TrimSpace(qs.Get("object")),
		Since: strings.TrimSpace(qs.Get("since")), Until: strings.TrimSpace(qs.Get("until"))}
	f := meibo.AuditFilter{Actor: form.Actor, Action: form.Action, ObjectKind: form.Kind, ObjectID: form.Object}
	errs := map[string]string{}
	day := func(field, s string) *time.Time {
		if s == "" {
			return nil
		}
		t, err := time.ParseInLocation("2006-01-02", s, c.loc)
		if err != nil {
			errs[field] = web.T(q.lang, "audit.date.invalid")
			return nil
		}
		return &t
	}
	f.Since = day("since", form.Since)
	if t := day("until", form.Until); t != nil {
		end := t.AddDate(0, 0, 1) // the whole day
		f.Until = &end
	}
	if f.Since != nil && f.Until != nil && !f.Since.Before(*f.Until) {
		errs["until"] = web.T(q.lang, "audit.date.order")
	}
	return f, form, errs
}

// auditCategories are the categories of the audit log with the authority
// that shows each beyond Log Viewer.
var auditCategories = []struct {
	name string
	auth meibo.Authority // 0: Log Viewer is enough
}{
	{meibo.CategoryUser, 0}, {meibo.CategorySignIn, 0}, {meibo.CategoryDevice, 0},
	{meibo.CategoryConfig, meibo.AuthLogConfig}, {meibo.CategoryMail, meibo.AuthLogMail}, {meibo.CategoryBackup, meibo.AuthLogBackup},
}

func (c *Console) handleAudit(q *req) {
	f, form, errs := c.auditFilter(q)
	d := auditData{Form: form, Actions: auditOptions(q.lang, auditActionNames, "audit.act.", form.Action),
		Kinds: auditOptions(q.lang, auditKindNames, "audit.obj.", form.Kind), Zone: zoneName(c.loc), Scoped: q.actor.Department(),
		Filtered: form != auditForm{}}
	for _, cat := range auditCategories {
		if cat.auth != 0 && !q.actor.Has(cat.auth) {
			d.Hidden = append(d.Hidden, web.T(q.lang, "audit.hidden.item", web.T(q.lang, "audit.cat."+cat.name), cat.auth.Label(q.lang)))
		}
	}
	if len(errs) > 0 {
		d.Errors = errs
		msg := web.T(q.lang, "audit.filter.invalid")
		c.page(q, http.StatusUnprocessableEntity, "audit", "audit.title", d, msg)
		return
	}
	f.Limit = logPage + 1
	f.BeforeID, d.Before = beforeID(q)
	events, err := c.svc.AuditEvents(q.ctx, f)
	if err != nil {
		c.fail(q, err)
		return
	}
	if len(events) > logPage {
		events = events[:logPage]
		d.Next = form.query("before", strconv.FormatInt(events[len(events)-1].ID, 10))
	}
	d.First = form.query()
	if d.First == "" {
		d.First = "?"
	}
	if can(q.actor, meibo.AuthLogViewer, meibo.AuthLogSaveCSV) {
		d.CSV = Prefix + "/audit.csv" + form.query()
	}
	mail := can(q.actor, meibo.AuthLogViewer, meibo.AuthLogMail)
	// An import's page opens to those who import, and to a log viewer
	// with attached information (21), within their groups; to others it
	// would answer "not found".
	imports := mayImport(q.actor) || can(q.actor, meibo.AuthLogViewer, meibo.AuthLogAttachments)
	for _, e := range events {
		row := auditRow{AuditEvent: e, Details: auditDetails(e.Details), CategoryLabel: web.T(q.lang, "audit.cat."+e.Category),
			ActionLabel: auditActionLabel(q.lang, e.Action), KindLabel: e.ObjectKind,
			When: e.At.In(c.loc).Format("2006-01-02 15:04:05")}
		if _, ok := auditKindNames[e.ObjectKind]; ok {
			row.KindLabel = web.T(q.lang, "audit.obj."+e.ObjectKind)
		}
		if _, err := strconv.ParseInt(e.ObjectID, 10, 64); err == nil {
			switch {
			case e.ObjectKind == "import" && imports && (e.GroupID == "" && q.actor.Authorities.ManagesAdmins() || e.GroupID != "" && q.actor.InScope(e.GroupID)):
				// (an administrators import opens to those who manage
				// administrators)
				row.Link = Prefix + "/imports/" + e.ObjectID
			case e.ObjectKind == "mail" && mail:
				row.Link = Prefix + "/mail/" + e.ObjectID
			}
		}
		d.Events = append(d.Events, row)
	}
	c.page(q, http.StatusOK, "audit", "audit.title", d, "")
}

// auditDetails lists an event's details by key, each value as JSON (but a
// string, which is shown as it is).
func auditDetails(m map[string]any) []auditDetail {
	out := make([]auditDetail, 0, len(m))
	for k, v := range m {
		out = append(out, auditDetail{Key: k, Value: detailValue(v)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

func detailValue(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// handleAuditCSV sends the events of the filter (all of them, not a page)
// as a CSV file: UTF-8 with a BOM, CRLF, times in the console's time zone,
// every cell a spreadsheet would run as a formula neutralised. The service
// refuses it without authority 22.
func (c *Console) handleAuditCSV(q *req) {
	f, form, errs := c.auditFilter(q)
	if len(errs) > 0 {
		http.Redirect(q.w, q.r, Prefix+"/audit"+form.query(), http.StatusSeeOther)
		return
	}
	name := "audit-" + time.Now().In(c.loc).Format("20060102-150405") + ".csv"
	c.spoolAttachment(q, name, "text/csv; charset=utf-8", func(w io.Writer) error {
		_, err := c.svc.WriteAuditCSV(q.ctx, f, w, c.loc, true)
		return err
	}, func(err error) { c.fail(q, err) })
}

// auditLink is the audit log filtered to one object (for other pages).
func auditLink(kind, id string) string {
	return Prefix + "/audit?" + url.Values{"kind": {kind}, "object": {id}}.Encode()
}
