package service

import (
	"context"
	"errors"
	"html"
	"regexp"
	"strings"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/mailtext"
)

// A password link is never stored readable, nor shown to anyone but its
// addressee. An invitation or reset is queued with a placeholder where its
// link goes and the link's expiry; the mail worker mints the link when it
// hands the message to the SMTP server, puts it into the copy it sends, and
// writes only the token's hash. Every attempt mints a new link (revoking
// the one before), so a message that failed once carries no live link.
// The outbox shows the placeholder everywhere: console, API, command line.

// linkSentinel stands for the link while a message is rendered: made of
// characters that neither template escapes or rewrites, so that it can be
// found again in both parts.
const linkSentinel = "MEIBO-PASSWORD-LINK-SENTINEL"

// linkPlaceholders is what the stored text of a message in each language
// holds instead of its link. Queued messages hold these: never change them.
var linkPlaceholders = map[meibo.Lang]string{
	meibo.English:  "[link sent only to the addressee]",
	meibo.Japanese: "[リンクは宛先の本人にのみ送信されます]",
}

func linkPlaceholder(lang meibo.Lang) string {
	if p, ok := linkPlaceholders[lang]; ok {
		return p
	}
	return linkPlaceholders[meibo.English]
}

func init() {
	meibo.RegisterMessages(map[string][2]string{
		"mail.link.user_gone":  {"The link was not sent: the user no longer exists.", "リンクは送信されませんでした: ユーザーが存在しません。"},
		"mail.link.disabled":   {"The link was not sent: the user is disabled.", "リンクは送信されませんでした: ユーザーが無効です。"},
		"mail.link.superseded": {"The link was not sent: the password was set, or a newer link was asked for, after this message was queued.", "リンクは送信されませんでした: このメッセージの登録後にパスワードが設定されたか、新しいリンクが依頼されました。"},
		"mail.link.address":    {"The link was not sent: the user's e-mail address changed after this message was queued.", "リンクは送信されませんでした: このメッセージの登録後にユーザーのメールアドレスが変更されました。"},
		"mail.link.expired":    {"The link was not sent: it expired before the message could be delivered.", "リンクは送信されませんでした: 配信前に有効期限が切れました。"},
		"mail.link.no_place":   {"The link was not sent: the message has no place for it.", "リンクは送信されませんでした: メッセージにリンクの場所がありません。"},
	})
}

// renderLinkMail renders a message of purpose for u with the placeholder
// where the link goes.
func (s *Service) renderLinkMail(u *meibo.User, g *meibo.Group, purpose string, lang meibo.Lang, expires time.Time) (subject, text, htmlBody string, err error) {
	subject, text, htmlBody, err = mailtext.Render(purpose, lang, mailtext.Data{Product: s.cfg.Product, GroupID: g.ID, GroupName: g.Name,
		UserName: u.Name, Link: linkSentinel, Expires: expires, Location: s.cfg.Location})
	if err != nil {
		return "", "", "", err
	}
	p := linkPlaceholder(lang)
	return subject, strings.ReplaceAll(text, linkSentinel, p), strings.ReplaceAll(htmlBody, linkSentinel, html.EscapeString(p)), nil
}

// newLink mints a single-use link of purpose for user u, expiring at
// expires, revoking the user's older links; only its hash is stored.
func (s *Service) newLink(ctx context.Context, tx meibo.Tx, u *meibo.User, purpose string, expires time.Time) (string, error) {
	secret, hash := meibo.NewToken("mbl_")
	link, err := s.link(PasswordPath + secret)
	if err != nil {
		return "", err
	}
	if err := tx.RevokeUserTokens(ctx, u.ID, tx.Now()); err != nil {
		return "", err
	}
	if err := tx.CreateUserToken(ctx, &meibo.UserToken{Hash: hash, UserID: u.ID, Purpose: purpose, ExpiresAt: expires}); err != nil {
		return "", err
	}
	return link, nil
}

// errMailLost: the worker no longer holds the message it is about to send
// (its lease ran out and another worker took it, or it was sent or failed
// meanwhile): it leaves the message to whoever holds it.
var errMailLost = errors.New("the outbox message is no longer held by this worker")

// mintLink checks that the worker still holds a claimed message and that
// it was not made void while held (FailUserMails), then mints the link of
// a message that carries one, and returns the copy to hand to the SMTP
// server. A message whose link can no longer be given (made void, user
// gone or disabled, password set, a newer link asked for or the address
// changed since it was queued, expired) is refused with an error of code
// Conflict, and fails. Its transaction holds the message's row, so that a
// newer link asked for meanwhile on PostgreSQL either makes it void first
// or revokes the link minted here.
func (s *Service) mintLink(ctx context.Context, m *meibo.MailMessage) (*meibo.MailMessage, error) {
	p := linkPlaceholder(m.Lang)
	hp := html.EscapeString(p)
	if m.LinkExpiresAt != nil && (m.UserID == nil || !strings.Contains(m.Text, p)) {
		return nil, meibo.Conflict("mail.link.no_place")
	}
	var out meibo.MailMessage
	err := s.store.Update(ctx, func(tx meibo.Tx) error {
		held, void, err := tx.HoldMail(ctx, m.ID, s.cfg.Worker)
		switch {
		case err != nil:
			return err
		case !held:
			return errMailLost
		case void != "":
			return meibo.Conflict(mailReasonKey(void))
		}
		out = *m
		if m.LinkExpiresAt == nil {
			return nil
		}
		u, err := tx.User(ctx, *m.UserID)
		if meibo.ErrorCode(err) == meibo.CodeNotFound {
			return meibo.Conflict("mail.link.user_gone")
		} else if err != nil {
			return err
		}
		switch {
		case u.Disabled:
			return meibo.Conflict("mail.link.disabled")
		case u.PasswordChangedAt != nil && u.PasswordChangedAt.After(m.CreatedAt):
			return meibo.Conflict("mail.link.superseded")
		case !strings.EqualFold(u.Email, m.To):
			return meibo.Conflict("mail.link.address")
		case !tx.Now().Before(*m.LinkExpiresAt):
			return meibo.Conflict("mail.link.expired")
		}
		link, err := s.newLink(ctx, tx, u, m.Kind, *m.LinkExpiresAt)
		if err != nil {
			return err
		}
		out.Text = strings.ReplaceAll(m.Text, p, link)
		out.HTML = strings.ReplaceAll(m.HTML, hp, html.EscapeString(link))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// legacyLink matches a password link written into the outbox before links
// were minted at delivery.
var legacyLink = regexp.MustCompile(`(?:https?://[^\s"'<>]*)?` + regexp.QuoteMeta(PasswordPath) + `mbl_[A-Za-z0-9_-]+`)

// redactMail hides any link a stored message may hold (one queued before
// links were minted at delivery) behind the placeholder.
func redactMail(m *meibo.MailMessage) {
	if m.Kind != meibo.MailInvitation && m.Kind != meibo.MailReset {
		return
	}
	p := linkPlaceholder(m.Lang)
	m.Text = legacyLink.ReplaceAllLiteralString(m.Text, p)
	m.HTML = legacyLink.ReplaceAllLiteralString(m.HTML, html.EscapeString(p))
}

// mailReasons are the reasons a message fails that need no argument: a
// message keeps its reason in English (the outbox is read by operators,
// the API too), and MailReasonIn words one in another language.
var mailReasons = []string{"mail.link.user_gone", "mail.link.disabled", "mail.link.superseded", "mail.link.address",
	"mail.link.expired", "mail.link.no_place", "mail.no_sender"}

// mailReasonKey is the key of a reason stored in English; a reason of
// another wording is taken for a newer link's.
func mailReasonKey(stored string) string {
	for _, k := range mailReasons {
		if meibo.M(k).In(meibo.English) == stored {
			return k
		}
	}
	return "mail.link.superseded"
}

// MailReasonIn words a message's stored reason in lang when it is one of
// meibo's own; other text (an SMTP server's answer) stays as it is.
func MailReasonIn(stored string, lang meibo.Lang) string {
	for _, k := range mailReasons {
		if m := meibo.M(k); m.In(meibo.English) == stored {
			return m.In(lang)
		}
	}
	return stored
}
