package sqlstore

import (
	"context"
	"fmt"

	"github.com/meibo/meibo"
)

// Settings reads the installation settings; unset ones keep their defaults.
func (t *Tx) Settings(ctx context.Context) (meibo.Settings, error) {
	s := meibo.DefaultSettings
	rows, err := t.queryContext(ctx, `SELECT key, value FROM settings`)
	if err != nil {
		return s, fmt.Errorf("read settings: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return s, fmt.Errorf("read settings: %w", err)
		}
		// A value that no longer validates (or a key from a newer version)
		// keeps the default rather than stopping every reader.
		_ = s.Set(k, v)
	}
	return s, rows.Err()
}

// PutSettings writes every setting.
func (t *Tx) PutSettings(ctx context.Context, s meibo.Settings) error {
	for k, v := range s.Map() {
		if _, err := t.exec(ctx, "write setting "+k, `INSERT INTO settings (key, value) VALUES ($1, $2)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, k, v); err != nil {
			return err
		}
	}
	return nil
}
