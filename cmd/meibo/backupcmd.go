package main

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/argon2id"
	"github.com/meibo/meibo/backup"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store"
	"github.com/meibo/meibo/store/sqlite"
	"github.com/meibo/meibo/store/sqlstore"
)

// openBackup opens the database and a service that can back it up and
// restore into it, acting as the command line. A database to restore into
// is migrated when it is new; one to back up must exist, and is taken as it
// is, unless a newer meibo migrated it.
func openBackup(ctx context.Context, dsn string, restore bool) (*sqlstore.DB, *service.Service, context.Context, error) {
	var db *sqlstore.DB
	var err error
	if restore {
		db, err = openStore(ctx, dsn, "auto", store.Options{Bulk: true}, nil)
	} else {
		if !store.IsPostgres(dsn) {
			if _, serr := os.Stat(dsn); serr != nil {
				return nil, nil, nil, fmt.Errorf("no database to back up at %s: %w", dsn, serr)
			}
		}
		db, err = store.Open(ctx, dsn, store.Options{Bulk: true})
		if err == nil {
			// A newer schema has tables this version does not know: its
			// backup would leave them out under the newer schema's name.
			var newer []string
			if _, _, newer, err = db.MigrationState(ctx); err == nil {
				err = refuseNewer(dsn, newer)
			}
			if err != nil {
				db.Close()
			}
		}
	}
	if err != nil {
		return nil, nil, nil, err
	}
	hasher, err := argon2id.New(argon2id.Default)
	if err != nil {
		db.Close()
		return nil, nil, nil, err
	}
	svc := service.New(db, service.Config{Hasher: hasher, Logger: commandLog(ctx), Backuper: backup.Store{DB: db, Version: version, Alone: restore}})
	return db, svc, meibo.WithActor(ctx, cliActor()), nil
}

// latestSchema is the newest migration this meibo knows (both engines name
// their migrations alike).
func latestSchema() string {
	names, _ := fs.Glob(sqlite.Migrations, "*.sql")
	if len(names) == 0 {
		return ""
	}
	return names[len(names)-1]
}

func runBackup(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "backup", "backup [--db DSN] -o FILE | backup --verify FILE")
	var dsn string
	dbFlag(fs, &dsn)
	out := fs.String("o", "", "file to write (required)")
	verify := fs.String("verify", "", "check this backup file instead of making one")
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected arguments %q", pos)
	}
	if *verify != "" {
		f, err := os.Open(*verify)
		if err != nil {
			return err
		}
		defer f.Close()
		info, err := backup.Verify(f, latestSchema())
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "%s is a complete backup: format %d, schema %s, meibo %s, %s, taken %s\n",
			*verify, info.Format, info.Schema, info.Meibo, info.Engine, info.CreatedAt.Format("2006-01-02 15:04:05Z"))
		return printTables(env, info)
	}
	if *out == "" {
		return usagef("give the file to write with -o FILE")
	}
	if f := databaseFile(dsn, *out); f != "" {
		return usagef("-o %s is the database being backed up (%s): give another file for the backup", *out, f)
	}
	db, svc, actx, err := openBackup(ctx, dsn, false)
	if err != nil {
		return err
	}
	defer db.Close()
	// Written beside its final name and renamed when complete: a backup cut
	// short never has the name of a good one.
	dir := filepath.Dir(*out)
	f, err := os.CreateTemp(dir, ".meibo-backup-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	// A database this user cannot write (a read-only file, a standby)
	// is backed up all the same, without the backup log it cannot take.
	why, err := db.ReadOnly(ctx)
	if err != nil {
		return err
	}
	var info *meibo.BackupInfo
	if why != "" {
		info, err = svc.BackupUnlogged(actx, f, *out, why)
	} else {
		info, err = svc.Backup(actx, f, *out)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Rename(f.Name(), *out); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "wrote %s: %d tables, %d rows, %d bytes (schema %s)\n", *out, len(info.Tables), info.Rows, info.Size, info.Schema)
	return nil
}

// databaseFile returns the file of the SQLite database dsn (or of its
// journal) that path names, if it names one: a backup written there would
// destroy what it backs up.
func databaseFile(dsn, path string) string {
	if store.IsPostgres(dsn) {
		return ""
	}
	target, err := filepath.Abs(path)
	if err != nil {
		return ""
	}
	ti, terr := os.Stat(path)
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		f := dsn + suffix
		abs, err := filepath.Abs(f)
		if err == nil && abs == target {
			return f
		}
		if fi, err := os.Stat(f); err == nil && terr == nil && os.SameFile(fi, ti) {
			return f
		}
	}
	return ""
}

func printTables(env *cliEnv, info *meibo.BackupInfo) error {
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TABLE\tROWS\tSHA-256")
	for _, t := range info.Tables {
		fmt.Fprintf(tw, "%s\t%d\t%s\n", t.Name, t.Rows, t.SHA256)
	}
	return tw.Flush()
}

func runRestore(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "restore", "restore [--db DSN] [--replace] FILE")
	var dsn string
	dbFlag(fs, &dsn)
	replace := fs.Bool("replace", false, "replace the data of a database that is not empty (signs everyone out)")
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("give one backup file")
	}
	f, err := os.Open(pos[0])
	if err != nil {
		return err
	}
	defer f.Close()
	db, svc, actx, err := openBackup(ctx, dsn, true)
	if err != nil {
		return err
	}
	defer db.Close()
	info, err := svc.Restore(actx, f, pos[0], *replace)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "restored %s into %s: %d tables, %d rows (from %s, schema %s, taken %s)\n", pos[0], redactDSN(dsn),
		len(info.Tables), info.Rows, info.Engine, info.Schema, info.CreatedAt.Format("2006-01-02 15:04:05Z"))
	// The restored users wait for the keyword index (searches find them
	// meanwhile, more slowly); a server would index them in the background.
	t := time.Now()
	n, err := svc.IndexSearch(actx)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "indexed %d users for keyword search in %.1fs\n", n, time.Since(t).Seconds())
	return nil
}
