package service

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/meibo/meibo"
)

// A user gets a single-use link to choose a password: an invitation when
// added (if asked) or when an administrator resends it, a reset when they ask
// for one. The link carries 256 random bits; only their hash is stored, and
// it is minted when the message is handed to the SMTP server (mail_link.go).
// A new link revokes the older ones of the user, and so does setting the
// password. Links are built from the configured public address only, never
// from a request's Host or X-Forwarded-* headers.

func init() {
	meibo.RegisterMessages(map[string][2]string{
		"link.invalid": {"This link is not valid: it was used already, replaced by a newer one, or it has expired. Ask for a new one.", "このリンクは無効です。使用済みか、新しいリンクに置き換えられたか、有効期限が切れています。新しいリンクを依頼してください。"},
	})
}

// PasswordPath is where the links point: PasswordPath + the token.
const PasswordPath = "/password/"

// link is the public address of a path.
func (s *Service) link(path string) (string, error) {
	if s.cfg.PublicURL == "" {
		return "", meibo.Errorf(meibo.CodeInvalid, "invitation.no_url")
	}
	return strings.TrimRight(s.cfg.PublicURL, "/") + path, nil
}

// linkMail returns the message of purpose (meibo.MailInvitation or
// meibo.MailReset) for u, ready for the outbox of tx: its text holds a
// placeholder for the link, which the mail worker mints at delivery. With
// revoke, the user's older links are revoked now and their pending link
// messages fail: the newest message is the one that counts.
func (s *Service) linkMail(ctx context.Context, tx meibo.Tx, u *meibo.User, g *meibo.Group, purpose string, lang meibo.Lang, revoke bool) (*meibo.MailMessage, error) {
	if u.Email == "" {
		return nil, meibo.FieldError("email", "invitation.no_email")
	}
	ttl := s.cfg.InvitationTTL
	if purpose == meibo.MailReset {
		ttl = s.cfg.ResetTTL
	}
	if _, err := s.link(PasswordPath); err != nil {
		return nil, err
	}
	now := tx.Now()
	if revoke {
		// The messages first: on PostgreSQL this waits for a worker
		// minting one of them (mintLink), whose link is then revoked.
		if err := tx.FailUserMails(ctx, u.ID, meibo.M("mail.link.superseded").In(meibo.English)); err != nil {
			return nil, err
		}
		if err := tx.RevokeUserTokens(ctx, u.ID, now); err != nil {
			return nil, err
		}
	}
	if lang == "" {
		st, err := tx.Settings(ctx)
		if err != nil {
			return nil, err
		}
		lang = st.MailLanguage
	}
	expires := now.Add(ttl)
	subject, text, html, err := s.renderLinkMail(u, g, purpose, lang, expires)
	if err != nil {
		return nil, err
	}
	uid := u.ID
	return &meibo.MailMessage{Kind: purpose, GroupID: g.ID, UserID: &uid, Lang: lang, To: u.Email, Subject: subject, Text: text, HTML: html,
		GiveUpAt: now.Add(s.cfg.MailGiveUp), LinkExpiresAt: &expires}, nil
}

// ResendInvitation sends a user a new invitation, revoking the older links.
func (s *Service) ResendInvitation(ctx context.Context, id int64) error {
	return s.queueLinkMail(ctx, id, meibo.MailInvitation, "invitation.disabled", "user.invite")
}

// queueLinkMail queues a mail of kind (an invitation or a reset, whose link
// is minted at delivery) to one user whom the actor manages, audited as
// action; a disabled user is refused with disabledKey.
func (s *Service) queueLinkMail(ctx context.Context, id int64, kind, disabledKey, action string) error {
	a, err := requireUsers(ctx)
	if err != nil {
		return err
	}
	err = s.store.Update(ctx, func(tx meibo.Tx) error {
		u, err := s.userInScope(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if u.Disabled {
			return meibo.Conflict(disabledKey)
		}
		g, err := tx.Group(ctx, u.GroupID)
		if err != nil {
			return err
		}
		m, err := s.linkMail(ctx, tx, u, g, kind, "", true)
		if err != nil {
			return err
		}
		if err := tx.CreateMails(ctx, []*meibo.MailMessage{m}); err != nil {
			return err
		}
		return s.audit(ctx, tx, action, meibo.CategoryUser, "user", u.Name, u.GroupID, map[string]any{"to": u.Email, "mail": m.ID})
	})
	if err == nil {
		s.nudgeMail()
	}
	return err
}

// LinkInfo describes a valid link for the page that opens it.
type LinkInfo struct {
	Purpose   string
	GroupID   string
	GroupName string
	UserName  string
	ExpiresAt time.Time
}

// openLink finds the token of secret and its user, or says the link is not
// valid (unknown, used, revoked, expired, the user disabled, or their
// password changed since the link was issued).
func (s *Service) openLink(ctx context.Context, tx meibo.Tx, secret string) (*meibo.UserToken, *meibo.User, *meibo.Group, error) {
	invalid := meibo.NotFound("link.invalid")
	if !strings.HasPrefix(secret, "mbl_") {
		return nil, nil, nil, invalid
	}
	k, err := tx.UserToken(ctx, meibo.HashToken(secret))
	if meibo.ErrorCode(err) == meibo.CodeNotFound {
		return nil, nil, nil, invalid
	} else if err != nil {
		return nil, nil, nil, err
	}
	if k.UsedAt != nil || k.RevokedAt != nil || !tx.Now().Before(k.ExpiresAt) {
		return nil, nil, nil, invalid
	}
	u, err := tx.User(ctx, k.UserID)
	if meibo.ErrorCode(err) == meibo.CodeNotFound {
		return nil, nil, nil, invalid
	} else if err != nil {
		return nil, nil, nil, err
	}
	// A password set since the link was issued (by an administrator, an
	// import or the user) ends it, as a newer link does.
	if u.Disabled || u.PasswordChangedAt != nil && u.PasswordChangedAt.After(k.CreatedAt) {
		return nil, nil, nil, invalid
	}
	g, err := tx.Group(ctx, u.GroupID)
	if err != nil {
		return nil, nil, nil, err
	}
	return k, u, g, nil
}

// CheckLink tells whether a link may still be used, and whose it is.
func (s *Service) CheckLink(ctx context.Context, secret string) (*LinkInfo, error) {
	var info *LinkInfo
	err := s.store.View(ctx, func(tx meibo.Tx) error {
		k, u, g, err := s.openLink(ctx, tx, secret)
		if err != nil {
			return err
		}
		info = &LinkInfo{Purpose: k.Purpose, GroupID: g.ID, GroupName: g.Name, UserName: u.Name, ExpiresAt: k.ExpiresAt}
		return nil
	})
	return info, err
}

// SetPasswordByLink sets the password of the link's user under the policy,
// uses the link up and revokes the user's other links.
func (s *Service) SetPasswordByLink(ctx context.Context, secret, password, addr string) (*LinkInfo, error) {
	info, err := s.CheckLink(ctx, secret)
	if err != nil {
		return nil, err
	}
	var u *meibo.User
	if err := s.store.View(ctx, func(tx meibo.Tx) error {
		_, u, _, err = s.openLink(ctx, tx, secret)
		return err
	}); err != nil {
		return nil, err
	}
	if err := meibo.CheckPassword(password, u.Name, u.Email, u.GroupID); err != nil {
		return nil, err
	}
	hash, err := s.hashPassword(password)
	if err != nil {
		return nil, err
	}
	ctx = meibo.WithActor(ctx, &meibo.Actor{Kind: meibo.ActorUser, ID: u.ID, Name: u.Name, GroupID: u.GroupID, Addr: addr})
	err = s.store.Update(ctx, func(tx meibo.Tx) error {
		k, u, _, err := s.openLink(ctx, tx, secret)
		if err != nil {
			return err
		}
		if ok, err := tx.UseUserToken(ctx, k.Hash, tx.Now()); err != nil {
			return err
		} else if !ok {
			return meibo.NotFound("link.invalid")
		}
		u.PasswordHash, u.PasswordChangedAt = hash, ptr(tx.Now())
		if err := tx.UpdateUsers(ctx, []*meibo.User{u}); err != nil {
			return err
		}
		if err := endUserAccess(ctx, tx, u.ID, ""); err != nil {
			return err
		}
		return s.audit(ctx, tx, "user.password.link", meibo.CategoryUser, "user", u.Name, u.GroupID,
			map[string]any{"purpose": k.Purpose, "password": "changed"})
	})
	if err != nil {
		return nil, err
	}
	return info, nil
}

// Password reset throttling: per account, three requests are free, then each
// must wait five minutes, doubling; per address, ten, then a minute,
// doubling.
var (
	resetAccountRule = throttleRule{free: 3, base: 5 * time.Minute, max: 15 * time.Minute}
	resetAddressRule = throttleRule{free: 10, base: time.Minute, max: 15 * time.Minute}
)

// RequestPasswordReset mails a reset link to the user named userName in
// group groupID when there is such a user with an e-mail address who is not
// disabled. It answers the same whether or not there is (callers show one
// message and take the same time either way); only too many requests for
// one account or from one address are refused, with a rate-limited error.
func (s *Service) RequestPasswordReset(ctx context.Context, groupID, userName, addr string, lang meibo.Lang) error {
	// Names are stored composed (NFC): one typed decomposed finds its user.
	userName = meibo.NormalizeName(userName)
	account := resetPrefix + strings.ToLower(groupID) + "/" + userName
	if err := s.reserve(ctx, map[string]throttleRule{account: resetAccountRule, resetAddr + throttleAddress(addr): resetAddressRule}); err != nil {
		return err
	}
	ctx = meibo.WithActor(ctx, &meibo.Actor{Kind: meibo.ActorUser, Name: userName, GroupID: groupID, Addr: addr})
	sent := false
	err := s.store.Update(ctx, func(tx meibo.Tx) error {
		g, err := tx.Group(ctx, groupID)
		if meibo.ErrorCode(err) == meibo.CodeNotFound {
			return s.audit(ctx, tx, "user.reset.unknown", meibo.CategorySignIn, "user", userName, "", map[string]any{"group": groupID})
		} else if err != nil {
			return err
		}
		u, err := userTyped(ctx, tx, g.ID, userName)
		if meibo.ErrorCode(err) == meibo.CodeNotFound {
			return s.audit(ctx, tx, "user.reset.unknown", meibo.CategorySignIn, "user", userName, g.ID, nil)
		} else if err != nil {
			return err
		}
		if u.Email == "" || u.Disabled {
			return s.audit(ctx, tx, "user.reset.refused", meibo.CategorySignIn, "user", u.Name, g.ID,
				map[string]any{"noEmail": u.Email == "", "disabled": u.Disabled})
		}
		m, err := s.linkMail(ctx, tx, u, g, meibo.MailReset, lang, true)
		if err != nil {
			return err
		}
		if err := tx.CreateMails(ctx, []*meibo.MailMessage{m}); err != nil {
			return err
		}
		sent = true
		return s.audit(ctx, tx, "user.reset.request", meibo.CategorySignIn, "user", u.Name, g.ID, map[string]any{"mail": m.ID})
	})
	if err != nil {
		return err
	}
	if sent {
		s.nudgeMail()
	}
	return nil
}

// CheckPublicURL checks a public address for Config.PublicURL: http or
// https, a host, no query or fragment.
func CheckPublicURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("the public URL %q must be an http or https address such as https://meibo.example.org", s)
	}
	return nil
}
