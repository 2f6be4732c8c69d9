package service

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/meibo/meibo"
)

// PersonalTokenPrefix starts every personal API token.
const PersonalTokenPrefix = "mbu_"

// MaxPersonalTokenTTL bounds a personal token's lifetime; DefaultPersonalTokenTTL
// is used when none is asked for.
const (
	MaxPersonalTokenTTL     = 366 * 24 * time.Hour
	DefaultPersonalTokenTTL = 90 * 24 * time.Hour
)

func init() {
	meibo.RegisterMessages(map[string][2]string{
		"personal.token.denied": {"Your account does not have API access", "このアカウントには API アクセスが許可されていません"},
		"personal.token.ttl":    {"The token's lifetime must be between one hour and one year", "トークンの有効期間は 1 時間から 1 年の間にしてください"},
	})
}

// mayHoldTokens checks, in tx, that the portal user may hold personal API
// tokens: enabled, with API access, in a profile that allows it.
func mayHoldTokens(ctx context.Context, tx meibo.Tx, userID int64) (*meibo.User, error) {
	u, err := tx.User(ctx, userID)
	if err != nil {
		return nil, err
	}
	if u.Disabled || !u.APIAccess {
		return nil, meibo.Forbidden("personal.token.denied")
	}
	p, err := tx.Profile(ctx, u.ProfileID)
	if err != nil {
		return nil, err
	}
	if !p.APIAccess {
		return nil, meibo.Forbidden("personal.token.denied")
	}
	return u, nil
}

// CreatePersonalToken makes a personal API token for the portal user, who
// must have API access. The secret is returned once; only its hash is kept.
func (s *Service) CreatePersonalToken(ctx context.Context, name string, ttl time.Duration) (string, *meibo.PersonalToken, error) {
	a, err := portalUser(ctx)
	if err != nil {
		return "", nil, err
	}
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 64 {
		return "", nil, meibo.FieldError("name", "scim.token.name")
	}
	if ttl == 0 {
		ttl = DefaultPersonalTokenTTL
	}
	if ttl < time.Hour || ttl > MaxPersonalTokenTTL {
		return "", nil, meibo.FieldError("ttl", "personal.token.ttl")
	}
	secret, hash := meibo.NewToken(PersonalTokenPrefix)
	var k *meibo.PersonalToken
	err = s.store.Update(ctx, func(tx meibo.Tx) error {
		u, err := mayHoldTokens(ctx, tx, a.ID)
		if err != nil {
			return err
		}
		k = &meibo.PersonalToken{Hash: hash, UserID: u.ID, Name: name, ExpiresAt: tx.Now().Add(ttl)}
		if err := tx.CreatePersonalToken(ctx, k); err != nil {
			return err
		}
		return s.audit(ctx, tx, "user.token.create", meibo.CategoryUser, "user", u.Name, u.GroupID,
			map[string]any{"token": k.ID, "name": name, "expiresAt": k.ExpiresAt})
	})
	if err != nil {
		return "", nil, err
	}
	return secret, k, nil
}

// PersonalTokens lists the portal user's tokens, and whether they may make
// one.
func (s *Service) PersonalTokens(ctx context.Context) ([]*meibo.PersonalToken, bool, error) {
	a, err := portalUser(ctx)
	if err != nil {
		return nil, false, err
	}
	var out []*meibo.PersonalToken
	allowed := false
	err = s.store.View(ctx, func(tx meibo.Tx) error {
		_, err := mayHoldTokens(ctx, tx, a.ID)
		switch {
		case err == nil:
			allowed = true
		case meibo.ErrorCode(err) != meibo.CodeForbidden:
			return err
		}
		out, err = tx.PersonalTokens(ctx, a.ID)
		return err
	})
	return out, allowed, err
}

// RevokePersonalToken deletes one of the portal user's tokens.
func (s *Service) RevokePersonalToken(ctx context.Context, id string) error {
	a, err := portalUser(ctx)
	if err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx meibo.Tx) error {
		ok, err := tx.DeletePersonalToken(ctx, a.ID, id)
		if err != nil {
			return err
		}
		if !ok {
			return meibo.NotFound("not_found")
		}
		return s.audit(ctx, tx, "user.token.revoke", meibo.CategoryUser, "user", a.Name, a.GroupID, map[string]any{"token": id})
	})
}

// AuthenticatePersonal checks a personal API token and returns the portal
// actor it acts as. A token whose owner is disabled, has lost API access or
// is in a profile without it is ended there and then.
func (s *Service) AuthenticatePersonal(ctx context.Context, secret, addr string) (*meibo.Actor, error) {
	unauthorized := meibo.Errorf(meibo.CodeUnauthorized, "token.invalid")
	if !strings.HasPrefix(secret, PersonalTokenPrefix) {
		return nil, unauthorized
	}
	hash := meibo.HashToken(secret)
	var act *meibo.Actor
	var k *meibo.PersonalToken
	var end bool
	err := s.store.View(ctx, func(tx meibo.Tx) error {
		var err error
		if k, err = tx.PersonalToken(ctx, hash); err != nil {
			return err
		}
		if !k.ExpiresAt.After(tx.Now()) {
			return unauthorized
		}
		u, err := mayHoldTokens(ctx, tx, k.UserID)
		if meibo.ErrorCode(err) == meibo.CodeForbidden {
			end = true
			return unauthorized
		} else if err != nil {
			return err
		}
		act = &meibo.Actor{Kind: meibo.ActorUser, ID: u.ID, Name: u.Name, GroupID: u.GroupID, GroupAdmin: u.Admin, Addr: addr}
		act.Refused = s.refuser(act)
		return nil
	})
	if end {
		if err := s.store.Update(ctx, func(tx meibo.Tx) error {
			_, err := tx.DeletePersonalTokensOf(ctx, []int64{k.UserID})
			return err
		}); err != nil {
			s.log.Warn("end personal tokens", "err", err)
		}
	}
	if err != nil {
		if c := meibo.ErrorCode(err); c == meibo.CodeNotFound || c == meibo.CodeUnauthorized {
			return nil, unauthorized
		}
		return nil, err
	}
	if k.LastUsedAt == nil || s.now().Sub(*k.LastUsedAt) > time.Minute {
		if err := s.store.Update(ctx, func(tx meibo.Tx) error { return tx.TouchPersonalToken(ctx, hash, tx.Now()) }); err != nil {
			s.log.Warn("record personal token use", "err", err)
		}
	}
	return act, nil
}
