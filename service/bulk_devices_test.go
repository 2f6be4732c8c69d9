package service_test

import (
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

// TestBulkDevices: a command to every device a keyword matches, and the
// revocation of chosen ones; revoked devices are left as they are.
func TestBulkDevices(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		e.group("G1")
		e.group("G2")
		e.devUser("G1", "alice", false)
		var g1 []*meibo.Device
		for _, n := range []string{"van-1", "van-2", "van-3", "desk-1"} {
			_, d := e.devEnrol("G1", "alice", n)
			g1 = append(g1, d)
		}
		_, other := e.devEnrol("G2", "", "van-9")
		noErr(t, e.svc.RevokeDevice(e.sys, g1[2].ID))
		// What "all matching" selects is counted, revoked devices aside,
		// up to a bound.
		for _, c := range []struct {
			keyword     string
			limit, want int
		}{{"", 10, 3}, {"VAN", 10, 2}, {"desk", 10, 1}, {"", 2, 3}, {"nothing", 10, 0},
			// Width-blind: a keyword typed in full width, the user's name.
			{"ｖａｎ－", 10, 2}, {"ＤＥＳＫ", 10, 1}, {"ＡＬＩＣＥ", 10, 3}, {"lic", 10, 3}} {
			if n := must(e.svc.BulkCountDevices(e.sys, "G1", c.keyword, c.limit))(t); n != c.want {
				t.Errorf("count %q up to %d: %d, want %d", c.keyword, c.limit, n, c.want)
			}
		}
		run := func(a *meibo.Actor, req service.BulkRequest) *meibo.ImportJob {
			t.Helper()
			q := must(e.svc.SubmitBulk(as(a), req))(t)
			return must(e.svc.RunImport(as(a), q.ID, nil))(t)
		}
		ops := &meibo.Actor{Kind: meibo.ActorAdmin, ID: 9, Name: "ops", Authorities: meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthDevices, meibo.AuthEmergency)}
		noEmergency := &meibo.Actor{Kind: meibo.ActorAdmin, ID: 10, Name: "dev", Authorities: meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthDevices)}

		_, err := e.svc.SubmitBulk(as(noEmergency), service.BulkRequest{Action: service.BulkCommand, GroupID: "G1", Filter: &service.BulkFilter{}, Command: "lock"})
		wantCode(t, err, meibo.CodeForbidden)
		_, err = e.svc.SubmitBulk(as(ops), service.BulkRequest{Action: service.BulkCommand, GroupID: "G1", Filter: &service.BulkFilter{}, Command: "explode"})
		wantCode(t, err, meibo.CodeInvalid)

		// A dry run queues nothing. A filter selects enrolled devices only.
		j := run(ops, service.BulkRequest{Action: service.BulkCommand, GroupID: "G1", Filter: &service.BulkFilter{Keyword: "van"}, Command: "lock", DryRun: true})
		if j.Status != meibo.ImportSuccess || j.Updated != 2 || j.Unchanged != 0 {
			t.Fatalf("dry run %+v", j)
		}
		if cs := must(e.svc.DeviceCommands(as(ops), g1[0].ID, 0))(t); len(cs) != 0 {
			t.Fatalf("a dry run queued %d commands", len(cs))
		}
		j = run(ops, service.BulkRequest{Action: service.BulkCommand, GroupID: "G1", Filter: &service.BulkFilter{Keyword: "van"}, Command: "lock"})
		if j.Status != meibo.ImportSuccess || j.Updated != 2 || j.Unchanged != 0 {
			t.Fatalf("command job %+v", j)
		}
		for i, want := range []int{1, 1, 0, 0} {
			if cs := must(e.svc.DeviceCommands(as(ops), g1[i].ID, 0))(t); len(cs) != want || want == 1 && (cs[0].Action != meibo.ActionLock || cs[0].RequestedBy != "ops") {
				t.Errorf("%s: commands %+v", g1[i].Name, cs)
			}
		}
		if ev := e.eventsFor("command.queue"); len(ev) != 0 {
			t.Errorf("%d command.queue events; a bulk action records one", len(ev))
		}
		if ev := e.eventsFor("bulk.success"); len(ev) != 2 || ev[0].Category != meibo.CategoryDevice || ev[0].Details["command"] != "lock" ||
			ev[0].Details["dryRun"] != false || ev[1].Details["dryRun"] != true {
			t.Errorf("bulk.success events %+v", ev)
		}

		// Revoke by IDs; one of another group refuses the whole job.
		j = run(ops, service.BulkRequest{Action: service.BulkRevoke, GroupID: "G1", IDs: []int64{g1[0].ID, other.ID}})
		if j.Status != meibo.ImportFailed || j.ErrorCount != 1 {
			t.Fatalf("revoke across groups %+v", j)
		}
		if d := must(e.svc.Device(e.sys, g1[0].ID))(t); d.RevokedAt != nil {
			t.Fatal("a refused job revoked a device")
		}
		j = run(ops, service.BulkRequest{Action: service.BulkRevoke, GroupID: "G1", IDs: []int64{g1[0].ID, g1[2].ID, g1[3].ID}})
		if j.Status != meibo.ImportSuccess || j.Updated != 2 || j.Unchanged != 1 {
			t.Fatalf("revoke job %+v", j)
		}
		for i, want := range []bool{true, false, true, true} {
			if d := must(e.svc.Device(e.sys, g1[i].ID))(t); (d.RevokedAt != nil) != want {
				t.Errorf("%s revoked %v, want %v", d.Name, d.RevokedAt != nil, want)
			}
		}
		// The queued lock of a revoked device is cancelled.
		if cs := must(e.svc.DeviceCommands(as(ops), g1[0].ID, 0))(t); len(cs) != 1 || cs[0].Status != meibo.CommandCancelled {
			t.Errorf("commands of a revoked device %+v", cs)
		}
	})
}
