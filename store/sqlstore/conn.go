package sqlstore

import (
	"context"
	"database/sql"
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
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin write: %w", err)
	}
	t := &Tx{tx: tx, d: db.dialect, now: db.now()}
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
