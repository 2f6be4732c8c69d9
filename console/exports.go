package console

import (
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"strconv"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/csvio"
)

// exportRoutes registers the export pages (called from importRoutes).
func (c *Console) exportRoutes(a func(string, handler)) {
	a("GET "+Prefix+"/exports", c.handleExports)
	a("POST "+Prefix+"/exports/users", c.handleExportUsers)
	a("POST "+Prefix+"/exports/admins", c.handleExportAdmins)
}

// exportsData is the export page.
type exportsData struct {
	Groups        []*meibo.Group
	Group         string // chosen
	Admins        bool   // may export administrators
	AdminEncoding string // the configured encoding of administrator files, for a person
	Failed        bool   // Message is an error
}

// mayExport reports whether the console offers exports to a; the services
// decide again on every download.
func mayExport(a *meibo.Actor) bool {
	return can(a, meibo.AuthConsole, meibo.AuthExport) && !a.Has(meibo.AuthDevicesOnly)
}

func (c *Console) exportsPage(q *req, d *exportsData) error {
	if !mayExport(q.actor) {
		return meibo.Forbidden("forbidden.auth", meibo.AuthExport)
	}
	groups, err := c.svc.Groups(q.ctx)
	if err != nil {
		return err
	}
	d.Groups = groups
	if d.Group == "" && len(groups) > 0 {
		d.Group = groups[0].ID
	}
	d.Admins = q.actor.Authorities.ManagesAdmins()
	if d.Admins {
		st, err := c.svc.Settings(q.ctx)
		if err != nil {
			return err
		}
		d.AdminEncoding = encodingLabel(st.AdminCSVEncoding)
	}
	return nil
}

// encodingLabel names an encoding for a person.
func encodingLabel(enc string) string {
	e, err := csvio.ParseEncoding(enc)
	switch {
	case err != nil:
		return enc
	case e == csvio.CP932:
		return "Shift_JIS (CP932)"
	case e == csvio.UTF8:
		return "UTF-8"
	}
	return string(e)
}

func (c *Console) handleExports(q *req) {
	d := exportsData{Group: q.r.URL.Query().Get("group")}
	if err := c.exportsPage(q, &d); err != nil {
		c.fail(q, err)
		return
	}
	c.page(q, http.StatusOK, "exports", "exp.title", d, "")
}

// exportFailed shows the export page again with why a file could not be
// written (such as a character that Shift_JIS cannot hold, naming the record
// and the field).
func (c *Console) exportFailed(q *req, group string, err error) {
	switch meibo.ErrorCode(err) {
	case meibo.CodeForbidden, meibo.CodeUnauthorized, meibo.CodeNotFound, meibo.CodeInternal:
		c.fail(q, err)
		return
	}
	d := exportsData{Group: group, Failed: true}
	if perr := c.exportsPage(q, &d); perr != nil {
		c.fail(q, perr)
		return
	}
	c.page(q, http.StatusUnprocessableEntity, "exports", "exp.title", d, meibo.AsError(err).Msg.In(q.lang))
}

// csvType is the content type of a CSV file in enc.
func csvType(enc csvio.Encoding) string {
	if enc == csvio.CP932 {
		return "text/csv; charset=Shift_JIS"
	}
	return "text/csv; charset=utf-8"
}

// handleExportUsers sends the users of a group as users.csv: UTF-8, UTF-8
// with a BOM (for Excel) or Shift_JIS.
func (c *Console) handleExportUsers(q *req) {
	group := q.r.PostFormValue("group")
	var enc csvio.Encoding
	var bom bool
	switch q.r.PostFormValue("encoding") {
	case "utf-8":
		enc = csvio.UTF8
	case "utf-8-bom":
		enc, bom = csvio.UTF8, true
	case "cp932":
		enc = csvio.CP932
	default:
		c.exportFailed(q, group, meibo.FieldError("encoding", "csv.encoding.unknown", q.r.PostFormValue("encoding")))
		return
	}
	if group == "" {
		c.exportFailed(q, group, meibo.FieldError("group", "group.required"))
		return
	}
	c.spoolAttachment(q, c.exportName("users", group), csvType(enc), func(w io.Writer) error {
		_, err := c.svc.ExportUsers(q.ctx, group, w, enc, bom)
		return err
	}, func(err error) { c.exportFailed(q, group, err) })
}

// handleExportAdmins sends every administrator as admins.csv (manual 002):
// in the configured encoding, UTF-8 or Shift_JIS.
func (c *Console) handleExportAdmins(q *req) {
	var enc csvio.Encoding
	switch v := q.r.PostFormValue("encoding"); v {
	case "":
		st, err := c.svc.Settings(q.ctx)
		if err != nil {
			c.fail(q, err)
			return
		}
		if enc, err = csvio.ParseEncoding(st.AdminCSVEncoding); err != nil || enc == csvio.Auto {
			enc = csvio.UTF8
		}
	case "utf-8":
		enc = csvio.UTF8
	case "cp932":
		enc = csvio.CP932
	default:
		c.exportFailed(q, "", meibo.FieldError("encoding", "csv.encoding.unknown", v))
		return
	}
	c.spoolAttachment(q, c.exportName("admins", ""), csvType(enc), func(w io.Writer) error {
		_, err := c.svc.ExportAdmins(q.ctx, w, enc, false)
		return err
	}, func(err error) { c.exportFailed(q, "", err) })
}

// setAttachment sets the headers of a file download.
func setAttachment(w http.ResponseWriter, name, contentType string, size int64) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	cd := mime.FormatMediaType("attachment", map[string]string{"filename": name})
	if cd == "" { // a name that cannot be written in the header (control characters)
		cd = "attachment"
	}
	h.Set("Content-Disposition", cd)
	h.Set("Content-Length", strconv.FormatInt(size, 10))
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
}

// spoolAttachment writes a download to a temporary file first and sends it
// only when it is whole, so that a failure (a character the encoding cannot
// hold, a lacking authority) shows a page that says so instead of a
// truncated file; failed answers such a failure.
func (c *Console) spoolAttachment(q *req, name, contentType string, write func(io.Writer) error, failed func(error)) {
	f, err := os.CreateTemp("", "meibo-console-*")
	if err != nil {
		c.fail(q, fmt.Errorf("spool a download: %w", err))
		return
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if err := write(f); err != nil {
		failed(err)
		return
	}
	size, err := f.Seek(0, io.SeekCurrent)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		c.fail(q, fmt.Errorf("spool a download: %w", err))
		return
	}
	setAttachment(q.w, name, contentType, size)
	q.w.WriteHeader(http.StatusOK)
	if _, err := io.Copy(q.w, f); err != nil {
		c.log.Warn("send a download", "path", q.r.URL.Path, "err", err)
	}
}
