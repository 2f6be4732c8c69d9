package sqlstore

import (
	"context"
	"fmt"
	"strconv"

	"github.com/meibo/meibo"
)

const importChangeCols = 7

// AddImportChanges appends what a job changed, numbered after its last.
func (t *Tx) AddImportChanges(ctx context.Context, jobID int64, changes []meibo.ImportChange) error {
	var seq int
	if err := t.queryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM import_changes WHERE job_id = $1`, jobID).Scan(&seq); err != nil {
		return fmt.Errorf("add import changes: %w", err)
	}
	if c := t.copier(len(changes)); c != nil {
		// COPY: a multi-row INSERT of the same rows costs PostgreSQL
		// several times as much (the changes of 100,000 new users, 1.5 s
		// of an import of 10).
		rows := make([][]any, len(changes))
		for i, ch := range changes {
			seq++
			rows[i] = []any{jobID, seq, ch.Row, ch.Kind, ch.Action, ch.Name, ch.Changes}
		}
		cols := []string{"job_id", "seq", "row", "kind", "action", "name", "changes"}
		if err := t.copyRows(ctx, c, "import_changes", cols, rows); err != nil {
			return fmt.Errorf("add import changes: %w", err)
		}
		return nil
	}
	per := t.batchSize(importChangeCols)
	for start := 0; start < len(changes); start += per {
		batch := changes[start:min(start+per, len(changes))]
		args := make([]any, 0, len(batch)*importChangeCols)
		for _, c := range batch {
			seq++
			args = append(args, jobID, seq, c.Row, c.Kind, c.Action, c.Name, c.Changes)
		}
		if _, err := t.exec(ctx, "add import changes", `INSERT INTO import_changes (job_id, seq, row, kind, action, name, changes)
			VALUES `+t.valuesList(len(batch), importChangeCols, 1, nil), args...); err != nil {
			return err
		}
	}
	return nil
}

// ImportChanges lists a job's changes in the order they were recorded (row
// order) after seq afterSeq, at most limit (0: all).
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
	return out, rows.Err()
}
