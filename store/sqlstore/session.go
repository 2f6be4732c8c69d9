package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/meibo/meibo"
)

// CreateSession stores a session.
func (t *Tx) CreateSession(ctx context.Context, s *meibo.Session) error {
	s.CreatedAt, s.LastSeenAt = t.now, t.now
	_, err := t.execContext(ctx, `INSERT INTO sessions (hash, kind, admin_id, user_id, csrf_token, lang, addr, user_agent, created_at, last_seen_at, expires_at, methods, stage, id_token)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		s.Hash, s.Kind, s.AdminID, s.UserID, s.CSRF, string(s.Lang), s.Addr, s.UserAgent, s.CreatedAt, s.LastSeenAt, s.ExpiresAt.UTC(), s.Methods, s.Stage, s.IDToken)
	switch {
	case t.d.IsForeignKey(err):
		return meibo.NotFound("not_found")
	case t.d.IsUnique(err):
		return meibo.Conflict("conflict.token")
	case err != nil:
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// Session finds a session by hash.
func (t *Tx) Session(ctx context.Context, hash string) (*meibo.Session, error) {
	var s meibo.Session
	var admin, user sql.Null[int64]
	var lang string
	err := t.queryRowContext(ctx, `SELECT hash, kind, admin_id, user_id, csrf_token, lang, addr, user_agent, created_at, last_seen_at, expires_at, methods, stage, id_token
		FROM sessions WHERE hash = $1`, hash).Scan(&s.Hash, &s.Kind, &admin, &user, &s.CSRF, &lang, &s.Addr, &s.UserAgent, &s.CreatedAt, &s.LastSeenAt, &s.ExpiresAt,
		&s.Methods, &s.Stage, &s.IDToken)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, meibo.NotFound("not_found")
	case err != nil:
		return nil, fmt.Errorf("read session: %w", err)
	}
	if admin.Valid {
		s.AdminID = &admin.V
	}
	if user.Valid {
		s.UserID = &user.V
	}
	s.Lang = meibo.Lang(lang)
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = s.CreatedAt.UTC(), s.LastSeenAt.UTC(), s.ExpiresAt.UTC()
	return &s, nil
}

// TouchSession records activity.
func (t *Tx) TouchSession(ctx context.Context, hash string, at time.Time) error {
	_, err := t.exec(ctx, "touch session", `UPDATE sessions SET last_seen_at = $1 WHERE hash = $2`, at.UTC(), hash)
	return err
}

// DeleteSession ends a session.
func (t *Tx) DeleteSession(ctx context.Context, hash string) error {
	_, err := t.exec(ctx, "delete session", `DELETE FROM sessions WHERE hash = $1`, hash)
	return err
}

// DeleteSessionsOf ends every session of an administrator or user but one.
func (t *Tx) DeleteSessionsOf(ctx context.Context, kind string, id int64, except string) error {
	col := "admin_id"
	if kind == meibo.SessionPortal {
		col = "user_id"
	}
	_, err := t.exec(ctx, "delete sessions", `DELETE FROM sessions WHERE kind = $1 AND `+col+` = $2 AND hash <> $3`, kind, id, except)
	return err
}

// DeleteExpired removes ended sessions and stale throttle counters.
func (t *Tx) DeleteExpired(ctx context.Context, idleBefore, throttleBefore time.Time) (int, error) {
	res, err := t.exec(ctx, "delete expired sessions", `DELETE FROM sessions WHERE expires_at < $1 OR last_seen_at < $2`, t.now, idleBefore.UTC())
	if err != nil {
		return 0, err
	}
	n := int(affected(res))
	res, err = t.exec(ctx, "delete stale throttles", `DELETE FROM sign_in_throttle WHERE updated_at < $1 AND (blocked_until IS NULL OR blocked_until < $2)`,
		throttleBefore.UTC(), t.now)
	if err != nil {
		return 0, err
	}
	return n + int(affected(res)), nil
}
