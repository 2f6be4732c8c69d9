package portal

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/web"
)

func init() {
	web.AddLabels(map[string][2]string{
		"portal.tokens.link":     {"API tokens", "API トークン"},
		"portal.tokens.title":    {"Personal API tokens", "個人用 API トークン"},
		"portal.tokens.intro":    {"A token lets a script or a shortcut do what this portal does for you: list your devices, send them the actions your profile allows, read a command's status, change your password. Send it as Authorization: Bearer TOKEN to /api/v1/my/….", "トークンを使うと、スクリプトやショートカットからこのポータルと同じ操作ができます(デバイス一覧、プロファイルで許可されたリモート操作、コマンドの状態確認、パスワード変更)。Authorization: Bearer トークン を付けて /api/v1/my/… に送ってください。"},
		"portal.tokens.denied":   {"Your account does not have API access. Ask your administrator.", "このアカウントには API アクセスが許可されていません。管理者にお問い合わせください。"},
		"portal.tokens.name":     {"Name", "名前"},
		"portal.tokens.days":     {"Valid for (days)", "有効期間(日)"},
		"portal.tokens.create":   {"Make a token", "トークンを作成"},
		"portal.tokens.new":      {"Your new token. Copy it now: it is shown only this once.", "新しいトークンです。今すぐコピーしてください。表示されるのはこの一度だけです。"},
		"portal.tokens.none":     {"You have no token.", "トークンはありません。"},
		"portal.tokens.created":  {"Made", "作成"},
		"portal.tokens.expires":  {"Expires", "有効期限"},
		"portal.tokens.lastused": {"Last used", "最終使用"},
		"portal.tokens.revoke":   {"Revoke", "無効にする"},
		"portal.tokens.revoked":  {"The token was revoked.", "トークンを無効にしました。"},
	})
}

type tokensData struct {
	Tokens  []*meibo.PersonalToken
	Allowed bool
	Secret  string
	Name    string
	Days    string
}

func (p *Portal) tokensPage(q *req, status int, d *tokensData, errs map[string]string, message string) {
	ks, allowed, err := p.svc.PersonalTokens(q.ctx)
	if err != nil {
		p.fail(q, err)
		return
	}
	d.Tokens, d.Allowed = ks, allowed
	pg := &web.Page{Lang: q.lang, Title: web.T(q.lang, "portal.tokens.title"), Path: q.r.URL.Path, Data: d, Message: message,
		Errors: errs, Nav: &navData{q.actor}, CSRF: q.sess.CSRF}
	p.render.Render(q.w, status, "tokens", pg)
}

func (p *Portal) handleTokens(q *req) {
	msg := ""
	if q.r.URL.Query().Get("done") == "revoked" {
		msg = web.T(q.lang, "portal.tokens.revoked")
	}
	p.tokensPage(q, http.StatusOK, &tokensData{Days: "90"}, nil, msg)
}

func (p *Portal) handleTokenCreate(q *req) {
	d := &tokensData{Name: q.r.PostFormValue("name"), Days: q.r.PostFormValue("days")}
	days, err := strconv.Atoi(strings.TrimSpace(d.Days))
	if err != nil || days < 1 || days > 365 {
		p.tokensPage(q, http.StatusUnprocessableEntity, d, map[string]string{"days": web.T(q.lang, "portal.tokens.days.range")}, "")
		return
	}
	secret, _, err := p.svc.CreatePersonalToken(q.ctx, d.Name, time.Duration(days)*24*time.Hour)
	if err != nil {
		e := meibo.AsError(err)
		if e.Code != meibo.CodeInvalid {
			p.fail(q, err)
			return
		}
		errs := map[string]string{}
		for f, m := range e.Fields {
			if f == "ttl" {
				f = "days"
			}
			errs[f] = m.In(q.lang)
		}
		p.tokensPage(q, http.StatusUnprocessableEntity, d, errs, "")
		return
	}
	// The secret is shown on this answer only; a reload does not repeat it.
	q.w.Header().Set("Cache-Control", "no-store")
	p.tokensPage(q, http.StatusOK, &tokensData{Secret: secret, Days: "90"}, nil, "")
}

func (p *Portal) handleTokenRevoke(q *req) {
	if err := p.svc.RevokePersonalToken(q.ctx, q.r.PathValue("id")); err != nil {
		p.fail(q, err)
		return
	}
	http.Redirect(q.w, q.r, "/tokens?done=revoked", http.StatusSeeOther)
}
