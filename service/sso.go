package service

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/meibo/meibo"
)

// Single sign-on: an identity provider's answer, checked by the sso
// package, is matched here to an existing administrator (never one created):
// by a link recorded at an earlier sign-in (provider and subject), or by the
// configured claim, "email" against the administrator's e-mail address,
// anything else against the administrator's ID. The link is recorded (or
// touched) at every sign-in. A provider whose "amr" says more than a
// password was used satisfies the second-factor policy when the operator
// trusts it for that; otherwise the session goes on to meibo's own second
// factor, as after a password.

// SSOIdentity is who an identity provider says signed in.
type SSOIdentity struct {
	Provider string
	Subject  string
	Claim    string
	Value    string
	MFA      bool
	// IDToken is the provider's ID token of the sign-in, kept with the
	// session for its sign-out (see sso_signout.go).
	IDToken string
}

const ceremonySSO = "sso"

// SaveSSOFlow keeps the state of a sign-in sent to an identity provider
// (state, nonce, PKCE verifier, as JSON) for ten minutes, and returns the
// secret of a cookie to find it by.
func (s *Service) SaveSSOFlow(ctx context.Context, data string) (string, error) {
	secret, hash := meibo.NewToken("mbf_")
	err := s.store.Update(ctx, func(tx meibo.Tx) error {
		return tx.CreateCeremony(ctx, &meibo.Ceremony{Hash: hash, Kind: ceremonySSO, Data: data, ExpiresAt: tx.Now().Add(10 * time.Minute)})
	})
	return secret, err
}

// TakeSSOFlow takes the state of a sign-in back, once.
func (s *Service) TakeSSOFlow(ctx context.Context, secret string) (string, error) {
	if secret == "" {
		return "", meibo.Errorf(meibo.CodeUnauthorized, "sso.failed")
	}
	var data string
	err := s.store.Update(ctx, func(tx meibo.Tx) error {
		c, err := tx.TakeCeremony(ctx, meibo.HashToken(secret), ceremonySSO, tx.Now())
		if meibo.ErrorCode(err) == meibo.CodeNotFound {
			return meibo.Errorf(meibo.CodeUnauthorized, "sso.failed")
		} else if err != nil {
			return err
		}
		data = c.Data
		return nil
	})
	return data, err
}

// SSOFailed audits a failed sign-in with an identity provider, and counts
// it on the console: as a refused sign-in when the person (or the answer)
// was refused, as an error when the provider failed or refused meibo itself
// (operator: unreachable, a wrong client secret), which the audit marks
// "fault": "provider" so the operator tells it from a person refused.
func (s *Service) SSOFailed(ctx context.Context, provider, reason, addr string, operator bool) {
	if operator {
		s.countSignIn("console", errors.New("sso: provider failed"))
	} else {
		s.countSignIn("console", meibo.Errorf(meibo.CodeUnauthorized, "sso.failed"))
	}
	details := map[string]any{}
	if operator {
		details["fault"] = "provider"
	}
	s.auditSSOFailed(ctx, provider, reason, addr, details)
}

func (s *Service) auditSSOFailed(ctx context.Context, provider, reason, addr string, details map[string]any) {
	ctx = meibo.WithActor(ctx, &meibo.Actor{Kind: meibo.ActorAdmin, Name: "sso:" + provider, Addr: addr})
	if details == nil {
		details = map[string]any{}
	}
	// (A provider's description may be Japanese: no rune is cut in two.)
	details["reason"] = strings.ToValidUTF8(clip(reason, 300), "")
	err := s.store.Update(ctx, func(tx meibo.Tx) error {
		return s.audit(ctx, tx, "admin.signin.sso.failed", meibo.CategorySignIn, "provider", provider, "", details)
	})
	if err != nil {
		s.log.Error("audit sso refusal", "err", err)
	}
}

// PasswordOffRefused audits a console sign-in refused after a correct
// password because the administrator signs in with an identity provider
// only (passwordOffWithSso). (The sign-in was counted as refused.)
func (s *Service) PasswordOffRefused(ctx context.Context, loginID, addr string) {
	s.passwordOffRefused(ctx, loginID, addr, "console")
}

// passwordOffRefused audits a right password refused by passwordOffWithSso,
// on the console or the API (via).
func (s *Service) passwordOffRefused(ctx context.Context, loginID, addr, via string) {
	ctx = meibo.WithActor(ctx, &meibo.Actor{Kind: meibo.ActorAdmin, Name: loginID, Addr: addr})
	err := s.store.Update(ctx, func(tx meibo.Tx) error {
		return s.audit(ctx, tx, "admin.signin.failed", meibo.CategorySignIn, "admin", loginID, "",
			map[string]any{"via": via, "reason": "password sign-in is turned off for this administrator (passwordOffWithSso): it signs in with its identity provider"})
	})
	if err != nil {
		s.log.Error("audit sign-in", "err", err)
	}
}

// SignInSSO signs in the administrator an identity provider named: a new
// console session, complete or at the stage the policy asks for. It returns
// the session's cookie secret. The sign-in is counted on the console, as
// one with a password is.
func (s *Service) SignInSSO(ctx context.Context, id SSOIdentity, addr, userAgent string, lang meibo.Lang) (string, *meibo.Session, error) {
	secret, sess, err := s.signInSSO(ctx, id, addr, userAgent, lang)
	s.countSignIn("console", err)
	return secret, sess, err
}

func (s *Service) signInSSO(ctx context.Context, id SSOIdentity, addr, userAgent string, lang meibo.Lang) (string, *meibo.Session, error) {
	unknown := meibo.Errorf(meibo.CodeUnauthorized, "sso.unknown")
	secret, hash := meibo.NewToken("mbs_")
	var sess *meibo.Session
	var ad *meibo.Admin
	reason := "no administrator matches " + id.Claim + " " + id.Value
	err := s.store.Update(ctx, func(tx meibo.Tx) error {
		// One sign-in of a provider at a time decides and writes its link:
		// two first sign-ins of different subjects for one administrator
		// (an address given anew racing its owner) cannot both link.
		if err := tx.Lock(ctx, "sso:"+id.Provider); err != nil {
			return err
		}
		var err error
		var refusal string
		if ad, refusal, err = ssoAdmin(ctx, tx, id); err != nil {
			return err
		}
		switch {
		case refusal != "":
			reason = refusal
			return unknown
		case ad == nil:
			return unknown
		case ad.Builtin:
			reason = "the built-in administrator " + ad.LoginID + " signs in with its password only"
			return unknown
		case ad.Disabled:
			reason = "administrator " + ad.LoginID + " is disabled"
			return unknown
		}
		if err := tx.LinkSSO(ctx, &meibo.SSOLink{Provider: id.Provider, Subject: id.Subject, AdminID: ad.ID}); err != nil {
			return err
		}
		stage, err := firstStage(ctx, tx, ad, id.MFA)
		if err != nil {
			return err
		}
		methods := meibo.MethodSSO + ":" + id.Provider
		if id.MFA {
			methods += "+mfa"
		}
		aid := ad.ID
		sess = &meibo.Session{Hash: hash, Kind: meibo.SessionConsole, AdminID: &aid, CSRF: NewCSRF(), Lang: lang, Addr: addr,
			UserAgent: clip(userAgent, 256), ExpiresAt: tx.Now().Add(s.cfg.AdminSessionMax), Methods: methods, Stage: stage,
			IDToken: id.IDToken}
		if err := tx.CreateSession(ctx, sess); err != nil {
			return err
		}
		if err := tx.SetAdminSignIn(ctx, ad.ID, tx.Now()); err != nil {
			return err
		}
		actx := meibo.WithActor(ctx, &meibo.Actor{Kind: meibo.ActorAdmin, ID: ad.ID, Name: ad.LoginID, Addr: addr})
		return s.audit(actx, tx, "admin.signin", meibo.CategorySignIn, "admin", ad.LoginID, "",
			map[string]any{"via": "console", "method": methods, "subject": id.Subject})
	})
	if err != nil {
		if meibo.ErrorCode(err) == meibo.CodeUnauthorized {
			s.auditSSOFailed(ctx, id.Provider, reason, addr, nil)
		}
		return "", nil, err
	}
	return secret, sess, nil
}

// ssoAdmin finds the administrator of an identity: its link, or the claim.
// (The caller refuses the built-in administrators, whose break-glass admin
// signs in with its password.) A claim never names one linked to another
// subject of the same provider: the link pins the identity, and an address
// or user name given anew at the provider (a leaver's address to a new
// hire, a name anyone may choose) must not take the account over. refusal
// says why there is none for the operator, "" when nothing matched.
func ssoAdmin(ctx context.Context, tx meibo.Tx, id SSOIdentity) (ad *meibo.Admin, refusal string, err error) {
	l, err := tx.SSOLink(ctx, id.Provider, id.Subject)
	switch {
	case err == nil:
		ad, err := tx.Admin(ctx, l.AdminID)
		return ad, "", err
	case meibo.ErrorCode(err) != meibo.CodeNotFound:
		return nil, "", err
	}
	if id.Value == "" {
		return nil, "", nil
	}
	if id.Claim != "email" {
		ad, err = tx.AdminByLoginID(ctx, id.Value)
		if meibo.ErrorCode(err) == meibo.CodeNotFound {
			return nil, "", nil
		} else if err != nil {
			return nil, "", err
		}
	} else {
		admins, err := tx.Admins(ctx)
		if err != nil {
			return nil, "", err
		}
		for _, a := range admins {
			if a.Email != "" && strings.EqualFold(a.Email, id.Value) {
				if ad != nil {
					return nil, "two administrators have the address " + id.Value, nil
				}
				ad = a
			}
		}
		if ad == nil {
			return nil, "", nil
		}
	}
	if ad.Builtin {
		return ad, "", nil // refused by the caller, whatever the link
	}
	links, err := tx.SSOLinks(ctx, ad.ID)
	if err != nil {
		return nil, "", err
	}
	for _, l := range links {
		if l.Provider == id.Provider {
			return nil, "administrator " + ad.LoginID + " is linked to another subject of this provider (" + l.Subject +
				"); a manager of administrators removes that link first", nil
		}
	}
	return ad, "", nil
}

// RemoveSSOLinks forgets an administrator's links to one identity provider
// and ends the administrator's sessions and tokens: one's own after the
// password (keeping the session acting), anyone's for a manager of
// administrators.
func (s *Service) RemoveSSOLinks(ctx context.Context, adminID int64, provider, password string) error {
	a, err := actor(ctx)
	if err != nil {
		return err
	}
	keep := ""
	if a.Kind == meibo.ActorAdmin && a.ID == adminID {
		if _, _, err := s.reauthenticate(ctx, password); err != nil {
			return err
		}
		keep = a.Session
	} else if _, err := requireManager(ctx); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx meibo.Tx) error {
		ad, err := tx.Admin(ctx, adminID)
		if err != nil {
			return err
		}
		links, err := tx.SSOLinks(ctx, adminID)
		if err != nil {
			return err
		}
		found := false
		for _, l := range links {
			found = found || l.Provider == provider
		}
		if !found {
			return meibo.NotFound("sso.provider")
		}
		if err := tx.DeleteSSOLinks(ctx, adminID, provider); err != nil {
			return err
		}
		if err := tx.DeleteSessionsOf(ctx, meibo.SessionConsole, adminID, keep); err != nil {
			return err
		}
		if err := tx.DeleteAdminAPITokens(ctx, adminID); err != nil {
			return err
		}
		return s.audit(ctx, tx, "admin.sso.unlink", meibo.CategoryConfig, "admin", ad.LoginID, "", map[string]any{"provider": provider})
	})
}
