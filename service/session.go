package service

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"time"

	"github.com/meibo/meibo"
)

// Browser sessions: the cookie holds a 256-bit secret whose hash is the
// session's key in the database, so that several servers share sessions. A
// session has a CSRF token for its forms, ends after SessionIdle without a
// request or SessionMax after sign-in (a console session: AdminSessionIdle,
// AdminSessionMax), and a new one is made at every sign-in.

// NewCSRF returns a random CSRF token.
func NewCSRF() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("service: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// SignIn signs an administrator in to the console: the same checks and
// throttle as Login, leading to a new session. It returns the cookie secret.
func (s *Service) SignIn(ctx context.Context, loginID, password, addr, userAgent string, lang meibo.Lang) (string, *meibo.Session, error) {
	secret, hash := meibo.NewToken("mbs_")
	var sess *meibo.Session
	_, err := s.signInAdmin(ctx, loginID, password, addr, "console", func(ctx context.Context, tx meibo.Tx, ad *meibo.Admin) error {
		if err := s.passwordAllowed(ctx, tx, ad); err != nil {
			return err
		}
		stage, err := firstStage(ctx, tx, ad, false)
		if err != nil {
			return err
		}
		id := ad.ID
		sess = &meibo.Session{Hash: hash, Kind: meibo.SessionConsole, AdminID: &id, CSRF: NewCSRF(), Lang: lang, Addr: addr,
			UserAgent: clip(userAgent, 256), ExpiresAt: tx.Now().Add(s.cfg.AdminSessionMax), Methods: meibo.MethodPassword, Stage: stage}
		return tx.CreateSession(ctx, sess)
	})
	s.countSignIn("console", err)
	if err != nil {
		return "", nil, err
	}
	return secret, sess, nil
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// sessionUnauthorized is the answer for a missing, ended or unknown session.
var sessionUnauthorized = meibo.Errorf(meibo.CodeUnauthorized, "session.ended")

func init() {
	meibo.RegisterMessages(map[string][2]string{
		"session.ended": {"Your session has ended; please sign in again.", "セッションが終了しました。もう一度サインインしてください。"},
	})
}

// sessionIdle is how long a session of kind lasts without a request.
func (s *Service) sessionIdle(kind string) time.Duration {
	if kind == meibo.SessionConsole {
		return s.cfg.AdminSessionIdle
	}
	return s.cfg.SessionIdle
}

// session finds a live session of kind by its cookie secret, touching it
// when it was last seen more than a minute (or a quarter of the idle limit)
// ago.
func (s *Service) session(ctx context.Context, secret, kind string) (*meibo.Session, error) {
	if secret == "" {
		return nil, sessionUnauthorized
	}
	hash := meibo.HashToken(secret)
	var sess *meibo.Session
	var touch bool
	err := s.store.View(ctx, func(tx meibo.Tx) error {
		var err error
		sess, err = tx.Session(ctx, hash)
		if err != nil {
			return err
		}
		now := tx.Now()
		if sess.Kind != kind || !now.Before(sess.ExpiresAt) || now.Sub(sess.LastSeenAt) > s.sessionIdle(kind) {
			return sessionUnauthorized
		}
		// Activity is written at most once a minute, and more often under
		// a short idle limit, so that the limit never ends a session in use.
		touch = now.Sub(sess.LastSeenAt) > min(time.Minute, s.sessionIdle(kind)/4)
		return nil
	})
	if err != nil {
		if c := meibo.ErrorCode(err); c == meibo.CodeNotFound || c == meibo.CodeUnauthorized {
			return nil, sessionUnauthorized
		}
		return nil, err
	}
	if touch {
		if err := s.store.Update(ctx, func(tx meibo.Tx) error { return tx.TouchSession(ctx, hash, tx.Now()) }); err != nil {
			s.log.Warn("record session activity", "err", err)
		}
	}
	return sess, nil
}

// ConsoleActor returns the administrator of a console session, with the
// session (for its CSRF token). A disabled administrator's session is over.
func (s *Service) ConsoleActor(ctx context.Context, secret, addr string) (*meibo.Actor, *meibo.Session, error) {
	sess, err := s.session(ctx, secret, meibo.SessionConsole)
	if err != nil {
		return nil, nil, err
	}
	if sess.Stage != meibo.StageComplete {
		// Half signed in: the session is returned with the refusal so that
		// the console can send the browser to the step that completes it.
		return nil, sess, meibo.Errorf(meibo.CodeUnauthorized, "mfa.stage")
	}
	var ad *meibo.Admin
	var due bool
	err = s.store.View(ctx, func(tx meibo.Tx) error {
		var err error
		if ad, err = tx.Admin(ctx, *sess.AdminID); err != nil {
			return err
		}
		due, err = factorDue(ctx, tx, ad)
		return err
	})
	if meibo.ErrorCode(err) == meibo.CodeNotFound {
		return nil, nil, sessionUnauthorized
	} else if err != nil {
		return nil, nil, err
	}
	// An administrator kept for single sign-on has no password: its
	// session from the identity provider is as good as one from a password.
	viaSSO := strings.HasPrefix(sess.Methods, meibo.MethodSSO+":")
	if !ad.CanSignIn() && !(viaSSO && !ad.Disabled && !ad.Builtin) {
		return nil, nil, sessionUnauthorized
	}
	// A provider's second factor, trusted (mfaAmr), meets the policy.
	if due && !(viaSSO && strings.HasSuffix(sess.Methods, "+mfa")) {
		// The policy came to cover the administrator after this session
		// signed in: it sets up a factor before anything else, as a new
		// sign-in would.
		if err := s.store.Update(ctx, func(tx meibo.Tx) error {
			return tx.SetSessionStage(ctx, sess.Hash, meibo.StageSetup, sess.Methods)
		}); err != nil {
			return nil, nil, err
		}
		sess.Stage = meibo.StageSetup
		return nil, sess, meibo.Errorf(meibo.CodeUnauthorized, "mfa.stage")
	}
	act := &meibo.Actor{Kind: meibo.ActorAdmin, ID: ad.ID, Name: ad.LoginID, Addr: addr, Authorities: ad.Authorities,
		Groups: ad.Groups, Session: sess.Hash, MustChangePassword: ad.MustChangePassword()}
	act.Refused = s.refuser(act)
	return act, sess, nil
}

// SignOut ends the session of secret on the server.
func (s *Service) SignOut(ctx context.Context, secret string) error {
	if secret == "" {
		return nil
	}
	hash := meibo.HashToken(secret)
	return s.store.Update(ctx, func(tx meibo.Tx) error {
		sess, err := tx.Session(ctx, hash)
		if meibo.ErrorCode(err) == meibo.CodeNotFound {
			return nil
		} else if err != nil {
			return err
		}
		if err := tx.DeleteSession(ctx, hash); err != nil {
			return err
		}
		if a := meibo.ActorFrom(ctx); a != nil {
			return s.audit(ctx, tx, "signout", meibo.CategorySignIn, sess.Kind, a.Name, a.GroupID, nil)
		}
		return nil
	})
}

// RunCleaner removes ended sessions and stale sign-in counters, and expires
// commands no device took in time, every few minutes until ctx ends.
func (s *Service) RunCleaner(ctx context.Context) {
	tick := time.NewTicker(5 * time.Minute)
	defer tick.Stop()
	for {
		err := s.store.Update(ctx, func(tx meibo.Tx) error {
			_, err := tx.DeleteExpired(ctx, tx.Now().Add(-max(s.cfg.SessionIdle, s.cfg.AdminSessionIdle)), tx.Now().Add(-2*throttleWindow))
			return err
		})
		if err != nil && ctx.Err() == nil {
			s.log.Warn("clean up sessions", "err", err)
		}
		if err := s.expireCommands(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("expire commands", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
