package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/meibo/meibo"
)

// Throttle reads the counter of key.
func (t *Tx) Throttle(ctx context.Context, key string) (meibo.Throttle, error) {
	th := meibo.Throttle{Key: key}
	var next sql.Null[time.Time]
	err := t.queryRowContext(ctx, `SELECT failures, blocked_until, updated_at FROM sign_in_throttle WHERE key = $1`, key).
		Scan(&th.Failures, &next, &th.UpdatedAt)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return th, nil
	case err != nil:
		return th, fmt.Errorf("read throttle: %w", err)
	}
	th.NextAt, th.UpdatedAt = nullTime(next), th.UpdatedAt.UTC()
	return th, nil
}

// PutThrottle writes the counter of key.
func (t *Tx) PutThrottle(ctx context.Context, th meibo.Throttle) error {
	_, err := t.exec(ctx, "write throttle", `INSERT INTO sign_in_throttle (key, failures, blocked_until, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, blocked_until = excluded.blocked_until, updated_at = excluded.updated_at`,
		th.Key, th.Failures, th.NextAt, t.now)
	return err
}

// DeleteThrottle forgets the counter of key.
func (t *Tx) DeleteThrottle(ctx context.Context, key string) error {
	_, err := t.exec(ctx, "delete throttle", `DELETE FROM sign_in_throttle WHERE key = $1`, key)
	return err
}
