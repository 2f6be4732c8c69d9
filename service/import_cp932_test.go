package service_test

import (
	"bytes"
	"testing"

	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/unicode/norm"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/csvio"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

// The characters CP932 lacks are written as look-alikes that read back as
// other characters (U+301C 〜 as 0x8160, read back as U+FF5E ～). A CP932
// file's rows stand for the stored records they were exported from.

// cxSJIS encodes text as CP932.
func cxSJIS(t *testing.T, text string) []byte {
	t.Helper()
	b, err := japanese.ShiftJIS.NewEncoder().Bytes([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCP932ExportImportLookAlikes exports users, administrators and devices
// whose names hold characters CP932 writes as look-alikes, in CP932, and
// imports each file again: nothing changes.
func TestCP932ExportImportLookAlikes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine)
		e.bootstrap("Root-pass-phrase-1")
		e.group("G1")
		e.profile("G1", "現場〜スタッフ", false)
		for _, in := range []service.UserInput{
			{Name: "高橋〜健", Email: "takahashi@example.jp", Profile: "現場〜スタッフ"},
			{Name: "セント¢−‖", Email: "cent@example.jp"},
			{Name: "alice", Email: "alice@example.org"},
		} {
			e.user("G1", in)
		}
		gakky := norm.NFD.String("ガッキー") // as macOS keeps some text
		cxLegacyUser(e, "G1", gakky, "gakky@example.jp")
		e.admin(service.AdminInput{LoginID: "suzuki", Name: "鈴木 管理者〜", Notes: "¢100−¥", Email: "suzuki@example.jp",
			Authorities: meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthImport)})
		dxEnrol(e, "G1", "受付〜端末", "", "高橋〜健")
		dxEnrol(e, "G1", "Tablet", "SN-1", "セント¢−‖")

		// Users.
		var users bytes.Buffer
		if _, err := e.svc.ExportUsers(e.sys, "G1", &users, csvio.CP932, false); err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(users.Bytes(), cxSJIS(t, "高橋～健")) {
			t.Fatalf("the file does not hold 高橋〜健 as 0x8160")
		}
		before := e.snapshot()
		job := e.run(service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1", UpdateExisting: true}, users.Bytes())
		e.wantSuccess(job, 0, 0, 0, 4)
		e.sameSnapshot(before, "importing exported users")
		// Without updates, each row is about a user that exists.
		job = e.run(service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1"}, users.Bytes())
		e.wantFailed(job,
			ixWant{2, "name", "alice"}, ixWant{3, "name", gakky}, ixWant{4, "name", "セント¢−‖"}, ixWant{5, "name", "高橋〜健"})

		// Administrators.
		var admins bytes.Buffer
		if _, err := e.svc.ExportAdmins(e.sys, &admins, csvio.CP932, false); err != nil {
			t.Fatal(err)
		}
		job = e.run(service.ImportRequest{Format: meibo.FormatAdmins}, admins.Bytes())
		e.wantSuccess(job, 0, 0, 0, len(e.admins()))
		e.sameSnapshot(before, "importing exported administrators")

		// Devices.
		var devices bytes.Buffer
		if _, err := e.svc.ExportDevices(e.sys, "G1", &devices, csvio.CP932, false); err != nil {
			t.Fatal(err)
		}
		dbefore := dxSnapshot(e)
		job = e.run(dxReq, devices.Bytes())
		e.wantSuccess(job, 0, 0, 0, 2)
		dxSame(e, dbefore, "importing exported devices")

		// A personal file of Shift_JIS sets the password of the user it
		// names as Shift_JIS writes the name.
		job = e.run(service.ImportRequest{Format: meibo.FormatPersonal, GroupID: "G1"},
			cxSJIS(t, "UserName,Password,Passcode\r\n高橋～健,Wave-dash-pass-2026,\r\n"))
		e.wantSuccess(job, 0, 1, 0, 0)
		if u := e.users("G1")["高橋〜健"]; u == nil || !e.verify(u.PasswordHash, "Wave-dash-pass-2026") {
			t.Errorf("the password of 高橋〜健 was not set: %+v", u)
		}
		if len(e.users("G1")) != 4 {
			t.Errorf("%d users, want 4", len(e.users("G1")))
		}
	})
}

// TestCP932LookAlikeNames: a name read from Shift_JIS stands for the one
// user whose name reads back as it, that very name included; several such
// users are an error of the row, even when one of them has the very name:
// an export of either wrote the same row, and taking it for the one of the
// name as read wrote one user's row onto the other. A UTF-8 file's names
// are exact.
func TestCP932LookAlikeNames(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine)
		e.group("G1")
		for _, n := range []string{"x‾", "x¯", "高橋〜健", "高橋～健", "渡辺〜"} {
			e.user("G1", service.UserInput{Name: n})
		}
		before := e.snapshot()
		update := service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1", UpdateExisting: true}
		job := e.run(update, cxSJIS(t, "name,password,email\r\nx￣,,x@example.jp\r\n"))
		e.wantFailed(job, ixWant{2, "name", `"x￣", read from Shift_JIS, stands for several users (x¯, x‾)`})
		e.sameSnapshot(before, "an ambiguous name")

		job = e.run(update, cxSJIS(t, "name,password,email\r\n高橋～健,,fullwidth@example.jp\r\n渡辺～,,wave@example.jp\r\n"))
		e.wantFailed(job, ixWant{2, "name", `"高橋～健", read from Shift_JIS, stands for several users (高橋～健, 高橋〜健)`})
		e.sameSnapshot(before, "a name of one user that reads back as another's")

		job = e.run(update, cxSJIS(t, "name,password,email\r\n渡辺～,,wave@example.jp\r\n"))
		e.wantSuccess(job, 0, 1, 0, 0)
		users := e.users("G1")
		if u := users["渡辺〜"]; u == nil || u.Email != "wave@example.jp" || users["渡辺～"] != nil {
			t.Errorf("渡辺～ read from Shift_JIS did not update 渡辺〜: %+v", users)
		}

		// A profile read from Shift_JIS: the user's own when its name reads
		// back as the row's (an export imported again moves no one), else
		// the one that does; several are an error of the row.
		for _, n := range []string{"波〜班", "波～班"} {
			must(e.svc.CreateProfile(e.sys, "G1", meibo.Profile{Name: n}))(t)
		}
		wave := e.users("G1")["渡辺〜"]
		must(e.svc.UpdateUser(e.sys, wave.ID, meibo.UserUpdate{Profile: ptr("波〜班")}))(t)
		job = e.run(update, cxSJIS(t, "name,password,email,profile\r\n渡辺～,,wave@example.jp,波～班\r\n"))
		e.wantSuccess(job, 0, 0, 0, 1)
		if u := e.users("G1")["渡辺〜"]; u.ProfileName != "波〜班" {
			t.Errorf("the user's profile after its export read back: %s", u.ProfileName)
		}
		e.user("G1", service.UserInput{Name: "ann"})
		before = e.snapshot()
		job = e.run(update, cxSJIS(t, "name,password,email,profile\r\nann,,,波～班\r\n"))
		e.wantFailed(job, ixWant{2, "profile", `The profile "波～班", read from Shift_JIS, stands for several profiles (波～班, 波〜班)`})
		e.sameSnapshot(before, "an ambiguous profile")

		// The same row in UTF-8 names a new user: UTF-8 holds both.
		job = e.run(update, []byte("name,password,email\r\n渡辺～,,utf8@example.jp\r\n"))
		e.wantSuccess(job, 1, 0, 0, 0)
		if u := e.users("G1")["渡辺～"]; u == nil || u.Email != "utf8@example.jp" {
			t.Errorf("the UTF-8 row did not create 渡辺～")
		}
	})
}
