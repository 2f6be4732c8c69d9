package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/meibo/meibo"
)

// AddBackupLog records an entry; a slot already claimed writes nothing.
func (t *Tx) AddBackupLog(ctx context.Context, e *meibo.BackupLogEntry) (bool, error) {
	if e.StartedAt.IsZero() {
		e.StartedAt = t.now
	}
	var slot any
	if e.Slot != "" {
		slot = e.Slot
	}
	err := t.queryRowContext(ctx, `INSERT INTO backup_log (kind, via, slot, actor, started_at, finished_at, file, size, tables, rows, outcome, error)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT DO NOTHING RETURNING id`,
		e.Kind, e.Via, slot, e.Actor, e.StartedAt.UTC(), utcPtr(e.FinishedAt), e.File, e.Size, e.Tables, e.Rows, e.Outcome, e.Error).Scan(&e.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("record backup log: %w", err)
	}
	return true, nil
}

func utcPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC()
}

// FinishBackupLog records an entry's end.
func (t *Tx) FinishBackupLog(ctx context.Context, e *meibo.BackupLogEntry) error {
	_, err := t.exec(ctx, "finish backup log", `UPDATE backup_log SET finished_at = $1, file = $2, size = $3, tables = $4, rows = $5, outcome = $6, error = $7 WHERE id = $8`,
		utcPtr(e.FinishedAt), e.File, e.Size, e.Tables, e.Rows, e.Outcome, e.Error, e.ID)
	return err
}

// BackupLog lists entries newest first.
func (t *Tx) BackupLog(ctx context.Context, limit int) ([]*meibo.BackupLogEntry, error) {
	rows, err := t.queryContext(ctx, `SELECT id, kind, via, COALESCE(slot, ''), actor, started_at, finished_at, file, size, tables, rows, outcome, error
		FROM backup_log ORDER BY started_at DESC, id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("read backup log: %w", err)
	}
	defer rows.Close()
	out := []*meibo.BackupLogEntry{}
	for rows.Next() {
		e := &meibo.BackupLogEntry{}
		var fin sql.Null[time.Time]
		if err := rows.Scan(&e.ID, &e.Kind, &e.Via, &e.Slot, &e.Actor, &e.StartedAt, &fin, &e.File, &e.Size, &e.Tables, &e.Rows, &e.Outcome, &e.Error); err != nil {
			return nil, fmt.Errorf("read backup log: %w", err)
		}
		e.StartedAt = e.StartedAt.UTC()
		e.FinishedAt = nullTime(fin)
		out = append(out, e)
	}
	return out, rows.Err()
}

// backupSettingsKey holds the automatic backups' settings, as JSON, in the
// settings table.
const backupSettingsKey = "backup"

// BackupSettings reads the automatic backups' settings.
func (t *Tx) BackupSettings(ctx context.Context) (meibo.BackupSettings, error) {
	var s meibo.BackupSettings
	var v string
	err := t.queryRowContext(ctx, `SELECT value FROM settings WHERE key = $1`, backupSettingsKey).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("read backup settings: %w", err)
	}
	if err := json.Unmarshal([]byte(v), &s); err != nil {
		return s, fmt.Errorf("read backup settings: %w", err)
	}
	return s, nil
}

// PutBackupSettings writes the automatic backups' settings.
func (t *Tx) PutBackupSettings(ctx context.Context, s meibo.BackupSettings) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	_, err = t.exec(ctx, "write backup settings", `INSERT INTO settings (key, value) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, backupSettingsKey, string(b))
	return err
}

// InstallationID returns this database's own identity, made (16 random hex
// digits) the first time it is asked for. Backups leave it out.
func (t *Tx) InstallationID(ctx context.Context) (string, error) {
	var id string
	err := t.queryRowContext(ctx, `SELECT id FROM installation`).Scan(&id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("read installation: %w", err)
	}
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("make installation id: %w", err)
	}
	if _, err := t.exec(ctx, "write installation", `INSERT INTO installation (one, id) VALUES (1, $1) ON CONFLICT (one) DO NOTHING`,
		hex.EncodeToString(b)); err != nil {
		return "", err
	}
	if err := t.queryRowContext(ctx, `SELECT id FROM installation`).Scan(&id); err != nil {
		return "", fmt.Errorf("read installation: %w", err)
	}
	return id, nil
}
