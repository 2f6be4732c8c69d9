package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/meibo/meibo"
)

// CreateGroup inserts a group.
func (t *Tx) CreateGroup(ctx context.Context, g *meibo.Group) error {
	g.CreatedAt, g.UpdatedAt = t.now, t.now
	_, err := t.execContext(ctx, `INSERT INTO groups (id, name, created_at, updated_at) VALUES ($1, $2, $3, $4)`,
		g.ID, g.Name, g.CreatedAt, g.UpdatedAt)
	switch {
	case t.d.IsUnique(err):
		return meibo.ConflictField("id", "group.exists", g.ID)
	case err != nil:
		return fmt.Errorf("create group: %w", err)
	}
	return nil
}

const groupCols = `id, name, created_at, updated_at`

func scanGroup(s scanner) (*meibo.Group, error) {
	var g meibo.Group
	if err := s.Scan(&g.ID, &g.Name, &g.CreatedAt, &g.UpdatedAt); err != nil {
		return nil, err
	}
	g.CreatedAt, g.UpdatedAt = g.CreatedAt.UTC(), g.UpdatedAt.UTC()
	return &g, nil
}

// Group finds a group by ID without regard to case.
func (t *Tx) Group(ctx context.Context, id string) (*meibo.Group, error) {
	return one(ctx, t, scanGroup, meibo.NotFound("group.not_found", id), "read group", `SELECT `+groupCols+` FROM groups WHERE lower(id) = lower($1)`, id)
}

// Groups lists groups in ID order; ids nil means all.
func (t *Tx) Groups(ctx context.Context, ids []string) ([]*meibo.Group, error) {
	q := `SELECT ` + groupCols + ` FROM groups`
	var args []any
	if ids != nil {
		if len(ids) == 0 {
			return []*meibo.Group{}, nil
		}
		q += ` WHERE lower(id) IN (` + inList(len(ids), 1) + `)`
		for _, id := range ids {
			args = append(args, strings.ToLower(id))
		}
	}
	return all(ctx, t, scanGroup, "list groups", q+` ORDER BY id`, args...)
}

// UpdateGroup writes the group's name.
func (t *Tx) UpdateGroup(ctx context.Context, g *meibo.Group) error {
	g.UpdatedAt = t.now
	res, err := t.exec(ctx, "update group", `UPDATE groups SET name = $1, updated_at = $2 WHERE id = $3`, g.Name, g.UpdatedAt, g.ID)
	if err != nil {
		return err
	}
	if affected(res) == 0 {
		return meibo.NotFound("group.not_found", g.ID)
	}
	return nil
}

// DeleteGroup deletes a group with its profiles; it must have no users or
// devices. They are counted first: after the foreign-key error the
// transaction is spent on PostgreSQL and can no longer count them.
func (t *Tx) DeleteGroup(ctx context.Context, id string) error {
	users, devices, err := t.GroupUsage(ctx, id)
	if err != nil {
		return err
	}
	if users > 0 || devices > 0 {
		return meibo.Conflict("group.not_empty", id, users, devices)
	}
	// Revoked devices go with the group, their commands with them; the
	// audit log keeps their history.
	if _, err := t.execContext(ctx, `DELETE FROM devices WHERE group_id = $1 AND revoked_at IS NOT NULL`, id); err != nil {
		return fmt.Errorf("delete the group's revoked devices: %w", err)
	}
	res, err := t.execContext(ctx, `DELETE FROM groups WHERE id = $1`, id)
	switch {
	case t.d.IsForeignKey(err): // a member was added meanwhile
		return meibo.Conflict("group.not_empty", id, users, devices)
	case err != nil:
		return fmt.Errorf("delete group: %w", err)
	}
	if affected(res) == 0 {
		return meibo.NotFound("group.not_found", id)
	}
	return nil
}

// GroupUsage counts the users and the enrolled (not revoked) devices of a
// group.
func (t *Tx) GroupUsage(ctx context.Context, id string) (users, devices int, err error) {
	err = t.queryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM users WHERE group_id = $1),
		(SELECT COUNT(*) FROM devices WHERE group_id = $1 AND revoked_at IS NULL)`, id).Scan(&users, &devices)
	if err != nil {
		return 0, 0, fmt.Errorf("count group members: %w", err)
	}
	return users, devices, nil
}
