package service

import (
	"context"
	"sort"

	"github.com/meibo/meibo"
)

// Settings returns the installation settings to any console administrator.
func (s *Service) Settings(ctx context.Context) (meibo.Settings, error) {
	var st meibo.Settings
	if _, err := require(ctx); err != nil {
		return st, err
	}
	err := s.store.View(ctx, func(tx meibo.Tx) error {
		var err error
		st, err = tx.Settings(ctx)
		return err
	})
	return st, err
}

// UpdateSettings changes settings by key; only managers may.
func (s *Service) UpdateSettings(ctx context.Context, values map[string]string) (meibo.Settings, error) {
	var st meibo.Settings
	if _, err := requireManager(ctx); err != nil {
		return st, err
	}
	err := s.store.Update(ctx, func(tx meibo.Tx) error {
		var err error
		if st, err = tx.Settings(ctx); err != nil {
			return err
		}
		before := st.Map()
		keys := make([]string, 0, len(values))
		for k := range values {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var v meibo.Validation
		for _, k := range keys {
			if err := v.AddError(k, st.Set(k, values[k])); err != nil {
				return err
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		if err := tx.PutSettings(ctx, st); err != nil {
			return err
		}
		return s.audit(ctx, tx, "settings.update", meibo.CategoryConfig, "settings", "", "", map[string]any{"before": before, "after": st.Map()})
	})
	return st, err
}
