package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meibo/meibo/store/storetest"
)

// TestMoveToPostgres moves an installation from SQLite to PostgreSQL and
// back with two commands each way: the exports are the same byte for byte,
// and a database holding data, a damaged file and a cut one are refused
// with nothing written.
func TestMoveToPostgres(t *testing.T) {
	pg := storetest.SchemaDSN(t, storetest.PostgresDSN(t))
	c := newCLI(t)
	c.ok("migrate")
	c.ok("group", "create", "G1", "--name", "営業部")
	f := c.file("u.csv", []byte("name,password,email\r\ncarol,Amber-canyon-17,carol@example.org\r\nソ表,,\r\n"))
	c.ok("import", "--format", "users", "--group", "G1", f)
	c.ok("admin", "create", "ops", "--password", "Lantern-ridge-77", "--authorities", "console,export")
	exports := func(db string) string {
		return c.run([]string{"export", "--format", "users", "--group", "G1", "--db", db}).stdout +
			c.run([]string{"export", "--format", "admins", "--db", db}).stdout
	}
	before := exports(c.db)
	if !strings.Contains(before, "carol") || !strings.Contains(before, "ops") {
		t.Fatalf("exports before: %q", before)
	}

	mbk := filepath.Join(c.dir, "all.mbk")
	if r := c.ok("backup", "--db", c.db, "-o", mbk); !strings.Contains(r.stdout, "wrote "+mbk) {
		t.Errorf("backup: %s", r)
	}
	if r := c.ok("backup", "--verify", mbk); !strings.Contains(r.stdout, "complete backup") || !strings.Contains(r.stdout, "users") {
		t.Errorf("verify: %s", r)
	}
	if r := c.ok("restore", "--db", pg, mbk); !strings.Contains(r.stdout, "restored") {
		t.Errorf("restore: %s", r)
	}
	if after := exports(pg); after != before {
		t.Errorf("exports after the move:\n%s\nbefore:\n%s", after, before)
	}
	// Into the same database again: it holds data now.
	if r := c.run([]string{"restore", "--db", pg, mbk}); r.code != 1 || !strings.Contains(r.stderr, "not empty") {
		t.Errorf("restore into a database holding data: %s", r)
	}
	// And back, into a new SQLite file.
	back := filepath.Join(c.dir, "back.mbk")
	c.ok("backup", "--db", pg, "-o", back)
	newDB := filepath.Join(c.dir, "new.db")
	c.ok("restore", "--db", newDB, back)
	if after := exports(newDB); after != before {
		t.Errorf("exports after moving back:\n%s\nbefore:\n%s", after, before)
	}
	// A cut file is refused by --verify and by restore, and writes nothing.
	data, err := os.ReadFile(mbk)
	if err != nil {
		t.Fatal(err)
	}
	cut := c.file("cut.mbk", data[:len(data)/2])
	if r := c.run([]string{"backup", "--verify", cut}); r.code != 1 || !strings.Contains(r.stderr, "incomplete") {
		t.Errorf("verify a cut file: %s", r)
	}
	empty := filepath.Join(c.dir, "empty.db")
	if r := c.run([]string{"restore", "--db", empty, cut}); r.code != 1 || !strings.Contains(r.stderr, "incomplete") {
		t.Errorf("restore a cut file: %s", r)
	}
	if r := c.ok("group", "list", "--db", empty); strings.Contains(r.stdout, "G1") {
		t.Errorf("a refused restore wrote groups: %s", r.stdout)
	}
	// A mistyped database is no empty installation to back up.
	missing := filepath.Join(c.dir, "typo.db")
	if r := c.run([]string{"backup", "--db", missing, "-o", filepath.Join(c.dir, "typo.mbk")}); r.code != 1 || !strings.Contains(r.stderr, "no database") {
		t.Errorf("backup of a missing database: %s", r)
	}
	for _, p := range []string{missing, filepath.Join(c.dir, "typo.mbk")} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s was created", p)
		}
	}
	// The database itself, or its journal, is no file to write a backup to.
	for _, out := range []string{c.db, filepath.Dir(c.db) + "/./" + filepath.Base(c.db) + "-wal", c.db + "-shm"} {
		r := c.run([]string{"backup", "--db", c.db, "-o", out})
		if r.code != 2 || !strings.Contains(r.stderr, "is the database being backed up") {
			t.Errorf("backup -o %s: %s", out, r)
		}
	}
	if r := c.ok("group", "list"); !strings.Contains(r.stdout, "G1") {
		t.Errorf("the database after the refused backups: %s", r)
	}
	// A file to write or to check comes from the command line alone: a
	// variable left in the shell neither turns a backup into a check nor
	// chooses where it is written.
	fresh := filepath.Join(c.dir, "fresh.mbk")
	if r := c.run([]string{"backup", "-o", fresh}, "MEIBO_VERIFY="+mbk); r.code != 0 || !strings.Contains(r.stdout, "wrote "+fresh) {
		t.Errorf("backup beside MEIBO_VERIFY: %s", r)
	}
	if r := c.run([]string{"backup"}, "MEIBO_O="+c.db); r.code != 2 || !strings.Contains(r.stderr, "-o FILE") {
		t.Errorf("backup with MEIBO_O set only: %s", r)
	}
}
