package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/meibo/meibo"
)

const scimTokenCols = `id, hash, group_id, name, admin_id, created_by, created_at, expires_at, last_used_at`

func scanSCIMToken(s scanner) (*meibo.SCIMToken, error) {
	var k meibo.SCIMToken
	var admin sql.Null[int64]
	var last sql.Null[time.Time]
	if err := s.Scan(&k.ID, &k.Hash, &k.GroupID, &k.Name, &admin, &k.CreatedBy, &k.CreatedAt, &k.ExpiresAt, &last); err != nil {
		return nil, err
	}
	if admin.Valid {
		k.AdminID = &admin.V
	}
	k.CreatedAt, k.ExpiresAt, k.LastUsedAt = k.CreatedAt.UTC(), k.ExpiresAt.UTC(), nullTime(last)
	return &k, nil
}

// CreateSCIMToken stores a SCIM token (by hash) and sets its ID.
func (t *Tx) CreateSCIMToken(ctx context.Context, k *meibo.SCIMToken) error {
	k.CreatedAt = t.now
	err := t.queryRowContext(ctx, `INSERT INTO scim_tokens (hash, group_id, name, admin_id, created_by, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, k.Hash, k.GroupID, k.Name, k.AdminID, k.CreatedBy, k.CreatedAt, k.ExpiresAt.UTC()).Scan(&k.ID)
	switch {
	case t.d.IsUnique(err):
		return meibo.Conflict("token.invalid")
	case t.d.IsForeignKey(err):
		return meibo.NotFound("not_found")
	case err != nil:
		return fmt.Errorf("create SCIM token: %w", err)
	}
	return nil
}

// SCIMToken finds a SCIM token by hash.
func (t *Tx) SCIMToken(ctx context.Context, hash string) (*meibo.SCIMToken, error) {
	k, err := scanSCIMToken(t.queryRowContext(ctx, `SELECT `+scimTokenCols+` FROM scim_tokens WHERE hash = $1`, hash))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, meibo.NotFound("token.invalid")
	case err != nil:
		return nil, fmt.Errorf("read SCIM token: %w", err)
	}
	return k, nil
}

// SCIMTokens lists a group's SCIM tokens, newest first.
func (t *Tx) SCIMTokens(ctx context.Context, groupID string) ([]*meibo.SCIMToken, error) {
	rows, err := t.queryContext(ctx, `SELECT `+scimTokenCols+` FROM scim_tokens WHERE group_id = $1 ORDER BY id DESC`, groupID)
	if err != nil {
		return nil, fmt.Errorf("list SCIM tokens: %w", err)
	}
	defer rows.Close()
	var out []*meibo.SCIMToken
	for rows.Next() {
		k, err := scanSCIMToken(rows)
		if err != nil {
			return nil, fmt.Errorf("list SCIM tokens: %w", err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list SCIM tokens: %w", err)
	}
	return out, nil
}

// TouchSCIMToken records a SCIM token's use.
func (t *Tx) TouchSCIMToken(ctx context.Context, id int64, at time.Time) error {
	_, err := t.exec(ctx, "touch SCIM token", `UPDATE scim_tokens SET last_used_at = $1 WHERE id = $2`, at, id)
	return err
}

// DeleteSCIMToken deletes a SCIM token.
func (t *Tx) DeleteSCIMToken(ctx context.Context, id int64) error {
	res, err := t.exec(ctx, "delete SCIM token", `DELETE FROM scim_tokens WHERE id = $1`, id)
	if err != nil {
		return err
	}
	if affected(res) == 0 {
		return meibo.NotFound("not_found")
	}
	return nil
}

// UserIdentities returns the stored identities of users.
func (t *Tx) UserIdentities(ctx context.Context, ids []int64) (map[int64]meibo.UserIdentity, error) {
	out := make(map[int64]meibo.UserIdentity, len(ids))
	per := min(t.d.MaxParams(), 500)
	for start := 0; start < len(ids); start += per {
		batch := ids[start:min(start+per, len(ids))]
		args := make([]any, len(batch))
		for i, id := range batch {
			args[i] = id
		}
		rows, err := t.queryContext(ctx, `SELECT user_id, external_id, given_name, family_name, display_name FROM user_identities
			WHERE user_id IN (`+inList(len(batch), 1)+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("read identities: %w", err)
		}
		for rows.Next() {
			var i meibo.UserIdentity
			if err := rows.Scan(&i.UserID, &i.ExternalID, &i.GivenName, &i.FamilyName, &i.DisplayName); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read identities: %w", err)
			}
			out[i.UserID] = i
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("read identities: %w", err)
		}
	}
	return out, nil
}

// UserIDByExternalID finds a user of a group by the external ID an
// identity provider gave it.
func (t *Tx) UserIDByExternalID(ctx context.Context, groupID, externalID string) (int64, error) {
	var id int64
	err := t.queryRowContext(ctx, `SELECT user_id FROM user_identities WHERE group_id = $1 AND external_id = $2 AND external_id <> ''`,
		groupID, externalID).Scan(&id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, meibo.NotFound("user.not_found")
	case err != nil:
		return 0, fmt.Errorf("find by external ID: %w", err)
	}
	return id, nil
}

// PutUserIdentity writes (or, when zero, removes) a user's identity.
func (t *Tx) PutUserIdentity(ctx context.Context, groupID string, i meibo.UserIdentity) error {
	if i.IsZero() {
		_, err := t.exec(ctx, "remove identity", `DELETE FROM user_identities WHERE user_id = $1`, i.UserID)
		return err
	}
	_, err := t.execContext(ctx, `INSERT INTO user_identities (user_id, group_id, external_id, given_name, family_name, display_name)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (user_id) DO UPDATE SET external_id = excluded.external_id, given_name = excluded.given_name,
			family_name = excluded.family_name, display_name = excluded.display_name`,
		i.UserID, groupID, i.ExternalID, i.GivenName, i.FamilyName, i.DisplayName)
	switch {
	case t.d.IsUnique(err):
		return meibo.ConflictField("externalId", "user.external.exists", i.ExternalID)
	case t.d.IsForeignKey(err):
		return meibo.NotFound("user.not_found")
	case err != nil:
		return fmt.Errorf("write identity: %w", err)
	}
	return nil
}

// RenameUser changes a user's name (and folded name); the engines'
// triggers keep the keyword index and the licence count in step.
func (t *Tx) RenameUser(ctx context.Context, id int64, name string) error {
	res, err := t.execContext(ctx, `UPDATE users SET name = $1, name_fold = $2, updated_at = $3 WHERE id = $4`, name, meibo.Fold(name), t.now, id)
	switch {
	case t.d.IsUnique(err):
		return meibo.ConflictField("name", "user.exists", name)
	case err != nil:
		return fmt.Errorf("rename user: %w", err)
	}
	if affected(res) == 0 {
		return meibo.NotFound("user.not_found")
	}
	return nil
}

const personalTokenCols = `hash, user_id, name, created_at, expires_at, last_used_at`

func scanPersonalToken(s scanner) (*meibo.PersonalToken, error) {
	var k meibo.PersonalToken
	var last sql.Null[time.Time]
	if err := s.Scan(&k.Hash, &k.UserID, &k.Name, &k.CreatedAt, &k.ExpiresAt, &last); err != nil {
		return nil, err
	}
	k.ID = meibo.PersonalTokenID(k.Hash)
	k.CreatedAt, k.ExpiresAt, k.LastUsedAt = k.CreatedAt.UTC(), k.ExpiresAt.UTC(), nullTime(last)
	return &k, nil
}

// CreatePersonalToken stores a user's personal token (by hash).
func (t *Tx) CreatePersonalToken(ctx context.Context, k *meibo.PersonalToken) error {
	k.CreatedAt = t.now
	k.ID = meibo.PersonalTokenID(k.Hash)
	_, err := t.execContext(ctx, `INSERT INTO api_tokens (hash, user_id, name, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
		k.Hash, k.UserID, k.Name, k.CreatedAt, k.ExpiresAt.UTC())
	switch {
	case t.d.IsUnique(err):
		return meibo.Conflict("token.invalid")
	case t.d.IsForeignKey(err):
		return meibo.NotFound("user.not_found")
	case err != nil:
		return fmt.Errorf("create personal token: %w", err)
	}
	return nil
}

// PersonalToken finds a personal token by hash.
func (t *Tx) PersonalToken(ctx context.Context, hash string) (*meibo.PersonalToken, error) {
	k, err := scanPersonalToken(t.queryRowContext(ctx, `SELECT `+personalTokenCols+` FROM api_tokens WHERE hash = $1 AND user_id IS NOT NULL`, hash))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, meibo.NotFound("token.invalid")
	case err != nil:
		return nil, fmt.Errorf("read personal token: %w", err)
	}
	return k, nil
}

// PersonalTokens lists a user's personal tokens, newest first.
func (t *Tx) PersonalTokens(ctx context.Context, userID int64) ([]*meibo.PersonalToken, error) {
	rows, err := t.queryContext(ctx, `SELECT `+personalTokenCols+` FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC, hash`, userID)
	if err != nil {
		return nil, fmt.Errorf("list personal tokens: %w", err)
	}
	defer rows.Close()
	var out []*meibo.PersonalToken
	for rows.Next() {
		k, err := scanPersonalToken(rows)
		if err != nil {
			return nil, fmt.Errorf("list personal tokens: %w", err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list personal tokens: %w", err)
	}
	return out, nil
}

// TouchPersonalToken records a personal token's use.
func (t *Tx) TouchPersonalToken(ctx context.Context, hash string, at time.Time) error {
	_, err := t.exec(ctx, "touch personal token", `UPDATE api_tokens SET last_used_at = $1 WHERE hash = $2 AND user_id IS NOT NULL`, at, hash)
	return err
}

// DeletePersonalToken deletes one token of a user by its handle.
func (t *Tx) DeletePersonalToken(ctx context.Context, userID int64, id string) (bool, error) {
	if len(id) != 16 {
		return false, nil
	}
	res, err := t.exec(ctx, "delete personal token", `DELETE FROM api_tokens WHERE user_id = $1 AND substr(hash, 1, 16) = $2`, userID, id)
	if err != nil {
		return false, err
	}
	return affected(res) > 0, nil
}

// DeletePersonalTokensOf deletes every personal token of the users.
func (t *Tx) DeletePersonalTokensOf(ctx context.Context, userIDs []int64) (int, error) {
	n := 0
	per := min(t.d.MaxParams(), 500)
	for start := 0; start < len(userIDs); start += per {
		batch := userIDs[start:min(start+per, len(userIDs))]
		args := make([]any, len(batch))
		for i, id := range batch {
			args[i] = id
		}
		res, err := t.exec(ctx, "delete personal tokens", `DELETE FROM api_tokens WHERE user_id IN (`+inList(len(batch), 1)+`)`, args...)
		if err != nil {
			return 0, err
		}
		n += int(affected(res))
	}
	return n, nil
}
