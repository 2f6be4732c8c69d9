package service

import (
	"context"

	"github.com/meibo/meibo"
)

// checkLicence refuses a change that adds the users with keys added and
// removes those with keys removed when it would take the unified user count
// past the licence limit. A change that does not raise the count passes even
// when the count is already over the limit (after the limit was lowered).
// Callers hold the "users" lock.
func (s *Service) checkLicence(ctx context.Context, tx meibo.Tx, added, removed []meibo.UnifiedKey) error {
	settings, err := tx.Settings(ctx)
	if err != nil {
		return err
	}
	if settings.LicenceLimit <= 0 {
		return nil
	}
	delta := map[meibo.UnifiedKey]int{}
	for _, k := range added {
		delta[k]++
	}
	for _, k := range removed {
		delta[k]--
	}
	keys := make([]meibo.UnifiedKey, 0, len(delta))
	for k, d := range delta {
		if d != 0 {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	members, err := tx.UnifiedMembers(ctx, keys)
	if err != nil {
		return err
	}
	change := 0
	for _, k := range keys {
		before, after := members[k], members[k]+delta[k]
		switch {
		case before == 0 && after > 0:
			change++
		case before > 0 && after <= 0:
			change--
		}
	}
	if change <= 0 {
		return nil
	}
	count, err := tx.UnifiedCount(ctx)
	if err != nil {
		return err
	}
	if count+change > settings.LicenceLimit {
		return meibo.Errorf(meibo.CodeLicenceExceeded, "licence.exceeded", count+change, settings.LicenceLimit)
	}
	return nil
}

// Licence is the licence count against the limit.
type Licence struct {
	Used  int `json:"used"`
	Limit int `json:"limit"` // 0: no limit
}

// Licence returns the number of unified users and the limit. It needs group
// settings authority (35) or the authority to manage administrators.
func (s *Service) Licence(ctx context.Context) (*Licence, error) {
	if err := requireLicenceView(ctx); err != nil {
		return nil, err
	}
	var l Licence
	err := s.store.View(ctx, func(tx meibo.Tx) error {
		st, err := tx.Settings(ctx)
		if err != nil {
			return err
		}
		l.Limit = st.LicenceLimit
		l.Used, err = tx.UnifiedCount(ctx)
		return err
	})
	return &l, err
}

func requireLicenceView(ctx context.Context) error {
	a, err := actor(ctx)
	if err != nil {
		return err
	}
	if a.Kind == meibo.ActorSystem || (a.Kind == meibo.ActorAdmin && a.Authorities.ManagesAdmins()) {
		return nil
	}
	_, err = require(ctx, meibo.AuthConsole, meibo.AuthGroupSettings)
	return err
}

// UnifiedUsers lists unified users in name order after the given key. The
// list spans every group, so a department administrator, who sees the
// count, is refused it.
func (s *Service) UnifiedUsers(ctx context.Context, after meibo.UnifiedKey, limit int) ([]meibo.UnifiedUser, error) {
	if err := requireLicenceView(ctx); err != nil {
		return nil, err
	}
	if a, _ := actor(ctx); a.Department() {
		return nil, meibo.Forbidden("licence.list.department")
	}
	var out []meibo.UnifiedUser
	err := s.store.View(ctx, func(tx meibo.Tx) error {
		var err error
		out, err = tx.UnifiedUsers(ctx, after, limit)
		return err
	})
	return out, err
}
