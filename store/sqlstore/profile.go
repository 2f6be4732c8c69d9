package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/meibo/meibo"
)

func actionsText(as []meibo.Action) string {
	parts := make([]string, len(as))
	for i, a := range as {
		parts[i] = string(a)
	}
	return strings.Join(parts, ",")
}

// CreateProfile inserts a profile.
func (t *Tx) CreateProfile(ctx context.Context, p *meibo.Profile) error {
	p.CreatedAt, p.UpdatedAt = t.now, t.now
	err := t.queryRowContext(ctx, `INSERT INTO profiles (group_id, name, actions, api_access, is_default, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		p.GroupID, p.Name, actionsText(p.Actions), p.APIAccess, p.Default, p.CreatedAt, p.UpdatedAt).Scan(&p.ID)
	switch {
	case t.d.IsUnique(err):
		return meibo.ConflictField("name", "profile.exists", p.Name)
	case t.d.IsForeignKey(err):
		return meibo.NotFound("group.not_found", p.GroupID)
	case err != nil:
		return fmt.Errorf("create profile: %w", err)
	}
	return nil
}

const profileCols = `id, group_id, name, actions, api_access, is_default, created_at, updated_at, members_version, members_changed_at`

func scanProfile(s scanner) (*meibo.Profile, error) {
	var p meibo.Profile
	var actions string
	var changed sql.Null[time.Time]
	if err := s.Scan(&p.ID, &p.GroupID, &p.Name, &actions, &p.APIAccess, &p.Default, &p.CreatedAt, &p.UpdatedAt,
		&p.MembersVersion, &changed); err != nil {
		return nil, err
	}
	p.MembersChangedAt = nullTime(changed)
	p.Actions = []meibo.Action{}
	for _, a := range splitList(actions) {
		p.Actions = append(p.Actions, meibo.Action(a))
	}
	p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	return &p, nil
}

func (t *Tx) oneProfile(ctx context.Context, notFound *meibo.Error, where string, args ...any) (*meibo.Profile, error) {
	return one(ctx, t, scanProfile, error(notFound), "read profile", `SELECT `+profileCols+` FROM profiles WHERE `+where, args...)
}

// Profile finds a profile by ID.
func (t *Tx) Profile(ctx context.Context, id int64) (*meibo.Profile, error) {
	return t.oneProfile(ctx, meibo.NotFound("not_found"), `id = $1`, id)
}

// ProfileByName finds a profile of a group by its exact name.
func (t *Tx) ProfileByName(ctx context.Context, groupID, name string) (*meibo.Profile, error) {
	return t.oneProfile(ctx, meibo.NotFound("profile.not_found", name), `group_id = $1 AND name = $2`, groupID, name)
}

// Profiles lists a group's profiles, the default first, then by name.
func (t *Tx) Profiles(ctx context.Context, groupID string) ([]*meibo.Profile, error) {
	return all(ctx, t, scanProfile, "list profiles", `SELECT `+profileCols+` FROM profiles WHERE group_id = $1 ORDER BY is_default DESC, name`, groupID)
}

// UpdateProfile writes the profile's name, actions and API access.
func (t *Tx) UpdateProfile(ctx context.Context, p *meibo.Profile) error {
	p.UpdatedAt = t.now
	res, err := t.execContext(ctx, `UPDATE profiles SET name = $1, actions = $2, api_access = $3, updated_at = $4 WHERE id = $5`,
		p.Name, actionsText(p.Actions), p.APIAccess, p.UpdatedAt, p.ID)
	switch {
	case t.d.IsUnique(err):
		return meibo.ConflictField("name", "profile.exists", p.Name)
	case err != nil:
		return fmt.Errorf("update profile: %w", err)
	}
	if affected(res) == 0 {
		return meibo.NotFound("not_found")
	}
	return nil
}

// DeleteProfile deletes a profile that no user has. Its users are counted
// first: after the foreign-key error the transaction is spent on PostgreSQL
// and can no longer count them.
func (t *Tx) DeleteProfile(ctx context.Context, id int64) error {
	p, err := t.Profile(ctx, id)
	if err != nil {
		return err
	}
	n, err := t.ProfileUsers(ctx, id)
	if err != nil {
		return err
	}
	if n > 0 {
		return meibo.Conflict("profile.in_use", p.Name, n)
	}
	res, err := t.execContext(ctx, `DELETE FROM profiles WHERE id = $1`, id)
	switch {
	case t.d.IsForeignKey(err): // a user was given the profile meanwhile
		return meibo.Conflict("profile.in_use", p.Name, n)
	case err != nil:
		return fmt.Errorf("delete profile: %w", err)
	}
	if affected(res) == 0 {
		return meibo.NotFound("not_found")
	}
	return nil
}

// ProfileUsers counts the users that have a profile.
func (t *Tx) ProfileUsers(ctx context.Context, id int64) (int, error) {
	var n int
	if err := t.queryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE profile_id = $1`, id).Scan(&n); err != nil {
		return 0, fmt.Errorf("count profile users: %w", err)
	}
	return n, nil
}
