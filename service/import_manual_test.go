package service_test

import (
	"bytes"
	"encoding/csv"
	"os"
	"strings"
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/csvio"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

// TestImportManualSample imports the manual's (002) own sample: its title
// line and its two rows, with new IDs (AUTOBACKUPUSER → BACKUP2, admin →
// admin2) and a password for the second. Both are created, and the export
// gives back the same value in every column but those the manual itself
// says are written by the product: 3 (password, blank on output), 14 (the
// GUID meibo assigns), 41–43 (status and times), and 26, 35 and 36, which
// the older sample leaves blank and meibo writes as "0".
func TestImportManualSample(t *testing.T) {
	raw, err := os.ReadFile("../csvio/testdata/admins_manual.csv")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(raw, []byte("\r\n")) || bytes.Count(raw, []byte("\r\n")) != 3 {
		t.Fatalf("the sample is not three CRLF lines")
	}
	r := csv.NewReader(bytes.NewReader(raw))
	sample, err := r.ReadAll()
	if err != nil || len(sample) != 3 {
		t.Fatalf("sample: %d records, %v", len(sample), err)
	}
	if sample[1][1] != "AUTOBACKUPUSER" || sample[2][1] != "admin" {
		t.Fatalf("sample rows %q, %q", sample[1][1], sample[2][1])
	}
	sample[1][1] = "BACKUP2"
	sample[2][1] = "admin2"
	sample[2][2] = "Manual-sample-pass-7"
	var file bytes.Buffer
	for _, rec := range sample {
		for i, f := range rec {
			if i > 0 {
				file.WriteByte(',')
			}
			file.WriteString(`"` + strings.ReplaceAll(f, `"`, `""`) + `"`)
		}
		file.WriteString("\r\n")
	}

	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine)
		e.bootstrap("Root-pass-phrase-1")
		for _, enc := range []string{"auto", "utf-8", "cp932"} {
			// The sample is ASCII: the same bytes in every encoding.
			snap := e.snapshot()
			req := service.ImportRequest{Format: meibo.FormatAdmins, Encoding: enc, DryRun: true}
			e.wantSuccess(e.run(req, file.Bytes()), 2, 0, 0, 0)
			e.sameSnapshot(snap, "a dry run of the manual's sample")
		}
		job := e.run(service.ImportRequest{Format: meibo.FormatAdmins}, file.Bytes())
		e.wantSuccess(job, 2, 0, 0, 0)
		as := e.admins()
		b, a := as["BACKUP2"], as["admin2"]
		if b == nil || a == nil {
			t.Fatalf("administrators %v", as)
		}
		if b.Name != "Automatic Backup User" || b.Authorities != meibo.BackupAuthorities || b.PasswordHash != "" || b.Builtin {
			t.Errorf("BACKUP2 = %+v", b)
		}
		if b.GUID == "5895E395-92F9-4b91-9724-A64688DFECCE" || b.GUID == "" {
			t.Errorf("BACKUP2's GUID %q: column 14 is ignored on import, meibo assigns one", b.GUID)
		}
		if a.Name != "admin" || a.Authorities != meibo.NewAuthorities(meibo.AuthLogViewer, meibo.AuthConsole) || !e.verify(a.PasswordHash, "Manual-sample-pass-7") {
			t.Errorf("admin2 = %+v", a)
		}

		var out bytes.Buffer
		if _, err := e.svc.ExportAdmins(e.sys, &out, csvio.UTF8, false); err != nil {
			t.Fatal(err)
		}
		exported, err := csv.NewReader(&out).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		byID := map[string][]string{}
		for _, rec := range exported[1:] {
			byID[rec[1]] = rec
		}
		if exported[0][1] != sample[0][1] || strings.Join(exported[0], ",") != strings.Join(sample[0], ",") {
			t.Errorf("title line\n%q\nwant the manual's\n%q", exported[0], sample[0])
		}
		for _, in := range sample[1:] {
			got := byID[in[1]]
			if got == nil {
				t.Fatalf("%s not exported", in[1])
			}
			for c := 1; c <= 44; c++ {
				want := in[c-1]
				switch c {
				case 3:
					want = " " // blank on output
				case 14:
					want = as[in[1]].GUID
				case 41, 42, 43:
					continue
				case 26, 35, 36:
					if want != " " {
						t.Fatalf("column %d of the sample is %q", c, want)
					}
					want = "0"
				}
				if got[c-1] != want {
					t.Errorf("%s, column %d: exported %q, imported %q", in[1], c, got[c-1], want)
				}
			}
			if got[40] != "0" {
				t.Errorf("%s: record status %q", in[1], got[40])
			}
		}
		if !ixStamp.MatchString(byID["admin2"][42]) || byID["BACKUP2"][42] != " " {
			t.Errorf("password change times %q, %q", byID["admin2"][42], byID["BACKUP2"][42])
		}

		// Imported again, the manual's own rows change nothing.
		snap := e.snapshot()
		sample2 := bytes.Replace(file.Bytes(), []byte("Manual-sample-pass-7"), []byte(" "), 1)
		e.wantSuccess(e.run(service.ImportRequest{Format: meibo.FormatAdmins}, sample2), 0, 0, 0, 2)
		e.sameSnapshot(snap, "re-importing the manual's sample")
	})
}
