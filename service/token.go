package service

import (
	"context"
	"strings"

	"github.com/meibo/meibo"
)

// tokenRefLen is how much of a token's hash names it in lists.
const tokenRefLen = 12

func init() {
	meibo.RegisterMessages(map[string][2]string{
		"token.not_found": {"%s has no API token %q; meibo token list --admin %[1]s shows them.", "%[1]s には API トークン「%[2]s」がありません。meibo token list --admin %[1]s で確認できます。"},
	})
}

// APITokens lists an administrator's API tokens (never their secrets), each
// named by Ref. Only the system or a manager may.
func (s *Service) APITokens(ctx context.Context, loginID string) ([]*meibo.APIToken, error) {
	if _, err := requireManager(ctx); err != nil {
		return nil, err
	}
	var out []*meibo.APIToken
	err := s.store.View(ctx, func(tx meibo.Tx) error {
		ad, err := tx.AdminByLoginID(ctx, loginID)
		if err != nil {
			return err
		}
		out, err = tx.APITokens(ctx, ad.ID)
		return err
	})
	for _, k := range out {
		k.Ref = k.Hash[:min(tokenRefLen, len(k.Hash))]
	}
	return out, err
}

// RevokeAPIToken deletes the token of an administrator named by ref (as
// APITokens gives it).
func (s *Service) RevokeAPIToken(ctx context.Context, loginID, ref string) error {
	if _, err := requireManager(ctx); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx meibo.Tx) error {
		ad, err := tx.AdminByLoginID(ctx, loginID)
		if err != nil {
			return err
		}
		ks, err := tx.APITokens(ctx, ad.ID)
		if err != nil {
			return err
		}
		for _, k := range ks {
			if len(ref) >= 8 && strings.HasPrefix(k.Hash, ref) {
				if err := tx.DeleteAPIToken(ctx, k.Hash); err != nil {
					return err
				}
				return s.audit(ctx, tx, "token.revoke", meibo.CategoryConfig, "admin", ad.LoginID, "", map[string]any{"name": k.Name})
			}
		}
		return meibo.NotFound("token.not_found", loginID, ref)
	})
}
