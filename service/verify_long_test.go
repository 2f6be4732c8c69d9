package service_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/passhash"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

// TestLongPasswordCostlySHACrypt: a very long password against a SHA-crypt
// hash whose cost is fine for a password of usual length is a wrong
// password: no error is logged (anyone can send one) and nothing says the
// account needs a new password.
func TestLongPasswordCostlySHACrypt(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		var logs bytes.Buffer
		e := newIxEnv(t, engine, func(c *service.Config) {
			c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
		})
		e.group("G1")
		// The hash is never computed: the long password is refused before.
		h := "$6$rounds=656000$saltsaltsalt$" + strings.Repeat("a", 86)
		if c, err := passhash.Estimate(h); err != nil || !c.Within(passhash.MaxCost) {
			t.Fatalf("the hash should be within the bound: %v %v", c, err)
		}
		if _, err := passhash.Verify(h, strings.Repeat("x", 64<<10)); err == nil {
			t.Fatal("a 64 KiB password should pass the bound")
		}
		e.user("G1", service.UserInput{Name: "old", PasswordHash: h})
		strong, _ := legacyHashes(t)
		e.user("G1", service.UserInput{Name: "fine", PasswordHash: strong["shacrypt6"]})

		logs.Reset()
		_, _, err := e.svc.PortalSignIn(context.Background(), "G1", "old", strings.Repeat("x", 64<<10), "192.0.2.9", "test", meibo.English)
		if meibo.ErrorCode(err) != meibo.CodeUnauthorized {
			t.Errorf("a long password: %v, want a wrong password", err)
		}
		if l := logs.String(); strings.Contains(l, "level=ERROR") || strings.Contains(l, "needs a new password") {
			t.Errorf("log %q", l)
		}
		// A password within meibo's own length may be the person's own,
		// which such a hash can never let in: the operator is told.
		h2 := "$6$rounds=2500000$saltsaltsalt$" + strings.Repeat("a", 86)
		own := strings.Repeat("長", meibo.PasswordMaxLength)
		if c, err := passhash.Estimate(h2); err != nil || !c.Within(passhash.MaxCost) {
			t.Fatalf("the hash should be within the bound: %v %v", c, err)
		}
		if _, err := passhash.Verify(h2, own); err == nil {
			t.Fatal("a password of 128 kanji should pass the bound of this hash")
		}
		e.user("G1", service.UserInput{Name: "older", PasswordHash: h2})
		logs.Reset()
		_, _, err = e.svc.PortalSignIn(context.Background(), "G1", "older", own, "192.0.2.9", "test", meibo.English)
		if meibo.ErrorCode(err) != meibo.CodeUnauthorized {
			t.Errorf("a long password within the policy: %v, want a wrong password", err)
		}
		if l := logs.String(); !strings.Contains(l, "level=WARN") || !strings.Contains(l, "needs a new password") {
			t.Errorf("log %q", l)
		}
		// Hashes within the bound are verified as before.
		if _, _, err := e.svc.PortalSignIn(context.Background(), "G1", "fine", legacyPassword, "192.0.2.9", "test", meibo.English); err != nil {
			t.Errorf("the right password after a long one: %v", err)
		}
	})
}
