package service_test

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

// TestRefusalsAudited: requests refused for want of an authority or for
// reaching outside the actor's scope are audited, at most once a minute per
// actor and kind, the next event counting those left out.
func TestRefusalsAudited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		// A service on the test's clock, so that the minute can pass.
		svc := service.New(e.db, service.Config{Hasher: e.hasher, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Clock: e.clock.Now})
		e.group("G1")
		e.group("G2")
		bob := e.devUser("G2", "bob", false)
		e.devUser("G1", "alice", false)
		_, carolDevice := e.devEnrol("G2", "bob", "carol-phone")
		pw := "correct horse battery"
		e.admin("reader", pw, meibo.NewAuthorities(meibo.AuthLogViewer))
		e.admin("dept", pw, meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthDepartment), "G1")
		signIn := func(loginID string) *meibo.Actor {
			tok, _, err := svc.Login(bg, loginID, pw, "192.0.2.1")
			noErr(t, err)
			return must(svc.Authenticate(bg, tok, "192.0.2.1"))(t)
		}
		reader, dept := as(signIn("reader")), as(signIn("dept"))

		for range 5 {
			_, err := svc.Throttles(reader)
			wantCode(t, err, meibo.CodeForbidden)
		}
		_, err := svc.User(dept, bob.ID)
		wantCode(t, err, meibo.CodeNotFound)
		_, err = svc.Profiles(dept, "G2")
		wantCode(t, err, meibo.CodeNotFound)
		// A portal user reaching another user's device.
		aliceSecret, _, err := svc.PortalSignIn(bg, "G1", "alice", devPassword, "192.0.2.2", "test", meibo.English)
		noErr(t, err)
		alice, _, err := svc.PortalActor(bg, aliceSecret, "192.0.2.2")
		noErr(t, err)
		_, _, err = svc.MyDevice(as(alice), carolDevice.ID)
		wantCode(t, err, meibo.CodeNotFound)
		// The system is never refused and writes nothing.
		must(svc.Throttles(e.sys))(t)
		svc.WaitAudits()

		auth := e.eventsFor("refused.authority")
		if len(auth) != 1 || auth[0].ActorName != "reader" || auth[0].Addr != "192.0.2.1" || auth[0].Details["refused"] != "logEmergency" {
			t.Fatalf("authority refusals %+v", auth)
		}
		scope := e.eventsFor("refused.scope")
		if len(scope) != 2 {
			t.Fatalf("scope refusals %+v", scope)
		}
		byActor := map[string]*meibo.AuditEvent{}
		for _, ev := range scope {
			byActor[ev.ActorName] = ev
		}
		if ev := byActor["dept"]; ev == nil || ev.ActorKind != meibo.ActorAdmin {
			t.Errorf("the department administrator's refusal: %+v", scope)
		}
		if ev := byActor["alice"]; ev == nil || ev.ActorKind != meibo.ActorUser || ev.GroupID != "G1" {
			t.Errorf("the portal user's refusal: %+v", scope)
		}

		// A minute later, the next refusal is written with the count of
		// those left out.
		e.clock.Add(59 * time.Second)
		_, err = svc.Throttles(reader)
		wantCode(t, err, meibo.CodeForbidden)
		svc.WaitAudits()
		if n := len(e.eventsFor("refused.authority")); n != 1 {
			t.Fatalf("%d authority events within the minute", n)
		}
		e.clock.Add(2 * time.Second)
		_, err = svc.Throttles(reader)
		wantCode(t, err, meibo.CodeForbidden)
		svc.WaitAudits()
		auth = e.eventsFor("refused.authority")
		if len(auth) != 2 {
			t.Fatalf("%d authority events after the minute", len(auth))
		}
		if n, _ := auth[0].Details["suppressed"].(float64); n != 5 {
			t.Errorf("the second event counts %v left out, want 5: %+v", auth[0].Details, auth[0])
		}
	})
}
