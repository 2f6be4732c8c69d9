package service_test

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/encoding/japanese"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/csvio"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

// ixRoundTripData fills a database with users and administrators whose
// values exercise the files: quotes, commas, formulas, Japanese text with
// 0x5C trail bytes, half-width katakana, blank fields, disabled and
// department accounts.
func ixRoundTripData(e *ixEnv) {
	e.t.Helper()
	e.bootstrap("Root-pass-phrase-1")
	e.group("G1")
	e.group("G2")
	e.profile("G1", "営業, \"ソ表\"", true)
	for _, in := range []service.UserInput{
		{Name: "alice", Email: "alice@example.org", Password: "Quiet-harbour-42", Profile: "営業, \"ソ表\"", APIAccess: true, Admin: true},
		{Name: "bob", Disabled: true},
		{Name: "=SUM(A1:A9)", Email: "-dash@example.org"},
		{Name: "ｶﾀｶﾅ表示", Email: "kana@example.jp", Profile: "営業, \"ソ表\""},
		{Name: `O"Brien,Jr.`, Email: "o.brien@example.org"},
	} {
		e.user("G1", in)
	}
	e.admin(service.AdminInput{LoginID: "ops", Name: "運用 \"ソ表\", 担当", Email: "ops@example.org", Password: "Amber-canyon-17",
		Authorities: meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthImport, meibo.AuthExport), Notes: "=1+2, 夜間ｼﾌﾄ"})
	e.admin(service.AdminInput{LoginID: "dept", Name: "部門", Authorities: meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthDepartment,
		meibo.AuthDevices, meibo.AuthDevicesOnly), Groups: []string{"G1", "G2"}})
	e.admin(service.AdminInput{LoginID: "viewer", Name: "@viewer", Disabled: true, Authorities: meibo.NewAuthorities(meibo.AuthLogViewer,
		meibo.AuthLogAttachments, meibo.AuthLogSaveCSV, meibo.AuthLogConfig, meibo.AuthLogMail, meibo.AuthLogBackup, meibo.AuthLogEmergency)})
	e.admin(service.AdminInput{LoginID: "none", Authorities: meibo.NewAuthorities(meibo.AuthNoViewing)})
	// A sign-in, so that column 42 has a time.
	if _, _, err := e.svc.Login(bgCtx(), "ops", "Amber-canyon-17", "192.0.2.1"); err != nil {
		e.t.Fatal(err)
	}
}

var ixStamp = regexp.MustCompile(`^\d{14}$`)

// TestExportRoundTrip exports users and administrators in UTF-8 (with and
// without a BOM) and CP932 and imports each file back: every row is
// unchanged and not one row of any table is written (updated_at stays).
func TestExportRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine)
		ixRoundTripData(e)
		for _, c := range []struct {
			enc csvio.Encoding
			bom bool
		}{{csvio.UTF8, false}, {csvio.UTF8, true}, {csvio.CP932, false}} {
			t.Run(fmt.Sprintf("%s bom=%v", c.enc, c.bom), func(t *testing.T) {
				// Users.
				var users bytes.Buffer
				n, err := e.svc.ExportUsers(e.sys, "G1", &users, c.enc, c.bom)
				if err != nil || n != 5 {
					t.Fatalf("ExportUsers = %d, %v", n, err)
				}
				before := e.snapshot()
				job := e.run(service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1", UpdateExisting: true}, users.Bytes())
				e.wantSuccess(job, 0, 0, 0, 5)
				if job.DetectedEncoding != string(c.enc) {
					t.Errorf("users file read as %s", job.DetectedEncoding)
				}
				e.sameSnapshot(before, "re-importing exported users")

				// Administrators.
				var admins bytes.Buffer
				n, err = e.svc.ExportAdmins(e.sys, &admins, c.enc, c.bom)
				if err != nil || n != 6 {
					t.Fatalf("ExportAdmins = %d, %v", n, err)
				}
				ixCheckAdminsFile(t, admins.Bytes(), c.enc, c.bom, e.admins())
				job = e.run(service.ImportRequest{Format: meibo.FormatAdmins}, admins.Bytes())
				e.wantSuccess(job, 0, 0, 0, 6)
				e.sameSnapshot(before, "re-importing exported administrators")
			})
		}

		// Without an encoding, administrators are exported in the configured one.
		for _, enc := range []string{"cp932", "utf-8"} {
			if _, err := e.svc.UpdateSettings(e.sys, map[string]string{meibo.SettingAdminCSVEncoding: enc}); err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if _, err := e.svc.ExportAdmins(e.sys, &out, "", false); err != nil {
				t.Fatal(err)
			}
			ixCheckAdminsFile(t, out.Bytes(), csvio.Encoding(enc), false, e.admins())
		}
	})
}

// ixCheckAdminsFile checks the shape of an administrator file (manual 002)
// and its values against the stored administrators.
func ixCheckAdminsFile(t *testing.T, data []byte, enc csvio.Encoding, bom bool, admins map[string]*meibo.Admin) {
	t.Helper()
	if bytes.HasPrefix(data, []byte("\xEF\xBB\xBF")) != bom {
		t.Errorf("BOM: want %v", bom)
	}
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	if enc == csvio.CP932 {
		var err error
		if data, err = japanese.ShiftJIS.NewDecoder().Bytes(data); err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(data, []byte("ソ表")) {
			t.Fatalf("not read back as CP932")
		}
	} else if !bytes.Contains(data, []byte("ソ表")) {
		t.Fatalf("not UTF-8")
	}
	text := string(data)
	if !strings.HasSuffix(text, "\r\n") || strings.Count(text, "\n") != strings.Count(text, "\r\n") {
		t.Errorf("lines do not all end with CRLF")
	}
	lines := strings.Split(strings.TrimSuffix(text, "\r\n"), "\r\n")
	if len(lines) != len(admins)+1 {
		t.Fatalf("%d lines for %d administrators", len(lines), len(admins))
	}
	if !strings.HasPrefix(lines[0], `" ","User ID","Password",`) || !strings.HasSuffix(lines[0], `,"Notes"`) {
		t.Errorf("title line %q", lines[0])
	}
	quoted := regexp.MustCompile(`^"(?:[^"]|"")*"$`)
	for i, l := range lines {
		r := csv.NewReader(strings.NewReader(l))
		f, err := r.Read()
		if err != nil || len(f) != 44 {
			t.Fatalf("line %d: %d fields, %v", i+1, len(f), err)
		}
		// Every field quoted: splitting the raw line at `","` gives 44 parts
		// only when no field holds that sequence; check each field instead.
		raw := l
		for j, v := range f {
			q := `"` + strings.ReplaceAll(v, `"`, `""`) + `"`
			if !strings.HasPrefix(raw, q) || !quoted.MatchString(q) {
				t.Fatalf("line %d, field %d is not written quoted: %q", i+1, j+1, raw)
			}
			raw = strings.TrimPrefix(strings.TrimPrefix(raw, q), ",")
		}
		if i == 0 {
			continue
		}
		a := admins[csvio.Restore(f[1])]
		if a == nil {
			t.Fatalf("line %d: unknown administrator %q", i+1, f[1])
		}
		if f[0] != " " || f[2] != " " {
			t.Errorf("%s: flag %q, password %q; want half-width spaces", a.LoginID, f[0], f[2])
		}
		if f[13] != a.GUID || csvio.Restore(f[14]) != a.Name && !(a.Name == "" && f[14] == " ") {
			t.Errorf("%s: GUID %q, name %q", a.LoginID, f[13], f[14])
		}
		for _, c := range ixAuthorityColumns {
			want := "0"
			if a.Authorities.Has(meibo.Authority(c)) {
				want = "1"
			}
			if f[c-1] != want {
				t.Errorf("%s: column %d is %q, want %q", a.LoginID, c, f[c-1], want)
			}
		}
		for _, c := range []int{9, 10, 11, 12, 13, 17, 18, 19, 20, 27, 28, 29, 30, 37, 38, 39, 40} {
			if f[c-1] != " " {
				t.Errorf("%s: fixed column %d is %q", a.LoginID, c, f[c-1])
			}
		}
		status := "0"
		if a.Disabled {
			status = "1"
		}
		if f[40] != status {
			t.Errorf("%s: status %q, want %q", a.LoginID, f[40], status)
		}
		for _, c := range []struct {
			n  int
			at bool
		}{{42, a.LastSignInAt != nil}, {43, a.PasswordChangedAt != nil}} {
			if v := f[c.n-1]; c.at && !ixStamp.MatchString(v) || !c.at && v != " " {
				t.Errorf("%s: column %d is %q", a.LoginID, c.n, v)
			}
		}
	}
}

// TestExportUsersLargeGroup exports a group of 2,600 users: every user
// once, in name order; and a user whose name Shift_JIS cannot hold (𠮷, in
// the middle of the group) fails the CP932 export with the message naming
// that user.
func TestExportUsersLargeGroup(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine)
		e.group("G1")
		const n = 2600
		var file bytes.Buffer
		file.WriteString("name,password,email\r\n")
		var want []string
		for i := range n {
			name := fmt.Sprintf("user%05d", i)
			if i == 1500 {
				name += "𠮷"
			}
			want = append(want, name)
			fmt.Fprintf(&file, "%s,,u%05d@example.org\r\n", name, i)
		}
		e.wantSuccess(e.run(ixUsersReq("G1", false), file.Bytes()), n, 0, 0, 0)

		var out bytes.Buffer
		rows, err := e.svc.ExportUsers(e.sys, "G1", &out, csvio.UTF8, false)
		if err != nil || rows != n {
			t.Fatalf("export: %d rows, %v; want %d", rows, err, n)
		}
		recs, err := csv.NewReader(&out).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range recs[1:] {
			got = append(got, r[0])
		}
		if !slices.Equal(got, want) {
			extra, missing := ixDiff(got, want)
			t.Errorf("exported %d names, want %d in name order; extra %q, missing %q", len(got), len(want), extra, missing)
		}

		out.Reset()
		rows, err = e.svc.ExportUsers(e.sys, "G1", &out, csvio.CP932, false)
		if rows != 0 || meibo.ErrorCode(err) != meibo.CodeInvalid || !strings.Contains(err.Error(), "user01500𠮷") {
			t.Fatalf("CP932 export of 𠮷: %d rows, %v; want the error naming user01500𠮷", rows, err)
		}

		// A destination that fails part way (a full disk) ends the export
		// with its error.
		full := &failingWriter{left: 40 << 10}
		rows, err = e.svc.ExportUsers(e.sys, "G1", full, csvio.UTF8, false)
		if rows != 0 || !errors.Is(err, errDiskFull) {
			t.Fatalf("export to a full disk: %d rows, %v; want %v", rows, err, errDiskFull)
		}
	})
}

var errDiskFull = errors.New("no space left on device")

// failingWriter takes left bytes, then fails.
type failingWriter struct{ left int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.left {
		n := w.left
		w.left = 0
		return n, errDiskFull
	}
	w.left -= len(p)
	return len(p), nil
}
