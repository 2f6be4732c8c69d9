package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/meibo/meibo"
)

// APITokens lists an administrator's tokens, newest first.
func (t *Tx) APITokens(ctx context.Context, adminID int64) ([]*meibo.APIToken, error) {
	rows, err := t.queryContext(ctx, `SELECT hash, admin_id, name, created_at, expires_at, last_used_at FROM api_tokens
		WHERE admin_id = $1 ORDER BY created_at DESC, hash`, adminID)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	var out []*meibo.APIToken
	for rows.Next() {
		var k meibo.APIToken
		var last sql.Null[time.Time]
		if err := rows.Scan(&k.Hash, &k.AdminID, &k.Name, &k.CreatedAt, &k.ExpiresAt, &last); err != nil {
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		k.CreatedAt, k.ExpiresAt, k.LastUsedAt = k.CreatedAt.UTC(), k.ExpiresAt.UTC(), nullTime(last)
		out = append(out, &k)
	}
	return out, rows.Err()
}
