package sqlstore

import (
	"context"
	"fmt"
)

// weakHash is the condition on alias a that its password hash is salted SHA
// ({SSHA}, {SSHA256}, {SSHA512}, prefix in any case).
func weakHash(a string) string { return "upper(substr(" + a + ".password_hash, 1, 5)) = '{SSHA'" }

// WeakHashCount counts the users of a group with a weak legacy hash.
func (t *Tx) WeakHashCount(ctx context.Context, groupID string) (int, error) {
	var n int
	if err := t.queryRowContext(ctx, `SELECT COUNT(*) FROM users u WHERE u.group_id = $1 AND `+weakHash("u"), groupID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count weak password hashes: %w", err)
	}
	return n, nil
}
