package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/store/storetest"
)

// POST /api/v1/login asks for the second factor as the console does: the
// API cannot walk around the policy.
func TestLoginSecondFactorPolicy(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newAPIEnv(t, engine)
		ctx := context.Background()
		const pw = "Velvet-summit-88"
		login := func(id, code string) response {
			t.Helper()
			body := fmt.Sprintf(`{"loginId":%q,"password":%q,"code":%q}`, id, pw, code)
			return e.do("POST", "/api/v1/login", "", body, nil)
		}
		// No policy, no factor: the password is enough.
		if r := login("noimport", ""); r.status != 200 {
			t.Fatalf("no policy: %v", r)
		}

		// An authenticator app set up by "manager" in the console.
		secret, _, err := e.svc.SignIn(ctx, "manager", pw, "192.0.2.1", "", meibo.English)
		if err != nil {
			t.Fatal(err)
		}
		act, _, err := e.svc.FactorActor(ctx, secret, "")
		if err != nil {
			t.Fatal(err)
		}
		setup, err := e.svc.BeginTOTP(meibo.WithActor(ctx, act))
		if err != nil {
			t.Fatal(err)
		}
		gen := func(at time.Time) string {
			c, err := totp.GenerateCodeCustom(setup.Secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		codes, err := e.svc.ConfirmTOTP(meibo.WithActor(ctx, act), gen(time.Now()))
		if err != nil {
			t.Fatal(err)
		}

		for _, c := range []struct{ name, code string }{{"no code", ""}, {"a wrong code", "000000"}, {"the code used already", gen(time.Now())}} {
			r := login("manager", c.code)
			if r.status != 401 || strings.Contains(r.body, "mbo_") {
				t.Errorf("%s: %v", c.name, r)
			}
		}
		if r := login("manager", ""); !strings.Contains(r.body, meibo.M("mfa.code.required").In(meibo.English)) {
			t.Errorf("no code, the answer does not say a code is needed: %v", r)
		}
		next := gen(time.Now().Add(30 * time.Second))
		r := login("manager", next)
		if r.status != 200 {
			t.Fatalf("the right code: %v", r)
		}
		var out struct{ Token string }
		if err := json.Unmarshal([]byte(r.body), &out); err != nil || out.Token == "" {
			t.Fatalf("token %v %v", out, err)
		}
		e.tokens["manager-mfa"] = out.Token
		if r := e.do("GET", "/api/v1/me", "manager-mfa", "", nil); r.status != 200 {
			t.Errorf("the token made with a code: %v", r)
		}
		if r := login("manager", next); r.status != 401 {
			t.Errorf("a code replayed: %v", r)
		}
		if r := login("manager", codes[0]); r.status != 200 {
			t.Errorf("a recovery code: %v", r)
		}
		if r := login("manager", codes[0]); r.status != 401 {
			t.Errorf("a recovery code twice: %v", r)
		}

		// What the manager has set up, read by the built-in admin; the
		// policy set through the API by a manager of administrators only.
		if r := e.do("GET", "/api/v1/admins/{a_manager}/factors", "admin", "", nil); r.status != 200 ||
			!strings.Contains(r.body, `"totp":true`) || !strings.Contains(r.body, `"methods":"password"`) || strings.Contains(r.body, "csrf") {
			t.Errorf("factors: %v", r)
		}
		if r := e.do("PUT", "/api/v1/mfa-policy", "viewer", `{"all":true}`, nil); r.status != 403 {
			t.Errorf("policy by a viewer: %v", r)
		}
		if r := e.do("GET", "/api/v1/mfa-policy", "viewer", "", nil); r.status != 200 {
			t.Errorf("policy read: %v", r)
		}
		// The emergency reset: a manager of administrators only; the
		// manager's token made with a code ends with it.
		if r := e.do("POST", "/api/v1/admins/{a_manager}/reset-mfa", "dept", "", nil); r.status != 403 {
			t.Errorf("reset by a department administrator: %v", r)
		}
		if r := e.do("POST", "/api/v1/admins/{a_manager}/reset-mfa", "admin", "", nil); r.status != 204 {
			t.Fatalf("reset: %v", r)
		}
		if r := e.do("GET", "/api/v1/me", "manager-mfa", "", nil); r.status != 401 {
			t.Errorf("a token outlived the reset: %v", r)
		}

		// A manager without a factor may not set a policy that requires
		// one of them.
		if r := e.do("PUT", "/api/v1/mfa-policy", "admin", `{"all":true}`, nil); r.status != 409 || !strings.Contains(r.body, "set one up first") {
			t.Errorf("a policy that stops its author: %v", r)
		}
		// The policy requires a factor of everyone (set by the command
		// line): one who has none gets no token, whatever the code, and is
		// told to set one up; the tokens made before stop.
		if err := e.svc.SetMFAPolicy(e.sys, meibo.MFAPolicy{All: true}); err != nil {
			t.Fatal(err)
		}
		setUp := meibo.M("mfa.setup.required", "noimport").In(meibo.English)
		for _, code := range []string{"", "123456", codes[1]} {
			if r := login("noimport", code); r.status != 403 || strings.Contains(r.body, "mbo_") || !strings.Contains(r.body, setUp) {
				t.Errorf("policy, no factor, code %q: %v", code, r)
			}
		}
		for _, who := range []string{"viewer", "admin", "noimport"} {
			if r := e.do("GET", "/api/v1/mfa-policy", who, "", nil); r.status != 403 || !strings.Contains(r.body, "set one up in the console") {
				t.Errorf("%s's token from before the policy: %v", who, r)
			}
		}
		if r := login("manager", ""); r.status != 403 {
			t.Errorf("after the reset, under the policy, the password alone: %v", r)
		}
		// The command line makes no token that would be refused.
		if _, _, err := e.svc.CreateToken(e.sys, "viewer", "script", time.Hour); meibo.ErrorCode(err) != meibo.CodeConflict {
			t.Errorf("a token for an administrator who must set up a factor: %v", err)
		}
	})
}
