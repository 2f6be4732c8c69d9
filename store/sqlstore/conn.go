package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"

	"github.com/meibo/meibo"
)

// UpdateConn runs fn in a read-write transaction like Update, handing it the
// connection the transaction runs on as well, so that an engine's own
// protocol (PostgreSQL's COPY) can write within the transaction.
func (db *DB) UpdateConn(ctx context.Context, fn func(conn *sql.Conn, tx meibo.Tx) error) error {
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return fmt.Errorf("begin write: %w", err)
	}
	defer conn.Close()
	return db.updateOn(ctx, conn, fn)
}

// LoadConn is UpdateConn for a bulk load (Tx.BeginLoad, then Load.Finish).
// On SQLite the transaction's connection does not enforce foreign keys
// while it runs: SQLite looks every key of every new row up as the row goes
// in (0.7 s of a restore of a million users), and the setting cannot change
// inside a transaction. Load.Finish checks every key of the database at
// once instead (PRAGMA foreign_key_check) and fails the load on a row whose
// key has no row. The connection enforces keys again before it serves
// anything else; should that fail, it is closed.
func (db *DB) LoadConn(ctx context.Context, fn func(conn *sql.Conn, tx meibo.Tx) error) (err error) {
	if db.dialect.Name() != "sqlite" {
		return db.UpdateConn(ctx, fn)
	}
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return fmt.Errorf("begin write: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA foreign_keys = OFF`); err != nil {
		return fmt.Errorf("load: %w", err)
	}
	defer func() {
		if _, ferr := conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA foreign_keys = ON`); ferr != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn }) // closes it
			err = errors.Join(err, fmt.Errorf("load: enforce foreign keys again: %w", ferr))
		}
	}()
	return db.updateOn(ctx, conn, fn)
}

// updateOn runs fn in a read-write transaction on conn.
func (db *DB) updateOn(ctx context.Context, conn *sql.Conn, fn func(conn *sql.Conn, tx meibo.Tx) error) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin write: %w", err)
	}
	t := &Tx{tx: tx, d: db.dialect, now: db.now(), sample: db.sample}
	if err := fn(conn, t); err != nil {
		if rerr := tx.Rollback(); rerr != nil && !errors.Is(rerr, sql.ErrTxDone) {
			return errors.Join(err, fmt.Errorf("rollback: %w", rerr))
		}
		return err
	}
	if err := t.endDefer(ctx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
