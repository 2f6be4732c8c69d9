package service

import (
	"context"
	"strconv"

	"github.com/meibo/meibo"
)

// CreateProfile adds a profile to a group.
func (s *Service) CreateProfile(ctx context.Context, groupID string, p meibo.Profile) (*meibo.Profile, error) {
	a, err := requireUsers(ctx)
	if err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	p.Default = false
	err = s.store.Update(ctx, func(tx meibo.Tx) error {
		g, err := s.group(ctx, tx, a, groupID)
		if err != nil {
			return err
		}
		p.GroupID = g.ID
		if err := tx.CreateProfile(ctx, &p); err != nil {
			return err
		}
		return s.audit(ctx, tx, "profile.create", meibo.CategoryConfig, "profile", strconv.FormatInt(p.ID, 10), g.ID, profileDetails(&p))
	})
	if err != nil {
		return nil, err
	}
	return &p, nil
}

func profileDetails(p *meibo.Profile) map[string]any {
	return map[string]any{"name": p.Name, "actions": p.Actions, "apiAccess": p.APIAccess}
}

// Profiles lists a group's profiles.
func (s *Service) Profiles(ctx context.Context, groupID string) ([]*meibo.Profile, error) {
	a, err := require(ctx, meibo.AuthConsole)
	if err != nil {
		return nil, err
	}
	var out []*meibo.Profile
	err = s.store.View(ctx, func(tx meibo.Tx) error {
		g, err := s.group(ctx, tx, a, groupID)
		if err != nil {
			return err
		}
		out, err = tx.Profiles(ctx, g.ID)
		return err
	})
	return out, err
}

// profileInScope loads a profile and checks the actor may act on its group.
func (s *Service) profileInScope(ctx context.Context, tx meibo.Tx, a *meibo.Actor, id int64) (*meibo.Profile, error) {
	p, err := tx.Profile(ctx, id)
	if err != nil {
		return nil, err
	}
	if !a.InScope(p.GroupID) {
		return nil, refuse(a, "scope", "profile "+idString(p.ID), meibo.NotFound("not_found"))
	}
	return p, nil
}

// ProfileUpdate holds the fields of a profile to change.
type ProfileUpdate struct {
	Name      *string         `json:"name"`
	Actions   *[]meibo.Action `json:"actions"`
	APIAccess *bool           `json:"apiAccess"`
}

// UpdateProfile changes a profile. A profile that stops allowing API access
// overrides the flag of its users (see User.APIAccess) until it allows it
// again.
func (s *Service) UpdateProfile(ctx context.Context, id int64, up ProfileUpdate) (*meibo.Profile, error) {
	a, err := requireUsers(ctx)
	if err != nil {
		return nil, err
	}
	var p *meibo.Profile
	err = s.store.Update(ctx, func(tx meibo.Tx) error {
		if p, err = s.profileInScope(ctx, tx, a, id); err != nil {
			return err
		}
		before := profileDetails(p)
		if up.Name != nil {
			p.Name = *up.Name
		}
		if up.Actions != nil {
			p.Actions = append([]meibo.Action{}, (*up.Actions)...)
		}
		if up.APIAccess != nil {
			p.APIAccess = *up.APIAccess
		}
		if err := p.Validate(); err != nil {
			return err
		}
		// The default profile allows everything (DESIGN.md); only its name
		// may change.
		if p.Default && (len(p.Actions) != len(meibo.AllActions) || !p.APIAccess) {
			return meibo.FieldError("actions", "profile.default.all")
		}
		if err := tx.UpdateProfile(ctx, p); err != nil {
			return err
		}
		if err := s.endProfileTokens(ctx, tx, p); err != nil {
			return err
		}
		return s.audit(ctx, tx, "profile.update", meibo.CategoryConfig, "profile", strconv.FormatInt(p.ID, 10), p.GroupID,
			map[string]any{"before": before, "after": profileDetails(p)})
	})
	return p, err
}

// DeleteProfile deletes a profile that is not the default and not in use.
func (s *Service) DeleteProfile(ctx context.Context, id int64) error {
	a, err := requireUsers(ctx)
	if err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx meibo.Tx) error {
		p, err := s.profileInScope(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if p.Default {
			return meibo.Conflict("profile.default")
		}
		n, err := tx.ProfileUsers(ctx, p.ID)
		if err != nil {
			return err
		}
		if n > 0 {
			return meibo.Conflict("profile.in_use", p.Name, n)
		}
		if err := tx.DeleteProfile(ctx, p.ID); err != nil {
			return err
		}
		return s.audit(ctx, tx, "profile.delete", meibo.CategoryConfig, "profile", strconv.FormatInt(p.ID, 10), p.GroupID, profileDetails(p))
	})
}
