package storetest_test

// The storage contract suite: every test runs on every engine, each on a
// fresh database, and holds the engine to the behaviour that meibo.Store and
// meibo.Tx document.

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/store/sqlstore"
	"github.com/meibo/meibo/store/storetest"
)

var ctx = context.Background()

// update runs fn in a write transaction and fails the test on error.
func update(t testing.TB, db meibo.Store, fn func(tx meibo.Tx) error) {
	t.Helper()
	if err := db.Update(ctx, fn); err != nil {
		t.Fatal(err)
	}
}

// view runs fn in a read transaction and fails the test on error.
func view(t testing.TB, db meibo.Store, fn func(tx meibo.Tx) error) {
	t.Helper()
	if err := db.View(ctx, fn); err != nil {
		t.Fatal(err)
	}
}

// wantCode fails the test unless err is an *Error with code.
func wantCode(t testing.TB, err error, code meibo.Code) *meibo.Error {
	t.Helper()
	var e *meibo.Error
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("error %v (%T), want code %q", err, err, code)
	}
	return e
}

// newGroup creates group id with its default profile and returns the profile.
func newGroup(t testing.TB, db meibo.Store, id string) *meibo.Profile {
	t.Helper()
	p := &meibo.Profile{GroupID: id, Name: meibo.DefaultProfileName, Actions: meibo.AllActions, APIAccess: true, Default: true}
	update(t, db, func(tx meibo.Tx) error {
		if err := tx.CreateGroup(ctx, &meibo.Group{ID: id, Name: "Group " + id}); err != nil {
			return err
		}
		return tx.CreateProfile(ctx, p)
	})
	return p
}

// addUsers creates users in one transaction.
func addUsers(t testing.TB, db meibo.Store, users ...*meibo.User) {
	t.Helper()
	update(t, db, func(tx meibo.Tx) error { return tx.CreateUsers(ctx, users) })
}

func user(p *meibo.Profile, name, email string) *meibo.User {
	return &meibo.User{GroupID: p.GroupID, Name: name, Email: email, ProfileID: p.ID}
}

func countUsers(t testing.TB, db meibo.Store, group string) int {
	t.Helper()
	var n int
	view(t, db, func(tx meibo.Tx) error {
		var err error
		n, err = tx.CountUsers(ctx, group)
		return err
	})
	return n
}

func TestEngineName(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		db := storetest.Open(t, engine, nil)
		if db.Engine() != engine {
			t.Fatalf("Engine() = %q", db.Engine())
		}
		applied, pending, err := db.MigrationStatus(ctx)
		if err != nil || len(applied) == 0 || len(pending) != 0 {
			t.Fatalf("migrations: applied %v, pending %v, %v", applied, pending, err)
		}
		if again, err := db.Migrate(ctx); err != nil || len(again) != 0 {
			t.Fatalf("second Migrate applied %v, %v", again, err)
		}
	})
}

// TestOrdinaryRole checks that the PostgreSQL stores of the tests connect as
// meibo does in production: an ordinary role, not a superuser and not the
// owner of the database, which owns only its own schema. Everything the
// suite does on PostgreSQL then needs no more than that.
func TestOrdinaryRole(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, "postgres", nil)
	var user string
	var super, ownsDB, createDB bool
	if err := db.ReadDB().QueryRowContext(ctx, `SELECT current_user, r.rolsuper, pg_get_userbyid(d.datdba) = current_user, r.rolcreatedb
		FROM pg_roles r, pg_database d WHERE r.rolname = current_user AND d.datname = current_database()`).Scan(&user, &super, &ownsDB, &createDB); err != nil {
		t.Fatal(err)
	}
	if user != storetest.AppRole || super || ownsDB || createDB {
		t.Fatalf("the tests' store connects as %s (superuser %v, owns the database %v, may create databases %v); want the ordinary role %s",
			user, super, ownsDB, createDB, storetest.AppRole)
	}
}

// TestTxNow checks that Now is one instant per transaction, in UTC, to the
// microsecond, taken from the clock option, and that rows carry it.
func TestTxNow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		base := time.Date(2024, 4, 1, 9, 30, 0, 123456789, time.FixedZone("JST", 9*3600))
		var calls atomic.Int64
		clock := func() time.Time { return base.Add(time.Duration(calls.Add(1)) * time.Second) }
		db := storetest.Open(t, engine, clock)
		p := newGroup(t, db, "G1")
		var first time.Time
		update(t, db, func(tx meibo.Tx) error {
			first = tx.Now()
			if first.Location() != time.UTC || first.Nanosecond()%1000 != 0 {
				t.Errorf("Now = %v: not UTC to the microsecond", first)
			}
			if !first.Equal(base.Add(time.Duration(calls.Load()) * time.Second).Truncate(time.Microsecond)) {
				t.Errorf("Now = %v does not come from the clock", first)
			}
			u := user(p, "taro", "")
			if err := tx.CreateUsers(ctx, []*meibo.User{u}); err != nil {
				return err
			}
			if err := tx.AddAudit(ctx, &meibo.AuditEvent{ActorKind: "system", ActorName: "t", Action: "x", Category: "user", ObjectKind: "user", ObjectID: "taro"}); err != nil {
				return err
			}
			if !tx.Now().Equal(first) || !u.CreatedAt.Equal(first) || !u.UpdatedAt.Equal(first) {
				t.Errorf("Now moved within the transaction: %v, %v, created %v", first, tx.Now(), u.CreatedAt)
			}
			return nil
		})
		view(t, db, func(tx meibo.Tx) error {
			if !tx.Now().After(first) {
				t.Errorf("a later transaction has Now %v, not after %v", tx.Now(), first)
			}
			u, err := tx.UserByName(ctx, "G1", "taro")
			if err != nil {
				return err
			}
			if !u.CreatedAt.Equal(first) || u.CreatedAt.Location() != time.UTC {
				t.Errorf("stored created_at %v, want %v in UTC", u.CreatedAt, first)
			}
			evs, err := tx.AuditEvents(ctx, meibo.AuditFilter{})
			if err != nil {
				return err
			}
			if len(evs) != 1 || !evs[0].At.Equal(first) {
				t.Errorf("audit event time %v, want %v", evs, first)
			}
			return nil
		})
	})
}

// TestRollback checks that an error from fn writes nothing and is returned
// as it is, and that the store stays usable after a failed statement.
func TestRollback(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		db := storetest.Open(t, engine, nil)
		p := newGroup(t, db, "G1")
		boom := errors.New("boom")
		err := db.Update(ctx, func(tx meibo.Tx) error {
			if err := tx.CreateGroup(ctx, &meibo.Group{ID: "G2"}); err != nil {
				return err
			}
			if err := tx.CreateUsers(ctx, []*meibo.User{user(p, "taro", "taro@example.com")}); err != nil {
				return err
			}
			if err := tx.PutSettings(ctx, meibo.Settings{LicenceLimit: 3, AdminCSVEncoding: "cp932"}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Update returned %v, want the function's error", err)
		}
		// A failed statement spends the transaction; the caller returns its
		// error and nothing of the transaction remains.
		err = db.Update(ctx, func(tx meibo.Tx) error {
			if err := tx.CreateUsers(ctx, []*meibo.User{user(p, "jiro", "")}); err != nil {
				return err
			}
			return tx.CreateGroup(ctx, &meibo.Group{ID: "g1"})
		})
		wantCode(t, err, meibo.CodeConflict)
		view(t, db, func(tx meibo.Tx) error {
			if _, err := tx.Group(ctx, "G2"); meibo.ErrorCode(err) != meibo.CodeNotFound {
				t.Errorf("group of the rolled-back transaction: %v", err)
			}
			if n, _ := tx.CountUsers(ctx, "G1"); n != 0 {
				t.Errorf("%d users after rollback", n)
			}
			if n, _ := tx.UnifiedCount(ctx); n != 0 {
				t.Errorf("unified count %d after rollback", n)
			}
			if s, _ := tx.Settings(ctx); s != meibo.DefaultSettings {
				t.Errorf("settings after rollback: %+v", s)
			}
			return nil
		})
		addUsers(t, db, user(p, "saburo", ""))
		if n := countUsers(t, db, "G1"); n != 1 {
			t.Errorf("store unusable after a failed transaction: %d users", n)
		}
	})
}

// TestLock checks that Lock serialises transactions on PostgreSQL (SQLite has
// one writer, so two write transactions never overlap there), and only those
// of one installation.
func TestLock(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		db := storetest.Open(t, engine, nil)
		if engine != "postgres" {
			update(t, db, func(tx meibo.Tx) error { return tx.Lock(ctx, "users") })
			return
		}
		held := make(chan struct{})
		release := make(chan struct{})
		done := make(chan error, 1)
		go func() {
			done <- db.Update(ctx, func(tx meibo.Tx) error {
				if err := tx.Lock(ctx, "users"); err != nil {
					return err
				}
				close(held)
				<-release
				return nil
			})
		}()
		<-held
		short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		err := db.Update(short, func(tx meibo.Tx) error { return tx.Lock(short, "users") })
		cancel()
		if err == nil {
			t.Error("a second transaction took a held lock")
		}
		// Another installation, in a schema of its own in the same
		// database, has locks of its own.
		other := storetest.Open(t, engine, nil)
		short, cancel = context.WithTimeout(ctx, 5*time.Second)
		err = other.Update(short, func(tx meibo.Tx) error { return tx.Lock(short, "users") })
		cancel()
		if err != nil {
			t.Errorf("another schema's installation could not take its own lock: %v", err)
		}
		update(t, db, func(tx meibo.Tx) error { return tx.Lock(ctx, "admins") })
		close(release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		update(t, db, func(tx meibo.Tx) error { return tx.Lock(ctx, "users") })
	})
}

func TestSettings(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		db := storetest.Open(t, engine, nil)
		view(t, db, func(tx meibo.Tx) error {
			s, err := tx.Settings(ctx)
			if s != meibo.DefaultSettings {
				t.Errorf("new store settings %+v", s)
			}
			return err
		})
		for _, want := range []meibo.Settings{{LicenceLimit: 25, AdminCSVEncoding: "cp932", MailLanguage: meibo.Japanese}, {LicenceLimit: 0, AdminCSVEncoding: "utf-8", MailLanguage: meibo.English}} {
			update(t, db, func(tx meibo.Tx) error { return tx.PutSettings(ctx, want) })
			view(t, db, func(tx meibo.Tx) error {
				s, err := tx.Settings(ctx)
				if s != want {
					t.Errorf("settings %+v, want %+v", s, want)
				}
				return err
			})
		}
	})
}

func TestGroups(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		db := storetest.Open(t, engine, nil)
		for _, id := range []string{"G002", "G001", "app-3"} {
			newGroup(t, db, id)
		}
		wantCode(t, db.Update(ctx, func(tx meibo.Tx) error { return tx.CreateGroup(ctx, &meibo.Group{ID: "g001"}) }), meibo.CodeConflict)
		wantCode(t, db.Update(ctx, func(tx meibo.Tx) error { return tx.CreateGroup(ctx, &meibo.Group{ID: "G001"}) }), meibo.CodeConflict)
		view(t, db, func(tx meibo.Tx) error {
			for _, q := range []string{"G001", "g001", "g001"} {
				g, err := tx.Group(ctx, q)
				if err != nil {
					return err
				}
				if g.ID != "G001" || g.Name != "Group G001" || g.CreatedAt.IsZero() {
					t.Errorf("Group(%q) = %+v", q, g)
				}
			}
			_, err := tx.Group(ctx, "G009")
			wantCode(t, err, meibo.CodeNotFound)
			all, err := tx.Groups(ctx, nil)
			if err != nil {
				return err
			}
			if ids := groupIDs(all); ids != "G001,G002,app-3" {
				t.Errorf("Groups(nil) = %s", ids)
			}
			none, err := tx.Groups(ctx, []string{})
			if err != nil || none == nil || len(none) != 0 {
				t.Errorf("Groups([]) = %v, %v", none, err)
			}
			some, err := tx.Groups(ctx, []string{"g002", "APP-3", "nope"})
			if ids := groupIDs(some); ids != "G002,app-3" {
				t.Errorf("Groups(some) = %s, %v", ids, err)
			}
			return nil
		})
		update(t, db, func(tx meibo.Tx) error {
			return tx.UpdateGroup(ctx, &meibo.Group{ID: "G001", Name: "Head office 本社"})
		})
		view(t, db, func(tx meibo.Tx) error {
			g, err := tx.Group(ctx, "G001")
			if err == nil && g.Name != "Head office 本社" {
				t.Errorf("renamed group: %+v", g)
			}
			return err
		})
		wantCode(t, db.Update(ctx, func(tx meibo.Tx) error { return tx.UpdateGroup(ctx, &meibo.Group{ID: "G404", Name: "x"}) }), meibo.CodeNotFound)
		wantCode(t, db.Update(ctx, func(tx meibo.Tx) error { return tx.DeleteGroup(ctx, "G404") }), meibo.CodeNotFound)
	})
}

func groupIDs(gs []*meibo.Group) string {
	s := ""
	for i, g := range gs {
		if i > 0 {
			s += ","
		}
		s += g.ID
	}
	return s
}

// TestDeleteGroup checks that a group goes with its profiles and that a group
// with users is refused as a conflict that counts them.
func TestDeleteGroup(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		db := storetest.Open(t, engine, nil)
		p := newGroup(t, db, "G1")
		addUsers(t, db, user(p, "a", ""), user(p, "b", ""))
		err := db.Update(ctx, func(tx meibo.Tx) error { return tx.DeleteGroup(ctx, "G1") })
		e := wantCode(t, err, meibo.CodeConflict)
		if e.Msg.Key != "group.not_empty" || fmt.Sprint(e.Msg.Args) != "[G1 2 0]" {
			t.Errorf("message %s %v, want group.not_empty [G1 2 0]", e.Msg.Key, e.Msg.Args)
		}
		view(t, db, func(tx meibo.Tx) error {
			u, d, err := tx.GroupUsage(ctx, "G1")
			if u != 2 || d != 0 {
				t.Errorf("GroupUsage = %d, %d", u, d)
			}
			return err
		})
		update(t, db, func(tx meibo.Tx) error {
			u, err := tx.UsersByName(ctx, "G1", []string{"a", "b"})
			if err != nil {
				return err
			}
			if err := tx.DeleteUsers(ctx, []int64{u["a"].ID, u["b"].ID}); err != nil {
				return err
			}
			return tx.DeleteGroup(ctx, "G1")
		})
		view(t, db, func(tx meibo.Tx) error {
			_, err := tx.Group(ctx, "G1")
			wantCode(t, err, meibo.CodeNotFound)
			_, err = tx.Profile(ctx, p.ID)
			wantCode(t, err, meibo.CodeNotFound)
			return nil
		})

		// An enrolled device keeps its group; a revoked one does not, and
		// goes with it.
		newGroup(t, db, "G2")
		dev := &meibo.Device{GroupID: "G2", Name: "kiosk", SecretHash: "h-kiosk"}
		update(t, db, func(tx meibo.Tx) error { return tx.CreateDevice(ctx, dev) })
		err = db.Update(ctx, func(tx meibo.Tx) error { return tx.DeleteGroup(ctx, "G2") })
		if e := wantCode(t, err, meibo.CodeConflict); fmt.Sprint(e.Msg.Args) != "[G2 0 1]" {
			t.Errorf("message %s %v, want group.not_empty [G2 0 1]", e.Msg.Key, e.Msg.Args)
		}
		update(t, db, func(tx meibo.Tx) error {
			if ok, err := tx.RevokeDevice(ctx, dev.ID, time.Now()); err != nil || !ok {
				return fmt.Errorf("revoke: %v %w", ok, err)
			}
			u, d, err := tx.GroupUsage(ctx, "G2")
			if u != 0 || d != 0 {
				t.Errorf("GroupUsage with a revoked device = %d, %d", u, d)
			}
			if err != nil {
				return err
			}
			return tx.DeleteGroup(ctx, "G2")
		})
		view(t, db, func(tx meibo.Tx) error {
			_, err := tx.Device(ctx, dev.ID)
			wantCode(t, err, meibo.CodeNotFound)
			return nil
		})
	})
}

func TestProfiles(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		db := storetest.Open(t, engine, nil)
		def := newGroup(t, db, "G1")
		newGroup(t, db, "G2")
		field := &meibo.Profile{GroupID: "G1", Name: "field staff", Actions: []meibo.Action{meibo.ActionLock, meibo.ActionLocate}}
		update(t, db, func(tx meibo.Tx) error {
			if err := tx.CreateProfile(ctx, field); err != nil {
				return err
			}
			return tx.CreateProfile(ctx, &meibo.Profile{GroupID: "G1", Name: "Admins"})
		})
		if field.ID == 0 || field.CreatedAt.IsZero() {
			t.Fatalf("created profile %+v", field)
		}
		// The same name again in the group is a conflict; in another group
		// it is fine.
		wantCode(t, db.Update(ctx, func(tx meibo.Tx) error {
			return tx.CreateProfile(ctx, &meibo.Profile{GroupID: "G1", Name: "field staff"})
		}), meibo.CodeConflict)
		update(t, db, func(tx meibo.Tx) error {
			return tx.CreateProfile(ctx, &meibo.Profile{GroupID: "G2", Name: "field staff"})
		})
		wantCode(t, db.Update(ctx, func(tx meibo.Tx) error {
			return tx.CreateProfile(ctx, &meibo.Profile{GroupID: "G1", Name: "second default", Default: true})
		}), meibo.CodeConflict)
		wantCode(t, db.Update(ctx, func(tx meibo.Tx) error {
			return tx.CreateProfile(ctx, &meibo.Profile{GroupID: "G404", Name: "x"})
		}), meibo.CodeNotFound)
		view(t, db, func(tx meibo.Tx) error {
			ps, err := tx.Profiles(ctx, "G1")
			if err != nil {
				return err
			}
			var names []string
			for _, p := range ps {
				names = append(names, p.Name)
			}
			if fmt.Sprint(names) != "[default Admins field staff]" {
				t.Errorf("profiles in order %v, want the default first, then by name (bytes)", names)
			}
			p, err := tx.Profile(ctx, field.ID)
			if err != nil {
				return err
			}
			if p.Name != "field staff" || p.GroupID != "G1" || fmt.Sprint(p.Actions) != "[lock locate]" || p.APIAccess || p.Default {
				t.Errorf("Profile = %+v", p)
			}
			d, err := tx.ProfileByName(ctx, "G1", "default")
			if err != nil || d.ID != def.ID || !d.Default || !d.APIAccess || len(d.Actions) != 5 {
				t.Errorf("ProfileByName(default) = %+v, %v", d, err)
			}
			_, err = tx.ProfileByName(ctx, "G1", "Field Staff")
			wantCode(t, err, meibo.CodeNotFound)
			_, err = tx.Profile(ctx, 999999)
			wantCode(t, err, meibo.CodeNotFound)
			return nil
		})
		field.Name, field.Actions, field.APIAccess = "field", []meibo.Action{}, true
		update(t, db, func(tx meibo.Tx) error { return tx.UpdateProfile(ctx, field) })
		view(t, db, func(tx meibo.Tx) error {
			p, err := tx.Profile(ctx, field.ID)
			if err == nil && (p.Name != "field" || len(p.Actions) != 0 || !p.APIAccess) {
				t.Errorf("updated profile %+v", p)
			}
			return err
		})
		field.Name = "Admins"
		wantCode(t, db.Update(ctx, func(tx meibo.Tx) error { return tx.UpdateProfile(ctx, field) }), meibo.CodeConflict)
		wantCode(t, db.Update(ctx, func(tx meibo.Tx) error {
			return tx.UpdateProfile(ctx, &meibo.Profile{ID: 999999, Name: "x"})
		}), meibo.CodeNotFound)

		// In use: refused as a conflict counting the users.
		field.Name = "field"
		addUsers(t, db, user(field, "a", ""), user(field, "b", ""), user(def, "c", ""))
		view(t, db, func(tx meibo.Tx) error {
			n, err := tx.ProfileUsers(ctx, field.ID)
			if n != 2 {
				t.Errorf("ProfileUsers = %d", n)
			}
			return err
		})
		e := wantCode(t, db.Update(ctx, func(tx meibo.Tx) error { return tx.DeleteProfile(ctx, field.ID) }), meibo.CodeConflict)
		if e.Msg.Key != "profile.in_use" || len(e.Msg.Args) != 2 || e.Msg.Args[1] != 2 {
			t.Errorf("in-use message %s %v", e.Msg.Key, e.Msg.Args)
		}
		wantCode(t, db.Update(ctx, func(tx meibo.Tx) error { return tx.DeleteProfile(ctx, 999999) }), meibo.CodeNotFound)
		update(t, db, func(tx meibo.Tx) error {
			u, err := tx.UsersByName(ctx, "G1", []string{"a", "b"})
			if err != nil {
				return err
			}
			if err := tx.DeleteUsers(ctx, []int64{u["a"].ID, u["b"].ID}); err != nil {
				return err
			}
			return tx.DeleteProfile(ctx, field.ID)
		})
		view(t, db, func(tx meibo.Tx) error {
			_, err := tx.Profile(ctx, field.ID)
			wantCode(t, err, meibo.CodeNotFound)
			return nil
		})
	})
}

func TestThrottle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		now := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
		db := storetest.Open(t, engine, func() time.Time { return now })
		view(t, db, func(tx meibo.Tx) error {
			th, err := tx.Throttle(ctx, "admin:x")
			if th.Key != "admin:x" || th.Failures != 0 || th.NextAt != nil || !th.UpdatedAt.IsZero() {
				t.Errorf("unknown key: %+v", th)
			}
			return err
		})
		next := now.Add(30 * time.Second)
		update(t, db, func(tx meibo.Tx) error {
			if err := tx.PutThrottle(ctx, meibo.Throttle{Key: "admin:x", Failures: 6, NextAt: &next}); err != nil {
				return err
			}
			return tx.PutThrottle(ctx, meibo.Throttle{Key: "addr:10.0.0.1", Failures: 1})
		})
		update(t, db, func(tx meibo.Tx) error {
			return tx.PutThrottle(ctx, meibo.Throttle{Key: "addr:10.0.0.1", Failures: 2})
		})
		view(t, db, func(tx meibo.Tx) error {
			th, err := tx.Throttle(ctx, "admin:x")
			if err != nil {
				return err
			}
			if th.Failures != 6 || th.NextAt == nil || !th.NextAt.Equal(next) || !th.UpdatedAt.Equal(now) {
				t.Errorf("admin:x = %+v", th)
			}
			th, err = tx.Throttle(ctx, "addr:10.0.0.1")
			if th.Failures != 2 || th.NextAt != nil {
				t.Errorf("addr = %+v", th)
			}
			return err
		})
		update(t, db, func(tx meibo.Tx) error {
			return tx.PutThrottle(ctx, meibo.Throttle{Key: "addr:10.0.0.2 user:g/ä", Failures: 3})
		})
		view(t, db, func(tx meibo.Tx) error {
			all, err := tx.Throttles(ctx, "", 10)
			if len(all) != 3 {
				t.Errorf("every counter: %+v", all)
			}
			some, err2 := tx.Throttles(ctx, "addr:10.0.0.", 10)
			if len(some) != 2 || some[0].Key != "addr:10.0.0.1" || some[1].Key != "addr:10.0.0.2 user:g/ä" || some[1].Failures != 3 {
				t.Errorf("counters by prefix: %+v", some)
			}
			one, err3 := tx.Throttles(ctx, "addr:10.0.0.2 user:g/ä", 1)
			if len(one) != 1 {
				t.Errorf("a counter by its whole key: %+v", one)
			}
			return errors.Join(err, err2, err3)
		})
		update(t, db, func(tx meibo.Tx) error { return tx.DeleteThrottle(ctx, "admin:x") })
		update(t, db, func(tx meibo.Tx) error { return tx.DeleteThrottle(ctx, "admin:never") })
		view(t, db, func(tx meibo.Tx) error {
			th, err := tx.Throttle(ctx, "admin:x")
			if th.Failures != 0 {
				t.Errorf("deleted counter: %+v", th)
			}
			return err
		})
	})
}

// store is what every engine returns; the compile-time check keeps the suite
// honest about testing the contract, not an engine type.
var _ meibo.Store = (*sqlstore.DB)(nil)
