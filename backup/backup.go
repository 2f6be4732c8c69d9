// Package backup writes a whole meibo installation to one portable file and
// reads it back into a database of either engine. It works on the SQL store
// (store/sqlstore) below the domain rules: it imports the domain package for
// its types and messages only, and nothing of the service, CSV or HTTP.
//
// # The file
//
// A backup file (".mbk") is gzip-compressed text: JSON Lines, one value per
// line, in this order:
//
//	{"format":"meibo-backup","version":1,"schema":"0007_backup_log.sql","meibo":"1.2.0","engine":"sqlite","createdAt":"2026-12-05T19:00:00Z","log":12}
//	{"table":"groups","columns":[{"name":"id","type":"text"},{"name":"name","type":"text"},…]}
//	["sales","Sales","2026-12-01T09:00:00.123456Z",…]
//	…one JSON array per row, its values in the order of "columns"…
//	{"end":"groups","rows":2,"sha256":"…"}
//	…the next table…
//	{"end":"backup","rows":1000123,"tables":17}
//
// The header names the format version, the last migration of the schema the
// data came from, the meibo that wrote it, the engine, the snapshot's time
// and (when there is one) the backup log entry of the backup that wrote it. Each table is a stream: a line naming its columns and their types,
// its rows, and an end line with the row count and the SHA-256 (hex) of the
// stream's lines (its column line and rows, each with its "\n"). The last
// line closes the file; a file without it was cut short.
//
// Values by type: int and real are JSON numbers; text a JSON string; bool
// true or false; time an RFC 3339 string in UTC with up to nanoseconds; blob
// a base64 (standard, padded) string; NULL is null. Columns are read from
// the schema, so a column that a migration adds is carried without a change
// here; the tables are listed in Tables (and the ones left out in Excluded).
//
// Secrets are in the file exactly as the database holds them: password,
// token and device-secret hashes. The file must be guarded like the
// database.
package backup

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/store/sqlstore"
)

// Format is the version of the file format this package writes and the
// newest it reads.
const Format = 1

// formatName is the header's "format": what makes a file a meibo backup.
const formatName = "meibo-backup"

type header struct {
	Format    string    `json:"format"`
	Version   int       `json:"version"`
	Schema    string    `json:"schema"`
	Meibo     string    `json:"meibo"`
	Engine    string    `json:"engine"`
	CreatedAt time.Time `json:"createdAt"`
	LogID     int64     `json:"log,omitempty"`
}

// control is any line that is not a row: a table's start or end, the file's
// end.
type control struct {
	Table   string   `json:"table,omitempty"`
	Columns []column `json:"columns,omitempty"`
	End     string   `json:"end,omitempty"`
	Rows    int64    `json:"rows"`
	SHA256  string   `json:"sha256,omitempty"`
	Tables  int      `json:"tables,omitempty"`
}

// countWriter counts the bytes written through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// Write writes a backup of db to w from one read transaction (a snapshot:
// SQLite's WAL reader, PostgreSQL's REPEATABLE READ), row by row: memory
// does not grow with the data. meiboVersion and logID (the backup log entry
// of this backup, or 0) are recorded in the header.
func Write(ctx context.Context, db *sqlstore.DB, w io.Writer, meiboVersion string, logID int64) (*meibo.BackupInfo, error) {
	var info *meibo.BackupInfo
	err := db.View(ctx, func(t meibo.Tx) error {
		// The snapshot is read as fast as w takes it (a download may be
		// slow): no time limit of the server's ends it.
		if err := t.Unhurried(ctx); err != nil {
			return err
		}
		var err error
		info, err = write(ctx, t.(*sqlstore.Tx).SQLTx(), db.Engine(), w, meiboVersion, logID, t.Now())
		return err
	})
	if err != nil {
		return nil, err
	}
	return info, nil
}

func write(ctx context.Context, tx *sql.Tx, engine string, out io.Writer, version string, logID int64, now time.Time) (*meibo.BackupInfo, error) {
	var schema sql.NullString
	if err := tx.QueryRowContext(ctx, `SELECT MAX(name) FROM schema_migrations`).Scan(&schema); err != nil {
		return nil, fmt.Errorf("read the schema version: %w", err)
	}
	info := &meibo.BackupInfo{Format: Format, Schema: schema.String, Meibo: version, Engine: engine, CreatedAt: now.UTC(), LogID: logID}
	cw := &countWriter{w: out}
	zw, err := gzip.NewWriterLevel(cw, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	bw := bufio.NewWriterSize(zw, 256<<10)
	h, err := json.Marshal(header{Format: formatName, Version: Format, Schema: info.Schema, Meibo: version, Engine: engine, CreatedAt: info.CreatedAt, LogID: logID})
	if err != nil {
		return nil, err
	}
	if _, err := bw.Write(append(h, '\n')); err != nil {
		return nil, fmt.Errorf("write backup: %w", err)
	}
	for _, table := range Tables {
		bt, err := writeTable(ctx, tx, engine, table, bw)
		if err != nil {
			return nil, err
		}
		info.Tables = append(info.Tables, *bt)
		info.Rows += bt.Rows
	}
	end, err := json.Marshal(control{End: "backup", Tables: len(info.Tables), Rows: info.Rows})
	if err != nil {
		return nil, err
	}
	if _, err := bw.Write(append(end, '\n')); err != nil {
		return nil, fmt.Errorf("write backup: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return nil, fmt.Errorf("write backup: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("write backup: %w", err)
	}
	info.Size = cw.n
	return info, nil
}

// writeTable writes one table's stream. Its rows are read on this
// goroutine and written out (JSON, checksum, gzip) on another, a batch at a
// time: each costs about half.
func writeTable(ctx context.Context, tx *sql.Tx, engine, table string, w io.Writer) (*meibo.BackupTable, error) {
	cols, err := columns(ctx, tx, engine, table)
	if err != nil {
		return nil, err
	}
	sum := sha256.New()
	out := io.MultiWriter(w, sum)
	start, err := json.Marshal(struct {
		Table   string   `json:"table"`
		Columns []column `json:"columns"`
	}{table, cols})
	if err != nil {
		return nil, err
	}
	if _, err := out.Write(append(start, '\n')); err != nil {
		return nil, fmt.Errorf("write backup: %w", err)
	}
	q := "SELECT "
	for i, c := range cols {
		if i > 0 {
			q += ", "
		}
		if engine == "sqlite" && c.Type == typeTime {
			// As the text SQLite holds: the driver would parse it on
			// the reading goroutine, the writing one does (appendValue).
			q += "CAST(" + quote(c.Name) + " AS TEXT)"
			continue
		}
		q += quote(c.Name)
	}
	rows, err := tx.QueryContext(ctx, q+" FROM "+quote(table))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", table, err)
	}
	defer rows.Close()

	batches := make(chan [][]any, 2)
	var failed atomic.Bool
	written := make(chan error, 1)
	go func() {
		var werr error
		var line []byte
		for b := range batches {
			if werr != nil {
				continue // drain
			}
			for _, vals := range b {
				line = append(line[:0], '[')
				for i, v := range vals {
					if i > 0 {
						line = append(line, ',')
					}
					if line, werr = appendValue(line, cols[i].Type, v); werr != nil {
						werr = fmt.Errorf("table %s, column %s: %w", table, cols[i].Name, werr)
						break
					}
				}
				if werr == nil {
					line = append(line, ']', '\n')
					if _, werr = out.Write(line); werr != nil {
						werr = fmt.Errorf("write backup: %w", werr)
					}
				}
				if werr != nil {
					failed.Store(true)
					break
				}
			}
		}
		written <- werr
	}()
	n, rerr := readRows(rows, len(cols), batches, &failed)
	close(batches)
	if werr := <-written; werr != nil {
		return nil, werr
	}
	if rerr != nil {
		return nil, fmt.Errorf("read %s: %w", table, rerr)
	}
	bt := &meibo.BackupTable{Name: table, Rows: n, SHA256: hex.EncodeToString(sum.Sum(nil))}
	end, err := json.Marshal(control{End: table, Rows: n, SHA256: bt.SHA256})
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(append(end, '\n')); err != nil {
		return nil, fmt.Errorf("write backup: %w", err)
	}
	return bt, nil
}

// readRows scans rows into batches of at most readBatch rows (or about
// batchBytes of values) and sends them, until the rows end or failed is
// set; it returns how many rows it sent.
func readRows(rows *sql.Rows, ncols int, batches chan<- [][]any, failed *atomic.Bool) (int64, error) {
	const readBatch = 512
	vals := make([]any, ncols)
	ptrs := make([]any, ncols)
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var n int64
	var batch [][]any
	var flat []any
	bytes := 0
	for rows.Next() {
		if failed.Load() {
			return n, nil
		}
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		if flat == nil {
			flat = make([]any, 0, readBatch*ncols)
		}
		at := len(flat)
		flat = append(flat, vals...)
		batch = append(batch, flat[at:at+ncols:at+ncols])
		bytes += rowBytes(vals)
		n++
		if len(batch) == readBatch || bytes >= batchBytes {
			batches <- batch
			batch, flat, bytes = nil, nil, 0
		}
	}
	if len(batch) > 0 {
		batches <- batch
	}
	return n, rows.Err()
}

// stream reads a backup file line by line, checking each table's count and
// checksum at its end line and the file's end.
type stream struct {
	br   *bufio.Reader
	zr   *gzip.Reader
	raw  *bufio.Reader // the compressed file, read by zr through it
	cr   *countReader
	line []byte
	info meibo.BackupInfo
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func damaged(err error) error {
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		return meibo.Errorf(meibo.CodeInvalid, "backup.truncated", "the file ends in the middle")
	}
	return meibo.Errorf(meibo.CodeInvalid, "backup.damaged", err.Error())
}

// open reads the header and refuses what is not a backup of a format this
// package reads.
func open(r io.Reader) (*stream, error) {
	cr := &countReader{r: r}
	// A backup is one gzip member: what follows it is no part of it, and
	// is refused as such (read through raw, which gzip reads without
	// buffering of its own, so that it is there to be seen).
	raw := bufio.NewReader(cr)
	zr, err := gzip.NewReader(raw)
	if err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, meibo.Errorf(meibo.CodeInvalid, "backup.not_backup", "the file is empty or cut short")
		}
		return nil, meibo.Errorf(meibo.CodeInvalid, "backup.not_backup", "not gzip-compressed")
	}
	zr.Multistream(false)
	s := &stream{br: bufio.NewReaderSize(zr, 256<<10), zr: zr, raw: raw, cr: cr}
	line, err := s.next()
	if err != nil {
		return nil, err
	}
	var h header
	if err := json.Unmarshal(line, &h); err != nil || h.Format != formatName {
		return nil, meibo.Errorf(meibo.CodeInvalid, "backup.not_backup", "no meibo backup header")
	}
	if h.Version > Format || h.Version < 1 {
		return nil, meibo.Errorf(meibo.CodeInvalid, "backup.newer_format", h.Version, Format)
	}
	s.info = meibo.BackupInfo{Format: h.Version, Schema: h.Schema, Meibo: h.Meibo, Engine: h.Engine, CreatedAt: h.CreatedAt, LogID: h.LogID}
	return s, nil
}

// next returns the next line without its "\n"; it is valid until the next
// call.
func (s *stream) next() ([]byte, error) {
	s.line = s.line[:0]
	for {
		frag, err := s.br.ReadSlice('\n')
		s.line = append(s.line, frag...)
		if err == nil {
			return s.line[:len(s.line)-1], nil
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		return nil, damaged(err)
	}
}

// tableSink receives the rows of one table.
type tableSink interface {
	row(vals []any) error
	done() error
}

// read reads every stream after the header, handing each table to begin
// (which may return nil to only check it), and checks counts, checksums and
// the end of the file.
func (s *stream) read(begin func(table string, cols []column) (tableSink, error)) error {
	var c control
	for {
		line, err := s.next()
		if err != nil {
			return err
		}
		c = control{}
		if err := json.Unmarshal(line, &c); err != nil {
			return meibo.Errorf(meibo.CodeInvalid, "backup.damaged", "a line that is neither a table nor the end")
		}
		if c.End == "backup" {
			break
		}
		if c.Table == "" {
			return meibo.Errorf(meibo.CodeInvalid, "backup.damaged", "a line that is neither a table nor the end")
		}
		if err := s.readTable(line, c, begin); err != nil {
			return err
		}
	}
	if c.Tables != len(s.info.Tables) || c.Rows != s.info.Rows {
		return meibo.Errorf(meibo.CodeInvalid, "backup.damaged", fmt.Sprintf("the file ends with %d tables and %d rows, but holds %d and %d", c.Tables, c.Rows, len(s.info.Tables), s.info.Rows))
	}
	// Read to the end, where gzip checks its own checksum and length;
	// nothing may follow.
	if _, err := s.br.ReadByte(); err != io.EOF {
		if err == nil {
			return meibo.Errorf(meibo.CodeInvalid, "backup.damaged", "data after the end")
		}
		return damaged(err)
	}
	if _, err := s.raw.ReadByte(); err != io.EOF {
		if err == nil {
			return meibo.Errorf(meibo.CodeInvalid, "backup.damaged", "data after the end")
		}
		return damaged(err)
	}
	s.info.Size = s.cr.n
	return nil
}

func (s *stream) readTable(first []byte, c control, begin func(string, []column) (tableSink, error)) error {
	table := c.Table
	for _, t := range s.info.Tables {
		if t.Name == table {
			return meibo.Errorf(meibo.CodeInvalid, "backup.damaged", "table "+table+" twice")
		}
	}
	for _, col := range c.Columns {
		if !isType(col.Type) {
			return meibo.Errorf(meibo.CodeInvalid, "backup.damaged", fmt.Sprintf("column %s.%s has an unknown type %q", table, col.Name, col.Type))
		}
	}
	sink, err := begin(table, c.Columns)
	if err != nil {
		return err
	}
	var sum hash.Hash = sha256.New()
	sum.Write(first)
	sum.Write([]byte{'\n'})
	var n int64
	var vals []any
	var rows rowDecoder
	for {
		line, err := s.next()
		if err != nil {
			return err
		}
		if len(line) > 0 && line[0] == '{' {
			var end control
			if err := json.Unmarshal(line, &end); err != nil || end.End != table {
				return meibo.Errorf(meibo.CodeInvalid, "backup.damaged", "table "+table+" does not end")
			}
			if end.Rows != n || end.SHA256 != hex.EncodeToString(sum.Sum(nil)) {
				return meibo.Errorf(meibo.CodeInvalid, "backup.checksum", table)
			}
			break
		}
		sum.Write(line)
		sum.Write([]byte{'\n'})
		n++
		if sink == nil {
			continue
		}
		vals = vals[:0]
		if err := rows.decode(line, &vals); err != nil || len(vals) != len(c.Columns) {
			return meibo.Errorf(meibo.CodeInvalid, "backup.damaged", fmt.Sprintf("row %d of table %s cannot be read", n, table))
		}
		for i, v := range vals {
			if vals[i], err = decodeValue(c.Columns[i].Type, v); err != nil {
				return meibo.Errorf(meibo.CodeInvalid, "backup.damaged", fmt.Sprintf("row %d of table %s, column %s: %v", n, table, c.Columns[i].Name, err))
			}
		}
		if err := sink.row(vals); err != nil {
			return err
		}
	}
	if sink != nil {
		if err := sink.done(); err != nil {
			return err
		}
	}
	s.info.Tables = append(s.info.Tables, meibo.BackupTable{Name: table, Rows: n, SHA256: hex.EncodeToString(sum.Sum(nil))})
	s.info.Rows += n
	return nil
}

func isType(t string) bool {
	switch t {
	case typeInt, typeReal, typeText, typeBool, typeTime, typeBlob:
		return true
	}
	return false
}

// rowDecoder reads a row's line, a JSON array of scalars, token by token
// (jsontext): one pass, where encoding/json scans each line twice and
// reflects. Numbers are kept as text (json.Number), as decodeValue wants
// them; invalid UTF-8 is refused.
type rowDecoder struct {
	r   bytes.Reader
	dec jsontext.Decoder
}

func (d *rowDecoder) decode(line []byte, vals *[]any) error {
	d.r.Reset(line)
	d.dec.Reset(&d.r)
	if tok, err := d.dec.ReadToken(); err != nil {
		return err
	} else if tok.Kind() != '[' {
		return errors.New("not an array")
	}
	for {
		tok, err := d.dec.ReadToken()
		if err != nil {
			return err
		}
		switch tok.Kind() {
		case ']':
			if _, err := d.dec.ReadToken(); err != io.EOF {
				return errors.New("data after the array")
			}
			return nil
		case 'n':
			*vals = append(*vals, nil)
		case 't', 'f':
			*vals = append(*vals, tok.Bool())
		case '"':
			*vals = append(*vals, tok.String())
		case '0':
			*vals = append(*vals, json.Number(tok.String()))
		default:
			return errors.New("not a value")
		}
	}
}

// Verify reads a whole backup file and checks it: header, format, every
// stream's rows, count and checksum, and its end. latestSchema, when not
// empty, is the newest migration this meibo knows: a file from a newer
// schema is refused.
func Verify(r io.Reader, latestSchema string) (*meibo.BackupInfo, error) {
	s, err := open(r)
	if err != nil {
		return nil, err
	}
	if latestSchema != "" && newerSchema(s.info.Schema, latestSchema) {
		return nil, meibo.Errorf(meibo.CodeInvalid, "backup.newer_schema", s.info.Schema, latestSchema)
	}
	// Rows are decoded too (into nothing), so that a file whose checksums
	// hold but whose values cannot be read is refused here as well.
	if err := s.read(func(string, []column) (tableSink, error) { return discard{}, nil }); err != nil {
		return nil, err
	}
	return &s.info, nil
}

type discard struct{}

func (discard) row([]any) error { return nil }
func (discard) done() error     { return nil }

// newerSchema reports whether the schema named by migration a is newer than
// b, by their numbers ("0007_backup_log.sql" is 7): the engines keep their
// migrations in step by number.
func newerSchema(a, b string) bool {
	na, nb := migrationNumber(a), migrationNumber(b)
	if na != nb {
		return na > nb
	}
	return a > b && na < 0
}

// migrationNumber is the number a migration's name starts with, or -1.
func migrationNumber(name string) int {
	digits := name[:len(name)-len(strings.TrimLeft(name, "0123456789"))]
	n, err := strconv.Atoi(digits)
	if err != nil {
		return -1
	}
	return n
}
