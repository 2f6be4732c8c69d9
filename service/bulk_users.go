package service

import (
	"context"
	"strconv"
	"strings"

	"github.com/meibo/meibo"
)

// bulkWriteBatch is how many members are written between two progress
// reports.
const bulkWriteBatch = 2000

// selectUsers reads the users a request selects: the filter's matches
// through the users list's search, or the users of its IDs, each of which
// must be in the group.
func (b *bulkRun) selectUsers(ctx context.Context, tx meibo.Tx, g *meibo.Group) ([]*meibo.User, error) {
	var out []*meibo.User
	if f := b.req.Filter; f != nil {
		uf := userFilter(g.ID, *f)
		if strings.TrimSpace(f.Keyword) == "" {
			// Conditions on columns only: one read of the set.
			err := tx.EachUserMatching(ctx, uf, func(u *meibo.User) error {
				out = append(out, u)
				return nil
			})
			return out, err
		}
		// A keyword: what the users list's search matches, page by page.
		err := eachUserPage(ctx, tx, uf, func(us []*meibo.User) error {
			out = append(out, us...)
			b.prog.Rows.Store(int64(len(out)))
			return nil
		})
		return out, err
	}
	seen := make(map[int64]bool, len(b.req.IDs))
	for i, id := range b.req.IDs {
		if seen[id] {
			continue
		}
		seen[id] = true
		u, err := tx.User(ctx, id)
		switch {
		case meibo.ErrorCode(err) == meibo.CodeNotFound || err == nil && u.GroupID != g.ID:
			b.refuse(i+1, "", meibo.M("bulk.not_in_group", id))
			continue
		case err != nil:
			return nil, err
		}
		out = append(out, u)
	}
	return out, nil
}

func onOff(v bool) string { return strconv.FormatBool(v) }

// applyUsers checks every selected user against the action's rules and, with
// write, makes the change set by set.
func (b *bulkRun) applyUsers(ctx context.Context, tx meibo.Tx, g *meibo.Group, write bool) error {
	users, err := b.selectUsers(ctx, tx, g)
	if err != nil {
		return err
	}
	var changed []*meibo.User
	noAPI := false // the users move to a profile without API access
	switch b.req.Action {
	case BulkDisable, BulkEnable:
		want := b.req.Action == BulkDisable
		for _, u := range users {
			if u.Disabled == want {
				b.same++
				continue
			}
			b.change(u.ID, u.Name, "disabled", onOff(u.Disabled), onOff(want))
			u.Disabled = want
			changed = append(changed, u)
		}
	case BulkProfile:
		p, err := tx.ProfileByName(ctx, g.ID, b.req.Profile)
		if err != nil {
			return err
		}
		noAPI = !p.APIAccess
		for i, u := range users {
			if u.ProfileID == p.ID {
				b.same++
				continue
			}
			if u.APIAccess && !p.APIAccess {
				b.refuse(i+1, "", meibo.M("bulk.refused.api", u.Name, p.Name))
				continue
			}
			b.change(u.ID, u.Name, "profile", u.ProfileName, p.Name)
			u.ProfileID, u.ProfileName = p.ID, p.Name
			changed = append(changed, u)
		}
	case BulkDelete:
		for _, u := range users {
			b.change(u.ID, u.Name, "deleted", u.Name, "")
		}
		changed = users
	case BulkInvite, BulkReset:
		for _, u := range users {
			// An invitation is for a user who has no password yet; a
			// reset for one who may sign in. Others are left as they are.
			if u.Email == "" || u.Disabled || b.req.Action == BulkInvite && u.HasPassword() {
				b.same++
				continue
			}
			what := "invitation"
			if b.req.Action == BulkReset {
				what = "reset"
			}
			b.change(u.ID, u.Name, what, "", u.Email)
			changed = append(changed, u)
		}
	case BulkSignOut:
		for _, u := range users {
			b.change(u.ID, u.Name, "sessions", "", "ended")
		}
		changed = users
	}
	if b.req.Action == BulkDelete {
		b.deleted = len(changed)
	} else {
		b.updated = len(changed)
	}
	if !write || b.errors > 0 {
		return nil
	}
	b.progress(0, len(changed))
	ids := make([]int64, len(changed))
	for i, u := range changed {
		ids[i] = u.ID
	}
	for start := 0; start < len(changed); start += bulkWriteBatch {
		end := min(start+bulkWriteBatch, len(changed))
		set, setIDs := changed[start:end], ids[start:end]
		switch b.req.Action {
		case BulkDisable, BulkEnable, BulkProfile:
			var change meibo.UserSet
			if b.req.Action == BulkProfile {
				change.ProfileID = &set[0].ProfileID
			} else {
				change.Disabled = &set[0].Disabled
			}
			if err := tx.SetUsers(ctx, setIDs, change); err != nil {
				return err
			}
			if b.req.Action == BulkDisable {
				// Disabling ends the users' sessions and links, and their
				// personal API tokens.
				if err := tx.EndUsersAccess(ctx, setIDs, tx.Now()); err != nil {
					return err
				}
			}
			if b.req.Action == BulkDisable || b.req.Action == BulkProfile && noAPI {
				// A disabled user, or one in a profile without API
				// access, holds no personal token.
				if _, err := tx.DeletePersonalTokensOf(ctx, setIDs); err != nil {
					return err
				}
			}
		case BulkSignOut:
			if err := tx.EndUsersAccess(ctx, setIDs, tx.Now()); err != nil {
				return err
			}
		case BulkDelete:
			if err := tx.DeleteUsers(ctx, setIDs); err != nil {
				return err
			}
			// Invitations and resets not yet sent carry links that no
			// longer work: fail them rather than send them.
			if err := tx.FailUsersMails(ctx, setIDs, meibo.M("mail.link.user_gone").In(meibo.English)); err != nil {
				return err
			}
		case BulkInvite, BulkReset:
			purpose := meibo.MailInvitation
			if b.req.Action == BulkReset {
				purpose = meibo.MailReset
			}
			msgs := make([]*meibo.MailMessage, 0, len(set))
			for _, u := range set {
				m, err := b.s.linkMail(ctx, tx, u, g, purpose, "", true)
				if err != nil {
					return err
				}
				msgs = append(msgs, m)
			}
			if err := tx.CreateMails(ctx, msgs); err != nil {
				return err
			}
			b.mails += len(msgs)
		}
		b.progress(end, len(changed))
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return b.afterUsers(ctx, tx, g)
}

// afterUsers deletes the profile the users left, or the group they were
// all deleted from, when the request asks for it.
func (b *bulkRun) afterUsers(ctx context.Context, tx meibo.Tx, g *meibo.Group) error {
	switch {
	case b.req.DeleteProfile:
		p, err := tx.Profile(ctx, *b.req.Filter.ProfileID)
		if err != nil {
			return err
		}
		if n, err := tx.ProfileUsers(ctx, p.ID); err != nil {
			return err
		} else if n > 0 {
			return meibo.Conflict("profile.in_use", p.Name, n)
		}
		if err := tx.DeleteProfile(ctx, p.ID); err != nil {
			return err
		}
		return b.s.audit(ctx, tx, "profile.delete", meibo.CategoryConfig, "profile", idString(p.ID), p.GroupID, profileDetails(p))
	case b.req.DeleteGroup:
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
		return b.s.audit(ctx, tx, "group.delete", meibo.CategoryConfig, "group", g.ID, g.ID, map[string]any{"name": g.Name, "users": b.deleted})
	}
	return nil
}
