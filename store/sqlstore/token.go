package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/meibo/meibo"
)

// CreateAPIToken stores an administrator's token (by hash).
func (t *Tx) CreateAPIToken(ctx context.Context, k *meibo.APIToken) error {
	k.CreatedAt = t.now
	_, err := t.execContext(ctx, `INSERT INTO api_tokens (hash, admin_id, name, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
		k.Hash, k.AdminID, k.Name, k.CreatedAt, k.ExpiresAt.UTC())
	switch {
	case t.d.IsUnique(err):
		return meibo.Conflict("token.invalid")
	case t.d.IsForeignKey(err):
		return meibo.NotFound("not_found")
	case err != nil:
		return fmt.Errorf("create token: %w", err)
	}
	return nil
}

// APIToken finds an administrator's token by hash.
func (t *Tx) APIToken(ctx context.Context, hash string) (*meibo.APIToken, error) {
	var k meibo.APIToken
	var last sql.Null[time.Time]
	err := t.queryRowContext(ctx, `SELECT hash, admin_id, name, created_at, expires_at, last_used_at FROM api_tokens WHERE hash = $1 AND admin_id IS NOT NULL`, hash).
		Scan(&k.Hash, &k.AdminID, &k.Name, &k.CreatedAt, &k.ExpiresAt, &last)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, meibo.NotFound("token.invalid")
	case err != nil:
		return nil, fmt.Errorf("read token: %w", err)
	}
	k.CreatedAt, k.ExpiresAt, k.LastUsedAt = k.CreatedAt.UTC(), k.ExpiresAt.UTC(), nullTime(last)
	return &k, nil
}

// TouchAPIToken records a token's use.
func (t *Tx) TouchAPIToken(ctx context.Context, hash string, at time.Time) error {
	_, err := t.exec(ctx, "touch token", `UPDATE api_tokens SET last_used_at = $1 WHERE hash = $2`, at, hash)
	return err
}

// DeleteAPIToken deletes a token.
func (t *Tx) DeleteAPIToken(ctx context.Context, hash string) error {
	_, err := t.exec(ctx, "delete token", `DELETE FROM api_tokens WHERE hash = $1`, hash)
	return err
}

// DeleteAdminAPITokens deletes every token of an administrator.
func (t *Tx) DeleteAdminAPITokens(ctx context.Context, adminID int64) error {
	_, err := t.exec(ctx, "delete tokens", `DELETE FROM api_tokens WHERE admin_id = $1`, adminID)
	return err
}
