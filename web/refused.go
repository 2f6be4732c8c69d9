package web

import (
	"net/http"
	"strconv"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/request"
)

func init() {
	AddLabels(map[string][2]string{
		"refused.403":  {"Request refused", "リクエストを拒否しました"},
		"refused.408":  {"The request took too long", "リクエストに時間がかかりすぎました"},
		"refused.413":  {"The request is too large", "リクエストが大きすぎます"},
		"refused.home": {"Go to meibo's start page", "meibo のトップページへ"},
	})
}

// Refuse answers a request to a page that goes no further (another site's
// form, a body too large or too slow) with a page saying why; requests to
// the API and the device protocol get a JSON error instead.
func (p *Public) Refuse(w http.ResponseWriter, r *http.Request, status int, msg meibo.Msg) {
	if request.IsAPI(r) {
		request.Refuse(w, r, status, msg)
		return
	}
	lang := Lang(w, r)
	title := http.StatusText(status)
	if _, ok := labels["refused."+strconv.Itoa(status)]; ok {
		title = T(lang, "refused."+strconv.Itoa(status))
	}
	p.render.Render(w, status, "refused", &Page{Lang: lang, Title: title, Path: r.URL.Path, Message: msg.In(lang)})
}

// CheckOrigin refuses, with a 403 page, every state-changing request to a
// page (not the API, whose bearer tokens no other site's page can send)
// that a browser says comes from another site or origin: a second guard
// beside the CSRF token (see request.SameOrigin).
func (p *Public) CheckOrigin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
		default:
			if !request.IsAPI(r) && !request.SameOrigin(r) {
				p.Refuse(w, r, http.StatusForbidden, meibo.M("origin.refused"))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
