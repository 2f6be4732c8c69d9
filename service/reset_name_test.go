package service_test

import (
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

// TestPasswordResetDecomposedName: a name typed decomposed (NFD, as macOS
// keyboards may give it) finds its user, stored composed, and the reset
// link goes out; the composed and decomposed requests share one counter.
func TestPasswordResetDecomposedName(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newMlEnv(t, engine)
		e.group("G1", "")
		must(e.svc.CreateUser(e.sys, "G1", service.UserInput{Name: "がくと", Email: "gakuto@example.org"}))(t)
		nfd := "か\u3099くと"
		e.must(e.svc.RequestPasswordReset(bg, "G1", nfd, "192.0.2.1", meibo.English))
		if n := e.deliver(); n != 1 {
			t.Fatalf("%d messages for a decomposed name", n)
		}
		if got := e.smtp.Wait(t, 1, 5*time.Second)[0]; got.To[0] != "gakuto@example.org" {
			t.Errorf("reset message to %v", got.To)
		}
		e.must(e.svc.RequestPasswordReset(bg, "G1", "がくと", "192.0.2.2", meibo.English))
		e.must(e.svc.RequestPasswordReset(bg, "G1", nfd, "192.0.2.3", meibo.English))
		wantCode(t, e.svc.RequestPasswordReset(bg, "G1", "がくと", "192.0.2.4", meibo.English), meibo.CodeRateLimited)
	})
}
