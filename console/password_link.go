package console

import (
	"net/http"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/web"
)

// Without an SMTP server, an administrator who may manage a user issues a
// password link for them from the user's page: shown on the answer to the
// button only (pages are never cached), audited.

func init() {
	web.AddLabels(map[string][2]string{
		"link.issue.title":      {"Password link", "パスワード設定リンク"},
		"link.issue.intro":      {"No SMTP server is configured, so no link is mailed. You may issue a single-use link for this user and pass it on yourself; it is shown once, and the issue is audited.", "SMTPサーバーが設定されていないため、リンクはメールで送信されません。このユーザー用の1回限りのリンクを発行し、ご自身で本人に伝えることができます。リンクは1回だけ表示され、発行は監査ログに記録されます。"},
		"link.issue.invitation": {"Issue an invitation link", "招待リンクを発行"},
		"link.issue.reset":      {"Issue a password reset link", "パスワード再設定リンクを発行"},
		"link.issued.title":     {"Password link issued", "パスワード設定リンクを発行しました"},
		"link.issued.for":       {"A single-use link for %s (group %s). Pass it on to the user only. It is shown this once, works once, and until %s; the user's older links no longer work.", "%s(グループ %s)用の1回限りのリンクです。本人にのみ伝えてください。このリンクは今回だけ表示され、1回だけ、%s まで使用できます。以前のリンクは無効になりました。"},
		"link.issued.label":     {"Link", "リンク"},
		"link.issued.back":      {"Back to the user", "ユーザーに戻る"},
	})
}

// issuedLinkData is the page that shows an issued link.
type issuedLinkData struct {
	User    *meibo.User
	Link    *service.IssuedLink
	Expires string
}

func (c *Console) handlePasswordLink(q *req) {
	u, err := c.userByPath(q)
	if err != nil {
		c.fail(q, err)
		return
	}
	link, err := c.svc.IssuePasswordLink(q.ctx, u.ID, q.r.PostFormValue("kind"))
	if err != nil {
		c.fail(q, err)
		return
	}
	d := issuedLinkData{User: u, Link: link, Expires: link.ExpiresAt.In(c.loc).Format("2006-01-02 15:04 MST")}
	c.page(q, http.StatusOK, "password_link", "link.issued.title", d, "")
}
