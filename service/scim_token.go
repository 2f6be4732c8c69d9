package service

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/meibo/meibo"
)

// SCIMTokenPrefix starts every SCIM token, so that secret scanners and
// people recognise one.
const SCIMTokenPrefix = "mbscim_"

// SCIMActorPrefix starts the actor name of changes made through a SCIM token:
// "scim:" and the token's name.
const SCIMActorPrefix = "scim:"

// DefaultSCIMTokenTTL is how long a SCIM token lives when no lifetime is
// given: identity providers keep one for a long time.
const DefaultSCIMTokenTTL = 365 * 24 * time.Hour

func init() {
	meibo.RegisterMessages(map[string][2]string{
		"scim.token.name": {"The token's name must be 1 to 64 characters.", "トークン名は 1〜64 文字にしてください。"},
		"scim.token.exists": {"The group already has a SCIM token named %s: give this one another name (the audit names changes after the token), or revoke that one first.",
			"このグループには SCIM トークン %s がすでにあります。監査ログは変更をトークン名で記録するため、別の名前にするか、先にそのトークンを失効させてください。"},
		"scim.token.ttl":       {"The token's lifetime must be between one hour and five years", "トークンの有効期間は 1 時間から 5 年の間にしてください"},
		"user.external.exists": {"Another user of the group has the external ID %s", "外部 ID %s はグループ内の別のユーザーが使用しています"},
	})
}

// CreateSCIMToken makes a token for group's SCIM endpoint, acting with the
// authorities and scope of the administrator who makes it (the system for
// the command line). The secret is returned once and only its hash kept.
func (s *Service) CreateSCIMToken(ctx context.Context, groupID, name string, ttl time.Duration) (string, *meibo.SCIMToken, error) {
	a, err := requireUsers(ctx)
	if err != nil {
		return "", nil, err
	}
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 64 {
		return "", nil, meibo.FieldError("name", "scim.token.name")
	}
	if ttl == 0 {
		ttl = DefaultSCIMTokenTTL
	}
	if ttl < time.Hour || ttl > 5*366*24*time.Hour {
		return "", nil, meibo.FieldError("ttl", "scim.token.ttl")
	}
	secret, hash := meibo.NewToken(SCIMTokenPrefix)
	var k *meibo.SCIMToken
	err = s.store.Update(ctx, func(tx meibo.Tx) error {
		g, err := s.group(ctx, tx, a, groupID)
		if err != nil {
			return err
		}
		// Names are unique in the group (without regard to case), so that
		// the audit's actor, scim:NAME, tells the tokens apart; the lock
		// keeps two makers of one name from both passing the check.
		if err := tx.Lock(ctx, "scim-tokens:"+g.ID); err != nil {
			return err
		}
		ks, err := tx.SCIMTokens(ctx, g.ID)
		if err != nil {
			return err
		}
		for _, o := range ks {
			if strings.EqualFold(o.Name, name) {
				return meibo.ConflictField("name", "scim.token.exists", o.Name)
			}
		}
		k = &meibo.SCIMToken{Hash: hash, GroupID: g.ID, Name: name, CreatedBy: a.Name, ExpiresAt: tx.Now().Add(ttl)}
		if a.Kind == meibo.ActorAdmin {
			k.AdminID = &a.ID
		}
		if err := tx.CreateSCIMToken(ctx, k); err != nil {
			return err
		}
		return s.audit(ctx, tx, "scim.token.create", meibo.CategoryConfig, "scim-token", idString(k.ID), g.ID,
			map[string]any{"name": name, "expiresAt": k.ExpiresAt})
	})
	if err != nil {
		return "", nil, err
	}
	return secret, k, nil
}

// SCIMTokens lists a group's SCIM tokens (never their secrets).
func (s *Service) SCIMTokens(ctx context.Context, groupID string) ([]*meibo.SCIMToken, error) {
	a, err := requireUsers(ctx)
	if err != nil {
		return nil, err
	}
	var out []*meibo.SCIMToken
	err = s.store.View(ctx, func(tx meibo.Tx) error {
		g, err := s.group(ctx, tx, a, groupID)
		if err != nil {
			return err
		}
		out, err = tx.SCIMTokens(ctx, g.ID)
		return err
	})
	return out, err
}

// RevokeSCIMToken deletes a token of group; the identity provider holding
// it is refused from then on.
func (s *Service) RevokeSCIMToken(ctx context.Context, groupID string, id int64) error {
	a, err := requireUsers(ctx)
	if err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx meibo.Tx) error {
		g, err := s.group(ctx, tx, a, groupID)
		if err != nil {
			return err
		}
		ks, err := tx.SCIMTokens(ctx, g.ID)
		if err != nil {
			return err
		}
		for _, k := range ks {
			if k.ID == id {
				if err := tx.DeleteSCIMToken(ctx, id); err != nil {
					return err
				}
				return s.audit(ctx, tx, "scim.token.revoke", meibo.CategoryConfig, "scim-token", idString(id), g.ID, map[string]any{"name": k.Name})
			}
		}
		return meibo.NotFound("not_found")
	})
}

// AuthenticateSCIM checks a SCIM token for group's endpoint (its ID in any
// case) and returns the actor it acts as: its maker's authorities and
// department scope as they are now, named after the token, with the
// group's ID as stored. A token of another group, an expired one, or
// one whose maker is disabled or gone is unauthorized.
func (s *Service) AuthenticateSCIM(ctx context.Context, groupID, secret, addr string) (*meibo.Actor, error) {
	unauthorized := meibo.Errorf(meibo.CodeUnauthorized, "token.invalid")
	if !strings.HasPrefix(secret, SCIMTokenPrefix) {
		return nil, unauthorized
	}
	var act *meibo.Actor
	var k *meibo.SCIMToken
	err := s.store.View(ctx, func(tx meibo.Tx) error {
		var err error
		if k, err = tx.SCIMToken(ctx, meibo.HashToken(secret)); err != nil {
			return err
		}
		if !strings.EqualFold(k.GroupID, groupID) || !k.ExpiresAt.After(tx.Now()) {
			return unauthorized
		}
		name := SCIMActorPrefix + k.Name
		if k.AdminID == nil {
			act = &meibo.Actor{Kind: meibo.ActorSystem, Name: name, Addr: addr, Authorities: meibo.EveryAuthority, GroupID: k.GroupID,
				SCIMToken: k.ID}
			return nil
		}
		ad, err := tx.Admin(ctx, *k.AdminID)
		if err != nil {
			return err
		}
		if ad.Disabled {
			return unauthorized
		}
		act = &meibo.Actor{Kind: meibo.ActorAdmin, ID: ad.ID, Name: name, Addr: addr, Authorities: ad.Authorities, Groups: ad.Groups,
			GroupID: k.GroupID, SCIMToken: k.ID}
		act.Refused = s.refuser(act)
		return nil
	})
	if err != nil {
		if c := meibo.ErrorCode(err); c == meibo.CodeNotFound || c == meibo.CodeUnauthorized {
			return nil, unauthorized
		}
		return nil, err
	}
	if k.LastUsedAt == nil || s.now().Sub(*k.LastUsedAt) > time.Minute {
		if err := s.store.Update(ctx, func(tx meibo.Tx) error { return tx.TouchSCIMToken(ctx, k.ID, tx.Now()) }); err != nil {
			s.log.Warn("record SCIM token use", "err", err)
		}
	}
	return act, nil
}
