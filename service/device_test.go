package service_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

// devPassword is the portal password of the device tests' users.
const devPassword = "Quiet-harbour-42"

// devUser creates a user of group with the portal password devPassword (a
// group admin user when admin).
func (e *env) devUser(group, name string, admin bool) *meibo.User {
	e.t.Helper()
	return must(e.svc.CreateUser(e.sys, group, service.UserInput{Name: name, Email: name + "@example.org", Password: devPassword, Admin: admin}))(e.t)
}

// devEnrol enrols a device into group for user (blank: nobody) through an
// enrolment token, and returns its secret and the device.
func (e *env) devEnrol(group, user, name string) (string, *meibo.Device) {
	e.t.Helper()
	tok, _ := must2(e.svc.CreateEnrolmentToken(e.sys, group, user, 0))(e.t)
	secret, d := must2(e.svc.Enrol(bg, service.EnrolInfo{Token: tok, Name: name, Platform: "test", Model: "T1", Serial: "SN-" + name}, "192.0.2.200"))(e.t)
	return secret, d
}

// waitPolls waits until n long polls wait on the service.
func (e *env) waitPolls(n int) {
	e.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for e.svc.Waiting() != n {
		if time.Now().After(deadline) {
			e.t.Fatalf("%d long polls wait, want %d", e.svc.Waiting(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// devPortal signs a user in to the portal and returns their actor.
func (e *env) devPortal(group, name string) *meibo.Actor {
	e.t.Helper()
	addr := fmt.Sprint("198.51.100.", e.seq.Add(1)%250)
	secret, _ := must2(e.svc.PortalSignIn(bg, group, name, devPassword, addr, "test", meibo.English))(e.t)
	a, _ := must2(e.svc.PortalActor(bg, secret, addr))(e.t)
	return a
}

// devCommand reads a command as stored.
func (e *env) devCommand(id int64) *meibo.Command {
	e.t.Helper()
	var c *meibo.Command
	noErr(e.t, e.db.View(bg, func(tx meibo.Tx) error {
		var err error
		c, err = tx.Command(bg, id)
		return err
	}))
	return c
}

// devDevice reads a device as stored.
func (e *env) devDevice(id int64) *meibo.Device {
	e.t.Helper()
	var d *meibo.Device
	noErr(e.t, e.db.View(bg, func(tx meibo.Tx) error {
		var err error
		d, err = tx.Device(bg, id)
		return err
	}))
	return d
}

// checkIn authenticates a device by its secret and checks in without
// waiting.
func (e *env) checkIn(secret string) []*meibo.Command {
	e.t.Helper()
	d := must(e.svc.AuthenticateDevice(bg, secret))(e.t)
	return must(e.svc.CheckIn(bg, d, meibo.DeviceStatus{}, 0))(e.t)
}

// TestCommandLifecycle follows commands through queued → delivered → done |
// failed, with every step timed and audited and the requester kept by name.
func TestCommandLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		e.group("G1")
		alice := e.devUser("G1", "alice", false)
		secret, d := e.devEnrol("G1", "alice", "alice-phone")
		if d.UserID == nil || *d.UserID != alice.ID || d.UserName != "alice" || d.EnrolledAt == nil {
			t.Fatalf("enrolled device %+v", d)
		}
		if cmds := e.checkIn(secret); len(cmds) != 0 {
			t.Fatalf("a new device got %d commands", len(cmds))
		}
		a := e.devPortal("G1", "alice")

		queuedAt := e.clock.Now()
		c := must(e.svc.SendCommand(as(a), d.ID, service.PortalCommand{Action: meibo.ActionLock}))(t)
		if c.Status != meibo.CommandQueued || c.RequestedBy != "alice" || c.RequesterKind != meibo.ActorUser || !c.CreatedAt.Equal(queuedAt) ||
			!c.ExpiresAt.Equal(queuedAt.Add(meibo.CommandTTL)) {
			t.Fatalf("queued %+v", c)
		}
		e.clock.Add(2 * time.Second)
		cmds := e.checkIn(secret)
		if len(cmds) != 1 || cmds[0].ID != c.ID || cmds[0].Status != meibo.CommandDelivered || cmds[0].DeliveredAt == nil ||
			!cmds[0].DeliveredAt.Equal(queuedAt.Add(2*time.Second)) {
			t.Fatalf("delivered %+v", cmds)
		}
		if again := e.checkIn(secret); len(again) != 0 {
			t.Errorf("a delivered command was delivered again: %+v", again)
		}
		// A delivered command can no longer be cancelled.
		_, err := e.svc.CancelCommand(as(a), c.ID)
		wantCode(t, err, meibo.CodeConflict)

		e.clock.Add(time.Second)
		dev := must(e.svc.AuthenticateDevice(bg, secret))(t)
		locked := true
		done := must(e.svc.ReportResult(bg, dev, c.ID, service.CommandResult{Status: meibo.CommandDone, Result: "locked", Locked: &locked}))(t)
		if done.Status != meibo.CommandDone || done.FinishedAt == nil || !done.FinishedAt.Equal(queuedAt.Add(3*time.Second)) {
			t.Errorf("done %+v", done)
		}
		if got := e.devDevice(d.ID); !got.Locked || got.LastCheckInAt == nil {
			t.Errorf("device after lock %+v", got)
		}
		// A result is reported once.
		_, err = e.svc.ReportResult(bg, dev, c.ID, service.CommandResult{Status: meibo.CommandFailed})
		wantCode(t, err, meibo.CodeConflict)
		_, err = e.svc.ReportResult(bg, dev, c.ID, service.CommandResult{Status: "maybe"})
		wantCode(t, err, meibo.CodeInvalid)

		// Locate reports a position; a failure is kept with its text.
		loc := must(e.svc.SendCommand(as(a), d.ID, service.PortalCommand{Action: meibo.ActionLocate}))(t)
		msg := must(e.svc.SendCommand(as(a), d.ID, service.PortalCommand{Action: meibo.ActionMessage, Message: "  call me  "}))(t)
		if msg.Message != "call me" {
			t.Errorf("message %q", msg.Message)
		}
		cmds = e.checkIn(secret)
		if len(cmds) != 2 || cmds[0].ID != loc.ID || cmds[1].ID != msg.ID || cmds[1].Message != "call me" {
			t.Fatalf("delivered %+v, want locate then message (oldest first)", cmds)
		}
		// A device's clock in nanoseconds is kept to the microsecond, as
		// PostgreSQL keeps it: both engines answer the same.
		at := e.clock.Now().Add(-time.Minute).Add(123456789 * time.Nanosecond)
		must(e.svc.ReportResult(bg, dev, loc.ID, service.CommandResult{Status: meibo.CommandDone,
			Location: &meibo.Location{Latitude: 35.68, Longitude: 139.77, Accuracy: 12, At: at}}))(t)
		must(e.svc.ReportResult(bg, dev, msg.ID, service.CommandResult{Status: meibo.CommandFailed, Result: "screen off"}))(t)
		if got := e.devDevice(d.ID); got.Location == nil || got.Location.Latitude != 35.68 || !got.Location.At.Equal(at.Truncate(time.Microsecond)) {
			t.Errorf("location %+v, want at %v", got.Location, at.Truncate(time.Microsecond))
		}
		if got := e.devCommand(msg.ID); got.Status != meibo.CommandFailed || got.Result != "screen off" {
			t.Errorf("failed command %+v", got)
		}

		// Every step is audited, by whom it was done.
		steps := map[string]string{"command.queue": "alice", "command.deliver": fmt.Sprint("device:", d.ID), "command.done": fmt.Sprint("device:", d.ID)}
		for action, actorName := range steps {
			var found bool
			for _, ev := range e.eventsFor(action) {
				if ev.ObjectID == fmt.Sprint(c.ID) {
					found = true
					if ev.ActorName != actorName || ev.GroupID != "G1" || ev.Category != meibo.CategoryDevice {
						t.Errorf("%s event %+v", action, ev)
					}
				}
			}
			if !found {
				t.Errorf("no %s event for command %d", action, c.ID)
			}
		}
		if ev := e.eventsFor("command.failed"); len(ev) != 1 || ev[0].Details["result"] != "screen off" {
			t.Errorf("failed events %+v", ev)
		}

		// The requester's name outlives the requester.
		noErr(t, e.svc.DeleteUser(e.sys, alice.ID))
		if got := e.devCommand(c.ID); got.RequestedBy != "alice" {
			t.Errorf("requested by %q after the user's deletion", got.RequestedBy)
		}
		if got := e.devDevice(d.ID); got.UserID != nil {
			t.Errorf("the device still belongs to a deleted user: %+v", got)
		}
	})
}

// TestCommandCancelAndExpire: a queued command can be cancelled; one that no
// device takes in time expires through the cleaner, and is never delivered.
func TestCommandCancelAndExpire(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		e.group("G1")
		e.devUser("G1", "alice", false)
		secret, d := e.devEnrol("G1", "alice", "alice-phone")
		a := e.devPortal("G1", "alice")

		c := must(e.svc.SendCommand(as(a), d.ID, service.PortalCommand{Action: meibo.ActionRing}))(t)
		e.clock.Add(time.Second)
		got := must(e.svc.CancelCommand(as(a), c.ID))(t)
		if got.Status != meibo.CommandCancelled || got.FinishedAt == nil || !got.FinishedAt.Equal(e.clock.Now()) {
			t.Errorf("cancelled %+v", got)
		}
		if s := e.devCommand(c.ID); s.Status != meibo.CommandCancelled || s.FinishedAt == nil || !s.FinishedAt.Equal(e.clock.Now()) {
			t.Errorf("stored %+v", s)
		}
		if ev := e.eventsFor("command.cancel"); len(ev) != 1 || ev[0].ActorName != "alice" || ev[0].Details["requestedBy"] != "alice" {
			t.Errorf("cancel events %+v", ev)
		}
		_, err := e.svc.CancelCommand(as(a), c.ID)
		wantCode(t, err, meibo.CodeConflict)
		if cmds := e.checkIn(secret); len(cmds) != 0 {
			t.Errorf("a cancelled command was delivered: %+v", cmds)
		}
		// An administrator's lock of the device is not the user's to
		// cancel (someone holding the password would, before it arrives).
		admin := must(e.svc.SendAdminCommand(e.sys, d.ID, meibo.ActionLock, ""))(t)
		_, err = e.svc.CancelCommand(as(a), admin.ID)
		if c := wantCode(t, err, meibo.CodeForbidden); c.Msg.Key != "command.cancel.admin" {
			t.Errorf("a portal user cancels an administrator's command: %v", err)
		}
		must(e.svc.CancelCommand(e.sys, admin.ID))(t)

		// Expiry: not delivered once its time is over, expired by the
		// cleaner, audited as meibo's own work.
		old := must(e.svc.SendCommand(as(a), d.ID, service.PortalCommand{Action: meibo.ActionLock}))(t)
		e.clock.Add(meibo.CommandTTL - time.Second)
		fresh := must(e.svc.SendCommand(as(a), d.ID, service.PortalCommand{Action: meibo.ActionRing}))(t)
		e.clock.Add(time.Second)
		ctx, cancel := context.WithCancel(bg)
		stopped := make(chan struct{})
		go func() {
			defer close(stopped)
			e.svc.RunCleaner(ctx)
		}()
		deadline := time.Now().Add(10 * time.Second)
		for e.devCommand(old.ID).Status == meibo.CommandQueued && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		<-stopped
		if s := e.devCommand(old.ID); s.Status != meibo.CommandExpired || s.FinishedAt == nil || !s.FinishedAt.Equal(e.clock.Now()) {
			t.Errorf("old command %+v, want expired", s)
		}
		if s := e.devCommand(fresh.ID); s.Status != meibo.CommandQueued {
			t.Errorf("a command inside its time was expired: %+v", s)
		}
		ev := e.eventsFor("command.expire")
		if len(ev) != 1 || ev[0].ObjectID != fmt.Sprint(old.ID) || ev[0].ActorKind != meibo.ActorSystem || ev[0].Details["requestedBy"] != "alice" {
			t.Errorf("expire events %+v", ev)
		}
		cmds := e.checkIn(secret)
		if len(cmds) != 1 || cmds[0].ID != fresh.ID {
			t.Errorf("delivered %+v, want only the fresh command", cmds)
		}
		// A command past its time but not yet expired by the cleaner is
		// not delivered either.
		late := must(e.svc.SendCommand(as(a), d.ID, service.PortalCommand{Action: meibo.ActionRing}))(t)
		e.clock.Add(meibo.CommandTTL)
		if cmds := e.checkIn(secret); len(cmds) != 0 {
			t.Errorf("a command past its time was delivered: %+v", cmds)
		}
		if s := e.devCommand(late.ID); s.Status != meibo.CommandQueued || s.DeliveredAt != nil {
			t.Errorf("late command %+v", s)
		}
	})
}

// TestLongPoll: a check-in that waits returns as soon as a command is queued
// for its device, and not for another device's command.
func TestLongPoll(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		e.group("G1")
		e.devUser("G1", "alice", false)
		secret, d := e.devEnrol("G1", "alice", "alice-phone")
		_, other := e.devEnrol("G1", "alice", "alice-tablet")
		a := e.devPortal("G1", "alice")
		dev := must(e.svc.AuthenticateDevice(bg, secret))(t)

		type answer struct {
			cmds []*meibo.Command
			err  error
			at   time.Time
		}
		got := make(chan answer, 1)
		go func() {
			cmds, err := e.svc.CheckIn(bg, dev, meibo.DeviceStatus{}, 20*time.Second)
			got <- answer{cmds, err, time.Now()}
		}()
		e.waitPolls(1)
		must(e.svc.SendCommand(as(a), other.ID, service.PortalCommand{Action: meibo.ActionRing}))(t)
		select {
		case r := <-got:
			t.Fatalf("another device's command woke the poll: %+v, %v", r.cmds, r.err)
		case <-time.After(200 * time.Millisecond):
		}
		queued := time.Now()
		c := must(e.svc.SendCommand(as(a), d.ID, service.PortalCommand{Action: meibo.ActionLock}))(t)
		select {
		case r := <-got:
			if r.err != nil || len(r.cmds) != 1 || r.cmds[0].ID != c.ID {
				t.Fatalf("long poll answered %+v, %v", r.cmds, r.err)
			}
			if lat := r.at.Sub(queued); lat > time.Second {
				t.Errorf("the command took %v to reach the waiting device", lat)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the long poll did not return when a command was queued")
		}
		if n := e.svc.Waiting(); n != 0 {
			t.Errorf("%d long polls still registered", n)
		}
		// A poll whose request ends returns at once, with nothing.
		ctx, cancel := context.WithCancel(bg)
		go func() {
			cmds, err := e.svc.CheckIn(ctx, dev, meibo.DeviceStatus{}, 20*time.Second)
			got <- answer{cmds, err, time.Now()}
		}()
		e.waitPolls(1)
		cancel()
		select {
		case r := <-got:
			if r.err != nil || len(r.cmds) != 0 {
				t.Errorf("cancelled poll: %+v, %v", r.cmds, r.err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("a cancelled poll did not return")
		}
	})
}

// TestEnrolAndRevoke: an enrolment token works once and not after its
// time; a revoked device is refused and its queued commands are cancelled.
func TestEnrolAndRevoke(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		e.group("G1")
		e.devUser("G1", "alice", false)
		tok, k := must2(e.svc.CreateEnrolmentToken(e.sys, "G1", "alice", time.Hour))(t)
		if k.CreatedBy != "cli" || !k.ExpiresAt.Equal(e.clock.Now().Add(time.Hour)) {
			t.Errorf("token %+v", k)
		}
		in := service.EnrolInfo{Token: tok, Name: "phone", Serial: "S1"}
		secret, d := must2(e.svc.Enrol(bg, in, "192.0.2.1"))(t)
		_, _, err := e.svc.Enrol(bg, service.EnrolInfo{Token: tok, Name: "phone 2"}, "192.0.2.1")
		if wantCode(t, err, meibo.CodeUnauthorized).Msg.Key != "device.enrol.invalid" {
			t.Errorf("second use: %v", err)
		}
		late, _ := must2(e.svc.CreateEnrolmentToken(e.sys, "G1", "", time.Hour))(t)
		e.clock.Add(time.Hour)
		_, _, err = e.svc.Enrol(bg, service.EnrolInfo{Token: late, Name: "late"}, "192.0.2.1")
		wantCode(t, err, meibo.CodeUnauthorized)
		_, _, err = e.svc.Enrol(bg, service.EnrolInfo{Token: "mbe_forged", Name: "forged"}, "192.0.2.1")
		wantCode(t, err, meibo.CodeUnauthorized)
		for _, s := range []string{"", "mbd_forged", tok} {
			_, err := e.svc.AuthenticateDevice(bg, s)
			wantCode(t, err, meibo.CodeUnauthorized)
		}

		a := e.devPortal("G1", "alice")
		c := must(e.svc.SendCommand(as(a), d.ID, service.PortalCommand{Action: meibo.ActionRing}))(t)
		noErr(t, e.svc.RevokeDevice(e.sys, d.ID))
		_, err = e.svc.AuthenticateDevice(bg, secret)
		wantCode(t, err, meibo.CodeUnauthorized)
		if s := e.devCommand(c.ID); s.Status != meibo.CommandCancelled {
			t.Errorf("queued command of a revoked device: %+v", s)
		}
		_, err = e.svc.SendAdminCommand(e.sys, d.ID, meibo.ActionLock, "")
		wantCode(t, err, meibo.CodeConflict)
		_, err = e.svc.SendCommand(as(a), d.ID, service.PortalCommand{Action: meibo.ActionLock})
		wantCode(t, err, meibo.CodeNotFound)
		v := must(e.svc.MyDevices(as(a)))(t)
		if len(v.Devices) != 0 {
			t.Errorf("the portal lists a revoked device: %+v", v.Devices)
		}
		if ev := e.eventsFor("device.revoke"); len(ev) != 1 {
			t.Errorf("revoke events %+v", ev)
		}
	})
}

// TestPortalCommandRules: the profile decides which actions a user may
// send; a wipe needs the password again and the device's name typed out,
// and a wipe carried out revokes the device.
func TestPortalCommandRules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		e.group("G1")
		must(e.svc.CreateProfile(e.sys, "G1", meibo.Profile{Name: "lock only", Actions: []meibo.Action{meibo.ActionLock}}))(t)
		u := e.devUser("G1", "alice", false)
		must(e.svc.UpdateUser(e.sys, u.ID, meibo.UserUpdate{Profile: ptr("lock only")}))(t)
		e.devUser("G1", "bob", false)
		_, d := e.devEnrol("G1", "alice", "alice-phone")
		secret, bd := e.devEnrol("G1", "bob", "bob-phone")
		a, b := e.devPortal("G1", "alice"), e.devPortal("G1", "bob")

		must(e.svc.SendCommand(as(a), d.ID, service.PortalCommand{Action: meibo.ActionLock}))(t)
		for _, act := range []meibo.Action{meibo.ActionRing, meibo.ActionLocate, meibo.ActionMessage, meibo.ActionWipe, "explode", ""} {
			_, err := e.svc.SendCommand(as(a), d.ID, service.PortalCommand{Action: act, Message: "hi", Password: devPassword, ConfirmName: "alice-phone"})
			if ec := wantCode(t, err, meibo.CodeInvalid); ec.Fields["action"].Key == "" {
				t.Errorf("%q: %v", act, err)
			}
		}
		// A wipe the profile does not allow says so, whatever name and
		// password came with it, and names the action as the page does; an
		// action that does not exist is unknown, not forbidden.
		verifiesBefore := e.hasher.verifies.Load()
		_, err := e.svc.SendCommand(as(a), d.ID, service.PortalCommand{Action: meibo.ActionWipe, Password: "wrong", ConfirmName: "not the name"})
		if f := wantCode(t, err, meibo.CodeInvalid).Fields["action"]; f.Key != "command.action" || f.In(meibo.Japanese) != "プロファイルで「ワイプ」の操作は許可されていません。" ||
			f.In(meibo.English) != "Your profile does not allow “Wipe”." {
			t.Errorf("a wipe the profile does not allow: %v", err)
		}
		if e.hasher.verifies.Load() != verifiesBefore {
			t.Error("the password of a wipe the profile does not allow was checked")
		}
		_, err = e.svc.SendCommand(as(a), d.ID, service.PortalCommand{Action: "fly"})
		if f := wantCode(t, err, meibo.CodeInvalid).Fields["action"]; f.Key != "profile.action" {
			t.Errorf("an unknown action: %v", err)
		}
		_, err = e.svc.SendCommand(as(b), bd.ID, service.PortalCommand{Action: meibo.ActionMessage, Message: "   "})
		wantCode(t, err, meibo.CodeInvalid)

		verifies := e.hasher.verifies.Load()
		for _, in := range []service.PortalCommand{
			{Action: meibo.ActionWipe, Password: devPassword},
			{Action: meibo.ActionWipe, Password: devPassword, ConfirmName: "BOB-PHONE"},
			{Action: meibo.ActionWipe, Password: "wrong password", ConfirmName: "bob-phone"},
			{Action: meibo.ActionWipe, ConfirmName: "bob-phone"},
		} {
			_, err := e.svc.SendCommand(as(b), bd.ID, in)
			ec := wantCode(t, err, meibo.CodeInvalid)
			if ec.Fields["confirmName"].Key == "" && ec.Fields["password"].Key == "" {
				t.Errorf("%+v: %v", in, err)
			}
		}
		if n := e.hasher.verifies.Load() - verifies; n != 2 {
			t.Errorf("%d passwords checked for four refused wipes, want 2 (the name is checked first)", n)
		}
		if cmds := must(e.svc.DeviceCommands(e.sys, bd.ID, 0))(t); len(cmds) != 0 {
			t.Fatalf("refused commands were queued: %+v", cmds)
		}
		w := must(e.svc.SendCommand(as(b), bd.ID, service.PortalCommand{Action: meibo.ActionWipe, Password: devPassword, ConfirmName: "bob-phone"}))(t)
		// One wipe at a time.
		_, err = e.svc.SendCommand(as(b), bd.ID, service.PortalCommand{Action: meibo.ActionWipe, Password: devPassword, ConfirmName: "bob-phone"})
		if c := wantCode(t, err, meibo.CodeConflict); c.Msg.Key != "command.wipe.pending" {
			t.Errorf("a second wipe while one is pending: %v", err)
		}
		q := must(e.svc.SendCommand(as(b), bd.ID, service.PortalCommand{Action: meibo.ActionRing}))(t)
		cmds := e.checkIn(secret)
		if len(cmds) != 2 || cmds[0].ID != w.ID {
			t.Fatalf("delivered %+v", cmds)
		}
		// A ring queued after the delivery stays queued until the wipe is
		// done, then is cancelled with the revocation.
		q2 := must(e.svc.SendCommand(as(b), bd.ID, service.PortalCommand{Action: meibo.ActionLock}))(t)
		dev := must(e.svc.AuthenticateDevice(bg, secret))(t)
		must(e.svc.ReportResult(bg, dev, w.ID, service.CommandResult{Status: meibo.CommandDone, Result: "wiped"}))(t)
		if got := e.devDevice(bd.ID); got.RevokedAt == nil || got.SecretHash != "" {
			t.Errorf("a wiped device is still enrolled: %+v", got)
		}
		_, err = e.svc.AuthenticateDevice(bg, secret)
		wantCode(t, err, meibo.CodeUnauthorized)
		// The ring was delivered with the wipe and can still be reported
		// by nobody: the device's secret is gone.
		if s := e.devCommand(q.ID); s.Status != meibo.CommandDelivered {
			t.Errorf("ring %+v", s)
		}
		if s := e.devCommand(q2.ID); s.Status != meibo.CommandCancelled {
			t.Errorf("a command queued for a wiped device: %+v", s)
		}
		// The person who sent the wipe reads that it was done, though the
		// device is gone from their list; another user reads nothing.
		if c, err := e.svc.MyCommand(as(b), w.ID); err != nil || c.Status != meibo.CommandDone {
			t.Errorf("the wipe's status after it was done: %+v, %v", c, err)
		}
		e.devUser("G1", "carl", false)
		if _, err := e.svc.MyCommand(as(e.devPortal("G1", "carl")), w.ID); meibo.ErrorCode(err) != meibo.CodeNotFound {
			t.Errorf("another user reads the wipe: %v", err)
		}
	})
}

// TestLongPollCommandFromAnotherProcess: a command queued by another
// process sharing the database (meibo device command on the server's
// SQLite file, another server on PostgreSQL) reaches a device waiting on
// this server in about a second, not at the end of its poll.
func TestLongPollCommandFromAnotherProcess(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		e.group("G1")
		e.devUser("G1", "alice", false)
		secret, d := e.devEnrol("G1", "alice", "alice-phone")
		dev := must(e.svc.AuthenticateDevice(bg, secret))(t)
		ctx, stop := context.WithCancel(bg)
		defer stop()
		listening := make(chan struct{})
		go func() { defer close(listening); e.svc.RunCommandListener(ctx) }()
		defer func() { stop(); <-listening }()
		time.Sleep(100 * time.Millisecond) // the listener has read where the commands are

		got := make(chan []*meibo.Command, 1)
		go func() {
			cmds, _ := e.svc.CheckIn(bg, dev, meibo.DeviceStatus{}, 20*time.Second)
			got <- cmds
		}()
		e.waitPolls(1)
		cli := service.New(e.db, service.Config{Hasher: e.hasher, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), HashWorkers: 1})
		t.Cleanup(cli.WaitAudits)
		queued := time.Now()
		c := must(cli.SendAdminCommand(e.sys, d.ID, meibo.ActionRing, ""))(t)
		select {
		case cmds := <-got:
			if len(cmds) != 1 || cmds[0].ID != c.ID {
				t.Fatalf("long poll answered %+v", cmds)
			}
			if lat := time.Since(queued); lat > 3*time.Second {
				t.Errorf("the command of another process took %v to reach the waiting device", lat)
			}
		case <-time.After(8 * time.Second):
			t.Fatal("the long poll did not return when another process queued a command")
		}
	})
}
