package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/meibo/meibo"
)

const importCols = `id, format, encoding, detected_encoding, group_id, update_existing, send_invitations, dry_run, allow_weak_hashes, file_name, size, sha256,
	created_by, created_at, started_at, finished_at, status, rows, progress, created, updated, deleted, unchanged, error_count,
	warning_count, message, worker, heartbeat_at, request, confirms`

func scanImportJob(s scanner) (*meibo.ImportJob, error) {
	var j meibo.ImportJob
	var started, finished, heartbeat sql.Null[time.Time]
	var confirms sql.Null[int64]
	var status string
	if err := s.Scan(&j.ID, &j.Format, &j.Encoding, &j.DetectedEncoding, &j.GroupID, &j.UpdateExisting, &j.SendInvitations, &j.DryRun, &j.AllowWeakHashes,
		&j.FileName, &j.Size, &j.SHA256, &j.CreatedBy, &j.CreatedAt, &started, &finished, &status, &j.Rows, &j.Progress,
		&j.Created, &j.Updated, &j.Deleted, &j.Unchanged, &j.ErrorCount, &j.WarningCount, &j.Message, &j.Worker, &heartbeat, &j.Request, &confirms); err != nil {
		return nil, err
	}
	j.Status = meibo.ImportStatus(status)
	j.Confirms = confirms.V
	j.CreatedAt = j.CreatedAt.UTC()
	j.StartedAt, j.FinishedAt, j.HeartbeatAt = nullTime(started), nullTime(finished), nullTime(heartbeat)
	return &j, nil
}

// CreateImportJob records a job with its file.
func (t *Tx) CreateImportJob(ctx context.Context, j *meibo.ImportJob, file []byte) error {
	j.CreatedAt = t.now
	if j.Status == "" {
		j.Status = meibo.ImportQueued
	}
	err := t.queryRowContext(ctx, `INSERT INTO import_jobs (format, encoding, detected_encoding, group_id, update_existing, send_invitations, dry_run,
		file_name, size, sha256, created_by, created_at, status, allow_weak_hashes, request, confirms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id`,
		j.Format, j.Encoding, j.DetectedEncoding, j.GroupID, j.UpdateExisting, j.SendInvitations, j.DryRun,
		j.FileName, j.Size, j.SHA256, j.CreatedBy, j.CreatedAt, string(j.Status), j.AllowWeakHashes, j.Request,
		sql.Null[int64]{V: j.Confirms, Valid: j.Confirms != 0}).Scan(&j.ID)
	switch {
	case err != nil && j.Confirms != 0 && t.d.IsUnique(err):
		// Another job confirmed the same dry run at the same time.
		return meibo.Conflict("import.confirm.racing")
	case err != nil:
		return fmt.Errorf("create import job: %w", err)
	}
	return t.putImportFile(ctx, j.ID, file)
}

// putImportFile writes file as the job's chunks from seq 0; an empty file is
// one empty chunk.
func (t *Tx) putImportFile(ctx context.Context, id int64, file []byte) error {
	seq := 0
	for {
		n := min(len(file), meibo.ImportFileChunk)
		if err := t.AppendImportFile(ctx, id, seq, file[:n]); err != nil {
			return err
		}
		file, seq = file[n:], seq+1
		if len(file) == 0 {
			return nil
		}
	}
}

// AppendImportFile writes chunk seq of a job's kept file.
func (t *Tx) AppendImportFile(ctx context.Context, id int64, seq int, data []byte) error {
	if data == nil {
		data = []byte{}
	}
	_, err := t.exec(ctx, "keep import file", `INSERT INTO import_files (job_id, seq, data) VALUES ($1, $2, $3)`, id, seq, data)
	return err
}

// ImportJob finds a job by ID.
func (t *Tx) ImportJob(ctx context.Context, id int64) (*meibo.ImportJob, error) {
	return one(ctx, t, scanImportJob, meibo.NotFound("not_found"), "read import job", `SELECT `+importCols+` FROM import_jobs WHERE id = $1`, id)
}

// ImportJobs lists jobs newest first.
func (t *Tx) ImportJobs(ctx context.Context, f meibo.ImportFilter) ([]*meibo.ImportJob, error) {
	var w conds
	arg := w.arg
	if f.GroupIDs != nil {
		var ph []string
		for _, g := range f.GroupIDs {
			ph = append(ph, arg(strings.ToLower(g)))
		}
		cond := "FALSE"
		if len(ph) > 0 {
			cond = "lower(group_id) IN (" + strings.Join(ph, ", ") + ")"
		}
		if f.NoGroup {
			cond = "(" + cond + " OR group_id = '')"
		}
		w.add(cond)
	}
	if f.Status != "" {
		w.add("status = " + arg(string(f.Status)))
	}
	if f.NotFormat != "" {
		w.add("format <> " + arg(f.NotFormat))
	}
	if f.Format != "" {
		w.add("format = " + arg(f.Format))
	}
	if f.GroupID != "" {
		w.add("lower(group_id) = " + arg(strings.ToLower(f.GroupID)))
	}
	if f.CreatedBy != "" {
		w.add("created_by = " + arg(f.CreatedBy))
	}
	if !f.From.IsZero() {
		w.add("created_at >= " + arg(f.From.UTC()))
	}
	if !f.To.IsZero() {
		w.add("created_at < " + arg(f.To.UTC()))
	}
	if f.BeforeID > 0 {
		w.add("id < " + arg(f.BeforeID))
	}
	limit := f.Limit
	switch {
	case limit <= 0:
		limit = 50
	case limit > 500:
		limit = 500 // asked for more than a page holds: a full page
	}
	q := `SELECT ` + importCols + ` FROM import_jobs`
	q += w.sql()
	return all(ctx, t, scanImportJob, "list import jobs", q+" ORDER BY id DESC LIMIT "+strconv.Itoa(limit), w.args...)
}

// ImportJobConfirmedBy returns the job that imported (or is importing) the
// dry run id for real, 0 when none has; a confirmation that failed wrote
// nothing and does not count.
func (t *Tx) ImportJobConfirmedBy(ctx context.Context, id int64) (int64, error) {
	var by int64
	err := t.queryRowContext(ctx, `SELECT id FROM import_jobs WHERE confirms = $1 AND status <> 'FAILED'`, id).Scan(&by)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read the import of dry run %d: %w", id, err)
	}
	return by, nil
}

// ImportFile returns a job's uploaded file, its chunks joined.
func (t *Tx) ImportFile(ctx context.Context, id int64) ([]byte, error) {
	rows, err := t.queryContext(ctx, `SELECT data FROM import_files WHERE job_id = $1 ORDER BY seq`, id)
	if err != nil {
		return nil, fmt.Errorf("read import file: %w", err)
	}
	defer rows.Close()
	var file []byte
	found := false
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, fmt.Errorf("read import file: %w", err)
		}
		file, found = append(file, b...), true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read import file: %w", err)
	}
	if !found {
		return nil, meibo.NotFound("not_found")
	}
	if file == nil {
		file = []byte{}
	}
	return file, nil
}

// ImportFileChunkAfter returns the chunk of a job's kept file that follows
// chunk after (-1: the first), and its seq; io.EOF after the last.
func (t *Tx) ImportFileChunkAfter(ctx context.Context, id int64, after int) (int, []byte, error) {
	var seq int
	var b []byte
	err := t.queryRowContext(ctx, `SELECT seq, data FROM import_files WHERE job_id = $1 AND seq > $2 ORDER BY seq LIMIT 1`, id, after).Scan(&seq, &b)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, nil, io.EOF
	case err != nil:
		return 0, nil, fmt.Errorf("read import file: %w", err)
	}
	return seq, b, nil
}

// ReplaceImportFile replaces the kept file of a job.
func (t *Tx) ReplaceImportFile(ctx context.Context, id int64, data []byte) error {
	if _, err := t.exec(ctx, "replace import file", `DELETE FROM import_files WHERE job_id = $1`, id); err != nil {
		return err
	}
	return t.putImportFile(ctx, id, data)
}

// ClaimImportJob moves the oldest QUEUED job to RUNNING.
func (t *Tx) ClaimImportJob(ctx context.Context, worker string) (*meibo.ImportJob, error) {
	return t.claim(ctx, worker, `SELECT id FROM import_jobs WHERE status = 'QUEUED' ORDER BY id LIMIT 1 `+t.d.SkipLocked())
}

// ClaimImportJobID claims one QUEUED job.
func (t *Tx) ClaimImportJobID(ctx context.Context, id int64, worker string) (*meibo.ImportJob, error) {
	return t.claim(ctx, worker, `SELECT id FROM import_jobs WHERE status = 'QUEUED' AND id = `+strconv.FormatInt(id, 10)+` `+t.d.SkipLocked())
}

func (t *Tx) claim(ctx context.Context, worker, pick string) (*meibo.ImportJob, error) {
	j, err := scanImportJob(t.queryRowContext(ctx, `UPDATE import_jobs SET status = 'RUNNING', worker = $1, started_at = $2, heartbeat_at = $2
		WHERE status = 'QUEUED' AND id = (`+pick+`) RETURNING `+importCols, worker, t.now))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("claim import job: %w", err)
	}
	return j, nil
}

// UpdateImportJob writes a job's status, progress, counts and times.
func (t *Tx) UpdateImportJob(ctx context.Context, j *meibo.ImportJob) error {
	_, err := t.writeImportJob(ctx, j, "")
	return err
}

// FinishImportJob writes a job's outcome while it is RUNNING in j.Worker's
// hands.
func (t *Tx) FinishImportJob(ctx context.Context, j *meibo.ImportJob) (bool, error) {
	return t.writeImportJob(ctx, j, ` AND status = 'RUNNING' AND worker = $16`)
}

func (t *Tx) writeImportJob(ctx context.Context, j *meibo.ImportJob, cond string) (bool, error) {
	args := []any{j.DetectedEncoding, string(j.Status), j.StartedAt, j.FinishedAt, j.Rows, j.Progress, j.Created, j.Updated, j.Deleted, j.Unchanged,
		j.ErrorCount, j.WarningCount, j.Message, j.HeartbeatAt, j.ID}
	if cond != "" {
		args = append(args, j.Worker)
	}
	res, err := t.exec(ctx, "update import job", `UPDATE import_jobs SET detected_encoding = $1, status = $2, started_at = $3, finished_at = $4,
		rows = $5, progress = $6, created = $7, updated = $8, deleted = $9, unchanged = $10, error_count = $11, warning_count = $12,
		message = $13, heartbeat_at = $14 WHERE id = $15`+cond, args...)
	if err != nil {
		return false, err
	}
	return affected(res) == 1, nil
}

// TouchImportJob records a sign of life of a job RUNNING in worker's hands.
func (t *Tx) TouchImportJob(ctx context.Context, id int64, worker string, rows int, progress float64) (bool, error) {
	res, err := t.exec(ctx, "touch import job", `UPDATE import_jobs SET heartbeat_at = $1, rows = $2, progress = $3
		WHERE id = $4 AND status = 'RUNNING' AND worker = $5`, t.now, rows, progress, id, worker)
	if err != nil {
		return false, err
	}
	return affected(res) == 1, nil
}

const importMessageCols = 7

// AddImportMessages appends errors and warnings to a job.
func (t *Tx) AddImportMessages(ctx context.Context, jobID int64, msgs []meibo.ImportMessage) error {
	var seq int
	if err := t.queryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM import_messages WHERE job_id = $1`, jobID).Scan(&seq); err != nil {
		return fmt.Errorf("add import messages: %w", err)
	}
	per := t.batchSize(importMessageCols)
	for start := 0; start < len(msgs); start += per {
		batch := msgs[start:min(start+per, len(msgs))]
		args := make([]any, 0, len(batch)*importMessageCols)
		for _, m := range batch {
			seq++
			args = append(args, jobID, seq, m.Warning, m.Row, m.Column, m.Text, m.TextJA)
		}
		if _, err := t.exec(ctx, "add import messages", `INSERT INTO import_messages (job_id, seq, warning, row, col, message, message_ja)
			VALUES `+t.valuesList(len(batch), importMessageCols, 1, nil), args...); err != nil {
			return err
		}
	}
	return nil
}

// ImportMessages lists a job's messages in row order.
func (t *Tx) ImportMessages(ctx context.Context, jobID int64, limit int) ([]meibo.ImportMessage, error) {
	q := `SELECT warning, row, col, message, message_ja FROM import_messages WHERE job_id = $1 ORDER BY row, seq`
	if limit > 0 {
		q += " LIMIT " + strconv.Itoa(limit)
	}
	rows, err := t.queryContext(ctx, q, jobID)
	if err != nil {
		return nil, fmt.Errorf("list import messages: %w", err)
	}
	defer rows.Close()
	out := []meibo.ImportMessage{}
	for rows.Next() {
		m := meibo.ImportMessage{JobID: jobID}
		if err := rows.Scan(&m.Warning, &m.Row, &m.Column, &m.Text, &m.TextJA); err != nil {
			return nil, fmt.Errorf("list import messages: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// FailStaleImports marks FAILED every RUNNING job not heard of since before.
func (t *Tx) FailStaleImports(ctx context.Context, before time.Time, message string) ([]*meibo.ImportJob, error) {
	rows, err := t.queryContext(ctx, `UPDATE import_jobs SET status = 'FAILED', finished_at = $1, message = $2, progress = 0,
		created = 0, updated = 0, deleted = 0, unchanged = 0, error_count = error_count + 1
		WHERE status = 'RUNNING' AND (heartbeat_at IS NULL OR heartbeat_at < $3) RETURNING `+importCols, t.now, message, before.UTC())
	if err != nil {
		return nil, fmt.Errorf("fail stale import jobs: %w", err)
	}
	defer rows.Close()
	var out []*meibo.ImportJob
	for rows.Next() {
		j, err := scanImportJob(rows)
		if err != nil {
			return nil, fmt.Errorf("fail stale import jobs: %w", err)
		}
		out = append(out, j)
	}
	return out, rows.Err()
}
