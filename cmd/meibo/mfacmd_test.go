package main

import (
	"context"
	"strings"
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/argon2id"
)

func TestAdminResetMFACommand(t *testing.T) {
	c := newCLI(t)
	c.ok("migrate")
	c.ok("admin", "create", "ops", "--password", "Ops-second-pw1", "--authorities", "console")
	if r := c.ok("admin", "mfa-policy"); strings.TrimSpace(r.stdout) != "mfa_required=none" {
		t.Errorf("policy at first: %s", r)
	}
	if r := c.ok("admin", "mfa-policy", "6,7"); strings.TrimSpace(r.stdout) != "mfa_required=6,7" {
		t.Errorf("policy set: %s", r)
	}
	if r := c.run([]string{"admin", "mfa-policy", "6,99"}); r.code == 0 {
		t.Errorf("an unknown authority was taken: %s", r)
	}

	// ops sets up an authenticator app and signs in with it.
	ctx := context.Background()
	cl, err := openCLI(ctx, c.db, argon2id.Params{Memory: 7168, Time: 5, Threads: 1}, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	secret, _, err := cl.svc.SignIn(ctx, "ops", "Ops-second-pw1", "192.0.2.1", "", meibo.English)
	if err != nil {
		t.Fatal(err)
	}
	act, _, err := cl.svc.FactorActor(ctx, secret, "")
	if err != nil {
		t.Fatal(err)
	}
	setup, err := cl.svc.BeginTOTP(meibo.WithActor(ctx, act))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.svc.ConfirmTOTP(meibo.WithActor(ctx, act), totpCodeNow(t, setup.Secret)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := cl.svc.ConsoleActor(ctx, secret, ""); err != nil {
		t.Fatal(err)
	}

	if r := c.ok("admin", "reset-mfa", "ops"); !strings.Contains(r.stdout, "reset the second factors of ops") {
		t.Errorf("reset: %s", r)
	}
	if _, _, err := cl.svc.ConsoleActor(ctx, secret, ""); meibo.ErrorCode(err) != meibo.CodeUnauthorized {
		t.Errorf("the session outlived the reset: %v", err)
	}
	f, _, err := cl.svc.AdminFactors(meibo.WithActor(ctx, meibo.System("test")), act.ID)
	if err != nil || f.Any() {
		t.Errorf("factors after the reset: %+v, %v", f, err)
	}
	// Under the policy, the next sign-in must set one up again.
	if _, sess, err := cl.svc.SignIn(ctx, "ops", "Ops-second-pw1", "192.0.2.1", "", meibo.English); err != nil || sess.Stage != meibo.StageSetup {
		t.Errorf("after the reset: %+v, %v", sess, err)
	}
	cl.Close()
	if r := c.run([]string{"admin", "reset-mfa", "nobody"}); r.code == 0 {
		t.Errorf("reset of an unknown administrator: %s", r)
	}
}
