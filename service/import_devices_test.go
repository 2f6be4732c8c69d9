package service_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

// The tests of devices files and their export. Every name here starts with
// "dx".

// dxEnrol enrols a device into group (assigned to user when not blank) as
// an administrator and the device itself would.
func dxEnrol(e *ixEnv, group, name, serial, user string) *meibo.Device {
	e.t.Helper()
	token, _, err := e.svc.CreateEnrolmentToken(e.sys, group, user, time.Hour)
	e.must(err)
	_, d, err := e.svc.Enrol(bgCtx(), service.EnrolInfo{Token: token, Name: name, Serial: serial, Platform: "test"}, "192.0.2.1")
	e.must(err)
	return d
}

// dxDevices returns the devices of group by ID, as stored, revoked ones too.
func dxDevices(e *ixEnv, group string) map[int64]*meibo.Device {
	e.t.Helper()
	out := map[int64]*meibo.Device{}
	e.must(e.db.View(bgCtx(), func(tx meibo.Tx) error {
		ds, err := tx.Devices(bgCtx(), meibo.DeviceFilter{GroupID: group, IncludeRevoked: true, Limit: 1000})
		for _, d := range ds {
			out[d.ID] = d
		}
		return err
	}))
	return out
}

// dxState renders what a devices file may change of a device.
func dxState(d *meibo.Device) string { return d.Name + "/" + d.UserName }

// dxSnapshot dumps the devices, the enrolment tokens, the commands and the
// audit trail but for the events of imports and exports.
func dxSnapshot(e *ixEnv) []string {
	e.t.Helper()
	var out []string
	for _, table := range []string{"devices", "enrolment_tokens", "commands", "users",
		"audit_events WHERE action NOT LIKE 'import.%' AND action NOT LIKE 'export.%'"} {
		rows, err := e.db.ReadDB().QueryContext(bgCtx(), "SELECT * FROM "+table)
		e.must(err)
		cols, err := rows.Columns()
		e.must(err)
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			e.must(rows.Scan(ptrs...))
			var b strings.Builder
			b.WriteString(table + ":")
			for i, v := range vals {
				switch x := v.(type) {
				case []byte:
					v = string(x)
				case time.Time:
					v = x.UTC().Format(time.RFC3339Nano)
				}
				fmt.Fprintf(&b, "%s=%v|", cols[i], v)
			}
			out = append(out, b.String())
		}
		e.must(rows.Err())
		rows.Close()
	}
	slices.Sort(out)
	return out
}

func dxSame(e *ixEnv, before []string, what string) {
	e.t.Helper()
	if after := dxSnapshot(e); !slices.Equal(before, after) {
		gone, added := ixDiff(before, after)
		e.t.Errorf("%s changed the data:\nrows gone  %q\nrows added %q", what, gone, added)
	}
}

// dxSetup is group G1 with users alice and bob and these devices:
// Tablet 1 (SN-1, alice), Tablet 2 (SN-2), two named Shared and one Solo
// without serial, Retired (SN-R, bob, revoked); group G2 with user carol
// and Other (SN-O, carol).
type dxSetup struct {
	t1, t2, shared1, shared2, solo, gone, other *meibo.Device
}

func dxBase(e *ixEnv) *dxSetup {
	e.t.Helper()
	e.group("G1")
	e.group("G2")
	e.user("G1", service.UserInput{Name: "alice"})
	e.user("G1", service.UserInput{Name: "bob"})
	e.user("G2", service.UserInput{Name: "carol"})
	s := &dxSetup{
		t1:      dxEnrol(e, "G1", "Tablet 1", "SN-1", "alice"),
		t2:      dxEnrol(e, "G1", "Tablet 2", "SN-2", ""),
		shared1: dxEnrol(e, "G1", "Shared", "", ""),
		shared2: dxEnrol(e, "G1", "Shared", "", ""),
		solo:    dxEnrol(e, "G1", "Solo", "", ""),
		gone:    dxEnrol(e, "G1", "Retired", "SN-R", "bob"),
		other:   dxEnrol(e, "G2", "Other", "SN-O", "carol"),
	}
	e.must(e.svc.RevokeDevice(e.sys, s.gone.ID))
	return s
}

var dxReq = service.ImportRequest{Format: meibo.FormatDevices, GroupID: "G1", FileName: "devices.csv"}

// TestImportDevices: serials and names find devices, users are assigned and
// unassigned, names change, rows that change nothing count as unchanged; the
// job is audited once, and a dry run writes nothing.
func TestImportDevices(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine)
		s := dxBase(e)
		ok := ixCSV("serial,name,user",
			"SN-1,,bob",             // by serial: reassigned, name kept
			"SN-2,Tablet two,alice", // by serial: renamed and assigned
			",Solo,alice",           // by name: assigned
		)
		before := dxSnapshot(e)
		dry := dxReq
		dry.DryRun = true
		job := e.run(dry, ok)
		e.wantSuccess(job, 0, 3, 0, 0)
		dxSame(e, before, "a dry run")

		job = e.run(dxReq, ok)
		e.wantSuccess(job, 0, 3, 0, 0)
		got := dxDevices(e, "G1")
		for id, want := range map[int64]string{s.t1.ID: "Tablet 1/bob", s.t2.ID: "Tablet two/alice", s.solo.ID: "Solo/alice",
			s.shared1.ID: "Shared/", s.shared2.ID: "Shared/", s.gone.ID: "Retired/bob"} {
			if dxState(got[id]) != want {
				t.Errorf("device %d: %s, want %s", id, dxState(got[id]), want)
			}
		}
		if got[s.t1.ID].LastCheckInAt != nil || got[s.t2.ID].RevokedAt != nil || got[s.t1.ID].SecretHash == "" {
			t.Errorf("the import changed more than the name and user: %+v", got[s.t1.ID])
		}
		// One audit event for the job, none per device.
		var success int
		for _, ev := range ixEvents(e) {
			switch {
			case ev.Action == "import.success" && ev.ObjectID == fmt.Sprint(job.ID):
				success++
				if ev.Category != meibo.CategoryDevice || ev.GroupID != "G1" || fmt.Sprint(ev.Details["updated"]) != "3" {
					t.Errorf("import.success: %+v", ev)
				}
			case ev.Action == "device.update":
				t.Errorf("a device was audited one by one: %+v", ev)
			}
		}
		if success != 1 {
			t.Errorf("%d import.success events for the job, want 1", success)
		}

		// Unassigning, by name; the same file again changes nothing.
		again := ixCSV("name,user", "Solo,", "Tablet two,alice")
		e.wantSuccess(e.run(dxReq, again), 0, 1, 0, 1)
		e.wantSuccess(e.run(dxReq, again), 0, 0, 0, 2)
		if got := dxDevices(e, "G1")[s.solo.ID]; got.UserID != nil || got.UserName != "" {
			t.Errorf("Solo is still assigned: %+v", got)
		}
		// Warnings of the header do not stop the file.
		job = e.run(dxReq, ixCSV("Serial,USER", "SN-1,alice"))
		e.wantSuccess(job, 0, 1, 0, 0)
		if _, warns := e.messages(job); len(warns) != 2 {
			t.Errorf("warnings: %s", ixShow(warns))
		}
	})
}

// TestImportDevicesRefused: every row error refuses the whole file, names
// its row and column, and writes nothing.
func TestImportDevicesRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine)
		dxBase(e)
		good := "SN-1,,bob" // a row that would apply, in every file
		for _, c := range []struct {
			name string
			rows []string
			want []ixWant
		}{
			{"unknown serial", []string{good, "SN-404,,alice"}, []ixWant{{3, "serial", `no device with the serial number "SN-404"`}}},
			{"serial of another group", []string{good, "SN-O,,alice"}, []ixWant{{3, "serial", `no device with the serial number "SN-O"`}}},
			{"unknown name", []string{good, ",Nothing,alice"}, []ixWant{{3, "name", `There is no device named "Nothing"`}}},
			{"ambiguous name", []string{good, ",Shared,alice"}, []ixWant{{3, "name", `2 devices of this group are named "Shared"`}}},
			{"unknown user", []string{good, "SN-2,,zed"}, []ixWant{{3, "user", `There is no user named "zed"`}}},
			{"user of another group", []string{good, "SN-2,,carol"}, []ixWant{{3, "user", `There is no user named "carol"`}}},
			{"revoked by serial", []string{good, "SN-R,,alice"}, []ixWant{{3, "serial", "The device Retired is revoked"}}},
			{"revoked by name", []string{good, ",Retired,"}, []ixWant{{3, "name", "The device Retired is revoked"}}},
			{"one device twice", []string{good, ",Tablet 1,alice"}, []ixWant{{3, "name", "which row 2 is about already"}}},
			{"serial twice", []string{good, "SN-1,,alice"}, []ixWant{{3, "serial", "The serial number SN-1 appears already in row 2"}}},
			{"invalid name", []string{good, "SN-2,\x01,alice"}, []ixWant{{3, "name", "Control characters"}}},
			{"nothing finds the device", []string{good, ",,alice"}, []ixWant{{3, "serial", "Both serial and name are blank"}}},
			{"every error at once", []string{",Nothing,zed", good, "SN-404,,"}, []ixWant{
				{2, "name", `no device named "Nothing"`}, {2, "user", `no user named "zed"`}, {4, "serial", `"SN-404"`}}},
		} {
			t.Run(c.name, func(t *testing.T) {
				e.t = t
				before := dxSnapshot(e)
				job := e.run(dxReq, ixCSV(append([]string{"serial,name,user"}, c.rows...)...))
				e.wantFailed(job, c.want...)
				dxSame(e, before, c.name)
			})
		}
		// The header alone refuses a file.
		t.Run("header", func(t *testing.T) {
			e.t = t
			before := dxSnapshot(e)
			job := e.run(dxReq, ixCSV("user,model", good))
			e.wantFailed(job, ixWant{1, "model", "Unknown column"}, ixWant{1, "serial", "needs a serial or a name column"})
			dxSame(e, before, "a wrong header")
		})
	})
}

// TestImportDevicesChanged: a device revoked between the validation and
// the apply refuses the file; nothing is written.
func TestImportDevicesChanged(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine)
		s := dxBase(e)
		var after []string
		e.store.beforeApply(func() {
			e.must(e.svc.RevokeDevice(e.sys, s.t2.ID))
			after = dxSnapshot(e)
		})
		job := e.run(dxReq, ixCSV("serial,name,user", "SN-1,,bob", "SN-2,,alice"))
		if after == nil {
			t.Fatal("the job never reached its apply")
		}
		e.wantFailed(job, ixWant{3, "serial", "The device Tablet 2 is revoked"}, ixWant{0, "", "The data changed"})
		dxSame(e, after, "a refused apply")
	})
}

// TestImportDevicesAuthority: devices files need 6, 31 and 33, a group, and
// the group in scope; a department administrator restricted to device
// functions (34) may import them.
func TestImportDevicesAuthority(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine)
		dxBase(e)
		file := ixCSV("serial,user", "SN-1,bob")
		admin := func(auth meibo.Authorities, groups ...string) context.Context {
			return meibo.WithActor(bgCtx(), &meibo.Actor{Kind: meibo.ActorAdmin, ID: 99, Name: "ops", Authorities: auth, Groups: groups})
		}
		base := meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthImport)
		before := dxSnapshot(e)
		for _, c := range []struct {
			name  string
			ctx   context.Context
			group string
			code  meibo.Code
		}{
			{"without 33", admin(base), "G1", meibo.CodeForbidden},
			{"without 31", admin(meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthDevices)), "G1", meibo.CodeForbidden},
			{"without viewing", admin(base.With(meibo.AuthDevices, meibo.AuthNoViewing)), "G1", meibo.CodeForbidden},
			{"out of scope", admin(base.With(meibo.AuthDevices, meibo.AuthDepartment), "G2"), "G1", meibo.CodeNotFound},
			{"no group", admin(base.With(meibo.AuthDevices)), "", meibo.CodeInvalid},
			{"unknown group", admin(base.With(meibo.AuthDevices)), "G9", meibo.CodeNotFound},
		} {
			req := dxReq
			req.GroupID = c.group
			_, err := e.svc.SubmitImport(c.ctx, req, file)
			if got := meibo.ErrorCode(err); got != c.code {
				t.Errorf("%s: %v (%s), want %s", c.name, err, got, c.code)
			}
		}
		dxSame(e, before, "refused submissions")
		jobs, err := e.svc.ImportJobs(e.sys, meibo.ImportFilter{Limit: 10})
		e.must(err)
		if len(jobs) != 0 {
			t.Errorf("refused submissions left %d jobs", len(jobs))
		}
		// Allowed: 33 with the group in scope, also restricted to devices.
		for _, ctx := range []context.Context{
			admin(base.With(meibo.AuthDevices)),
			admin(base.With(meibo.AuthDevices, meibo.AuthDepartment, meibo.AuthDevicesOnly), "g1"),
		} {
			job, err := e.svc.SubmitAndRun(ctx, dxReq, file, nil)
			if err != nil {
				t.Fatalf("submit: %v", err)
			}
			if job.Status != meibo.ImportSuccess || job.GroupID != "G1" {
				t.Errorf("job: %s in %s", job.Status, job.GroupID)
			}
		}
		// A device administrator's job is seen by them; its events are in
		// the device category.
		for _, ev := range ixEvents(e) {
			if strings.HasPrefix(ev.Action, "import.") && ev.Category != meibo.CategoryDevice {
				t.Errorf("%s in category %s", ev.Action, ev.Category)
			}
		}
	})
}

// TestExportDevices: export → import changes nothing; the export needs 32
// and the group in scope, and leaves revoked devices out.
func TestExportDevices(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine)
		s := dxBase(e)
		// Names a spreadsheet would run, and no two devices without serial
		// of the same name: the file finds every device again.
		_, err := e.svc.UpdateDevice(e.sys, s.shared2.ID, service.DeviceUpdate{Name: ptr("=Shared 2")})
		e.must(err)
		var b bytes.Buffer
		n, err := e.svc.ExportDevices(e.sys, "g1", &b, "", false)
		e.must(err)
		want := "name,serial,user\r\n'=Shared 2,,\r\nShared,,\r\nSolo,,\r\nTablet 1,SN-1,alice\r\nTablet 2,SN-2,\r\n"
		if n != 5 || b.String() != want {
			t.Errorf("export: %d devices\n%q\nwant\n%q", n, b.String(), want)
		}
		before := dxSnapshot(e)
		job := e.run(dxReq, b.Bytes())
		e.wantSuccess(job, 0, 0, 0, 5)
		dxSame(e, before, "importing an export")

		// CP932 with a BOM asked for: no BOM in CP932.
		var sj bytes.Buffer
		_, err = e.svc.ExportDevices(e.sys, "G1", &sj, "cp932", true)
		e.must(err)
		job = e.run(dxReq, sj.Bytes())
		e.wantSuccess(job, 0, 0, 0, 5)

		admin := func(auth meibo.Authorities, groups ...string) context.Context {
			return meibo.WithActor(bgCtx(), &meibo.Actor{Kind: meibo.ActorAdmin, Name: "ops", Authorities: auth, Groups: groups})
		}
		for _, c := range []struct {
			name string
			ctx  context.Context
			code meibo.Code
		}{
			{"without 32", admin(meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthDevices)), meibo.CodeForbidden},
			{"out of scope", admin(meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthExport, meibo.AuthDepartment), "G2"), meibo.CodeNotFound},
			{"a portal user", meibo.WithActor(bgCtx(), &meibo.Actor{Kind: meibo.ActorUser, Name: "alice", GroupID: "G1", Authorities: meibo.EveryAuthority}), meibo.CodeForbidden},
		} {
			var out bytes.Buffer
			if _, err := e.svc.ExportDevices(c.ctx, "G1", &out, "", false); meibo.ErrorCode(err) != c.code {
				t.Errorf("%s: %v, want %s", c.name, err, c.code)
			}
			if strings.Contains(out.String(), "SN-1") {
				t.Errorf("%s: the refused export wrote devices", c.name)
			}
		}
		var out bytes.Buffer
		if _, err := e.svc.ExportDevices(admin(meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthExport, meibo.AuthDepartment), "G2"), "G2", &out, "", false); err != nil || !strings.Contains(out.String(), "Other,SN-O,carol") {
			t.Errorf("department export: %v %q", err, out.String())
		}
	})
}
