package service

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/meibo/meibo"
)

// Second factors of administrators: authenticator codes (TOTP, RFC 6238),
// recovery codes, and the policy that requires them. Passkeys are in
// passkey.go, single sign-on in sso.go.
//
// A sign-in with the password alone makes a session at a stage
// (meibo.StageSecond, meibo.StageSetup) that reaches nothing but the pages
// completing it: ConsoleActor refuses it. Codes are checked under a counter
// of their own per account (ownRule: five free, then doubling waits), and a
// code is accepted once: the time step of the last one accepted is kept.

// FactorConfig configures second factors and single sign-on.
type FactorConfig struct {
	// Issuer names the installation in authenticator apps (default: the
	// product name).
	Issuer string
	// RPID, RPOrigins: the passkeys' relying party (the public URL's host
	// and origin). Empty: taken from each request (development).
	RPID      string
	RPOrigins []string
	// PasswordOffWithSSO refuses the password to administrators who have
	// signed in with an identity provider.
	PasswordOffWithSSO bool
}

const (
	totpPeriod        = 30
	recoveryCodeCount = 10
	factorPrefix      = "mfa:" // "mfa:<account>": second-factor codes
)

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

func (s *Service) issuer() string {
	if s.cfg.Factors.Issuer != "" {
		return s.cfg.Factors.Issuer
	}
	return s.cfg.Product
}

// adminFactors reads what an administrator has set up.
func adminFactors(ctx context.Context, tx meibo.Tx, adminID int64) (*meibo.Factors, error) {
	f := &meibo.Factors{}
	t, err := tx.TOTP(ctx, adminID)
	switch {
	case err == nil && t.ConfirmedAt != nil:
		f.TOTP, f.TOTPCreatedAt = true, t.ConfirmedAt
	case err != nil && meibo.ErrorCode(err) != meibo.CodeNotFound:
		return nil, err
	}
	if f.Passkeys, err = tx.Passkeys(ctx, adminID); err != nil {
		return nil, err
	}
	if f.RecoveryLeft, err = tx.RecoveryCodesLeft(ctx, adminID); err != nil {
		return nil, err
	}
	if f.SSO, err = tx.SSOLinks(ctx, adminID); err != nil {
		return nil, err
	}
	return f, nil
}

// firstStage is the stage of a session signed in with methods: complete
// when they include a second factor or none is needed; otherwise waiting
// for the administrator's second factor, or for one to be set up when the
// policy requires it and there is none.
func firstStage(ctx context.Context, tx meibo.Tx, ad *meibo.Admin, secondDone bool) (string, error) {
	if secondDone {
		return meibo.StageComplete, nil
	}
	f, err := adminFactors(ctx, tx, ad.ID)
	if err != nil {
		return "", err
	}
	if f.Any() {
		return meibo.StageSecond, nil
	}
	p, err := tx.MFAPolicy(ctx)
	if err != nil {
		return "", err
	}
	if p.Requires(ad) {
		return meibo.StageSetup, nil
	}
	return meibo.StageComplete, nil
}

// factorDue reports whether the second-factor policy requires a factor of
// ad and ad has none. Such an administrator's console sessions go to set
// one up and its API tokens stop, however they were made: before the policy
// covered it (a policy changed, an authority given) or by the command line.
// An account without a password (a script's, acting through tokens a
// manager makes) has nothing to sign in with and is not covered.
func factorDue(ctx context.Context, tx meibo.Tx, ad *meibo.Admin) (bool, error) {
	if ad.PasswordHash == "" {
		return false, nil
	}
	p, err := tx.MFAPolicy(ctx)
	if err != nil || !p.Requires(ad) {
		return false, err
	}
	f, err := adminFactors(ctx, tx, ad.ID)
	if err != nil {
		return false, err
	}
	return !f.Any(), nil
}

// PendingSession returns a console session that is not complete, with its
// administrator: the second step's and the set-up pages use it.
func (s *Service) PendingSession(ctx context.Context, secret string) (*meibo.Session, *meibo.Admin, error) {
	sess, err := s.session(ctx, secret, meibo.SessionConsole)
	if err != nil {
		return nil, nil, err
	}
	if sess.Stage == meibo.StageComplete {
		return nil, nil, meibo.Errorf(meibo.CodeConflict, "mfa.stage")
	}
	var ad *meibo.Admin
	err = s.store.View(ctx, func(tx meibo.Tx) error {
		var err error
		ad, err = tx.Admin(ctx, *sess.AdminID)
		return err
	})
	if err != nil || ad.Disabled {
		return nil, nil, sessionUnauthorized
	}
	return sess, ad, nil
}

// SecondFactor completes a session waiting for a second factor with an
// authenticator code or a recovery code.
func (s *Service) SecondFactor(ctx context.Context, secret, code, addr string) error {
	sess, ad, err := s.PendingSession(ctx, secret)
	if err != nil {
		return err
	}
	if sess.Stage != meibo.StageSecond {
		return meibo.Errorf(meibo.CodeConflict, "mfa.stage")
	}
	method, err := s.checkCode(ctx, ad, code, addr, "console")
	if err != nil {
		return err
	}
	ctx = meibo.WithActor(ctx, &meibo.Actor{Kind: meibo.ActorAdmin, ID: ad.ID, Name: ad.LoginID, Addr: addr})
	return s.store.Update(ctx, func(tx meibo.Tx) error {
		methods := sess.Methods + "+" + method
		if err := tx.SetSessionStage(ctx, sess.Hash, meibo.StageComplete, methods); err != nil {
			return err
		}
		return s.audit(ctx, tx, "admin.signin.second", meibo.CategorySignIn, "admin", ad.LoginID, "", map[string]any{"method": method})
	})
}

// checkCode checks an authenticator code (six digits) or a recovery code of
// ad under the second-factor counter, and uses it. It returns the method.
// The check is counted on surface (console, api), by the method the code's
// shape names, whatever its outcome.
func (s *Service) checkCode(ctx context.Context, ad *meibo.Admin, code, addr, surface string) (_ string, err error) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	shape := meibo.MethodRecovery
	if len(code) == 6 {
		shape = meibo.MethodTOTP
	}
	defer func() { s.countSecondFactor(surface, shape, err) }()
	key := factorPrefix + adminAccount(ad.LoginID)
	if err := s.reserve(ctx, map[string]throttleRule{key: ownRule}); err != nil {
		return "", err
	}
	var method string
	err = s.store.Update(ctx, func(tx meibo.Tx) error {
		if len(code) == 6 {
			t, err := tx.TOTP(ctx, ad.ID)
			if meibo.ErrorCode(err) == meibo.CodeNotFound || (err == nil && t.ConfirmedAt == nil) {
				return nil
			} else if err != nil {
				return err
			}
			step, ok := matchTOTP(t.Secret, code, tx.Now())
			if !ok {
				return nil
			}
			if ok, err := tx.UseTOTPStep(ctx, ad.ID, step); err != nil || !ok {
				return err
			}
			method = meibo.MethodTOTP
			return nil
		}
		ok, err := tx.UseRecoveryCode(ctx, ad.ID, hashRecoveryCode(code), tx.Now())
		if err != nil || !ok {
			return err
		}
		method = meibo.MethodRecovery
		return nil
	})
	if err != nil {
		return "", err
	}
	if method == "" {
		ctx = meibo.WithActor(ctx, &meibo.Actor{Kind: meibo.ActorAdmin, ID: ad.ID, Name: ad.LoginID, Addr: addr})
		s.auditSignIn(ctx, "admin.signin.second.failed", ad.LoginID, addr, 0)
		return "", meibo.Errorf(meibo.CodeUnauthorized, "mfa.code.invalid")
	}
	if err := s.store.Update(ctx, func(tx meibo.Tx) error { return tx.DeleteThrottle(ctx, key) }); err != nil {
		return "", err
	}
	if method == meibo.MethodRecovery {
		ctx = meibo.WithActor(ctx, &meibo.Actor{Kind: meibo.ActorAdmin, ID: ad.ID, Name: ad.LoginID, Addr: addr})
		err := s.store.Update(ctx, func(tx meibo.Tx) error {
			return s.audit(ctx, tx, "admin.mfa.recovery.used", meibo.CategorySignIn, "admin", ad.LoginID, "", nil)
		})
		if err != nil {
			return "", err
		}
	}
	return method, nil
}

// matchTOTP finds the time step of code within one step of now.
func matchTOTP(secret, code string, now time.Time) (int64, bool) {
	step := now.Unix() / totpPeriod
	for _, st := range []int64{step - 1, step, step + 1} {
		want, err := totp.GenerateCodeCustom(secret, time.Unix(st*totpPeriod, 0), totpOpts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return st, true
		}
	}
	return 0, false
}

// TOTPSetup is an authenticator being set up: the secret as text, as an
// otpauth:// address and as a QR code (PNG).
type TOTPSetup struct {
	Secret string
	URL    string
	QR     []byte
}

// BeginTOTP starts setting up the actor's authenticator app: a new secret,
// kept unconfirmed until ConfirmTOTP. A secret begun in the last ten
// minutes and not yet confirmed is shown again (a page reloaded, a code
// mistyped), so that the app scanned already stays right.
func (s *Service) BeginTOTP(ctx context.Context) (*TOTPSetup, error) {
	a, err := selfAdmin(ctx)
	if err != nil {
		return nil, err
	}
	var raw []byte
	err = s.store.Update(ctx, func(tx meibo.Tx) error {
		t, err := tx.TOTP(ctx, a.ID)
		switch {
		case err == nil && t.ConfirmedAt != nil:
			return meibo.Conflict("mfa.totp.exists")
		case err == nil && tx.Now().Sub(t.CreatedAt) < 10*time.Minute:
			raw, err = base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(t.Secret)
			if err == nil {
				return nil
			}
		case meibo.ErrorCode(err) != meibo.CodeNotFound && err != nil:
			return err
		}
		raw = make([]byte, 20)
		if _, err := rand.Read(raw); err != nil {
			return err
		}
		return tx.PutTOTP(ctx, &meibo.TOTP{AdminID: a.ID, Secret: base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw),
			CreatedAt: tx.Now()})
	})
	if err != nil {
		return nil, err
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: s.issuer(), AccountName: a.Name, Period: totpPeriod, Digits: otp.DigitsSix,
		Algorithm: otp.AlgorithmSHA1, Secret: raw})
	if err != nil {
		return nil, err
	}
	img, err := key.Image(240, 240)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, err
	}
	return &TOTPSetup{Secret: key.Secret(), URL: key.String(), QR: b.Bytes()}, nil
}

// ConfirmTOTP confirms the authenticator being set up with a first code. It
// returns new recovery codes (shown once) when the administrator had none
// left. A session that had to set up a factor is complete afterwards.
func (s *Service) ConfirmTOTP(ctx context.Context, code string) ([]string, error) {
	a, err := selfAdmin(ctx)
	if err != nil {
		return nil, err
	}
	key := factorPrefix + adminAccount(a.Name)
	if err := s.reserve(ctx, map[string]throttleRule{key: ownRule}); err != nil {
		return nil, err
	}
	var codes []string
	err = s.store.Update(ctx, func(tx meibo.Tx) error {
		t, err := tx.TOTP(ctx, a.ID)
		if meibo.ErrorCode(err) == meibo.CodeNotFound {
			return meibo.FieldError("code", "mfa.totp.none")
		} else if err != nil {
			return err
		}
		if t.ConfirmedAt != nil {
			return meibo.Conflict("mfa.totp.exists")
		}
		step, ok := matchTOTP(t.Secret, strings.TrimSpace(code), tx.Now())
		if !ok {
			return meibo.FieldError("code", "mfa.code.invalid")
		}
		t.LastStep, t.ConfirmedAt = step, ptr(tx.Now())
		if err := tx.PutTOTP(ctx, t); err != nil {
			return err
		}
		if codes, err = s.ensureRecoveryCodes(ctx, tx, a.ID); err != nil {
			return err
		}
		if err := s.factorAdded(ctx, tx, a, meibo.MethodTOTP); err != nil {
			return err
		}
		return s.audit(ctx, tx, "admin.mfa.totp.add", meibo.CategoryConfig, "admin", a.Name, "", nil)
	})
	if err != nil {
		return nil, err
	}
	if err := s.store.Update(ctx, func(tx meibo.Tx) error { return tx.DeleteThrottle(ctx, key) }); err != nil {
		return nil, err
	}
	return codes, nil
}

// factorAdded completes the actor's session when it had to set up a
// factor, recording the factor as its second.
func (s *Service) factorAdded(ctx context.Context, tx meibo.Tx, a *meibo.Actor, method string) error {
	if a.Session == "" {
		return nil
	}
	sess, err := tx.Session(ctx, a.Session)
	if err != nil {
		return err
	}
	if sess.Stage != meibo.StageSetup {
		return nil
	}
	return tx.SetSessionStage(ctx, sess.Hash, meibo.StageComplete, sess.Methods+"+"+method)
}

// ensureRecoveryCodes makes ten recovery codes when none is left.
func (s *Service) ensureRecoveryCodes(ctx context.Context, tx meibo.Tx, adminID int64) ([]string, error) {
	n, err := tx.RecoveryCodesLeft(ctx, adminID)
	if err != nil || n > 0 {
		return nil, err
	}
	return newRecoveryCodes(ctx, tx, adminID)
}

func newRecoveryCodes(ctx context.Context, tx meibo.Tx, adminID int64) ([]string, error) {
	codes := make([]string, recoveryCodeCount)
	hashes := make([]string, recoveryCodeCount)
	for i := range codes {
		b := make([]byte, 10) // 80 bits
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		c := strings.ToLower(base32.StdEncoding.EncodeToString(b))
		codes[i] = c[0:4] + "-" + c[4:8] + "-" + c[8:12] + "-" + c[12:16]
		hashes[i] = hashRecoveryCode(codes[i])
	}
	return codes, tx.ReplaceRecoveryCodes(ctx, adminID, hashes)
}

// hashRecoveryCode is the stored form of a recovery code, read without
// regard to case, spaces or dashes. Codes hold 80 random bits, so a fast
// hash is enough.
func hashRecoveryCode(code string) string {
	c := strings.ToLower(strings.NewReplacer("-", "", " ", "").Replace(code))
	return meibo.HashToken("recovery:" + c)
}

// NewRecoveryCodes replaces the actor's recovery codes with ten new ones,
// after checking the password.
func (s *Service) NewRecoveryCodes(ctx context.Context, password string) ([]string, error) {
	a, ad, err := s.reauthenticate(ctx, password)
	if err != nil {
		return nil, err
	}
	var codes []string
	err = s.store.Update(ctx, func(tx meibo.Tx) error {
		var err error
		if codes, err = newRecoveryCodes(ctx, tx, ad.ID); err != nil {
			return err
		}
		return s.audit(ctx, tx, "admin.mfa.recovery.new", meibo.CategoryConfig, "admin", a.Name, "", nil)
	})
	return codes, err
}

// RemoveTOTP removes the actor's authenticator after checking the password.
// The administrator's other sessions end. The last second factor of an
// administrator the policy requires one of cannot be removed.
func (s *Service) RemoveTOTP(ctx context.Context, password string) error {
	a, ad, err := s.reauthenticate(ctx, password)
	if err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx meibo.Tx) error {
		f, err := adminFactors(ctx, tx, ad.ID)
		if err != nil {
			return err
		}
		if !f.TOTP {
			return meibo.NotFound("mfa.totp.none")
		}
		if err := lastFactor(ctx, tx, ad, len(f.Passkeys) == 0); err != nil {
			return err
		}
		if err := tx.DeleteTOTP(ctx, ad.ID); err != nil {
			return err
		}
		if err := s.afterFactorRemoved(ctx, tx, ad, a.Session, len(f.Passkeys) == 0); err != nil {
			return err
		}
		return s.audit(ctx, tx, "admin.mfa.totp.remove", meibo.CategoryConfig, "admin", a.Name, "", nil)
	})
}

// lastFactor refuses to remove the last second factor of an administrator
// whom the policy requires to have one.
func lastFactor(ctx context.Context, tx meibo.Tx, ad *meibo.Admin, last bool) error {
	if !last {
		return nil
	}
	p, err := tx.MFAPolicy(ctx)
	if err != nil {
		return err
	}
	if p.Requires(ad) {
		return meibo.Conflict("mfa.last")
	}
	return nil
}

// afterFactorRemoved ends the administrator's other sessions and tokens,
// and forgets the recovery codes with the last factor.
func (s *Service) afterFactorRemoved(ctx context.Context, tx meibo.Tx, ad *meibo.Admin, keep string, last bool) error {
	if last {
		if err := tx.ReplaceRecoveryCodes(ctx, ad.ID, nil); err != nil {
			return err
		}
	}
	if err := tx.DeleteSessionsOf(ctx, meibo.SessionConsole, ad.ID, keep); err != nil {
		return err
	}
	return tx.DeleteAdminAPITokens(ctx, ad.ID)
}

// reauthenticate checks the signed-in administrator's password (under its
// own counter) before a change of their sign-in.
func (s *Service) reauthenticate(ctx context.Context, password string) (*meibo.Actor, *meibo.Admin, error) {
	a, err := selfAdmin(ctx)
	if err != nil {
		return nil, nil, err
	}
	var ad *meibo.Admin
	if err := s.store.View(ctx, func(tx meibo.Tx) error {
		var err error
		ad, err = tx.Admin(ctx, a.ID)
		return err
	}); err != nil {
		return nil, nil, err
	}
	ok, err := s.checkOwnPassword(ctx, "admin:#"+idString(ad.ID), ad.PasswordHash, password)
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		return nil, nil, meibo.FieldError("currentPassword", "login.failed")
	}
	return a, ad, nil
}

// selfAdmin is the administrator acting on their own sign-in.
func selfAdmin(ctx context.Context) (*meibo.Actor, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if a.Kind != meibo.ActorAdmin || a.ID == 0 {
		return nil, meibo.Forbidden("forbidden")
	}
	return a, nil
}

// AdminFactors reads an administrator's factors and live sessions: one's
// own, or anyone's for a manager of administrators.
func (s *Service) AdminFactors(ctx context.Context, adminID int64) (*meibo.Factors, []*meibo.Session, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, nil, err
	}
	if !(a.Kind == meibo.ActorAdmin && a.ID == adminID) {
		if _, err := requireManager(ctx); err != nil {
			return nil, nil, err
		}
	}
	var f *meibo.Factors
	var sessions []*meibo.Session
	err = s.store.View(ctx, func(tx meibo.Tx) error {
		if _, err := tx.Admin(ctx, adminID); err != nil {
			return err
		}
		var err error
		if f, err = adminFactors(ctx, tx, adminID); err != nil {
			return err
		}
		sessions, err = tx.SessionsOf(ctx, adminID, tx.Now())
		return err
	})
	return f, sessions, err
}

// ResetFactors removes every second factor, recovery code and identity
// provider link of an administrator and ends their sessions and tokens: the
// emergency path for someone who lost them. Only a manager of
// administrators (or the system: `meibo admin reset-mfa`) may.
func (s *Service) ResetFactors(ctx context.Context, adminID int64) error {
	if _, err := requireManager(ctx); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx meibo.Tx) error {
		ad, err := tx.Admin(ctx, adminID)
		if err != nil {
			return err
		}
		f, err := adminFactors(ctx, tx, adminID)
		if err != nil {
			return err
		}
		for _, fn := range []func() error{
			func() error { return tx.DeleteTOTP(ctx, adminID) },
			func() error { return tx.DeletePasskeys(ctx, adminID) },
			func() error { return tx.ReplaceRecoveryCodes(ctx, adminID, nil) },
			func() error { return tx.DeleteSSOLinks(ctx, adminID, "") },
			func() error { return tx.DeleteSessionsOf(ctx, meibo.SessionConsole, adminID, "") },
			func() error { return tx.DeleteAdminAPITokens(ctx, adminID) },
		} {
			if err := fn(); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, "admin.mfa.reset", meibo.CategoryConfig, "admin", ad.LoginID, "",
			map[string]any{"totp": f.TOTP, "passkeys": len(f.Passkeys), "sso": len(f.SSO)})
	})
}

// MFAPolicy reads the second-factor policy.
func (s *Service) MFAPolicy(ctx context.Context) (meibo.MFAPolicy, error) {
	if _, err := actor(ctx); err != nil {
		return meibo.MFAPolicy{}, err
	}
	var p meibo.MFAPolicy
	err := s.store.View(ctx, func(tx meibo.Tx) error {
		var err error
		p, err = tx.MFAPolicy(ctx)
		return err
	})
	return p, err
}

// SetMFAPolicy changes the second-factor policy (a manager of
// administrators or the system). Administrators it newly requires a factor
// of are taken to set one up at their next sign-in.
func (s *Service) SetMFAPolicy(ctx context.Context, p meibo.MFAPolicy) error {
	a, err := requireManager(ctx)
	if err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx meibo.Tx) error {
		old, err := tx.MFAPolicy(ctx)
		if err != nil {
			return err
		}
		if old.String() == p.String() {
			return nil // saved as it was: nothing written, nothing audited
		}
		if a.Kind == meibo.ActorAdmin {
			// A policy that would stop its own author: the author sets up
			// a factor first (the command line, as the system, may).
			me, err := tx.Admin(ctx, a.ID)
			if err != nil {
				return err
			}
			if me.PasswordHash != "" && p.Requires(me) {
				f, err := adminFactors(ctx, tx, me.ID)
				if err != nil {
					return err
				}
				if !f.Any() {
					return meibo.Conflict("mfa.policy.self")
				}
			}
		}
		if err := tx.PutMFAPolicy(ctx, p); err != nil {
			return err
		}
		return s.audit(ctx, tx, "settings.update", meibo.CategoryConfig, "settings", meibo.SettingMFARequired, "",
			map[string]any{"before": old.String(), "after": p.String()})
	})
}

// loginFactor is Login with a second factor: an administrator who has one,
// or whom the policy requires to have one, must give an authenticator or
// recovery code, so that the API cannot walk around the policy. (Without
// an authenticator app, a token is made from a signed-in console session:
// SessionToken.)
func (s *Service) loginFactor(ctx context.Context, loginID, password, code, addr string) (string, *meibo.Admin, error) {
	secret, hash := meibo.NewToken("mbo_")
	var found *meibo.Admin
	var stage string
	ad, err := s.signInAdmin(ctx, loginID, password, addr, "api", func(ctx context.Context, tx meibo.Tx, ad *meibo.Admin) error {
		found = ad
		if ad.MustChangePassword() {
			// The printed first-run password is changed in the console first.
			return meibo.Forbidden("login.password.first")
		}
		if err := s.passwordAllowed(ctx, tx, ad); err != nil {
			return err
		}
		var err error
		if stage, err = firstStage(ctx, tx, ad, false); err != nil {
			return err
		}
		if stage != meibo.StageComplete {
			return errSecondFactorDue
		}
		return tx.CreateAPIToken(ctx, &meibo.APIToken{Hash: hash, AdminID: ad.ID, Name: "login", ExpiresAt: tx.Now().Add(s.cfg.TokenTTL)})
	})
	if meibo.ErrorCode(err) == meibo.CodeUnauthorized && meibo.AsError(err).Msg.Key == "mfa.password.off" && found != nil {
		s.passwordOffRefused(ctx, found.LoginID, addr, "api")
	}
	if errors.Is(err, errSecondFactorDue) {
		ad = found
		if stage == meibo.StageSetup {
			// No code can be right: there is no factor to give one.
			return "", nil, meibo.Forbidden("mfa.setup.required", ad.LoginID)
		}
		if code == "" {
			return "", nil, meibo.Errorf(meibo.CodeUnauthorized, "mfa.code.required")
		}
		method, err := s.checkCode(ctx, ad, code, addr, "api")
		if err != nil {
			return "", nil, err
		}
		ctx = meibo.WithActor(ctx, &meibo.Actor{Kind: meibo.ActorAdmin, ID: ad.ID, Name: ad.LoginID, Addr: addr})
		err = s.store.Update(ctx, func(tx meibo.Tx) error {
			if err := tx.CreateAPIToken(ctx, &meibo.APIToken{Hash: hash, AdminID: ad.ID, Name: "login+" + method,
				ExpiresAt: tx.Now().Add(s.cfg.TokenTTL)}); err != nil {
				return err
			}
			if err := tx.SetAdminSignIn(ctx, ad.ID, tx.Now()); err != nil {
				return err
			}
			return s.audit(ctx, tx, "admin.signin.second", meibo.CategorySignIn, "admin", ad.LoginID, "", map[string]any{"method": method, "via": "api"})
		})
		if err != nil {
			return "", nil, err
		}
		return secret, ad, nil
	}
	if err != nil {
		return "", nil, err
	}
	return secret, ad, nil
}

// errSecondFactorDue rolls back a sign-in whose password was right but whose
// second factor is still due.
var errSecondFactorDue = meibo.Errorf(meibo.CodeUnauthorized, "mfa.code.required")

// SessionToken makes a bearer token for the administrator of a complete
// console session (signed in with every factor the policy asks for).
func (s *Service) SessionToken(ctx context.Context, name string) (string, *meibo.APIToken, error) {
	a, err := selfAdmin(ctx)
	if err != nil {
		return "", nil, err
	}
	if a.Session == "" {
		return "", nil, meibo.Forbidden("forbidden")
	}
	if name == "" {
		name = "console"
	}
	secret, hash := meibo.NewToken("mbo_")
	var k *meibo.APIToken
	err = s.store.Update(ctx, func(tx meibo.Tx) error {
		sess, err := tx.Session(ctx, a.Session)
		if err != nil {
			return err
		}
		if sess.Stage != meibo.StageComplete {
			return meibo.Forbidden("mfa.stage")
		}
		k = &meibo.APIToken{Hash: hash, AdminID: a.ID, Name: clip(name, 64), ExpiresAt: tx.Now().Add(s.cfg.TokenTTL)}
		if err := tx.CreateAPIToken(ctx, k); err != nil {
			return err
		}
		return s.audit(ctx, tx, "token.create", meibo.CategoryConfig, "admin", a.Name, "", map[string]any{"name": k.Name, "via": meibo.MethodSession})
	})
	if err != nil {
		return "", nil, err
	}
	return secret, k, nil
}

// passwordAllowed refuses the password of an administrator who has signed
// in with an identity provider when the operator turned that off.
func (s *Service) passwordAllowed(ctx context.Context, tx meibo.Tx, ad *meibo.Admin) error {
	// The built-in administrator is the break-glass account: its password
	// stays, whatever links an earlier version made.
	if !s.cfg.Factors.PasswordOffWithSSO || ad.Builtin {
		return nil
	}
	links, err := tx.SSOLinks(ctx, ad.ID)
	if err != nil {
		return err
	}
	if len(links) > 0 {
		return meibo.Errorf(meibo.CodeUnauthorized, "mfa.password.off")
	}
	return nil
}

// FactorActor is the administrator of a console session for the pages that
// set up second factors: a complete session's actor (as ConsoleActor), or,
// for a session that must set one up first, an actor without authorities
// that can do nothing but that.
func (s *Service) FactorActor(ctx context.Context, secret, addr string) (*meibo.Actor, *meibo.Session, error) {
	act, sess, err := s.ConsoleActor(ctx, secret, addr)
	if err == nil || sess == nil || sess.Stage != meibo.StageSetup {
		return act, sess, err
	}
	sess, ad, err := s.PendingSession(ctx, secret)
	if err != nil {
		return nil, nil, err
	}
	if !ad.CanSignIn() {
		return nil, nil, sessionUnauthorized
	}
	return &meibo.Actor{Kind: meibo.ActorAdmin, ID: ad.ID, Name: ad.LoginID, Addr: addr, Session: sess.Hash}, sess, nil
}

// PendingFactors reads the factors of a half signed-in session's
// administrator (for the second step to offer them).
func (s *Service) PendingFactors(ctx context.Context, sess *meibo.Session) (*meibo.Factors, error) {
	var f *meibo.Factors
	err := s.store.View(ctx, func(tx meibo.Tx) error {
		var err error
		f, err = adminFactors(ctx, tx, *sess.AdminID)
		return err
	})
	return f, err
}
