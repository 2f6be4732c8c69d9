package service

import (
	"context"

	"github.com/meibo/meibo"
)

// QueryUsers returns a page of the users of q's group that q selects, with
// their identities, and, with total, how many it selects in all: one read,
// through the indexes q's conditions name (meibo.UserQuery). A negative
// q.Limit reads no page: the total alone.
func (s *Service) QueryUsers(ctx context.Context, q meibo.UserQuery, total bool) ([]*ProvisionedUser, int, error) {
	a, err := requireUsers(ctx)
	if err != nil {
		return nil, 0, err
	}
	var out []*ProvisionedUser
	n := 0
	err = s.store.View(ctx, func(tx meibo.Tx) error {
		g, err := s.group(ctx, tx, a, q.GroupID)
		if err != nil {
			return err
		}
		q.GroupID = g.ID
		if total {
			if n, err = tx.CountQueryUsers(ctx, q); err != nil {
				return err
			}
		}
		if q.Limit < 0 {
			return nil
		}
		if total && q.Limit > 0 && q.AfterName == "" && q.Offset > n/2 {
			// Past the middle: the same page counted from the end, in
			// the same snapshot as the count.
			if q.Offset >= n {
				return nil
			}
			q.Offset, q.Limit, q.FromEnd = max(n-q.Offset-q.Limit, 0), min(q.Limit, n-q.Offset), true
		}
		users, err := tx.QueryUsers(ctx, q)
		if err != nil {
			return err
		}
		ids := make([]int64, len(users))
		for i, u := range users {
			ids[i] = u.ID
		}
		idents, err := tx.UserIdentities(ctx, ids)
		if err != nil {
			return err
		}
		out = make([]*ProvisionedUser, len(users))
		for i, u := range users {
			out[i] = &ProvisionedUser{User: u, Identity: idents[u.ID]}
		}
		return nil
	})
	return out, n, err
}
