package console

import (
	"bytes"
	"net/http"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/csvio"
)

// The templates of the import page: for each format the administrator may
// import, a file with the header and one example row, in UTF-8 (with a byte
// order mark, so that Excel opens it as UTF-8) or Shift_JIS (CP932). The
// content is csvio's (see csvio.WriteTemplate), the same as the API's.

// TemplateFormats are the formats whose template the import page offers:
// those the administrator may import, in csvio's order.
func (d importsData) TemplateFormats() []string {
	var out []string
	for _, f := range csvio.TemplateFormats {
		switch {
		case f == meibo.FormatUsers || f == meibo.FormatPersonal:
			if d.Users {
				out = append(out, f)
			}
		case f == meibo.FormatDevices && d.Devices, f == meibo.FormatAdmins && d.Admins:
			out = append(out, f)
		}
	}
	return out
}

// handleImportTemplate sends the template of ?format= in ?encoding= (utf-8
// or cp932) to an administrator who may import files.
func (c *Console) handleImportTemplate(q *req) {
	if !mayImport(q.actor) {
		c.fail(q, meibo.Forbidden("forbidden.auth", meibo.AuthImport))
		return
	}
	query := q.r.URL.Query()
	var enc csvio.Encoding
	switch query.Get("encoding") {
	case "", "utf-8":
		enc = csvio.UTF8
	case "cp932":
		enc = csvio.CP932
	default:
		c.fail(q, meibo.NotFound("not_found"))
		return
	}
	format := query.Get("format")
	var b bytes.Buffer
	if err := csvio.WriteTemplate(&b, format, enc, enc == csvio.UTF8); err != nil {
		if meibo.ErrorCode(err) == meibo.CodeInvalid {
			err = meibo.NotFound("not_found")
		}
		c.fail(q, err)
		return
	}
	setAttachment(q.w, csvio.TemplateName(format), csvType(enc), int64(b.Len()))
	q.w.WriteHeader(http.StatusOK)
	q.w.Write(b.Bytes())
}
