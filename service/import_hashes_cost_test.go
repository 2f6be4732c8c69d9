package service_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"log/slog"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

// costly are hashes whose verification would take longer than meibo
// allows: minutes for the first two, under two seconds for the last (so
// that a test run without the bound stays short).
func costly() []string {
	z := func(n int) string { return base64.RawStdEncoding.EncodeToString(make([]byte, n)) }
	return []string{
		"$pbkdf2-sha1$i=10000000,l=256$" + z(16) + "$" + z(256),
		"$argon2id$v=19$m=1048576,t=100,p=64$" + z(16) + "$" + z(32),
		"$pbkdf2-sha1$i=10000000,l=20$" + z(16) + "$" + z(20),
	}
}

// TestImportCostlyHashes: a file or the API giving a hash that would take
// too long to check is refused, saying how long.
func TestImportCostlyHashes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine)
		e.group("G1")
		rows := map[string]string{}
		for i, h := range costly() {
			rows[string(rune('a'+i))+"user"] = h
		}
		job := e.run(service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1"}, hashFile(t, []string{"name", "passwordHash", "email"}, rows))
		errs, _ := e.messages(job)
		if job.Status != meibo.ImportFailed || len(errs) != len(rows) {
			t.Fatalf("costly hashes: %s, %v", job.Status, errs)
		}
		for _, m := range errs {
			if m.Column != "passwordHash" || !strings.Contains(m.Text, "would take about") || !strings.Contains(m.Text, "at most 1.5 s and 256 MiB") {
				t.Errorf("message %+v", m)
			}
		}
		h := costly()[0]
		_, err := e.svc.CreateUser(e.sys, "G1", service.UserInput{Name: "api", PasswordHash: h})
		if meibo.ErrorCode(err) != meibo.CodeInvalid || meibo.AsError(err).Fields["passwordHash"].Key != "user.password.hash_cost" {
			t.Errorf("create with a costly hash: %v", err)
		}
	})
}

// TestStoredCostlyHashNotRun: a costly hash stored before imports refused
// them fails the sign-in at once, with a log line, instead of running.
func TestStoredCostlyHashNotRun(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		var logs bytes.Buffer
		e := newIxEnv(t, engine, func(c *service.Config) { c.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
		e.group("G1")
		strong, _ := legacyHashes(t)
		if _, err := e.svc.CreateUser(e.sys, "G1", service.UserInput{Name: "old", PasswordHash: strong["bcrypt2b"]}); err != nil {
			t.Fatal(err)
		}
		for _, h := range costly() {
			e.must(e.db.Update(context.Background(), func(tx meibo.Tx) error {
				u, err := tx.UserByName(context.Background(), "G1", "old")
				if err != nil {
					return err
				}
				u.PasswordHash = h
				return tx.UpdateUsers(context.Background(), []*meibo.User{u})
			}))
			logs.Reset()
			start := time.Now()
			if _, _, err := e.svc.PortalSignIn(e.sys, "G1", "old", legacyPassword, "192.0.2.9", "test", meibo.English); err == nil {
				t.Errorf("%.30s…: signed in", h)
			}
			if d := time.Since(start); d > 500*time.Millisecond {
				t.Errorf("%.30s…: the sign-in took %v", h, d)
			}
			if !strings.Contains(logs.String(), "needs a new password") {
				t.Errorf("%.30s…: log %q", h, logs.String())
			}
		}
	})
}

// TestMovedHashesSignIn: an Argon2id hash with base64 padding, and a bcrypt
// hash of the first 72 bytes of a longer password, both let their users
// sign in.
func TestMovedHashesSignIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine)
		e.group("G1")
		salt := []byte("0123456789abcdef")
		enc := base64.StdEncoding.EncodeToString
		padded := "$argon2id$v=19$m=8192,t=1,p=1$" + enc(salt) + "$" + enc(argon2.IDKey([]byte(legacyPassword), salt, 1, 8192, 1, 32))
		long := strings.Repeat("Tidal-lantern-58 ", 5) // 85 bytes
		b, err := bcrypt.GenerateFromPassword([]byte(long[:72]), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ name, hash, password string }{
			{"padded", padded, legacyPassword},
			{"long", string(b), long},
		} {
			if _, err := e.svc.CreateUser(e.sys, "G1", service.UserInput{Name: c.name, PasswordHash: c.hash}); err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if _, _, err := e.svc.PortalSignIn(e.sys, "G1", c.name, c.password, "192.0.2.9", "test", meibo.English); err != nil {
				t.Errorf("%s: sign-in: %v", c.name, err)
			}
		}
	})
}
