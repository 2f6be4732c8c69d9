package service

import (
	"context"
	"strings"

	"github.com/meibo/meibo"
)

// Signing out of a session made through an identity provider: meibo ends its
// own session, and asks the provider to end the person's session there too
// (OpenID Connect RP-Initiated Logout 1.0), when the provider's discovery
// document has an end_session_endpoint. Otherwise "Sign in with …" on a
// shared machine would sign the next person straight back in as the
// previous one.
//
// The session keeps the ID token of its sign-in, server-side only (the
// sessions table, which backups leave out; never in a cookie), for the
// request's id_token_hint. The specification lets a client send client_id
// alone, but the hint is worth its keeping: Okta's logout asks for it,
// Keycloak without it makes the person confirm on a page of its own, and
// with it the provider ends the session of the person who signed in to
// meibo, not whoever is signed in there now. What it costs: a few kilobytes
// a session, and a token that names the person (and grants nothing: meibo
// keeps no access or refresh token) for as long as the session, deleted
// with it. It is sent with client_id; a session without one (made before
// it was kept) sends client_id alone.

// SSOEndSession gives the address at which an identity provider ends its
// session (the sso package's Client).
type SSOEndSession interface {
	// EndSessionURL is the provider's end_session_endpoint with the
	// request, "" when the provider has none.
	EndSessionURL(ctx context.Context, provider, idTokenHint, locale string) (string, error)
}

// SSOSignOut is what a sign-out leaves to do at an identity provider.
type SSOSignOut struct {
	// Provider is the identity provider the session was made through, ""
	// for a session made otherwise (a password, a passkey).
	Provider string
	// URL is where to send the browser so that the provider ends its
	// session too; "" when it cannot be asked (no end_session_endpoint, or
	// its discovery failed), and the person may still be signed in there.
	URL string
}

// ssoProvider is the identity provider a console session signed in with,
// from its methods ("sso:entra+mfa", "sso:okta+totp").
func ssoProvider(methods string) (string, bool) {
	rest, ok := strings.CutPrefix(methods, meibo.MethodSSO+":")
	if !ok {
		return "", false
	}
	p, _, _ := strings.Cut(rest, "+")
	return p, p != ""
}

// SignOutConsole ends a console session, as SignOut does, and for one made
// through an identity provider says where to send the browser so that the
// provider ends its session too (ends, nil: none configured). The audit of
// the sign-out records the provider and whether its sign-out was asked for
// ("providerLogout"), and why not.
func (s *Service) SignOutConsole(ctx context.Context, secret string, ends SSOEndSession, lang meibo.Lang) (*SSOSignOut, error) {
	out := &SSOSignOut{}
	if secret == "" {
		return out, nil
	}
	hash := meibo.HashToken(secret)
	var sess *meibo.Session
	err := s.store.View(ctx, func(tx meibo.Tx) error {
		var err error
		sess, err = tx.Session(ctx, hash)
		if meibo.ErrorCode(err) == meibo.CodeNotFound {
			sess, err = nil, nil
		}
		return err
	})
	if err != nil || sess == nil || sess.Kind != meibo.SessionConsole {
		return out, err
	}
	var details map[string]any
	if p, ok := ssoProvider(sess.Methods); ok {
		out.Provider = p
		details = map[string]any{"provider": p, "providerLogout": false}
		// Asked before the session ends (a provider discovered already is
		// not asked again, one that is not is given a few seconds), so
		// that the audit of the sign-out says what was done.
		var u string
		var err error = meibo.NotFound("sso.provider")
		if ends != nil {
			u, err = ends.EndSessionURL(ctx, p, sess.IDToken, string(lang))
		}
		switch {
		case meibo.ErrorCode(err) == meibo.CodeNotFound:
			details["reason"] = "the provider is no longer configured"
		case err != nil:
			s.log.Warn("sso sign-out: the identity provider's end_session_endpoint could not be read: its session stays open", "provider", p, "err", err)
			details["reason"] = clip(err.Error(), 300)
		case u == "":
			details["reason"] = "the provider has no end_session_endpoint"
		default:
			out.URL = u
			details["providerLogout"] = true
		}
	}
	err = s.store.Update(ctx, func(tx meibo.Tx) error {
		if err := tx.DeleteSession(ctx, hash); err != nil {
			return err
		}
		if a := meibo.ActorFrom(ctx); a != nil {
			return s.audit(ctx, tx, "signout", meibo.CategorySignIn, sess.Kind, a.Name, a.GroupID, details)
		}
		return nil
	})
	if err != nil {
		return &SSOSignOut{}, err
	}
	return out, nil
}
