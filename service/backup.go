package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
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
		"backup.dir.file":        {"The folder %s cannot hold backups: %s is a file, not a folder.", "フォルダー %s にはバックアップを保存できません: %s はフォルダーではなくファイルです。"},
		"backup.dir.unwritable":  {"The folder %s cannot hold backups: %s", "フォルダー %s にはバックアップを保存できません: %s"},
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

// BackupUnlogged writes a backup of a database that takes no writes (why
// says why: a read-only file, a standby), for holders of authority 7: as
// Backup, but without its entry in the backup log and the audit trail,
// which cannot be written there; a warning says so.
func (s *Service) BackupUnlogged(ctx context.Context, w io.Writer, file, why string) (*meibo.BackupInfo, error) {
	if _, err := require(ctx, meibo.AuthBackup); err != nil {
		return nil, err
	}
	if s.cfg.Backuper == nil {
		return nil, meibo.Errorf(meibo.CodeConflict, "backup.unavailable")
	}
	s.log.Warn(fmt.Sprintf("the backup %s is made without its entry in the backup log and the audit log: the database takes no writes: %s", file, why))
	return s.cfg.Backuper.Backup(ctx, w, 0)
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
// configured zone, or every so many hours. Hours under a day are counted
// from midnight UTC each day ("every 5 h": 00:00, 05:00 … 20:00 UTC); a day
// or more from midnight UTC of 0001-01-01, a Monday ("every 24 h" at
// midnight UTC, "every 168 h" on Mondays).
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

// Last returns the latest scheduled time at or before now. A daily time is
// one of loc's wall clock, whatever its offset that day (summer time); on
// the day the clocks skip it, it is the same time after the skip.
func (b BackupSchedule) Last(now time.Time, loc *time.Location) time.Time {
	if b.Every > 0 {
		u := now.UTC()
		if b.Every >= 24*time.Hour {
			return u.Truncate(b.Every)
		}
		midnight := time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, time.UTC)
		return midnight.Add(u.Sub(midnight).Truncate(b.Every))
	}
	n := now.In(loc)
	h, m := int(b.Daily/time.Hour), int(b.Daily%time.Hour/time.Minute)
	t := time.Date(n.Year(), n.Month(), n.Day(), h, m, 0, 0, loc)
	if t.After(n) {
		t = time.Date(n.Year(), n.Month(), n.Day()-1, h, m, 0, 0, loc)
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
	st.Since = time.Time{}
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
		} else if key, args := unusableBackupDir(in.Dir); key != "" {
			v.Add("dir", key, args...)
		}
	}
	if in.Keep < 1 || in.Keep > 1000 {
		v.Add("keep", "backup.keep")
	}
	if err := v.Err(); err != nil {
		return in, err
	}
	in.Since = time.Time{}
	err := s.store.Update(ctx, func(tx meibo.Tx) error {
		before, err := tx.BackupSettings(ctx)
		if err != nil {
			return err
		}
		stored := in
		stored.Since = before.Since
		if in.Schedule != "" && !sameSchedule(before.Schedule, in.Schedule) {
			stored.Since = tx.Now()
		}
		if err := tx.PutBackupSettings(ctx, stored); err != nil {
			return err
		}
		before.Since = time.Time{}
		return s.audit(ctx, tx, "backup.settings", meibo.CategoryBackup, "settings", "backup", "", map[string]any{"before": before, "after": in})
	})
	return in, err
}

// sameSchedule reports whether two schedules run at the same times.
func sameSchedule(a, b string) bool {
	sa, errA := ParseBackupSchedule(a)
	sb, errB := ParseBackupSchedule(b)
	return errA == nil && errB == nil && sa == sb
}

// unusableBackupDir checks, when the settings are changed, that dir can
// hold backups: no part of its path is a file, and an existing folder takes
// a new file. It returns a message key and its arguments, or "" when dir
// looks usable (a folder yet to be made is made by the first backup).
func unusableBackupDir(dir string) (string, []any) {
	dir = filepath.Clean(dir)
	for p := dir; ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err == nil {
			if !fi.IsDir() {
				return "backup.dir.file", []any{dir, p}
			}
			break
		}
		if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
			return "backup.dir.unwritable", []any{dir, err.Error()}
		}
		if filepath.Dir(p) == p {
			break
		}
	}
	if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
		f, err := os.CreateTemp(dir, ".meibo-check-*.tmp")
		if err != nil {
			return "backup.dir.unwritable", []any{dir, err.Error()}
		}
		f.Close()
		os.Remove(f.Name())
	}
	return "", nil
}

// RunScheduledBackup makes the backup of the latest scheduled time if no
// process has claimed it yet, as AUTOBACKUPUSER, into the configured folder,
// then removes the oldest files past the number to keep. Servers sharing a
// database claim each scheduled time once (a unique slot in the backup log).
// A scheduled time before the schedule was set is not backed up. A failed
// backup is tried again (backupRetryDelay) until one succeeds, the next
// scheduled time comes, or backupAttempts were made. A file is named after
// the time it was taken, which is later than its scheduled time when the
// server was down then or a try failed. It reports whether this call made
// (or tried) a backup.
func (s *Service) RunScheduledBackup(ctx context.Context) (bool, error) {
	if s.cfg.Backuper == nil {
		return false, nil
	}
	var st meibo.BackupSettings
	var recent []*meibo.BackupLogEntry
	if err := s.store.View(ctx, func(tx meibo.Tx) error {
		var err error
		if st, err = tx.BackupSettings(ctx); err != nil || st.Schedule == "" {
			return err
		}
		recent, err = tx.BackupLog(ctx, 200)
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
	now := s.now()
	slot := sched.Last(now, s.cfg.Location).UTC()
	if slot.Before(st.Since) {
		return false, nil
	}
	key, ok := nextAttempt(slot.Format(time.RFC3339), recent, now)
	if !ok {
		return false, nil
	}
	e := &meibo.BackupLogEntry{Kind: "backup", Via: "scheduled", Slot: key, Actor: meibo.BuiltinBackup, Outcome: "running"}
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
		name = prefix + now.UTC().Format("20060102-150405") + ".mbk"
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

// backupAttempts bounds the tries of one scheduled time; between them the
// wait doubles from a minute up to backupRetryMax (about 2 h in all).
const (
	backupAttempts = 8
	backupRetryMax = 30 * time.Minute
)

// backupRetryDelay is the wait after the nth failed try of a scheduled time.
func backupRetryDelay(n int) time.Duration {
	return min(time.Minute<<min(n-1, 10), backupRetryMax)
}

// nextAttempt returns the slot key of the next try of the scheduled time
// slot, given the newest entries of the backup log: slot itself for the
// first try, "slot#n" for the nth; false when the time is backed up, being
// backed up, tried backupAttempts times, or the last try failed less than
// backupRetryDelay ago.
func nextAttempt(slot string, recent []*meibo.BackupLogEntry, now time.Time) (string, bool) {
	var last *meibo.BackupLogEntry
	tries := 0
	for _, e := range recent {
		if e.Via != "scheduled" || (e.Slot != slot && !strings.HasPrefix(e.Slot, slot+"#")) {
			continue
		}
		tries++
		if last == nil || e.ID > last.ID {
			last = e
		}
	}
	switch {
	case last == nil:
		return slot, true
	case last.Outcome != "failed" || tries >= backupAttempts:
		return "", false
	}
	failed := last.StartedAt
	if last.FinishedAt != nil {
		failed = *last.FinishedAt
	}
	if now.Before(failed.Add(backupRetryDelay(tries))) {
		return "", false
	}
	return fmt.Sprintf("%s#%d", slot, tries+1), true
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
			s.log.Error("scheduled backup failed (tried again after a wait)", "err", err)
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
