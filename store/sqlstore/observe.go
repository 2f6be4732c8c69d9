package sqlstore

import (
	"context"
	"fmt"
	"time"
)

// ObserveTx has fn told of every transaction when it ends: its kind (read
// or write), how long it took from begin to commit or rollback, and its
// error (nil when committed). It is set once, before the store is used.
func (db *DB) ObserveTx(fn func(kind string, took time.Duration, err error)) { db.observe = fn }

// Ping runs a short query on the read pool: the database answers. The
// write pool is left alone: on SQLite it is one connection, which a long
// import holds, and a busy writer is not a database that is down.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.read.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("ping the database: %w", err)
	}
	return nil
}

// PendingMigrations lists the migrations not applied, read on the read pool
// (for readiness checks, which must not queue behind a writer).
func (db *DB) PendingMigrations(ctx context.Context) ([]string, error) {
	_, pending, err := Status(ctx, db.read, db.dialect, db.migrations)
	return pending, err
}
