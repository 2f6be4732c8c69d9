package sqlstore

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/meibo/meibo"
)

// importChangeBlock is how many changes one row of import_change_blocks
// holds. A row per change, with its foreign key checked and seven values
// bound, cost an import of 100,000 new users an eighth of its time on SQLite
// and a sixth on PostgreSQL; a page of the list reads one or two blocks.
const importChangeBlock = 250

// blockChange is one change as a block holds it, in a JSON array:
// [row, kind, action, name, changes]. Its seq is the block's first_seq plus
// its place in the block.
type blockChange struct {
	Row     int
	Kind    string
	Action  string
	Name    string
	Changes string
}

// appendBlock appends a block's changes to enc as a JSON array of arrays.
// Written token by token: encoding/json's reflection and a marshaller per
// change were two thirds of the cost of recording the changes of an import
// of new users on SQLite.
func appendBlock(enc *jsontext.Encoder, block []blockChange) error {
	if err := enc.WriteToken(jsontext.BeginArray); err != nil {
		return err
	}
	for _, c := range block {
		for _, tok := range [...]jsontext.Token{jsontext.BeginArray, jsontext.Int(int64(c.Row)), jsontext.String(c.Kind),
			jsontext.String(c.Action), jsontext.String(c.Name), jsontext.String(c.Changes), jsontext.EndArray} {
			if err := enc.WriteToken(tok); err != nil {
				return err
			}
		}
	}
	return enc.WriteToken(jsontext.EndArray)
}

func (c *blockChange) UnmarshalJSON(b []byte) error {
	return json.Unmarshal(b, &[]any{&c.Row, &c.Kind, &c.Action, &c.Name, &c.Changes})
}

// AddImportChanges appends what a job changed, numbered after its last, in
// blocks of importChangeBlock.
func (t *Tx) AddImportChanges(ctx context.Context, jobID int64, changes []meibo.ImportChange) error {
	var seq int
	if err := t.queryRowContext(ctx, `SELECT COALESCE((SELECT MAX(last_seq) FROM import_change_blocks WHERE job_id = $1),
		(SELECT MAX(seq) FROM import_changes WHERE job_id = $1), 0)`, jobID).Scan(&seq); err != nil {
		return fmt.Errorf("add import changes: %w", err)
	}
	const cols = 4
	per := min(t.batchSize(cols), 50)
	args := make([]any, 0, per*cols)
	rows := 0
	flush := func() error {
		if rows == 0 {
			return nil
		}
		if _, err := t.exec(ctx, "add import changes", `INSERT INTO import_change_blocks (job_id, first_seq, last_seq, changes)
			VALUES `+t.valuesList(rows, cols, 1, nil), args...); err != nil {
			return err
		}
		args, rows = args[:0], 0
		return nil
	}
	block := make([]blockChange, 0, importChangeBlock)
	var text bytes.Buffer
	enc := jsontext.NewEncoder(&text)
	for start := 0; start < len(changes); start += importChangeBlock {
		block = block[:0]
		for _, c := range changes[start:min(start+importChangeBlock, len(changes))] {
			if c.Kind != meibo.ChangeUser && c.Kind != meibo.ChangeAdmin {
				return fmt.Errorf("add import changes: unknown kind %q", c.Kind)
			}
			if c.Action != meibo.ChangeCreated && c.Action != meibo.ChangeUpdated && c.Action != meibo.ChangeDeleted {
				return fmt.Errorf("add import changes: unknown action %q", c.Action)
			}
			block = append(block, blockChange{Row: c.Row, Kind: c.Kind, Action: c.Action, Name: c.Name, Changes: c.Changes})
		}
		text.Reset()
		enc.Reset(&text)
		if err := appendBlock(enc, block); err != nil {
			return fmt.Errorf("add import changes: %w", err)
		}
		args = append(args, jobID, seq+1, seq+len(block), string(bytes.TrimSuffix(text.Bytes(), []byte("\n"))))
		seq += len(block)
		if rows++; rows == per {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// ImportChanges lists a job's changes in the order they were recorded (row
// order) after seq afterSeq, at most limit (0: all). A job of an earlier
// version of meibo has its changes a row each in import_changes.
func (t *Tx) ImportChanges(ctx context.Context, jobID int64, afterSeq, limit int) ([]meibo.ImportChange, error) {
	q := `SELECT seq, row, kind, action, name, changes FROM import_changes WHERE job_id = $1 AND seq > $2 ORDER BY seq`
	if limit > 0 {
		q += " LIMIT " + strconv.Itoa(limit)
	}
	rows, err := t.queryContext(ctx, q, jobID, afterSeq)
	if err != nil {
		return nil, fmt.Errorf("list import changes: %w", err)
	}
	defer rows.Close()
	var out []meibo.ImportChange
	for rows.Next() {
		var c meibo.ImportChange
		if err := rows.Scan(&c.Seq, &c.Row, &c.Kind, &c.Action, &c.Name, &c.Changes); err != nil {
			return nil, fmt.Errorf("list import changes: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil || len(out) > 0 {
		return out, err
	}
	return t.importChangeBlocks(ctx, jobID, afterSeq, limit)
}

// importChangeBlocks reads a job's changes after afterSeq from its blocks.
func (t *Tx) importChangeBlocks(ctx context.Context, jobID int64, afterSeq, limit int) ([]meibo.ImportChange, error) {
	rows, err := t.queryContext(ctx, `SELECT first_seq, changes FROM import_change_blocks WHERE job_id = $1 AND last_seq > $2 ORDER BY first_seq`, jobID, afterSeq)
	if err != nil {
		return nil, fmt.Errorf("list import changes: %w", err)
	}
	defer rows.Close()
	var out []meibo.ImportChange
	for rows.Next() && (limit <= 0 || len(out) < limit) {
		var first int
		var text string
		if err := rows.Scan(&first, &text); err != nil {
			return nil, fmt.Errorf("list import changes: %w", err)
		}
		var block []blockChange
		if err := json.Unmarshal([]byte(text), &block); err != nil {
			return nil, fmt.Errorf("list import changes of job %d from %d: %w", jobID, first, err)
		}
		for i, c := range block {
			seq := first + i
			if seq <= afterSeq {
				continue
			}
			if limit > 0 && len(out) == limit {
				break
			}
			out = append(out, meibo.ImportChange{Seq: seq, Row: c.Row, Kind: c.Kind, Action: c.Action, Name: c.Name, Changes: c.Changes})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list import changes: %w", err)
	}
	return out, nil
}
