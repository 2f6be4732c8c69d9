package api

import (
	"bytes"
	"net/http"
	"strconv"

	"github.com/meibo/meibo/csvio"
)

// handleImportTemplate sends the template of ?format= (users, personal,
// devices or admins): its header and one example row that imports as it is,
// in ?encoding= utf-8 (the default) or cp932, with a BOM when ?bom=true
// (UTF-8 only). The formats are described in docs/CSV.md.
func (s *Server) handleImportTemplate(w http.ResponseWriter, r *http.Request) {
	enc, bom, err := exportEncoding(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if enc == "" {
		enc = csvio.UTF8
	}
	format := r.URL.Query().Get("format")
	var b bytes.Buffer
	if err := csvio.WriteTemplate(&b, format, enc, bom); err != nil {
		s.writeError(w, r, err)
		return
	}
	download(w, csvio.TemplateName(format), charset(enc))
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	w.Write(b.Bytes())
}
