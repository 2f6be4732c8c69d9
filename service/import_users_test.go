package service_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/text/encoding/japanese"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/csvio"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

func ixUsersReq(group string, update bool) service.ImportRequest {
	return service.ImportRequest{Format: meibo.FormatUsers, GroupID: group, UpdateExisting: update}
}

// TestImportUsersCreate creates users with every column, in a shuffled
// column order, and checks every stored field.
func TestImportUsersCreate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine)
		e.group("G1")
		e.profile("G1", "staff", false)
		e.profile("G1", "api", true)
		job := e.run(ixUsersReq("G1", false), ixCSV(
			"profile,disabled,email,name,apiAccess,password,admin",
			"staff,false,carol@example.org,carol,false,Lantern-orbit-51,TRUE",
			",1,,dave,0,,0",
			"api,,erin@example.org,erin,true,Granite-moss-72,",
		))
		e.wantSuccess(job, 3, 0, 0, 0)
		if job.DetectedEncoding != "utf-8" || job.Rows != 3 {
			t.Errorf("job read %d rows as %q", job.Rows, job.DetectedEncoding)
		}
		us := e.users("G1")
		carol, dave, erin := us["carol"], us["dave"], us["erin"]
		if carol == nil || dave == nil || erin == nil || len(us) != 3 {
			t.Fatalf("users %v", us)
		}
		if carol.Email != "carol@example.org" || carol.ProfileName != "staff" || !carol.Admin || carol.APIAccess || carol.Disabled {
			t.Errorf("carol = %+v", carol)
		}
		if !e.verify(carol.PasswordHash, "Lantern-orbit-51") || carol.PasswordChangedAt == nil {
			t.Errorf("carol's password was not set: %q", carol.PasswordHash)
		}
		if dave.Email != "" || dave.ProfileName != meibo.DefaultProfileName || dave.Admin || !dave.Disabled || dave.HasPassword() || dave.PasswordChangedAt != nil {
			t.Errorf("dave = %+v", dave)
		}
		if erin.ProfileName != "api" || !erin.APIAccess || erin.Admin || !e.verify(erin.PasswordHash, "Granite-moss-72") {
			t.Errorf("erin = %+v", erin)
		}
		if carol.PasswordHash == erin.PasswordHash {
			t.Error("two passwords, one hash")
		}
		// The audit trail never holds a password.
		for _, ev := range ixEvents(e) {
			if s := fmt.Sprint(ev.Details); strings.Contains(s, "Lantern") || strings.Contains(s, "Granite") || strings.Contains(s, "$argon2id") {
				t.Errorf("audit event %s holds a password: %s", ev.Action, s)
			}
		}
	})
}

// ixEvents returns every audit event.
func ixEvents(e *ixEnv) []*meibo.AuditEvent {
	e.t.Helper()
	var out []*meibo.AuditEvent
	e.must(e.db.View(bgCtx(), func(tx meibo.Tx) error {
		var err error
		out, err = tx.AuditEvents(bgCtx(), meibo.AuditFilter{Limit: 1000})
		return err
	}))
	return out
}

// TestImportUsersUpdate covers "update existing users": a blank password
// keeps the old hash, an absent optional column keeps its value, a present
// but blank profile means the default profile, and rows that change nothing
// count as unchanged and are not written (updated_at stays).
func TestImportUsersUpdate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine)
		e.group("G1")
		e.profile("G1", "staff", true)
		e.user("G1", service.UserInput{Name: "alice", Email: "alice@example.org", Password: "Horse-battery-staple-9", Profile: "staff",
			Admin: true, APIAccess: true, Disabled: true})
		e.user("G1", service.UserInput{Name: "bob", Email: "bob@example.org", Profile: "staff"})
		old := e.users("G1")

		// Only the required columns: alice gets a new address, bob is as he was.
		job := e.run(ixUsersReq("G1", true), ixCSV("name,password,email", "alice,,alice@example.net", "bob,,bob@example.org", "carol,,"))
		e.wantSuccess(job, 1, 1, 0, 1)
		us := e.users("G1")
		a, b := us["alice"], us["bob"]
		if a.Email != "alice@example.net" || a.ProfileName != "staff" || !a.Admin || !a.APIAccess || !a.Disabled {
			t.Errorf("absent columns were not kept: %+v", a)
		}
		if a.PasswordHash != old["alice"].PasswordHash || !a.PasswordChangedAt.Equal(*old["alice"].PasswordChangedAt) {
			t.Errorf("a blank password on update changed the hash")
		}
		if !a.UpdatedAt.After(old["alice"].UpdatedAt) {
			t.Errorf("alice was updated but updated_at stayed %v", a.UpdatedAt)
		}
		if ixUserString(b) != ixUserString(old["bob"]) {
			t.Errorf("bob was unchanged but rewritten:\n%+v\n%+v", b, old["bob"])
		}

		// The profile column present but blank: the default profile. The
		// flags present: written as given. A new password: hashed.
		mid := e.users("G1")
		job = e.run(ixUsersReq("G1", true), ixCSV("name,password,email,profile,admin,apiAccess,disabled",
			"alice,New-lantern-orbit-3,alice@example.net,,false,false,false",
			"bob,,bob@example.org,staff,false,false,false",
			"carol,,,,,,"))
		e.wantSuccess(job, 0, 1, 0, 2)
		us = e.users("G1")
		a = us["alice"]
		if a.ProfileName != meibo.DefaultProfileName || a.Admin || a.APIAccess || a.Disabled {
			t.Errorf("alice = %+v", a)
		}
		if !e.verify(a.PasswordHash, "New-lantern-orbit-3") || e.verify(a.PasswordHash, "Horse-battery-staple-9") {
			t.Errorf("the new password was not set")
		}
		if !a.PasswordChangedAt.After(*mid["alice"].PasswordChangedAt) {
			t.Errorf("password_changed_at stayed")
		}
		for _, n := range []string{"bob", "carol"} {
			if ixUserString(us[n]) != ixUserString(mid[n]) {
				t.Errorf("%s was unchanged but rewritten", n)
			}
		}

		// Without "update existing users", the same file is refused.
		before := e.snapshot()
		job = e.run(ixUsersReq("G1", false), ixCSV("name,password,email", "alice,,alice@example.net"))
		e.wantFailed(job, ixWant{2, "name", "The user alice exists already"})
		e.sameSnapshot(before, "a refused update")
	})
}

// TestImportUsersNothingToDo: a file whose every row is a user as the data
// holds it (a full export imported again) ends after its validation: the
// job succeeds with every row unchanged, and no write transaction looks a
// user up. A change made by someone else after the validation stays: the
// import changed nothing in the data it read. One row to change, and the
// apply runs again.
func TestImportUsersNothingToDo(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine)
		e.group("G1")
		e.profile("G1", "staff", false)
		file := ixCSV("name,password,email,profile,disabled",
			"alice,,alice@example.org,staff,false",
			"bob,,bob@example.org,,false")
		e.wantSuccess(e.run(ixUsersReq("G1", false), file), 2, 0, 0, 0)
		lookups := func() int {
			e.store.mu.Lock()
			defer e.store.mu.Unlock()
			return e.store.writeLookups
		}
		base := lookups()

		e.store.beforeApply(func() {
			e.must(e.db.Update(bgCtx(), func(tx meibo.Tx) error {
				u, err := tx.UserByName(bgCtx(), "G1", "bob")
				if err != nil {
					return err
				}
				u.Disabled = true
				return tx.UpdateUsers(bgCtx(), []*meibo.User{u})
			}))
		})
		before := e.users("G1")
		job := e.run(ixUsersReq("G1", true), file)
		e.wantSuccess(job, 0, 0, 0, 2)
		if n := lookups() - base; n != 0 {
			t.Errorf("an import that changes nothing looked users up %d times in write transactions", n)
		}
		us := e.users("G1")
		if ixUserString(us["alice"]) != ixUserString(before["alice"]) {
			t.Errorf("alice was rewritten:\n%+v\n%+v", us["alice"], before["alice"])
		}
		if !us["bob"].Disabled {
			t.Error("the change made after the validation was undone")
		}

		job = e.run(ixUsersReq("G1", true), ixCSV("name,password,email,profile,disabled",
			"alice,,alice@example.org,staff,false",
			"bob,,bob@example.org,,false"))
		e.wantSuccess(job, 0, 1, 0, 1)
		if lookups()-base == 0 {
			t.Error("an import that changes a user did not apply")
		}
		if e.users("G1")["bob"].Disabled {
			t.Error("bob is still disabled")
		}
	})
}

// TestImportHeaderOnly: a file of every format with its header (or title
// line) and no rows succeeds, changes nothing, and says there was nothing
// to import.
func TestImportHeaderOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine)
		e.bootstrap("Root-pass-phrase-1")
		e.group("G1")
		before := e.snapshot()
		for _, c := range []struct {
			req  service.ImportRequest
			file []byte
		}{
			{ixUsersReq("G1", false), ixCSV("name,password,email")},
			{service.ImportRequest{Format: meibo.FormatPersonal, GroupID: "G1"}, ixCSV("UserName,Password,Passcode")},
			{service.ImportRequest{Format: meibo.FormatAdmins}, ixAdminsFile(t)},
			{dxReq, ixCSV("name,serial,user")},
		} {
			job := e.run(c.req, c.file)
			e.wantSuccess(job, 0, 0, 0, 0)
			_, warns := e.messages(job)
			e.wantMessages("warnings of "+c.req.Format, warns, ixWant{0, "", "no data rows"})
		}
		e.sameSnapshot(before, "files without rows")
	})
}

// TestImportUnreadableCell: a Shift_JIS file read as UTF-8 is refused for
// the bytes of its cells, and a cell that could not be read is not looked up
// too (as a profile named with replacement characters).
func TestImportUnreadableCell(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine)
		e.group("G1")
		e.profile("G1", "スタッフ", false)
		sjis := cxSJIS(t, string(ixCSV("name,password,email,profile", "alice,,alice@example.org,スタッフ")))
		req := ixUsersReq("G1", false)
		req.Encoding = "utf-8"
		job := e.run(req, sjis)
		e.wantFailed(job, ixWant{2, "profile", "are not valid UTF-8"})
	})
}

// TestImportUsersDryRun: a dry run reports what it would do and writes
// nothing, not even password hashes.
func TestImportUsersDryRun(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine)
		e.group("G1")
		e.user("G1", service.UserInput{Name: "alice", Email: "alice@example.org"})
		e.user("G1", service.UserInput{Name: "bob", Email: "bob@example.org"})
		before := e.snapshot()
		req := ixUsersReq("G1", true)
		req.DryRun = true
		job := e.run(req, ixCSV("name,password,email", "alice,Lantern-orbit-51,alice@example.org", "bob,,bob@example.org",
			"carol,Granite-moss-72,carol@example.org", "dave,,"))
		e.wantSuccess(job, 2, 1, 0, 1)
		if !job.DryRun || !e.stored(job.ID).DryRun {
			t.Error("the job does not say it was a dry run")
		}
		e.sameSnapshot(before, "a dry run")

		// A dry run of a bad file fails like a real one.
		job = e.run(req, ixCSV("name,password,email", "erin,short,"))
		e.wantFailed(job, ixWant{2, "password", "too short"})
		e.sameSnapshot(before, "a failed dry run")
	})
}

// ixFormulas are values a spreadsheet would run as formulas, and some that
// look like the neutralised form.
var ixFormulas = []string{"=1+2", "+x", "-5", "@a", "'=x", "''+y", "=HYPERLINK(\"http://x\")", "'plain"}

// TestImportUsersFormulas: cells a spreadsheet would run are neutralised on
// export, and import gives back exactly the values that were exported.
func TestImportUsersFormulas(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine)
		for _, g := range []string{"G1", "G2"} {
			e.group(g)
			e.profile(g, "=cmd|' /C calc'!A0", false)
			e.profile(g, "@SUM(1)", false)
		}
		for i, v := range ixFormulas {
			e.user("G1", service.UserInput{Name: v, Email: []string{"-x@example.org", "+tag@example.org", "=eq@example.org", "", "'q@example.org", "", "", ""}[i],
				Profile: []string{"=cmd|' /C calc'!A0", "@SUM(1)", "", "", "", "", "", ""}[i]})
		}
		var out bytes.Buffer
		if _, err := e.svc.ExportUsers(e.sys, "G1", &out, csvio.UTF8, false); err != nil {
			t.Fatal(err)
		}
		text := out.String()
		for _, want := range []string{"\r\n'=1+2,", "\r\n'+x,", "\r\n'-5,", "\r\n'@a,", "\r\n''=x,", "\r\n'''+y,", "\r\n'plain,",
			",'-x@example.org,", ",'+tag@example.org,", ",'=eq@example.org,", ",'q@example.org,", `,'=cmd|' /C calc'!A0` + "\r\n", ",'@SUM(1)\r\n"} {
			if !strings.Contains(text, want) {
				t.Errorf("the export lacks %q:\n%s", want, text)
			}
		}
		// Into another group: the same users.
		e.wantSuccess(e.run(ixUsersReq("G2", false), out.Bytes()), len(ixFormulas), 0, 0, 0)
		g1, g2 := e.users("G1"), e.users("G2")
		for _, v := range ixFormulas {
			a, b := g1[v], g2[v]
			if b == nil {
				t.Errorf("user %q did not come back; users %v", v, ixNames(g2))
				continue
			}
			if a.Email != b.Email || a.ProfileName != b.ProfileName {
				t.Errorf("user %q came back as %q %q, was %q %q", v, b.Email, b.ProfileName, a.Email, a.ProfileName)
			}
		}
		// Into the same group: nothing changes.
		before := e.snapshot()
		e.wantSuccess(e.run(ixUsersReq("G1", true), out.Bytes()), 0, 0, 0, len(ixFormulas))
		e.sameSnapshot(before, "re-importing an export")
	})
}

func ixNames(us map[string]*meibo.User) []string {
	var out []string
	for n := range us {
		out = append(out, n)
	}
	return out
}

// ixJapanese are user names with what CP932 makes hard: half-width
// katakana (with a voiced mark), NEC special characters (①, Ⅱ, ㈱, ∮),
// NEC-selected and IBM extension kanji (纊, 髙, 﨑, ⅰ), characters whose
// second byte is 0x5C, the backslash (ソ 0x835C, 表 0x955C, 能 0x945C,
// 十 0x8F5C), and the wave dash Windows writes as U+FF5E.
var ixJapanese = []string{"ｶﾞｲﾄﾞ", "ｿﾌﾄ表示", "①Ⅱ㈱∮", "纊髙﨑ⅰ", "ソ表能十", "波～線", "山田太郎", "ｱｲｳ①表"}

// TestImportUsersEncodings exports users with Japanese names, profiles and
// addresses in UTF-8 with and without a BOM and in CP932, and imports each
// file into a new group (auto-detected and as named) and back into the same
// group: not one character changes.
func TestImportUsersEncodings(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine)
		e.group("G1")
		e.profile("G1", "営業ソ表", false)
		for i, n := range ixJapanese {
			in := service.UserInput{Name: n}
			if i%2 == 0 {
				in.Email = fmt.Sprintf("user%d@example.jp", i)
				in.Profile = "営業ソ表"
			}
			e.user("G1", in)
		}
		orig := e.users("G1")
		for k, c := range []struct {
			enc csvio.Encoding
			bom bool
		}{{csvio.UTF8, false}, {csvio.UTF8, true}, {csvio.CP932, false}} {
			var out bytes.Buffer
			if _, err := e.svc.ExportUsers(e.sys, "G1", &out, c.enc, c.bom); err != nil {
				t.Fatalf("export %s: %v", c.enc, err)
			}
			data := out.Bytes()
			if hasBOM := bytes.HasPrefix(data, []byte("\xEF\xBB\xBF")); hasBOM != c.bom {
				t.Errorf("%s export: BOM %v, want %v", c.enc, hasBOM, c.bom)
			}
			if c.enc == csvio.CP932 {
				for _, b := range [][]byte{{0x83, 0x5C}, {0x95, 0x5C}, {0xB6, 0xDE}, {0x87, 0x40}, {0xFB, 0xFC}, {0x81, 0x60}} {
					if !bytes.Contains(data, b) {
						t.Errorf("the CP932 export lacks the bytes % X", b)
					}
				}
			}
			for j, enc := range []string{"auto", string(c.enc)} {
				group := fmt.Sprintf("C%d%d", k, j)
				e.group(group)
				e.profile(group, "営業ソ表", false)
				req := ixUsersReq(group, false)
				req.Encoding = enc
				job := e.run(req, data)
				e.wantSuccess(job, len(ixJapanese), 0, 0, 0)
				if job.DetectedEncoding != string(c.enc) {
					t.Errorf("%s file read as %s", c.enc, job.DetectedEncoding)
				}
				got := e.users(group)
				for _, n := range ixJapanese {
					u := got[n]
					if u == nil {
						t.Errorf("%s (%s): %q did not come back; got %q", c.enc, enc, n, ixNames(got))
						continue
					}
					if u.Email != orig[n].Email || u.ProfileName != orig[n].ProfileName {
						t.Errorf("%s: %q came back as %q, %q", c.enc, n, u.Email, u.ProfileName)
					}
				}
			}
			before := e.snapshot()
			req := ixUsersReq("G1", true)
			e.wantSuccess(e.run(req, data), 0, 0, 0, len(ixJapanese))
			e.sameSnapshot(before, fmt.Sprintf("re-importing a %s export", c.enc))
		}
	})
}

// TestImportUsersCP932File imports a CP932 file written byte by byte as
// Windows writes it (not with the encoder under test), NEC-selected IBM
// extension bytes included, and reads every character as Windows-31J does.
func TestImportUsersCP932File(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine)
		e.group("G1")
		var f bytes.Buffer
		f.WriteString("name,password,email\r\n")
		rows := []struct {
			bytes []byte
			want  string
		}{
			{[]byte{0xB6, 0xDE, 0xB2, 0xC4, 0xDE}, "ｶﾞｲﾄﾞ"},       // half-width katakana
			{[]byte{0x83, 0x5C, 0x95, 0x5C, 0x94, 0x5C}, "ソ表能"},   // second byte 0x5C
			{[]byte{0x87, 0x40, 0x87, 0x55, 0x87, 0x8A}, "①Ⅱ㈱"},   // NEC special
			{[]byte{0xED, 0x40, 0xEE, 0xEF}, "纊ⅰ"},                // NEC-selected IBM extensions
			{[]byte{0xFA, 0x40, 0xFB, 0xFC, 0xFA, 0xB1}, "ⅰ髙﨑"},   // IBM extensions
			{[]byte{0x94, 0x67, 0x81, 0x60, 0x90, 0xFC}, "波～線"},   // 0x8160 is U+FF5E
			{[]byte{0x8E, 0x52, 0x93, 0x63, 0x5C, 0x41}, "山田\\A"}, // a real backslash
		}
		for _, r := range rows {
			f.Write(r.bytes)
			f.WriteString(",,\r\n")
		}
		for _, enc := range []string{"auto", "cp932"} {
			group := "G1"
			if enc == "cp932" {
				group = "G2"
				e.group(group)
			}
			req := ixUsersReq(group, false)
			req.Encoding = enc
			job := e.run(req, f.Bytes())
			e.wantSuccess(job, len(rows), 0, 0, 0)
			if job.DetectedEncoding != "cp932" {
				t.Errorf("%s: read as %s", enc, job.DetectedEncoding)
			}
			got := e.users(group)
			for _, r := range rows {
				if got[r.want] == nil {
					t.Errorf("% X did not read as %q; got %q", r.bytes, r.want, ixNames(got))
				}
			}
		}
		// Exported again as CP932, each name is what Windows would write
		// (IBM extensions in the 0xFA–0xFC rows), and reads back the same.
		var out bytes.Buffer
		if _, err := e.svc.ExportUsers(e.sys, "G1", &out, csvio.CP932, false); err != nil {
			t.Fatal(err)
		}
		back, err := japanese.ShiftJIS.NewDecoder().Bytes(out.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if !strings.Contains(string(back), "\r\n"+r.want+",") {
				t.Errorf("the CP932 export lacks %q", r.want)
			}
		}
		before := e.snapshot()
		e.wantSuccess(e.run(ixUsersReq("G1", true), out.Bytes()), 0, 0, 0, len(rows))
		e.sameSnapshot(before, "re-importing the CP932 export")
	})
}

// TestImportUsersLicence counts unified users as the licence does: a user
// with the same name and e-mail address (in any case) as one in another
// group is the same person and costs nothing; the limit is checked against
// the count the whole file would leave.
func TestImportUsersLicence(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine)
		e.group("G1")
		e.group("G2")
		e.user("G1", service.UserInput{Name: "alice", Email: "alice@example.org"})
		e.user("G1", service.UserInput{Name: "bob", Email: "bob@example.org"})
		e.user("G2", service.UserInput{Name: "bob", Email: "bob@example.net"})
		// alice, bob (G1), bob (G2): 3.
		_, err := e.svc.UpdateSettings(e.sys, map[string]string{meibo.SettingLicenceLimit: "3"})
		e.must(err)

		// alice in G2 with the same address is the same person: still 3.
		e.wantSuccess(e.run(ixUsersReq("G2", false), ixCSV("name,password,email", "alice,,ALICE@example.org")), 1, 0, 0, 0)

		// A new person is one too many.
		before := e.snapshot()
		job := e.run(ixUsersReq("G2", false), ixCSV("name,password,email", "carol,,carol@example.org"))
		e.wantFailed(job, ixWant{0, "", "This would make 4 users against a licence for 3"})
		e.sameSnapshot(before, "a file past the licence")

		// bob of G2 takes G1's bob's address: one person less, which makes
		// room for carol in the same file.
		job = e.run(ixUsersReq("G2", true), ixCSV("name,password,email", "bob,,bob@example.org", "carol,,carol@example.org"))
		e.wantSuccess(job, 1, 1, 0, 0)
		l, err := e.svc.Licence(e.sys)
		e.must(err)
		if l.Used != 3 {
			t.Errorf("licence count %d, want 3", l.Used)
		}
	})
}
