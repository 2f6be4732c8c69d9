package service

import (
	"context"
	"maps"
	"strconv"

	"golang.org/x/text/unicode/norm"

	"github.com/meibo/meibo"
)

// UserInput is a new user. A blank Profile means the group's default profile;
// a blank Password leaves the user without one (no sign-in until set).
type UserInput struct {
	Name      string `json:"name"`
	Email     string `json:"email"`
	Password  string `json:"password"`
	Profile   string `json:"profile"`
	Admin     bool   `json:"admin"`
	APIAccess bool   `json:"apiAccess"`
	Disabled  bool   `json:"disabled"`
	// SendInvitation mails the user a link to choose a password.
	SendInvitation bool `json:"sendInvitation"`
	// PasswordHash is a hash made by another system, exclusive with
	// Password; it is replaced by an Argon2id hash at the first sign-in.
	PasswordHash string `json:"passwordHash"`
}

// validate checks what needs no database; the password policy included.
func (in *UserInput) validate(groupID string) error {
	in.Name = meibo.NormalizeName(in.Name)
	var v meibo.Validation
	u := meibo.User{Name: in.Name, Email: in.Email}
	if err := v.AddError("", u.Validate()); err != nil {
		return err
	}
	if in.Password != "" {
		if err := v.AddError("password", meibo.CheckPassword(in.Password, in.Name, in.Email, groupID)); err != nil {
			return err
		}
	}
	if in.SendInvitation && in.Email == "" {
		v.Add("email", "invitation.no_email")
	}
	if in.SendInvitation && in.Disabled {
		// A disabled user cannot sign in, nor use the link.
		v.Add("sendInvitation", "invitation.disabled")
	}
	return v.Err()
}

// resolveProfile finds a profile by name (blank: the default) in group.
func resolveProfile(ctx context.Context, tx meibo.Tx, groupID, name string) (*meibo.Profile, error) {
	if name == "" {
		ps, err := tx.Profiles(ctx, groupID)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			if p.Default {
				return p, nil
			}
		}
		return nil, meibo.FieldError("profile", "profile.not_found", meibo.DefaultProfileName)
	}
	p, err := tx.ProfileByName(ctx, groupID, name)
	if meibo.ErrorCode(err) == meibo.CodeNotFound {
		return nil, meibo.FieldError("profile", "profile.not_found", name)
	}
	return p, err
}

func userDetails(u *meibo.User) map[string]any {
	return map[string]any{"name": u.Name, "email": u.Email, "profile": u.ProfileName, "admin": u.Admin,
		"apiAccess": u.APIAccess, "disabled": u.Disabled, "hasPassword": u.HasPassword()}
}

// CreateUser adds a user to a group.
func (s *Service) CreateUser(ctx context.Context, groupID string, in UserInput) (*meibo.User, error) {
	a, err := requireUsers(ctx)
	if err != nil {
		return nil, err
	}
	if err := in.validate(groupID); err != nil {
		return nil, err
	}
	hash := ""
	switch {
	case in.PasswordHash != "" && in.Password != "":
		return nil, meibo.FieldError("passwordHash", "user.password.hash_both")
	case in.PasswordHash != "":
		if hash, err = checkHash(in.PasswordHash); err != nil {
			return nil, err
		}
	case in.Password != "":
		if hash, err = s.hashPassword(in.Password); err != nil {
			return nil, err
		}
	}
	var u *meibo.User
	err = s.store.Update(ctx, func(tx meibo.Tx) error {
		g, err := s.group(ctx, tx, a, groupID)
		if err != nil {
			return err
		}
		if err := tx.Lock(ctx, "users"); err != nil {
			return err
		}
		p, err := resolveProfile(ctx, tx, g.ID, in.Profile)
		if err != nil {
			return err
		}
		if in.APIAccess && !p.APIAccess {
			return meibo.FieldError("apiAccess", "profile.api", p.Name)
		}
		if _, err := tx.UserByName(ctx, g.ID, in.Name); err == nil {
			return meibo.ConflictField("name", "user.exists", in.Name)
		} else if meibo.ErrorCode(err) != meibo.CodeNotFound {
			return err
		}
		u = &meibo.User{GroupID: g.ID, Name: in.Name, Email: in.Email, PasswordHash: hash, ProfileID: p.ID, ProfileName: p.Name,
			Admin: in.Admin, APIAccess: in.APIAccess, Disabled: in.Disabled}
		if hash != "" {
			u.PasswordChangedAt = ptr(tx.Now())
		}
		if err := s.checkLicence(ctx, tx, []meibo.UnifiedKey{u.UnifiedKey()}, nil); err != nil {
			return err
		}
		if err := tx.CreateUsers(ctx, []*meibo.User{u}); err != nil {
			return err
		}
		details := userDetails(u)
		if in.SendInvitation {
			m, err := s.linkMail(ctx, tx, u, g, meibo.MailInvitation, "", false)
			if err != nil {
				return err
			}
			if err := tx.CreateMails(ctx, []*meibo.MailMessage{m}); err != nil {
				return err
			}
			details["invitation"] = m.ID
		}
		return s.audit(ctx, tx, "user.create", meibo.CategoryUser, "user", u.Name, g.ID, details)
	})
	if err != nil {
		return nil, err
	}
	if in.SendInvitation {
		s.nudgeMail()
	}
	return u, nil
}

// DuplicateUser adds a user with the profile and flags of another one: name,
// e-mail and password come from in, the rest from the source.
func (s *Service) DuplicateUser(ctx context.Context, sourceID int64, in UserInput) (*meibo.User, error) {
	return s.DuplicateUserWith(ctx, sourceID, in, DuplicateChanges{})
}

// DuplicateChanges are what a copy takes other than its source: nil keeps
// the source's.
type DuplicateChanges struct {
	Profile   *string `json:"profile"`
	Admin     *bool   `json:"admin"`
	APIAccess *bool   `json:"apiAccess"`
	Disabled  *bool   `json:"disabled"`
}

// DuplicateUserWith adds a user to the source's group with its profile and
// flags, but for those set in ch; name, e-mail and password come from in.
func (s *Service) DuplicateUserWith(ctx context.Context, sourceID int64, in UserInput, ch DuplicateChanges) (*meibo.User, error) {
	src, err := s.User(ctx, sourceID)
	if err != nil {
		return nil, err
	}
	in.Profile, in.Admin, in.APIAccess, in.Disabled = src.ProfileName, src.Admin, src.APIAccess, src.Disabled
	if ch.Profile != nil {
		in.Profile = *ch.Profile
	}
	if ch.Admin != nil {
		in.Admin = *ch.Admin
	}
	if ch.APIAccess != nil {
		in.APIAccess = *ch.APIAccess
	}
	if ch.Disabled != nil {
		in.Disabled = *ch.Disabled
	}
	return s.CreateUser(ctx, src.GroupID, in)
}

// userInScope loads a user and checks the actor may act on its group.
func (s *Service) userInScope(ctx context.Context, tx meibo.Tx, a *meibo.Actor, id int64) (*meibo.User, error) {
	u, err := tx.User(ctx, id)
	if err != nil {
		return nil, err
	}
	if !a.InScope(u.GroupID) {
		return nil, refuse(a, "scope", "user "+idString(u.ID), meibo.NotFound("not_found"))
	}
	return u, nil
}

// User returns one user.
func (s *Service) User(ctx context.Context, id int64) (*meibo.User, error) {
	a, err := requireUsers(ctx)
	if err != nil {
		return nil, err
	}
	var u *meibo.User
	err = s.store.View(ctx, func(tx meibo.Tx) error {
		u, err = s.userInScope(ctx, tx, a, id)
		return err
	})
	return u, err
}

// UserByName returns a user of a group by name.
func (s *Service) UserByName(ctx context.Context, groupID, name string) (*meibo.User, error) {
	a, err := requireUsers(ctx)
	if err != nil {
		return nil, err
	}
	var u *meibo.User
	err = s.store.View(ctx, func(tx meibo.Tx) error {
		g, err := s.group(ctx, tx, a, groupID)
		if err != nil {
			return err
		}
		u, err = userNamed(ctx, tx, g.ID, name)
		return err
	})
	return u, err
}

// FindUsers returns a page of a group's users.
func (s *Service) FindUsers(ctx context.Context, f meibo.UserFilter) (*meibo.UserPage, error) {
	a, err := requireUsers(ctx)
	if err != nil {
		return nil, err
	}
	var page *meibo.UserPage
	err = s.store.View(ctx, func(tx meibo.Tx) error {
		g, err := s.group(ctx, tx, a, f.GroupID)
		if err != nil {
			return err
		}
		f.GroupID = g.ID
		page, err = tx.FindUsers(ctx, f)
		return err
	})
	return page, err
}

// UpdateUser changes a user; the name never changes.
func (s *Service) UpdateUser(ctx context.Context, id int64, up meibo.UserUpdate) (*meibo.User, error) {
	a, err := requireUsers(ctx)
	if err != nil {
		return nil, err
	}
	var u *meibo.User
	// Hash outside the transaction; the policy needs the user's IDs, so read
	// them first.
	hash := ""
	if up.Password != nil && *up.Password != "" {
		cur, err := s.User(ctx, id)
		if err != nil {
			return nil, err
		}
		email := cur.Email
		if up.Email != nil {
			email = *up.Email
		}
		if err := meibo.CheckPassword(*up.Password, cur.Name, email, cur.GroupID); err != nil {
			return nil, err
		}
		if hash, err = s.hashPassword(*up.Password); err != nil {
			return nil, err
		}
	}
	if up.PasswordHash != nil && *up.PasswordHash != "" {
		if up.Password != nil && *up.Password != "" {
			return nil, meibo.FieldError("passwordHash", "user.password.hash_both")
		}
		if hash, err = checkHash(*up.PasswordHash); err != nil {
			return nil, err
		}
		up.Password = ptr("") // so that the hash is stored below as a new password's would be
	}
	err = s.store.Update(ctx, func(tx meibo.Tx) error {
		if err := tx.Lock(ctx, "users"); err != nil {
			return err
		}
		if u, err = s.userInScope(ctx, tx, a, id); err != nil {
			return err
		}
		before := userDetails(u)
		wasDisabled := u.Disabled
		oldKey := u.UnifiedKey()
		if up.Email != nil {
			u.Email = *up.Email
		}
		if err := u.Validate(); err != nil {
			return err
		}
		if up.Profile != nil {
			p, err := resolveProfile(ctx, tx, u.GroupID, *up.Profile)
			if err != nil {
				return err
			}
			u.ProfileID, u.ProfileName = p.ID, p.Name
		}
		if up.Admin != nil {
			u.Admin = *up.Admin
		}
		if up.APIAccess != nil {
			u.APIAccess = *up.APIAccess
		}
		if up.Disabled != nil {
			u.Disabled = *up.Disabled
		}
		if up.APIAccess != nil && *up.APIAccess || up.Profile != nil && u.APIAccess {
			p, err := tx.Profile(ctx, u.ProfileID)
			if err != nil {
				return err
			}
			if u.APIAccess && !p.APIAccess {
				return meibo.FieldError("apiAccess", "profile.api", p.Name)
			}
		}
		passwordChanged := false
		if up.Password != nil {
			// An empty password removes it: the user can no longer sign in.
			u.PasswordHash = hash
			u.PasswordChangedAt = ptr(tx.Now())
			passwordChanged = true
		}
		if !passwordChanged && maps.Equal(before, userDetails(u)) {
			// Nothing changes (an empty PATCH, the values it has): the
			// user stays as it was, its updatedAt and ETag too.
			return nil
		}
		if newKey := u.UnifiedKey(); newKey != oldKey {
			if err := s.checkLicence(ctx, tx, []meibo.UnifiedKey{newKey}, []meibo.UnifiedKey{oldKey}); err != nil {
				return err
			}
		}
		if err := tx.UpdateUsers(ctx, []*meibo.User{u}); err != nil {
			return err
		}
		if err := s.endPersonalTokens(ctx, tx, u); err != nil {
			return err
		}
		if passwordChanged || u.Disabled && !wasDisabled {
			// A new password, or disabling, ends the user's sessions and
			// links.
			if err := endUserAccess(ctx, tx, u.ID, ""); err != nil {
				return err
			}
		}
		after := userDetails(u)
		details := map[string]any{"before": before, "after": after}
		if passwordChanged {
			details["password"] = "changed"
		}
		return s.audit(ctx, tx, "user.update", meibo.CategoryUser, "user", u.Name, u.GroupID, details)
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// DeleteUser deletes a user. Their history (audit events, commands) keeps
// their name.
func (s *Service) DeleteUser(ctx context.Context, id int64) error {
	a, err := requireUsers(ctx)
	if err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx meibo.Tx) error {
		u, err := s.userInScope(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if err := tx.DeleteUsers(ctx, []int64{u.ID}); err != nil {
			return err
		}
		// Invitations and resets not yet sent carry links that no longer
		// work: fail them rather than send them.
		if err := tx.FailUserMails(ctx, u.ID, meibo.M("mail.link.user_gone").In(meibo.English)); err != nil {
			return err
		}
		return s.audit(ctx, tx, "user.delete", meibo.CategoryUser, "user", u.Name, u.GroupID, userDetails(u))
	})
}

// idString formats an ID for audit events.
func idString(id int64) string { return strconv.FormatInt(id, 10) }

// userNamed finds the user of group named name as meibo keeps names
// (meibo.NormalizeName); failing that, named as given or decomposed, which
// finds a name stored before names were kept composed.
func userNamed(ctx context.Context, tx meibo.Tx, groupID, name string) (*meibo.User, error) {
	n := meibo.NormalizeName(name)
	u, err := tx.UserByName(ctx, groupID, n)
	tried := map[string]bool{n: true}
	for _, other := range []string{name, norm.NFD.String(name)} {
		if meibo.ErrorCode(err) != meibo.CodeNotFound {
			break
		}
		if !tried[other] {
			tried[other] = true
			u, err = tx.UserByName(ctx, groupID, other)
		}
	}
	return u, err
}

// userTyped is userNamed for a name a person typed to reach their own
// account (a portal sign-in, a password reset) or to name a device's user:
// failing the exact name, typed another way (full-width digits, 〜 where
// the name has ～), it finds the one user of the same meibo.TypedName,
// if there is exactly one. Not for an administrator's changes: an edit or
// a deletion acts on the name given.
func userTyped(ctx context.Context, tx meibo.Tx, groupID, name string) (*meibo.User, error) {
	u, err := userNamed(ctx, tx, groupID, name)
	if meibo.ErrorCode(err) != meibo.CodeNotFound {
		return u, err
	}
	// Names that differ only in case and width are few; so many that the
	// one meant might not be among them count as several.
	const most = 64
	cands, ferr := tx.UsersByFold(ctx, groupID, meibo.TypedNameFolds(name), most)
	if ferr != nil {
		return nil, ferr
	}
	if len(cands) == most {
		return nil, err
	}
	var found *meibo.User
	key := meibo.TypedName(name)
	for _, c := range cands {
		if meibo.TypedName(c.Name) != key {
			continue
		}
		if found != nil {
			return nil, err // two users would answer: neither is meant
		}
		found = c
	}
	if found == nil {
		return nil, err
	}
	return found, nil
}
