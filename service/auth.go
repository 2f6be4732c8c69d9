package service

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"time"

	"github.com/meibo/meibo"
)

// Bootstrap creates the built-in administrators on a new installation: admin
// (every authority) with password (or a random one, returned so that it can
// be printed once) and AUTOBACKUPUSER, who cannot sign in. It does nothing
// when admin already exists, and reports whether it created it.
func (s *Service) Bootstrap(ctx context.Context, password string) (created bool, generated string, err error) {
	var exists bool
	err = s.store.View(ctx, func(tx meibo.Tx) error {
		_, err := tx.AdminByLoginID(ctx, meibo.BuiltinAdmin)
		switch meibo.ErrorCode(err) {
		case meibo.CodeNotFound:
			return nil
		case meibo.CodeInternal:
			if err != nil {
				return err
			}
		}
		exists = true
		return nil
	})
	if err != nil || exists {
		return false, "", err
	}
	if password == "" {
		b := make([]byte, 18)
		if _, err := rand.Read(b); err != nil {
			return false, "", err
		}
		password = base64.RawURLEncoding.EncodeToString(b)
		generated = password
	} else if err := meibo.CheckPassword(password, meibo.BuiltinAdmin); err != nil {
		return false, "", err
	}
	hash, err := s.hashPassword(password)
	if err != nil {
		return false, "", err
	}
	ctx = meibo.WithActor(ctx, meibo.System("meibo"))
	err = s.store.Update(ctx, func(tx meibo.Tx) error {
		if err := tx.Lock(ctx, "admins"); err != nil {
			return err
		}
		if _, err := tx.AdminByLoginID(ctx, meibo.BuiltinAdmin); err == nil {
			exists = true // another server was first
			return nil
		}
		admin := &meibo.Admin{LoginID: meibo.BuiltinAdmin, GUID: meibo.NewGUID(), Name: "admin", PasswordHash: hash,
			Authorities: meibo.EveryAuthority, Builtin: true, PasswordChangedAt: ptr(tx.Now())}
		if generated != "" {
			// A printed password is a first-run one: it must be changed
			// before anything else (Admin.MustChangePassword).
			admin.PasswordChangedAt = nil
		}
		if err := tx.CreateAdmin(ctx, admin); err != nil {
			return err
		}
		if _, err := tx.AdminByLoginID(ctx, meibo.BuiltinBackup); meibo.ErrorCode(err) == meibo.CodeNotFound {
			backup := &meibo.Admin{LoginID: meibo.BuiltinBackup, GUID: meibo.NewGUID(), Name: "Automatic Backup User",
				Authorities: meibo.BackupAuthorities, Builtin: true}
			if err := tx.CreateAdmin(ctx, backup); err != nil {
				return err
			}
		}
		if err := tx.PutSettings(ctx, meibo.DefaultSettings); err != nil {
			return err
		}
		return s.audit(ctx, tx, "install", meibo.CategoryConfig, "admin", meibo.BuiltinAdmin, "", nil)
	})
	if err != nil || exists {
		return false, "", err
	}
	return true, generated, nil
}

// Login checks an administrator's ID and password and returns a new bearer
// token. Every failure gives the same answer, in about the same time, whether
// the account exists or not; attempts are throttled (service/throttle.go).
func (s *Service) Login(ctx context.Context, loginID, password, addr string) (string, *meibo.Admin, error) {
	return s.LoginFactor(ctx, loginID, password, "", addr)
}

// signInAdmin checks an administrator's ID and password under the sign-in
// throttle and, when they are right, records the sign-in and runs grant in
// the same transaction (to create the token or session it leads to). Every
// refusal gives the same error in about the same time.
func (s *Service) signInAdmin(ctx context.Context, loginID, password, addr, via string,
	grant func(ctx context.Context, tx meibo.Tx, ad *meibo.Admin) error) (*meibo.Admin, error) {
	at := newSignInAttempt(adminAccount(loginID), addr)
	r, err := s.reserveSignIn(ctx, at)
	if err != nil {
		if ok, n := s.allowThrottledEvent(at); ok {
			s.auditSignIn(ctx, "admin.signin.throttled", loginID, addr, n)
		}
		return nil, err
	}
	var ad *meibo.Admin
	err = s.store.View(ctx, func(tx meibo.Tx) error {
		var err error
		ad, err = tx.AdminByLoginID(ctx, loginID)
		return err
	})
	switch {
	case meibo.ErrorCode(err) == meibo.CodeNotFound:
		s.dummyVerify(password)
		s.auditSignIn(ctx, "admin.signin.failed", loginID, addr, 0)
		return nil, meibo.Errorf(meibo.CodeUnauthorized, "login.failed")
	case err != nil:
		return nil, err
	}
	ok, rehash, err := s.verifyPassword(ctx, ad.PasswordHash, password)
	if err != nil {
		return nil, s.notChecked(ctx, r, err)
	}
	if !ok || !ad.CanSignIn() {
		s.auditSignIn(ctx, "admin.signin.failed", loginID, addr, 0)
		return nil, meibo.Errorf(meibo.CodeUnauthorized, "login.failed")
	}
	actx := meibo.WithActor(ctx, &meibo.Actor{Kind: meibo.ActorAdmin, ID: ad.ID, Name: ad.LoginID, Addr: addr})
	signed := ad
	refused, unchecked, err := s.recordSignIn(actx, r, password, ad.PasswordHash, rehash, signInAccount{
		swap: func(ctx context.Context, tx meibo.Tx, old, hash string) (bool, error) {
			return tx.ReplaceAdminPasswordHash(ctx, ad.ID, old, hash)
		},
		current: func(ctx context.Context, tx meibo.Tx) (string, error) {
			cur, err := tx.Admin(ctx, ad.ID)
			if meibo.ErrorCode(err) == meibo.CodeNotFound || err == nil && !cur.CanSignIn() {
				return "", errAccountClosed
			} else if err != nil {
				return "", err
			}
			signed = cur
			return cur.PasswordHash, nil
		},
		record: func(ctx context.Context, tx meibo.Tx) error {
			if err := grant(ctx, tx, signed); err != nil {
				return err
			}
			if err := tx.SetAdminSignIn(ctx, ad.ID, tx.Now()); err != nil {
				return err
			}
			return s.audit(ctx, tx, "admin.signin", meibo.CategorySignIn, "admin", ad.LoginID, "", map[string]any{"via": via})
		},
	})
	if refused {
		s.auditSignIn(ctx, "admin.signin.failed", loginID, addr, 0)
		return nil, meibo.Errorf(meibo.CodeUnauthorized, "login.failed")
	} else if unchecked != nil {
		return nil, unchecked
	}
	// The password is right, as recorded (a second factor refused by
	// grant is throttled on its own): counted as such only now.
	if serr := s.signedIn(ctx, at); serr != nil {
		s.log.Error("sign-in counters after an administrator's password", "err", serr)
	}
	if err != nil {
		return nil, err
	}
	return signed, nil
}

// auditSignIn records a failed or refused sign-in (with how many refusals
// were left out before it); a failure to record is logged, not returned, so
// that the answer stays the same.
func (s *Service) auditSignIn(ctx context.Context, action, loginID, addr string, suppressed int) {
	ctx = meibo.WithActor(ctx, &meibo.Actor{Kind: meibo.ActorAdmin, Name: loginID, Addr: addr})
	var details map[string]any
	if suppressed > 0 {
		details = map[string]any{"suppressed": suppressed}
	}
	err := s.store.Update(ctx, func(tx meibo.Tx) error {
		return s.audit(ctx, tx, action, meibo.CategorySignIn, "admin", loginID, "", details)
	})
	if err != nil {
		s.log.Error("audit sign-in", "err", err)
	}
}

// Authenticate turns a bearer token into the administrator actor it belongs
// to. Expired tokens, disabled accounts and unknown tokens are all simply
// unauthorized.
func (s *Service) Authenticate(ctx context.Context, token, addr string) (*meibo.Actor, error) {
	unauthorized := meibo.Errorf(meibo.CodeUnauthorized, "token.invalid")
	if token == "" {
		return nil, unauthorized
	}
	hash := meibo.HashToken(token)
	var act *meibo.Actor
	var touch bool
	err := s.store.View(ctx, func(tx meibo.Tx) error {
		k, err := tx.APIToken(ctx, hash)
		if err != nil {
			return err
		}
		now := tx.Now()
		if !k.ExpiresAt.After(now) {
			return unauthorized
		}
		ad, err := tx.Admin(ctx, k.AdminID)
		if err != nil {
			return err
		}
		if ad.Disabled || (ad.Builtin && ad.LoginID == meibo.BuiltinBackup) {
			return unauthorized
		}
		if due, err := factorDue(ctx, tx, ad); err != nil {
			return err
		} else if due {
			return meibo.Forbidden("mfa.setup.required", ad.LoginID)
		}
		touch = k.LastUsedAt == nil || now.Sub(*k.LastUsedAt) > time.Minute
		act = &meibo.Actor{Kind: meibo.ActorAdmin, ID: ad.ID, Name: ad.LoginID, Addr: addr, Authorities: ad.Authorities, Groups: ad.Groups}
		act.Refused = s.refuser(act)
		return nil
	})
	if err != nil {
		if c := meibo.ErrorCode(err); c == meibo.CodeNotFound || c == meibo.CodeUnauthorized {
			return nil, unauthorized
		}
		return nil, err
	}
	if touch {
		if err := s.store.Update(ctx, func(tx meibo.Tx) error { return tx.TouchAPIToken(ctx, hash, tx.Now()) }); err != nil {
			s.log.Warn("record token use", "err", err)
		}
	}
	return act, nil
}

// Logout ends the token.
func (s *Service) Logout(ctx context.Context, token string) error {
	a, err := actor(ctx)
	if err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx meibo.Tx) error {
		if err := tx.DeleteAPIToken(ctx, meibo.HashToken(token)); err != nil {
			return err
		}
		return s.audit(ctx, tx, "admin.signout", meibo.CategorySignIn, "admin", a.Name, "", nil)
	})
}

// CreateToken issues a bearer token for an administrator (the command line's
// `meibo token create`). Only the system or a manager may do it.
func (s *Service) CreateToken(ctx context.Context, loginID, name string, ttl time.Duration) (string, *meibo.APIToken, error) {
	if _, err := requireManager(ctx); err != nil {
		return "", nil, err
	}
	if ttl <= 0 {
		ttl = 90 * 24 * time.Hour
	}
	secret, hash := meibo.NewToken("mbo_")
	var k *meibo.APIToken
	err := s.store.Update(ctx, func(tx meibo.Tx) error {
		ad, err := tx.AdminByLoginID(ctx, loginID)
		if err != nil {
			return err
		}
		// An account without a password may get a token (that is how a
		// script acts as it); a disabled one and AUTOBACKUPUSER may not.
		if ad.Disabled || (ad.Builtin && ad.LoginID == meibo.BuiltinBackup) {
			return meibo.Conflict("token.disabled", loginID)
		}
		if due, err := factorDue(ctx, tx, ad); err != nil {
			return err
		} else if due {
			// The token would be refused at its first use.
			return meibo.Conflict("mfa.setup.required", ad.LoginID)
		}
		if name == "" {
			name = "cli"
		}
		k = &meibo.APIToken{Hash: hash, AdminID: ad.ID, Name: name, ExpiresAt: tx.Now().Add(ttl)}
		if err := tx.CreateAPIToken(ctx, k); err != nil {
			return err
		}
		return s.audit(ctx, tx, "token.create", meibo.CategoryConfig, "admin", ad.LoginID, "", map[string]any{"name": name, "expiresAt": k.ExpiresAt})
	})
	if err != nil {
		return "", nil, err
	}
	return secret, k, nil
}
