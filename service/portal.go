package service

import (
	"context"

	"golang.org/x/text/width"

	"github.com/meibo/meibo"
)

// The personal portal: a device user signs in with group ID, user ID and
// password, sees their own devices (a group admin user: every device of the
// group) and sends them the remote actions their profile allows. Whatever
// IDs a portal user sends, a device or command that is not theirs to see is
// "not found", and nothing changes.

// portalFailed is the one answer to every failed portal sign-in.
var portalFailed = meibo.Errorf(meibo.CodeUnauthorized, "portal.failed")

// PortalSignIn signs a device user in and returns the session cookie's
// secret. Every refusal — unknown group, unknown user, wrong password, no
// password, disabled — gives the same error after the same work (one
// password verification); attempts are counted (service/throttle.go)
// before the password is checked, so a burst of parallel guesses checks no
// more passwords than the limit.
func (s *Service) PortalSignIn(ctx context.Context, groupID, userName, password, addr, userAgent string, lang meibo.Lang) (string, *meibo.Session, error) {
	// Group IDs are ASCII: one typed in full-width letters (a Japanese
	// input method left on) is the same ID.
	groupID = width.Narrow.String(groupID)
	secret, sess, err := s.portalSignIn(ctx, groupID, userName, password, addr, userAgent, lang)
	s.countSignIn("portal", err)
	return secret, sess, err
}

func (s *Service) portalSignIn(ctx context.Context, groupID, userName, password, addr, userAgent string, lang meibo.Lang) (string, *meibo.Session, error) {
	at := newSignInAttempt(userAccount(groupID, userName), addr)
	r, err := s.reserveSignIn(ctx, at)
	if err != nil {
		if ok, n := s.allowThrottledEvent(at); ok {
			s.auditPortal(ctx, "portal.signin.throttled", groupID, userName, addr, n)
		}
		return "", nil, err
	}
	var u *meibo.User
	err = s.store.View(ctx, func(tx meibo.Tx) error {
		g, err := tx.Group(ctx, groupID)
		if err != nil {
			return err
		}
		u, err = userTyped(ctx, tx, g.ID, userName)
		return err
	})
	if meibo.ErrorCode(err) == meibo.CodeNotFound {
		s.dummyVerify(password)
		s.auditPortal(ctx, "portal.signin.failed", groupID, userName, addr, 0)
		return "", nil, portalFailed
	} else if err != nil {
		return "", nil, err
	}
	ok, rehash, err := s.verifyPassword(ctx, u.PasswordHash, password)
	if err != nil {
		return "", nil, s.notChecked(ctx, r, err)
	}
	if !ok || u.Disabled {
		s.auditPortal(ctx, "portal.signin.failed", groupID, userName, addr, 0)
		return "", nil, portalFailed
	}
	secret, hash := meibo.NewToken("mbp_")
	sess := &meibo.Session{Hash: hash, Kind: meibo.SessionPortal, UserID: &u.ID, CSRF: NewCSRF(), Lang: lang, Addr: addr, UserAgent: clip(userAgent, 256)}
	actx := meibo.WithActor(ctx, &meibo.Actor{Kind: meibo.ActorUser, ID: u.ID, Name: u.Name, GroupID: u.GroupID, Addr: addr})
	refused, unchecked, err := s.recordSignIn(actx, r, password, u.PasswordHash, rehash, signInAccount{
		swap: func(ctx context.Context, tx meibo.Tx, old, hash string) (bool, error) {
			return tx.ReplacePasswordHash(ctx, u.ID, old, hash)
		},
		current: func(ctx context.Context, tx meibo.Tx) (string, error) {
			cur, err := tx.User(ctx, u.ID)
			if meibo.ErrorCode(err) == meibo.CodeNotFound || err == nil && cur.Disabled {
				return "", errAccountClosed
			} else if err != nil {
				return "", err
			}
			return cur.PasswordHash, nil
		},
		record: func(ctx context.Context, tx meibo.Tx) error {
			sess.ExpiresAt = tx.Now().Add(s.cfg.SessionMax)
			if err := tx.CreateSession(ctx, sess); err != nil {
				return err
			}
			if err := tx.SetUserSignIn(ctx, u.ID, tx.Now()); err != nil {
				return err
			}
			return s.audit(ctx, tx, "portal.signin", meibo.CategorySignIn, "user", u.Name, u.GroupID, nil)
		},
	})
	switch {
	case refused:
		s.auditPortal(ctx, "portal.signin.failed", groupID, userName, addr, 0)
		return "", nil, portalFailed
	case unchecked != nil:
		return "", nil, unchecked
	case err != nil:
		return "", nil, err
	}
	// Counted as a success only now that the sign-in is recorded.
	if err := s.signedIn(ctx, at); err != nil {
		s.log.Error("sign-in counters after a portal sign-in", "err", err)
	}
	return secret, sess, nil
}

func (s *Service) auditPortal(ctx context.Context, action, groupID, userName, addr string, suppressed int) {
	ctx = meibo.WithActor(ctx, &meibo.Actor{Kind: meibo.ActorUser, Name: userName, GroupID: groupID, Addr: addr})
	details := map[string]any{"group": groupID}
	if suppressed > 0 {
		details["suppressed"] = suppressed
	}
	err := s.store.Update(ctx, func(tx meibo.Tx) error {
		return s.audit(ctx, tx, action, meibo.CategorySignIn, "user", userName, "", details)
	})
	if err != nil {
		s.log.Error("audit portal sign-in", "err", err)
	}
}

// PortalActor returns the user of a portal session with the session. A
// disabled or deleted user's session is over.
func (s *Service) PortalActor(ctx context.Context, secret, addr string) (*meibo.Actor, *meibo.Session, error) {
	sess, err := s.session(ctx, secret, meibo.SessionPortal)
	if err != nil {
		return nil, nil, err
	}
	var u *meibo.User
	err = s.store.View(ctx, func(tx meibo.Tx) error {
		var err error
		u, err = tx.User(ctx, *sess.UserID)
		return err
	})
	if meibo.ErrorCode(err) == meibo.CodeNotFound {
		return nil, nil, sessionUnauthorized
	} else if err != nil {
		return nil, nil, err
	}
	if u.Disabled {
		return nil, nil, sessionUnauthorized
	}
	act := &meibo.Actor{Kind: meibo.ActorUser, ID: u.ID, Name: u.Name, GroupID: u.GroupID, GroupAdmin: u.Admin, APIAccess: u.APIAccess,
		Addr: addr, Session: sess.Hash}
	act.Refused = s.refuser(act)
	return act, sess, nil
}

// portalUser returns the portal actor of ctx.
func portalUser(ctx context.Context) (*meibo.Actor, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if a.Kind != meibo.ActorUser {
		return nil, meibo.Forbidden("forbidden")
	}
	return a, nil
}

// portalSees says "not found" unless the portal user a may see device d: its
// own, or any of its group for a group admin.
func (s *Service) portalSees(ctx context.Context, tx meibo.Tx, a *meibo.Actor, d *meibo.Device) error {
	if d.RevokedAt != nil {
		return meibo.NotFound("device.not_found")
	}
	if d.GroupID == a.GroupID && (a.GroupAdmin || (d.UserID != nil && *d.UserID == a.ID)) {
		return nil
	}
	return refuse(a, "scope", "device "+deviceRef(d), meibo.NotFound("device.not_found"))
}

// PortalView is what a portal user sees: their profile and their devices.
type PortalView struct {
	User    *meibo.User
	Profile *meibo.Profile
	Devices []*meibo.Device
}

// MyDevices lists the devices the portal user may see, with their profile.
func (s *Service) MyDevices(ctx context.Context) (*PortalView, error) {
	a, err := portalUser(ctx)
	if err != nil {
		return nil, err
	}
	v := &PortalView{}
	err = s.store.View(ctx, func(tx meibo.Tx) error {
		if v.User, err = tx.User(ctx, a.ID); err != nil {
			return err
		}
		if v.Profile, err = tx.Profile(ctx, v.User.ProfileID); err != nil {
			return err
		}
		f := meibo.DeviceFilter{GroupID: a.GroupID, Limit: 1000}
		if !a.GroupAdmin {
			f.UserID = &a.ID
		}
		v.Devices, err = tx.Devices(ctx, f)
		return err
	})
	return v, err
}

// MyDevice returns one device the portal user may see, with its latest
// commands.
func (s *Service) MyDevice(ctx context.Context, id int64) (*meibo.Device, []*meibo.Command, error) {
	a, err := portalUser(ctx)
	if err != nil {
		return nil, nil, err
	}
	var d *meibo.Device
	var cmds []*meibo.Command
	err = s.store.View(ctx, func(tx meibo.Tx) error {
		if d, err = tx.Device(ctx, id); err != nil {
			return meibo.NotFound("device.not_found")
		}
		if err := s.portalSees(ctx, tx, a, d); err != nil {
			return err
		}
		cmds, err = tx.Commands(ctx, meibo.CommandFilter{DeviceID: id, Limit: 20})
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return d, cmds, nil
}

// MyCommand returns a command of a device the portal user may see (for live
// status updates).
func (s *Service) MyCommand(ctx context.Context, id int64) (*meibo.Command, error) {
	a, err := portalUser(ctx)
	if err != nil {
		return nil, err
	}
	var c *meibo.Command
	err = s.store.View(ctx, func(tx meibo.Tx) error {
		if c, err = tx.Command(ctx, id); err != nil {
			return meibo.NotFound("not_found")
		}
		d, err := tx.Device(ctx, c.DeviceID)
		if err != nil {
			return meibo.NotFound("not_found")
		}
		if d.RevokedAt != nil && c.Action == meibo.ActionWipe {
			// A wipe un-enrols the device when it is done: the person who
			// sent it still reads that it was done (nothing else of a
			// revoked device).
			revoked := *d
			revoked.RevokedAt = nil
			d = &revoked
		}
		if err := s.portalSees(ctx, tx, a, d); err != nil {
			return meibo.NotFound("not_found")
		}
		return nil
	})
	return c, err
}

// PortalCommand is a remote action a portal user asks for. A wipe needs the
// user's password again and the device's name typed out.
type PortalCommand struct {
	Action      meibo.Action `json:"action"`
	Message     string       `json:"message"`
	Password    string       `json:"password"`
	ConfirmName string       `json:"confirmName"`
}

// SendCommand queues a command from the portal user to a device they may
// see, if their profile allows the action.
func (s *Service) SendCommand(ctx context.Context, deviceID int64, in PortalCommand) (*meibo.Command, error) {
	a, err := portalUser(ctx)
	if err != nil {
		return nil, err
	}
	// Look first, so that a wipe's password is checked only for a device
	// the user may see, and outside any transaction.
	d, _, err := s.MyDevice(ctx, deviceID)
	if err != nil {
		return nil, err
	}
	// An action that does not exist, or that the profile does not allow,
	// is refused as such before a wipe's name and password are looked at.
	if !in.Action.Valid() {
		return nil, meibo.FieldError("action", "profile.action", string(in.Action))
	}
	if err := s.store.View(ctx, func(tx meibo.Tx) error { return profileAllows(ctx, tx, a, in.Action) }); err != nil {
		return nil, err
	}
	if in.Action == meibo.ActionWipe {
		if in.ConfirmName != d.Name {
			return nil, meibo.FieldError("confirmName", "command.wipe.name")
		}
		var u *meibo.User
		if err := s.store.View(ctx, func(tx meibo.Tx) error {
			u, err = tx.User(ctx, a.ID)
			return err
		}); err != nil {
			return nil, err
		}
		if ok, err := s.checkOwnPassword(ctx, "user:#"+idString(u.ID), u.PasswordHash, in.Password); err != nil {
			return nil, err
		} else if !ok {
			return nil, meibo.FieldError("password", "command.wipe.password")
		}
	}
	var c *meibo.Command
	err = s.store.Update(ctx, func(tx meibo.Tx) error {
		d, err := tx.Device(ctx, deviceID)
		if err != nil {
			return meibo.NotFound("device.not_found")
		}
		if err := s.portalSees(ctx, tx, a, d); err != nil {
			return err
		}
		if err := profileAllows(ctx, tx, a, in.Action); err != nil {
			return err
		}
		c, err = s.queue(ctx, tx, d, in.Action, in.Message, a)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.waiters.wake(deviceID)
	return c, nil
}

// profileAllows refuses an action the portal user's profile does not
// allow.
func profileAllows(ctx context.Context, tx meibo.Tx, a *meibo.Actor, action meibo.Action) error {
	u, err := tx.User(ctx, a.ID)
	if err != nil {
		return err
	}
	p, err := tx.Profile(ctx, u.ProfileID)
	if err != nil {
		return err
	}
	if !p.Allows(action) {
		return meibo.FieldError("action", "command.action", action)
	}
	return nil
}

// ChangePortalPassword changes the portal user's own password after
// checking the current one; their other sessions end.
func (s *Service) ChangePortalPassword(ctx context.Context, current, next string) error {
	a, err := portalUser(ctx)
	if err != nil {
		return err
	}
	var u *meibo.User
	if err := s.store.View(ctx, func(tx meibo.Tx) error {
		u, err = tx.User(ctx, a.ID)
		return err
	}); err != nil {
		return err
	}
	if ok, err := s.checkOwnPassword(ctx, "user:#"+idString(u.ID), u.PasswordHash, current); err != nil {
		return err
	} else if !ok {
		return meibo.FieldError("currentPassword", "password.current")
	}
	if meibo.NormalizePassword(next) == meibo.NormalizePassword(current) {
		return meibo.FieldError("password", "password.same")
	}
	if err := meibo.CheckPassword(next, u.Name, u.Email, u.GroupID); err != nil {
		return err
	}
	hash, err := s.hashPassword(next)
	if err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx meibo.Tx) error {
		u, err := tx.User(ctx, a.ID)
		if err != nil {
			return err
		}
		u.PasswordHash, u.PasswordChangedAt = hash, ptr(tx.Now())
		if err := tx.UpdateUsers(ctx, []*meibo.User{u}); err != nil {
			return err
		}
		if err := endUserAccess(ctx, tx, u.ID, a.Session); err != nil {
			return err
		}
		return s.audit(ctx, tx, "user.password.portal", meibo.CategoryUser, "user", u.Name, u.GroupID, map[string]any{"password": "changed"})
	})
}
