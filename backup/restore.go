package backup

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/store/sqlstore"
)

// RestoreOptions say how to restore.
type RestoreOptions struct {
	// Replace empties a database that holds data first (signing everyone
	// out); without it, a database that is not empty is refused.
	Replace bool
	// Alone says that no server has the database open (a command's
	// restore): a SQLite file then takes the rows with a rollback journal
	// instead of WAL (see sqlstore.DB.AloneJournal).
	Alone bool
	// After runs in the restore's transaction once every row is written and
	// checked, just before the commit: what it writes (the restore's own
	// audit event) is kept with the restored data.
	After func(ctx context.Context, tx meibo.Tx, info *meibo.BackupInfo) error
}

// Restore reads a backup file into db in one write transaction: all or
// nothing. Every stream's count and checksum and the file's end are checked
// before the commit; a file of a newer format or schema is refused before
// anything is written. db must be migrated to this meibo's schema.
func Restore(ctx context.Context, db *sqlstore.DB, r io.Reader, opts RestoreOptions) (_ *meibo.BackupInfo, err error) {
	applied, pending, err := db.MigrationStatus(ctx)
	if err != nil {
		return nil, err
	}
	if len(pending) > 0 {
		return nil, meibo.Errorf(meibo.CodeConflict, "backup.outdated", strings.Join(pending, ", "))
	}
	latest := ""
	if len(applied) > 0 {
		latest = applied[len(applied)-1]
	}
	s, err := open(r)
	if err != nil {
		return nil, err
	}
	if newerSchema(s.info.Schema, latest) {
		return nil, meibo.Errorf(meibo.CodeInvalid, "backup.newer_schema", s.info.Schema, latest)
	}
	engine := db.Engine()
	if opts.Alone {
		back, err := db.AloneJournal(ctx)
		if err != nil {
			return nil, err
		}
		defer func() {
			if berr := back(context.WithoutCancel(ctx)); berr != nil {
				err = errors.Join(err, berr)
			}
		}()
	}
	err = db.LoadConn(ctx, func(conn *sql.Conn, t meibo.Tx) error {
		stx := t.(*sqlstore.Tx)
		tx := stx.SQLTx()
		// A restore reads its file as fast as it comes (an upload may be
		// slow) and builds indexes over every row: no time limit of the
		// server's ends it.
		if err := stx.Unhurried(ctx); err != nil {
			return err
		}
		target := map[string][]column{}
		for _, table := range Tables {
			cols, err := columns(ctx, tx, engine, table)
			if err != nil {
				return err
			}
			target[table] = cols
		}
		if !opts.Replace {
			if err := refuseData(ctx, tx); err != nil {
				return err
			}
		}
		// The tables are empty (or emptied below): their secondary
		// indexes, the triggers of users and (PostgreSQL) the foreign keys
		// are dropped while the rows go in, and put back, with the tables
		// derived from users, by load.Finish (SQLite does not enforce its
		// keys on the load's connection, and Finish checks them). The restored users wait for
		// the keyword index, which the indexer builds after the commit
		// (service.IndexSearch).
		load, err := stx.BeginLoad(ctx, Tables)
		if err != nil {
			return err
		}
		if opts.Replace {
			if err := empty(ctx, tx); err != nil {
				return err
			}
		}
		check := func(table string, cols []column) error {
			tc, ok := target[table]
			if !ok {
				return meibo.Errorf(meibo.CodeInvalid, "backup.schema", "table "+table+" is not known")
			}
			for _, c := range cols {
				i := slices.IndexFunc(tc, func(x column) bool { return x.Name == c.Name })
				if i < 0 {
					return meibo.Errorf(meibo.CodeInvalid, "backup.schema", "column "+table+"."+c.Name+" is not known")
				}
				if tc[i].Type != c.Type {
					return meibo.Errorf(meibo.CodeInvalid, "backup.schema", fmt.Sprintf("column %s.%s holds %s here, %s in the file", table, c.Name, tc[i].Type, c.Type))
				}
			}
			return nil
		}
		write := func(first part, parts <-chan part) error {
			if engine == "postgres" {
				return copyTable(ctx, conn, first, parts)
			}
			return insertTable(ctx, conn, first, parts)
		}
		if err := s.pipe(ctx, check, write, db.TimeText()); err != nil {
			return err
		}
		if err := load.Finish(ctx); err != nil {
			return err
		}
		if engine == "postgres" {
			if err := resetIdentities(ctx, tx, target); err != nil {
				return err
			}
		}
		if opts.After != nil {
			return opts.After(ctx, t, &s.info)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &s.info, nil
}

// part is a run of rows of one table, handed from the goroutine that reads
// the file to the one that writes the database.
type part struct {
	table string
	cols  []column
	rows  [][]any
	last  bool // the table's last part: its rows are all read and checked
}

// partRows is how many rows a part holds at most (and partBytes about how
// many bytes of values).
const (
	partRows  = 1000
	partBytes = 4 << 20
)

// pipe reads the file on a goroutine of its own (gunzip, checksums, JSON)
// while write writes what it has read to the database: check vets each
// table's columns before any of its rows are read, and write is called
// with each table's first part and takes the others from parts up to the
// table's last. The table's count and checksum are checked before its last
// part is sent, and the file's end before pipe returns nil. timeText, when
// not nil, turns each time into the text the engine's driver stores for it
// (SQLite), on the reading goroutine.
func (s *stream) pipe(ctx context.Context, check func(string, []column) error, write func(part, <-chan part) error, timeText func(time.Time) string) error {
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	parts := make(chan part, 2)
	readErr := make(chan error, 1)
	go func() {
		defer close(parts)
		readErr <- s.read(func(table string, cols []column) (tableSink, error) {
			if err := check(table, cols); err != nil {
				return nil, err
			}
			return &partSink{ctx: rctx, out: parts, p: part{table: table, cols: cols}, timeText: timeText}, nil
		})
	}()
	var werr error
	for first := range parts {
		if werr = write(first, parts); werr != nil {
			break
		}
	}
	if werr != nil {
		cancel()
		for range parts { //nolint:revive // drain, so that the reader ends
		}
		rerr := <-readErr
		if errors.Is(werr, errIncomplete) && rerr != nil {
			return rerr // why the rows stopped
		}
		return werr
	}
	return <-readErr
}

// partSink gathers a table's rows into parts for the writer.
type partSink struct {
	ctx      context.Context
	out      chan<- part
	p        part
	flat     []any
	bytes    int
	timeText func(time.Time) string
}

func (ps *partSink) row(vals []any) error {
	n := len(vals)
	if ps.flat == nil {
		ps.flat = make([]any, 0, partRows*n)
	}
	at := len(ps.flat)
	ps.flat = append(ps.flat, vals...)
	if ps.timeText != nil {
		for i, v := range ps.flat[at:] {
			if t, ok := v.(time.Time); ok {
				ps.flat[at+i] = ps.timeText(t)
			}
		}
	}
	ps.p.rows = append(ps.p.rows, ps.flat[at:at+n:at+n])
	ps.bytes += rowBytes(vals)
	if len(ps.p.rows) < partRows && ps.bytes < partBytes {
		return nil
	}
	return ps.send(false)
}

func (ps *partSink) send(last bool) error {
	p := ps.p
	p.last = last
	select {
	case ps.out <- p:
	case <-ps.ctx.Done():
		return ps.ctx.Err()
	}
	ps.p.rows, ps.flat, ps.bytes = nil, nil, 0
	return nil
}

func (ps *partSink) done() error { return ps.send(true) }

// insertTable writes a table's parts with multi-row INSERTs (SQLite),
// through the driver's own statements on conn, in the transaction open on
// it: database/sql's checks and copies of every argument cost a restore of
// a million users about half a second more.
func insertTable(ctx context.Context, conn *sql.Conn, first part, parts <-chan part) error {
	var in *inserter
	err := conn.Raw(func(dc any) error {
		pc, ok := dc.(driver.ConnPrepareContext)
		if !ok {
			return fmt.Errorf("a %T cannot prepare statements", dc)
		}
		const maxParams = 32766 // SQLite's
		in = newInserter(ctx, pc, first.table, first.cols, maxParams)
		defer in.close()
		p := first
		for {
			for _, r := range p.rows {
				if err := in.row(r); err != nil {
					return err
				}
			}
			if p.last {
				return in.done()
			}
			var ok bool
			if p, ok = <-parts; !ok {
				return errIncomplete
			}
		}
	})
	if err == nil && in.closeErr != nil {
		err = fmt.Errorf("restore %s: %w", first.table, in.closeErr)
	}
	return err
}

// refuseData refuses a database that holds data.
func refuseData(ctx context.Context, tx *sql.Tx) error {
	for _, table := range Tables {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM `+quote(table)+` LIMIT 1`).Scan(&one)
		if err == nil {
			return meibo.Errorf(meibo.CodeConflict, "backup.not_empty", table)
		}
		if err != sql.ErrNoRows {
			return fmt.Errorf("look into %s: %w", table, err)
		}
	}
	return nil
}

// empty empties the database (children before parents) for a restore that
// replaces it; the derived tables are emptied by the load's Finish.
func empty(ctx context.Context, tx *sql.Tx) error {
	for _, table := range cleared {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+quote(table)); err != nil {
			return fmt.Errorf("empty %s: %w", table, err)
		}
	}
	for i := len(Tables) - 1; i >= 0; i-- {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+quote(Tables[i])); err != nil {
			return fmt.Errorf("empty %s: %w", Tables[i], err)
		}
	}
	return nil
}

// resetIdentities moves each identity column's sequence past the highest
// value restored, so that the next row gets a new ID, and never back: an
// ID the installation gave before the restore (a user made after the
// backup, whose ID a SCIM client may still hold) is not given again, as
// SQLite's AUTOINCREMENT keeps its own across a restore.
func resetIdentities(ctx context.Context, tx *sql.Tx, target map[string][]column) error {
	for _, table := range Tables {
		for _, c := range target[table] {
			if !c.identity {
				continue
			}
			q := fmt.Sprintf(`WITH s AS (SELECT pg_get_serial_sequence('%s', '%s') AS seq),
				m AS (SELECT GREATEST((SELECT COALESCE(MAX(%s), 0) FROM %s), COALESCE(pg_sequence_last_value((SELECT seq FROM s)::regclass), 0)) AS v)
				SELECT setval((SELECT seq FROM s), GREATEST(v, 1), v > 0) FROM m`,
				table, c.Name, quote(c.Name), quote(table))
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("set the sequence of %s.%s: %w", table, c.Name, err)
			}
		}
	}
	return nil
}

// copyTable writes a table's parts to PostgreSQL with one COPY: a
// multi-row INSERT costs the server several times as much per row, and a
// COPY per batch a round trip and a statement each.
func copyTable(ctx context.Context, conn *sql.Conn, first part, parts <-chan part) error {
	names := make([]string, len(first.cols))
	for i, col := range first.cols {
		names[i] = col.Name
	}
	src := &partSource{p: first, parts: parts, i: -1}
	err := conn.Raw(func(dc any) error {
		pc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("a %T is not a pgx connection", dc)
		}
		_, err := pc.Conn().CopyFrom(ctx, pgx.Identifier{first.table}, names, src)
		return err
	})
	if err != nil {
		return fmt.Errorf("restore %s: %w", first.table, err)
	}
	if !src.complete {
		return errIncomplete
	}
	return nil
}

// errIncomplete ends the writing of a table whose rows stopped coming: the
// reader's own error says why.
var errIncomplete = errors.New("the file ends within a table")

// partSource hands the rows of a table's parts to COPY (pgx.CopyFromSource).
type partSource struct {
	p        part
	parts    <-chan part
	i        int
	complete bool // the table's last row was handed on
	cut      bool // the parts stopped before the table's last
}

func (ps *partSource) Next() bool {
	for {
		if ps.i+1 < len(ps.p.rows) {
			ps.i++
			return true
		}
		if ps.p.last {
			ps.complete = true
			return false
		}
		p, ok := <-ps.parts
		if !ok {
			ps.cut = true
			return false
		}
		ps.p, ps.i = p, -1
	}
}

func (ps *partSource) Values() ([]any, error) { return ps.p.rows[ps.i], nil }

func (ps *partSource) Err() error {
	if ps.cut {
		return errIncomplete
	}
	return nil
}

// batchBytes bounds the text and blobs of the rows held for one statement
// (a table of kept import files has rows of megabytes).
const batchBytes = 8 << 20

// rowBytes is about how much a row's values hold.
func rowBytes(vals []any) int {
	n := 0
	for _, v := range vals {
		switch x := v.(type) {
		case string:
			n += len(x)
		case []byte:
			n += len(x)
		default:
			n += 8
		}
	}
	return n
}

// inserter writes rows in multi-row INSERTs (SQLite), holding no more than
// one batch. It uses anonymous "?" placeholders: the driver binds numbered
// ones by looking each name up, a scan of the statement's parameters per
// parameter.
type inserter struct {
	ctx      context.Context
	conn     driver.ConnPrepareContext
	table    string
	cols     []column
	batch    int
	args     []driver.NamedValue
	n        int
	bytes    int
	stmt     driver.Stmt // the full batch's statement
	closeErr error
}

// insertBatch is how many rows one INSERT takes at most.
const insertBatch = 2000

func newInserter(ctx context.Context, conn driver.ConnPrepareContext, table string, cols []column, maxParams int) *inserter {
	batch := min(insertBatch, maxParams/len(cols))
	return &inserter{ctx: ctx, conn: conn, table: table, cols: cols, batch: batch, args: make([]driver.NamedValue, 0, batch*len(cols))}
}

func (in *inserter) sql(rows int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO ")
	b.WriteString(quote(in.table))
	b.WriteString(" (")
	for i, c := range in.cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quote(c.Name))
	}
	b.WriteString(") VALUES ")
	for r := 0; r < rows; r++ {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for i := range in.cols {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('?')
		}
		b.WriteByte(')')
	}
	return b.String()
}

// row takes a row's values, which are the driver's own (int64, float64,
// bool, string, []byte, time.Time or nil), and writes the batch once full.
func (in *inserter) row(vals []any) error {
	for _, v := range vals {
		in.args = append(in.args, driver.NamedValue{Ordinal: len(in.args) + 1, Value: v})
	}
	in.n++
	in.bytes += rowBytes(vals)
	if in.n < in.batch {
		if in.bytes < batchBytes {
			return nil
		}
		return in.done()
	}
	if in.stmt == nil {
		st, err := in.conn.PrepareContext(in.ctx, in.sql(in.batch))
		if err != nil {
			return fmt.Errorf("restore %s: %w", in.table, err)
		}
		in.stmt = st
	}
	return in.exec(in.stmt)
}

// done writes the rows held (fewer than a batch) with a statement of their
// own.
func (in *inserter) done() error {
	if in.n == 0 {
		return nil
	}
	st, err := in.conn.PrepareContext(in.ctx, in.sql(in.n))
	if err != nil {
		return fmt.Errorf("restore %s: %w", in.table, err)
	}
	err = in.exec(st)
	if cerr := st.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("restore %s: %w", in.table, cerr)
	}
	return err
}

func (in *inserter) exec(st driver.Stmt) error {
	ex, ok := st.(driver.StmtExecContext)
	if !ok {
		return fmt.Errorf("restore %s: a %T cannot execute with a context", in.table, st)
	}
	if _, err := ex.ExecContext(in.ctx, in.args); err != nil {
		return fmt.Errorf("restore %s: %w", in.table, err)
	}
	clear(in.args) // lets the values go
	in.args, in.n, in.bytes = in.args[:0], 0, 0
	return nil
}

// close closes the full batch's statement.
func (in *inserter) close() {
	if in.stmt != nil {
		in.closeErr = in.stmt.Close()
		in.stmt = nil
	}
}

// Store makes and restores backups of one store for the service
// (service.Backuper).
type Store struct {
	DB *sqlstore.DB
	// Version is the meibo version written in the header.
	Version string
	// Alone: no server has the database open (see RestoreOptions.Alone).
	Alone bool
}

// Backup writes a backup of the store to w.
func (s Store) Backup(ctx context.Context, w io.Writer, logID int64) (*meibo.BackupInfo, error) {
	return Write(ctx, s.DB, w, s.Version, logID)
}

// Restore restores r into the store.
func (s Store) Restore(ctx context.Context, r io.Reader, replace bool, after func(context.Context, meibo.Tx, *meibo.BackupInfo) error) (*meibo.BackupInfo, error) {
	return Restore(ctx, s.DB, r, RestoreOptions{Replace: replace, Alone: s.Alone, After: after})
}
