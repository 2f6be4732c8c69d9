package sqlstore

import "context"

// FailUsersMails fails the pending messages to the users of ids with
// reason, a batch of users per statement (one pass over the pending
// messages each, rather than one per user).
func (t *Tx) FailUsersMails(ctx context.Context, ids []int64, reason string) error {
	per := min(t.d.MaxParams()-2, 1000)
	for start := 0; start < len(ids); start += per {
		batch := ids[start:min(start+per, len(ids))]
		args := make([]any, 0, len(batch))
		for _, id := range batch {
			args = append(args, id)
		}
		if err := t.failMails(ctx, "fail users' mail", "user_id IN ("+inList(len(batch), 3)+")", reason, args...); err != nil {
			return err
		}
	}
	return nil
}
