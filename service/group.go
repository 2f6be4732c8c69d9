package service

import (
	"context"
	"strings"

	"github.com/meibo/meibo"
)

// CreateGroup creates a group with its default profile (every action, API
// access allowed). Department administrators cannot create groups.
func (s *Service) CreateGroup(ctx context.Context, g meibo.Group) (*meibo.Group, error) {
	a, err := requireUsers(ctx)
	if err != nil {
		return nil, err
	}
	if a.Department() {
		return nil, refuse(a, "authority", "groups", meibo.Forbidden("forbidden.department"))
	}
	g.Name = groupName(g.ID, g.Name)
	if err := g.Validate(); err != nil {
		return nil, err
	}
	err = s.store.Update(ctx, func(tx meibo.Tx) error {
		if cur, err := tx.Group(ctx, g.ID); err == nil {
			// Named as it is written (IDs are found without regard to
			// case: g001 is G001).
			return meibo.ConflictField("id", "group.exists", cur.ID)
		} else if meibo.ErrorCode(err) != meibo.CodeNotFound {
			return err
		}
		if err := tx.CreateGroup(ctx, &g); err != nil {
			return err
		}
		p := &meibo.Profile{GroupID: g.ID, Name: meibo.DefaultProfileName, Actions: meibo.AllActions, APIAccess: true, Default: true}
		if err := tx.CreateProfile(ctx, p); err != nil {
			return err
		}
		return s.audit(ctx, tx, "group.create", meibo.CategoryConfig, "group", g.ID, g.ID, map[string]any{"name": g.Name})
	})
	if err != nil {
		return nil, err
	}
	return &g, nil
}

// Groups lists the groups the actor may see.
func (s *Service) Groups(ctx context.Context) ([]*meibo.Group, error) {
	a, err := require(ctx, meibo.AuthConsole)
	if err != nil {
		return nil, err
	}
	var out []*meibo.Group
	err = s.store.View(ctx, func(tx meibo.Tx) error {
		out, err = tx.Groups(ctx, a.Scope())
		return err
	})
	return out, err
}

// Group returns one group the actor may see.
func (s *Service) Group(ctx context.Context, id string) (*meibo.Group, error) {
	a, err := require(ctx, meibo.AuthConsole)
	if err != nil {
		return nil, err
	}
	var g *meibo.Group
	err = s.store.View(ctx, func(tx meibo.Tx) error {
		g, err = s.group(ctx, tx, a, id)
		return err
	})
	return g, err
}

// groupName is the name a group is given: the name without surrounding
// spaces, or its ID when that leaves nothing (the same on creation and on
// renaming).
func groupName(id, name string) string {
	if name = strings.TrimSpace(name); name == "" {
		return id
	}
	return name
}

// UpdateGroup renames a group; a blank name gives it its ID as name, as on
// creation.
func (s *Service) UpdateGroup(ctx context.Context, id, name string) (*meibo.Group, error) {
	a, err := requireUsers(ctx)
	if err != nil {
		return nil, err
	}
	var g *meibo.Group
	err = s.store.Update(ctx, func(tx meibo.Tx) error {
		if g, err = s.group(ctx, tx, a, id); err != nil {
			return err
		}
		before := g.Name
		g.Name = groupName(g.ID, name)
		if err := g.Validate(); err != nil {
			return err
		}
		if err := tx.UpdateGroup(ctx, g); err != nil {
			return err
		}
		return s.audit(ctx, tx, "group.update", meibo.CategoryConfig, "group", g.ID, g.ID,
			map[string]any{"before": map[string]any{"name": before}, "after": map[string]any{"name": g.Name}})
	})
	return g, err
}

// DeleteGroup deletes an empty group with its profiles.
func (s *Service) DeleteGroup(ctx context.Context, id string) error {
	a, err := requireUsers(ctx)
	if err != nil {
		return err
	}
	if a.Department() {
		return refuse(a, "authority", "groups", meibo.Forbidden("forbidden.department"))
	}
	return s.store.Update(ctx, func(tx meibo.Tx) error {
		g, err := s.group(ctx, tx, a, id)
		if err != nil {
			return err
		}
		users, devices, err := tx.GroupUsage(ctx, g.ID)
		if err != nil {
			return err
		}
		if users > 0 || devices > 0 {
			return meibo.Conflict("group.not_empty", g.ID, users, devices)
		}
		if err := tx.DeleteGroup(ctx, g.ID); err != nil {
			return err
		}
		return s.audit(ctx, tx, "group.delete", meibo.CategoryConfig, "group", g.ID, g.ID, map[string]any{"name": g.Name})
	})
}

// GroupUsage counts the users and devices of a group the actor may see. It
// counts every member, so it costs in proportion to the group's size: for
// one group's page, not for a list of all of them.
func (s *Service) GroupUsage(ctx context.Context, id string) (users, devices int, err error) {
	a, err := require(ctx, meibo.AuthConsole)
	if err != nil {
		return 0, 0, err
	}
	err = s.store.View(ctx, func(tx meibo.Tx) error {
		g, err := s.group(ctx, tx, a, id)
		if err != nil {
			return err
		}
		users, devices, err = tx.GroupUsage(ctx, g.ID)
		return err
	})
	return users, devices, err
}
