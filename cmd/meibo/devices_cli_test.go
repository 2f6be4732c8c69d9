package main

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/argon2id"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/sqlite"
	"github.com/meibo/meibo/store/sqlstore"
)

// TestDevicesCommands: meibo export --format devices writes the enrolled
// devices of a group, and meibo import --format devices assigns them, all
// or nothing; the export imports back unchanged.
func TestDevicesCommands(t *testing.T) {
	c := newCLI(t)
	c.ok("group", "create", "G1")
	// Users and devices, made with the service on the same database.
	ctx := context.Background()
	db, err := sqlite.Open(ctx, c.db, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := argon2id.ForTests()
	svc := service.New(db, service.Config{Hasher: h, Logger: discardLogger()})
	sys := meibo.WithActor(ctx, meibo.System("cli:test"))
	for _, u := range []string{"alice", "bob"} {
		if _, err := svc.CreateUser(sys, "G1", service.UserInput{Name: u}); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []struct{ name, serial, user string }{{"Tablet 1", "SN-1", "alice"}, {"Phone", "", ""}} {
		tok, _, err := svc.CreateEnrolmentToken(sys, "G1", d.user, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.Enrol(ctx, service.EnrolInfo{Token: tok, Name: d.name, Serial: d.serial}, "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
	}
	svc.WaitAudits() // the audits of refused requests, before the database closes
	db.Close()

	out := c.file("devices.csv", nil)
	r := c.ok("export", "--format", "devices", "--group", "G1", "-o", out)
	if !strings.Contains(r.stderr, "wrote 2 devices") {
		t.Errorf("export: %s", r)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != "name,serial,user\r\nPhone,,\r\nTablet 1,SN-1,alice\r\n" {
		t.Errorf("devices.csv: %q", data)
	}
	r = c.ok("import", "--format", "devices", "--group", "G1", out)
	if !strings.Contains(r.stdout, "SUCCESS") || !strings.Contains(r.stdout, "0 updated") || !strings.Contains(r.stdout, "2 unchanged") {
		t.Errorf("import of the export: %s", r)
	}
	moved := c.file("moved.csv", []byte("serial,name,user\r\nSN-1,,bob\r\n,Phone,alice\r\n"))
	if r = c.ok("import", "--format", "devices", "--group", "G1", moved); !strings.Contains(r.stdout, "2 updated") {
		t.Errorf("import: %s", r)
	}
	bad := c.file("bad.csv", []byte("serial,user\r\nSN-1,alice\r\nSN-404,bob\r\n"))
	r = c.run([]string{"import", "--format", "devices", "--group", "G1", "--lang", "ja", bad})
	if r.code != 1 || !strings.Contains(r.stdout, "SN-404") || !strings.Contains(r.stdout, "row 3, serial") {
		t.Errorf("refused import: %s", r)
	}
	r = c.ok("export", "--format", "devices", "--group", "G1")
	if r.stdout != "name,serial,user\r\nPhone,,alice\r\nTablet 1,SN-1,bob\r\n" {
		t.Errorf("after the imports: %q", r.stdout)
	}
	if r := c.run([]string{"import", "--format", "devices", out}); r.code != 2 || !strings.Contains(r.stderr, "--group") {
		t.Errorf("without --group: %s", r)
	}
}
