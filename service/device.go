package service

import (
	"context"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/meibo/meibo"
)

// Devices belong to a group and optionally to one of its users. They enrol
// with a single-use token an administrator made, then hold a secret of their
// own (stored hashed) to check in, take their commands and report results.
// Managing devices needs the console's device authority (33); sending any
// command to any device in scope needs 36; department administrators are
// limited to their groups.

// EnrolmentTTL is how long an enrolment token works by default.
const EnrolmentTTL = 7 * 24 * time.Hour

// slowPoll is how often, on average, a waiting long poll looks for its
// commands without being woken (5 to 15 s).
const slowPoll = 10 * time.Second

// requireDevices returns the actor when it may manage devices.
func requireDevices(ctx context.Context) (*meibo.Actor, error) {
	return require(ctx, meibo.AuthConsole, meibo.AuthDevices)
}

// deviceInScope loads a device and checks the admin actor's scope.
func deviceInScope(ctx context.Context, tx meibo.Tx, a *meibo.Actor, id int64) (*meibo.Device, error) {
	d, err := tx.Device(ctx, id)
	if err != nil {
		return nil, err
	}
	if !a.InScope(d.GroupID) {
		return nil, refuse(a, "scope", "device "+deviceRef(d), meibo.NotFound("device.not_found"))
	}
	return d, nil
}

func deviceRef(d *meibo.Device) string { return strconv.FormatInt(d.ID, 10) }

// CreateEnrolmentToken makes a single-use token that enrols one device into
// a group, assigned to the user named userName when not blank. It returns the
// token itself, shown once.
func (s *Service) CreateEnrolmentToken(ctx context.Context, groupID, userName string, ttl time.Duration) (string, *meibo.EnrolmentToken, error) {
	a, err := requireDevices(ctx)
	if err != nil {
		return "", nil, err
	}
	if ttl <= 0 {
		ttl = EnrolmentTTL
	}
	secret, hash := meibo.NewToken("mbe_")
	var k *meibo.EnrolmentToken
	err = s.store.Update(ctx, func(tx meibo.Tx) error {
		g, err := s.group(ctx, tx, a, groupID)
		if err != nil {
			return err
		}
		k = &meibo.EnrolmentToken{GroupID: g.ID, TokenHash: hash, CreatedBy: a.Name, ExpiresAt: tx.Now().Add(ttl)}
		if userName != "" {
			u, err := userTyped(ctx, tx, g.ID, userName)
			if meibo.ErrorCode(err) == meibo.CodeNotFound {
				return meibo.FieldError("user", "user.not_found", userName)
			} else if err != nil {
				return err
			}
			k.UserID = &u.ID
		}
		if err := tx.CreateEnrolmentToken(ctx, k); err != nil {
			return err
		}
		return s.audit(ctx, tx, "device.token.create", meibo.CategoryDevice, "enrolment", strconv.FormatInt(k.ID, 10), g.ID,
			map[string]any{"user": userName, "expiresAt": k.ExpiresAt})
	})
	if err != nil {
		return "", nil, err
	}
	return secret, k, nil
}

// EnrolmentTokens lists a group's enrolment tokens (not the tokens
// themselves: those are shown once).
func (s *Service) EnrolmentTokens(ctx context.Context, groupID string) ([]*meibo.EnrolmentToken, error) {
	a, err := requireDevices(ctx)
	if err != nil {
		return nil, err
	}
	var out []*meibo.EnrolmentToken
	err = s.store.View(ctx, func(tx meibo.Tx) error {
		g, err := s.group(ctx, tx, a, groupID)
		if err != nil {
			return err
		}
		out, err = tx.EnrolmentTokens(ctx, g.ID)
		return err
	})
	return out, err
}

// DeleteEnrolmentToken withdraws an unused enrolment token.
func (s *Service) DeleteEnrolmentToken(ctx context.Context, groupID string, id int64) error {
	a, err := requireDevices(ctx)
	if err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx meibo.Tx) error {
		g, err := s.group(ctx, tx, a, groupID)
		if err != nil {
			return err
		}
		ks, err := tx.EnrolmentTokens(ctx, g.ID)
		if err != nil {
			return err
		}
		for _, k := range ks {
			if k.ID == id {
				if err := tx.DeleteEnrolmentToken(ctx, id); err != nil {
					return err
				}
				return s.audit(ctx, tx, "device.token.delete", meibo.CategoryDevice, "enrolment", strconv.FormatInt(id, 10), g.ID, nil)
			}
		}
		return meibo.NotFound("not_found")
	})
}

// Devices lists the devices of a group for an administrator (Management
// Console; the group in scope).
func (s *Service) Devices(ctx context.Context, f meibo.DeviceFilter) ([]*meibo.Device, error) {
	a, err := require(ctx, meibo.AuthConsole)
	if err != nil {
		return nil, err
	}
	var out []*meibo.Device
	err = s.store.View(ctx, func(tx meibo.Tx) error {
		g, err := s.group(ctx, tx, a, f.GroupID)
		if err != nil {
			return err
		}
		f.GroupID = g.ID
		out, err = tx.Devices(ctx, f)
		return err
	})
	return out, err
}

// Device returns one device for an administrator.
func (s *Service) Device(ctx context.Context, id int64) (*meibo.Device, error) {
	a, err := require(ctx, meibo.AuthConsole)
	if err != nil {
		return nil, err
	}
	var d *meibo.Device
	err = s.store.View(ctx, func(tx meibo.Tx) error {
		d, err = deviceInScope(ctx, tx, a, id)
		return err
	})
	return d, err
}

// DeviceUpdate holds the fields of a device an administrator may change.
type DeviceUpdate struct {
	Name *string `json:"name"`
	User *string `json:"user"` // the user's name; "" unassigns
}

// UpdateDevice renames a device or assigns it to a user of its group.
func (s *Service) UpdateDevice(ctx context.Context, id int64, up DeviceUpdate) (*meibo.Device, error) {
	a, err := requireDevices(ctx)
	if err != nil {
		return nil, err
	}
	var d *meibo.Device
	err = s.store.Update(ctx, func(tx meibo.Tx) error {
		if d, err = deviceInScope(ctx, tx, a, id); err != nil {
			return err
		}
		before := map[string]any{"name": d.Name, "user": d.UserName}
		if up.Name != nil {
			if err := meibo.CheckDeviceName(*up.Name); err != nil {
				return err
			}
			d.Name = *up.Name
		}
		if up.User != nil {
			if *up.User == "" {
				d.UserID, d.UserName = nil, ""
			} else {
				u, err := tx.UserByName(ctx, d.GroupID, *up.User)
				if meibo.ErrorCode(err) == meibo.CodeNotFound {
					return meibo.FieldError("user", "user.not_found", *up.User)
				} else if err != nil {
					return err
				}
				d.UserID, d.UserName = &u.ID, u.Name
			}
		}
		if err := tx.UpdateDevice(ctx, d); err != nil {
			return err
		}
		return s.audit(ctx, tx, "device.update", meibo.CategoryDevice, "device", deviceRef(d), d.GroupID,
			map[string]any{"before": before, "after": map[string]any{"name": d.Name, "user": d.UserName}})
	})
	return d, err
}

// RevokeDevice un-enrols a device: its secret stops working, its queued
// commands are cancelled.
func (s *Service) RevokeDevice(ctx context.Context, id int64) error {
	a, err := requireDevices(ctx)
	if err != nil {
		return err
	}
	err = s.store.Update(ctx, func(tx meibo.Tx) error {
		d, err := deviceInScope(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if err := s.revoke(ctx, tx, d); err != nil {
			return err
		}
		return s.audit(ctx, tx, "device.revoke", meibo.CategoryDevice, "device", deviceRef(d), d.GroupID, map[string]any{"name": d.Name})
	})
	if err != nil {
		return err
	}
	s.waiters.wake(id)
	return nil
}

// revoke un-enrols d and cancels its queued commands. Its long polls, on
// every server, are woken (after the commit) to answer that it is revoked.
func (s *Service) revoke(ctx context.Context, tx meibo.Tx, d *meibo.Device) error {
	if d.RevokedAt != nil {
		return nil
	}
	now := tx.Now()
	if _, err := tx.RevokeDevice(ctx, d.ID, now); err != nil {
		return err
	}
	d.RevokedAt, d.SecretHash = &now, ""
	if err := tx.Notify(ctx, commandsChannel, deviceRef(d)); err != nil {
		return err
	}
	cmds, err := tx.Commands(ctx, meibo.CommandFilter{DeviceID: d.ID, Status: meibo.CommandQueued, Limit: 500})
	if err != nil {
		return err
	}
	for _, c := range cmds {
		if _, err := tx.CancelCommand(ctx, c.ID, now); err != nil {
			return err
		}
	}
	return nil
}

// DeviceCommands lists the commands of a device for an administrator.
func (s *Service) DeviceCommands(ctx context.Context, deviceID int64, beforeID int64) ([]*meibo.Command, error) {
	a, err := require(ctx, meibo.AuthConsole)
	if err != nil {
		return nil, err
	}
	var out []*meibo.Command
	err = s.store.View(ctx, func(tx meibo.Tx) error {
		if _, err := deviceInScope(ctx, tx, a, deviceID); err != nil {
			return err
		}
		out, err = tx.Commands(ctx, meibo.CommandFilter{DeviceID: deviceID, BeforeID: beforeID})
		return err
	})
	return out, err
}

// SendAdminCommand queues a remote command from an administrator holding the
// emergency procedure authority (36), whatever the device's user's profile.
func (s *Service) SendAdminCommand(ctx context.Context, deviceID int64, action meibo.Action, message string) (*meibo.Command, error) {
	a, err := require(ctx, meibo.AuthConsole, meibo.AuthEmergency)
	if err != nil {
		return nil, err
	}
	var c *meibo.Command
	err = s.store.Update(ctx, func(tx meibo.Tx) error {
		d, err := deviceInScope(ctx, tx, a, deviceID)
		if err != nil {
			return err
		}
		c, err = s.queue(ctx, tx, d, action, message, a)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.waiters.wake(deviceID)
	return c, nil
}

// queue checks and queues a command for d by actor a, notifying the servers.
func (s *Service) queue(ctx context.Context, tx meibo.Tx, d *meibo.Device, action meibo.Action, message string, a *meibo.Actor) (*meibo.Command, error) {
	if !action.Valid() {
		return nil, meibo.FieldError("action", "profile.action", string(action))
	}
	if d.RevokedAt != nil {
		return nil, meibo.Conflict("device.revoked", d.Name)
	}
	message = strings.TrimSpace(message)
	if action == meibo.ActionMessage && (message == "" || utf8.RuneCountInString(message) > 500) {
		return nil, meibo.FieldError("message", "command.message")
	} else if action != meibo.ActionMessage {
		message = ""
	}
	if action == meibo.ActionWipe {
		// One wipe at a time: a second one waiting behind the first
		// could only fail (the first un-enrols the device).
		for _, st := range []meibo.CommandStatus{meibo.CommandQueued, meibo.CommandDelivered} {
			pending, err := tx.Commands(ctx, meibo.CommandFilter{DeviceID: d.ID, Status: st, Limit: 100})
			if err != nil {
				return nil, err
			}
			for _, p := range pending {
				if p.Action == meibo.ActionWipe {
					return nil, meibo.Conflict("command.wipe.pending", d.Name)
				}
			}
		}
	}
	c := &meibo.Command{DeviceID: d.ID, GroupID: d.GroupID, Action: action, Message: message, RequestedBy: a.Name, RequesterKind: a.Kind}
	if err := tx.CreateCommand(ctx, c); err != nil {
		return nil, err
	}
	if err := tx.Notify(ctx, commandsChannel, strconv.FormatInt(d.ID, 10)); err != nil {
		return nil, err
	}
	if err := s.audit(ctx, tx, "command.queue", meibo.CategoryDevice, "command", strconv.FormatInt(c.ID, 10), d.GroupID,
		map[string]any{"device": d.ID, "deviceName": d.Name, "action": string(action), "requestedBy": a.Name}); err != nil {
		return nil, err
	}
	return c, nil
}

// CancelCommand cancels a queued command: its requester may, and so may an
// administrator with authority 36 in scope, or a portal user who may see the
// device.
func (s *Service) CancelCommand(ctx context.Context, id int64) (*meibo.Command, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	var c *meibo.Command
	err = s.store.Update(ctx, func(tx meibo.Tx) error {
		c, err = tx.Command(ctx, id)
		if err != nil {
			return err
		}
		d, err := tx.Device(ctx, c.DeviceID)
		if err != nil {
			return err
		}
		switch a.Kind {
		case meibo.ActorUser:
			if err := s.portalSees(ctx, tx, a, d); err != nil {
				return err
			}
			// A portal user cancels what a portal user sent, never an
			// administrator's lock or wipe of their device (a thief with
			// the password would cancel it before the device took it).
			if c.RequesterKind != meibo.ActorUser {
				return meibo.Forbidden("command.cancel.admin")
			}
		default:
			if _, err := require(ctx, meibo.AuthConsole, meibo.AuthEmergency); err != nil {
				return err
			}
			if !a.InScope(d.GroupID) {
				return refuse(a, "scope", "device "+deviceRef(d), meibo.NotFound("not_found"))
			}
		}
		ok, err := tx.CancelCommand(ctx, id, tx.Now())
		if err != nil {
			return err
		}
		if !ok {
			return meibo.Conflict("command.not_queued")
		}
		now := tx.Now()
		c.Status, c.FinishedAt = meibo.CommandCancelled, &now
		return s.audit(ctx, tx, "command.cancel", meibo.CategoryDevice, "command", strconv.FormatInt(id, 10), d.GroupID,
			map[string]any{"device": d.ID, "requestedBy": c.RequestedBy})
	})
	return c, err
}

// LongPolls is how many long polls of devices wait on this server now (for
// monitoring and load tests). It needs the device authority and no
// department limit: the figure covers every group.
func (s *Service) LongPolls(ctx context.Context) (int, error) {
	a, err := requireDevices(ctx)
	if err != nil {
		return 0, err
	}
	if a.Department() {
		return 0, meibo.Forbidden("forbidden")
	}
	return s.Waiting(), nil
}

// --- The device side ---

// EnrolInfo is what a device tells about itself when it enrols.
type EnrolInfo struct {
	Token     string `json:"token"`
	Name      string `json:"name"`
	Platform  string `json:"platform"`
	Model     string `json:"model"`
	OSVersion string `json:"osVersion"`
	Serial    string `json:"serial"`
}

// Enrol enrols a device with a single-use token and returns the device's own
// secret, shown once.
func (s *Service) Enrol(ctx context.Context, in EnrolInfo, addr string) (string, *meibo.Device, error) {
	invalid := meibo.Errorf(meibo.CodeUnauthorized, "device.enrol.invalid")
	if !strings.HasPrefix(in.Token, "mbe_") {
		return "", nil, invalid
	}
	if err := meibo.CheckDeviceName(in.Name); err != nil {
		return "", nil, err
	}
	var v meibo.Validation
	for f, val := range map[string]string{"platform": in.Platform, "model": in.Model, "osVersion": in.OSVersion, "serial": in.Serial} {
		checkDeviceText(&v, f, val)
	}
	if err := v.Err(); err != nil {
		return "", nil, err
	}
	secret, hash := meibo.NewToken("mbd_")
	var d *meibo.Device
	err := s.store.Update(ctx, func(tx meibo.Tx) error {
		k, err := tx.EnrolmentToken(ctx, meibo.HashToken(in.Token))
		if meibo.ErrorCode(err) == meibo.CodeNotFound {
			return invalid
		} else if err != nil {
			return err
		}
		if k.UsedAt != nil || !tx.Now().Before(k.ExpiresAt) {
			return invalid
		}
		d = &meibo.Device{GroupID: k.GroupID, UserID: k.UserID, Name: in.Name, Platform: in.Platform, Model: in.Model,
			OSVersion: in.OSVersion, Serial: strings.TrimSpace(in.Serial), SecretHash: hash}
		if err := tx.CreateDevice(ctx, d); err != nil {
			return err
		}
		if ok, err := tx.UseEnrolmentToken(ctx, k.ID, d.ID, tx.Now()); err != nil {
			return err
		} else if !ok {
			return invalid
		}
		ctx := meibo.WithActor(ctx, deviceActor(d, addr))
		return s.audit(ctx, tx, "device.enrol", meibo.CategoryDevice, "device", deviceRef(d), d.GroupID,
			map[string]any{"name": d.Name, "serial": d.Serial, "token": k.ID, "user": k.UserID})
	})
	if err != nil {
		return "", nil, err
	}
	if d.UserID != nil {
		if dd, err := s.deviceByID(ctx, d.ID); err == nil {
			d = dd
		}
	}
	return secret, d, nil
}

func (s *Service) deviceByID(ctx context.Context, id int64) (*meibo.Device, error) {
	var d *meibo.Device
	err := s.store.View(ctx, func(tx meibo.Tx) error {
		var err error
		d, err = tx.Device(ctx, id)
		return err
	})
	return d, err
}

func deviceActor(d *meibo.Device, addr string) *meibo.Actor {
	return &meibo.Actor{Kind: meibo.ActorDevice, ID: d.ID, Name: "device:" + deviceRef(d), Addr: addr, GroupID: d.GroupID}
}

// AuthenticateDevice returns the enrolled, not revoked device of a secret.
func (s *Service) AuthenticateDevice(ctx context.Context, secret string) (*meibo.Device, error) {
	unauthorized := meibo.Errorf(meibo.CodeUnauthorized, "device.auth")
	if !strings.HasPrefix(secret, "mbd_") {
		return nil, unauthorized
	}
	var d *meibo.Device
	err := s.store.View(ctx, func(tx meibo.Tx) error {
		var err error
		d, err = tx.DeviceBySecret(ctx, meibo.HashToken(secret))
		return err
	})
	if meibo.ErrorCode(err) == meibo.CodeNotFound {
		return nil, unauthorized
	} else if err != nil {
		return nil, err
	}
	if d.RevokedAt != nil {
		return nil, unauthorized
	}
	return d, nil
}

// CheckIn records what a device reports and hands it its queued commands.
// With wait > 0 and nothing queued it waits (a long poll) until a command is
// queued for it or wait has passed; a command queued on any server sharing
// the database reaches it at once.
//
// A poll may end up to a fifth of wait early, and its slow re-reads come at
// random moments: devices that began together (a fleet after a restart of
// the server) drift apart instead of checking in all at once, every time.
//
// Values out of range (see checkDeviceStatus) are left out, and logged;
// the rest is recorded and the commands handed over all the same.
func (s *Service) CheckIn(ctx context.Context, d *meibo.Device, st meibo.DeviceStatus, wait time.Duration) ([]*meibo.Command, error) {
	st, bad := validStatus(st, s.now())
	if bad != nil {
		s.log.Info("device check-in: values out of range left out", "device", d.ID, "err", bad)
	}
	if err := s.store.Update(ctx, func(tx meibo.Tx) error { return tx.CheckInDevice(ctx, d.ID, st, tx.Now()) }); err != nil {
		return nil, err
	}
	if wait > 30*time.Second {
		wait = 30 * time.Second
	}
	if wait >= 5*time.Second {
		wait -= rand.N(wait / 5)
	}
	ch, stop := s.waiters.wait(d.ID)
	defer stop()
	ended := s.waiters.endedCh()
	deadline := time.NewTimer(max(wait, 0))
	defer deadline.Stop()
	// On PostgreSQL a slow poll covers a notification that never came (a
	// listener reconnecting). SQLite has one server, which wakes its polls
	// itself, so it needs none.
	var slowC <-chan time.Time
	if s.store.Engine() == "postgres" {
		slow := time.NewTicker(slowPoll/2 + rand.N(slowPoll))
		defer slow.Stop()
		slowC = slow.C
	}
	woken := false
	for {
		cmds, err := s.deliver(ctx, d, woken)
		if err != nil && ctx.Err() != nil {
			// The request ended meanwhile (its transaction rolled back):
			// as when it ends while waiting.
			return []*meibo.Command{}, nil
		}
		if err != nil || len(cmds) > 0 || wait <= 0 {
			return cmds, err
		}
		select {
		case <-ctx.Done():
			return []*meibo.Command{}, nil
		case <-deadline.C:
			return []*meibo.Command{}, nil
		case <-ended:
			return []*meibo.Command{}, nil
		case <-ch:
		case <-slowC:
		}
		woken = true
	}
}

// deliver marks a device's queued commands delivered and returns them.
// With recheck, it first checks that the device was not revoked while its
// poll waited: a revoked device is refused at once.
func (s *Service) deliver(ctx context.Context, d *meibo.Device, recheck bool) ([]*meibo.Command, error) {
	var cmds []*meibo.Command
	err := s.store.Update(ctx, func(tx meibo.Tx) error {
		if recheck {
			cur, err := tx.Device(ctx, d.ID)
			if meibo.ErrorCode(err) == meibo.CodeNotFound || (err == nil && cur.RevokedAt != nil) {
				return meibo.Errorf(meibo.CodeUnauthorized, "device.auth")
			} else if err != nil {
				return err
			}
		}
		var err error
		if cmds, err = tx.DeliverCommands(ctx, d.ID, tx.Now()); err != nil || len(cmds) == 0 {
			return err
		}
		ctx := meibo.WithActor(ctx, deviceActor(d, ""))
		for _, c := range cmds {
			if err := s.audit(ctx, tx, "command.deliver", meibo.CategoryDevice, "command", strconv.FormatInt(c.ID, 10), d.GroupID,
				map[string]any{"device": d.ID, "action": string(c.Action), "requestedBy": c.RequestedBy}); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		for _, c := range cmds {
			waited := time.Duration(0)
			if c.DeliveredAt != nil {
				waited = c.DeliveredAt.Sub(c.CreatedAt)
			}
			s.metrics().CommandDelivered(string(c.Action), waited)
		}
	}
	return cmds, err
}

// CommandResult is what a device reports when it has carried a command out.
type CommandResult struct {
	Status   meibo.CommandStatus `json:"status"` // done or failed
	Result   string              `json:"result"`
	Locked   *bool               `json:"locked,omitempty"`
	Location *meibo.Location     `json:"location,omitempty"`
}

// ReportResult records the outcome of a command delivered to d. A wipe that
// is done revokes the device.
func (s *Service) ReportResult(ctx context.Context, d *meibo.Device, id int64, res CommandResult) (*meibo.Command, error) {
	if res.Status != meibo.CommandDone && res.Status != meibo.CommandFailed {
		return nil, meibo.FieldError("status", "command.result")
	}
	var v meibo.Validation
	checkLocation(&v, res.Location, s.now())
	if err := v.Err(); err != nil {
		// The result counts without the location: a command that cannot
		// finish would be tried again for ever.
		s.log.Info("command result: location out of range left out", "device", d.ID, "command", id, "err", err)
		res.Location = nil
	}
	var c *meibo.Command
	err := s.store.Update(ctx, func(tx meibo.Tx) error {
		var err error
		if c, err = tx.Command(ctx, id); err != nil {
			return err
		}
		if c.DeviceID != d.ID {
			return meibo.NotFound("not_found")
		}
		now := tx.Now()
		c.Status, c.Result, c.FinishedAt = res.Status, clip(res.Result, 500), &now
		ok, err := tx.FinishCommand(ctx, c)
		if err != nil {
			return err
		}
		if !ok {
			return meibo.Conflict("command.not_queued")
		}
		if res.Locked != nil || res.Location != nil {
			if err := tx.CheckInDevice(ctx, d.ID, meibo.DeviceStatus{Locked: res.Locked, Location: res.Location}, now); err != nil {
				return err
			}
		}
		if c.Action == meibo.ActionWipe && c.Status == meibo.CommandDone {
			cur, err := tx.Device(ctx, d.ID)
			if err != nil {
				return err
			}
			if err := s.revoke(ctx, tx, cur); err != nil {
				return err
			}
		}
		ctx := meibo.WithActor(ctx, deviceActor(d, ""))
		return s.audit(ctx, tx, "command."+string(c.Status), meibo.CategoryDevice, "command", strconv.FormatInt(c.ID, 10), d.GroupID,
			map[string]any{"device": d.ID, "action": string(c.Action), "requestedBy": c.RequestedBy, "result": c.Result})
	})
	if err != nil {
		return nil, err
	}
	s.metrics().CommandFinished(string(c.Action), string(c.Status))
	if c.Action == meibo.ActionWipe && c.Status == meibo.CommandDone {
		s.waiters.wake(d.ID)
	}
	return c, nil
}

// expireCommands expires queued commands no device took in time.
func (s *Service) expireCommands(ctx context.Context) error {
	return s.store.Update(ctx, func(tx meibo.Tx) error {
		cmds, err := tx.ExpireCommands(ctx, tx.Now())
		if err != nil {
			return err
		}
		for _, c := range cmds {
			e := &meibo.AuditEvent{ActorKind: meibo.ActorSystem, ActorName: "meibo", Action: "command.expire", Category: meibo.CategoryDevice,
				ObjectKind: "command", ObjectID: strconv.FormatInt(c.ID, 10), GroupID: c.GroupID,
				Details: map[string]any{"device": c.DeviceID, "action": string(c.Action), "requestedBy": c.RequestedBy}}
			if err := tx.AddAudit(ctx, e); err != nil {
				return err
			}
		}
		return nil
	})
}
