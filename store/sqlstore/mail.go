package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/meibo/meibo"
)

const mailCols = `id, kind, group_id, user_id, lang, to_addr, subject, text_body, html_body, status, attempts, last_error,
	created_at, next_attempt_at, give_up_at, sent_at, claimed_by, link_expires_at`

func scanMail(s scanner) (*meibo.MailMessage, error) {
	var m meibo.MailMessage
	var userID sql.Null[int64]
	var sent, linkExpires sql.Null[time.Time]
	var status, lang string
	if err := s.Scan(&m.ID, &m.Kind, &m.GroupID, &userID, &lang, &m.To, &m.Subject, &m.Text, &m.HTML, &status, &m.Attempts, &m.LastError,
		&m.CreatedAt, &m.NextAttemptAt, &m.GiveUpAt, &sent, &m.ClaimedBy, &linkExpires); err != nil {
		return nil, err
	}
	if userID.Valid {
		m.UserID = &userID.V
	}
	m.Status, m.Lang = meibo.MailStatus(status), meibo.Lang(lang)
	m.CreatedAt, m.NextAttemptAt, m.GiveUpAt = m.CreatedAt.UTC(), m.NextAttemptAt.UTC(), m.GiveUpAt.UTC()
	m.SentAt, m.LinkExpiresAt = nullTime(sent), nullTime(linkExpires)
	return &m, nil
}

const mailInsertCols = 13

// CreateMails writes messages to the outbox, pending and due now.
func (t *Tx) CreateMails(ctx context.Context, msgs []*meibo.MailMessage) error {
	per := t.batchSize(mailInsertCols)
	for start := 0; start < len(msgs); start += per {
		batch := msgs[start:min(start+per, len(msgs))]
		args := make([]any, 0, len(batch)*mailInsertCols)
		for _, m := range batch {
			m.CreatedAt, m.NextAttemptAt, m.Status = t.now, t.now, meibo.MailPending
			if m.GiveUpAt.IsZero() {
				m.GiveUpAt = t.now.Add(24 * time.Hour)
			}
			var linkExpires any
			if m.LinkExpiresAt != nil {
				linkExpires = m.LinkExpiresAt.UTC()
			}
			args = append(args, m.Kind, m.GroupID, m.UserID, string(m.Lang), m.To, m.Subject, m.Text, m.HTML, string(m.Status),
				m.CreatedAt, m.NextAttemptAt, m.GiveUpAt.UTC(), linkExpires)
		}
		rows, err := t.queryContext(ctx, `INSERT INTO mail_outbox (kind, group_id, user_id, lang, to_addr, subject, text_body, html_body, status,
			created_at, next_attempt_at, give_up_at, link_expires_at) VALUES `+t.valuesList(len(batch), mailInsertCols, 1, nil)+` RETURNING id`, args...)
		if err != nil {
			return fmt.Errorf("write outbox: %w", err)
		}
		// IDs are handed out in the order of the VALUES list on both
		// engines; RETURNING need not keep it, so sort them.
		ids := make([]int64, 0, len(batch))
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return fmt.Errorf("write outbox: %w", err)
			}
			ids = append(ids, id)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("write outbox: %w", err)
		}
		if len(ids) != len(batch) {
			return fmt.Errorf("write outbox: %d of %d IDs returned", len(ids), len(batch))
		}
		slices.Sort(ids)
		for i, id := range ids {
			batch[i].ID = id
		}
	}
	return nil
}

// Mail finds an outbox message.
func (t *Tx) Mail(ctx context.Context, id int64) (*meibo.MailMessage, error) {
	return one(ctx, t, scanMail, meibo.NotFound("not_found"), "read outbox", `SELECT `+mailCols+` FROM mail_outbox WHERE id = $1`, id)
}

// Mails lists outbox messages newest first.
func (t *Tx) Mails(ctx context.Context, f meibo.MailFilter) ([]*meibo.MailMessage, error) {
	var w conds
	arg := w.arg
	if f.Status != "" {
		w.add("status = " + arg(string(f.Status)))
	}
	if f.GroupIDs != nil {
		if len(f.GroupIDs) == 0 {
			return []*meibo.MailMessage{}, nil
		}
		lower := make([]string, len(f.GroupIDs))
		for i, g := range f.GroupIDs {
			lower[i] = strings.ToLower(g)
		}
		w.add("lower(group_id) IN (" + w.list(lower) + ")")
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
	q := `SELECT ` + mailCols + ` FROM mail_outbox`
	q += w.sql()
	return all(ctx, t, scanMail, "list outbox", q+" ORDER BY id DESC LIMIT "+strconv.Itoa(limit), w.args...)
}

// ClaimMails holds due pending messages for worker.
func (t *Tx) ClaimMails(ctx context.Context, worker string, leaseUntil time.Time, limit int) ([]*meibo.MailMessage, error) {
	if limit <= 0 {
		limit = 10
	}
	rows, err := t.queryContext(ctx, `UPDATE mail_outbox SET claimed_by = $1, claimed_until = $2
		WHERE id IN (SELECT id FROM mail_outbox WHERE status = 'pending' AND next_attempt_at <= $3
			AND (claimed_until IS NULL OR claimed_until < $3) ORDER BY next_attempt_at, id LIMIT `+strconv.Itoa(limit)+` `+t.d.SkipLocked()+`)
		RETURNING `+mailCols, worker, leaseUntil.UTC(), t.now)
	if err != nil {
		return nil, fmt.Errorf("claim outbox: %w", err)
	}
	defer rows.Close()
	var out []*meibo.MailMessage
	for rows.Next() {
		m, err := scanMail(rows)
		if err != nil {
			return nil, fmt.Errorf("claim outbox: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// FinishMail writes an attempt's outcome of a message worker holds.
func (t *Tx) FinishMail(ctx context.Context, m *meibo.MailMessage, worker string) (bool, error) {
	res, err := t.exec(ctx, "finish outbox message", `UPDATE mail_outbox SET status = $1, attempts = $2, last_error = $3, next_attempt_at = $4,
		sent_at = $5, claimed_by = '', claimed_until = NULL WHERE id = $6 AND claimed_by = $7 AND status = 'pending'`,
		string(m.Status), m.Attempts, m.LastError, m.NextAttemptAt.UTC(), m.SentAt, m.ID, worker)
	if err != nil {
		return false, err
	}
	return affected(res) == 1, nil
}

// FailUserMails fails the pending messages to a user.
func (t *Tx) FailUserMails(ctx context.Context, userID int64, reason string) error {
	return t.failMails(ctx, "fail user's mail", "user_id = $3", reason, userID)
}

// failMails fails the pending messages of where (whose arguments follow
// reason and the time) with reason. A message a worker holds, its lease
// not run out, is in flight: the worker may be handing it to the SMTP
// server, and failing it under the worker would record a delivered
// message as failed. It is marked void instead: its worker fails it with
// the reason if it has not minted its link yet (HoldMail), and records
// the delivery if it has.
func (t *Tx) failMails(ctx context.Context, what, where, reason string, args ...any) error {
	args = append([]any{reason, t.now}, args...)
	if _, err := t.exec(ctx, what, `UPDATE mail_outbox SET status = 'failed', last_error = $1, claimed_by = '', claimed_until = NULL
		WHERE status = 'pending' AND (claimed_until IS NULL OR claimed_until < $2) AND `+where, args...); err != nil {
		return err
	}
	_, err := t.exec(ctx, what, `UPDATE mail_outbox SET void_reason = $1
		WHERE status = 'pending' AND claimed_until >= $2 AND `+where, args...)
	return err
}

// HoldMail tells whether worker still holds the pending message id, and
// the reason it was made void while held ("" when it was not). It writes
// the message's row, so that on PostgreSQL a FailUserMails waits for the
// transaction that called it.
func (t *Tx) HoldMail(ctx context.Context, id int64, worker string) (bool, string, error) {
	var void string
	err := t.queryRowContext(ctx, `UPDATE mail_outbox SET claimed_until = claimed_until
		WHERE id = $1 AND claimed_by = $2 AND status = 'pending' RETURNING void_reason`, id, worker).Scan(&void)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, "", nil
	case err != nil:
		return false, "", fmt.Errorf("hold outbox message: %w", err)
	}
	return true, void, nil
}

// MailBacklog counts the pending messages and reads the time of the oldest.
func (t *Tx) MailBacklog(ctx context.Context) (int, time.Time, error) {
	var n int
	if err := t.queryRowContext(ctx, `SELECT COUNT(*) FROM mail_outbox WHERE status = 'pending'`).Scan(&n); err != nil {
		return 0, time.Time{}, fmt.Errorf("count pending mail: %w", err)
	}
	if n == 0 {
		return 0, time.Time{}, nil
	}
	var oldest time.Time
	err := t.queryRowContext(ctx, `SELECT created_at FROM mail_outbox WHERE status = 'pending' ORDER BY created_at LIMIT 1`).Scan(&oldest)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, time.Time{}, nil
	} else if err != nil {
		return 0, time.Time{}, fmt.Errorf("read oldest pending mail: %w", err)
	}
	return n, oldest.UTC(), nil
}
