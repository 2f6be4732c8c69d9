package service_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

// bkPublic is the public address of the bulk tests' services (links).
const bkPublic = "https://meibo.example.com"

func newBkEnv(t *testing.T, engine string) *ixEnv {
	return newIxEnv(t, engine, func(c *service.Config) { c.PublicURL = bkPublic })
}

// bkUsers adds n users to group through the store, in one transaction:
// "u0000"… with an e-mail address, the profile named, every third one
// disabled.
func bkUsers(e *ixEnv, group, profile string, n int) {
	e.t.Helper()
	ctx := context.Background()
	e.must(e.db.Update(ctx, func(tx meibo.Tx) error {
		p, err := tx.ProfileByName(ctx, group, profile)
		if err != nil {
			return err
		}
		us := make([]*meibo.User, n)
		for i := range us {
			name := fmt.Sprintf("u%04d", i)
			us[i] = &meibo.User{GroupID: group, Name: name, Email: name + "@example.com", ProfileID: p.ID, Disabled: i%3 == 0}
		}
		return tx.CreateUsers(ctx, us)
	}))
}

// bulk submits a bulk action as ctx and runs it here; it fails the test when
// the action cannot be submitted.
func bulk(e *ixEnv, ctx context.Context, req service.BulkRequest) *meibo.ImportJob {
	e.t.Helper()
	q, err := e.svc.SubmitBulk(ctx, req)
	if err != nil {
		e.t.Fatalf("submit %s: %v", req.Action, err)
	}
	if q.Status != meibo.ImportQueued || q.Format != "bulk:"+req.Action {
		e.t.Fatalf("queued job %+v", q)
	}
	j, err := e.svc.RunImport(ctx, q.ID, nil)
	e.must(err)
	return j
}

// changes reads a bulk job's list of changes: change per user name.
func changes(e *ixEnv, j *meibo.ImportJob) map[string]string {
	e.t.Helper()
	_, data, err := e.svc.ImportFile(e.sys, j.ID)
	e.must(err)
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	e.must(err)
	if len(rows) == 0 || strings.Join(rows[0], ",") != "id,name,change,before,after" {
		e.t.Fatalf("changes file %q", data)
	}
	out := map[string]string{}
	for _, r := range rows[1:] {
		out[r[1]] = r[2] + ":" + r[3] + "→" + r[4]
	}
	return out
}

func count(us map[string]*meibo.User, f func(*meibo.User) bool) int {
	n := 0
	for _, u := range us {
		if f(u) {
			n++
		}
	}
	return n
}

func TestBulkUserActions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newBkEnv(t, engine)
		e.group("G1")
		e.group("G2")
		e.profile("G1", "field", false)
		bkUsers(e, "G1", "default", 30) // 10 disabled
		bkUsers(e, "G2", "default", 3)
		ops := e.admin(service.AdminInput{LoginID: "ops", Authorities: meibo.NewAuthorities(meibo.AuthConsole)})
		ctx := meibo.WithActor(context.Background(), &meibo.Actor{Kind: meibo.ActorAdmin, ID: ops.ID, Name: "ops", Authorities: ops.Authorities})

		// Counting what a filter selects: exact up to a bound.
		tr, fa := true, false
		for _, c := range []struct {
			f     service.BulkFilter
			limit int
			want  int
		}{
			{service.BulkFilter{}, 100, 30},
			{service.BulkFilter{Disabled: &tr}, 100, 10},
			{service.BulkFilter{Disabled: &fa}, 100, 20},
			{service.BulkFilter{Disabled: &fa}, 5, 6},
			{service.BulkFilter{Keyword: "u001"}, 100, 10},
			{service.BulkFilter{Keyword: "u002", Disabled: &tr}, 100, 3},
			{service.BulkFilter{Keyword: "u0"}, 5, 6},
		} {
			if n, err := e.svc.BulkCount(ctx, "G1", c.f, c.limit); err != nil || n != c.want {
				t.Errorf("BulkCount(%+v, %d) = %d, %v; want %d", c.f, c.limit, n, err, c.want)
			}
		}

		// Disable everything a keyword matches: u001x (10 users, 3 of them disabled already).
		j := bulk(e, ctx, service.BulkRequest{Action: service.BulkDisable, GroupID: "g1", Filter: &service.BulkFilter{Keyword: "u001"}})
		if j.Status != meibo.ImportSuccess || j.Updated != 7 || j.Unchanged != 3 || j.Deleted != 0 || j.GroupID != "G1" {
			t.Fatalf("disable job %+v", j)
		}
		us := e.users("G1")
		if n := count(us, func(u *meibo.User) bool { return u.Disabled }); n != 17 {
			t.Errorf("%d disabled users, want 17", n)
		}
		if !us["u0011"].Disabled || us["u0022"].Disabled {
			t.Errorf("u0011 %v, u0022 %v", us["u0011"].Disabled, us["u0022"].Disabled)
		}
		ch := changes(e, j)
		if len(ch) != 7 || ch["u0011"] != "disabled:false→true" {
			t.Errorf("changes %v", ch)
		}
		ev := e.eventsOf("bulk.success")
		if len(ev) != 1 || ev[0].ActorName != "ops" || ev[0].GroupID != "G1" || ev[0].Details["updated"] != float64(7) ||
			ev[0].Details["unchanged"] != float64(3) || ev[0].Details["action"] != service.BulkDisable {
			t.Errorf("audit %+v", ev)
		}
		if ev := e.eventsOf("user.update"); len(ev) != 0 {
			t.Errorf("%d user.update events; a bulk action records one event", len(ev))
		}

		// Enable by IDs.
		j = bulk(e, ctx, service.BulkRequest{Action: service.BulkEnable, GroupID: "G1", IDs: []int64{us["u0011"].ID, us["u0012"].ID, us["u0001"].ID}})
		if j.Status != meibo.ImportSuccess || j.Updated != 2 || j.Unchanged != 1 {
			t.Fatalf("enable job %+v", j)
		}
		us = e.users("G1")
		if us["u0011"].Disabled || us["u0012"].Disabled || us["u0003"].Disabled != true {
			t.Errorf("after enable: u0011 %v u0012 %v u0003 %v", us["u0011"].Disabled, us["u0012"].Disabled, us["u0003"].Disabled)
		}

		// Move the enabled users to another profile.
		f := false
		j = bulk(e, ctx, service.BulkRequest{Action: service.BulkProfile, GroupID: "G1", Filter: &service.BulkFilter{Disabled: &f}, Profile: "field"})
		us = e.users("G1")
		enabled := count(us, func(u *meibo.User) bool { return !u.Disabled })
		if j.Status != meibo.ImportSuccess || j.Updated != enabled || count(us, func(u *meibo.User) bool { return u.ProfileName == "field" }) != enabled {
			t.Fatalf("profile job %+v, %d enabled", j, enabled)
		}
		if c := changes(e, j)["u0001"]; c != "profile:default→field" {
			t.Errorf("change of u0001: %q", c)
		}

		// Invitations: users with an address and no password, enabled.
		before := e.mails()
		j = bulk(e, ctx, service.BulkRequest{Action: service.BulkInvite, GroupID: "G1", Filter: &service.BulkFilter{}})
		if j.Status != meibo.ImportSuccess || j.Updated != enabled || j.Unchanged != 30-enabled {
			t.Fatalf("invite job %+v", j)
		}
		if got := e.mails() - before; got != enabled {
			t.Errorf("%d invitations queued, want %d", got, enabled)
		}
		// Resets.
		before = e.mails()
		j = bulk(e, ctx, service.BulkRequest{Action: service.BulkReset, GroupID: "G1", IDs: []int64{us["u0001"].ID, us["u0003"].ID}})
		if j.Status != meibo.ImportSuccess || j.Updated != 1 || j.Unchanged != 1 || e.mails()-before != 1 {
			t.Fatalf("reset job %+v", j)
		}

		// End sessions.
		j = bulk(e, ctx, service.BulkRequest{Action: service.BulkSignOut, GroupID: "G1", IDs: []int64{us["u0001"].ID}})
		if j.Status != meibo.ImportSuccess || j.Updated != 1 {
			t.Fatalf("sign-out job %+v", j)
		}

		// Delete the disabled ones.
		j = bulk(e, ctx, service.BulkRequest{Action: service.BulkDelete, GroupID: "G1", Filter: &service.BulkFilter{Disabled: &tr}, Confirm: "G1"})
		if j.Status != meibo.ImportSuccess || j.Deleted != 30-enabled {
			t.Fatalf("delete job %+v", j)
		}
		if n := len(e.users("G1")); n != enabled {
			t.Errorf("%d users left, want %d", n, enabled)
		}
		if n := len(e.users("G2")); n != 3 {
			t.Errorf("G2 has %d users, want 3", n)
		}
		// Deleting invited users fails their pending invitations.
		pending := e.mailsOf(us["u0001"].ID, meibo.MailPending)
		if pending == 0 {
			t.Fatal("u0001 has no pending mail")
		}
		j = bulk(e, ctx, service.BulkRequest{Action: service.BulkDelete, GroupID: "G1", IDs: []int64{us["u0001"].ID}, Confirm: "G1"})
		if j.Status != meibo.ImportSuccess || j.Deleted != 1 {
			t.Fatalf("delete u0001 %+v", j)
		}
		if n := e.mailsOf(us["u0001"].ID, meibo.MailPending); n != 0 {
			t.Errorf("%d mails still pending to a deleted user", n)
		}
		if n := e.mailsOf(us["u0002"].ID, meibo.MailPending); n != 1 {
			t.Errorf("%d mails pending to u0002, want 1", n)
		}
		// The history lists the jobs, newest first.
		jobs, err := e.svc.ImportJobs(ctx, meibo.ImportFilter{Limit: 20})
		e.must(err)
		if len(jobs) != 8 || jobs[0].Format != "bulk:users.delete" {
			t.Errorf("history: %d jobs, first %+v", len(jobs), jobs[0])
		}
	})
}

// mails counts the messages in the outbox.
func (e *ixEnv) mails() int {
	e.t.Helper()
	var n int
	e.must(e.db.View(context.Background(), func(tx meibo.Tx) error {
		ms, err := tx.Mails(context.Background(), meibo.MailFilter{Limit: 1000})
		n = len(ms)
		return err
	}))
	return n
}

// mailsOf counts the messages to a user in status.
func (e *ixEnv) mailsOf(userID int64, status meibo.MailStatus) int {
	e.t.Helper()
	n := 0
	e.must(e.db.View(context.Background(), func(tx meibo.Tx) error {
		ms, err := tx.Mails(context.Background(), meibo.MailFilter{Status: status, Limit: 1000})
		for _, m := range ms {
			if m.UserID != nil && *m.UserID == userID {
				n++
			}
		}
		return err
	}))
	return n
}

// eventsOf returns the audit events of action, newest first.
func (e *ixEnv) eventsOf(action string) []*meibo.AuditEvent {
	e.t.Helper()
	var out []*meibo.AuditEvent
	e.must(e.db.View(context.Background(), func(tx meibo.Tx) error {
		evs, err := tx.AuditEvents(context.Background(), meibo.AuditFilter{Limit: 1000})
		for _, ev := range evs {
			if ev.Action == action {
				out = append(out, ev)
			}
		}
		return err
	}))
	return out
}

// TestBulkAllOrNothing: one user the rules refuse, in the middle of the
// selection, and nothing is written; a dry run writes nothing either.
func TestBulkAllOrNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newBkEnv(t, engine)
		e.group("G1")
		e.profile("G1", "api", true)
		e.profile("G1", "kiosk", false)
		bkUsers(e, "G1", "api", 40)
		us := e.users("G1")
		apiOn := true
		_, err := e.svc.UpdateUser(e.sys, us["u0021"].ID, meibo.UserUpdate{APIAccess: &apiOn})
		e.must(err)
		before := e.users("G1")

		j := bulk(e, e.sys, service.BulkRequest{Action: service.BulkProfile, GroupID: "G1", Filter: &service.BulkFilter{}, Profile: "kiosk"})
		if j.Status != meibo.ImportFailed || j.ErrorCount != 1 || j.Updated != 0 || j.Rows != 40 {
			t.Fatalf("job %+v (want 40 rows, the one refused among them)", j)
		}
		errs, _ := e.messages(j)
		if len(errs) != 1 || errs[0].Column != "" || !strings.HasPrefix(errs[0].Text, "u0021 has API access") {
			t.Errorf("errors %+v", errs)
		}
		after := e.users("G1")
		for name, u := range before {
			if after[name].ProfileName != u.ProfileName || !after[name].UpdatedAt.Equal(u.UpdatedAt) {
				t.Fatalf("%s changed: %+v → %+v", name, u, after[name])
			}
		}
		if ev := e.eventsOf("bulk.failed"); len(ev) != 1 || ev[0].Details["errors"] != float64(1) {
			t.Errorf("bulk.failed events %+v", ev)
		}

		// The dry run of the same says so, and writes nothing.
		j = bulk(e, e.sys, service.BulkRequest{Action: service.BulkProfile, GroupID: "G1", Filter: &service.BulkFilter{}, Profile: "kiosk", DryRun: true})
		failedDry := j
		if j.Status != meibo.ImportFailed || j.ErrorCount != 1 || !j.DryRun {
			t.Fatalf("dry run %+v", j)
		}
		// A dry run of a disable: counts, the list, nothing written.
		j = bulk(e, e.sys, service.BulkRequest{Action: service.BulkDisable, GroupID: "G1", Filter: &service.BulkFilter{}, DryRun: true})
		dry := j
		if j.Status != meibo.ImportSuccess || j.Updated != 26 || j.Unchanged != 14 {
			t.Fatalf("dry disable %+v", j)
		}
		if ch := changes(e, j); len(ch) != 26 {
			t.Errorf("dry run lists %d changes, want 26", len(ch))
		}
		after = e.users("G1")
		for name, u := range before {
			if after[name].Disabled != u.Disabled || !after[name].UpdatedAt.Equal(u.UpdatedAt) {
				t.Fatalf("dry run changed %s", name)
			}
		}
		// A dry run of deleting the group: nothing deleted.
		j = bulk(e, e.sys, service.BulkRequest{Action: service.BulkDelete, GroupID: "G1", Filter: &service.BulkFilter{}, DeleteGroup: true, Confirm: "G1", DryRun: true})
		if j.Status != meibo.ImportSuccess || j.Deleted != 40 || len(e.users("G1")) != 40 {
			t.Fatalf("dry delete %+v", j)
		}
		// Applying it takes the action's authority, not the imports'.
		devicesOnly := meibo.WithActor(bgCtx(), &meibo.Actor{Kind: meibo.ActorAdmin, Name: "devices",
			Authorities: meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthImport, meibo.AuthDevices, meibo.AuthDevicesOnly)})
		if c, err := e.svc.CanConfirmImport(devicesOnly, dry.ID); err != nil || c.Possible {
			t.Errorf("an administrator of devices only may apply the preview: %+v, %v", c, err)
		}
		if _, err := e.svc.ConfirmImport(devicesOnly, dry.ID, nil); meibo.ErrorCode(err) != meibo.CodeForbidden {
			t.Errorf("an administrator of devices only applied the preview: %v", err)
		}
		// The disable's preview applied as it was asked: the same action
		// on the same selection, as a new job.
		if c, err := e.svc.CanConfirmImport(e.sys, dry.ID); err != nil || !c.Possible || c.NeedsFile {
			t.Fatalf("the preview can be applied: %+v, %v", c, err)
		}
		q, err := e.svc.ConfirmImport(e.sys, dry.ID, nil)
		e.must(err)
		if q.DryRun || q.Format != "bulk:"+service.BulkDisable {
			t.Fatalf("applied as %+v", q)
		}
		j, err = e.svc.RunImport(e.sys, q.ID, nil)
		e.must(err)
		disabled := 0
		for _, u := range e.users("G1") {
			if u.Disabled {
				disabled++
			}
		}
		if j.Status != meibo.ImportSuccess || j.Updated != 26 || disabled != 40 {
			t.Errorf("applied: %s, %d updated, %d of 40 disabled", j.Status, j.Updated, disabled)
		}
		// Applied, it is no preview to apply again; nor is a failed one;
		// the preview itself is applied once.
		if q.Confirms != dry.ID {
			t.Errorf("the applied job names the preview %d, want %d", q.Confirms, dry.ID)
		}
		if _, err := e.svc.ConfirmImport(e.sys, dry.ID, nil); wantCode(t, err, meibo.CodeConflict).Msg.Key != "bulk.confirm.done" {
			t.Errorf("the preview applied twice: %v", err)
		}
		for _, id := range []int64{j.ID, failedDry.ID, dry.ID} {
			if c, err := e.svc.CanConfirmImport(e.sys, id); err != nil || c.Possible {
				t.Errorf("job %d can be applied: %+v, %v", id, c, err)
			}
		}
	})
}

// TestBulkRefusals: authority and department scope are checked when the
// action is submitted; a selection reaching outside the group fails whole.
func TestBulkRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newBkEnv(t, engine)
		e.group("G1")
		e.group("G2")
		bkUsers(e, "G1", "default", 5)
		bkUsers(e, "G2", "default", 5)
		dept := &meibo.Actor{Kind: meibo.ActorAdmin, ID: 5, Name: "dept", Groups: []string{"G1"},
			Authorities: meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthDepartment)}
		viewer := &meibo.Actor{Kind: meibo.ActorAdmin, ID: 6, Name: "viewer", Authorities: meibo.NewAuthorities(meibo.AuthLogViewer)}
		devOnly := &meibo.Actor{Kind: meibo.ActorAdmin, ID: 7, Name: "dev", Authorities: meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthDevices, meibo.AuthDevicesOnly)}
		all := &service.BulkFilter{}

		_, err := e.svc.SubmitBulk(as(dept), service.BulkRequest{Action: service.BulkDisable, GroupID: "G2", Filter: all})
		wantCode(t, err, meibo.CodeNotFound)
		_, err = e.svc.SubmitBulk(as(viewer), service.BulkRequest{Action: service.BulkDisable, GroupID: "G1", Filter: all})
		wantCode(t, err, meibo.CodeForbidden)
		_, err = e.svc.SubmitBulk(as(devOnly), service.BulkRequest{Action: service.BulkDelete, GroupID: "G1", Filter: all})
		wantCode(t, err, meibo.CodeForbidden)
		_, err = e.svc.SubmitBulk(as(devOnly), service.BulkRequest{Action: service.BulkCommand, GroupID: "G1", Filter: all, Command: "lock"})
		wantCode(t, err, meibo.CodeForbidden) // no emergency authority
		_, err = e.svc.SubmitBulk(as(dept), service.BulkRequest{Action: service.BulkDelete, GroupID: "G1", Filter: all, DeleteGroup: true, Confirm: "G1"})
		wantCode(t, err, meibo.CodeForbidden)
		_, err = e.svc.SubmitBulk(e.sys, service.BulkRequest{Action: service.BulkDelete, GroupID: "G1", Filter: all, DeleteGroup: true, Confirm: "G2"})
		wantCode(t, err, meibo.CodeInvalid)
		_, err = e.svc.SubmitBulk(e.sys, service.BulkRequest{Action: "users.explode", GroupID: "G1", Filter: all})
		wantCode(t, err, meibo.CodeInvalid)
		_, err = e.svc.SubmitBulk(e.sys, service.BulkRequest{Action: service.BulkDisable, GroupID: "G1"})
		wantCode(t, err, meibo.CodeInvalid)
		_, err = e.svc.SubmitBulk(e.sys, service.BulkRequest{Action: service.BulkProfile, GroupID: "G1", Filter: all, Profile: "nope"})
		wantCode(t, err, meibo.CodeInvalid)
		if ev := e.eventsOf("bulk.submit"); len(ev) != 0 {
			t.Errorf("refused submissions recorded jobs: %+v", ev)
		}

		// IDs of another group (in scope of the group asked for): refused
		// whole, nothing written.
		g1, g2 := e.users("G1"), e.users("G2")
		j := bulk(e, as(dept), service.BulkRequest{Action: service.BulkDelete, GroupID: "G1", IDs: []int64{g1["u0001"].ID, g2["u0002"].ID}, Confirm: "G1"})
		if j.Status != meibo.ImportFailed || j.ErrorCount != 1 || j.Rows != 2 {
			t.Fatalf("job %+v (want FAILED, 1 error, 2 rows: the user that would be deleted and the one refused)", j)
		}
		// The refusal names the user in its text; its column is empty, a
		// bulk action having no columns.
		if ms := must(e.svc.ImportMessages(as(dept), j.ID, 10))(t); len(ms) != 1 || ms[0].Row != 2 || ms[0].Column != "" ||
			ms[0].Text != fmt.Sprintf("User %d is not in this group.", g2["u0002"].ID) {
			t.Errorf("messages %+v", ms)
		}
		if len(e.users("G1")) != 5 || len(e.users("G2")) != 5 {
			t.Errorf("users deleted by a refused job")
		}
		// The department administrator sees their group's job, not others'.
		other := bulk(e, e.sys, service.BulkRequest{Action: service.BulkEnable, GroupID: "G2", Filter: all})
		if _, err := e.svc.ImportJob(as(dept), other.ID); meibo.ErrorCode(err) != meibo.CodeNotFound {
			t.Errorf("department administrator reads G2's job: %v", err)
		}
		if _, err := e.svc.ImportJob(as(dept), j.ID); err != nil {
			t.Errorf("department administrator reads their job: %v", err)
		}
		// Jobs waiting count towards the queue's bound, imports and bulk
		// actions alike.
		var refusal error
		for range service.DefaultImportMaxActive + 1 {
			if _, refusal = e.svc.SubmitBulk(e.sys, service.BulkRequest{Action: service.BulkSignOut, GroupID: "G2", Filter: all}); refusal != nil {
				break
			}
		}
		wantCode(t, refusal, meibo.CodeRateLimited)
	})
}

// TestBulkDeleteProfileAndGroup: the ways through a profile in use and a
// group with users.
func TestBulkDeleteProfileAndGroup(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newBkEnv(t, engine)
		e.group("G1")
		e.profile("G1", "old", false)
		bkUsers(e, "G1", "old", 25)
		var old *meibo.Profile
		ps, err := e.svc.Profiles(e.sys, "G1")
		e.must(err)
		for _, p := range ps {
			if p.Name == "old" {
				old = p
			}
		}
		if err := e.svc.DeleteProfile(e.sys, old.ID); meibo.ErrorCode(err) != meibo.CodeConflict {
			t.Fatalf("delete profile in use: %v", err)
		}
		j := bulk(e, e.sys, service.BulkRequest{Action: service.BulkProfile, GroupID: "G1", Filter: &service.BulkFilter{ProfileID: &old.ID},
			Profile: "default", DeleteProfile: true})
		if j.Status != meibo.ImportSuccess || j.Updated != 25 {
			t.Fatalf("move job %+v", j)
		}
		ps, err = e.svc.Profiles(e.sys, "G1")
		e.must(err)
		if len(ps) != 1 || ps[0].Name != "default" {
			t.Errorf("profiles after the move: %+v", ps)
		}
		if ev := e.eventsOf("profile.delete"); len(ev) != 1 {
			t.Errorf("profile.delete events %+v", ev)
		}

		if err := e.svc.DeleteGroup(e.sys, "G1"); meibo.ErrorCode(err) != meibo.CodeConflict {
			t.Fatalf("delete group with users: %v", err)
		}
		// Every user, the group kept: as deleting the group, the group's ID
		// typed confirms it (a preview too, whose request is applied as it
		// was asked); so it does for a filter that narrows, or users
		// selected one by one.
		for confirm, key := range map[string]string{"": "bulk.confirm.all", " ": "bulk.confirm.all", "G2": "bulk.confirm"} {
			for _, dry := range []bool{false, true} {
				_, err := e.svc.SubmitBulk(e.sys, service.BulkRequest{Action: service.BulkDelete, GroupID: "G1", Filter: &service.BulkFilter{}, Confirm: confirm, DryRun: dry})
				if f := wantCode(t, err, meibo.CodeInvalid).Fields["confirm"]; f.Key != key {
					t.Errorf("delete every user, confirm %q (dry run %t): %v", confirm, dry, err)
				}
			}
		}
		if n := len(e.users("G1")); n != 25 {
			t.Fatalf("users after refused deletions: %d", n)
		}
		one := e.users("G1")["u0001"].ID
		for _, req := range []service.BulkRequest{
			{Action: service.BulkDelete, GroupID: "G1", Filter: &service.BulkFilter{Keyword: "u0001"}},
			{Action: service.BulkDelete, GroupID: "G1", IDs: []int64{one}},
			{Action: service.BulkDelete, GroupID: "G1", IDs: []int64{one}, DryRun: true},
		} {
			for confirm, key := range map[string]string{"": "bulk.confirm.delete", "G2": "bulk.confirm"} {
				req.Confirm = confirm
				_, err := e.svc.SubmitBulk(e.sys, req)
				if f := wantCode(t, err, meibo.CodeInvalid).Fields["confirm"]; f.Key != key {
					t.Errorf("delete %+v, confirm %q: %v", req, confirm, err)
				}
			}
		}
		if n := len(e.users("G1")); n != 25 {
			t.Fatalf("users after refused deletions: %d", n)
		}
		j = bulk(e, e.sys, service.BulkRequest{Action: service.BulkDelete, GroupID: "G1", Filter: &service.BulkFilter{Keyword: "nobody-matches"}, Confirm: "G1"})
		if j.Status != meibo.ImportSuccess || j.Deleted != 0 {
			t.Errorf("a narrowed deletion, confirmed: %+v", j)
		}
		j = bulk(e, e.sys, service.BulkRequest{Action: service.BulkDelete, GroupID: "G1", Filter: &service.BulkFilter{}, DeleteGroup: true, Confirm: "g1"})
		if j.Status != meibo.ImportSuccess || j.Deleted != 25 {
			t.Fatalf("delete group job %+v", j)
		}
		if _, err := e.svc.Group(e.sys, "G1"); meibo.ErrorCode(err) != meibo.CodeNotFound {
			t.Errorf("group after delete: %v", err)
		}
		if ev := e.eventsOf("group.delete"); len(ev) != 1 || ev[0].Details["users"] != float64(25) {
			t.Errorf("group.delete events %+v", ev)
		}
		// The job stays in the history after its group is gone.
		if got := e.stored(j.ID); got.Status != meibo.ImportSuccess {
			t.Errorf("job after the group's deletion %+v", got)
		}
	})
}

// TestBulkProgress: a bulk job reports how many of its users are done.
func TestBulkProgress(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newBkEnv(t, engine)
		e.group("G1")
		bkUsers(e, "G1", "default", 6000) // 2,000 disabled
		q, err := e.svc.SubmitBulk(e.sys, service.BulkRequest{Action: service.BulkDisable, GroupID: "G1", Filter: &service.BulkFilter{}})
		e.must(err)
		var last *service.Progress
		var fractions []float64
		j, err := e.svc.RunImport(e.sys, q.ID, func(p *service.Progress) {
			last = p
			fractions = append(fractions, p.Fraction())
		})
		e.must(err)
		if j.Status != meibo.ImportSuccess || j.Updated != 4000 || j.Unchanged != 2000 || j.Rows != 6000 {
			t.Fatalf("job %+v", j)
		}
		if last == nil || last.Phase() != service.PhaseApply || last.Rows.Load() != 4000 || last.Fraction() != 1 {
			t.Fatalf("last progress %+v (fraction %v)", last, last.Fraction())
		}
		for i := 1; i < len(fractions); i++ {
			if fractions[i] < fractions[i-1] {
				t.Errorf("progress went back: %v", fractions)
			}
		}
	})
}

// TestBulkInterrupted: a bulk job left RUNNING by a process that died is
// failed at the next start; it wrote nothing, and it keeps its request.
func TestBulkInterrupted(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newBkEnv(t, engine)
		e.group("G1")
		bkUsers(e, "G1", "default", 10)
		q, err := e.svc.SubmitBulk(e.sys, service.BulkRequest{Action: service.BulkDelete, GroupID: "G1", Filter: &service.BulkFilter{}, Confirm: "G1"})
		e.must(err)
		dead := fmt.Sprintf("%s:%d", ixHost, ixDeadPID(t))
		e.must(e.db.Update(context.Background(), func(tx meibo.Tx) error {
			_, err := tx.ClaimImportJobID(context.Background(), q.ID, dead)
			return err
		}))
		e.must(e.svc.RecoverImports(e.sys))
		j := e.stored(q.ID)
		if j.Status != meibo.ImportFailed || j.ErrorCount != 1 {
			t.Fatalf("job %+v", j)
		}
		_, data, err := e.svc.ImportFile(e.sys, q.ID)
		e.must(err)
		if !strings.Contains(string(data), `"action":"users.delete"`) {
			t.Errorf("kept file %q", data)
		}
		if n := len(e.users("G1")); n != 10 {
			t.Errorf("%d users left", n)
		}
	})
}
