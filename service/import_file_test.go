package service_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

// TestSubmitAndRunFile: a file on disk is imported as the command line
// imports it, streamed into the database's chunks and read back from them:
// the job's file, size and checksum are the file's, and its users exist.
func TestSubmitAndRunFile(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine)
		e.group("G1")
		var b strings.Builder
		b.WriteString("name,password,email,admin,apiAccess,disabled,profile\r\n")
		for i := range 3000 {
			fmt.Fprintf(&b, "disk%04d,,disk%04d@example.jp,false,false,false,\r\n", i, i)
		}
		path := filepath.Join(t.TempDir(), "users.csv")
		if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		job, err := e.svc.SubmitAndRunFile(e.sys, service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1", FileName: "users.csv"}, path, nil)
		e.must(err)
		e.wantSuccess(job, 3000, 0, 0, 0)
		sum := sha256.Sum256([]byte(b.String()))
		if job.Size != int64(b.Len()) || job.SHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("job size %d sha256 %s, want %d %x", job.Size, job.SHA256, b.Len(), sum)
		}
		_, kept, err := e.svc.ImportFile(e.sys, job.ID)
		e.must(err)
		if string(kept) != b.String() {
			t.Errorf("kept file of %d bytes differs from the %d of the file", len(kept), b.Len())
		}
		if n := len(e.users("G1")); n != 3000 {
			t.Errorf("%d users, want 3000", n)
		}
		// A Shift_JIS file read back from the chunks is recorded as such,
		// its first byte that is not ASCII being on its last row.
		b.Reset()
		b.WriteString("name,password,email\r\n")
		for i := range 3000 {
			fmt.Fprintf(&b, "sjis%04d,,sjis%04d@example.jp\r\n", i, i)
		}
		b.WriteString("\x8eR\x93c\x89\xd4\x8eq,,hanako@example.jp\r\n") // 山田花子 in Shift_JIS
		if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		job, err = e.svc.SubmitAndRunFile(e.sys, service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1", FileName: "sjis.csv"}, path, nil)
		e.must(err)
		e.wantSuccess(job, 3001, 0, 0, 0)
		if job.DetectedEncoding != "cp932" {
			t.Errorf("a Shift_JIS file recorded as read in %q", job.DetectedEncoding)
		}
		if stored := e.stored(job.ID); stored.DetectedEncoding != "cp932" {
			t.Errorf("the job's history says the file was read in %q", stored.DetectedEncoding)
		}
		if e.users("G1")["山田花子"] == nil {
			t.Error("山田花子 was not created")
		}
		// A file that is not there is refused before any job is made.
		if _, err := e.svc.SubmitAndRunFile(e.sys, service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1"}, path+".missing", nil); err == nil {
			t.Error("a missing file was imported")
		}
	})
}
