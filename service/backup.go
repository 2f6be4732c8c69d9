package service

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/meibo/meibo"
)

// Backuper writes and restores backup files of the store the service runs
// on (the backup package, wired by the binary).
type Backuper interface {
	// Backup writes a backup; logID is its backup log entry, recorded in
	// the file.
	Backup(ctx context.Context, w io.Writer, logID int64) (*meibo.BackupInfo, error)
	// Restore replaces (with replace) or fills the store from r in one
	// transaction; after runs in it, once everything is checked.
	Restore(ctx context.Context, r io.Reader, replace bool, after func(context.Context, meibo.Tx, *meibo.BackupInfo) error) (*meibo.BackupInfo, error)
}

func init() {
	meibo.RegisterMessages(map[string][2]string{
		"backup.unavailable":     {"Backups are not available in this process.", "このプロセスではバックアップを利用できません。"},
		"backup.replace.confirm": {"A restore replaces the whole installation and signs everyone out: confirm it with ?replace=true.", "リストアはインストール全体を置き換え、全員をサインアウトさせます。?replace=true で確認してください。"},
		"backup.dir":             {"Give the folder as an absolute path on the server.", "フォルダーはサーバー上の絶対パスで指定してください。"},
		"backup.keep":            {"Keep from 1 to 1000 files.", "保持するファイル数は 1〜1000 で指定してください。"},
		"backup.schedule":        {"The schedule must be \"daily HH:MM\" or \"every N h\" (N from 1 to 168), not %q.", "スケジュールは「daily HH:MM」または「every N h」(N は 1〜168) で指定してください: %q"},
	})
}

// Backup writes a backup of the installation to w, for holders of
// authority 7. file names it in the backup log and the audit trail.
func (s *Service) Backup(ctx context.Context, w io.Writer, file string) (*meibo.BackupInfo, error) {
	a, err := require(ctx, meibo.AuthBackup)
	if err != nil {
		return nil, err
	}
	e := &meibo.BackupLogEntry{Kind: "backup", Via: "manual", Actor: a.Name, File: file}
	return s.backup(ctx, e, w)
}

// backup runs one logged and audited backup; e.ID is set when the entry was
// already recorded (a claimed slot).
func (s *Service) backup(ctx context.Context, e *meibo.BackupLogEntry, w io.Writer) (*meibo.BackupInfo, error) {
	if s.cfg.Backuper == nil {
		return nil, meibo.Errorf(meibo.CodeConflict, "backup.unavailable")
	}
	if e.ID == 0 {
		e.Outcome = "running"
		if err := s.store.Update(ctx, func(tx meibo.Tx) error {
			_, err := tx.AddBackupLog(ctx, e)
			return err
		}); err != nil {
			return nil, err
		}
	}
	info, err := s.cfg.Backuper.Backup(ctx, w, e.ID)
	fin := s.now()
	e.FinishedAt = &fin
	e.Outcome = "ok"
	if info != nil {
		e.Size, e.Tables, e.Rows = info.Size, len(info.Tables), info.Rows
	}
	if err != nil {
		e.Outcome, e.Error = "failed", err.Error()
	}
	if lerr := s.store.Update(context.WithoutCancel(ctx), func(tx meibo.Tx) error {
		if err := tx.FinishBackupLog(ctx, e); err != nil {
			return err
		}
		return s.audit(ctx, tx, "backup.create", meibo.CategoryBackup, "backup", e.File, "", backupDetails(e))
	}); lerr != nil && err == nil {
		err = lerr
	}
	if err != nil {
		return nil, err
	}
	return info, nil
}

func backupDetails(e *meibo.BackupLogEntry) map[string]any {
	d := map[string]any{"via": e.Via, "size": e.Size, "tables": e.Tables, "rows": e.Rows, "outcome": e.Outcome}
	if e.Error != "" {
		d["error"] = e.Error
	}
	return d
}

// Restore replaces the installation with a backup file, for holders of
// authority 7. Everyone is signed out. The restore's own log entry and audit
// event are written in its transaction, after the restored data, so they
// survive it; a refused restore is logged and audited on its own, unless
// it was into a new database, which it leaves empty.
func (s *Service) Restore(ctx context.Context, r io.Reader, file string, replace bool) (*meibo.BackupInfo, error) {
	a, err := require(ctx, meibo.AuthBackup)
	if err != nil {
		return nil, err
	}
	if s.cfg.Backuper == nil {
		return nil, meibo.Errorf(meibo.CodeConflict, "backup.unavailable")
	}
	e := &meibo.BackupLogEntry{Kind: "restore", Via: "manual", Actor: a.Name, File: file, StartedAt: s.now()}
	in := &sizeReader{r: r}
	info, err := s.cfg.Backuper.Restore(ctx, in, replace, func(ctx context.Context, tx meibo.Tx, info *meibo.BackupInfo) error {
		fin := tx.Now()
		e.FinishedAt, e.Outcome = &fin, "ok"
		e.Size, e.Tables, e.Rows = info.Size, len(info.Tables), info.Rows
		if err := settleBackupLog(ctx, tx, info); err != nil {
			return err
		}
		if err := s.settleRestoredImports(ctx, tx); err != nil {
			return err
		}
		if _, err := tx.AddBackupLog(ctx, e); err != nil {
			return err
		}
		d := backupDetails(e)
		d["schema"], d["meibo"], d["engine"], d["createdAt"] = info.Schema, info.Meibo, info.Engine, info.CreatedAt
		return s.audit(ctx, tx, "backup.restore", meibo.CategoryBackup, "backup", file, "", d)
	})
	if err != nil {
		if !replace && meibo.AsError(err).Msg.Key != "backup.not_empty" {
			// Into a new database: the refusal is not written there, so
			// that it stays empty and the next try may restore into it.
			return nil, err
		}
		// The refused file's size is logged, to tell which file it was:
		// what the restore did not read is counted, not kept.
		if ctx.Err() == nil {
			_, _ = io.Copy(io.Discard, in)
		}
		fin := s.now()
		e.ID, e.FinishedAt, e.Outcome, e.Error, e.Size, e.Tables, e.Rows = 0, &fin, "failed", err.Error(), in.n, 0, 0
		if lerr := s.store.Update(context.WithoutCancel(ctx), func(tx meibo.Tx) error {
			if _, err := tx.AddBackupLog(ctx, e); err != nil {
				return err
			}
			return s.audit(ctx, tx, "backup.restore", meibo.CategoryBackup, "backup", file, "", backupDetails(e))
		}); lerr != nil {
			s.log.Error("record a refused restore", "err", lerr)
		}
		return nil, err
	}
	s.nudgeIndex()
	return info, nil
}

// settleBackupLog records, in restored data, how the backups that were
// running when the file's snapshot was taken ended: the one that wrote the
// file succeeded; of the others this installation's history knows nothing
// more.
func settleBackupLog(ctx context.Context, tx meibo.Tx, info *meibo.BackupInfo) error {
	log, err := tx.BackupLog(ctx, 1000)
	if err != nil {
		return err
	}
	for _, l := range log {
		if l.Outcome != "running" {
			continue
		}
		if l.ID == info.LogID {
			fin := info.CreatedAt
			l.FinishedAt, l.Outcome, l.Size, l.Tables, l.Rows = &fin, "ok", info.Size, len(info.Tables), info.Rows
		} else {
			fin := tx.Now()
			l.FinishedAt, l.Outcome, l.Error = &fin, "failed", "interrupted: the installation was restored from a backup taken while it ran"
		}
		if err := tx.FinishBackupLog(ctx, l); err != nil {
			return err
		}
	}
	return nil
}

// BackupLog lists the latest backups and restores, for Log Viewer holders
// with authority 25.
func (s *Service) BackupLog(ctx context.Context, limit int) ([]*meibo.BackupLogEntry, error) {
	if _, err := require(ctx, meibo.AuthLogViewer, meibo.AuthLogBackup); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	var out []*meibo.BackupLogEntry
	err := s.store.View(ctx, func(tx meibo.Tx) error {
		var err error
		out, err = tx.BackupLog(ctx, limit)
		return err
	})
	return out, err
}

// BackupSchedule is when automatic backups run: every day at a time of the
// configured zone, or every so many hours (counted from midnight UTC).
type BackupSchedule struct {
	Daily time.Duration // time of day (with Every zero)
	Every time.Duration // interval, or zero
}

// ParseBackupSchedule reads "daily HH:MM" or "every N h" ("every 6h").
func ParseBackupSchedule(s string) (BackupSchedule, error) {
	f := strings.Fields(strings.ToLower(s))
	bad := meibo.FieldError("schedule", "backup.schedule", s)
	switch {
	case len(f) == 2 && f[0] == "daily":
		t, err := time.Parse("15:04", f[1])
		if err != nil {
			return BackupSchedule{}, bad
		}
		return BackupSchedule{Daily: time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute}, nil
	case (len(f) == 2 || len(f) == 3) && f[0] == "every":
		n, err := strconv.Atoi(strings.TrimSuffix(f[1], "h"))
		if err != nil || n < 1 || n > 168 || (len(f) == 3 && f[2] != "h") || (len(f) == 2 && !strings.HasSuffix(f[1], "h")) {
			return BackupSchedule{}, bad
		}
		return BackupSchedule{Every: time.Duration(n) * time.Hour}, nil
	}
	return BackupSchedule{}, bad
}

// Last returns the latest scheduled time at or before now.
func (b BackupSchedule) Last(now time.Time, loc *time.Location) time.Time {
	if b.Every > 0 {
		return now.UTC().Truncate(b.Every)
	}
	n := now.In(loc)
	day := time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, loc)
	t := day.Add(b.Daily)
	if t.After(n) {
		t = day.AddDate(0, 0, -1).Add(b.Daily)
	}
	return t
}

// BackupSettings returns the automatic backups' settings, for holders of
// authority 7.
func (s *Service) BackupSettings(ctx context.Context) (meibo.BackupSettings, error) {
	var st meibo.BackupSettings
	if _, err := require(ctx, meibo.AuthBackup); err != nil {
		return st, err
	}
	err := s.store.View(ctx, func(tx meibo.Tx) error {
		var err error
		st, err = tx.BackupSettings(ctx)
		return err
	})
	return st, err
}

// UpdateBackupSettings changes the automatic backups, for holders of
// authority 7. A blank schedule turns them off.
func (s *Service) UpdateBackupSettings(ctx context.Context, in meibo.BackupSettings) (meibo.BackupSettings, error) {
	if _, err := require(ctx, meibo.AuthBackup); err != nil {
		return in, err
	}
	in.Schedule = strings.TrimSpace(in.Schedule)
	in.Dir = strings.TrimSpace(in.Dir)
	var v meibo.Validation
	if in.Schedule != "" {
		if _, err := ParseBackupSchedule(in.Schedule); err != nil {
			v.Add("schedule", "backup.schedule", in.Schedule)
		}
		if !filepath.IsAbs(in.Dir) {
			v.Add("dir", "backup.dir")
		}
	}
	if in.Keep < 1 || in.Keep > 1000 {
		v.Add("keep", "backup.keep")
	}
	if err := v.Err(); err != nil {
		return in, err
	}
	err := s.store.Update(ctx, func(tx meibo.Tx) error {
		before, err := tx.BackupSettings(ctx)
		if err != nil {
			return err
		}
		if err := tx.PutBackupSettings(ctx, in); err != nil {
			return err
		}
		return s.audit(ctx, tx, "backup.settings", meibo.CategoryBackup, "settings", "backup", "", map[string]any{"before": before, "after": in})
	})
	return in, err
}

// RunScheduledBackup makes the backup of the latest scheduled time if no
// process has claimed it yet, as AUTOBACKUPUSER, into the configured folder,
// then removes the oldest files past the number to keep. Servers sharing a
// database claim each scheduled time once (a unique slot in the backup log).
// It reports whether this call made (or tried) the backup.
func (s *Service) RunScheduledBackup(ctx context.Context) (bool, error) {
	if s.cfg.Backuper == nil {
		return false, nil
	}
	var st meibo.BackupSettings
	if err := s.store.View(ctx, func(tx meibo.Tx) error {
		var err error
		st, err = tx.BackupSettings(ctx)
		return err
	}); err != nil {
		return false, err
	}
	if st.Schedule == "" {
		return false, nil
	}
	sched, err := ParseBackupSchedule(st.Schedule)
	if err != nil {
		return false, err
	}
	slot := sched.Last(s.now(), s.cfg.Location).UTC()
	e := &meibo.BackupLogEntry{Kind: "backup", Via: "scheduled", Slot: slot.Format(time.RFC3339), Actor: meibo.BuiltinBackup, Outcome: "running"}
	var claimed bool
	var prefix, name string
	if err := s.store.Update(ctx, func(tx meibo.Tx) error {
		id, err := tx.InstallationID(ctx)
		if err != nil {
			return err
		}
		// The installation's own ID names its files: a copy restored from
		// its backups (which carry these settings) into another database
		// backs up under its own, and neither overwrites nor removes the
		// other's files in a folder they share.
		prefix = scheduledPrefix(id)
		name = prefix + slot.Format("20060102-150405") + ".mbk"
		e.File = filepath.Join(st.Dir, name)
		claimed, err = tx.AddBackupLog(ctx, e)
		return err
	}); err != nil || !claimed {
		return false, err
	}
	ctx = meibo.WithActor(ctx, &meibo.Actor{Kind: meibo.ActorAdmin, Name: meibo.BuiltinBackup, Authorities: meibo.BackupAuthorities})
	if _, err := s.backupToFile(ctx, e, st.Dir, name); err != nil {
		return true, err
	}
	return true, rotate(st.Dir, prefix, max(st.Keep, 1))
}

// scheduledPrefix is how the scheduled backup files of the installation
// whose ID is id begin: meibo-<the ID's first 8 digits>-.
func scheduledPrefix(id string) string {
	return "meibo-" + id[:min(len(id), 8)] + "-"
}

// backupToFile writes into a temporary file in dir, renamed when complete.
func (s *Service) backupToFile(ctx context.Context, e *meibo.BackupLogEntry, dir, name string) (*meibo.BackupInfo, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return s.backup(ctx, e, failWriter{err})
	}
	f, err := os.CreateTemp(dir, ".meibo-*.mbk.tmp")
	if err != nil {
		return s.backup(ctx, e, failWriter{err})
	}
	defer os.Remove(f.Name())
	info, err := s.backup(ctx, e, f)
	if cerr := f.Close(); err == nil && cerr != nil {
		return nil, fmt.Errorf("write %s: %w", name, cerr)
	}
	if err != nil {
		return nil, err
	}
	if err := os.Rename(f.Name(), filepath.Join(dir, name)); err != nil {
		return nil, fmt.Errorf("write %s: %w", name, err)
	}
	return info, nil
}

type failWriter struct{ err error }

func (f failWriter) Write([]byte) (int, error) { return 0, f.err }

// rotate removes the oldest of the installation's scheduled backup files in
// dir (those whose names begin with prefix; they sort by time) past keep.
func rotate(dir, prefix string, keep int) error {
	names, err := filepath.Glob(filepath.Join(dir, prefix+"*.mbk"))
	if err != nil {
		return err
	}
	sort.Strings(names)
	for len(names) > keep {
		if err := os.Remove(names[0]); err != nil {
			return fmt.Errorf("rotate backups: %w", err)
		}
		names = names[1:]
	}
	return nil
}

// RunBackupScheduler runs scheduled backups until ctx ends, looking at the
// settings every minute.
func (s *Service) RunBackupScheduler(ctx context.Context) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		if _, err := s.RunScheduledBackup(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("scheduled backup", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// CanBackup reports whether the actor may make and restore backups
// (authority 7), so that an adapter can refuse before it takes an upload.
func (s *Service) CanBackup(ctx context.Context) error {
	_, err := require(ctx, meibo.AuthBackup)
	return err
}

// sizeReader counts the bytes read through it.
type sizeReader struct {
	r io.Reader
	n int64
}

func (c *sizeReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
