package service

import (
	"context"
	"time"

	"github.com/meibo/meibo"
)

// Without an SMTP server no link ever reaches a user by mail. An
// administrator who may manage the user can then ask for one deliberately:
// the same single-use, expiring link as the mail would carry, shown once to
// that administrator (who passes it on), audited as issued to an
// administrator. It revokes the user's older links.

func init() {
	meibo.RegisterMessages(map[string][2]string{
		"link.issue.kind":     {"The kind of link must be invitation or reset.", "リンクの種類は invitation か reset を指定してください。"},
		"link.issue.smtp":     {"Mail is configured: send an invitation or a password reset by e-mail instead, so that only the user sees the link.", "メール送信が設定されています。リンクが本人にのみ届くよう、招待メールまたはパスワード再設定メールを送信してください。"},
		"link.issue.disabled": {"The user is disabled; enable the user before issuing a link.", "このユーザーは無効です。リンクを発行する前に有効にしてください。"},
	})
}

// IssuedLink is a password link issued to an administrator: shown once,
// never stored readable.
type IssuedLink struct {
	Kind      string    `json:"kind"` // invitation or reset
	Link      string    `json:"link"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// IssuePasswordLink issues a link of kind (meibo.MailInvitation or
// meibo.MailReset) for user id to the acting administrator, who must be
// able to manage the user; only when no SMTP server is configured.
func (s *Service) IssuePasswordLink(ctx context.Context, id int64, kind string) (*IssuedLink, error) {
	a, err := requireUsers(ctx)
	if err != nil {
		return nil, err
	}
	if kind != meibo.MailInvitation && kind != meibo.MailReset {
		return nil, meibo.FieldError("kind", "link.issue.kind")
	}
	var out *IssuedLink
	err = s.store.Update(ctx, func(tx meibo.Tx) error {
		u, err := s.userInScope(ctx, tx, a, id)
		if err != nil {
			return err
		}
		// Checked after the scope, so that a user out of scope is not
		// found whatever the configuration.
		if s.cfg.Sender != nil {
			return meibo.Conflict("link.issue.smtp")
		}
		if u.Disabled {
			return meibo.Conflict("link.issue.disabled")
		}
		ttl := s.cfg.InvitationTTL
		if kind == meibo.MailReset {
			ttl = s.cfg.ResetTTL
		}
		// Pending messages of the user carry no live link; the issued one
		// is now the one that counts. The messages first: on PostgreSQL
		// this waits for a worker minting one of them, whose link newLink
		// then revokes.
		if err := tx.FailUserMails(ctx, u.ID, meibo.M("mail.link.superseded").In(meibo.English)); err != nil {
			return err
		}
		expires := tx.Now().Add(ttl)
		link, err := s.newLink(ctx, tx, u, kind, expires)
		if err != nil {
			return err
		}
		out = &IssuedLink{Kind: kind, Link: link, ExpiresAt: expires}
		return s.audit(ctx, tx, "user.link.issued", meibo.CategoryUser, "user", u.Name, u.GroupID,
			map[string]any{"kind": kind, "issuedTo": "administrator", "note": "password link issued to an administrator",
				"expiresAt": expires})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// MailConfigured reports whether an SMTP server is configured: when it is
// not, links are issued to administrators (IssuePasswordLink) instead.
func (s *Service) MailConfigured() bool { return s.cfg.Sender != nil }
