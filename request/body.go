package request

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"golang.org/x/text/language"

	"github.com/meibo/meibo"
)

// BodyRule bounds the body of one request: at most Max bytes (0: the route
// bounds it itself, e.g. an upload), read within Timeout (0: the server's
// read timeout). Flag names the setting that changes Max, for the refusal.
// Bodies reads a body before any handler checks credentials, so a rule
// with a Max should have a Timeout: else anyone may hold Max bytes of
// memory and a connection for the server's read timeout.
type BodyRule struct {
	Max     int64
	Flag    string
	Timeout time.Duration
}

// Bodies reads the body of every request whose rule has a Max before the
// handler runs: a body over Max is answered 413, one that does not arrive
// within Timeout is answered 408, each naming the limit, so that neither a
// large nor a slow body reaches a handler or holds a connection. rule
// chooses the bound of each request; refuse answers the refusals of pages
// (nil: a plain page), the API's are JSON.
func Bodies(next http.Handler, rule func(*http.Request) BodyRule, refuse RefuseFunc) http.Handler {
	if refuse == nil {
		refuse = Refuse
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody || r.Method == http.MethodGet || r.Method == http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		br := rule(r)
		if br.Max <= 0 {
			next.ServeHTTP(w, r)
			return
		}
		rc := http.NewResponseController(w)
		if br.Timeout > 0 {
			// Not every writer supports deadlines (a test recorder); the
			// server's own read timeout still applies then.
			_ = rc.SetReadDeadline(time.Now().Add(br.Timeout))
		}
		if r.ContentLength > br.Max {
			// Answered at once, and an HTTP/1 connection closed after:
			// else net/http, to keep the connection, reads a declared
			// body of less than 256 KiB to its end before answering,
			// waiting up to Timeout for one that may never come. What
			// arrives within a moment of the answer is still read (and
			// dropped), so that a client still sending is not reset
			// before it reads the answer. (HTTP/2 reads no more of it.)
			if r.ProtoMajor == 1 {
				w.Header().Set("Connection", "close")
			}
			refuse(w, r, http.StatusRequestEntityTooLarge, tooLarge(r, br))
			if r.ProtoMajor == 1 {
				_ = rc.Flush()
				_ = rc.SetReadDeadline(time.Now().Add(tooLargeGrace))
			}
			return
		}
		b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, br.Max))
		var big *http.MaxBytesError
		var ne net.Error
		switch {
		case errors.As(err, &big):
			refuse(w, r, http.StatusRequestEntityTooLarge, tooLarge(r, br))
			return
		case errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
			w.Header().Set("Connection", "close")
			if IsAPI(r) {
				refuse(w, r, http.StatusRequestTimeout, meibo.M("body.too_slow", br.Timeout.String()))
			} else {
				refuse(w, r, http.StatusRequestTimeout, meibo.M("body.too_slow.page", br.Timeout.String()))
			}
			return
		case err != nil:
			// The client went away or sent a broken body: nothing to answer.
			w.Header().Set("Connection", "close")
			http.Error(w, "bad request body", http.StatusBadRequest)
			return
		}
		if br.Timeout > 0 {
			_ = rc.SetReadDeadline(time.Time{})
		}
		r.Body = io.NopCloser(bytes.NewReader(b))
		r.ContentLength = int64(len(b))
		next.ServeHTTP(w, r)
	})
}

// tooLargeGrace is how long the rest of a body declared too large is read
// (and dropped) after its refusal before the connection is closed.
const tooLargeGrace = time.Second

// tooLarge is the refusal of a body over the limit: to a program (the API,
// SCIM, devices) it names the flag that sets the limit, for its operator;
// to a person on a page it says what to do.
func tooLarge(r *http.Request, br BodyRule) meibo.Msg {
	if IsAPI(r) {
		return meibo.M("body.too_large", FormatBytes(br.Max), br.Flag)
	}
	return meibo.M("body.too_large.page", FormatBytes(br.Max))
}

func init() {
	meibo.RegisterMessages(map[string][2]string{
		"body.too_large.page": {"What was sent is larger than the limit of %s. Go back and send less at once; if it must be larger, ask the administrator of meibo.",
			"送信された内容が上限 %s を超えています。前のページに戻り、一度に送る量を減らしてください。より大きな送信が必要な場合は meibo の管理者にお問い合わせください。"},
		"body.too_slow.page": {"What was sent did not arrive within %s. Go back and send it again.",
			"送信された内容が %s 以内に届きませんでした。前のページに戻り、もう一度送信してください。"},
		"body.too_large": {"The request body is larger than the limit of %s for this address (set by --%s).",
			"リクエストの本文がこのアドレスの上限 %s を超えています(--%s で変更できます)。"},
		"body.too_slow": {"The request body did not arrive within %s (the limit for bodies read before their credentials are checked, set by --body-read-timeout).",
			"リクエストの本文が %s 以内に届きませんでした(資格情報を確認する前に読む本文の上限。--body-read-timeout で変更できます)。"},
		"origin.refused": {"This form was sent from another site, so it was refused. Open the page on meibo itself and send the form again.",
			"このフォームは別のサイトから送信されたため拒否しました。meibo のページを開いてから、もう一度送信してください。"},
	})
}

var matcher = language.NewMatcher([]language.Tag{language.English, language.Japanese})

// Lang is the language of the request's Accept-Language (English unless
// Japanese is preferred).
func Lang(r *http.Request) meibo.Lang {
	tags, _, _ := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	if _, i, _ := matcher.Match(tags...); i == 1 {
		return meibo.Japanese
	}
	return meibo.English
}

// IsAPI reports whether the request is for the JSON API, the device
// protocol or SCIM, whose errors are JSON.
func IsAPI(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/api/") || strings.HasPrefix(r.URL.Path, "/device/") || strings.HasPrefix(r.URL.Path, "/scim/")
}

var page = template.Must(template.New("refused").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Status}}</title></head>
<body><main><h1>{{.Status}}</h1><p id="refused">{{.Message}}</p></main></body></html>
`))

// RefuseFunc answers a request that goes no further with status and a
// message saying why.
type RefuseFunc func(w http.ResponseWriter, r *http.Request, status int, msg meibo.Msg)

// refuse answers a request that goes no further: JSON for the API and the
// device protocol, a short page otherwise.
func refuse(w http.ResponseWriter, r *http.Request, status int, msg meibo.Msg) {
	lang := Lang(r)
	if IsAPI(r) {
		code := map[int]string{http.StatusRequestEntityTooLarge: string(meibo.CodeTooLarge), http.StatusRequestTimeout: "timeout",
			http.StatusForbidden: string(meibo.CodeForbidden)}[status]
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": msg.In(lang)}}) //nolint:errcheck
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	page.Execute(w, map[string]any{"Lang": string(lang), "Status": fmt.Sprintf("%d %s", status, http.StatusText(status)), //nolint:errcheck
		"Message": msg.In(lang)})
}

// Refuse answers a request with status and msg, as JSON for the API and
// the device protocol, else as a short page.
func Refuse(w http.ResponseWriter, r *http.Request, status int, msg meibo.Msg) {
	refuse(w, r, status, msg)
}

// FormatBytes writes a size the way the flags take it ("1 MiB", "64 KiB").
func FormatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
