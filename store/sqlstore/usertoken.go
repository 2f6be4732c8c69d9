package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/meibo/meibo"
)

// CreateUserToken stores a single-use link by its hash.
func (t *Tx) CreateUserToken(ctx context.Context, k *meibo.UserToken) error {
	k.CreatedAt = t.now
	_, err := t.execContext(ctx, `INSERT INTO user_tokens (hash, user_id, purpose, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
		k.Hash, k.UserID, k.Purpose, k.CreatedAt, k.ExpiresAt.UTC())
	switch {
	case t.d.IsForeignKey(err):
		return meibo.NotFound("not_found")
	case t.d.IsUnique(err):
		return meibo.Conflict("conflict.token")
	case err != nil:
		return fmt.Errorf("create user token: %w", err)
	}
	return nil
}

// UserToken finds a token by hash.
func (t *Tx) UserToken(ctx context.Context, hash string) (*meibo.UserToken, error) {
	var k meibo.UserToken
	var used, revoked sql.Null[time.Time]
	err := t.queryRowContext(ctx, `SELECT hash, user_id, purpose, created_at, expires_at, used_at, revoked_at FROM user_tokens WHERE hash = $1`, hash).
		Scan(&k.Hash, &k.UserID, &k.Purpose, &k.CreatedAt, &k.ExpiresAt, &used, &revoked)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, meibo.NotFound("not_found")
	case err != nil:
		return nil, fmt.Errorf("read user token: %w", err)
	}
	k.CreatedAt, k.ExpiresAt = k.CreatedAt.UTC(), k.ExpiresAt.UTC()
	k.UsedAt, k.RevokedAt = nullTime(used), nullTime(revoked)
	return &k, nil
}

// UseUserToken marks a token used, once.
func (t *Tx) UseUserToken(ctx context.Context, hash string, at time.Time) (bool, error) {
	res, err := t.exec(ctx, "use user token", `UPDATE user_tokens SET used_at = $1 WHERE hash = $2 AND used_at IS NULL AND revoked_at IS NULL`, at.UTC(), hash)
	if err != nil {
		return false, err
	}
	return affected(res) == 1, nil
}

// RevokeUserTokens revokes every usable token of a user.
func (t *Tx) RevokeUserTokens(ctx context.Context, userID int64, at time.Time) error {
	_, err := t.exec(ctx, "revoke user tokens", `UPDATE user_tokens SET revoked_at = $1 WHERE user_id = $2 AND used_at IS NULL AND revoked_at IS NULL`, at.UTC(), userID)
	return err
}
