package service

import (
	"context"
	"errors"
	"unicode"
	"unicode/utf8"

	"github.com/meibo/meibo"
)

// ProvisionedUser is a user as an identity provider sees it: the user and
// what the provider told of it beside.
type ProvisionedUser struct {
	User     *meibo.User
	Identity meibo.UserIdentity
}

// ProvisionState is the whole state of a user that a provisioning change
// asks for. Password nil leaves the password as it is; Profile blank keeps
// the profile (the group's default for a new user).
type ProvisionState struct {
	Name      string
	Email     string
	Password  *string
	Profile   string
	Admin     bool
	APIAccess bool
	Disabled  bool
	Identity  meibo.UserIdentity
}

// StateOf returns the state of a user as it is.
func StateOf(p *ProvisionedUser) ProvisionState {
	u := p.User
	return ProvisionState{Name: u.Name, Email: u.Email, Profile: u.ProfileName, Admin: u.Admin, APIAccess: u.APIAccess,
		Disabled: u.Disabled, Identity: p.Identity}
}

// ProvisionOp is one change of a group's users: a new user (UserID 0), a
// change of one, or its deletion. Apply gets the user as it is in the
// change's transaction (nil for a new one) and returns the state wanted;
// Done, if set, hears of the user once the change is made.
type ProvisionOp struct {
	UserID int64
	// Target, when set, gives UserID when the change is made (a user that
	// an earlier change of the same batch created).
	Target func() (int64, error)
	Delete bool
	Apply  func(cur *ProvisionedUser) (*ProvisionState, error)
	Done   func(*ProvisionedUser)
}

// ProvisionResult is the outcome of one ProvisionOp.
type ProvisionResult struct {
	User *ProvisionedUser // nil after a deletion or an error
	Err  error
}

// Provision applies changes to a group's users with the rules of imports:
// the actor's authority and department scope, the profile's API access, the
// password policy, the licence limit, audit. With atomic, every change is
// made in one transaction and the first error undoes them all (the results
// end at the failed change); otherwise each is made alone, and after
// maxErrors errors (0: no limit) the rest are not tried. An error of a
// change's own Target or Apply refuses that change alone.
func (s *Service) Provision(ctx context.Context, groupID string, ops []ProvisionOp, atomic bool, maxErrors int) ([]ProvisionResult, error) {
	a, err := requireUsers(ctx)
	if err != nil {
		return nil, err
	}
	if atomic {
		return s.provisionAtomic(ctx, a, groupID, ops, nil)
	}
	results := make([]ProvisionResult, 0, len(ops))
	errs := 0
	for _, op := range ops {
		var p *ProvisionedUser
		err := s.store.Update(ctx, func(tx meibo.Tx) error {
			g, err := s.lockedGroup(ctx, tx, a, groupID)
			if err != nil {
				return err
			}
			p, err = s.provisionOne(ctx, tx, g, op)
			return err
		})
		if err != nil {
			var refused *opRefused
			if meibo.ErrorCode(err) == meibo.CodeInternal && !errors.As(err, &refused) {
				return results, err
			}
			results = append(results, ProvisionResult{Err: err})
			if errs++; maxErrors > 0 && errs >= maxErrors {
				break
			}
			continue
		}
		if op.Done != nil {
			op.Done(p)
		}
		results = append(results, ProvisionResult{User: p})
	}
	return results, nil
}

// ProvisionProfile applies changes to a group's users as Provision does
// with atomic, once check has accepted the profile as it is in the
// changes' transaction: a client's version of the profile is compared with
// the one that is changed, not with one that another change may replace
// before this one is made. An error of check is returned as it is, and
// nothing is written.
func (s *Service) ProvisionProfile(ctx context.Context, groupID string, profileID int64,
	check func(p *meibo.Profile) error, ops []ProvisionOp) ([]ProvisionResult, error) {
	a, err := requireUsers(ctx)
	if err != nil {
		return nil, err
	}
	return s.provisionAtomic(ctx, a, groupID, ops, func(tx meibo.Tx, g *meibo.Group) error {
		p, err := tx.Profile(ctx, profileID)
		if meibo.ErrorCode(err) == meibo.CodeNotFound || err == nil && p.GroupID != g.ID {
			return meibo.NotFound("profile.not_found", idString(profileID))
		} else if err != nil {
			return err
		}
		return check(p)
	})
}

// lockedGroup returns the group a changes users of, with the users locked
// for the transaction.
func (s *Service) lockedGroup(ctx context.Context, tx meibo.Tx, a *meibo.Actor, groupID string) (*meibo.Group, error) {
	g, err := s.group(ctx, tx, a, groupID)
	if err != nil {
		return nil, err
	}
	return g, tx.Lock(ctx, "users")
}

// provisionAtomic makes every change in one transaction, after before (if
// set) has run in it with the users locked.
func (s *Service) provisionAtomic(ctx context.Context, a *meibo.Actor, groupID string, ops []ProvisionOp,
	before func(meibo.Tx, *meibo.Group) error) ([]ProvisionResult, error) {
	results := make([]ProvisionResult, 0, len(ops))
	err := s.store.Update(ctx, func(tx meibo.Tx) error {
		g, err := s.lockedGroup(ctx, tx, a, groupID)
		if err != nil {
			return err
		}
		if before != nil {
			if err := before(tx, g); err != nil {
				return err
			}
		}
		for _, op := range ops {
			p, err := s.provisionOne(ctx, tx, g, op)
			results = append(results, ProvisionResult{User: p, Err: err})
			if err != nil {
				return err
			}
			if op.Done != nil {
				op.Done(p)
			}
		}
		return nil
	})
	if err != nil && len(results) > 0 && results[len(results)-1].Err != nil {
		return results, nil
	}
	return results, err
}

// opRefused is an error of a change's own Target or Apply: the caller's
// reason to refuse that change (a value it cannot read, a version it does
// not hold), not a failure of the service, so that the changes after it
// are still tried. It unwraps to the caller's error.
type opRefused struct{ err error }

func (e *opRefused) Error() string { return e.err.Error() }
func (e *opRefused) Unwrap() error { return e.err }

// provisionOne makes one change inside tx.
func (s *Service) provisionOne(ctx context.Context, tx meibo.Tx, g *meibo.Group, op ProvisionOp) (*ProvisionedUser, error) {
	var cur *ProvisionedUser
	if op.Target != nil {
		id, err := op.Target()
		if err != nil {
			return nil, &opRefused{err}
		}
		op.UserID = id
	}
	if op.UserID != 0 {
		u, err := tx.User(ctx, op.UserID)
		if meibo.ErrorCode(err) == meibo.CodeNotFound || err == nil && u.GroupID != g.ID {
			return nil, meibo.NotFound("user.id.not_found", op.UserID)
		} else if err != nil {
			return nil, err
		}
		ids, err := tx.UserIdentities(ctx, []int64{u.ID})
		if err != nil {
			return nil, err
		}
		cur = &ProvisionedUser{User: u, Identity: ids[u.ID]}
	}
	if op.Delete {
		if cur == nil {
			return nil, meibo.NotFound("user.id.not_found", op.UserID)
		}
		if err := tx.DeleteUsers(ctx, []int64{cur.User.ID}); err != nil {
			return nil, err
		}
		if err := tx.FailUserMails(ctx, cur.User.ID, meibo.M("mail.link.user_gone").In(meibo.English)); err != nil {
			return nil, err
		}
		return nil, s.audit(ctx, tx, "user.delete", meibo.CategoryUser, "user", cur.User.Name, g.ID, userDetails(cur.User))
	}
	var copied *ProvisionedUser
	if cur != nil {
		u := *cur.User
		copied = &ProvisionedUser{User: &u, Identity: cur.Identity}
	}
	st, err := op.Apply(copied)
	if err != nil {
		return nil, &opRefused{err}
	}
	if cur == nil {
		return s.provisionCreate(ctx, tx, g, st)
	}
	return s.provisionUpdate(ctx, tx, g, cur, st)
}

// Bounds of what an identity provider tells of a user beside its fields,
// as the JSON API bounds free text.
const (
	// IdentityNameMaxLength bounds a display name, a given and a family
	// name, in characters.
	IdentityNameMaxLength = 100
	// ExternalIDMaxLength bounds an identity provider's ID of a user, in
	// characters (Entra ID's are 36, Okta's 20).
	ExternalIDMaxLength = 255
)

// checkIdentity validates the parts of id that differ from was (all of them
// for a new user, zero was): at most their bound, no control characters, so
// that a user kept from before a bound can still be changed otherwise.
func checkIdentity(id, was meibo.UserIdentity) error {
	var v meibo.Validation
	for _, f := range []struct {
		field    string
		now, was string
		max      int
	}{
		{"externalId", id.ExternalID, was.ExternalID, ExternalIDMaxLength},
		{"displayName", id.DisplayName, was.DisplayName, IdentityNameMaxLength},
		{"givenName", id.GivenName, was.GivenName, IdentityNameMaxLength},
		{"familyName", id.FamilyName, was.FamilyName, IdentityNameMaxLength},
	} {
		if f.now == f.was {
			continue
		}
		if utf8.RuneCountInString(f.now) > f.max {
			v.Add(f.field, "too_long", f.max)
			continue
		}
		for _, r := range f.now {
			if unicode.IsControl(r) {
				v.Add(f.field, "control_chars")
				break
			}
		}
	}
	return v.Err()
}

func (s *Service) provisionProfile(ctx context.Context, tx meibo.Tx, g *meibo.Group, st *ProvisionState) (*meibo.Profile, error) {
	p, err := resolveProfile(ctx, tx, g.ID, st.Profile)
	if err != nil {
		return nil, err
	}
	if st.APIAccess && !p.APIAccess {
		return nil, meibo.FieldError("apiAccess", "profile.api", p.Name)
	}
	return p, nil
}

func (s *Service) provisionPassword(st *ProvisionState, groupID string) (string, error) {
	if st.Password == nil || *st.Password == "" {
		return "", nil
	}
	if err := meibo.CheckPassword(*st.Password, st.Name, st.Email, groupID); err != nil {
		return "", err
	}
	return s.hashPassword(*st.Password)
}

func (s *Service) provisionCreate(ctx context.Context, tx meibo.Tx, g *meibo.Group, st *ProvisionState) (*ProvisionedUser, error) {
	st.Name = meibo.NormalizeName(st.Name)
	u := &meibo.User{GroupID: g.ID, Name: st.Name, Email: st.Email, Admin: st.Admin, APIAccess: st.APIAccess, Disabled: st.Disabled}
	if err := u.Validate(); err != nil {
		return nil, err
	}
	if err := checkIdentity(st.Identity, meibo.UserIdentity{}); err != nil {
		return nil, err
	}
	p, err := s.provisionProfile(ctx, tx, g, st)
	if err != nil {
		return nil, err
	}
	u.ProfileID, u.ProfileName = p.ID, p.Name
	if _, err := userNamed(ctx, tx, g.ID, u.Name); err == nil {
		return nil, meibo.ConflictField("name", "user.exists", u.Name)
	} else if meibo.ErrorCode(err) != meibo.CodeNotFound {
		return nil, err
	}
	if u.PasswordHash, err = s.provisionPassword(st, g.ID); err != nil {
		return nil, err
	}
	if u.PasswordHash != "" {
		u.PasswordChangedAt = ptr(tx.Now())
	}
	if err := s.checkLicence(ctx, tx, []meibo.UnifiedKey{u.UnifiedKey()}, nil); err != nil {
		return nil, err
	}
	if err := tx.CreateUsers(ctx, []*meibo.User{u}); err != nil {
		return nil, err
	}
	id := st.Identity
	id.UserID = u.ID
	if err := tx.PutUserIdentity(ctx, g.ID, id); err != nil {
		return nil, err
	}
	details := userDetails(u)
	addIdentityDetails(details, id)
	if err := s.audit(ctx, tx, "user.create", meibo.CategoryUser, "user", u.Name, g.ID, details); err != nil {
		return nil, err
	}
	return &ProvisionedUser{User: u, Identity: id}, nil
}

func (s *Service) provisionUpdate(ctx context.Context, tx meibo.Tx, g *meibo.Group, cur *ProvisionedUser, st *ProvisionState) (*ProvisionedUser, error) {
	u := *cur.User
	before := userDetails(&u)
	addIdentityDetails(before, cur.Identity)
	oldKey := u.UnifiedKey()
	st.Name = meibo.NormalizeName(st.Name)
	renamed := st.Name != u.Name
	u.Name, u.Email, u.Admin, u.APIAccess, u.Disabled = st.Name, st.Email, st.Admin, st.APIAccess, st.Disabled
	if err := u.Validate(); err != nil {
		return nil, err
	}
	if renamed {
		if err := meibo.CheckNewUserName(u.Name); err != nil {
			return nil, err
		}
	}
	if err := checkIdentity(st.Identity, cur.Identity); err != nil {
		return nil, err
	}
	if st.Profile != "" && st.Profile != u.ProfileName || st.APIAccess {
		if st.Profile == "" {
			st.Profile = u.ProfileName
		}
		p, err := s.provisionProfile(ctx, tx, g, st)
		if err != nil {
			return nil, err
		}
		u.ProfileID, u.ProfileName = p.ID, p.Name
	}
	if st.Password != nil && *st.Password != "" {
		// An identity provider may send the password with every push of
		// the profile (Okta does): the password the user has already is
		// no change, and neither ends their sessions nor moves the ETag.
		same, _, err := s.verifyPassword(ctx, u.PasswordHash, *st.Password)
		if err != nil {
			return nil, err
		}
		if same {
			st.Password = nil
		}
	}
	hash, err := s.provisionPassword(st, g.ID)
	if err != nil {
		return nil, err
	}
	passwordChanged := hash != ""
	if passwordChanged {
		u.PasswordHash, u.PasswordChangedAt = hash, ptr(tx.Now())
	}
	id := st.Identity
	id.UserID = u.ID
	was, had := cur.User, cur.Identity
	had.UserID = u.ID // a user without an identity row reads as one of the user's, empty
	if !passwordChanged && !renamed && id == had && u.Email == was.Email && u.Admin == was.Admin &&
		u.APIAccess == was.APIAccess && u.Disabled == was.Disabled && u.ProfileID == was.ProfileID {
		return cur, nil // nothing to change: nothing written, nothing audited
	}
	if renamed {
		if _, err := tx.UserByName(ctx, g.ID, u.Name); err == nil {
			return nil, meibo.ConflictField("name", "user.exists", u.Name)
		} else if meibo.ErrorCode(err) != meibo.CodeNotFound {
			return nil, err
		}
	}
	// The licence is checked against the users as they are before any of
	// the change is written: a rename already made would count the new
	// name among the licences held, and a rename away from a key shared
	// with another group's user would pass however full the licence is.
	if newKey := u.UnifiedKey(); newKey != oldKey {
		if err := s.checkLicence(ctx, tx, []meibo.UnifiedKey{newKey}, []meibo.UnifiedKey{oldKey}); err != nil {
			return nil, err
		}
	}
	if renamed {
		if err := tx.RenameUser(ctx, u.ID, u.Name); err != nil {
			return nil, err
		}
	}
	if err := tx.UpdateUsers(ctx, []*meibo.User{&u}); err != nil {
		return nil, err
	}
	if passwordChanged || u.Disabled && !cur.User.Disabled {
		if err := endUserAccess(ctx, tx, u.ID, ""); err != nil {
			return nil, err
		}
	}
	if err := s.endPersonalTokens(ctx, tx, &u); err != nil {
		return nil, err
	}
	if id != cur.Identity {
		if err := tx.PutUserIdentity(ctx, g.ID, id); err != nil {
			return nil, err
		}
	}
	after := userDetails(&u)
	addIdentityDetails(after, id)
	details := map[string]any{"before": before, "after": after}
	if passwordChanged {
		details["password"] = "changed"
	}
	if renamed {
		if err := s.audit(ctx, tx, "user.rename", meibo.CategoryUser, "user", u.Name, g.ID,
			map[string]any{"from": cur.User.Name, "to": u.Name}); err != nil {
			return nil, err
		}
	}
	if err := s.audit(ctx, tx, "user.update", meibo.CategoryUser, "user", u.Name, g.ID, details); err != nil {
		return nil, err
	}
	return &ProvisionedUser{User: &u, Identity: id}, nil
}

func addIdentityDetails(d map[string]any, id meibo.UserIdentity) {
	if id.ExternalID != "" {
		d["externalId"] = id.ExternalID
	}
	if id.GivenName != "" || id.FamilyName != "" || id.DisplayName != "" {
		d["givenName"], d["familyName"], d["displayName"] = id.GivenName, id.FamilyName, id.DisplayName
	}
}

// ProvisionedUser returns a user of group with its identity.
func (s *Service) ProvisionedUser(ctx context.Context, groupID string, id int64) (*ProvisionedUser, error) {
	a, err := requireUsers(ctx)
	if err != nil {
		return nil, err
	}
	var p *ProvisionedUser
	err = s.store.View(ctx, func(tx meibo.Tx) error {
		g, err := s.group(ctx, tx, a, groupID)
		if err != nil {
			return err
		}
		u, err := tx.User(ctx, id)
		if meibo.ErrorCode(err) == meibo.CodeNotFound || err == nil && u.GroupID != g.ID {
			return meibo.NotFound("user.id.not_found", id)
		} else if err != nil {
			return err
		}
		ids, err := tx.UserIdentities(ctx, []int64{id})
		p = &ProvisionedUser{User: u, Identity: ids[id]}
		return err
	})
	return p, err
}

// UserIdentities returns the identities of users of group (by user ID;
// absent: none). Users of other groups are left out.
func (s *Service) UserIdentities(ctx context.Context, groupID string, users []*meibo.User) (map[int64]meibo.UserIdentity, error) {
	a, err := requireUsers(ctx)
	if err != nil {
		return nil, err
	}
	var out map[int64]meibo.UserIdentity
	err = s.store.View(ctx, func(tx meibo.Tx) error {
		g, err := s.group(ctx, tx, a, groupID)
		if err != nil {
			return err
		}
		ids := make([]int64, 0, len(users))
		for _, u := range users {
			if u.GroupID == g.ID {
				ids = append(ids, u.ID)
			}
		}
		out, err = tx.UserIdentities(ctx, ids)
		return err
	})
	return out, err
}

// UserByExternalID finds a user of group by the external ID an identity
// provider gave it.
func (s *Service) UserByExternalID(ctx context.Context, groupID, externalID string) (*ProvisionedUser, error) {
	a, err := requireUsers(ctx)
	if err != nil {
		return nil, err
	}
	var id int64
	err = s.store.View(ctx, func(tx meibo.Tx) error {
		g, err := s.group(ctx, tx, a, groupID)
		if err != nil {
			return err
		}
		id, err = tx.UserIDByExternalID(ctx, g.ID, externalID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.ProvisionedUser(ctx, groupID, id)
}

// endPersonalTokens ends a user's personal API tokens once the user may no
// longer hold them: disabled, API access off, or a profile without it.
func (s *Service) endPersonalTokens(ctx context.Context, tx meibo.Tx, u *meibo.User) error {
	keep := !u.Disabled && u.APIAccess
	if keep {
		p, err := tx.Profile(ctx, u.ProfileID)
		if err != nil {
			return err
		}
		keep = p.APIAccess
	}
	if keep {
		return nil
	}
	_, err := tx.DeletePersonalTokensOf(ctx, []int64{u.ID})
	return err
}

// endProfileTokens ends the personal tokens of every user of a profile that
// no longer allows API access.
func (s *Service) endProfileTokens(ctx context.Context, tx meibo.Tx, p *meibo.Profile) error {
	if p.APIAccess {
		return nil
	}
	f := meibo.UserFilter{GroupID: p.GroupID, ProfileID: &p.ID, Limit: 500}
	for {
		page, err := tx.FindUsers(ctx, f)
		if err != nil {
			return err
		}
		ids := make([]int64, 0, len(page.Users))
		for _, u := range page.Users {
			ids = append(ids, u.ID)
		}
		if _, err := tx.DeletePersonalTokensOf(ctx, ids); err != nil {
			return err
		}
		if !page.HasNext || len(page.Users) == 0 {
			return nil
		}
		f.After = page.Users[len(page.Users)-1].Name
	}
}
