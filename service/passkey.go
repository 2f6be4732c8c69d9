package service

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/meibo/meibo"
)

// Passkeys (WebAuthn) of administrators, with github.com/go-webauthn/webauthn.
// An administrator registers several, each named; a passkey signs in alone
// (a discoverable credential: no ID typed) or serves as the second factor
// after the password. The relying party is the public URL's host (or, in
// development without one, the host the request was sent to). A ceremony's
// challenge is kept server-side (sign_in_ceremonies) for five minutes and
// taken once.

const ceremonyTTL = 5 * time.Minute

// Ceremony kinds.
const (
	ceremonyRegister = "passkey.register"
	ceremonySignIn   = "passkey.signin"
	ceremonySecond   = "passkey.second"
)

// relyingParty is the WebAuthn relying party for a request from origin
// (scheme://host[:port]).
func (s *Service) relyingParty(origin string) (*webauthn.WebAuthn, error) {
	cfg := &webauthn.Config{RPDisplayName: s.issuer(), RPID: s.cfg.Factors.RPID, RPOrigins: s.cfg.Factors.RPOrigins}
	if cfg.RPID == "" && s.cfg.PublicURL != "" {
		// A public URL naming a domain is the relying party. One naming an
		// address or localhost (the default of a server started without
		// --public-url) is development: the request's own host is.
		if u, err := url.Parse(s.cfg.PublicURL); err == nil && u.Host != "" && net.ParseIP(u.Hostname()) == nil && u.Hostname() != "localhost" {
			cfg.RPID, cfg.RPOrigins = u.Hostname(), []string{u.Scheme + "://" + u.Host}
		}
	}
	if cfg.RPID == "" {
		u, err := url.Parse(origin)
		if err != nil || u.Host == "" {
			return nil, meibo.Errorf(meibo.CodeBadRequest, "mfa.passkey.failed")
		}
		cfg.RPID, cfg.RPOrigins = u.Hostname(), []string{origin}
	}
	return webauthn.New(cfg)
}

// passkeyUser is an administrator as the WebAuthn library sees one: the user
// handle is the administrator's GUID, which never changes.
type passkeyUser struct {
	ad    *meibo.Admin
	keys  []*meibo.Passkey
	creds []webauthn.Credential
}

func (u *passkeyUser) WebAuthnID() []byte   { return []byte(u.ad.GUID) }
func (u *passkeyUser) WebAuthnName() string { return u.ad.LoginID }
func (u *passkeyUser) WebAuthnDisplayName() string {
	if u.ad.Name != "" {
		return u.ad.Name
	}
	return u.ad.LoginID
}
func (u *passkeyUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

// stored finds the stored passkey of a credential.
func (u *passkeyUser) stored(id []byte) *meibo.Passkey {
	cid := base64.RawURLEncoding.EncodeToString(id)
	for _, k := range u.keys {
		if k.CredentialID == cid {
			return k
		}
	}
	return nil
}

func loadPasskeyUser(ctx context.Context, tx meibo.Tx, adminID int64) (*passkeyUser, error) {
	ad, err := tx.Admin(ctx, adminID)
	if err != nil {
		return nil, err
	}
	keys, err := tx.Passkeys(ctx, adminID)
	if err != nil {
		return nil, err
	}
	u := &passkeyUser{ad: ad, keys: keys}
	for _, k := range keys {
		var c webauthn.Credential
		if err := json.Unmarshal([]byte(k.Data), &c); err != nil {
			return nil, fmt.Errorf("passkey %d: %w", k.ID, err)
		}
		u.creds = append(u.creds, c)
	}
	return u, nil
}

// saveCeremony keeps a ceremony's session data under the hash of key.
func saveCeremony(ctx context.Context, tx meibo.Tx, key, kind string, sd *webauthn.SessionData) error {
	b, err := json.Marshal(sd)
	if err != nil {
		return err
	}
	return tx.CreateCeremony(ctx, &meibo.Ceremony{Hash: meibo.HashToken(kind + "\x00" + key), Kind: kind, Data: string(b),
		ExpiresAt: tx.Now().Add(ceremonyTTL)})
}

// takeCeremony takes a ceremony's session data once.
func takeCeremony(ctx context.Context, tx meibo.Tx, key, kind string) (*webauthn.SessionData, error) {
	c, err := tx.TakeCeremony(ctx, meibo.HashToken(kind+"\x00"+key), kind, tx.Now())
	if meibo.ErrorCode(err) == meibo.CodeNotFound {
		return nil, meibo.Errorf(meibo.CodeUnauthorized, "mfa.passkey.failed")
	} else if err != nil {
		return nil, err
	}
	var sd webauthn.SessionData
	if err := json.Unmarshal([]byte(c.Data), &sd); err != nil {
		return nil, err
	}
	return &sd, nil
}

// BeginPasskeyRegistration starts registering a passkey of the signed-in
// administrator (or one who must set up a factor): the options for
// navigator.credentials.create, as JSON.
func (s *Service) BeginPasskeyRegistration(ctx context.Context, origin string) ([]byte, error) {
	a, err := selfAdmin(ctx)
	if err != nil {
		return nil, err
	}
	if a.Session == "" {
		return nil, meibo.Forbidden("forbidden")
	}
	rp, err := s.relyingParty(origin)
	if err != nil {
		return nil, err
	}
	var out []byte
	err = s.store.Update(ctx, func(tx meibo.Tx) error {
		u, err := loadPasskeyUser(ctx, tx, a.ID)
		if err != nil {
			return err
		}
		var exclude []protocol.CredentialDescriptor
		for _, c := range u.creds {
			exclude = append(exclude, c.Descriptor())
		}
		creation, sd, err := rp.BeginRegistration(u,
			webauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirementRequired),
			webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{ResidentKey: protocol.ResidentKeyRequirementRequired,
				RequireResidentKey: protocol.ResidentKeyRequired(), UserVerification: protocol.VerificationRequired}),
			webauthn.WithExclusions(exclude))
		if err != nil {
			return err
		}
		if out, err = json.Marshal(creation.Response); err != nil {
			return err
		}
		return saveCeremony(ctx, tx, a.Session, ceremonyRegister, sd)
	})
	return out, err
}

// FinishPasskeyRegistration checks the browser's answer and keeps the new
// passkey under name. It returns new recovery codes when the administrator
// had none; a session that had to set up a factor is complete afterwards.
func (s *Service) FinishPasskeyRegistration(ctx context.Context, origin, name string, response []byte) ([]string, error) {
	a, err := selfAdmin(ctx)
	if err != nil {
		return nil, err
	}
	name = strings.TrimSpace(name)
	if name == "" || len([]rune(name)) > 64 || hasControlChars(name) {
		return nil, meibo.FieldError("name", "mfa.passkey.name")
	}
	rp, err := s.relyingParty(origin)
	if err != nil {
		return nil, err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(response)
	if err != nil {
		s.log.Info("passkey registration refused", "admin", a.Name, "err", err)
		return nil, meibo.Errorf(meibo.CodeBadRequest, "mfa.passkey.failed")
	}
	var codes []string
	err = s.store.Update(ctx, func(tx meibo.Tx) error {
		sd, err := takeCeremony(ctx, tx, a.Session, ceremonyRegister)
		if err != nil {
			return err
		}
		u, err := loadPasskeyUser(ctx, tx, a.ID)
		if err != nil {
			return err
		}
		cred, err := rp.CreateCredential(u, *sd, parsed)
		if err != nil {
			s.log.Info("passkey registration refused", "admin", a.Name, "err", err)
			return meibo.Errorf(meibo.CodeBadRequest, "mfa.passkey.failed")
		}
		data, err := json.Marshal(cred)
		if err != nil {
			return err
		}
		k := &meibo.Passkey{AdminID: a.ID, CredentialID: base64.RawURLEncoding.EncodeToString(cred.ID), Name: name, Data: string(data)}
		if err := tx.CreatePasskey(ctx, k); err != nil {
			return err
		}
		if codes, err = s.ensureRecoveryCodes(ctx, tx, a.ID); err != nil {
			return err
		}
		if err := s.factorAdded(ctx, tx, a, meibo.MethodPasskey); err != nil {
			return err
		}
		return s.audit(ctx, tx, "admin.mfa.passkey.add", meibo.CategoryConfig, "admin", a.Name, "", map[string]any{"name": name})
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

func hasControlChars(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return true
		}
	}
	return false
}

// RemovePasskey removes one of the actor's passkeys after checking the
// password; the administrator's other sessions end.
func (s *Service) RemovePasskey(ctx context.Context, id int64, password string) error {
	a, ad, err := s.reauthenticate(ctx, password)
	if err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx meibo.Tx) error {
		f, err := adminFactors(ctx, tx, ad.ID)
		if err != nil {
			return err
		}
		var k *meibo.Passkey
		for _, p := range f.Passkeys {
			if p.ID == id {
				k = p
			}
		}
		if k == nil {
			return meibo.NotFound("mfa.passkey.notfound")
		}
		last := !f.TOTP && len(f.Passkeys) == 1
		if err := lastFactor(ctx, tx, ad, last); err != nil {
			return err
		}
		if err := tx.DeletePasskey(ctx, ad.ID, id); err != nil {
			return err
		}
		if err := s.afterFactorRemoved(ctx, tx, ad, a.Session, last); err != nil {
			return err
		}
		return s.audit(ctx, tx, "admin.mfa.passkey.remove", meibo.CategoryConfig, "admin", a.Name, "", map[string]any{"name": k.Name})
	})
}

// BeginPasskeySignIn starts signing in with a passkey alone: options for
// navigator.credentials.get (any of the site's passkeys), and the secret of
// the ceremony (for a cookie).
func (s *Service) BeginPasskeySignIn(ctx context.Context, origin string) ([]byte, string, error) {
	rp, err := s.relyingParty(origin)
	if err != nil {
		return nil, "", err
	}
	assertion, sd, err := rp.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return nil, "", err
	}
	secret, _ := meibo.NewToken("mbp_")
	out, err := json.Marshal(assertion.Response)
	if err != nil {
		return nil, "", err
	}
	err = s.store.Update(ctx, func(tx meibo.Tx) error { return saveCeremony(ctx, tx, secret, ceremonySignIn, sd) })
	if err != nil {
		return nil, "", err
	}
	return out, secret, nil
}

// FinishPasskeySignIn checks a passkey's answer and signs its administrator
// in: a new, complete console session (a passkey with user verification is
// two factors in one). It returns the session's cookie secret.
//
// The sign-in is counted on the console, as one with a password is.
func (s *Service) FinishPasskeySignIn(ctx context.Context, origin, ceremony string, response []byte, addr, userAgent string, lang meibo.Lang) (string, *meibo.Session, error) {
	secret, sess, err := s.finishPasskeySignIn(ctx, origin, ceremony, response, addr, userAgent, lang)
	s.countSignIn("console", err)
	return secret, sess, err
}

func (s *Service) finishPasskeySignIn(ctx context.Context, origin, ceremony string, response []byte, addr, userAgent string, lang meibo.Lang) (string, *meibo.Session, error) {
	failed := meibo.Errorf(meibo.CodeUnauthorized, "mfa.passkey.failed")
	rp, err := s.relyingParty(origin)
	if err != nil {
		return "", nil, err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
	if err != nil {
		return "", nil, failed
	}
	secret, hash := meibo.NewToken("mbs_")
	var sess *meibo.Session
	var who string
	err = s.store.Update(ctx, func(tx meibo.Tx) error {
		sd, err := takeCeremony(ctx, tx, ceremony, ceremonySignIn)
		if err != nil {
			return err
		}
		var user *passkeyUser
		_, cred, err := rp.ValidatePasskeyLogin(func(rawID, userHandle []byte) (webauthn.User, error) {
			k, err := tx.PasskeyByCredential(ctx, base64.RawURLEncoding.EncodeToString(rawID))
			if err != nil {
				return nil, err
			}
			if user, err = loadPasskeyUser(ctx, tx, k.AdminID); err != nil {
				return nil, err
			}
			if !bytes.Equal(userHandle, user.WebAuthnID()) {
				return nil, fmt.Errorf("user handle of another administrator")
			}
			return user, nil
		}, *sd, parsed)
		if err != nil || user == nil {
			s.log.Info("passkey sign-in refused", "err", err)
			return failed
		}
		ad := user.ad
		who = ad.LoginID
		if ad.Disabled || (ad.Builtin && ad.LoginID == meibo.BuiltinBackup) {
			return failed
		}
		if err := s.usePasskey(ctx, tx, user, cred); err != nil {
			return err
		}
		id := ad.ID
		sess = &meibo.Session{Hash: hash, Kind: meibo.SessionConsole, AdminID: &id, CSRF: NewCSRF(), Lang: lang, Addr: addr,
			UserAgent: clip(userAgent, 256), ExpiresAt: tx.Now().Add(s.cfg.AdminSessionMax), Methods: meibo.MethodPasskey}
		if err := tx.CreateSession(ctx, sess); err != nil {
			return err
		}
		if err := tx.SetAdminSignIn(ctx, ad.ID, tx.Now()); err != nil {
			return err
		}
		actx := meibo.WithActor(ctx, &meibo.Actor{Kind: meibo.ActorAdmin, ID: ad.ID, Name: ad.LoginID, Addr: addr})
		return s.audit(actx, tx, "admin.signin", meibo.CategorySignIn, "admin", ad.LoginID, "", map[string]any{"via": "console", "method": meibo.MethodPasskey})
	})
	if err != nil {
		if meibo.ErrorCode(err) == meibo.CodeUnauthorized {
			s.auditSignIn(ctx, "admin.signin.failed", who, addr, 0)
		}
		return "", nil, err
	}
	return secret, sess, nil
}

// usePasskey records a passkey's use (its signature counter) after a
// successful assertion.
// A signature counter that went backwards (the library's clone warning)
// refuses the passkey: two authenticators may hold the same key.
func (s *Service) usePasskey(ctx context.Context, tx meibo.Tx, user *passkeyUser, cred *webauthn.Credential) error {
	k := user.stored(cred.ID)
	if k == nil || cred.Authenticator.CloneWarning {
		s.log.Warn("passkey refused", "admin", user.ad.LoginID, "cloneWarning", cred.Authenticator.CloneWarning)
		return meibo.Errorf(meibo.CodeUnauthorized, "mfa.passkey.failed")
	}
	data, err := json.Marshal(cred)
	if err != nil {
		return err
	}
	return tx.UsePasskey(ctx, k.ID, string(data), tx.Now())
}

// BeginPasskeySecond starts the second step of a session waiting for its
// second factor with one of its administrator's passkeys.
func (s *Service) BeginPasskeySecond(ctx context.Context, secret, origin string) ([]byte, error) {
	sess, ad, err := s.PendingSession(ctx, secret)
	if err != nil {
		return nil, err
	}
	if sess.Stage != meibo.StageSecond {
		return nil, meibo.Errorf(meibo.CodeConflict, "mfa.stage")
	}
	rp, err := s.relyingParty(origin)
	if err != nil {
		return nil, err
	}
	var out []byte
	err = s.store.Update(ctx, func(tx meibo.Tx) error {
		u, err := loadPasskeyUser(ctx, tx, ad.ID)
		if err != nil {
			return err
		}
		if len(u.creds) == 0 {
			return meibo.NotFound("mfa.passkey.notfound")
		}
		assertion, sd, err := rp.BeginLogin(u, webauthn.WithUserVerification(protocol.VerificationPreferred))
		if err != nil {
			return err
		}
		if out, err = json.Marshal(assertion.Response); err != nil {
			return err
		}
		return saveCeremony(ctx, tx, sess.Hash, ceremonySecond, sd)
	})
	return out, err
}

// FinishPasskeySecond completes a session waiting for its second factor
// with a passkey's answer.
func (s *Service) FinishPasskeySecond(ctx context.Context, secret, origin string, response []byte, addr string) error {
	sess, ad, err := s.PendingSession(ctx, secret)
	if err != nil {
		return err
	}
	if sess.Stage != meibo.StageSecond {
		return meibo.Errorf(meibo.CodeConflict, "mfa.stage")
	}
	err = s.finishPasskeySecond(ctx, sess, ad, origin, response, addr)
	s.countSecondFactor("console", meibo.MethodPasskey, err)
	return err
}

// finishPasskeySecond checks the passkey's answer for the session waiting
// for its second factor and completes it.
func (s *Service) finishPasskeySecond(ctx context.Context, sess *meibo.Session, ad *meibo.Admin, origin string, response []byte, addr string) error {
	failed := meibo.Errorf(meibo.CodeUnauthorized, "mfa.passkey.failed")
	rp, err := s.relyingParty(origin)
	if err != nil {
		return err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
	if err != nil {
		return failed
	}
	ctx = meibo.WithActor(ctx, &meibo.Actor{Kind: meibo.ActorAdmin, ID: ad.ID, Name: ad.LoginID, Addr: addr})
	err = s.store.Update(ctx, func(tx meibo.Tx) error {
		sd, err := takeCeremony(ctx, tx, sess.Hash, ceremonySecond)
		if err != nil {
			return err
		}
		u, err := loadPasskeyUser(ctx, tx, ad.ID)
		if err != nil {
			return err
		}
		cred, err := rp.ValidateLogin(u, *sd, parsed)
		if err != nil {
			s.log.Info("passkey second factor refused", "admin", ad.LoginID, "err", err)
			return failed
		}
		if err := s.usePasskey(ctx, tx, u, cred); err != nil {
			return err
		}
		if err := tx.SetSessionStage(ctx, sess.Hash, meibo.StageComplete, sess.Methods+"+"+meibo.MethodPasskey); err != nil {
			return err
		}
		return s.audit(ctx, tx, "admin.signin.second", meibo.CategorySignIn, "admin", ad.LoginID, "", map[string]any{"method": meibo.MethodPasskey})
	})
	if meibo.ErrorCode(err) == meibo.CodeUnauthorized {
		s.auditSignIn(ctx, "admin.signin.second.failed", ad.LoginID, addr, 0)
	}
	return err
}
