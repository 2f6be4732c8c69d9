package console

import (
	"slices"
	"strconv"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/web"
)

// A user's invitation on their page (pending, accepted, expired or none)
// with "send an invitation" and "send a password-reset link" beside it,
// and as a filter of the users list.
func init() {
	web.AddLabels(map[string][2]string{
		"user.invitation":           {"Invitation", "招待"},
		"user.invitation.pending":   {"Pending", "保留中"},
		"user.invitation.accepted":  {"Accepted", "承諾済み"},
		"user.invitation.expired":   {"Expired", "期限切れ"},
		"user.invitation.none":      {"Not invited", "未招待"},
		"user.invitation.sent":      {"Last invitation: %s; the link works until %s.", "最後の招待:%s。リンクの有効期限:%s。"},
		"user.invitation.queued":    {"Last invitation: %s, not delivered yet.", "最後の招待:%s(未配信)。"},
		"user.invitation.failed":    {"The last invitation (%s) could not be delivered.", "最後の招待(%s)は配信できませんでした。"},
		"user.invitation.send":      {"Send an invitation", "招待を送信"},
		"user.reset.send":           {"Send a password-reset link", "パスワードリセットのリンクを送信"},
		"user.invitation.noemail":   {"The user has no e-mail address: add one to send links.", "メールアドレスが登録されていません。リンクを送るにはメールアドレスを追加してください。"},
		"user.invitation.nomail":    {"No SMTP server is configured: links cannot be mailed. Issue one below instead.", "SMTP サーバーが設定されていないため、リンクをメールで送れません。下で発行してください。"},
		"user.invitation.disabled":  {"The user is disabled.", "このユーザーは無効です。"},
		"done.user.invitation.sent": {"The invitation is in the outbox.", "招待を送信トレイに入れました。"},
		"done.user.reset.sent":      {"The password-reset link is in the outbox.", "パスワードリセットのリンクを送信トレイに入れました。"},
		"user.invite.default":       {"Invite by e-mail when there is an address and no password (they choose their own).", "メールアドレスがありパスワードがない場合に、メールで招待する(本人がパスワードを設定します)。"},
	})
}

// invitationFilter reads the list's invitation filter; anything unknown is
// no filter.
func invitationFilter(s string) meibo.InvitationState {
	if st := meibo.InvitationState(s); slices.Contains(meibo.InvitationStates, st) {
		return st
	}
	return ""
}

// invitationView is the invitation card of a user's page.
type invitationView struct {
	State   meibo.InvitationState
	Detail  string
	CanSend bool   // links can be mailed to the user
	Hint    string // why not
}

func (c *Console) userInvitation(q *req, u *meibo.User) (*invitationView, error) {
	inv, err := c.svc.InvitationOf(q.ctx, u.ID)
	if err != nil {
		return nil, err
	}
	v := &invitationView{State: inv.State}
	if m := inv.Mail; m != nil {
		switch {
		case m.Status == meibo.MailFailed:
			v.Detail = web.T(q.lang, "user.invitation.failed", c.whenSec(m.CreatedAt))
		case m.LinkExpiresAt != nil && m.Status == meibo.MailSent:
			v.Detail = web.T(q.lang, "user.invitation.sent", c.whenSec(m.CreatedAt), c.whenSec(*m.LinkExpiresAt))
		default:
			v.Detail = web.T(q.lang, "user.invitation.queued", c.whenSec(m.CreatedAt))
		}
	}
	switch {
	case u.Disabled:
		v.Hint = web.T(q.lang, "user.invitation.disabled")
	case u.Email == "":
		v.Hint = web.T(q.lang, "user.invitation.noemail")
	case !c.svc.MailConfigured():
		v.Hint = web.T(q.lang, "user.invitation.nomail")
	default:
		v.CanSend = true
	}
	return v, nil
}

// handleUserMailLink mails the user an invitation or a password-reset link.
func (c *Console) handleUserMailLink(q *req) {
	u, err := c.userByPath(q)
	if err != nil {
		c.fail(q, err)
		return
	}
	back := Prefix + "/users/" + strconv.FormatInt(u.ID, 10)
	switch q.r.PostFormValue("kind") {
	case meibo.MailInvitation:
		err = c.svc.ResendInvitation(q.ctx, u.ID)
		if err == nil {
			c.redirect(q, back, "user.invitation.sent")
			return
		}
	case meibo.MailReset:
		err = c.svc.SendPasswordReset(q.ctx, u.ID)
		if err == nil {
			c.redirect(q, back, "user.reset.sent")
			return
		}
	default:
		err = meibo.Errorf(meibo.CodeBadRequest, "bad_request", "kind")
	}
	c.fail(q, err)
}

// invitationStates are the states the list offers as a filter.
func invitationStates() []meibo.InvitationState { return meibo.InvitationStates }
