package service

import (
	"context"

	"github.com/meibo/meibo"
)

// Invitations by default: a user added with an e-mail address and no
// password is invited, unless the administrator opts out (the console's
// box, the API's sendInvitation field, the import option, meibo import
// --no-invite). Where an
// invitation is read from the outbox and the user's password
// (InvitationState).

func init() {
	meibo.RegisterMessages(map[string][2]string{
		"reset.disabled": {"A disabled user cannot be sent a password link.", "無効なユーザーにはパスワードのリンクを送信できません。"},
	})
}

// InvitationsByDefault reports whether adding a user invites them unless
// asked not to: wherever links can be made, that is where meibo knows its
// public address (meibo serve always does). Without an SMTP server the
// invitation waits in the outbox, which says so, and the administrator may
// issue the link by hand from the user's page.
func (s *Service) InvitationsByDefault() bool {
	return s.cfg.PublicURL != ""
}

// ShouldInvite is whether a new user is invited: when asked (or, asked
// nothing, by default) and they have an e-mail address and no password.
func (s *Service) ShouldInvite(asked *bool, email, password string) bool {
	if email == "" || password != "" {
		return false
	}
	if asked == nil {
		return s.InvitationsByDefault()
	}
	return *asked
}

// Invitation is where a user's invitation stands, with the newest
// invitation message (nil when there is none).
type Invitation struct {
	State meibo.InvitationState `json:"state"`
	Mail  *meibo.MailMessage    `json:"-"`
}

// InvitationOf reads a user's invitation state: none when never invited;
// accepted when invited and their password is set; else pending while the
// newest invitation's link is good (and its mail not failed), expired after.
func (s *Service) InvitationOf(ctx context.Context, id int64) (*Invitation, error) {
	a, err := requireUsers(ctx)
	if err != nil {
		return nil, err
	}
	var inv Invitation
	err = s.store.View(ctx, func(tx meibo.Tx) error {
		u, err := s.userInScope(ctx, tx, a, id)
		if err != nil {
			return err
		}
		m, err := tx.LatestMail(ctx, u.ID, meibo.MailInvitation)
		if meibo.ErrorCode(err) == meibo.CodeNotFound {
			inv.State = meibo.InvitationNone
			return nil
		} else if err != nil {
			return err
		}
		inv.Mail = m
		switch {
		case u.HasPassword():
			inv.State = meibo.InvitationAccepted
		case m.Status == meibo.MailFailed || m.LinkExpiresAt != nil && !m.LinkExpiresAt.After(tx.Now()):
			inv.State = meibo.InvitationExpired
		default:
			inv.State = meibo.InvitationPending
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &inv, nil
}

// SendPasswordReset mails a user a link to choose a new password, as an
// administrator asks; older links are revoked.
func (s *Service) SendPasswordReset(ctx context.Context, id int64) error {
	return s.queueLinkMail(ctx, id, meibo.MailReset, "reset.disabled", "user.reset.send")
}
