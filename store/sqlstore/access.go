package sqlstore

import (
	"context"
	"time"

	"github.com/meibo/meibo"
)

// EndUsersAccess ends the portal sessions of the users of ids, revokes
// their usable password links and deletes their personal API tokens, a
// batch of users per statement.
func (t *Tx) EndUsersAccess(ctx context.Context, ids []int64, at time.Time) error {
	per := t.batchSize(1) - 2
	for start := 0; start < len(ids); start += per {
		batch := ids[start:min(start+per, len(ids))]
		args := make([]any, 0, len(batch)+1)
		args = append(args, meibo.SessionPortal)
		for _, id := range batch {
			args = append(args, id)
		}
		if _, err := t.exec(ctx, "end users' sessions", `DELETE FROM sessions WHERE kind = $1 AND user_id IN (`+inList(len(batch), 2)+`)`,
			args...); err != nil {
			return err
		}
		if _, err := t.exec(ctx, "delete users' personal tokens", `DELETE FROM api_tokens WHERE user_id IN (`+inList(len(batch), 1)+`)`,
			args[1:]...); err != nil {
			return err
		}
		args[0] = at.UTC()
		if _, err := t.exec(ctx, "revoke users' links", `UPDATE user_tokens SET revoked_at = $1
			WHERE user_id IN (`+inList(len(batch), 2)+`) AND used_at IS NULL AND revoked_at IS NULL`, args...); err != nil {
			return err
		}
	}
	return nil
}
