package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

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

// Throttles lists the counters whose key starts with prefix, most recently
// changed first.
func (t *Tx) Throttles(ctx context.Context, prefix string, limit int) ([]meibo.Throttle, error) {
	rows, err := t.queryContext(ctx, `SELECT key, failures, blocked_until, updated_at FROM sign_in_throttle
		WHERE substr(key, 1, $1) = $2 ORDER BY updated_at DESC, key LIMIT $3`, utf8.RuneCountInString(prefix), prefix, limit)
	if err != nil {
		return nil, fmt.Errorf("list throttles: %w", err)
	}
	defer rows.Close()
	var out []meibo.Throttle
	for rows.Next() {
		var th meibo.Throttle
		var next sql.Null[time.Time]
		if err := rows.Scan(&th.Key, &th.Failures, &next, &th.UpdatedAt); err != nil {
			return nil, fmt.Errorf("list throttles: %w", err)
		}
		th.NextAt, th.UpdatedAt = nullTime(next), th.UpdatedAt.UTC()
		out = append(out, th)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list throttles: %w", err)
	}
	return out, nil
}
