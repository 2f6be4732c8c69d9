package service_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

// hookHasher runs a function once, right after the password pw was
// verified with meibo's own hash or hashed anew after a hash from another
// system was verified: between a sign-in's check and its transaction.
type hookHasher struct {
	meibo.PasswordHasher
	mu    sync.Mutex
	pw    string
	after func()
}

func (h *hookHasher) arm(pw string, f func()) {
	h.mu.Lock()
	h.pw, h.after = pw, f
	h.mu.Unlock()
}

func (h *hookHasher) fire(pw string) {
	h.mu.Lock()
	f := h.after
	if pw != h.pw {
		f = nil
	}
	if f != nil {
		h.after = nil
	}
	h.mu.Unlock()
	if f != nil {
		f()
	}
}

func (h *hookHasher) Verify(hash, pw string) (bool, bool, error) {
	ok, rehash, err := h.PasswordHasher.Verify(hash, pw)
	h.fire(pw)
	return ok, rehash, err
}

func (h *hookHasher) Hash(pw string) (string, error) {
	out, err := h.PasswordHasher.Hash(pw)
	h.fire(pw)
	return out, err
}

// TestSignInRacesPasswordChange: a sign-in whose password was right when
// checked is refused, as a wrong password would be, when the password is
// changed or the account disabled before the sign-in is recorded, and the
// password set meanwhile stays (not overwritten by a new hash of the old
// one). Portal users and administrators (console and API), with meibo's own
// hashes and with hashes from another system.
func TestSignInRacesPasswordChange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		hooks := &hookHasher{}
		e := newIxEnv(t, engine, func(c *service.Config) {
			hooks.PasswordHasher = c.Hasher
			c.Hasher = hooks
		})
		e.group("G1")
		strong, _ := legacyHashes(t)
		ctx := context.Background()
		changed, err := e.hasher.Hash("Changed-meanwhile-47")
		e.must(err)

		setUser := func(name string, f func(u *meibo.User)) {
			e.must(e.db.Update(ctx, func(tx meibo.Tx) error {
				u, err := tx.UserByName(ctx, "G1", name)
				if err != nil {
					return err
				}
				f(u)
				return tx.UpdateUsers(ctx, []*meibo.User{u})
			}))
		}
		setAdmin := func(login string, f func(a *meibo.Admin)) {
			e.must(e.db.Update(ctx, func(tx meibo.Tx) error {
				a, err := tx.AdminByLoginID(ctx, login)
				if err != nil {
					return err
				}
				f(a)
				return tx.UpdateAdmin(ctx, a)
			}))
		}
		changeUser := func(name string) func() {
			return func() { setUser(name, func(u *meibo.User) { u.PasswordHash = changed }) }
		}
		disableUser := func(name string) func() { return func() { setUser(name, func(u *meibo.User) { u.Disabled = true }) } }
		changeAdmin := func(login string) func() {
			return func() { setAdmin(login, func(a *meibo.Admin) { a.PasswordHash = changed }) }
		}
		disableAdmin := func(login string) func() {
			return func() { setAdmin(login, func(a *meibo.Admin) { a.Disabled = true }) }
		}

		portal := func(name string) error {
			_, _, err := e.svc.PortalSignIn(ctx, "G1", name, legacyPassword, "192.0.2.9", "test", meibo.English)
			return err
		}
		console := func(login string) error {
			_, _, err := e.svc.SignIn(ctx, login, legacyPassword, "192.0.2.9", "test", meibo.English)
			return err
		}
		api := func(login string) error {
			_, _, err := e.svc.Login(ctx, login, legacyPassword, "192.0.2.9")
			return err
		}
		for _, c := range []struct {
			name     string
			legacy   bool
			admin    bool
			signIn   func(string) error
			meantime func(string) func()
			keeps    bool // the hash set meanwhile stays
		}{
			{"own-changed", false, false, portal, changeUser, true},
			{"own-disabled", false, false, portal, disableUser, false},
			{"moved-changed", true, false, portal, changeUser, true},
			{"moved-disabled", true, false, portal, disableUser, false},
			{"adm-own-changed", false, true, console, changeAdmin, true},
			{"adm-own-disabled", false, true, api, disableAdmin, false},
			{"adm-moved-changed", true, true, console, changeAdmin, true},
			{"adm-moved-changed-api", true, true, api, changeAdmin, true},
			{"adm-moved-disabled", true, true, console, disableAdmin, false},
		} {
			stored := func() string {
				if c.admin {
					return e.admins()[c.name].PasswordHash
				}
				return e.users("G1")[c.name].PasswordHash
			}
			if c.admin {
				e.admin(service.AdminInput{LoginID: c.name, Password: legacyPassword, Authorities: meibo.NewAuthorities(meibo.AuthConsole)})
				if c.legacy {
					setAdminHash(e, c.name, strong["bcrypt2b"])
				}
			} else {
				in := service.UserInput{Name: c.name, Password: legacyPassword}
				if c.legacy {
					in = service.UserInput{Name: c.name, PasswordHash: strong["bcrypt2b"]}
				}
				e.user("G1", in)
			}
			before := stored()
			hooks.arm(legacyPassword, c.meantime(c.name))
			err := c.signIn(c.name)
			if meibo.ErrorCode(err) != meibo.CodeUnauthorized || !strings.HasSuffix(meibo.AsError(err).Msg.Key, ".failed") {
				t.Errorf("%s: signed in with the password of before: %v", c.name, err)
			}
			switch h := stored(); {
			case c.keeps && h != changed:
				t.Errorf("%s: the password set meanwhile was overwritten: %.20s…", c.name, h)
			case !c.keeps && h != before:
				t.Errorf("%s: the hash changed: %.20s…, was %.20s…", c.name, h, before)
			}
		}

		// Another sign-in with the same password meanwhile (two tabs, an
		// app and a browser) makes the new form of a moved hash first:
		// both sign in.
		e.user("G1", service.UserInput{Name: "twice", PasswordHash: strong["bcrypt2b"]})
		e.admin(service.AdminInput{LoginID: "twice", Password: legacyPassword, Authorities: meibo.NewAuthorities(meibo.AuthConsole)})
		setAdminHash(e, "twice", strong["bcrypt2b"])
		var inner error
		hooks.arm(legacyPassword, func() { inner = portal("twice") })
		if err := portal("twice"); err != nil || inner != nil {
			t.Errorf("two portal sign-ins at once: %v and %v", err, inner)
		}
		hooks.arm(legacyPassword, func() { inner = api("twice") })
		if err := console("twice"); err != nil || inner != nil {
			t.Errorf("two administrator sign-ins at once: %v and %v", err, inner)
		}
		if h := e.users("G1")["twice"].PasswordHash; !strings.HasPrefix(h, "$argon2id$") {
			t.Errorf("user's hash not replaced: %.20s…", h)
		}

		// Nothing meanwhile: the sign-in goes through and the hash from
		// another system is replaced.
		e.user("G1", service.UserInput{Name: "calm", PasswordHash: strong["bcrypt2b"]})
		e.admin(service.AdminInput{LoginID: "calm", Password: legacyPassword, Authorities: meibo.NewAuthorities(meibo.AuthConsole)})
		setAdminHash(e, "calm", strong["bcrypt2b"])
		if err := portal("calm"); err != nil {
			t.Errorf("portal sign-in: %v", err)
		}
		if err := console("calm"); err != nil {
			t.Errorf("console sign-in: %v", err)
		}
		if h := e.users("G1")["calm"].PasswordHash; !strings.HasPrefix(h, "$argon2id$") {
			t.Errorf("user's hash not replaced: %.20s…", h)
		}
		if h := e.admins()["calm"].PasswordHash; !strings.HasPrefix(h, "$argon2id$") {
			t.Errorf("administrator's hash not replaced: %.20s…", h)
		}
	})
}
